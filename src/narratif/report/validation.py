"""What the reports say about validation: corrected shares with their interval next to the raw
ones, the coder's measured precision and recall, and « non validé » where no analyst reviewed.

Kept apart from the renderers (``html``, ``summary``, ``xlsx``): each calls one function here.
"""

from __future__ import annotations

import pandas as pd

from narratif.report.formatting import number, percent

NOT_VALIDATED = "non validé"
ALL = "all"


def estimates(store, codebook, inputs) -> pd.DataFrame:
    """The ``estimates`` table (raw shares always; corrected where verdicts exist). A failure
    here only costs the validation figures: the rest of the report is written."""
    import logging

    from narratif.validation.shares import COLUMNS as ESTIMATE_COLUMNS
    from narratif.validation.shares import estimates_table

    if codebook is None:
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)
    try:
        return estimates_table(store, codebook, inputs)
    except Exception as exc:  # noqa: BLE001 — reported, never fatal to the report
        logging.getLogger("narratif").warning("validation estimates not computed: %s: %s", type(exc).__name__, exc)
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)


def pct(v) -> str:
    return percent(v)


def corrected_text(row) -> str:
    """« 18.2 % [11.0–25.4] » or « non validé »."""
    if row is None or pd.isna(row["share"]):
        return NOT_VALIDATED
    return f"{percent(row['share'])} [{number(100 * row['ci_low'], 1)}–{number(100 * row['ci_high'], 1)}]"


def overall(est: pd.DataFrame, code: str, unit: str = "segment"):
    """The corpus-level estimate row of a code (None when the code has none)."""
    if est is None or est.empty:
        return None
    r = est[(est["code"] == code) & (est["attribute"] == ALL) & (est["unit"] == unit)]
    return r.iloc[0] if len(r) else None


def is_validated(est: pd.DataFrame | None) -> bool:
    return est is not None and not est.empty and bool(est["share"].notna().any())


