"""Turning-point typing adapted to a team's reviews.

The shipped type classifier learned what a *rencontre* or a *révélation* is from the
project's annotated stories and interviews. A team reviewing its own material draws the
lines its own way (a move that is really a decision, a discovery that is really a
problem striking). Each moment an analyst kept, retyped or added is a typed example of
the team's reading: :func:`adapt_to_reviews` adds them to the shipped examples
(``data/tp_type_examples.npz``), refits the classifier and saves the adapted model in the
project's models directory. Every later run types (and ranks by type clarity) with it, so
the documents nobody reviewed benefit too; the verdicts themselves still apply on the
reviewed documents (:mod:`narratif.turning_points.review`).

Grouped simulation on CFPP2000 material (``benchmarks/eval_tp_adaptation.py``): a base
trained without that genre types 0.42 of the passages' moments right and 0.48 of the
long interviews'; with half of the interviews reviewed, the other half's rise to
0.45 and 0.55.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

import numpy as np

from narratif.turning_points.review import KEEP, verdicts_by_sentence
from narratif.turning_points.lexicon import TYPES
from narratif.turning_points.classifier import TYPE_EXAMPLES_PATH, TurningPointModel, TypeExamples, fit_typer, load_model, weights_hash
from narratif.atomic import atomic_write

log = logging.getLogger(__name__)

#: Below this many typed verdicts, the shipped typing stays: a handful of moments would move
#: the classifier by their accidents rather than by the team's reading.
MIN_EXAMPLES = 10
#: The adapted model, under the project's models directory.
MODEL_FILE = Path("turning_points") / "model.json"


def team_model_path(models_dir: Path) -> Path:
    return Path(models_dir) / MODEL_FILE


def _read(models_dir: Path | None) -> tuple[bytes | None, str]:
    """The adapted file's bytes and digest, read once (``None, "none"`` without one)."""
    path = team_model_path(models_dir) if models_dir is not None else None
    try:
        data = path.read_bytes() if path is not None else None
    except OSError:
        data = None
    return data, (sha256(data).hexdigest()[:16] if data is not None else "none")


@lru_cache(maxsize=8)
def _parse(path: str, data: bytes, base: str) -> TurningPointModel | None:
    try:
        model = TurningPointModel.from_dict(json.loads(data))
        adapted = model.meta.get("adapted") if isinstance(model.meta, dict) else None
        from_base = adapted.get("base") if isinstance(adapted, dict) else None
    except Exception as exc:  # any broken or foreign file: the shipped model applies, the run goes on
        log.warning("%s ignored (%s): turning points are typed by the shipped model until typing is "
                    "adapted again", path, f"{type(exc).__name__}: {exc}")
        return None
    if from_base != base:
        log.warning("%s was adapted from another version of the shipped turning-point model: ignored "
                    "until typing is adapted again", path)
        return None
    return model


def team_model(models_dir: Path | None) -> tuple[TurningPointModel | None, str]:
    """The project's adapted model and its digest (SHA-256, 16 hex; for cache keys), from one
    read of the file; ``(None, "none")`` when runs use the shipped model: no file, or one that
    is unreadable or was adapted from another version of the shipped model (logged)."""
    data, digest = _read(models_dir)
    if data is None:
        return None, "none"
    model = _parse(str(team_model_path(models_dir)), data, weights_hash())
    return (model, digest) if model is not None else (None, "none")


def load_team_model(models_dir: Path | None) -> TurningPointModel | None:
    """The project's adapted model, or ``None`` (the shipped one applies)."""
    return team_model(models_dir)[0]


def team_model_digest(models_dir: Path | None) -> str:
    """The digest of the adapted model runs use, ``"none"`` when they use the shipped one."""
    return team_model(models_dir)[1]


def review_examples(store, nlp) -> tuple[TypeExamples, int]:
    """The typed examples in a store's verdicts: the features of every sentence whose verdict
    in force (the latest, as runs apply them) keeps it as a turning point, labelled with the
    analyst's type; and how many documents they come from. Verdicts given on an earlier
    version of a file count on the stored version where they land. Each reviewed document is
    parsed again from its stored text."""
    from narratif.nlp.parse import parse_document
    from narratif.turning_points.review import ReviewIndex
    from narratif.turning_points.features import narrative_units
    from narratif.turning_points.detect import TurningPointScorer
    from narratif.turning_points.classifier import unit_rows

    index = ReviewIndex(store.reviews())
    docs = store.documents()
    reviewed = docs[docs["doc_id"].isin(index.by_doc) | docs["path"].isin(index.by_path)] if not docs.empty else docs
    dense, vectors, labels, n_docs = [], [], [], 0
    for doc_id, path in sorted(zip(reviewed.get("doc_id", []), reviewed.get("path", []))):
        document = store.document(doc_id)
        if document is None or not document.ok or not document.segments:
            continue
        parsed = parse_document(nlp, document)
        rows = [(p, s, sp) for p in parsed if p.segment.role != "interviewer" for s, sp in zip(p.sentences, p.spans)]
        sentences = [s for _, s, _ in rows]
        # the verdict in force on each sentence first, then only those that keep a typed moment:
        # a later rejection overrides an earlier keep
        in_force = verdicts_by_sentence(index.for_document(doc_id, path), sentences)
        kept = {sid: r.type for sid, r in in_force.items() if r.verdict == KEEP and r.type in TYPES}
        if not kept:
            continue
        spans = [sp for _, _, sp in rows]
        units = narrative_units(spans)
        unit_of = {i: j for j, u in enumerate(units) for i in u}
        position = {s.sent_id: i for i, s in enumerate(sentences)}
        examples = [(unit_of[position[sid]], tp_type) for sid, tp_type in sorted(kept.items())]
        ur = unit_rows(spans, [p.segment.speaker for p, _, _ in rows], TurningPointScorer(), units=units,
                       needed={j for j, _ in examples})
        for j, tp_type in examples:  # two moments in one unit: two examples of it
            dense.append(ur.dense[j])
            vectors.append(ur.vectors[j])
            labels.append(tp_type)
        n_docs += 1
    if not labels:
        return TypeExamples.empty(), 0
    return TypeExamples(np.array(dense), np.array(vectors), np.array(labels, dtype=object)), n_docs


