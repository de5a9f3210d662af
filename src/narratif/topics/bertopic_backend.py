"""BERTopic over precomputed segment vectors, never loading sentence-transformers.

BERTopic is installed without torch: the embedding model handed to it is a
:class:`BackendEmbedder` (a BERTopic ``BaseEmbedder``) wrapping the project's
backend, and vectors are always passed in. UMAP has a fixed seed and HDBSCAN is
deterministic, so the same input yields the same topics.

Averaged static vectors all share a large common direction (raw cosines sit near
0.8 for any pair), so before clustering, outlier reassignment and code linking the
corpus mean and its first principal component(s) are removed (the "common
component" step of SIF embeddings, Arora et al. 2017), learned once at fit time.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from narratif.topics._numba_cache import import_umap_with_cache

import_umap_with_cache()

from bertopic import BERTopic  # noqa: E402
from bertopic.backend import BaseEmbedder  # noqa: E402
from bertopic.representation import MaximalMarginalRelevance  # noqa: E402
from bertopic.vectorizers import ClassTfidfTransformer  # noqa: E402

from narratif.embeddings import EmbeddingBackend
from narratif.topics._base import OUTLIER, TopicSettings
from narratif.topics.vocabulary import build_vectorizer, segment_vocabulary

CLUSTER, NEAREST, GUIDED = "cluster", "nearest", "guided"


class BackendEmbedder(BaseEmbedder):
    """A narratif :class:`EmbeddingBackend` seen as a BERTopic embedding model.

    ``project`` maps backend vectors into the space the topic model clusters in
    (seed words and zero-shot topics must be compared there, like segments).
    """

    def __init__(self, backend: EmbeddingBackend, project=None):
        super().__init__(embedding_model=None)
        self.backend = backend
        self.project = project

    def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
        vectors = self.backend.embed(list(documents))
        return self.project(vectors) if self.project is not None else vectors


def unit_rows(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (m / n).astype(np.float32)


def common_components(centred: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` principal directions of already centred rows (k × dim)."""
    if k <= 0 or len(centred) <= k:
        return np.zeros((0, centred.shape[1]), dtype=np.float32)
    _, _, vt = np.linalg.svd(np.asarray(centred, dtype=np.float64), full_matrices=False)
    return vt[:k].astype(np.float32)


def centroids_of(embeddings: np.ndarray, topics: np.ndarray, topic_ids: Sequence[int]) -> np.ndarray:
    """Mean embedding of each topic (rows in ``topic_ids`` order)."""
    return np.vstack([embeddings[topics == t].mean(axis=0) for t in topic_ids]).astype(np.float32)


