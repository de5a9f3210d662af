"""Turning-point typing adapted to a team's reviewed moments (``narratif.turning_points.adapt``)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from narratif.refi import export_qdpx
from narratif.refi.common import guid
from narratif.store import Store
from narratif.turning_points.adapt import (MIN_EXAMPLES, adapt_model, adapt_to_reviews, load_team_model, review_examples,
                               team_model_digest, team_model_path)
from narratif.turning_points.lexicon import TYPES
from narratif.turning_points.classifier import TypeExamples, fit_typer, load_model, weights_hash

from helpers import rewrite_qdpx

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

NS = {"q": "urn:QDA-XML:project:1.0"}


def _types(model, ex: TypeExamples) -> np.ndarray:
    return np.array(model.typer.classes)[model.typer.decision(ex.dense, ex.vectors).argmax(1)]


def _subset(ex: TypeExamples, idx, label: str | None = None) -> TypeExamples:
    labels = ex.labels[idx] if label is None else np.array([label] * len(idx), dtype=object)
    return TypeExamples(ex.dense[idx], ex.vectors[idx], labels)


def test_the_shipped_examples_refit_to_the_shipped_typing():
    """The examples file is the one the shipped classifier learned from: refitted, it types
    every example as the shipped classifier does."""
    base, shipped = load_model(), TypeExamples.load()
    params = base.meta["config_params"]
    refit = replace(base, typer=fit_typer(shipped, C=params["tC"], vector_weight=params["tvw"]))
    assert len(shipped) >= 500 and set(shipped.labels) == set(TYPES)
    assert (_types(refit, shipped) == _types(base, shipped)).mean() >= 0.99


def test_a_team_reading_is_learned_and_generalises_to_moments_it_did_not_review():
    """A team that calls moves decisions (a reading the shipped examples do not hold): from
    half of the moves, the other half are typed as decisions; other moments keep their type."""
    base, shipped = load_model(), TypeExamples.load()
    params = base.meta["config_params"]
    moves = np.random.default_rng(0).permutation(np.where(shipped.labels == "mobilite")[0])
    reviewed, unreviewed = moves[: len(moves) // 2], moves[len(moves) // 2:]
    rest = _subset(shipped, np.setdiff1d(np.arange(len(shipped)), moves))
    before = replace(base, typer=fit_typer(rest, C=params["tC"], vector_weight=params["tvw"]))
    after = adapt_model(before, rest, _subset(shipped, reviewed, "decision"))
    held = _subset(shipped, unreviewed)
    share_before = (_types(before, held) == "decision").mean()
    share_after = (_types(after, held) == "decision").mean()
    assert share_after >= share_before + 0.3, (share_before, share_after)
    assert (_types(before, rest) == _types(after, rest)).mean() >= 0.9
    assert after.meta["adapted"] == {"team_examples": len(reviewed), "team_types": {"decision": len(reviewed)},
                                     "shipped_examples": len(rest), "base": weights_hash()}


# -- through a review of real stories --------------------------------------------------------
@pytest.fixture(scope="module")
def reviewed_project(shared_dir, tmp_path_factory):
    """Three real stories analysed, exported, every turning point moved to « rencontre » in the
    QDA project (the team's reading) and the project imported back."""
    import narratif
    from narratif.cli import app

    tmp = tmp_path_factory.mktemp("adapt")
    inputs = tmp / "in"
    inputs.mkdir()
    for name in ("2019_peripitiesVoiture.txt", "2021_nouvelleCollegue.txt", "2022_copineEnCarton.txt"):
        shutil.copy(shared_dir / "corpora" / "parisstories" / name, inputs / name)
    out = tmp / "out"
    narratif.run(inputs, out, topics=False, report=False)
    exported = export_qdpx(out, tmp / "projet.qdpx")
    tp_codes = {guid("turning_point", t) for t in TYPES}

    def edit(root):
        for ref in root.xpath("//q:Coding/q:CodeRef", namespaces=NS):
            if ref.get("targetGUID") in tp_codes:
                ref.set("targetGUID", guid("turning_point", "rencontre"))

    reviewed = rewrite_qdpx(exported, tmp / "projet-revu.qdpx", edit)
    result = CliRunner().invoke(app, ["review", str(reviewed), "--out", str(out)])
    return inputs, out, result


def test_review_adapts_typing_to_the_moments_the_team_typed(reviewed_project):
    from narratif.nlp.parse import load_nlp

    _, out, result = reviewed_project
    assert result.exit_code == 0, result.output
    with Store(out, read_only=True) as store:
        verdicts = store.reviews()
        team, n_docs = review_examples(store, load_nlp())
    kept = [r for r in verdicts if r.verdict == "keep"]
    assert len(kept) >= MIN_EXAMPLES and {r.type for r in kept} == {"rencontre"}
    # one example per reviewed moment (two moments never share a narrative unit: they are never adjacent)
    assert len(team) == len(kept) and n_docs == 3 and set(team.labels) == {"rencontre"}
    assert f"turning-point types adapted to {len(team)} reviewed moments from 3 documents" in result.output
    assert "every document re-typed" in result.output
    model = load_team_model(out / "models")
    assert model is not None and model.meta["adapted"]["team_types"] == {"rencontre": len(team)}
    assert model.typer.coef.shape == load_model().typer.coef.shape


def test_runs_type_with_the_adapted_model_and_reanalyse_once(reviewed_project, shared_dir):
    import narratif

    inputs, out, _ = reviewed_project
    new = inputs / "2020_histoireOurs.txt"  # a story nobody reviewed
    shutil.copy(shared_dir / "corpora" / "parisstories" / new.name, new)
    first = narratif.run(inputs, out, topics=False, report=False)
    assert first.summary.n_processed == 4  # the reviewed documents and the new one, all re-typed
    with Store(out, read_only=True) as store:
        tps = store.table("turning_points")
        docs = store.documents()
    new_id = docs.loc[docs["path"].str.endswith(new.name), "doc_id"].iloc[0]
    unreviewed = tps[tps["doc_id"] == new_id]
    assert len(unreviewed) >= 2 and unreviewed["evidence"].str.contains("team-adapted type").all()
    reviewed = tps[tps["doc_id"] != new_id]
    # the verdicts still apply on their sentences (a sentence the adapted ranking newly proposes in a
    # reviewed document has no verdict: the adapted classifier types it)
    with_verdict = reviewed[reviewed["evidence"].str.contains("review: ")]
    assert len(with_verdict) >= MIN_EXAMPLES and (with_verdict["type"] == "rencontre").all()
    again = narratif.run(inputs, out, topics=False)
    assert again.summary.n_processed == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    team_typed = tps["evidence"].str.contains("team-adapted type") & ~tps["evidence"].str.contains("review: ")
    assert team_typed.sum() >= len(unreviewed)  # the new story's, and any newly proposed in reviewed ones
    assert f"dont {int(team_typed.sum())} typées par un classifieur adapté aux relectures de l'équipe" in page


def test_too_few_typed_moments_leave_the_typing_as_it_is(reviewed_project, tmp_path):
    """Below the threshold nothing is written, and an adapted model already there stays."""
    from narratif.nlp.parse import load_nlp

    _, out, _ = reviewed_project
    path = team_model_path(out / "models")
    before = path.read_bytes()
    with Store(out, read_only=True) as store:
        fresh = adapt_to_reviews(store, tmp_path / "models", nlp=load_nlp(), min_examples=10_000)
        kept = adapt_to_reviews(store, out / "models", nlp=load_nlp(), min_examples=10_000)
    assert fresh.path is None and "typing adapts from 10000 on" in fresh.message()
    assert not team_model_path(tmp_path / "models").exists()
    assert kept.path is None and path.read_bytes() == before


def test_a_later_rejection_removes_a_moment_from_the_examples(reviewed_project, tmp_path):
    """The examples follow the verdict in force, as runs do: a moment kept, then rejected in a
    later review, is no example of its type any more."""
    from narratif.nlp.parse import load_nlp

    _, out, _ = reviewed_project
    copy = tmp_path / "out"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(".prefect", "*.lock", "models"))
    with Store(copy) as store:
        before, _ = review_examples(store, load_nlp())
        first = next(r for r in store.reviews() if r.verdict == "keep")
        store.write_reviews([replace(first, verdict="reject", type=None, change="rejected",
                                     reviewed_at="2099-01-01T00:00:00+00:00")])
        after, _ = review_examples(store, load_nlp())
    assert len(after) == len(before) - 1


