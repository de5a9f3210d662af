"""Bias-corrected shares from the coder's predictions and an analysts' probability sample.

The estimator is design-based, in the family of prediction-powered inference (PPI,
Angelopoulos et al. 2023) and design-based supervised learning (DSL, Egami et al. 2023):
the coder's prediction is used on *every* unit, and the reviewed sample, weighted by the
inverse of each unit's known inclusion probability, corrects its bias. Concretely a GREG
(model-assisted) estimator whose model is the coder's own prediction level, calibrated on
the sample: for a code, each level (strongest code of the unit, applied, another code
applied, nothing applied) gets the weighted share of reviewed units that truly carry the
code, ``m``; then for any set of units D (the corpus, or a group)

    total(D) = Σ_{i∈D} m_i + N_D · (weighted mean over reviewed i∈D of (verdict_i − m_i)).

Over the whole corpus the second term is zero and the estimate is the coder's predicted
count times its measured precision plus the missed units; in a group the residual term
corrects for a coder that errs differently there. Levels with fewer than ``MIN_CELL``
reviewed units are merged with their neighbour. The variance is the stratified
(with finite-population correction) variance of the linearised estimator, with a floor from
a Jeffreys-smoothed error rate, so a sample in which the coder never erred does not
claim zero uncertainty. Intervals are normal, 95 %, clipped to [0, 1].

Why not ``ppi-python``: its weights are importance weights around an i.i.d. labelled set
independent of the unlabelled one; it has no strata, no finite-population correction and
no domain (group) estimation, which a stratified sample of a finite corpus needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
#: Prediction levels with fewer reviewed units than this are merged with a neighbour.
MIN_CELL = 5
#: A group needs at least this many reviewed units for a corrected share.
MIN_REVIEWED = 3


@dataclass
class Estimate:
    """One code over one set of units (the corpus or a group)."""

    share: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n_units: int
    n_reviewed: int
    precision: float | None = None
    precision_low: float | None = None
    precision_high: float | None = None
    recall: float | None = None
    recall_low: float | None = None
    recall_high: float | None = None


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion observed on (an effective) ``n`` units."""
    if n <= 0:
        return 0.0, 1.0
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def kish(w: np.ndarray) -> float:
    """Kish's effective sample size of weighted units."""
    return float(w.sum() ** 2 / (w * w).sum()) if len(w) and (w * w).sum() > 0 else 0.0


def merge_levels(level: np.ndarray, reviewed: np.ndarray, min_cell: int = MIN_CELL) -> np.ndarray:
    """Cell id per unit: prediction levels, adjacent ones merged until each has ``min_cell``
    reviewed units (or only one cell is left). Levels absent from the corpus are dropped."""
    groups = [[lv] for lv in (3, 2, 1, 0) if (level == lv).any()]
    count = lambda g: int((reviewed & np.isin(level, g)).sum())  # noqa: E731
    while len(groups) > 1:
        counts = [count(g) for g in groups]
        k = int(np.argmin(counts))
        if counts[k] >= min_cell:
            break
        side = lambda g: max(g) >= 2  # noqa: E731  predicted or not
        nbrs = [j for j in (k - 1, k + 1) if 0 <= j < len(groups)]
        j = sorted(nbrs, key=lambda j: (side(groups[j]) != side(groups[k]), counts[j]))[0]
        a, b = sorted((j, k))
        groups[a:b + 1] = [groups[a] + groups[b]]
    cell = np.full(len(level), -1, dtype=int)
    for i, g in enumerate(groups):
        cell[np.isin(level, g)] = i
    return cell


def stratified_variance(wz: np.ndarray, stratum: np.ndarray, pop: dict) -> float:
    """Variance of a weighted sample total under stratified sampling without replacement
    (``pop``: stratum -> its number of units); a stratum with one reviewed unit counts
    that unit's value as its deviation."""
    total = 0.0
    for h in np.unique(stratum):
        x = wz[stratum == h]
        n, N = len(x), max(pop.get(h, len(x)), len(x))
        fpc = 1 - n / N
        if n == 1:
            total += fpc * float(x[0] ** 2)
        else:
            total += fpc * n / (n - 1) * float(((x - x.mean()) ** 2).sum())
    return total


