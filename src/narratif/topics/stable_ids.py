"""Topic ids that survive a refit, so theme summaries keep their references.

After a refit, each new topic is matched one-to-one with an old one (Hungarian
assignment on the mean of centroid cosine and c-TF-IDF term-weight cosine). A
match at or above the threshold keeps the old id; other new topics get fresh
ids, never reusing one that vanished.
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


def match_ids(old: TopicProfile, new_internal: TopicProfile, *, threshold: float,
              next_id: int) -> tuple[dict[int, int], dict[int, int], int]:
    """Stable ids for the new topics.

    ``new_internal.ids`` are the fit's own ids. Returns (internal -> stable id,
    old id -> the id it keeps, next free id).
    """
    sim = similarity_matrix(old, new_internal)
    mapping: dict[int, int] = {}
    kept: dict[int, int] = {}
    if sim.size:
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows, cols):
            if sim[r, c] >= threshold:
                mapping[new_internal.ids[c]] = old.ids[r]
                kept[old.ids[r]] = old.ids[r]
    next_id = max([next_id, *(i + 1 for i in old.ids)])
    for tid in new_internal.ids:  # fit ids are ordered by size: larger topics get lower fresh ids
        if tid not in mapping:
            mapping[tid] = next_id
            next_id += 1
    return mapping, kept, next_id
