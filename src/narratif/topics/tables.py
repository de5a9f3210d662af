"""The derived tables: ``topics``, ``segment_topics``, ``topics_by_attribute``, ``topics_over_time``."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from narratif.store import Store
from narratif.topics.space import OUTLIER

#: Columns of the derived tables written by :func:`write_tables`.
TOPICS_COLUMNS = {
    "topic_id": "int64", "label": "object", "size": "int64", "share": "float64", "top_terms": "object",
    "representative_seg_ids": "object", "representative_texts": "object", "nearest_codes": "object",
    "best_code": "object", "best_code_similarity": "float64", "emergent": "boolean", "guided_code": "object",
}
SEGMENT_TOPICS_COLUMNS = {
    "doc_id": "object", "seg_id": "int64", "topic_id": "int64", "probability": "float64", "assigned_by": "object",
}
TOPICS_BY_ATTRIBUTE_COLUMNS = {
    "attribute": "object", "value": "object", "topic_id": "int64", "n": "int64", "share": "float64",
}
TOPICS_OVER_TIME_COLUMNS = {
    "attribute": "object", "period": "object", "topic_id": "int64", "n": "int64", "share": "float64",
}
TABLES = {"topics": TOPICS_COLUMNS, "segment_topics": SEGMENT_TOPICS_COLUMNS,
          "topics_by_attribute": TOPICS_BY_ATTRIBUTE_COLUMNS, "topics_over_time": TOPICS_OVER_TIME_COLUMNS}


def empty_table(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with typed columns (so DuckDB creates the right schema)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})

#: Attribute names read as the date of the material (not of birth).
DATE_ATTRIBUTES = ("date", "year", "annee", "interview_date", "date_entretien", "date_enquete", "periode")
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUM_RE = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


def label_of(terms: list[str], n: int = 4) -> str:
    return ", ".join(terms[:n]) if terms else "(sans termes)"


def write_tables(store: Store, assign: pd.DataFrame, centred: np.ndarray, entries: list[dict], *,
                 n_representatives: int, max_attribute_values: int) -> None:
    """Rewrite the four topic tables from per-segment assignments (stable ids) and topic entries."""
    documents = store.documents()
    attributes = store.attribute_columns()
    store.replace_table("topics", topics_table(assign, centred, entries, n_representatives=n_representatives))
    store.replace_table("segment_topics", segment_topics_table(assign))
    store.replace_table("topics_by_attribute", topics_by_attribute(assign, documents, attributes,
                                                                    max_values=max_attribute_values))
    store.replace_table("topics_over_time", topics_over_time(assign, documents, date_attribute(documents, attributes)))


def write_empty(store: Store) -> None:
    for name, cols in TABLES.items():
        store.replace_table(name, empty_table(cols))


def segment_topics_table(assign: pd.DataFrame) -> pd.DataFrame:
    if assign.empty:
        return empty_table(SEGMENT_TOPICS_COLUMNS)
    out = assign[list(SEGMENT_TOPICS_COLUMNS)].copy()
    return out.astype({"seg_id": "int64", "topic_id": "int64", "probability": "float64"}).reset_index(drop=True)


def representatives(assign: pd.DataFrame, centred: np.ndarray, centroid: np.ndarray, topic_id: int,
                    n: int, min_quote_words: int = 12) -> pd.DataFrame:
    """The ``n`` member segments closest to the topic centroid (cluster members and full sentences first).

    Segments inherit the topic of their window, so a short "oui tout à fait" can
    be a member; it is a poor quote, hence segments of ``min_quote_words`` first.
    """
    mask = (assign["topic_id"] == topic_id).to_numpy()
    members = assign[mask].copy()
    members["sim"] = centred[mask] @ centroid
    members["core"] = members["assigned_by"] == "cluster"
    members["long"] = members["n_words"] >= min_quote_words if "n_words" in members else True
    return members.sort_values(["core", "long", "sim", "doc_id", "seg_id"],
                               ascending=[False, False, False, True, True]).head(n)


def topics_table(assign: pd.DataFrame, centred: np.ndarray, topics: list[dict], *, n_representatives: int) -> pd.DataFrame:
    """One row per stable topic id; ``topics`` items carry id, terms, centroid and code links."""
    if not topics:
        return empty_table(TOPICS_COLUMNS)
    total = max(1, len(assign))
    sizes = assign["topic_id"].value_counts()
    rows = []
    for t in topics:
        reps = representatives(assign, centred, t["centroid"], t["topic_id"], n_representatives)
        size = int(sizes.get(t["topic_id"], 0))
        rows.append({
            "topic_id": t["topic_id"], "label": label_of(t.get("label_words") or t["terms"]), "size": size, "share": size / total,
            "top_terms": list(t["terms"]),
            "representative_seg_ids": [f"{d}:{s}" for d, s in zip(reps["doc_id"], reps["seg_id"])],
            "representative_texts": [str(x)[:400] for x in reps["text"]],
            "nearest_codes": t.get("nearest_codes", "[]"), "best_code": t.get("best_code"),
            "best_code_similarity": t.get("best_code_similarity", np.nan), "emergent": t.get("emergent"),
            "guided_code": t.get("guided_code"),
        })
    df = pd.DataFrame(rows, columns=list(TOPICS_COLUMNS))
    df = df.sort_values(["size", "topic_id"], ascending=[False, True]).reset_index(drop=True)
    return df.astype({"topic_id": "int64", "size": "int64", "share": "float64", "best_code_similarity": "float64",
                      "emergent": "boolean"})


def _bin(values: pd.Series, max_values: int) -> pd.Series | None:
    """Attribute values as groups: kept as is, binned when numeric and many, else None (skip)."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if v.nunique() < 2:
        return None
    if v.nunique() <= max_values:
        return values.astype("string").str.strip()
    if v.map(lambda x: bool(_NUM_RE.match(x))).all():
        num = pd.to_numeric(values.astype("string").str.replace(",", "."), errors="coerce")
        if num.between(1800, 2100).all():
            start = (num // 10 * 10)
            return start.map(lambda x: None if pd.isna(x) else f"{int(x)}s").astype("string")
        start = (num // 10 * 10)
        return start.map(lambda x: None if pd.isna(x) else f"{int(x)}-{int(x) + 9}").astype("string")
    return None


def _shares(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    counts = frame.groupby([key, "topic_id"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby(key)["n"].transform("sum")
    return counts


def topics_by_attribute(assign: pd.DataFrame, documents: pd.DataFrame, attributes: list[str], *,
                        max_values: int) -> pd.DataFrame:
    """Topic counts and within-group shares per document attribute value (and per role, kind)."""
    if assign.empty:
        return empty_table(TOPICS_BY_ATTRIBUTE_COLUMNS)
    parts = []
    docs = documents.set_index("doc_id")
    groups: dict[str, pd.Series] = {}
    for col in ["kind", *attributes]:
        if col in docs.columns:
            binned = _bin(docs[col], max_values)
            if binned is not None:
                groups[col] = binned
    frame = assign[["doc_id", "topic_id"]].copy()
    if "role" in assign.columns:
        frame["role"] = assign["role"].astype("string")
        if frame["role"].nunique() >= 2:
            c = _shares(frame.dropna(subset=["role"]), "role")
            parts.append(c.rename(columns={"role": "value"}).assign(attribute="role"))
    for col, series in groups.items():
        frame["value"] = frame["doc_id"].map(series)
        c = _shares(frame.dropna(subset=["value"]), "value")
        parts.append(c.assign(attribute=col))
    if not parts:
        return empty_table(TOPICS_BY_ATTRIBUTE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[list(TOPICS_BY_ATTRIBUTE_COLUMNS)]
    out["value"] = out["value"].astype(str)
    out = out.sort_values(["attribute", "value", "topic_id"]).reset_index(drop=True)
    return out.astype({"topic_id": "int64", "n": "int64", "share": "float64"})


def date_attribute(documents: pd.DataFrame, attributes: list[str]) -> str | None:
    """The first attribute naming the date of the material whose values hold a year."""
    for col in attributes:
        if col in DATE_ATTRIBUTES or col.startswith("date"):
            years = documents[col].dropna().astype(str).str.extract(_YEAR_RE)[0].dropna()
            if years.nunique() >= 2:
                return col
    return None


def topics_over_time(assign: pd.DataFrame, documents: pd.DataFrame, attribute: str | None) -> pd.DataFrame:
    """Topic counts per year of the material (share within the year)."""
    if attribute is None or assign.empty:
        return empty_table(TOPICS_OVER_TIME_COLUMNS)
    years = documents.set_index("doc_id")[attribute].astype(str).str.extract(_YEAR_RE)[0]
    frame = assign[["doc_id", "topic_id"]].copy()
    frame["period"] = frame["doc_id"].map(years)
    counts = _shares(frame.dropna(subset=["period"]), "period").assign(attribute=attribute)
    out = counts[list(TOPICS_OVER_TIME_COLUMNS)].sort_values(["period", "topic_id"]).reset_index(drop=True)
    return out.astype({"topic_id": "int64", "n": "int64", "share": "float64"})


__all__ = ["OUTLIER", "TABLES", "empty_table", "label_of", "segment_topics_table", "topics_table",
           "topics_by_attribute", "date_attribute", "topics_over_time", "write_tables", "write_empty"]