class CodeEstimator:
    """The calibrated prediction of one code, from the sample; then shares of any set of units.

    ``level``, ``stratum`` cover every unit; ``y`` (0/1, NaN when not reviewed) and ``w``
    (inverse inclusion probability) matter on reviewed units only.
    """

    def __init__(self, level: np.ndarray, y: np.ndarray, w: np.ndarray, stratum: np.ndarray):
        self.level = np.asarray(level, dtype=int)
        self.y = np.asarray(y, dtype=float)
        self.w = np.where(np.isfinite(w), w, 0.0)
        self.stratum = np.asarray(stratum)
        self.reviewed = np.isfinite(self.y) & (self.w > 0)
        self.predicted = self.level >= 2
        uniq, counts = np.unique(self.stratum, return_counts=True)
        self.pop = dict(zip(uniq.tolist(), counts.tolist()))
        self.cell = merge_levels(self.level, self.reviewed)
        n_cells = int(self.cell.max()) + 1 if len(self.cell) else 0
        r = self.reviewed
        self.cell_w = np.bincount(self.cell[r], weights=self.w[r], minlength=n_cells)
        wy = np.bincount(self.cell[r], weights=(self.w * np.nan_to_num(self.y))[r], minlength=n_cells)
        # a cell with no reviewed unit (only when nothing is reviewed) keeps the coder's guess
        guess = np.array([self.predicted[self.cell == k].mean() if (self.cell == k).any() else 0.0
                          for k in range(n_cells)])
        self.cell_mean = np.where(self.cell_w > 0, wy / np.where(self.cell_w > 0, self.cell_w, 1), guess)
        self.m = self.cell_mean[self.cell] if n_cells else np.zeros(len(self.level))

    def estimate(self, domain: np.ndarray | None = None) -> Estimate:
        d = np.ones(len(self.level), dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
        r = self.reviewed & d
        n_d, n_r = int(d.sum()), int(r.sum())
        if n_d == 0 or n_r < (1 if domain is None else MIN_REVIEWED):
            return Estimate(None, None, None, None, n_d, n_r)
        w, y, m = self.w[r], self.y[r], self.m[r]
        e = y - m
        nhat_d = w.sum()
        ebar = float((w * e).sum() / nhat_d)
        total = float(self.m[d].sum()) + n_d * ebar
        share = min(1.0, max(0.0, total / n_d))
        se = math.sqrt(self._variance(d, r, ebar, nhat_d)) / n_d
        est = Estimate(share, max(0.0, share - Z95 * se), min(1.0, share + Z95 * se), se, n_d, n_r)
        self._precision_recall(est, d, r, share)
        return est

    def _variance(self, d: np.ndarray, r: np.ndarray, ebar: float, nhat_d: float) -> float:
        """Linearised stratified variance of the domain total, floored by a smoothed error rate."""
        rev = self.reviewed
        cell, w, y = self.cell[rev], self.w[rev], np.nan_to_num(self.y[rev])
        in_d = d[rev]
        n_cells = len(self.cell_mean)
        n_kd = np.bincount(self.cell[d], minlength=n_cells)
        nhat_kd = np.bincount(cell[in_d], weights=w[in_d], minlength=n_cells)
        a = n_kd - d.sum() / nhat_d * nhat_kd
        safe = np.where(self.cell_w > 0, self.cell_w, 1.0)
        z = a[cell] * (y - self.cell_mean[cell]) / safe[cell]
        z = z + in_d * (d.sum() / nhat_d) * (y - self.cell_mean[cell] - ebar)
        v = stratified_variance(w * z, self.stratum[rev], self.pop)
        # floor: the residual variance, or that of a Jeffreys-smoothed rate of units the calibrated
        # prediction gets wrong (a sample where it never errs does not prove it never does)
        wr = self.w[r]
        e = np.nan_to_num(self.y[r]) - self.m[r]
        s2 = float((wr * (e - (wr * e).sum() / wr.sum()) ** 2).sum() / wr.sum())
        n_eff = kish(wr)
        p = (n_eff * float((wr * (np.abs(e) > 0.5)).sum() / wr.sum()) + 0.5) / (n_eff + 1)
        n_d = int(d.sum())
        floor = n_d ** 2 * max(0.0, 1 - r.sum() / n_d) * max(s2, p * (1 - p)) / max(n_eff, 1.0)
        return max(v, floor)

    def _precision_recall(self, est: Estimate, d: np.ndarray, r: np.ndarray, share: float) -> None:
        pr = r & self.predicted
        if pr.any():
            w = self.w[pr]
            prec = float((w * self.y[pr]).sum() / w.sum())
            est.precision = prec
            est.precision_low, est.precision_high = wilson(prec, kish(w))
            if share > 0:
                n_pred = int((d & self.predicted).sum())
                rec = min(1.0, n_pred * prec / (share * d.sum()))
                pos = r & (self.y == 1)
                est.recall = rec
                est.recall_low, est.recall_high = wilson(rec, kish(self.w[pos]))
        elif share > 0 and not (d & self.predicted).any():
            est.recall, est.recall_low, est.recall_high = 0.0, 0.0, wilson(0.0, kish(self.w[r & (self.y == 1)]))[1]


def units_for_width(est: Estimate, width: float, n_population: int, raw_share: float | None = None) -> int | None:
    """Reviewed units (in all) that bring the 95 % interval to ``width``, scaling the current
    variance as 1/n with the finite-population correction; before any review, from the raw share."""
    N = n_population
    if N <= 0:
        return None
    if est.se is not None and est.n_reviewed > 0:
        n = est.n_reviewed
        fpc = max(1e-9, 1 - n / N)
        a = (2 * Z95 * est.se) ** 2 * n / fpc
    else:
        p = raw_share if raw_share is not None else 0.5
        a = (2 * Z95) ** 2 * max(p * (1 - p), 0.01)
    needed = a / (width ** 2 + a / N)
    return int(min(N, math.ceil(needed)))
