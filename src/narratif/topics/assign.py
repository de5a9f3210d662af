"""Assigning segments to a fitted model: units of new talk, and what earlier runs assigned.

Segments are assigned through their window (a back-channel "oui" takes the topic
of the talk around it). Arrays here use the fit's own topic ids; stable ids are
applied when the tables are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from narratif.topics._base import TopicBackend
from narratif.topics.corpus import Units
from narratif.topics.space import OUTLIER


@dataclass
class Assignment:
    """Per-segment topic (fit ids), probability and how it was assigned."""

    topics: np.ndarray
    probs: np.ndarray
    assigned_by: np.ndarray

    @classmethod
    def empty(cls, n: int) -> "Assignment":
        return cls(np.full(n, OUTLIER, dtype=np.int64), np.zeros(n), np.full(n, None, dtype=object))

    def put(self, rows: np.ndarray, other: "Assignment", index: np.ndarray | None = None) -> None:
        """Copy ``other`` (or its rows ``index``) into rows ``rows``."""
        pick = slice(None) if index is None else index
        self.topics[rows] = other.topics[pick]
        self.probs[rows] = other.probs[pick]
        self.assigned_by[rows] = other.assigned_by[pick]


def assign_units(model: TopicBackend, units: Units, idx: np.ndarray, into: Assignment) -> None:
    """Topics for units ``idx`` from the fitted model (written into ``into``, indexed by unit)."""
    if len(idx):
        t, p, a = model.transform([units.texts[i] for i in idx], units.vectors[idx])
        into.put(idx, Assignment(np.asarray(t, dtype=np.int64), np.asarray(p, dtype=float), np.asarray(a, object)))


def assign_new_units(model: TopicBackend, units: Units) -> Assignment:
    """Every unit with content assigned (per unit); units with no content word stay outliers."""
    out = Assignment.empty(len(units.texts))
    assign_units(model, units, np.flatnonzero(units.content), out)
    return out


def previous_assignments(previous: pd.DataFrame | None, segs: pd.DataFrame,
                         id_map: dict[int, int]) -> tuple[Assignment, np.ndarray]:
    """What earlier runs assigned to ``segs`` (fit ids), and which rows they covered.

    Rows whose stored topic the saved model does not know (a table from another
    fit) count as not assigned.
    """
    out = Assignment.empty(len(segs))
    done = np.zeros(len(segs), dtype=bool)
    if previous is None or previous.empty or segs.empty:
        return out, done
    inverse = {v: k for k, v in id_map.items()}
    previous = previous[previous["topic_id"].isin([OUTLIER, *inverse])]
    keyed = segs[["doc_id", "seg_id"]].merge(previous, on=["doc_id", "seg_id"], how="left")
    done = keyed["topic_id"].notna().to_numpy()
    out.topics[done] = [inverse.get(int(t), OUTLIER) for t in keyed.loc[done, "topic_id"]]
    out.probs[done] = keyed.loc[done, "probability"].to_numpy(dtype=float)
    out.assigned_by[done] = keyed.loc[done, "assigned_by"].to_numpy(dtype=object)
    return out, done
