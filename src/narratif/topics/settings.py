"""Topic-stage settings (what a fit depends on) and the result one update reports."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal


@dataclass(frozen=True)
class TopicSettings:
    """Everything a topic fit depends on; stored in the model manifest.

    Defaults are tuned on the 61 CFPP2000 transcripts (≈34k narrator turns of 3+ words,
    ≈6.4k windows of 80 words); ``benchmarks/eval_topics.py`` measures them and the
    alternatives (segments as units, plain mean vectors, leaf clusters, LSA).
    """

    #: embedding backend used when ``update_topics`` is given none ("sif", "spacy", "lsa")
    embedding: str = "sif"
    #: consecutive narrator segments are merged into windows of at least this many words,
    #: fitted and assigned as one unit (1 = one segment per unit)
    window_words: int = 80
    #: principal components removed after the corpus mean (SIF common component)
    remove_components: int = 1
    #: units (windows) shorter than this (words) are left out of fitting, then assigned
    min_words: int = 8
    #: segments shorter than this are not assigned at all (back-channel "oui", "ah bon")
    min_assign_words: int = 3
    #: HDBSCAN ``min_cluster_size``: the smallest topic
    min_topic_size: int = 40
    #: HDBSCAN ``min_samples`` (lower = fewer outliers)
    min_samples: int = 5
    #: HDBSCAN ``cluster_selection_method``: "leaf" (the finest clusters) or "eom"; on windows
    #: "eom" sometimes keeps one root cluster holding most of the corpus
    cluster_selection: Literal["eom", "leaf"] = "leaf"
    n_neighbors: int = 15
    n_components: int = 5
    random_state: int = 42
    top_n_words: int = 10
    #: segments with fewer content words (not stop words nor fillers) are not fitted either
    min_content_words: int = 3
    #: c-TF-IDF vocabulary: n-grams up to this, found in ≥ min_df and ≤ max_df of the segments
    ngram_max: int = 1
    min_df: int = 5
    max_df: float = 0.2
    #: compute c-TF-IDF on lemmas (needs a pipeline pass: slower)
    lemmatize: bool = False
    #: BM25 weighting inside c-TF-IDF (BERTopic ``bm25_weighting``)
    bm25_weighting: bool = False
    #: re-rank top terms by maximal marginal relevance with this diversity (None = plain c-TF-IDF)
    mmr_diversity: float | None = None
    #: outliers whose cosine to the nearest topic centroid reaches this are reassigned
    outlier_threshold: float = 0.3
    n_representatives: int = 3
    n_nearest_codes: int = 3
    #: a topic whose best code similarity is below this is "emergent"
    emergent_threshold: float = 0.35
    #: guided fit seeded from the codebook: None, "zeroshot" or "seed"
    guided: Literal["zeroshot", "seed"] | None = None
    zeroshot_min_similarity: float = 0.55
    #: a refitted topic keeps an old id when they share this share (Jaccard) of their segments
    member_match_threshold: float = 0.5
    #: ... or, for an old topic none of whose segments remain, when the mean of centroid and
    #: keyword cosines reaches this
    match_threshold: float = 0.5
    #: words in a topic label (its most distinctive lemmas)
    label_words: int = 4
    #: lemmas found in more than this share of the fitted units are too common to label a topic
    label_max_df: float = 0.15
    #: the fit sees at most this many windows (a seeded random sample; the others are assigned
    #: to its topics): UMAP and HDBSCAN's memory and time stay bounded on a corpus ten times
    #: CFPP2000 (~64k windows); CFPP2000 itself (~6.4k) is fitted whole. Not part of
    #: :meth:`fit_signature`: a model fitted on every window stays valid.
    max_fit_units: int | None = 20_000
    #: new segments are assigned to the saved topics; a refit happens when their drift
    #: (see :mod:`.drift`) reaches this (None: only when asked)
    drift_refit_threshold: float | None = 0.6
    #: drift is measured once at least this many new units arrived
    drift_min_units: int = 30
    #: attributes with more distinct values than this are binned (numbers) or skipped
    max_attribute_values: int = 30

    def fit_signature(self) -> str:
        """Hash of the settings that change a fit (not those that only change reporting)."""
        keys = ("window_words", "remove_components", "min_words", "min_topic_size", "min_samples",
                "cluster_selection", "n_neighbors", "n_components", "random_state", "top_n_words", "ngram_max",
                "min_df", "max_df", "bm25_weighting", "mmr_diversity", "min_content_words", "lemmatize", "guided",
                "zeroshot_min_similarity", "label_words", "label_max_df")
        payload = json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TopicsResult:
    """What one topic update did, for the run summary."""

    n_topics: int = 0
    n_segments: int = 0
    #: segments in the units (windows) the model was fitted on
    n_fitted: int = 0
    n_new_segments: int = 0
    outlier_share: float = 0.0
    #: outlier share among the segments long enough to be fitted
    outlier_share_fitted: float = 0.0
    refitted: bool = False
    new_topic_ids: list[int] = field(default_factory=list)
    vanished_topic_ids: list[int] = field(default_factory=list)
    #: old stable id -> id it keeps after a refit (identity for kept topics)
    id_mapping: dict[int, int] = field(default_factory=dict)
    #: how far new segments sit from the saved topics (see :mod:`.drift`); None when not measured
    drift: float | None = None
    #: why the model was refitted: "first fit", "asked", "drift", "settings changed"
    refit_reason: str = ""
    backend: str = ""
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)
