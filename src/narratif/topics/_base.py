"""The topic-model backend: the swappable part of the topic stage (BERTopic's ``backend/_base.py`` pattern).

A backend clusters units (windows of talk) given their texts and vectors, names
what it learned in a :class:`TopicState`, and assigns unseen units. Everything
else (windows, stable ids, code links, labels, tables, drift) is built on the
state, so it works for any backend and never reads a library's private parts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from narratif.topics.space import CommonSpace

#: How a unit got its topic: in a cluster, or moved from the outliers to its nearest centroid.
CLUSTER, NEAREST = "cluster", "nearest"


@dataclass
class TopicState:
    """What a fitted backend learned, as plain arrays and dicts (saved with the model)."""

    #: the fit's own topic ids (outlier excluded), in a fixed order
    topic_ids: list[int]
    #: raw-space centroid per topic (rows in ``topic_ids`` order)
    centroids: np.ndarray
    #: the common space: corpus mean and common directions removed before clustering
    mean: np.ndarray
    components: np.ndarray
    #: fit id -> [(term, c-TF-IDF weight)], best first
    terms: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    #: fit id -> index of the zero-shot text (codebook code) that seeded the topic
    guided: dict[int, int] = field(default_factory=dict)

    @property
    def space(self) -> CommonSpace:
        return CommonSpace.from_state(self.mean, self.components)

    def centred_centroids(self) -> np.ndarray:
        return self.space.transform(self.centroids)

    def term_weights(self) -> list[dict[str, float]]:
        """Term -> weight per topic, in ``topic_ids`` order (what stable ids compare)."""
        return [dict(self.terms.get(t, [])) for t in self.topic_ids]


class TopicBackend(ABC):
    """A topic model over precomputed unit vectors.

    ``fit`` learns from units and sets, one entry per unit, ``topics_``,
    ``probabilities_`` and ``assigned_by_`` (:data:`CLUSTER`, :data:`NEAREST` or
    None for outliers), plus ``topic_ids_``; ``get_state`` says what was learned.
    """

    #: name recorded in the model manifest, to load the right class
    name: str = ""

    @abstractmethod
    def fit(self, docs: Sequence[str], embeddings: np.ndarray) -> "TopicBackend":
        """Learn topics from unit texts (for terms) and vectors (for clusters)."""

    @abstractmethod
    def get_state(self) -> TopicState:
        """What the fit learned (ids, centroids, space, terms, guided codes)."""

    @abstractmethod
    def transform(self, docs: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(topics, probabilities, assigned_by) for unseen units."""

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write what ``load`` needs beyond the state into ``folder``."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, state: TopicState, **kwargs) -> "TopicBackend":
        """A fitted backend from ``folder`` and its saved state."""

    # -- shared by every backend ----------------------------------------------------------
    def centred(self, embeddings: np.ndarray) -> np.ndarray:
        """Vectors in the space the topics were fitted in."""
        return self.get_state().space.transform(embeddings)

    def centred_centroids(self) -> np.ndarray:
        return self.get_state().centred_centroids()

    def topic_terms(self, topic_id: int) -> list[tuple[str, float]]:
        return list(self.get_state().terms.get(topic_id, []))
