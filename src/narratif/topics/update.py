"""``update_topics``: the corpus-level topic stage the pipeline calls after each run.

First run (or ``refit``): merge consecutive narrator segments into windows of
talk (a lone "oui oui" has no topic; the conversation around it does), fit on the
windows, assign each segment its window's topic, give topics stable ids
(matched to the previous fit's ids when there is one).
Later runs: load the saved model and assign only segments not yet assigned, so
topics and their ids do not move while monographs keep arriving.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from narratif.embeddings import EmbeddingBackend, select_backend
from narratif.store import Store
from narratif.topics import persist
from narratif.topics._base import (OUTLIER, SEGMENT_TOPICS_COLUMNS, TOPICS_BY_ATTRIBUTE_COLUMNS, TOPICS_COLUMNS,
                    TOPICS_OVER_TIME_COLUMNS, TopicSettings, TopicsResult, empty_table)
from narratif.topics.bertopic_backend import SegmentTopicModel
from narratif.topics.corpus import EmbeddingCache, embed_segments, load_segments, narrative_windows
from narratif.topics.linking import code_profile, link_topics, seed_words
from narratif.topics.stable_ids import TopicProfile, match_ids
from narratif.topics.tables import (date_attribute, segment_topics_table, topics_by_attribute, topics_over_time,
                     topics_table)
from narratif.topics.vocabulary import french_stop_words, lemmatise, strip_markup

log = logging.getLogger(__name__)

#: Fewer fit segments than this and no topic model is fitted.
MIN_SEGMENTS_TO_FIT = 30
TABLES = ("topics", "segment_topics", "topics_by_attribute", "topics_over_time")


def _default_codebook():
    try:
        from narratif.codebook import load_codebook
    except ImportError:  # codebook module not available: topics are simply not linked
        return None
    return load_codebook(None)


def _term_docs(texts: list[str], settings: TopicSettings, backend: EmbeddingBackend) -> list[str]:
    cleaned = [strip_markup(t) for t in texts]
    if not settings.lemmatize:
        return cleaned
    nlp = getattr(backend, "nlp", None)
    if nlp is None:
        from narratif.nlp.parse import load_nlp

        nlp = load_nlp()
    return lemmatise(cleaned, nlp)


def _windowed(segs, rows: np.ndarray, settings: TopicSettings, term_docs: list[str], embeddings: np.ndarray | None,
              embed=None) -> tuple[np.ndarray, list[str], np.ndarray | None, np.ndarray, np.ndarray]:
    """Windows over ``segs`` rows ``rows``: (window of each row, term texts, vectors, fit mask, has content).

    A window's vector embeds its whole text with ``embed`` (averaging normalised
    segment vectors instead blurs the clusters); one-segment windows reuse the
    segment vectors.
    """
    sub = segs.iloc[rows]
    win = narrative_windows(sub, min_words=settings.window_words)
    n = int(win.max()) + 1 if len(win) else 0
    parts: list[list[str]] = [[] for _ in range(n)]
    raw: list[list[str]] = [[] for _ in range(n)]
    for w, i, text in zip(win, rows, sub["text"]):
        parts[w].append(term_docs[i])
        raw[w].append(text)
    words = np.bincount(win, weights=sub["n_words"].to_numpy(float), minlength=n)
    content = np.bincount(win, weights=sub["n_content"].to_numpy(float), minlength=n)
    vectors = None
    if embeddings is not None:
        one_each = n == len(rows)
        vectors = embeddings[rows] if one_each or embed is None else embed(["\n".join(r) for r in raw])
    fit = (words >= settings.min_words) & (content >= settings.min_content_words)
    return win, [" ".join(p) for p in parts], vectors, fit, content > 0


def _assign(model: SegmentTopicModel, texts: list[str], vectors: np.ndarray, idx: np.ndarray, topics: np.ndarray,
            probs: np.ndarray, assigned_by: np.ndarray) -> None:
    """Topics for units ``idx`` from the fitted model (in place)."""
    if len(idx):
        t_, p_, a_ = model.transform([texts[i] for i in idx], vectors[idx])
        topics[idx], probs[idx], assigned_by[idx] = t_, p_, a_


def _write_empty(store: Store) -> None:
    for name, cols in zip(TABLES, (TOPICS_COLUMNS, SEGMENT_TOPICS_COLUMNS, TOPICS_BY_ATTRIBUTE_COLUMNS,
                                   TOPICS_OVER_TIME_COLUMNS)):
        store.replace_table(name, empty_table(cols))


def _previous_ids(store: Store) -> set[int]:
    if not store.has_table("topics"):
        return set()
    return {int(t) for t in store.table("topics")["topic_id"]}


def update_topics(store: Store, models_dir: Path, *, codebook=None, backend=None, refit: bool = False,
                  settings: TopicSettings | None = None) -> TopicsResult:
    """Fit or extend the topic model and rewrite the topic tables. Deterministic."""
    t0 = time.perf_counter()
    settings = settings or TopicSettings()
    models_dir = Path(models_dir)
    backend = select_backend(backend if backend is not None else settings.embedding)
    result = TopicsResult(backend=backend.signature())
    previous = _previous_ids(store)
    segs = load_segments(store, min_assign_words=settings.min_assign_words)
    result.n_segments = len(segs)
    all_rows = np.arange(len(segs))
    windows, _, _, window_fit, _ = _windowed(segs, all_rows, settings, [""] * len(segs), None)
    fit_mask = window_fit[windows] if len(segs) else np.zeros(0, dtype=bool)

    corpus_fitted = hasattr(backend, "fit") and not getattr(backend, "fitted", True)
    # corpus-fitted backends (SIF, LSA) reuse what the saved model learned, or learn from these segments
    restored = corpus_fitted and not refit and persist.restore_backend(models_dir, backend)
    saved = None if refit or (corpus_fitted and not restored) else persist.load(models_dir, backend, settings)
    if corpus_fitted and saved is None:
        backend.fit(segs["text"].tolist())
    result.backend = backend.signature()
    if saved is None and window_fit.sum() < MIN_SEGMENTS_TO_FIT:
        _write_empty(store)
        result.vanished_topic_ids = sorted(previous)
        result.message = (f"too few segments to fit topics ({int(window_fit.sum())} windows of "
                          f"{settings.min_words}+ words, need {MIN_SEGMENTS_TO_FIT}); topic tables left empty")
        result.seconds = round(time.perf_counter() - t0, 3)
        return result

    embeddings, n_computed = embed_segments(segs, backend, models_dir / "embeddings")
    if n_computed:
        log.info("topics: embedded %d segments missing from the store", n_computed)
    term_docs = _term_docs(segs["text"].tolist(), settings, backend)
    window_cache = EmbeddingCache(models_dir / "embeddings", backend)
    codebook = codebook if codebook is not None else _default_codebook()
    profile = code_profile(codebook) if codebook is not None else None

    topics = np.full(len(segs), OUTLIER, dtype=np.int64)
    probs = np.zeros(len(segs))
    assigned_by = np.full(len(segs), None, dtype=object)
    if saved is None:
        result.refitted = True
        model = SegmentTopicModel(
            settings=settings, backend=backend,
            zeroshot_topic_list=profile.texts if profile and settings.guided == "zeroshot" else None,
            seed_topic_list=seed_words(codebook, set(french_stop_words())) if settings.guided == "seed" else None,
        )
        win, texts, vectors, fit, content = _windowed(segs, all_rows, settings, term_docs, embeddings,
                                                      window_cache.get_or_embed)
        w_topics = np.full(len(texts), OUTLIER, dtype=np.int64)
        w_probs, w_by = np.zeros(len(texts)), np.full(len(texts), None, dtype=object)
        fit_idx = np.flatnonzero(fit)
        model.fit([texts[i] for i in fit_idx], vectors[fit_idx])
        w_topics[fit_idx], w_probs[fit_idx], w_by[fit_idx] = model.topics_, model.probabilities_, model.assigned_by_
        _assign(model, texts, vectors, np.flatnonzero(~fit & content), w_topics, w_probs, w_by)
        topics, probs, assigned_by = w_topics[win], w_probs[win], w_by[win]
        todo = np.zeros(0, dtype=np.int64)
        result.n_fitted = int(fit_mask.sum())
        old = persist.previous_profile(models_dir)
        new_profile = TopicProfile(ids=list(model.topic_ids_), centroids=model.centred_centroids(),
                                   terms=[dict(model.topic_terms(t)) for t in model.topic_ids_])
        if old is not None:
            id_map, kept, next_id = match_ids(old[0], new_profile, threshold=settings.match_threshold,
                                              next_id=old[1])
            result.id_mapping = kept
        else:
            id_map = {t: t for t in model.topic_ids_}
            next_id = max(model.topic_ids_, default=-1) + 1
    else:
        model, id_map, next_id = saved.model, saved.id_map, saved.next_id
        inverse = {v: k for k, v in id_map.items()}
        prev = store.table("segment_topics") if store.has_table("segment_topics") else None
        done = np.zeros(len(segs), dtype=bool)
        if prev is not None and not prev.empty:
            prev = prev[prev["topic_id"].isin([OUTLIER, *inverse])]
            keyed = segs[["doc_id", "seg_id"]].merge(prev, on=["doc_id", "seg_id"], how="left")
            done = keyed["topic_id"].notna().to_numpy()
            topics[done] = [inverse.get(int(t), OUTLIER) for t in keyed.loc[done, "topic_id"]]
            probs[done] = keyed.loc[done, "probability"].to_numpy(dtype=float)
            assigned_by[done] = keyed.loc[done, "assigned_by"].to_numpy(dtype=object)
        todo = np.flatnonzero(~done)
        result.n_fitted = int(saved.manifest.get("n_fitted", 0))
    result.n_new_segments = len(todo)
    if len(todo):  # new segments: windows of their own, assigned to the saved topics
        win, texts, vectors, _, content = _windowed(segs, todo, settings, term_docs, embeddings,
                                                    window_cache.get_or_embed)
        w_topics = np.full(len(texts), OUTLIER, dtype=np.int64)
        w_probs, w_by = np.zeros(len(texts)), np.full(len(texts), None, dtype=object)
        _assign(model, texts, vectors, np.flatnonzero(content), w_topics, w_probs, w_by)
        topics[todo], probs[todo], assigned_by[todo] = w_topics[win], w_probs[win], w_by[win]

    window_cache.save()
    if corpus_fitted and result.refitted:  # vectors of an older corpus fit are never read again
        for stale in window_cache.path.parent.glob("embedding_cache-*.npz"):
            if stale != window_cache.path:
                stale.unlink(missing_ok=True)
    stable = np.array([id_map.get(int(t), OUTLIER) if t != OUTLIER else OUTLIER for t in topics], dtype=np.int64)
    assign = segs[["doc_id", "seg_id", "text", "role", "n_words"]].copy()
    assign["topic_id"], assign["probability"], assign["assigned_by"] = stable, np.round(probs, 6), assigned_by

    centred = model.centred(embeddings)
    centroids = model.centred_centroids()
    links = [{}] * len(model.topic_ids_)
    if profile is not None and model.topic_ids_:
        code_vectors = model.centred(backend.embed(profile.texts))
        links = link_topics(centroids, code_vectors, profile, n_nearest=settings.n_nearest_codes,
                            emergent_threshold=settings.emergent_threshold)
    zeroshot = getattr(model.model_, "_topic_id_to_zeroshot_topic_idx", {}) or {}
    entries = []
    for i, t in enumerate(model.topic_ids_):
        guided = profile.ids[zeroshot[t]] if profile is not None and t in zeroshot else None
        entries.append({"topic_id": id_map[t], "terms": [w for w, _ in model.topic_terms(t)],
                        "centroid": centroids[i], "guided_code": guided, **links[i]})

    documents = store.documents()
    attributes = store.attribute_columns()
    store.replace_table("topics", topics_table(assign, centred, entries, n_representatives=settings.n_representatives))
    store.replace_table("segment_topics", segment_topics_table(assign))
    store.replace_table("topics_by_attribute", topics_by_attribute(assign, documents, attributes,
                                                                    max_values=settings.max_attribute_values))
    store.replace_table("topics_over_time", topics_over_time(assign, documents, date_attribute(documents, attributes)))
    if result.refitted:
        persist.save(models_dir, model, id_map=id_map, next_id=next_id, backend=backend, settings=settings,
                     n_fitted=result.n_fitted)

    current = {id_map[t] for t in model.topic_ids_}
    result.n_topics = len(current)
    result.new_topic_ids = sorted(current - previous)
    result.vanished_topic_ids = sorted(previous - current)
    result.outlier_share = round(float((stable == OUTLIER).mean()) if len(stable) else 0.0, 4)
    result.outlier_share_fitted = round(float((stable[fit_mask] == OUTLIER).mean()) if fit_mask.any() else 0.0, 4)
    result.message = (f"{result.n_topics} topics over {result.n_segments} segments "
                      f"({'refitted' if result.refitted else f'{result.n_new_segments} newly assigned'}); "
                      f"outliers {result.outlier_share:.1%} of all, {result.outlier_share_fitted:.1%} of fitted")
    result.seconds = round(time.perf_counter() - t0, 3)
    return result
