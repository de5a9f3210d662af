"""Fitting the topic model on windows of talk, and giving its topics stable ids.

The fit merges consecutive narrator segments into windows (a lone "oui oui" has
no topic; the conversation around it does), fits the backend on the windows long
enough to carry a topic, assigns the other windows to it, labels each topic by
its most distinctive lemmas and notes the fit's own drift reference. Stable ids
then follow the previous fit's topics (see :mod:`.stable_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from narratif.embeddings import EmbeddingBackend
from narratif.topics import drift
from narratif.topics._base import TopicBackend
from narratif.topics.assign import Assignment, assign_units
from narratif.topics.bertopic_backend import BERTopicBackend
from narratif.topics.corpus import windowed_units
from narratif.topics.labels import topic_labels
from narratif.topics.linking import CodeProfile, seed_words
from narratif.topics.settings import TopicSettings
from narratif.topics.space import OUTLIER
from narratif.topics.stable_ids import TopicProfile, match_ids, member_jaccard
from narratif.topics.vocabulary import french_stop_words


@dataclass
class FitOutcome:
    """A fresh fit: the model, per-segment topics (fit ids), labels (fit ids), drift reference."""

    model: TopicBackend
    assignment: Assignment
    labels: dict[int, list[str]]
    reference: dict


def fit_topics(segs: pd.DataFrame, term_docs: list[str], embeddings: np.ndarray,
               embed: Callable[[list[str]], np.ndarray], *, settings: TopicSettings, backend: EmbeddingBackend,
               codebook=None, profile: CodeProfile | None = None, lemmatiser=None) -> FitOutcome:
    """Fit on every window of ``segs`` long enough, assign the rest; one topic per segment."""
    s = settings
    units = windowed_units(segs, np.arange(len(segs)), window_words=s.window_words, min_words=s.min_words,
                           min_content_words=s.min_content_words, term_docs=term_docs, embeddings=embeddings,
                           embed=embed)
    model = BERTopicBackend(
        settings=s, backend=backend,
        zeroshot_topic_list=profile.texts if profile is not None and s.guided == "zeroshot" else None,
        seed_topic_list=seed_words(codebook, set(french_stop_words())) if s.guided == "seed" else None,
    )
    fit_idx, left_out = fit_sample(np.flatnonzero(units.fit), s.max_fit_units, s.random_state)
    fit_texts = [units.texts[i] for i in fit_idx]
    model.fit(fit_texts, units.vectors[fit_idx])
    per_unit = Assignment.empty(len(units.texts))
    per_unit.put(fit_idx, Assignment(model.topics_, model.probabilities_, model.assigned_by_))
    rest = np.union1d(np.flatnonzero(~units.fit & units.content), left_out)
    assign_units(model, units, rest, per_unit)
    state = model.get_state()
    labels = (topic_labels(fit_texts, model.topics_, state.topic_ids, lemmatiser, n_words=s.label_words,
                           max_df=s.label_max_df) if lemmatiser is not None else {})
    reference = drift.reference(units.vectors[fit_idx], state.centroids, state.topic_ids)
    per_segment = Assignment(per_unit.topics[units.window], per_unit.probs[units.window],
                             per_unit.assigned_by[units.window])
    return FitOutcome(model=model, assignment=per_segment, labels=labels, reference=reference)


def fit_sample(fit_idx: np.ndarray, cap: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(windows the model is fitted on, fittable windows left to assignment): all of them up to
    ``cap``, else a seeded random sample of ``cap`` in corpus order."""
    if cap is None or len(fit_idx) <= cap:
        return fit_idx, fit_idx[:0]
    keep = np.sort(np.random.default_rng(seed).choice(len(fit_idx), size=cap, replace=False))
    mask = np.zeros(len(fit_idx), dtype=bool)
    mask[keep] = True
    return fit_idx[mask], fit_idx[~mask]


def stable_id_map(model: TopicBackend, topics: np.ndarray, previous, old_topics: np.ndarray | None, *,
                  settings: TopicSettings) -> tuple[dict[int, int], dict[int, int], int]:
    """(fit id -> stable id, old id -> id it keeps, next free id) for a fresh fit.

    ``previous`` is :func:`.persist.previous_topics` (None on a first fit);
    ``old_topics`` the stable id each segment had before (−1 for none), row-aligned
    with ``topics`` (this fit's ids per segment).
    """
    state = model.get_state()
    if previous is None:
        return {t: t for t in state.topic_ids}, {}, max(state.topic_ids, default=-1) + 1
    old_ids, old_state, next_id = previous
    space = state.space if old_state.centroids.shape[1:] == state.centroids.shape[1:] else old_state.space
    old = TopicProfile(ids=old_ids, centroids=space.transform(old_state.centroids) if old_ids else old_state.centroids,
                       terms=old_state.term_weights())
    new = TopicProfile(ids=list(state.topic_ids), centroids=state.centred_centroids(), terms=state.term_weights())
    members = None
    if old_topics is not None and len(old_topics) == len(topics):
        members = member_jaccard(old_ids, old_topics, new.ids, topics)
    return match_ids(old, new, threshold=settings.match_threshold, next_id=next_id, members=members,
                     member_threshold=settings.member_match_threshold)


def old_segment_topics(previous: pd.DataFrame | None, segs: pd.DataFrame) -> np.ndarray | None:
    """The stable topic each of ``segs`` had in the stored table (−1 when none), or None without a table."""
    if previous is None or previous.empty:
        return None
    keyed = segs[["doc_id", "seg_id"]].merge(previous[["doc_id", "seg_id", "topic_id"]], on=["doc_id", "seg_id"],
                                             how="left")
    return keyed["topic_id"].fillna(OUTLIER).to_numpy(dtype=np.int64)
