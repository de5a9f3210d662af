"""Reports of a run: ``report.html``, ``summary.md``, ``analysis.xlsx`` and a history snapshot.

``write_reports`` computes every aggregate table once (``narratif.aggregate.quantify`` and
``narratif.aggregate.narrative``), stores them as derived tables, then renders the three
outputs from the same (optionally pseudonymised) tables, so the figures a reader
sees in the HTML, the summary and the spreadsheet are always the same numbers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from narratif.atomic import atomic_write_text

__all__ = ["ReportData", "collect", "write_reports", "HISTORY_FILE"]

HISTORY_FILE = Path("history") / "last_run.json"


@dataclass
class ReportData:
    """Everything the renderers need, already pseudonymised when asked."""

    documents: pd.DataFrame  # doc_id, label, kind, n_words, attributes
    tables: dict[str, pd.DataFrame]
    topics: pd.DataFrame | None
    theme_quotes: dict[str, list[str]]
    codebook: Any
    group_attributes: list[str]
    totals: dict[str, Any]
    snapshot: dict[str, Any]
    previous: dict[str, Any] | None
    pseudonymised: bool = False
    generated_at: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    def label(self, code: str) -> str:
        from narratif.report.formatting import Formatter

        return Formatter(self.codebook).code(code)


def _theme_quotes(coded: pd.DataFrame, quotes, theme_ids: list[str], n: int = 3) -> dict[str, list[dict]]:
    """Top-scoring coded segments per theme, one per document, as quotes with provenance; a quote
    stands for one theme only where the theme has others."""
    from narratif.aggregate.narrative import distinct_quotes

    out: dict[str, list[dict]] = {}
    used: dict[str, str] = {}
    for theme in theme_ids:
        c = coded[coded["code"] == theme].sort_values("score", ascending=False)
        out[theme] = distinct_quotes(zip(c["doc_id"], c["seg_id"], c["evidence"]),
                                     lambda d, s, ev: quotes.quote(d, s, hint=ev), used, n,
                                     key=lambda q: q["text"])
    return out


def snapshot_of(documents: pd.DataFrame, tables: dict[str, pd.DataFrame], topics: pd.DataFrame | None,
                totals: dict[str, Any], theme_ids: list[str]) -> dict[str, Any]:
    """The key figures of this run, compared by the next run's summary."""
    shares = totals.get("theme_shares", {})
    tp = tables["turning_points_by_group"]
    tp_types = {}
    if not tp.empty:
        first = tp["attribute"].iloc[0]
        tp_types = tp[tp["attribute"] == first].groupby("type")["n"].sum().astype(int).to_dict()
    tp_types = totals.get("tp_types", tp_types)
    topic_labels = []
    if topics is not None and not topics.empty and "label" in topics.columns:
        topic_labels = sorted(str(x) for x in topics["label"])
    return {
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "n_documents": int(len(documents)),
        "doc_ids": sorted(documents["doc_id"].tolist()),
        "n_words": int(totals.get("n_words", 0)),
        "themes": {t: {"share": float(shares.get(t, 0.0)), "n_segments": int(totals["theme_counts"].get(t, 0))}
                   for t in theme_ids},
        "turning_point_types": {str(k): int(v) for k, v in tp_types.items()},
        "topics": topic_labels,
    }


def _review_counts(store, tps: pd.DataFrame, docs: pd.DataFrame) -> dict[str, int]:
    """How many of the turning points shown an analyst confirmed (accepted, retyped or added)
    and how many proposals analysts rejected, for the documents reported."""
    from narratif.models import TP_REVIEW_ADDED, TP_TEAM_TYPED
    from narratif.turning_points.review import REJECT

    src = tps["source"].fillna("auto") if not tps.empty and "source" in tps else pd.Series([], dtype=str)
    shown = set(docs["doc_id"]) if not docs.empty else set()
    rejected = sum(r.verdict == REJECT and r.doc_id in shown for r in store.reviews())
    return {"n_tp_reviewed": int(src.str.startswith("review:").sum()),
            "n_tp_added": int((src == TP_REVIEW_ADDED).sum()), "n_tp_rejected": rejected,
            # proposals (not yet reviewed) typed by the classifier adapted to the team's reviews
            "n_tp_team_typed": int((src == TP_TEAM_TYPED).sum())}