def with_corrected_shares(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Rendered tables with the corrected share beside the raw one (``code_by_group``: per
    group; ``turning_points_by_group``: the share of sentences of the group with that type)."""
    est = tables.get("estimates")
    if est is None:
        return tables
    out = dict(tables)
    keys = est[["code", "attribute", "group_value", "share", "ci_low", "ci_high", "n_reviewed", "unit"]].rename(
        columns={"group_value": "group", "share": "share_corrected"})
    for name, code_col, unit in (("code_by_group", "code", "segment"), ("turning_points_by_group", "type", "sentence")):
        df = tables.get(name)
        if df is None or df.empty:
            continue
        k = keys[keys["unit"] == unit].drop(columns="unit").rename(columns={"code": code_col})
        merged = df.merge(k, on=[code_col, "attribute", "group"], how="left")
        merged["validation"] = [corrected_text({"share": v, "ci_low": lo, "ci_high": hi}) for v, lo, hi
                                in zip(merged["share_corrected"], merged["ci_low"], merged["ci_high"])]
        out[name] = merged
    return out


def theme_rows(rows: pd.DataFrame, data) -> pd.DataFrame:
    """The overview's theme table with « Part corrigée (IC 95 %) » beside the raw share."""
    est = data.tables.get("estimates")
    codes = list(data.totals["theme_counts"])
    return rows.assign(corrected=[corrected_text(overall(est, c)) for c in codes])


def summary_cell(data, theme: str) -> str:
    return corrected_text(overall(data.tables.get("estimates"), theme))


def summary_line(data, theme: str) -> str:
    """« Validé sur n unités : précision p, rappel r. » or why the share is raw."""
    r = overall(data.tables.get("estimates"), theme)
    if r is None or pd.isna(r["share"]):
        return "Non validé : part brute du codage automatique (`narratif validate draw` pour la mesurer)."
    prec = f"{number(r['precision'], 2)} [{number(r['precision_low'], 2)}–{number(r['precision_high'], 2)}]" \
        if pd.notna(r["precision"]) else "—"
    rec = (f"{number(r['recall'], 2)} [{number(r['recall_low'], 2)}–{number(r['recall_high'], 2)}]"
           if pd.notna(r["recall"]) else "—")
    return (f"Validé sur {int(r['n_reviewed'])} unités : précision {prec}, rappel {rec} ; part corrigée "
            f"{corrected_text(r)} (brute {pct(r['raw_share'])}).")


def supported_groups(data, theme: str, top: pd.DataFrame) -> pd.DataFrame:
    """Over-representations to call out: with a validation, only groups whose corrected
    interval lies above the corpus's corrected share."""
    est = data.tables.get("estimates")
    if not is_validated(est):
        return top
    r = overall(est, theme)
    if r is None or pd.isna(r["share"]):
        return top.iloc[0:0]
    g = est[(est["code"] == theme) & (est["unit"] == "segment") & (est["ci_low"] > r["share"])]
    ok = set(zip(g["attribute"], g["group_value"].astype(str)))
    return top[[(a, str(b)) in ok for a, b in zip(top["attribute"], top["group"])]]


def html_context(data) -> dict:
    """What the « Validation » section of report.html shows."""
    from narratif.turning_points.lexicon import TYPE_LABELS as TP_LABELS

    est = data.tables.get("estimates")
    if est is None or est.empty:
        return {"validated": False, "overall": None, "groups": None}
    view = est.copy()
    view["label"] = [data.label(c) if cat != "turning_points" else f"tournant : {TP_LABELS.get(c, c)}"
                     for c, cat in zip(view["code"], view["category"])]
    view["unit"] = view["unit"].map({"segment": "segment", "sentence": "phrase"}).fillna(view["unit"])
    view["corrected"] = [corrected_text(r) for _, r in view.iterrows()]
    for col in ("precision", "recall"):
        view[col + "_txt"] = [f"{number(v, 2)} [{number(lo, 2)}–{number(hi, 2)}]" if pd.notna(v) else "—"
                              for v, lo, hi in zip(view[col], view[col + "_low"], view[col + "_high"])]
    view["raw_txt"] = view["raw_share"].map(lambda v: pct(v) if pd.notna(v) else "—")
    view["count_txt"] = [f"≈ {r['share'] * r['n_units']:.0f} [{r['ci_low'] * r['n_units']:.0f}–"
                         f"{r['ci_high'] * r['n_units']:.0f}]" if pd.notna(r["share"]) else NOT_VALIDATED
                         for _, r in view.iterrows()]
    main = view[view["attribute"] == ALL]
    groups = view[(view["attribute"] != ALL) & view["share"].notna()]
    return {"validated": is_validated(est), "overall": main, "groups": groups}


def add_corrected_bars(fig, data) -> None:
    """With a validation, the overview chart shows the corrected shares with their interval
    beside the raw ones."""
    import plotly.graph_objects as go

    est = data.tables.get("estimates")
    rows = [(c, overall(est, c)) for c in data.totals["theme_counts"]]
    rows = [(c, r) for c, r in rows if r is not None and pd.notna(r["share"])]
    if not rows:
        return
    fig.data[0].name = "part brute"
    share = [100 * r["share"] for _, r in rows]
    fig.add_trace(go.Bar(
        x=[data.label(c) for c, _ in rows], y=share, name="part corrigée (IC 95 %)", marker_color="#1f3b57",
        error_y=dict(type="data", symmetric=False, array=[100 * r["ci_high"] - s for (_, r), s in zip(rows, share)],
                     arrayminus=[s - 100 * r["ci_low"] for (_, r), s in zip(rows, share)]),
        hovertemplate="%{x}: %{y:.1f} % corrigé<extra></extra>"))
    fig.update_layout(barmode="group", showlegend=True,
                      title="Les six thèmes de l'étude : part des segments analysés, brute et corrigée (IC 95 %)")
