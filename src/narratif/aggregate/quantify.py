"""Narration quantifiée: counts, shares and associations computed from the store (pandas only).

Every function takes plain DataFrames (the store's column contracts) and returns a
long-format DataFrame, so each result can be written as a table, charted and
exported as is. The unit of counting is the *analysed segment*: a speaker turn of
a narrator (interviewer turns are never coded) or a paragraph of a written document.
A segment counts for a code when it is coded with the code or any of its sub-codes.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy.stats import hypergeom


#: Columns of ``documents`` that are bookkeeping, never a grouping attribute.
_NOT_GROUPS = {"doc_id", "path", "sha256", "format", "title", "n_words", "n_segments", "status", "error",
               "analysis_key", "processed_at", "pages", "text", "age", "birth_year", "annee_de_naissance",
               "prenom", "nom", "name", "speaker", "speakers", "interviewer", "interviewers", "narrator",
               "narrators", "date", "notes", "autres", "profession", "source"}
#: Age bands (narrator age at the interview), left-closed.
AGE_BANDS = [(0, 30, "moins de 30 ans"), (30, 45, "30-44 ans"), (45, 60, "45-59 ans"),
             (60, 75, "60-74 ans"), (75, 200, "75 ans et plus")]
#: Life stages (age of the narrator when a turning point happened).
LIFE_STAGES = [(0, 15, "enfance (<15)"), (15, 30, "jeunesse (15-29)"), (30, 45, "âge adulte (30-44)"),
               (45, 60, "maturité (45-59)"), (60, 200, "après 60 ans")]
_WORD_PATTERN = r"\w+(?:[’'-]\w+)*"


# --- inputs ----------------------------------------------------------------------------
def _int_or_none(v: Any) -> int | None:
    import re

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    m = re.search(r"\d{1,4}", str(v))
    return int(m.group()) if m else None


def _band(value: int | None, bands) -> str | None:
    if value is None:
        return None
    for lo, hi, label in bands:
        if lo <= value < hi:
            return label
    return None


def prepare_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """Documents with a readable ``label``, ``birth_year_`` and derived ``tranche_age``."""
    from narratif.ingest.attributes import life_years

    docs = documents.copy()
    if docs.empty:
        for c in ("label", "birth_year_", "tranche_age"):
            docs[c] = pd.Series(dtype=object)
        return docs
    docs["label"] = [_label(p, t) for p, t in zip(docs["path"], docs.get("title", [None] * len(docs)))]
    records = docs.to_dict("records")
    docs["birth_year_"] = [life_years({k: v for k, v in r.items() if v is not None and v == v}).birth
                          for r in records]
    if "age" in docs.columns:
        docs["tranche_age"] = [_band(_int_or_none(a), AGE_BANDS) for a in docs["age"]]
    return docs


def _label(path: Any, title: Any = None) -> str:
    from pathlib import PurePath

    name = PurePath(str(path)).name if path else ""
    return name or (str(title) if title else "?")


def group_attributes(documents: pd.DataFrame, *, max_groups: int = 12) -> list[str]:
    """Attributes worth comparing: 2..max_groups values, and at least one value shared by 2 documents."""
    out = []
    candidates = [c for c in documents.columns if c not in _NOT_GROUPS and not c.endswith("_")
                  and c != "label"]
    for col in candidates:
        values = documents[col].dropna().astype(str)
        values = values[values.str.strip() != ""]
        n = values.nunique()
        if 2 <= n <= max_groups and values.value_counts().max() >= 2:
            out.append(col)
    # the study's own attributes first, then the others in column order
    order = {"collectif": 0, "role": 1, "kind": 2, "tranche_age": 3, "gender": 4, "genre": 4}
    return sorted(out, key=lambda c: (order.get(c, 9), out.index(c)))


def analysed_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """Segments that are coded and mined (not interviewer turns), with their word count."""
    segs = segments[segments["role"] != "interviewer"].copy()
    segs["n_words"] = segs["text"].fillna("").str.count(_WORD_PATTERN).astype(int)
    return segs.drop(columns=["text"])


def expand_codings(codings: pd.DataFrame, codebook=None) -> pd.DataFrame:
    """One row per (segment, code) where the code or one of its sub-codes was applied."""
    if codings.empty:
        return pd.DataFrame(columns=["doc_id", "seg_id", "code", "score", "evidence"])
    rows = codings[["doc_id", "seg_id", "code", "score", "evidence"]]
    if codebook is not None:
        lineage: dict[str, list[str]] = {}
        for code in codebook.codes:
            chain, c = [code.id], code
            while c.parent is not None:
                chain.append(c.parent)
                c = codebook.get(c.parent)
            lineage[code.id] = chain
        rows = rows.assign(code=rows["code"].map(lambda c: lineage.get(c, [c]))).explode("code")
    return (rows.sort_values("score", ascending=False)
            .drop_duplicates(["doc_id", "seg_id", "code"]).reset_index(drop=True))


# --- frequencies and specificity ---------------------------------------------------------
def code_frequencies(coded: pd.DataFrame, segs: pd.DataFrame, docs: pd.DataFrame) -> pd.DataFrame:
    """Per document and code: coded segments, per 1,000 words and as share of analysed segments."""
    cols = ["doc_id", "label", "code", "n_segments", "per_1000_words", "share_segments"]
    if coded.empty or segs.empty:
        return pd.DataFrame(columns=cols)
    size = segs.groupby("doc_id").agg(seg_total=("seg_id", "size"), words=("n_words", "sum"))
    f = coded.groupby(["doc_id", "code"]).size().rename("n_segments").reset_index()
    f = f.join(size, on="doc_id")
    f["per_1000_words"] = 1000 * f["n_segments"] / f["words"].where(f["words"] > 0)
    f["share_segments"] = f["n_segments"] / f["seg_total"]
    f = f.merge(docs[["doc_id", "label"]], on="doc_id", how="left")
    return f[cols].sort_values(["label", "code"]).reset_index(drop=True)


def lafon_specificity(total: Any, part: Any, code_total: Any, in_part: Any) -> np.ndarray:
    """Lafon's specificity score, signed log10 of the hypergeometric tail (as Iramuteq/TXM).

    ``total`` units in the corpus, ``part`` of them in the group, ``code_total`` units
    carrying the code, ``in_part`` of which fall in the group. Over-representation
    gives ``-log10 P(X >= in_part)`` (positive), under-representation
    ``log10 P(X <= in_part)`` (negative); 0 when the count equals its expectation.
    ±2 means a tail probability of 1 %.
    """
    T, t, F, f = (np.asarray(x, dtype=float) for x in (total, part, code_total, in_part))
    expected = np.divide(t * F, T, out=np.zeros_like(T * t * F * f), where=T > 0)
    over = -hypergeom.logsf(f - 1, T, F, t) / math.log(10)
    under = hypergeom.logcdf(f, T, F, t) / math.log(10)
    score = np.where(f > expected, over, np.where(f < expected, under, 0.0))
    score = np.where(np.isfinite(score), score, np.sign(score) * 300.0)
    return np.where(T > 0, score, 0.0)


def code_by_group(coded: pd.DataFrame, segs: pd.DataFrame, docs: pd.DataFrame,
                  attributes: Iterable[str]) -> pd.DataFrame:
    """Per attribute value and code: counts, rates and Lafon specificity (over segments)."""
    cols = ["attribute", "group", "code", "n_docs", "n_segments", "seg_total", "words", "per_1000_words",
            "share_segments", "specificity"]
    frames = []
    if coded.empty or segs.empty:
        return pd.DataFrame(columns=cols)
    T = len(segs)
    code_total = coded.groupby("code").size()
    for attr in attributes:
        member = docs[["doc_id", attr]].dropna()
        member = member.assign(group=member[attr].astype(str))[["doc_id", "group"]]
        s = segs.merge(member, on="doc_id")
        size = s.groupby("group").agg(seg_total=("seg_id", "size"), words=("n_words", "sum"),
                                      n_docs=("doc_id", "nunique"))
        c = coded.merge(member, on="doc_id")
        counts = c.groupby(["group", "code"]).size().unstack(fill_value=0)
        counts = counts.reindex(index=size.index, columns=code_total.index, fill_value=0)
        long = counts.stack().rename("n_segments").reset_index()
        long = long.join(size, on="group")
        long["attribute"] = attr
        long["per_1000_words"] = 1000 * long["n_segments"] / long["words"].where(long["words"] > 0)
        long["share_segments"] = long["n_segments"] / long["seg_total"]
        long["specificity"] = lafon_specificity(T, long["seg_total"], long["code"].map(code_total),
                                                long["n_segments"])
        frames.append(long[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def cooccurrence(coded: pd.DataFrame, codes: list[str] | None = None) -> pd.DataFrame:
    """Segment-level co-occurrence of code pairs with the C-coefficient n12 / (n1 + n2 − n12)."""
    cols = ["code_a", "code_b", "n_a", "n_b", "n_ab", "c_coefficient"]
    x = coded if codes is None else coded[coded["code"].isin(codes)]
    if x.empty:
        return pd.DataFrame(columns=cols)
    onehot = pd.crosstab([x["doc_id"], x["seg_id"]], x["code"]).clip(upper=1)
    m = onehot.to_numpy(dtype=np.int64)
    n12 = m.T @ m
    n = np.diag(n12)
    names = list(onehot.columns)
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if n12[i, j] == 0:
                continue
            rows.append((names[i], names[j], int(n[i]), int(n[j]), int(n12[i, j]),
                         n12[i, j] / (n[i] + n[j] - n12[i, j])))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("c_coefficient", ascending=False).reset_index(drop=True)


# --- turning points ------------------------------------------------------------------------
def turning_points_by_group(tps: pd.DataFrame, docs: pd.DataFrame, attributes: Iterable[str]) -> pd.DataFrame:
    """Turning points per type and attribute value, with the number per document of the group."""
    cols = ["attribute", "group", "type", "n", "n_docs_group", "per_document", "share"]
    frames = []
    if tps.empty:
        return pd.DataFrame(columns=cols)
    for attr in attributes:
        member = docs[["doc_id", attr]].dropna()
        member = member.assign(group=member[attr].astype(str))[["doc_id", "group"]]
        n_docs = member.groupby("group").size().rename("n_docs_group")
        t = tps.merge(member, on="doc_id")
        if t.empty:
            continue
        g = t.groupby(["group", "type"]).size().rename("n").reset_index().join(n_docs, on="group")
        g["per_document"] = g["n"] / g["n_docs_group"]
        g["share"] = g["n"] / g.groupby("group")["n"].transform("sum")
        g["attribute"] = attr
        frames.append(g[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def turning_points_by_time(tps: pd.DataFrame, docs: pd.DataFrame) -> pd.DataFrame:
    """Turning points per type by decade of the event and by the narrator's age at the event."""
    cols = ["axis", "bin", "type", "n"]
    if tps.empty:
        return pd.DataFrame(columns=cols)
    t = tps.merge(docs[["doc_id", "birth_year_"]], on="doc_id", how="left")
    years = pd.to_numeric(t["year"], errors="coerce")
    frames = []
    dated = t[years.notna()].assign(bin=(years[years.notna()] // 10 * 10).astype(int).astype(str) + "s")
    if not dated.empty:
        frames.append(dated.groupby(["bin", "type"]).size().rename("n").reset_index().assign(axis="décennie"))
    born = pd.to_numeric(t["birth_year_"], errors="coerce")
    age = years - born
    aged = t[age.notna() & (age >= 0)].copy()
    if not aged.empty:
        aged["bin"] = [_band(int(a), LIFE_STAGES) for a in age[age.notna() & (age >= 0)]]
        frames.append(aged.groupby(["bin", "type"]).size().rename("n").reset_index().assign(axis="âge au moment"))
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def turning_point_sequences(tps: pd.DataFrame, docs: pd.DataFrame) -> pd.DataFrame:
    """Per narrator (document), turning-point types in narrative order, repeats collapsed."""
    cols = ["doc_id", "label", "n_turning_points", "sequence"]
    if tps.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for doc_id, g in tps.sort_values(["doc_id", "sent_id", "start"]).groupby("doc_id", sort=False):
        seq = [k for i, k in enumerate(g["type"]) if i == 0 or k != g["type"].iloc[i - 1]]
        rows.append((doc_id, len(g), " → ".join(seq)))
    out = pd.DataFrame(rows, columns=["doc_id", "n_turning_points", "sequence"])
    out = out.merge(docs[["doc_id", "label"]], on="doc_id", how="left")
    return out[cols].sort_values("label").reset_index(drop=True)


def sequence_ngrams(sequences: pd.DataFrame, sizes: tuple[int, ...] = (2, 3)) -> pd.DataFrame:
    """The most frequent runs of turning-point types, counted once per narrator and in total."""
    cols = ["n", "ngram", "n_narrators", "occurrences"]
    narrators: Counter = Counter()
    total: Counter = Counter()
    for seq in sequences.get("sequence", []):
        types = seq.split(" → ") if seq else []
        for n in sizes:
            grams = [" → ".join(types[i:i + n]) for i in range(len(types) - n + 1)]
            total.update((n, g) for g in grams)
            narrators.update({(n, g) for g in grams})
    rows = [(n, g, narrators[(n, g)], total[(n, g)]) for (n, g) in total]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["n_narrators", "occurrences", "ngram"], ascending=[False, False, True]
                           ).reset_index(drop=True)


def polar_events(tps: pd.DataFrame, coded: pd.DataFrame, segs: pd.DataFrame) -> pd.DataFrame:
    """Obstacles and levers of each story in narrative order: turning points with a polarity,
    plus segments coded ``probleme``/``levier`` that carry no such turning point."""
    cols = ["doc_id", "seg_id", "sent_id", "start", "polarity", "source", "type", "text"]
    parts = []
    if not tps.empty:
        p = tps[tps["polarity"].isin(["obstacle", "levier"])]
        parts.append(p.assign(source="tournant")[cols])
    if not coded.empty:
        c = coded[coded["code"].isin(["probleme", "levier"])]
        c = c.assign(polarity=c["code"].map({"probleme": "obstacle", "levier": "levier"}))
        c = c.merge(segs[["doc_id", "seg_id", "start"]], on=["doc_id", "seg_id"], how="left")
        if parts:
            seen = set(zip(parts[0]["doc_id"], parts[0]["seg_id"], parts[0]["polarity"]))
            keep = pd.Series([k not in seen for k in zip(c["doc_id"], c["seg_id"], c["polarity"])],
                             index=c.index, dtype=bool)
            c = c.loc[keep]  # a boolean Series: an empty list would select no *columns*
        c = c.assign(sent_id=-1, source="codage", type=c["code"], text=None)
        parts.append(c[cols])
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=cols)
    ev = pd.concat(parts, ignore_index=True)
    return ev.sort_values(["doc_id", "start", "sent_id"]).reset_index(drop=True)


