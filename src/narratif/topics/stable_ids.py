"""Topic ids that survive a refit, so theme summaries keep their references.

After a refit, each new topic is matched one-to-one with an old one (Hungarian
assignment). Ids follow members: an old topic whose segments are still in the
corpus is compared with each new topic by the Jaccard index of their segments, so
a topic whose members barely changed keeps its id whatever happened to its
neighbours. An old topic none of whose segments remain is compared by the mean of
centroid cosine and c-TF-IDF term-weight cosine. A match at or above its threshold
keeps the old id; other new topics get fresh ids, never reusing one that vanished.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class TopicProfile:
    """What identifies a topic across fits."""

    ids: list[int]
    #: centred, L2-normalised centroids, one row per id
    centroids: np.ndarray
    #: term -> c-TF-IDF weight, one dict per id
    terms: list[dict[str, float]]


def _term_cosine(a: dict[str, float], b: dict[str, float]) -> float:
    common = set(a) & set(b)
    if not common:
        return 0.0
    num = sum(a[w] * b[w] for w in common)
    den = np.sqrt(sum(v * v for v in a.values())) * np.sqrt(sum(v * v for v in b.values()))
    return float(num / den) if den else 0.0


def similarity_matrix(old: TopicProfile, new: TopicProfile) -> np.ndarray:
    """Old × new similarity in [−1, 1]: mean of centroid cosine and term cosine."""
    if not old.ids or not new.ids:
        return np.zeros((len(old.ids), len(new.ids)))
    emb = old.centroids @ new.centroids.T if old.centroids.shape[1] == new.centroids.shape[1] else 0.0
    terms = np.array([[_term_cosine(a, b) for b in new.terms] for a in old.terms])
    return 0.5 * (emb + terms)


def member_jaccard(old_ids: list[int], old_topics: np.ndarray, new_ids: list[int],
                   new_topics: np.ndarray) -> np.ndarray:
    """Old × new Jaccard index of member segments (row-aligned topic arrays; −1 = no topic).

    A row of NaN marks an old topic with no member left among the segments.
    """
    old_topics, new_topics = np.asarray(old_topics), np.asarray(new_topics)
    out = np.full((len(old_ids), len(new_ids)), np.nan)
    new_masks = [new_topics == n for n in new_ids]
    for i, o in enumerate(old_ids):
        a = old_topics == o
        if not a.any():
            continue
        for j, b in enumerate(new_masks):
            out[i, j] = (a & b).sum() / max(1, (a | b).sum())
    return out


def match_ids(old: TopicProfile, new_internal: TopicProfile, *, threshold: float, next_id: int,
              members: np.ndarray | None = None,
              member_threshold: float = 0.5) -> tuple[dict[int, int], dict[int, int], int]:
    """Stable ids for the new topics.

    ``new_internal.ids`` are the fit's own ids; ``members`` (from :func:`member_jaccard`)
    decides for the old topics that still have segments. Returns (internal -> stable id,
    old id -> the id it keeps, next free id).
    """
    if threshold <= 0 or member_threshold <= 0:
        raise ValueError("match thresholds must be positive")
    sim = similarity_matrix(old, new_internal)
    score = sim / threshold  # ≥ 1: the same topic
    if members is not None and sim.size:
        has = ~np.isnan(members).all(axis=1)
        score = np.where(has[:, None], np.nan_to_num(members) / member_threshold, score)
    mapping: dict[int, int] = {}
    kept: dict[int, int] = {}
    if score.size:
        rows, cols = linear_sum_assignment(-score)
        for r, c in zip(rows, cols):
            if score[r, c] >= 1.0:
                mapping[new_internal.ids[c]] = old.ids[r]
                kept[old.ids[r]] = old.ids[r]
    next_id = max([next_id, *(i + 1 for i in old.ids)])
    for tid in new_internal.ids:  # fit ids are ordered by size: larger topics get lower fresh ids
        if tid not in mapping:
            mapping[tid] = next_id
            next_id += 1
    return mapping, kept, next_id
