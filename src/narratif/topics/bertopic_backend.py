"""BERTopic over precomputed segment vectors, never loading sentence-transformers.

BERTopic is installed without torch: the embedding model handed to it is a
:class:`BackendEmbedder` (a BERTopic ``BaseEmbedder``) wrapping the project's
backend, and vectors are always passed in. Clustering runs in the common space
(:mod:`.space`) and on one code path on every machine (:mod:`.determinism`): UMAP
has a fixed seed and one thread, numba compiles for one pinned CPU, HDBSCAN builds
its exact minimum spanning tree in one process. Only BERTopic's public API is
read; what later steps need is kept in a :class:`~._base.TopicState`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from narratif.topics._numba_cache import import_umap_with_cache

import_umap_with_cache()

from bertopic import BERTopic  # noqa: E402
from bertopic.backend import BaseEmbedder  # noqa: E402
from bertopic.representation import MaximalMarginalRelevance  # noqa: E402
from bertopic.vectorizers import ClassTfidfTransformer  # noqa: E402

from narratif.embeddings import EmbeddingBackend  # noqa: E402
from narratif.topics._base import CLUSTER, NEAREST, TopicBackend, TopicState  # noqa: E402
from narratif.topics.determinism import single_threaded  # noqa: E402
from narratif.topics.settings import TopicSettings  # noqa: E402
from narratif.topics.space import OUTLIER, CommonSpace, centroids_of, nearest_centroid  # noqa: E402
from narratif.topics.vocabulary import build_vectorizer, segment_vocabulary  # noqa: E402

MODEL_FILE = "bertopic.pkl"


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


def min_cluster_size(min_topic_size: int, n_docs: int) -> int:
    """The smallest topic, scaled down on small corpora (a dozen interviews still show several topics).

    ``min_topic_size`` applies from about 1,000 fitting units up; below, a topic needs
    about 4 % of the units, and never fewer than 4.
    """
    return max(4, min(min_topic_size, n_docs // 25))


def _best_probabilities(probs, n: int) -> np.ndarray:
    probs = np.asarray(probs if probs is not None else np.ones(n), dtype=np.float64)
    return probs.max(axis=1) if probs.ndim == 2 else probs


class BERTopicBackend(TopicBackend):
    """BERTopic fitted on units, with outliers reassigned to the nearest topic centroid.

    Learned attributes: ``model_`` (the BERTopic), ``space_`` (:class:`~.space.CommonSpace`),
    ``topics_`` / ``probabilities_`` / ``assigned_by_`` for the fitted rows,
    ``topic_ids_`` (BERTopic's ids, outlier excluded), ``centroids_`` (raw-space
    topic centroids) and ``guided_`` (topic id -> index of its zero-shot text).
    """

    name = "bertopic"

    def __init__(self, *, settings: TopicSettings | None = None, backend: EmbeddingBackend | None = None,
                 zeroshot_topic_list: list[str] | None = None, seed_topic_list: list[list[str]] | None = None):
        self.settings = settings
        self.backend = backend
        self.zeroshot_topic_list = zeroshot_topic_list
        self.seed_topic_list = seed_topic_list

    # -- construction -------------------------------------------------------------------
    def _umap(self, centred: np.ndarray):
        from umap import UMAP

        s = self.settings or TopicSettings()
        return UMAP(n_neighbors=min(s.n_neighbors, max(2, len(centred) - 1)), n_components=s.n_components,
                    min_dist=0.0, metric="cosine", random_state=s.random_state, low_memory=True, n_jobs=1,
                    n_epochs=200)  # UMAP's own choice above 10k points; 500 below costs 2.5x

    def _hdbscan(self, n_docs: int):
        from hdbscan import HDBSCAN

        s = self.settings or TopicSettings()
        size = min_cluster_size(s.min_topic_size, n_docs)
        return HDBSCAN(min_cluster_size=size, min_samples=min(s.min_samples, size), metric="euclidean",
                       cluster_selection_method=s.cluster_selection, prediction_data=True,
                       approx_min_span_tree=False, core_dist_n_jobs=1)

    def _build(self, docs: list[str], centred: np.ndarray) -> BERTopic:
        s = self.settings or TopicSettings()
        n_docs = len(docs)
        kwargs = {}
        if s.guided == "zeroshot" and self.zeroshot_topic_list:
            kwargs.update(zeroshot_topic_list=self.zeroshot_topic_list,
                          zeroshot_min_similarity=s.zeroshot_min_similarity)
        elif s.guided == "seed" and self.seed_topic_list:
            kwargs.update(seed_topic_list=self.seed_topic_list)
        return BERTopic(
            language="french",
            embedding_model=BackendEmbedder(self.backend, self.space_.transform) if self.backend else None,
            umap_model=self._umap(centred), hdbscan_model=self._hdbscan(n_docs),
            vectorizer_model=build_vectorizer(ngram_max=s.ngram_max, vocabulary=segment_vocabulary(
                docs, ngram_max=s.ngram_max, min_df=min(s.min_df, max(1, n_docs // 100)), max_df=s.max_df)),
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True, bm25_weighting=s.bm25_weighting),
            representation_model=(MaximalMarginalRelevance(diversity=s.mmr_diversity, top_n_words=s.top_n_words)
                                  if s.mmr_diversity is not None and self.backend else None),
            top_n_words=s.top_n_words, calculate_probabilities=False, verbose=False, **kwargs,
        )

    def _validate(self, docs: list[str], embeddings: np.ndarray) -> TopicSettings:
        s = self.settings or TopicSettings()
        if s.cluster_selection not in ("eom", "leaf"):
            raise ValueError(f"cluster_selection must be 'eom' or 'leaf', not {s.cluster_selection!r}")
        if s.guided not in (None, "zeroshot", "seed"):
            raise ValueError(f"guided must be None, 'zeroshot' or 'seed', not {s.guided!r}")
        if len(docs) != len(embeddings):
            raise ValueError(f"{len(docs)} docs but {len(embeddings)} embeddings")
        return s

    # -- fitting ------------------------------------------------------------------------
    def fit(self, docs: Sequence[str], embeddings: np.ndarray) -> "BERTopicBackend":
        docs, embeddings = list(docs), np.asarray(embeddings, dtype=np.float32)
        s = self._validate(docs, embeddings)
        self.space_ = CommonSpace(s.remove_components).fit(embeddings)
        centred = self.space_.transform(embeddings)
        self.model_ = self._build(docs, centred)
        with single_threaded(s.random_state):
            topics, probs = self.model_.fit_transform(docs, embeddings=centred)
        topics = np.asarray(topics, dtype=np.int64)
        probs = _best_probabilities(probs, len(docs))
        self.guided_ = self._zeroshot_topics()
        self.topic_ids_ = sorted(int(t) for t in set(topics.tolist()) if t != OUTLIER)
        assigned_by = np.where(topics == OUTLIER, None, CLUSTER).astype(object)
        self.centroids_ = centroids_of(embeddings, topics, self.topic_ids_)
        if self.topic_ids_:
            new, sims = self._nearest(centred, topics)
            moved = new != topics
            topics, probs = new, np.where(moved, sims, probs)
            assigned_by[moved] = NEAREST
            self.model_.update_topics(docs, topics=topics.tolist(), top_n_words=s.top_n_words,
                                      vectorizer_model=self.model_.vectorizer_model,
                                      ctfidf_model=self.model_.ctfidf_model,
                                      representation_model=self.model_.representation_model)
            self.centroids_ = centroids_of(embeddings, topics, self.topic_ids_)
            self._sync_topic_embeddings(topics)
        self.topics_, self.probabilities_, self.assigned_by_ = topics, probs, assigned_by
        self.state_ = self._state()
        return self

    def _zeroshot_topics(self) -> dict[int, int]:
        """Topic id -> zero-shot text index, from BERTopic's public labels (a zero-shot topic is named by its text)."""
        if not self.zeroshot_topic_list:
            return {}
        index = {text: i for i, text in reversed(list(enumerate(self.zeroshot_topic_list)))}
        return {int(t): index[label] for t, label in self.model_.topic_labels_.items() if label in index}

    def _sync_topic_embeddings(self, topics: np.ndarray) -> None:
        """BERTopic's topic embeddings = our centroids (outlier row first when present)."""
        rows = list(self.centroids_)
        if (topics == OUTLIER).any():
            rows.insert(0, self.space_.mean_)
        self.model_.topic_embeddings_ = np.vstack(rows)

    def _nearest(self, centred: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outlier rows of ``current`` moved to their nearest centroid when close enough; cosines of those rows."""
        s = self.settings or TopicSettings()
        topics, sims = current.copy(), np.zeros(len(current))
        idx = np.flatnonzero(current == OUTLIER)
        nearest, best = nearest_centroid(centred[idx], self.space_.transform(self.centroids_), self.topic_ids_,
                                         threshold=s.outlier_threshold)
        topics[idx], sims[idx] = nearest, best
        return topics, sims

    def _state(self) -> TopicState:
        terms = {t: [(w, float(v)) for w, v in (self.model_.get_topic(t) or []) if w] for t in self.topic_ids_}
        return TopicState(topic_ids=list(self.topic_ids_), centroids=self.centroids_, mean=self.space_.mean_,
                          components=self.space_.components_, terms=terms, guided=dict(self.guided_))

    def get_state(self) -> TopicState:
        return self.state_

    # -- assignment ---------------------------------------------------------------------
    def transform(self, docs: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(topics, probabilities, assigned_by) for unseen units: clusters first, then centroids."""
        docs, n = list(docs), len(docs)
        if n == 0 or not self.topic_ids_:
            return np.full(n, OUTLIER, dtype=np.int64), np.zeros(n), np.full(n, None, dtype=object)
        centred = self.space_.transform(embeddings)
        with single_threaded((self.settings or TopicSettings()).random_state):
            topics, probs = self.model_.transform(docs, embeddings=centred)
        topics = np.asarray(topics, dtype=np.int64)
        probs = _best_probabilities(probs, n)
        assigned_by = np.where(topics == OUTLIER, None, CLUSTER).astype(object)
        new, sims = self._nearest(centred, topics)
        moved = new != topics
        assigned_by[moved] = NEAREST
        return np.where(moved, new, topics), np.where(moved, sims, probs), assigned_by

    # -- persistence --------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """BERTopic pickled without its embedding model (safetensors would drop UMAP and HDBSCAN)."""
        self.model_.save(str(Path(folder) / MODEL_FILE), serialization="pickle", save_embedding_model=False)

    @classmethod
    def load(cls, folder: Path, state: TopicState, *, settings: TopicSettings | None = None,
             backend: EmbeddingBackend | None = None) -> "BERTopicBackend":
        model = cls(settings=settings, backend=backend)
        model.space_ = state.space
        model.centroids_, model.topic_ids_, model.guided_ = state.centroids, list(state.topic_ids), dict(state.guided)
        embedder = BackendEmbedder(backend, model.space_.transform) if backend is not None else None
        model.model_ = BERTopic.load(str(Path(folder) / MODEL_FILE), embedding_model=embedder)
        model.state_ = state
        return model


#: The name this backend had before it had a base class.
SegmentTopicModel = BERTopicBackend
