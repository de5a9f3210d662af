"""``update_topics``: the corpus-level topic stage the pipeline calls after each run.

First run (or ``refit``, or drift): fit on windows of talk, assign each segment
its window's topic, give topics stable ids (matched to the previous fit's ids when
there is one), label them. Later runs: load the saved model and assign only
segments not yet assigned, so topics and their ids do not move while monographs
keep arriving, unless the new material drifted away from the saved topics
(:mod:`.drift`). Each step is a function of its own: :func:`.fitting.fit_topics`,
:func:`.assign.assign_new_units`, :func:`.linking.link_to_codebook`,
:func:`.tables.write_tables`; this module only sequences them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from narratif.embeddings import EmbeddingBackend, select_backend
from narratif.nlp.parse import load_nlp
from narratif.store import Store
from narratif.topics import drift, persist
from narratif.topics.assign import Assignment, assign_new_units, previous_assignments
from narratif.topics.corpus import EmbeddingCache, embed_segments, load_segments, windowed_units
from narratif.topics.fitting import fit_topics, old_segment_topics, stable_id_map
from narratif.topics.labels import Lemmatiser
from narratif.topics.linking import CodeProfile, code_profile, link_to_codebook
from narratif.topics.settings import TopicSettings, TopicsResult
from narratif.topics.space import OUTLIER
from narratif.topics.tables import write_empty, write_tables
from narratif.topics.vocabulary import lemmatise, strip_markup

log = logging.getLogger(__name__)

#: Fewer fit segments than this and no topic model is fitted.
MIN_SEGMENTS_TO_FIT = 30


def _default_codebook():
    try:
        from narratif.codebook import load_codebook
    except ImportError:  # codebook module not available: topics are simply not linked
        return None
    return load_codebook(None)


def _nlp(backend: EmbeddingBackend):
    return getattr(backend, "nlp", None) or load_nlp()


@lru_cache(maxsize=2)
def _lemmatiser(nlp) -> Lemmatiser:
    return Lemmatiser(nlp)  # one per pipeline and process: each word form is analysed once


@dataclass
class _Run:
    """What one update works with."""

    store: Store
    models_dir: Path
    settings: TopicSettings
    backend: EmbeddingBackend
    segs: pd.DataFrame
    codebook: object
    profile: CodeProfile | None
    result: TopicsResult
    #: segments in windows long enough to be fitted on
    fit_mask: np.ndarray
    #: how many such windows
    n_fit_units: int
    corpus_fitted: bool
    previous_ids: set[int]
    previous_table: pd.DataFrame | None
    embeddings: np.ndarray | None = None
    term_docs: list[str] = field(default_factory=list)
    cache: EmbeddingCache | None = None


@dataclass
class _Outcome:
    fitted: persist.FittedTopics
    assignment: Assignment
    refitted: bool


def _start(store: Store, models_dir: Path, codebook, backend, settings: TopicSettings) -> _Run:
    backend = select_backend(backend if backend is not None else settings.embedding)
    segs = load_segments(store, min_assign_words=settings.min_assign_words)
    units = windowed_units(segs, np.arange(len(segs)), window_words=settings.window_words,
                           min_words=settings.min_words, min_content_words=settings.min_content_words,
                           term_docs=[""] * len(segs))
    codebook = codebook if codebook is not None else _default_codebook()
    previous = store.table("segment_topics") if store.has_table("segment_topics") else None
    previous_ids = {int(t) for t in store.table("topics")["topic_id"]} if store.has_table("topics") else set()
    return _Run(store=store, models_dir=Path(models_dir), settings=settings, backend=backend, segs=segs,
                codebook=codebook, profile=code_profile(codebook) if codebook is not None else None,
                result=TopicsResult(backend=backend.signature(), n_segments=len(segs)),
                fit_mask=units.fit[units.window] if len(segs) else np.zeros(0, dtype=bool),
                n_fit_units=int(units.fit.sum()),
                corpus_fitted=hasattr(backend, "fit") and not getattr(backend, "fitted", True),
                previous_ids=previous_ids, previous_table=previous)


def _load_saved(run: _Run) -> tuple[persist.FittedTopics | None, str]:
    """The saved model when it can be reused (corpus-fitted backends get its state back), and why not."""
    restored = run.corpus_fitted and persist.restore_backend(run.models_dir, run.backend)
    saved = None
    if not run.corpus_fitted or restored:
        saved = persist.load(run.models_dir, run.backend, run.settings)
    if saved is not None:
        return saved, ""
    return None, "settings changed" if persist.read_manifest(run.models_dir) else "first fit"


def _prepare_vectors(run: _Run) -> None:
    """Segment vectors (cached by content), term texts and the window-vector cache, for the backend as it is now."""
    run.embeddings, n_computed = embed_segments(run.segs, run.backend, run.models_dir / "embeddings")
    if n_computed:
        log.info("topics: embedded %d segments missing from the store", n_computed)
    cleaned = [strip_markup(t) for t in run.segs["text"]]
    run.term_docs = lemmatise(cleaned, _nlp(run.backend)) if run.settings.lemmatize else cleaned
    run.cache = EmbeddingCache(run.models_dir / "embeddings", run.backend)


def _extend(run: _Run, saved: persist.FittedTopics) -> _Outcome | None:
    """Saved topics kept, new segments assigned to them; None when their drift asks for a refit."""
    _prepare_vectors(run)
    s = run.settings
    assignment, done = previous_assignments(run.previous_table, run.segs, saved.id_map)
    todo = np.flatnonzero(~done)
    run.result.n_new_segments = len(todo)
    run.result.n_fitted = saved.n_fitted
    if len(todo):  # new segments: windows of their own, assigned to the saved topics
        units = windowed_units(run.segs, todo, window_words=s.window_words, min_words=s.min_words,
                               min_content_words=s.min_content_words, term_docs=run.term_docs,
                               embeddings=run.embeddings, embed=run.cache.get_or_embed)
        per_unit = assign_new_units(saved.model, units)
        assignment.put(todo, per_unit, units.window)
        if _drifted(run, saved, units):
            return None
    return _Outcome(fitted=saved, assignment=assignment, refitted=False)


def _drifted(run: _Run, saved: persist.FittedTopics, units) -> bool:
    """Measure how far the new units sit from the saved topics, record it, and say whether to refit."""
    s = run.settings
    fit_units = np.flatnonzero(units.fit)
    if len(fit_units) < s.drift_min_units or not saved.reference:
        return False
    state = saved.model.get_state()
    far, value = drift.measure(units.vectors[fit_units], state.centroids, state.topic_ids, saved.reference)
    if np.isnan(value):
        return False
    run.result.drift = value
    refit = s.drift_refit_threshold is not None and value >= s.drift_refit_threshold
    drift.record(run.store, n_new_units=len(fit_units), far_share=far, drift=value,
                 threshold=s.drift_refit_threshold, refitted=refit, reason="drift" if refit else "")
    return refit


def _refit(run: _Run, reason: str) -> _Outcome:
    """A fresh fit on the whole corpus, its topics given the previous fit's ids where they persist."""
    s = run.settings
    if run.corpus_fitted:  # corpus-fitted backends (SIF, LSA) learn from these segments first
        run.backend.fit(run.segs["text"].tolist())
        run.result.backend = run.backend.signature()
    _prepare_vectors(run)
    run.result.refitted, run.result.refit_reason = True, reason
    run.result.n_fitted = int(run.fit_mask.sum())
    out = fit_topics(run.segs, run.term_docs, run.embeddings, run.cache.get_or_embed, settings=s,
                     backend=run.backend, codebook=run.codebook, profile=run.profile,
                     lemmatiser=_lemmatiser(_nlp(run.backend)))
    previous = persist.previous_topics(run.models_dir)
    id_map, kept, next_id = stable_id_map(out.model, out.assignment.topics, previous,
                                          old_segment_topics(run.previous_table, run.segs), settings=s)
    if previous is not None:
        run.result.id_mapping = kept
    fitted = persist.FittedTopics(model=out.model, id_map=id_map, next_id=next_id,
                                  labels={id_map[t]: words for t, words in out.labels.items()},
                                  reference=out.reference, n_fitted=run.result.n_fitted)
    return _Outcome(fitted=fitted, assignment=out.assignment, refitted=True)