class SegmentTopicModel:
    """BERTopic fitted on segments, with outliers reassigned to the nearest topic.

    Learned attributes: ``model_`` (the BERTopic), ``topics_`` / ``probabilities_`` /
    ``assigned_by_`` for the fitted rows, ``topic_ids_`` (internal ids, outlier excluded),
    ``mean_`` (corpus mean vector), ``components_`` (common directions removed) and
    ``centroids_`` (raw-space topic centroids).
    """

    def __init__(self, *, settings: TopicSettings | None = None, backend: EmbeddingBackend | None = None,
                 zeroshot_topic_list: list[str] | None = None, seed_topic_list: list[list[str]] | None = None):
        self.settings = settings
        self.backend = backend
        self.zeroshot_topic_list = zeroshot_topic_list
        self.seed_topic_list = seed_topic_list

    # -- construction -------------------------------------------------------------------
    def _build(self, docs: list[str]) -> BERTopic:
        from hdbscan import HDBSCAN
        from umap import UMAP

        s = self.settings or TopicSettings()
        n_docs = len(docs)
        umap_model = UMAP(n_neighbors=min(s.n_neighbors, max(2, n_docs - 1)), n_components=s.n_components,
                          min_dist=0.0, metric="cosine", random_state=s.random_state, low_memory=True,
                          n_epochs=200)  # UMAP's own choice above 10k points; 500 below costs 2.5x
        hdbscan_model = HDBSCAN(min_cluster_size=min_cluster_size(s.min_topic_size, n_docs),
                                min_samples=min(s.min_samples, min_cluster_size(s.min_topic_size, n_docs)),
                                metric="euclidean",
                                cluster_selection_method=s.cluster_selection,
                                prediction_data=True)
        kwargs = {}
        if s.guided == "zeroshot" and self.zeroshot_topic_list:
            kwargs.update(zeroshot_topic_list=self.zeroshot_topic_list,
                          zeroshot_min_similarity=s.zeroshot_min_similarity)
        elif s.guided == "seed" and self.seed_topic_list:
            kwargs.update(seed_topic_list=self.seed_topic_list)
        return BERTopic(
            language="french",
            embedding_model=BackendEmbedder(self.backend, self._centred) if self.backend else None,
            umap_model=umap_model, hdbscan_model=hdbscan_model,
            vectorizer_model=build_vectorizer(ngram_max=s.ngram_max, vocabulary=segment_vocabulary(
                docs, ngram_max=s.ngram_max, min_df=min(s.min_df, max(1, n_docs // 100)), max_df=s.max_df)),
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True, bm25_weighting=s.bm25_weighting),
            representation_model=(MaximalMarginalRelevance(diversity=s.mmr_diversity, top_n_words=s.top_n_words)
                                  if s.mmr_diversity is not None and self.backend else None),
            top_n_words=s.top_n_words, calculate_probabilities=False, verbose=False, **kwargs,
        )

    # -- fitting ------------------------------------------------------------------------
    def fit(self, docs: Sequence[str], embeddings: np.ndarray) -> "SegmentTopicModel":
        s = self.settings or TopicSettings()
        if s.cluster_selection not in ("eom", "leaf"):
            raise ValueError(f"cluster_selection must be 'eom' or 'leaf', not {s.cluster_selection!r}")
        if s.guided not in (None, "zeroshot", "seed"):
            raise ValueError(f"guided must be None, 'zeroshot' or 'seed', not {s.guided!r}")
        docs = list(docs)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if len(docs) != len(embeddings):
            raise ValueError(f"{len(docs)} docs but {len(embeddings)} embeddings")
        self.mean_ = embeddings.mean(axis=0)
        self.components_ = common_components(embeddings - self.mean_, s.remove_components)
        self.model_ = self._build(docs)
        topics, probs = self.model_.fit_transform(docs, embeddings=self._centred(embeddings))
        topics = np.asarray(topics, dtype=np.int64)
        probs = np.asarray(probs if probs is not None else np.ones(len(docs)), dtype=np.float64)
        if probs.ndim == 2:
            probs = probs.max(axis=1)
        self.topic_ids_ = sorted(int(t) for t in set(topics.tolist()) if t != OUTLIER)
        assigned_by = np.where(topics == OUTLIER, None, CLUSTER).astype(object)
        if self.topic_ids_:
            self.centroids_ = centroids_of(embeddings, topics, self.topic_ids_)
            new, sims = self._nearest(embeddings, topics == OUTLIER, topics)
            moved = new != topics
            topics, probs = new, np.where(moved, sims, probs)
            assigned_by[moved] = NEAREST
            self.model_.update_topics(docs, topics=topics.tolist(), top_n_words=s.top_n_words,
                                      vectorizer_model=self.model_.vectorizer_model,
                                      ctfidf_model=self.model_.ctfidf_model,
                                      representation_model=self.model_.representation_model)
            self.centroids_ = centroids_of(embeddings, topics, self.topic_ids_)
            self._sync_topic_embeddings(topics)
        else:
            self.centroids_ = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
        self.topics_, self.probabilities_, self.assigned_by_ = topics, probs, assigned_by
        return self

    def _sync_topic_embeddings(self, topics: np.ndarray) -> None:
        """BERTopic's topic embeddings = our centroids (outlier row first when present)."""
        rows = list(self.centroids_)
        if (topics == OUTLIER).any():
            rows.insert(0, self.mean_)
        self.model_.topic_embeddings_ = np.vstack(rows)

    def _centred(self, m: np.ndarray) -> np.ndarray:
        """Rows without the corpus mean and common components, unit length."""
        x = np.asarray(m, dtype=np.float32) - self.mean_
        u = getattr(self, "components_", None)
        if u is not None and len(u):
            x = x - (x @ u.T) @ u
        return unit_rows(x)

    def _nearest(self, embeddings: np.ndarray, mask: np.ndarray,
                 current: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Topics for rows in ``mask``: nearest centroid when cosine ≥ threshold; other rows keep ``current``."""
        s = self.settings or TopicSettings()
        topics = np.full(len(embeddings), OUTLIER, dtype=np.int64) if current is None else current.copy()
        sims = np.zeros(len(embeddings), dtype=np.float64)
        idx = np.flatnonzero(mask)
        if len(idx) and len(self.topic_ids_):
            sim = self._centred(embeddings[idx]) @ self._centred(self.centroids_).T
            best = sim.argmax(axis=1)
            best_sim = sim[np.arange(len(idx)), best]
            ok = best_sim >= s.outlier_threshold
            topics[idx[ok]] = np.asarray(self.topic_ids_)[best[ok]]
            sims[idx] = best_sim
        return topics, sims

    # -- assignment ---------------------------------------------------------------------
    def transform(self, docs: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(topics, probabilities, assigned_by) for unseen segments: clusters first, then centroids."""
        docs = list(docs)
        embeddings = np.asarray(embeddings, dtype=np.float32)
        n = len(docs)
        if n == 0 or not self.topic_ids_:
            return (np.full(n, OUTLIER, dtype=np.int64), np.zeros(n), np.full(n, None, dtype=object))
        topics, probs = self.model_.transform(docs, embeddings=self._centred(embeddings))
        topics = np.asarray(topics, dtype=np.int64)
        probs = np.asarray(probs if probs is not None else np.ones(n), dtype=np.float64)
        if probs.ndim == 2:
            probs = probs.max(axis=1)
        assigned_by = np.where(topics == OUTLIER, None, CLUSTER).astype(object)
        new, sims = self._nearest(embeddings, topics == OUTLIER, topics)
        moved = new != topics
        assigned_by[moved] = NEAREST
        return np.where(moved, new, topics), np.where(moved, sims, probs), assigned_by

    # -- reading ------------------------------------------------------------------------
    def topic_terms(self, topic_id: int) -> list[tuple[str, float]]:
        terms = self.model_.get_topic(topic_id) or []
        return [(w, float(v)) for w, v in terms if w]

    def centred_centroids(self) -> np.ndarray:
        return self._centred(self.centroids_)

    def centred(self, embeddings: np.ndarray) -> np.ndarray:
        return self._centred(embeddings)


def min_cluster_size(min_topic_size: int, n_docs: int) -> int:
    """The smallest topic, scaled down on small corpora (a dozen interviews still show several topics).

    ``min_topic_size`` applies from about 1,000 fitting units up; below, a topic needs
    about 4 % of the units, and never fewer than 4.
    """
    return max(4, min(min_topic_size, n_docs // 25))
