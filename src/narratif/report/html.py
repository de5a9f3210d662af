"""``report.html``: one self-contained, offline page (plotly.js embedded once, no CDN, no web fonts)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from narratif.aggregate.narrative import MIAOU
from narratif.atomic import atomic_write_text
from narratif.report import validation
from narratif.report.formatting import ORIENTATIONS, TP_TYPES, Formatter, attribute_label, number, percent, signed, yes_no

_TEMPLATES = Path(__file__).parent / "templates"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
TP_LABELS = TP_TYPES
ORIENTATION = ORIENTATIONS


class _Figures:
    """Turns figures into HTML divs; only the first one carries plotly.js."""

    def __init__(self):
        self.n = 0

    def __call__(self, fig: go.Figure, *, height: int = 420) -> Markup:
        fig.update_layout(height=height, font=dict(family=_FONT, size=12), margin=dict(l=10, r=10, t=40, b=10),
                          template="plotly_white", separators=",\u202f")  # French decimals and thousands
        html = pio.to_html(fig, include_plotlyjs=(self.n == 0), full_html=False, include_mathjax=False,
                           config={"displaylogo": False, "responsive": True}, div_id=f"fig{self.n}")
        self.n += 1
        return Markup(html)


def _document_columns(attributes: list[str]) -> dict[str, str]:
    """Headers of the documents table: fixed columns first, then grouping attributes not already shown."""
    cols = {"label": "Document", "kind": "Type", "n_words": "Mots", "n_segments": "Segments"}
    cols.update({a: attribute_label(a) for a in attributes if a not in cols})
    return cols


def table(df: pd.DataFrame | None, columns: dict[str, str], *, max_rows: int = 60,
          formatter: Formatter | None = None) -> Markup:
    """An HTML table of the chosen columns with French headers, every cell read through ``formatter``
    (labels, French numbers, lists as text); quotes keep their line breaks."""
    if df is None or df.empty:
        return Markup('<p class="none">Aucun résultat pour cette mesure.</p>')
    cols = [c for c in columns if c in df.columns]
    head = "".join(f"<th>{escape(columns[c])}</th>" for c in cols)
    body = ["<tr>" + "".join(f"<td>{escape(s)}</td>".replace("\n", "<br>") for s in cells) + "</tr>"
            for cells in (formatter or Formatter()).rows(df.head(max_rows), cols)]
    more = (f'<p class="note">{len(df) - max_rows} lignes de plus dans analysis.xlsx.</p>'
            if len(df) > max_rows else "")
    return Markup(f'<div class="tbl"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
                  f"</table></div>{more}")


def _heatmaps(data, fig: _Figures, fmt: Formatter) -> list[dict[str, Any]]:
    cbg = data.tables["code_by_group"]
    if cbg.empty:
        return []
    book = data.codebook
    order = [c.id for c in book.codes if c.parent is None and c.category in ("themes", "levers", "miaou")] \
        if book is not None else sorted(cbg["code"].unique())
    out = []
    for attr in data.group_attributes[:4]:
        d = cbg[(cbg["attribute"] == attr) & cbg["code"].isin(order)]
        if d.empty:
            continue
        share = d.pivot(index="code", columns="group", values="share_segments").reindex(
            [c for c in order if c in set(d["code"])])
        spec = d.pivot(index="code", columns="group", values="specificity").reindex(share.index)
        n = d.pivot(index="code", columns="group", values="n_segments").reindex(share.index)
        labels = [data.label(c) for c in share.index]
        groups = [fmt.group(attr, g) for g in share.columns]
        text = spec.map(lambda v: signed(v) if abs(v) >= 2 else "")
        hover = [[f"{labels[i]}<br>{attribute_label(attr)} : {g}<br>{number(n.iat[i, j])} segments "
                  f"({percent(share.iat[i, j])})<br>spécificité {signed(spec.iat[i, j])}" for j, g in enumerate(groups)]
                 for i in range(len(labels))]
        f = go.Figure(go.Heatmap(z=(share * 100).round(1).values, x=groups, y=labels,
                                 text=text.values, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
                                 colorscale="Blues", colorbar=dict(title="% segments")))
        f.update_layout(title=f"Part des segments codés, par {attribute_label(attr).lower()} "
                              "(chiffres : spécificité ≥ |2|)", yaxis=dict(autorange="reversed"))
        out.append({"attribute": attr, "figure": fig(f, height=max(360, 26 * len(labels) + 140))})
    return out


def _cooccurrence(data, fig: _Figures) -> Markup | None:
    co = data.tables["code_cooccurrence"]
    if co.empty:
        return None
    codes = sorted(set(co["code_a"]) | set(co["code_b"]), key=lambda c: data.label(c))
    m = pd.DataFrame(0.0, index=codes, columns=codes)
    for r in co.itertuples(index=False):
        m.loc[r.code_a, r.code_b] = m.loc[r.code_b, r.code_a] = r.c_coefficient
    labels = [data.label(c) for c in codes]
    f = go.Figure(go.Heatmap(z=m.values.round(3), x=labels, y=labels, colorscale="Purples",
                             colorbar=dict(title="C"), hovertemplate="%{y}<br>%{x}<br>C = %{z}<extra></extra>"))
    f.update_layout(title="Co-occurrence des codes dans un même segment (coefficient C)",
                    yaxis=dict(autorange="reversed"), xaxis=dict(tickangle=-40))
    return fig(f, height=max(420, 24 * len(codes) + 200))


def _turning_points(data, fig: _Figures, fmt: Formatter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tg = data.tables["turning_points_by_group"]
    if not tg.empty:
        attr = tg["attribute"].iloc[0]
        d = tg[tg["attribute"] == attr]
        f = go.Figure([go.Bar(name=TP_LABELS.get(t, t), x=[fmt.group(attr, x) for x in g["group"]],
                              y=g["per_document"], customdata=g["n"],
                              hovertemplate="%{x} : %{y:.2f} par document (%{customdata})")
                       for t, g in d.groupby("type")])
        f.update_layout(barmode="stack", title=f"Tournants par type et par {attribute_label(attr).lower()} "
                                               "(nombre moyen par document)")
        out["by_group"] = fig(f)
    tt = data.tables["turning_points_by_time"]
    for axis, g in (tt.groupby("axis") if not tt.empty else []):
        f = go.Figure([go.Bar(name=TP_LABELS.get(t, t), x=[fmt.cell("bin", b) for b in h["bin"]], y=h["n"])
                       for t, h in g.groupby("type")])
        f.update_layout(barmode="stack", title=f"Tournants par {axis}", xaxis=dict(categoryorder="category ascending"))
        out.setdefault("by_time", []).append(fig(f, height=360))
    return out


def _topics(data, fig: _Figures) -> Markup | None:
    t = data.topics
    if t is None or t.empty or "size" not in t.columns:
        return None
    t = t.sort_values("size")
    f = go.Figure(go.Bar(x=t["size"], y=t.get("label", t.get("topic_id")).astype(str), orientation="h",
                         marker_color=["#d62728" if yes_no(e) == "oui" else "#1f77b4"
                                       for e in t.get("emergent", [False] * len(t))]))
    f.update_layout(title="Thèmes émergents (topics) : nombre de segments (rouge : hors codebook)")
    return fig(f, height=max(320, 22 * len(t) + 120))


def _collectives(data, fig: _Figures) -> list[dict[str, Any]]:
    ct, orient = data.tables["collective_timeline"], data.tables["collective_orientation"]
    themes, div = data.tables["collective_themes"], data.tables["collective_divergences"]
    names = sorted(set(ct["collectif"]) | set(orient["collectif"]) | set(themes["collectif"]))
    out = []
    colors = {"obstacle": "#d62728", "levier": "#2ca02c"}
    for name in names:
        item: dict[str, Any] = {"name": name}
        c = ct[ct["collectif"] == name]
        if not c.empty:
            traces = []
            for (src, pol), g in c.groupby([c["source"], c["polarity"].fillna("")]):
                label = ("tournant" + (f" ({pol})" if pol else "")) if src == "tournant" else "date citée"
                hover = [f"<b>{y}</b> · {r} — {TP_LABELS.get(t, t)}<br>{_wrap(x)}<br><i>{ref}</i>"
                         for y, r, t, x, ref in zip(g["year"], g["role"], g["type"], g["text"], g["ref"])]
                traces.append(go.Scatter(
                    x=g["year"], y=g["role"], mode="markers", name=label, hovertext=hover, hoverinfo="text",
                    marker=dict(size=12 if src == "tournant" else 8, symbol="diamond" if src == "tournant" else "circle",
                                color=colors.get(pol, "#1f77b4" if src == "tournant" else "#aaaaaa"),
                                line=dict(width=1, color="#333"))))
            f = go.Figure(traces)
            f.update_layout(title=f"Frise commune — {name} : qui raconte quoi, quand",
                            xaxis=dict(title="année"), yaxis=dict(title="voix (rôle)"))
            item["timeline"] = fig(f, height=max(300, 40 * c["role"].nunique() + 160))
        o = orient[orient["collectif"] == name]
        if not o.empty:
            f = go.Figure([go.Bar(name=ORIENTATION[k], x=o["role"], y=o[f"share_{k}"] * 100) for k in ORIENTATION])
            f.update_layout(barmode="stack", title=f"Passé / présent / futur par voix — {name} (% des phrases datées)")
            item["orientation"] = fig(f, height=320)
        item["themes"] = themes[themes["collectif"] == name]
        item["divergences"] = div[div["collectif"] == name]
        item["events"] = c[c["source"] == "tournant"]
        out.append(item)
    return out


def _wrap(text: Any, width: int = 80) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(str(escape(str(text))), width))


def _top_specificity(cbg: pd.DataFrame) -> pd.DataFrame:
    if cbg.empty:
        return cbg
    return cbg.loc[cbg["specificity"].abs().sort_values(ascending=False).index]


def _pair_counts(pairs: pd.DataFrame) -> pd.DataFrame | None:
    if pairs.empty:
        return None
    return (pairs.groupby(["obstacle_type", "lever_type"]).size().rename("n").reset_index()
            .sort_values("n", ascending=False))


def write_html(data, path: Path) -> Path:
    fig = _Figures()
    fmt = Formatter(data.codebook)
    t = data.tables
    theme_rows = pd.DataFrame([
        {"theme": data.label(k), "n": v, "share": data.totals["theme_shares"].get(k, 0.0),
         "quotes": "\n".join(data.theme_quotes.get(k, []))}
        for k, v in data.totals["theme_counts"].items()])
    overview = None
    if data.totals["theme_counts"]:
        f = go.Figure(go.Bar(x=theme_rows["theme"], y=theme_rows["share"] * 100,
                             marker_color=[data.codebook.get(k).color or "#1f77b4" for k in data.totals["theme_counts"]],
                             hovertemplate="%{x}: %{y:.1f} % des segments<extra></extra>"))
        f.update_layout(title="Les six thèmes de l'étude : part des segments analysés", yaxis=dict(title="%"))
        validation.add_corrected_bars(f, data)
        overview = fig(f, height=360)
    if not theme_rows.empty:
        theme_rows = validation.theme_rows(theme_rows, data)
    context = {
        "data": data, "t": t, "overview": overview, "table": functools.partial(table, formatter=fmt),
        "num": number, "theme_rows": theme_rows,
        "heatmaps": _heatmaps(data, fig, fmt), "cooccurrence": _cooccurrence(data, fig),
        "topics": _topics(data, fig), "tp": _turning_points(data, fig, fmt), "collectives": _collectives(data, fig),
        "miaou": MIAOU, "validation": validation.html_context(data),
        "tp_labels": TP_LABELS,
        "doc_columns": _document_columns(data.group_attributes),
        "top_specificity": _top_specificity(t["code_by_group"]),
        "pair_counts": _pair_counts(t["obstacle_lever_pairs"]),
        "miaou_by_cat": ({c: g for c, g in t["miaou_grid"].groupby("category")} if not t["miaou_grid"].empty else {}),
    }
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("report.html.j2").render(**context)
    atomic_write_text(path, html)
    return path
