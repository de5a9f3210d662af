"""The ``estimates`` table: raw and corrected shares of every code, overall and per group."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from narratif.validation.estimate import CodeEstimator, Estimate
from narratif.validation.sample import ESTIMATION, inclusion_probabilities, strata_of
from narratif.validation.units import UNITS, UnitFrame, build_frame

#: The columns the issue fixes, then narratif's own.
COLUMNS = ["code", "attribute", "group_value", "raw_share", "share", "ci_low", "ci_high", "n_units", "n_reviewed",
           "precision", "recall", "unit", "category", "precision_low", "precision_high", "recall_low", "recall_high"]
ALL = "all"


def _verdict_matrix(frame: UnitFrame, verdicts: pd.DataFrame, reviewed_ids: set[str]) -> pd.DataFrame:
    """unit rows × codes: the verdict (NaN when none) of units of the estimation samples."""
    v = verdicts[verdicts["unit_id"].isin(reviewed_ids) & verdicts["code"].isin(frame.codes)]
    wide = v.pivot_table(index="unit_id", columns="code", values="verdict", aggfunc="last") if len(v) else None
    out = pd.DataFrame(np.nan, index=frame.units.index, columns=frame.codes)
    if wide is not None:
        aligned = wide.reindex(index=frame.units["unit_id"], columns=frame.codes)
        out[:] = aligned.to_numpy(dtype=float)
    return out


def _rows(code: str, attribute: str, group: str, raw: float, est: Estimate, frame: UnitFrame) -> dict:
    d = asdict(est)
    d.pop("se")
    return {"code": code, "attribute": attribute, "group_value": group, "raw_share": raw, **d,
            "unit": frame.unit, "category": frame.families[code]}


def frame_estimates(frame: UnitFrame, samples: pd.DataFrame, units: pd.DataFrame,
                    verdicts: pd.DataFrame) -> pd.DataFrame:
    """Every code of a unit frame, over the corpus and each group of each attribute."""
    est_samples = samples[(samples["purpose"] == ESTIMATION) & (samples["unit"] == frame.unit)]
    sampled = set(units.loc[units["sample_id"].isin(est_samples["sample_id"]), "unit_id"])
    pi = inclusion_probabilities(frame, samples)
    w = np.where(pi > 0, 1 / np.where(pi > 0, pi, 1), np.nan)
    y = _verdict_matrix(frame, verdicts, sampled)
    first = est_samples.sort_values("drawn_at").head(1)
    by = first["by_attribute"].iloc[0] if len(first) else None
    by = by if isinstance(by, str) and by in frame.units else None
    stratum = strata_of(frame, by).to_numpy()
    predicted = frame.predicted
    domains = [(ALL, ALL, None)]
    for attr in frame.attributes:
        values = frame.units[attr].astype("string")
        for g in sorted(values.dropna().unique()):
            domains.append((attr, str(g), (values == g).fillna(False).to_numpy(dtype=bool)))
    rows = []
    for code in frame.codes:
        reviewed = y[code].notna().to_numpy()
        estimator = CodeEstimator(frame.levels[code].to_numpy(), y[code].to_numpy(), w, stratum) \
            if reviewed.any() else None
        pred = predicted[code].to_numpy()
        for attr, group, mask in domains:
            sel = pred if mask is None else pred[mask]
            raw = float(sel.mean()) if len(sel) else None
            est = estimator.estimate(mask) if estimator is not None else Estimate(None, None, None, None, len(sel), 0)
            rows.append(_rows(code, attr, group, raw, est, frame))
    return pd.DataFrame(rows, columns=COLUMNS)


def estimates_table(store, codebook, inputs: dict | None = None) -> pd.DataFrame:
    """The ``estimates`` table of a store: raw shares always, corrected ones where verdicts exist."""
    from narratif.aggregate.quantify import load_inputs

    inputs = inputs or load_inputs(store, codebook)
    samples = store.validation_table("validation_samples")
    units = store.validation_table("validation_units")
    verdicts = store.validation_table("validation_verdicts")
    sentences = store.table("sentences") if store.has_table("sentences") else pd.DataFrame(
        columns=["doc_id", "seg_id", "sent_id", "start", "end", "text"])
    frames = []
    for unit in UNITS:
        drawn = bool((samples["unit"] == unit).any())
        frame = build_frame(inputs, sentences, codebook, unit, keys=drawn)
        if len(frame):
            frames.append(frame_estimates(frame, samples, units, verdicts))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    floats = ["raw_share", "share", "ci_low", "ci_high", "precision", "recall", "precision_low", "precision_high",
              "recall_low", "recall_high"]
    return out.astype({"n_units": int, "n_reviewed": int, **dict.fromkeys(floats, float)})


def design_summary(samples: pd.DataFrame) -> list[str]:
    """One line per sample, for the CLI and the report."""
    lines = []
    for r in samples.sort_values("drawn_at").itertuples(index=False):
        strata = len(json.loads(r.design or "{}"))
        what = f"{strata} strates" if r.purpose == ESTIMATION else "unités les moins sûres (hors estimation)"
        lines.append(f"{r.sample_id} : {r.n} {r.unit}s, {what}, tiré le {r.drawn_at[:10]} (narratif {r.narratif_version})")
    return lines
