"""Validation samples: stratified probability samples with known inclusion probabilities.

A sample for *estimation* is drawn without replacement within strata — the unit's
strongest predicted code (or « aucun »), crossed with a group attribute when asked — so
every code's predicted and unpredicted units are reviewed, with n_h ∝ √N_h (square-root
allocation: a compromise between proportional allocation, best for the corpus figures, and
equal allocation, best for rare codes), at least two per stratum when the sample allows.
A second sample is drawn among the units not yet sampled: within a stratum the union of the
two is again a simple random sample, so each unit's inclusion probability is
1 − Π_draws (1 − n_h/N_h) and the weights of the combined sample are exact.

A sample for *training* takes the units the coder is least sure of (smallest margin between
its two strongest codes). Those units have no known inclusion probability, so their verdicts
are **excluded** from the estimates — weighting them is impossible — and only they feed
``narratif train`` (training on the estimation sample would make the coder look better on
exactly the units that measure it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from narratif.validation.units import UnitFrame

ESTIMATION, TRAINING = "estimation", "training"
PURPOSES = (ESTIMATION, TRAINING)
TRAINING_STRATUM = "formation"


def strata_of(frame: UnitFrame, by: str | None) -> pd.Series:
    """Each unit's stratum: its strongest predicted code, crossed with ``by``'s group."""
    top = frame.units["top"].astype(str)
    if not by:
        return top
    group = frame.units[by].astype("string").fillna("(vide)")
    return top + " | " + by + "=" + group


def allocate(sizes: pd.Series, n: int, minimum: int = 2) -> pd.Series:
    """n_h ∝ √N_h, at least ``minimum`` (or N_h) per stratum when n allows, never above N_h."""
    sizes = sizes[sizes > 0]
    n = int(min(n, sizes.sum()))
    alloc = pd.Series(0, index=sizes.index, dtype=int)
    if n <= 0:
        return alloc
    floor = np.minimum(sizes, minimum)
    if floor.sum() <= n:
        alloc = floor.astype(int)
    root = np.sqrt(sizes.astype(float))
    while alloc.sum() < n:
        room = alloc < sizes
        target = n * root / root[room].sum()
        gap = (target - alloc).where(room, -np.inf)
        alloc[gap.idxmax()] += 1
    return alloc


@dataclass
class Draw:
    """A drawn sample: its record and its units (as stored)."""

    sample: dict
    units: pd.DataFrame


def _unit_rows(frame: UnitFrame, idx: np.ndarray, sample_id: str, stratum, probability) -> pd.DataFrame:
    u = frame.units.loc[idx]
    pred = frame.predicted.loc[idx]
    predicted = [",".join(c for c in frame.codes if row[c]) for _, row in pred.iterrows()]
    return pd.DataFrame({
        "sample_id": sample_id, "unit_id": u["unit_id"].to_numpy(), "unit": frame.unit,
        "doc_id": u["doc_id"].to_numpy(), "path": u["path"].to_numpy(),
        "seg_id": u["seg_id"].astype("Int64").to_numpy(), "sent_id": pd.array(u["sent_id"], dtype="Int64"),
        "text": u["text"].to_numpy(), "stratum": np.asarray(stratum, dtype=object),
        "probability": np.asarray(probability, dtype=float), "predicted": predicted})


def draw(frame: UnitFrame, n: int, *, sample_id: str, purpose: str = ESTIMATION, by: str | None = None,
         seed: int, already: set[str] = frozenset(), codebook_fingerprint: str = "") -> Draw:
    """Draw ``n`` units among those not in ``already`` (unit ids)."""
    from narratif._version import __version__

    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}; one of {PURPOSES}")
    if by and by not in frame.units.columns:
        raise ValueError(f"--by {by!r} is not a grouping attribute of these documents; "
                         f"available: {', '.join(frame.attributes) or 'none'}")
    free = ~frame.units["unit_id"].isin(already).to_numpy()
    rng = np.random.default_rng(seed)
    design: dict[str, list[int]] = {}
    if purpose == ESTIMATION:
        strata = strata_of(frame, by)
        sizes = strata[free].value_counts().sort_index()
        alloc = allocate(sizes, n)
        picked, stratum, prob = [], [], []
        for h, k in alloc.items():
            pool = np.flatnonzero(free & (strata == h).to_numpy())
            design[h] = [int(len(pool)), int(k)]
            if k:
                chosen = np.sort(rng.choice(pool, size=int(k), replace=False))
                picked.extend(frame.units.index[chosen])
                stratum += [h] * int(k)
                prob += [k / len(pool)] * int(k)
    else:
        order = np.lexsort((rng.random(len(frame.units)), frame.units["uncertainty"].to_numpy()))
        picked = [frame.units.index[i] for i in order if free[i]][:n]
        stratum, prob = [TRAINING_STRATUM] * len(picked), [np.nan] * len(picked)
    units = _unit_rows(frame, np.asarray(picked, dtype=int), sample_id, stratum, prob)
    sample = {"sample_id": sample_id, "purpose": purpose, "unit": frame.unit, "by_attribute": by, "seed": int(seed),
              "n": len(units), "drawn_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "narratif_version": __version__, "codebook": codebook_fingerprint,
              "design": json.dumps(design, ensure_ascii=False)}
    return Draw(sample, units)


def inclusion_probabilities(frame: UnitFrame, samples: pd.DataFrame) -> np.ndarray:
    """Each unit's probability of being in at least one estimation sample of this kind of unit:
    1 − Π_draws (1 − n_h/N_h), with h the unit's stratum under each draw's stratification
    (0 for a unit in no stratum a draw knew)."""
    never = np.ones(len(frame.units))
    est = samples[(samples["purpose"] == ESTIMATION) & (samples["unit"] == frame.unit)]
    for row in est.itertuples(index=False):
        design = json.loads(row.design or "{}")
        by = row.by_attribute if isinstance(row.by_attribute, str) and row.by_attribute in frame.units else None
        rate = {h: (k / N if N else 0.0) for h, (N, k) in design.items()}
        p = strata_of(frame, by).map(rate).fillna(0.0).to_numpy(dtype=float)
        never *= 1 - p
    return 1 - never