def obstacle_lever_pairs(events: pd.DataFrame) -> pd.DataFrame:
    """Each lever paired with the latest unanswered obstacle told before it in the same story."""
    cols = ["doc_id", "obstacle_seg_id", "obstacle_sent_id", "obstacle_type", "obstacle_source",
            "lever_seg_id", "lever_sent_id", "lever_type", "lever_source", "segments_between"]
    rows = []
    for doc_id, g in events.groupby("doc_id", sort=False):
        pending = None
        for ev in g.itertuples(index=False):
            if ev.polarity == "obstacle":
                pending = ev
            elif pending is not None:
                rows.append((doc_id, pending.seg_id, pending.sent_id, pending.type, pending.source,
                             ev.seg_id, ev.sent_id, ev.type, ev.source, int(ev.seg_id) - int(pending.seg_id)))
                pending = None
    return pd.DataFrame(rows, columns=cols)


# --- everything -----------------------------------------------------------------------------
def load_inputs(store, codebook=None) -> dict[str, pd.DataFrame]:
    """The store tables aggregation needs, with derived columns (loaded once per report)."""
    docs = prepare_documents(store.documents())
    segments = store.table("segments")
    segments = segments[segments["doc_id"].isin(docs["doc_id"])]
    segs = analysed_segments(segments)
    codings = store.table("codings")
    coded = expand_codings(codings[codings["doc_id"].isin(docs["doc_id"])], codebook)
    coded = coded.merge(segs[["doc_id", "seg_id"]], on=["doc_id", "seg_id"])  # analysed segments only
    tps = store.table("turning_points")
    tps = tps[tps["doc_id"].isin(docs["doc_id"])].reset_index(drop=True)
    return {"documents": docs, "segments": segments, "analysed": segs, "coded": coded, "turning_points": tps}


def compute_all(store, codebook=None, *, inputs: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """All aggregate tables, keyed by the table name they are stored under."""
    x = inputs or load_inputs(store, codebook)
    docs, segs, coded, tps = x["documents"], x["analysed"], x["coded"], x["turning_points"]
    attrs = group_attributes(docs)
    top = [c.id for c in codebook.codes if c.parent is None] if codebook is not None else None
    seqs = turning_point_sequences(tps, docs)
    events = polar_events(tps, coded, segs)
    return {
        "code_frequencies": code_frequencies(coded, segs, docs),
        "code_by_group": code_by_group(coded, segs, docs, attrs),
        "code_cooccurrence": cooccurrence(coded, top),
        "turning_points_by_group": turning_points_by_group(tps, docs, attrs),
        "turning_points_by_time": turning_points_by_time(tps, docs),
        "turning_point_sequences": seqs,
        "turning_point_ngrams": sequence_ngrams(seqs),
        "obstacle_lever_pairs": obstacle_lever_pairs(events),
    }