def adapt_model(base: TurningPointModel, shipped: TypeExamples, team: TypeExamples) -> TurningPointModel:
    """``base`` with its type classifier refitted on the shipped examples plus the team's,
    with the shipped regularisation."""
    params = base.meta.get("config_params") or {}
    typer = fit_typer(shipped + team, C=float(params.get("tC", 0.01)), vector_weight=float(params.get("tvw", 1.0)))
    counts = {t: int((team.labels == t).sum()) for t in TYPES if (team.labels == t).any()}
    meta = {"adapted": {"team_examples": len(team), "team_types": counts, "shipped_examples": len(shipped),
                        "base": weights_hash()},
            "config_params": params, "config": base.meta.get("config")}
    return replace(base, typing="learned", typer=typer, meta=meta)


@dataclass
class Adaptation:
    """What :func:`adapt_to_reviews` did."""

    examples: int
    documents: int
    path: Path | None  # the adapted model, or None when the shipped typing stays
    reason: str = ""

    def message(self) -> str:
        if self.path is None:
            return self.reason
        return (f"turning-point types adapted to {self.examples} reviewed moments from {self.documents} documents "
                f"({self.path}); the next run re-types every document with them")


def adapt_to_reviews(store, models_dir: Path, *, nlp=None, min_examples: int = MIN_EXAMPLES) -> Adaptation:
    """Refit turning-point typing on the store's typed verdicts and save it under ``models_dir``.

    With fewer than ``min_examples`` typed verdicts nothing is written (an adapted model
    already there stays: verdicts are only ever added). Needs the shipped model and its
    examples; without them typing is not learned and there is nothing to adapt.
    """
    base = load_model()
    if base is None or base.typer is None or not TYPE_EXAMPLES_PATH.is_file():
        return Adaptation(0, 0, None, "no learned turning-point typing ships: nothing to adapt")
    if nlp is None:  # the spaCy model the runs on this store parse with (features depend on it)
        from narratif.nlp.parse import DEFAULT_MODEL, load_nlp

        nlp = load_nlp(store.get_meta("spacy_model") or DEFAULT_MODEL)
    team, n_docs = review_examples(store, nlp)
    if len(team) < min_examples:
        return Adaptation(len(team), n_docs, None,
                          f"{len(team)} typed turning points reviewed so far: typing adapts from {min_examples} on")
    model = adapt_model(base, TypeExamples.load(TYPE_EXAMPLES_PATH), team)
    path = team_model_path(models_dir)
    atomic_write(path, model.save)  # a run reading the models directory never sees half a file
    return Adaptation(len(team), n_docs, path)


def refresh_team_typing(store, models_dir: Path | None) -> str | None:
    """Adapt typing again when the project's adapted model can no longer be used (adapted from
    another version of the shipped model, after an upgrade; or unreadable): a nightly run keeps
    the team's reading without anyone importing a review again. When that fails, the unusable
    file is set aside (``model.json.unusable``) so later runs do not try again; the shipped
    model types meanwhile. Returns what it did, or ``None`` when there was nothing to do (no
    adapted model, or a usable one: a cheap check). Never raises."""
    path = team_model_path(models_dir) if models_dir is not None else None
    if path is None or not path.is_file() or load_team_model(models_dir) is not None:
        return None
    try:
        result = adapt_to_reviews(store, models_dir)
        reason = result.reason
    except Exception as exc:  # a run must not stop here: the shipped model can type
        result, reason = None, f"{type(exc).__name__}: {exc}"
    if result is not None and result.path is not None:
        return f"turning-point typing adapted again to {result.examples} reviewed moments (the shipped model changed)"
    aside = path.with_name(path.name + ".unusable")
    try:
        path.replace(aside)
    except OSError:
        pass
    return (f"{path} could not be adapted again ({reason}); set aside as {aside.name}: the shipped model types "
            f"turning points until the next `narratif review`")