def _write(run: _Run, outcome: _Outcome) -> np.ndarray:
    """Rewrite the topic tables (and save a new fit); the stable topic id of each segment."""
    run.cache.save()
    if run.corpus_fitted and outcome.refitted:  # vectors of an older corpus fit are never read again
        for stale in run.cache.path.parent.glob("embedding_cache-*.npz"):
            if stale != run.cache.path:
                stale.unlink(missing_ok=True)
    fitted, a = outcome.fitted, outcome.assignment
    stable = np.array([fitted.id_map.get(int(t), OUTLIER) for t in a.topics], dtype=np.int64)
    assign = run.segs[["doc_id", "seg_id", "text", "role", "n_words"]].copy()
    assign["topic_id"], assign["probability"], assign["assigned_by"] = stable, np.round(a.probs, 6), a.assigned_by
    state = fitted.model.get_state()
    links = link_to_codebook(state, run.backend, run.profile, n_nearest=run.settings.n_nearest_codes,
                             emergent_threshold=run.settings.emergent_threshold)
    centroids = state.centred_centroids()
    entries = [{"topic_id": fitted.id_map[t], "terms": [w for w, _ in state.terms.get(t, [])],
                "label_words": fitted.labels.get(fitted.id_map[t], []), "centroid": centroids[i], **links[i]}
               for i, t in enumerate(state.topic_ids)]
    write_tables(run.store, assign, fitted.model.centred(run.embeddings), entries,
                 n_representatives=run.settings.n_representatives,
                 max_attribute_values=run.settings.max_attribute_values)
    if outcome.refitted:
        persist.save(run.models_dir, fitted, backend=run.backend, settings=run.settings)
    return stable