def test_a_broken_adapted_model_never_stops_a_run(reviewed_project):
    """Whatever lands in the adapted file (not JSON, another shape, adapted from another
    version of the shipped model), it is ignored with a warning and the keys say « shipped
    model »; the next run adapts typing again from the stored verdicts (deterministically:
    the same file, so nothing is re-analysed)."""
    import json

    import narratif

    inputs, out, _ = reviewed_project
    narratif.run(inputs, out, topics=False, report=False)  # settled: every document typed with the team model
    path = team_model_path(out / "models")
    good = path.read_bytes()
    stale = json.loads(good)
    stale["meta"]["adapted"]["base"] = "0123456789abcdef"
    for broken in ("{not json", "[]", "null", json.dumps({"meta": {"adapted": None}}), json.dumps(stale)):
        path.write_text(broken, encoding="utf-8")
        assert load_team_model(out / "models") is None and team_model_digest(out / "models") == "none"
        res = narratif.run(inputs, out, topics=False, report=False)
        assert any("turning-point typing adapted again" in w for w in res.summary.warnings), res.summary.warnings
        assert path.read_bytes() == good
        assert res.summary.n_processed == 0


def test_a_model_that_cannot_be_adapted_again_is_set_aside(reviewed_project, tmp_path):
    """No verdicts to adapt from (another store): the unusable file is set aside once, the
    shipped model types, and later runs do not try again."""
    from narratif.turning_points.adapt import refresh_team_typing

    _, out, _ = reviewed_project
    models = tmp_path / "models"
    team_model_path(models).parent.mkdir(parents=True)
    team_model_path(models).write_text("[]", encoding="utf-8")
    empty = tmp_path / "empty-store"
    with Store(empty) as store:
        note = refresh_team_typing(store, models)
        assert "set aside as model.json.unusable" in note and "typing adapts from 10 on" in note
        assert not team_model_path(models).exists()
        assert refresh_team_typing(store, models) is None
