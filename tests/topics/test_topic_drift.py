"""Drift: new material like the fitted one is assigned; material of another kind triggers a refit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from narratif.embeddings import SpacyVectors
from narratif.ingest import ingest_file
from narratif.models import Analysis
from narratif.store import Store
from narratif.topics import TopicSettings, update_topics
from narratif.topics import drift

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

#: thresholds halfway between what an interview (−0.02) and two memoir chapters (+0.53) measure
SETTINGS = TopicSettings(min_topic_size=10, drift_refit_threshold=0.3)


def test_drift_is_the_excess_of_far_units_over_the_fits_own_share():
    rng = np.random.default_rng(0)
    centroids = np.eye(4, 16)
    fitted = np.repeat(centroids, 50, axis=0) + rng.normal(scale=0.3, size=(200, 16))
    ref = drift.reference(fitted, centroids, [0, 1, 2, 3])
    assert ref["far_share"] == drift.FAR_SHARE and ref["n_units"] == 200
    like = np.repeat(centroids, 25, axis=0) + rng.normal(scale=0.3, size=(100, 16))
    unlike = rng.normal(scale=0.3, size=(100, 16)) + 3 * np.eye(16)[8]  # along a direction no topic has
    far_like, drift_like = drift.measure(like, centroids, [0, 1, 2, 3], ref)
    far_unlike, drift_unlike = drift.measure(unlike, centroids, [0, 1, 2, 3], ref)
    assert abs(drift_like) < 0.1 and drift_like == pytest.approx(far_like - drift.FAR_SHARE)
    assert far_unlike == 1.0 and drift_unlike == pytest.approx(0.9)
    assert np.isnan(drift.measure(unlike, centroids, [0, 1, 2, 3], {})[1])


def test_an_interview_is_assigned_a_memoir_makes_the_topics_refit(tmp_path, shared_dir, nlp):
    backend = SpacyVectors(nlp)
    interviews = sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))
    memoir = sorted((shared_dir / "pdfs" / "saint-simon" / "md").glob("*.md"))[1:3]
    store, models = Store(tmp_path), tmp_path / "models"
    for path in interviews[:3]:
        store.write_document(ingest_file(path, {}), Analysis(), "dev")
    first = update_topics(store, models, backend=backend, settings=SETTINGS)
    assert first.refitted and first.refit_reason == "first fit" and first.drift is None

    store.write_document(ingest_file(interviews[6], {}), Analysis(), "dev")
    second = update_topics(store, models, backend=backend, settings=SETTINGS)
    assert not second.refitted and second.n_new_segments > 0
    assert second.drift < 0.2  # measured: -0.02

    for path in memoir:
        store.write_document(ingest_file(path, {}), Analysis(), "dev")
    third = update_topics(store, models, backend=backend, settings=SETTINGS)
    assert third.refitted and third.refit_reason == "drift" and "drift" in third.message
    assert third.drift >= SETTINGS.drift_refit_threshold  # measured: 0.53
    rows = store.table("topic_drift")
    assert rows["refitted"].tolist() == [False, True] and rows["reason"].tolist() == ["", "drift"]
    assert rows["drift"].round(4).tolist() == [second.drift, third.drift]
    assert (rows["n_new_units"] >= SETTINGS.drift_min_units).all() and rows["threshold"].eq(0.3).all()

    # the refit covers the memoir; assigning it again measures nothing (no new segment)
    fourth = update_topics(store, models, backend=backend, settings=replace(SETTINGS, drift_refit_threshold=None))
    assert not fourth.refitted and fourth.n_new_segments == 0 and fourth.drift is None
    assert len(store.table("topic_drift")) == 2
