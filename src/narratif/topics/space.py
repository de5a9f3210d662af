"""The space topics live in: segment vectors without their common component, unit length.

Averaged static vectors all share a large common direction (raw cosines sit near
0.8 for any pair), so before clustering, outlier reassignment and code linking the
corpus mean and its first principal component(s) are removed (the "common
component" step of SIF embeddings, Arora et al. 2017), learned once at fit time.
Every product here runs in float64 and is rounded to float32 (see
:mod:`.determinism`), so two machines get the same numbers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from narratif.topics.determinism import round_to_float32

OUTLIER = -1


#: rows transformed at a time (the result is the same row by row: each row is its own computation)
_BLOCK_ROWS = 8192


def unit_rows(m: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    m = np.asarray(m, dtype=np.float64)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return round_to_float32(m / n)


def common_components(centred: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` principal directions of already centred rows (k × dim)."""
    if k <= 0 or len(centred) <= k:
        return np.zeros((0, centred.shape[1]), dtype=np.float32)
    _, _, vt = np.linalg.svd(np.asarray(centred, dtype=np.float64), full_matrices=False)
    return round_to_float32(vt[:k])


def centroids_of(embeddings: np.ndarray, topics: np.ndarray, topic_ids: Sequence[int]) -> np.ndarray:
    """Mean embedding of each topic (rows in ``topic_ids`` order)."""
    x = np.asarray(embeddings, dtype=np.float64)
    if not len(topic_ids):
        return np.zeros((0, x.shape[1]), dtype=np.float32)
    return round_to_float32(np.vstack([x[topics == t].mean(axis=0) for t in topic_ids]))


class CommonSpace:
    """Removes the corpus mean and ``n_components`` common directions, then normalises rows.

    Learned: ``mean_`` and ``components_`` (float32, saved with the topic model).
    """

    def __init__(self, n_components: int = 1):
        self.n_components = n_components

    def fit(self, embeddings: np.ndarray) -> "CommonSpace":
        x = np.asarray(embeddings, dtype=np.float64)
        mean = x.mean(axis=0)
        self.mean_ = round_to_float32(mean)
        self.components_ = common_components(x - self.mean_, self.n_components)
        return self

    @classmethod
    def from_state(cls, mean: np.ndarray, components: np.ndarray) -> "CommonSpace":
        space = cls(n_components=len(components))
        space.mean_, space.components_ = np.asarray(mean, np.float32), np.asarray(components, np.float32)
        return space

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        """Rows without the corpus mean and common components, unit length (float32).

        Row by row in blocks: the float64 work of a whole corpus at once (every narrator
        segment of ten times CFPP2000) held 2.3 GiB at the topic stage's peak."""
        embeddings = np.asarray(embeddings)
        out = np.empty(embeddings.shape, dtype=np.float32)
        u = np.asarray(self.components_, dtype=np.float64)
        for lo in range(0, len(embeddings), _BLOCK_ROWS):
            x = np.asarray(embeddings[lo : lo + _BLOCK_ROWS], dtype=np.float64) - self.mean_
            if len(u):
                x = x - (x @ u.T) @ u
            out[lo : lo + _BLOCK_ROWS] = unit_rows(x)
        return out


def nearest_centroid(centred: np.ndarray, centred_centroids: np.ndarray, topic_ids: Sequence[int], *,
                     threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(topic, cosine) of each row's nearest centroid; topic is the outlier below ``threshold``."""
    n = len(centred)
    if not n or not len(topic_ids):
        return np.full(n, OUTLIER, dtype=np.int64), np.zeros(n)
    sim = np.asarray(centred, np.float64) @ np.asarray(centred_centroids, np.float64).T
    best = sim.argmax(axis=1)
    best_sim = sim[np.arange(n), best]
    topics = np.where(best_sim >= threshold, np.asarray(topic_ids, dtype=np.int64)[best], OUTLIER)
    return topics.astype(np.int64), best_sim