def collect(store, *, codebook, pseudonymiser=None, previous: dict | None = None
            ) -> tuple[ReportData, dict[str, pd.DataFrame]]:
    """Compute all tables; return the render data and the raw tables (for the store)."""
    from narratif.aggregate import narrative
    from narratif.aggregate import quantify
    from narratif.report import validation

    inputs = quantify.load_inputs(store, codebook)
    docs = inputs["documents"]
    inputs["quotes"] = narrative.QuoteFinder(docs, inputs["segments"], store.table("sentences"))
    tables = quantify.compute_all(store, codebook, inputs=inputs)
    tables.update(narrative.compute_all(store, codebook, inputs=inputs))
    tables["estimates"] = validation.estimates(store, codebook, inputs)
    topics = None
    if store.has_table("topics"):
        topics = store.table("topics")
    theme_ids = list(codebook.theme_ids) if codebook is not None else []
    segs, coded, tps = inputs["analysed"], inputs["coded"], inputs["turning_points"]
    n_seg = max(len(segs), 1)
    counts = coded.groupby("code")["seg_id"].size().to_dict() if not coded.empty else {}
    totals = {
        "n_documents": int(len(docs)),
        "n_words": int(docs["n_words"].fillna(0).sum()) if not docs.empty else 0,
        "n_segments": int(len(segs)),
        "n_coded_segments": int(coded[["doc_id", "seg_id"]].drop_duplicates().shape[0]) if not coded.empty else 0,
        "n_turning_points": int(len(tps)),
        **_review_counts(store, tps, docs),
        "n_quarantined": int(len(store.documents(status="quarantined"))),
        "theme_counts": {t: int(counts.get(t, 0)) for t in theme_ids},
        "theme_shares": {t: counts.get(t, 0) / n_seg for t in theme_ids},
        "tp_types": tps["type"].value_counts().astype(int).to_dict() if not tps.empty else {},
        "kinds": docs["kind"].value_counts().astype(int).to_dict() if not docs.empty else {},
    }
    raw_quotes = _theme_quotes(coded, inputs["quotes"], theme_ids) if not coded.empty else {}
    snapshot = snapshot_of(docs, tables, topics, totals, theme_ids)
    attrs = quantify.group_attributes(docs)
    shown_cols = dict.fromkeys(c for c in ["doc_id", "label", "kind", "n_words", "n_segments", *attrs]
                               if c in docs.columns)  # ordered and unique: ``kind`` is often an attribute too
    shown_docs = docs[list(shown_cols)]
    public = validation.with_corrected_shares(dict(tables))
    quotes_txt = {t: [f"« {q['text']} » ({q['ref']})" for q in qs] for t, qs in raw_quotes.items()}
    if pseudonymiser is not None:
        public = {k: pseudonymiser.frame(v) for k, v in public.items()}
        shown_docs = pseudonymiser.frame(shown_docs.assign(label=shown_docs["doc_id"].map(pseudonymiser.document)))
        topics = pseudonymiser.frame(topics) if topics is not None else None
        quotes_txt = {t: pseudonymiser.texts(qs) for t, qs in quotes_txt.items()}
    data = ReportData(documents=shown_docs, tables=public, topics=topics, theme_quotes=quotes_txt,
                      codebook=codebook, group_attributes=attrs, totals=totals, snapshot=snapshot,
                      previous=previous, pseudonymised=pseudonymiser is not None)
    return data, tables


def write_reports(store, out_dir: Path, *, codebook, pseudonymise: bool = False) -> dict[str, Path]:
    """Compute aggregates, store them as tables, and write the HTML, Markdown and XLSX reports."""
    from narratif.report.html import write_html
    from narratif.report.summary import write_summary
    from narratif.report.xlsx import write_xlsx

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    history = out_dir / HISTORY_FILE
    previous = None
    if history.is_file():
        try:
            previous = json.loads(history.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None  # a damaged snapshot only loses the comparison
    pseudo = None
    if pseudonymise:
        from narratif.pseudonymise import Pseudonymiser

        pseudo = Pseudonymiser.from_store(store)
    data, tables = collect(store, codebook=codebook, pseudonymiser=pseudo, previous=previous)
    for name, df in tables.items():
        store.replace_table(name, _storable(df))
    paths = {
        "report": write_html(data, out_dir / "report.html"),
        "summary": write_summary(data, out_dir / "summary.md"),
        "xlsx": write_xlsx(data, out_dir / "analysis.xlsx"),
    }
    atomic_write_text(history, json.dumps(data.snapshot, ensure_ascii=False, indent=1))
    paths["history"] = history
    if pseudo is not None:
        pseudo.save(out_dir)
    data.totals["report_seconds"] = round(time.perf_counter() - t0, 2)
    return paths


def _storable(df: pd.DataFrame) -> pd.DataFrame:
    """Empty object columns become strings so DuckDB can type them."""
    if df.empty:
        return df.astype({c: "string" for c in df.columns if df[c].dtype == object})
    return df
