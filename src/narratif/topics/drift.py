"""Drift: do new segments still fit the saved topics, or is it time to refit?

New material is assigned to the saved topics (ids stay put). That is right while
it talks about the same things; when it does not, the saved topics describe it
badly and a refit is due. The measure: at fit time, the cosine below which the
``FAR_SHARE`` (10 %) of fitted units farthest from their nearest centroid lie;
for new units, the share below that same cosine. Drift is the excess over 10 %:
about 0 for new interviews like the old ones, up to 0.9 for material about
something else. It is recorded in the store (``topic_drift``), one row per update.

Cosines are taken on the backend's vectors as they are (unit length), not in the
centred space the topics are clustered in: centring removes what all fitted units
share, so material of another kind (a written memoir after interviews) would all
lean one way there and look close to some topic.

Measured (spaCy vectors, windows of 80 words): with 3 CFPP2000 transcripts fitted,
two more transcripts drift −0.02 and +0.03, 8 ParisStories anecdotes +0.15, two
chapters of Saint-Simon's memoirs +0.54; with 20 transcripts fitted, 11 others
one at a time drift −0.10 to +0.53 (median +0.04; one interview can be about
its own things), ParisStories +0.19, Saint-Simon +0.82. Hence the default
threshold (``TopicSettings.drift_refit_threshold``), 0.6: an ordinary interview
never forces a refit, material of another kind does.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from narratif.store import Store
from narratif.topics.space import nearest_centroid, unit_rows

#: share of the fitted units that lie beyond the reference cosine, by construction
FAR_SHARE = 0.10
DRIFT_TABLE = "topic_drift"
DRIFT_COLUMNS = {"at": "object", "n_new_units": "int64", "far_share": "float64", "drift": "float64",
                 "threshold": "float64", "refitted": "boolean", "reason": "object"}


def nearest_cosines(vectors: np.ndarray, centroids: np.ndarray, topic_ids) -> np.ndarray:
    """Cosine of each row to its nearest topic centroid (backend space)."""
    _, sims = nearest_centroid(unit_rows(vectors), unit_rows(centroids), topic_ids, threshold=-np.inf)
    return sims


def reference(fitted: np.ndarray, centroids: np.ndarray, topic_ids) -> dict:
    """The fit's own figure: the cosine beyond which its farthest ``FAR_SHARE`` of units lie."""
    sims = nearest_cosines(fitted, centroids, topic_ids)
    if not len(sims):
        return {}
    return {"far_cosine": round(float(np.quantile(sims, FAR_SHARE)), 6), "far_share": FAR_SHARE,
            "n_units": int(len(sims))}


def measure(new: np.ndarray, centroids: np.ndarray, topic_ids, ref: dict) -> tuple[float, float]:
    """(share of new units beyond the reference cosine, drift = that share − ``FAR_SHARE``)."""
    sims = nearest_cosines(new, centroids, topic_ids)
    if not len(sims) or "far_cosine" not in ref:
        return float("nan"), float("nan")
    far = float((sims < ref["far_cosine"]).mean())
    return round(far, 4), round(far - float(ref.get("far_share", FAR_SHARE)), 4)


def record(store: Store, *, n_new_units: int, far_share: float, drift: float, threshold: float | None,
           refitted: bool, reason: str) -> None:
    """Append one row to the store's ``topic_drift`` table."""
    row = pd.DataFrame([{"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                         "n_new_units": n_new_units, "far_share": far_share, "drift": drift,
                         "threshold": np.nan if threshold is None else threshold, "refitted": refitted,
                         "reason": reason}]).astype(DRIFT_COLUMNS)
    old = store.table(DRIFT_TABLE) if store.has_table(DRIFT_TABLE) else None
    frame = row if old is None or old.empty else pd.concat([old.astype(DRIFT_COLUMNS), row], ignore_index=True)
    store.replace_table(DRIFT_TABLE, frame)