def _summarise(run: _Run, fitted: persist.FittedTopics, stable: np.ndarray, t0: float) -> TopicsResult:
    result = run.result
    current = {fitted.id_map[t] for t in fitted.model.get_state().topic_ids}
    result.n_topics = len(current)
    result.new_topic_ids = sorted(current - run.previous_ids)
    result.vanished_topic_ids = sorted(run.previous_ids - current)
    result.outlier_share = round(float((stable == OUTLIER).mean()) if len(stable) else 0.0, 4)
    fit_mask = run.fit_mask
    result.outlier_share_fitted = round(float((stable[fit_mask] == OUTLIER).mean()) if fit_mask.any() else 0.0, 4)
    how = f"refitted: {result.refit_reason}" if result.refitted else f"{result.n_new_segments} newly assigned"
    drift_note = f"; drift {result.drift:+.2f}" if result.drift is not None else ""
    result.message = (f"{result.n_topics} topics over {result.n_segments} segments ({how}{drift_note}); "
                      f"outliers {result.outlier_share:.1%} of all, {result.outlier_share_fitted:.1%} of fitted")
    result.seconds = round(time.perf_counter() - t0, 3)
    return result


def update_topics(store: Store, models_dir: Path, *, codebook=None, backend=None, refit: bool = False,
                  settings: TopicSettings | None = None) -> TopicsResult:
    """Fit or extend the topic model and rewrite the topic tables. Deterministic."""
    t0 = time.perf_counter()
    run = _start(store, models_dir, codebook, backend, settings or TopicSettings())
    saved, reason = (None, "asked") if refit else _load_saved(run)
    run.result.backend = run.backend.signature()  # a corpus-fitted backend may have its saved state back
    outcome = _extend(run, saved) if saved is not None else None
    if outcome is None:
        reason = reason or "drift"
        if run.n_fit_units < MIN_SEGMENTS_TO_FIT:
            return _too_few(run, t0)
        outcome = _refit(run, reason)
    stable = _write(run, outcome)
    return _summarise(run, outcome.fitted, stable, t0)


def _too_few(run: _Run, t0: float) -> TopicsResult:
    write_empty(run.store)
    s, result = run.settings, run.result
    result.vanished_topic_ids = sorted(run.previous_ids)
    result.message = (f"too few segments to fit topics ({run.n_fit_units} windows of "
                      f"{s.min_words}+ words, need {MIN_SEGMENTS_TO_FIT}); topic tables left empty")
    result.seconds = round(time.perf_counter() - t0, 3)
    return result
