"""Topic drift: new material is assigned to the fitted topics until the corpus has grown well
past the fit or falls outside the topics far more often than the fitted material."""

from __future__ import annotations

import pandas as pd

from narratif.store import Store
from narratif.topics.drift import DriftPolicy, measure_drift, record_fit


def _assign(store, rows):
    store.replace_table("segment_topics", pd.DataFrame(rows, columns=["doc_id", "seg_id", "topic_id"]))


def _rows(doc, n, outliers):
    return [(doc, i, -1 if i < outliers else i % 3) for i in range(n)]


def test_drift_is_measured_against_the_fitted_documents(tmp_path):
    with Store(tmp_path) as store:
        _assign(store, _rows("a", 100, 10) + _rows("b", 100, 10))
        assert measure_drift(store) is None  # no fit recorded yet: counting starts now
        _assign(store, _rows("a", 100, 10) + _rows("b", 100, 10) + _rows("c", 50, 5))
        drift = measure_drift(store)
        assert drift.n_fit_segments == 200 and drift.n_new_segments == 50 and not drift.refit
        assert drift.outliers_fit == drift.outliers_new == 0.1


def test_growth_and_novelty_call_for_a_refit(tmp_path):
    policy = DriftPolicy(max_growth=1.5, min_new=40, max_outlier_gap=0.15)
    with Store(tmp_path) as store:
        _assign(store, _rows("a", 100, 10))
        record_fit(store)
        _assign(store, _rows("a", 100, 10) + _rows("b", 30, 30))  # novel, but too few segments to decide
        assert not measure_drift(store, policy).refit
        _assign(store, _rows("a", 100, 10) + _rows("b", 45, 30))  # 67 % outliers against 10 %
        drift = measure_drift(store, policy)
        assert drift.refit and "outliers" in drift.reason
        _assign(store, _rows("a", 100, 10) + _rows("b", 30, 3) + _rows("c", 30, 3))  # 1.6x the fit
        drift = measure_drift(store, policy)
        assert drift.refit and "grew" in drift.reason
        record_fit(store)  # after the refit, the new documents are the fit
        assert not measure_drift(store, policy).refit
