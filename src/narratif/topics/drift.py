"""When new material has drifted away from the fitted topic model.

Later runs assign new segments to the saved topics (no refit: ids and topics stay put).
That is right while the new interviews talk about what the model was fitted on; it stops
being right when the corpus has grown well past the fit, or when the new material falls
outside every topic far more often than the fitted material did. Both are measured on
the store after each update, against the documents the model was fitted on:

- **growth**: narrated segments now / segments of the fitted documents;
- **novelty**: the outlier share of segments from documents added since the fit, against
  the outlier share of the fitted documents' segments (over at least ``min_new`` new
  segments, so a single short interview does not decide).

A run refits (ids mapped to the previous ones, as ``--refit-topics`` does) when growth
reaches ``max_growth`` or novelty exceeds the fit's share by ``max_outlier_gap``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from narratif.topics._base import OUTLIER

FIT_DOCS_KEY = "topics:fit_documents"


@dataclass(frozen=True)
class DriftPolicy:
    max_growth: float = 1.5
    min_new: int = 200
    max_outlier_gap: float = 0.15


@dataclass(frozen=True)
class TopicDrift:
    n_fit_segments: int
    n_new_segments: int
    growth: float
    outliers_fit: float
    outliers_new: float
    refit: bool
    reason: str

    @property
    def message(self) -> str:
        return (f"topic drift: {self.n_new_segments} segments since the fit ({self.growth:.2f}x the fitted corpus), "
                f"outliers {self.outliers_new:.1%} among them against {self.outliers_fit:.1%} in the fit"
                + (f"; refitted ({self.reason})" if self.refit else ""))


def record_fit(store) -> None:
    """Remember which documents the model was just fitted on."""
    docs = sorted(set(store.table("segment_topics")["doc_id"])) if store.has_table("segment_topics") else []
    store.set_meta(FIT_DOCS_KEY, json.dumps(docs))


def measure_drift(store, policy: DriftPolicy | None = None) -> TopicDrift | None:
    """Drift of the current assignments from the fit (``None``: nothing to compare)."""
    policy = policy or DriftPolicy()
    if not store.has_table("segment_topics"):
        return None
    assigned = store.table("segment_topics")
    known = store.get_meta(FIT_DOCS_KEY)
    if known is None:  # fitted before drift was measured: count from now on
        record_fit(store)
        return None
    fit_docs = set(json.loads(known))
    in_fit = assigned["doc_id"].isin(fit_docs)
    fit, new = assigned[in_fit], assigned[~in_fit]
    if fit.empty:
        return None
    growth = len(assigned) / len(fit)
    outliers_fit = float((fit["topic_id"] == OUTLIER).mean())
    outliers_new = float((new["topic_id"] == OUTLIER).mean()) if len(new) else 0.0
    reason = ""
    if growth >= policy.max_growth:
        reason = f"the corpus grew {growth:.2f}x since the fit (threshold {policy.max_growth}x)"
    elif len(new) >= policy.min_new and outliers_new - outliers_fit > policy.max_outlier_gap:
        reason = (f"new segments are outliers {outliers_new - outliers_fit:+.1%} more often than fitted ones "
                  f"(threshold {policy.max_outlier_gap:+.0%})")
    return TopicDrift(len(fit), len(new), round(growth, 3), round(outliers_fit, 4), round(outliers_new, 4),
                      bool(reason), reason)
