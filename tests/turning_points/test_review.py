"""Analysts' verdicts on turning points: read from a reviewed .qdpx, kept in the store,
applied by every later run (real stories and a real interview excerpt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from narratif.refi import RefiError, export_qdpx, read_qdpx
from narratif.refi.common import guid
from narratif.refi.reviews import turning_point_reviews
from narratif.models import Sentence, TurningPoint, TurningPointReview
from narratif.turning_points.review import apply_reviews, reviews_digest, verdicts
from narratif.store import Store

from helpers import rewrite_qdpx

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

NS = {"q": "urn:QDA-XML:project:1.0"}
STORIES = ["2019_peripitiesVoiture.txt", "2021_nouvelleCollegue.txt"]


# -- the pure part -----------------------------------------------------------------------
def _sentences(n: int = 6) -> list[Sentence]:
    return [Sentence("d", i // 2, i, 10 * i, 10 * i + 9, f"phrase {i} on a déménagé") for i in range(n)]


def _tp(s: Sentence, tp_type: str, score: float = 2.0) -> TurningPoint:
    return TurningPoint(s.doc_id, s.seg_id, s.sent_id, s.start, s.end, s.text, tp_type, None, score, "rules")


def _review(s: Sentence, verdict: str, tp_type: str | None, change: str, at: str = "2026-12-01T10:00:00+00:00"):
    return TurningPointReview("d", "recit.txt", s.start, s.end, s.text, verdict, tp_type, change, "revu.qdpx", at)


def test_verdicts_say_what_the_analyst_changed():
    sents = {s.sent_id: s for s in _sentences()}
    detected = {1: "mobilite", 3: "rupture", 4: "decision"}
    reviewed = {1: "mobilite", 3: "revelation", 5: "rencontre"}
    out = verdicts("d", "recit.txt", detected, reviewed, sents, source="revu.qdpx",
                   reviewed_at="2026-12-01T10:00:00+00:00")
    assert [(sid, r.verdict, r.type, r.change) for sid, r in zip((1, 3, 4, 5), out)] == [
        (1, "keep", "mobilite", "accepted"), (3, "keep", "revelation", "retyped"),
        (4, "reject", None, "rejected"), (5, "keep", "rencontre", "added")]
    assert [(r.start, r.end, r.text) for r in out] == [(sents[i].start, sents[i].end, sents[i].text)
                                                       for i in (1, 3, 4, 5)]


def test_apply_reviews_rejects_retypes_and_adds():
    sents = _sentences()
    tps = [_tp(sents[1], "mobilite"), _tp(sents[3], "rupture"), _tp(sents[4], "decision")]
    reviews = [_review(sents[1], "keep", "mobilite", "accepted"), _review(sents[3], "keep", "revelation", "retyped"),
               _review(sents[4], "reject", None, "rejected"), _review(sents[5], "keep", "rencontre", "added")]
    out = apply_reviews(tps, reviews, sents, score_of=lambda s: 1.25)
    assert [(t.sent_id, t.type) for t in out] == [(1, "mobilite"), (3, "revelation"), (5, "rencontre")]
    assert out[0].evidence.endswith("review: accepted (revu.qdpx, 2026-12-01)")
    assert "review: retyped from rupture" in out[1].evidence
    assert out[2].evidence.startswith("review: added") and out[2].score == 1.25 and out[2].seg_id == 2
    # a sentence with no turning point any more keeps its rejection silently; unreviewed ones pass through
    assert apply_reviews([_tp(sents[0], "decision")], reviews[2:3], sents) == [_tp(sents[0], "decision")]


def test_verdicts_follow_a_corrected_file_by_sentence_text():
    sents = _sentences()
    reviews = [_review(sents[3], "reject", None, "rejected"), _review(sents[5], "keep", "rencontre", "added"),
               _review(sents[1], "keep", "rupture", "added")]
    # the corrected file: a line added at the top, sentence 1 reworded
    corrected = [Sentence("d2", s.seg_id, s.sent_id + 1, s.start + 7, s.end + 7, s.text) for s in sents]
    corrected[1].text = "phrase 1 corrigée"
    tps = [_tp(corrected[3], "decision")]
    out = apply_reviews(tps, reviews, corrected)
    assert [(t.sent_id, t.type, t.start) for t in out] == [(6, "rencontre", corrected[5].start)]


def test_the_latest_verdict_on_a_sentence_wins():
    sents = _sentences()
    older = _review(sents[2], "keep", "rupture", "added", at="2026-11-01T09:00:00+00:00")
    newer = _review(sents[2], "reject", None, "rejected", at="2026-12-01T09:00:00+00:00")
    assert apply_reviews([], [newer, older], sents) == []
    assert [t.type for t in apply_reviews([], [older], sents)] == ["rupture"]
    assert reviews_digest([older]) != reviews_digest([newer]) and reviews_digest([]) == ""


def test_turning_point_codes_are_recognised_even_when_a_tool_drops_narratif_s_marks():
    from narratif.refi.common import QdaCode, norm_guid
    from narratif.refi.reviews import _tp_type

    assert _tp_type(QdaCode(guid="x", name="Bascule", meta={"turning_point": "rupture"})) == "rupture"
    assert _tp_type(QdaCode(guid=norm_guid(guid("turning_point", "mobilite")), name="renommé")) == "mobilite"
    assert _tp_type(QdaCode(guid="y", name=" Révélation ")) == "revelation"  # a code the analyst made
    assert _tp_type(QdaCode(guid="z", name="Gouvernance")) is None and _tp_type(None) is None


def test_offsets_map_back_across_changed_names_line_by_line():
    from narratif.refi.reviews import _OffsetMap

    stored = "Mira : je suis arrivée en 1952.\nENQ : et après ?\nMira : on a déménagé à Ivry."
    shown = "Personne 1 : je suis arrivée en 1952.\nENQ : et après ?\nPersonne 1 : on a déménagé à Ivry."
    where = _OffsetMap(shown, stored)
    assert where.aligned and not where.same
    for word in ("arrivée", "déménagé", "Ivry", "après"):
        assert stored[where(shown.index(word)):].startswith(word), word
    assert where(len(shown)) == len(stored)
    assert not _OffsetMap(shown + "\nune ligne de plus", stored).aligned


# -- on real material --------------------------------------------------------------------
@pytest.fixture(scope="module")
def first_run(shared_dir, tmp_path_factory) -> tuple[Path, Path, Path]:
    """Two real stories and a real interview excerpt, analysed once; a copy of the output
    directory is kept untouched for the pseudonymised review."""
    import narratif

    tmp = tmp_path_factory.mktemp("review")
    inputs = tmp / "in"
    inputs.mkdir()
    for name in STORIES:
        shutil.copy(shared_dir / "corpora" / "parisstories" / name, inputs / name)
    lines = (shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").read_text(encoding="utf-8").splitlines()
    (inputs / "Mira_F_88_14e-v2.txt").write_text("\n".join(lines[:120]) + "\n", encoding="utf-8")
    out = tmp / "out"
    narratif.run(inputs, out, topics=False, report=False)
    pristine = tmp / "pristine"
    shutil.copytree(out, pristine, ignore=shutil.ignore_patterns(".prefect", "*.lock"))
    return inputs, out, pristine


def _turning_points(out: Path):
    with Store(out, read_only=True) as store:
        return store.table("turning_points").sort_values(["doc_id", "sent_id"]).reset_index(drop=True)


def _tp_codings(project_path: Path, source_name: str):
    project = read_qdpx(project_path)
    src = next(s for s in project.sources if s.name.startswith(source_name))
    df = project.codings_frame()
    return src, df[(df["source"] == src.guid) & df["turning_point"].notna()].sort_values("start")


def _coding(root, source: str, code_guid: str, start: int):
    return root.xpath(f"//q:TextSource[@guid='{source}']/q:PlainTextSelection[@startPosition='{start}']"
                      f"/q:Coding[q:CodeRef/@targetGUID='{code_guid}']", namespaces=NS)[0]


def test_reviewed_turning_points_survive_the_next_runs(first_run, tmp_path):
    import narratif
    from narratif.cli import app

    inputs, out, _ = first_run
    before = _turning_points(out)
    exported = export_qdpx(out, tmp_path / "projet.qdpx")
    src, tps = _tp_codings(exported, "2019_peripitiesVoiture")
    assert len(tps) >= 3
    rejected, retyped = tps.iloc[0], tps.iloc[1]
    new_type = "rencontre" if retyped["turning_point"] != "rencontre" else "decision"
    # a sentence far from every proposed moment: « ma mère elle m'a beaucoup aidée »
    added_at = src.text.index("ma mère elle m'a beaucoup aidée")
    analyst = "0f8fad5b-d9cb-469f-a165-70867728950e"

    def edit(root):
        c = _coding(root, src.guid, rejected["code_guid"], rejected["start"])
        c.getparent().remove(c)
        ref = _coding(root, src.guid, retyped["code_guid"], retyped["start"]).find("q:CodeRef", NS)
        ref.set("targetGUID", guid("turning_point", new_type))
        source = root.xpath(f"//q:TextSource[@guid='{src.guid}']", namespaces=NS)[0]
        sel = etree.SubElement(source, f"{{{NS['q']}}}PlainTextSelection", guid="9a0f6b49-7e4c-4d0a-9d3b-2b1c8f0e7a12",
                               startPosition=str(added_at), endPosition=str(added_at + 20), creatingUser=analyst)
        coding = etree.SubElement(sel, f"{{{NS['q']}}}Coding", guid="1c2f1b1e-2d33-4b8b-8a1f-5f7e1b2c3d4f",
                                  creatingUser=analyst)
        etree.SubElement(coding, f"{{{NS['q']}}}CodeRef", targetGUID=guid("turning_point", "rencontre"))

    reviewed = rewrite_qdpx(exported, tmp_path / "projet-revu.qdpx", edit)
    res = CliRunner().invoke(app, ["review", str(reviewed), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 documents reviewed" in res.output and "1 retyped, 1 added, 1 rejected" in res.output

    second = narratif.run(inputs, out, topics=False)
    page = (out / "report.html").read_text(encoding="utf-8")
    n_tps = len(before)
    assert f"<b>{n_tps}</b> des {n_tps} tournants ont été vérifiés par un·e analyste (dont 1 ajoutés) et 1 " \
           "propositions rejetées" in page
    with Store(out, read_only=True) as store:
        reviews = store.table("turning_point_reviews")
    assert second.summary.n_processed == reviews["doc_id"].nunique()  # the reviewed documents, nothing else
    after = _turning_points(out)
    doc = before[before["text"].str.contains("conduite accompagnée|permis|péripéties", regex=True)]["doc_id"].iloc[0]
    b, a = before[before["doc_id"] == doc], after[after["doc_id"] == doc]
    assert rejected["text"].strip() not in " ".join(a["text"])
    row = a[a["start"] <= retyped["start"]].iloc[-1]
    assert row["type"] == new_type and "review: retyped from" in row["evidence"]
    added = a[a["evidence"].str.startswith("review: added")]
    assert len(added) == 1 and "ma mère elle m'a beaucoup aidée" in added["text"].iloc[0]
    assert added["type"].iloc[0] == "rencontre"
    assert len(a) == len(b) - 1 + 1
    # everything else as it was, and said to be accepted
    others = after[after["doc_id"] != doc]
    assert others[["doc_id", "sent_id", "type"]].values.tolist() == \
        before[before["doc_id"] != doc][["doc_id", "sent_id", "type"]].values.tolist()
    assert others["evidence"].str.contains("review: accepted").all()

    third = narratif.run(inputs, out, topics=False, report=False)
    assert third.summary.n_processed == 0
    assert _turning_points(out).equals(after)

    # the transcriber corrects the file: the verdicts follow the sentences that did not change
    story = inputs / "2019_peripitiesVoiture.txt"
    story.write_text(story.read_text(encoding="utf-8").replace("XXX de la ville", "en ville"), encoding="utf-8")
    fourth = narratif.run(inputs, out, topics=False, report=False)
    assert fourth.summary.n_processed == 1
    corrected = _turning_points(out)
    new_doc = sorted(set(corrected["doc_id"]) - set(after["doc_id"]))
    assert len(new_doc) == 1
    c = corrected[corrected["doc_id"] == new_doc[0]]
    assert c[["text", "type"]].values.tolist() == a[["text", "type"]].values.tolist()
    assert c["evidence"].str.contains("review: ").all()


def test_a_pseudonymised_project_is_reviewed_on_the_stored_text(first_run, tmp_path):
    _, _, pristine = first_run
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    exported = export_qdpx(out, tmp_path / "pseudo.qdpx", pseudonymise=True, nlp=None)
    project = read_qdpx(exported)
    with Store(out, read_only=True) as store:
        docs = store.documents(with_text=True)
        mira = docs[docs["path"].str.contains("Mira")].iloc[0]
        stored = store.table("turning_points", doc_id=mira["doc_id"]).sort_values("sent_id")
    src = next(s for s in project.sources if s.guid == guid("source", mira["doc_id"]))
    assert src.text != mira["text"] and "Mira" not in src.text  # names differ, so do offsets
    df = project.codings_frame()
    tps = df[(df["source"] == src.guid) & df["turning_point"].notna()].sort_values("start")
    assert len(tps) == len(stored) >= 2
    gone = tps.iloc[-1]

    def edit(root):
        c = _coding(root, src.guid, gone["code_guid"], gone["start"])
        c.getparent().remove(c)

    reviewed = rewrite_qdpx(exported, tmp_path / "pseudo-revu.qdpx", edit)
    with Store(out) as store:
        result = turning_point_reviews(reviewed, store)
    assert not result.warnings
    mine = [r for r in result.reviews if r.doc_id == mira["doc_id"]]
    # every kept moment lands on its own stored sentence, the removed one too
    assert [(r.start, r.end) for r in mine] == list(zip(stored["start"], stored["end"]))
    assert [r.change for r in mine] == ["accepted"] * (len(stored) - 1) + ["rejected"]


def test_nothing_is_rejected_when_the_store_changed_since_the_export(first_run, tmp_path):
    """A run between export and review (new model, new settings) changed the turning points:
    what the analysts deleted is no longer known, so nothing is rejected."""
    _, _, pristine = first_run
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    exported = export_qdpx(out, tmp_path / "projet.qdpx")
    src, tps = _tp_codings(exported, "2019_peripitiesVoiture")

    def edit(root):  # the analyst deletes one moment
        c = _coding(root, src.guid, tps.iloc[0]["code_guid"], tps.iloc[0]["start"])
        c.getparent().remove(c)

    reviewed = rewrite_qdpx(exported, tmp_path / "revu.qdpx", edit)
    with Store(out) as store:
        assert [r.change for r in turning_point_reviews(reviewed, store).reviews].count("rejected") == 1
        doc_id = store.documents().set_index("path").filter(like="peripities", axis=0)["doc_id"].iloc[0]
        last = store.table("turning_points", doc_id=doc_id)["sent_id"].max()
        store.con.execute("DELETE FROM turning_points WHERE doc_id = ? AND sent_id = ?", [doc_id, int(last)])
        result = turning_point_reviews(reviewed, store)
    assert [r.change for r in result.reviews].count("rejected") == 0
    assert any("changed since this project was exported" in w and "peripitiesVoiture" in w for w in result.warnings)
    mine = [r for r in result.reviews if r.doc_id == doc_id]
    assert len(mine) == len(tps) - 1 and {r.change for r in mine} <= {"accepted", "added"}


def test_review_names_bad_or_foreign_projects(first_run, tmp_path, shared_dir):
    from narratif.cli import app

    _, out, _ = first_run
    bad = tmp_path / "casse.qdpx"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    res = CliRunner().invoke(app, ["review", str(bad), "--out", str(out)])
    assert res.exit_code == 2 and "casse.qdpx" in res.output
    # a project of another store: its sources are named and left out, nothing is recorded
    other = tmp_path / "other"
    with Store(other) as store:
        from narratif.ingest import ingest_file
        from narratif.models import Analysis

        doc = ingest_file(shared_dir / "corpora" / "parisstories" / "2022_rencontreALiege.txt")
        store.write_document(doc, Analysis(), "k")
    foreign = export_qdpx(other, tmp_path / "autre.qdpx")
    with Store(out) as store, pytest.raises(RefiError) as caught:  # nothing matches: an error naming the file
        turning_point_reviews(foreign, store)
    assert "autre.qdpx" in str(caught.value) and "2022_rencontreALiege" in str(caught.value)
    assert "not a document of this store" in str(caught.value)
