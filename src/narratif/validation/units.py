"""The units a validation samples and the coder's predictions on them.

Two kinds of unit, as the figures are counted: **segments** (a narrator's turn or a
paragraph; the six themes, counting their sub-codes, and the MIAOU categories) and
**sentences** (of the same segments; the six turning-point types). A unit is known by a
hash of its document's path and its text (and its rank among identical texts of that
document), so a rerun, a new model or a corrected file keeps the verdicts of every unit
whose words did not change — as turning-point reviews do.

For each code a unit gets a *prediction level*, the coder's own signal ordered from
"surely not" to "surely": 3 the code is the unit's strongest code of its family, 2 it is
applied but another is stronger, 1 another code of the family is applied, 0 none is.
``predicted`` is level ≥ 2 (the code, or one of its sub-codes, is applied).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

SEGMENT, SENTENCE = "segment", "sentence"
UNITS = (SEGMENT, SENTENCE)
NONE_STRATUM = "aucun"
_SPACE = re.compile(r"\s+")


@dataclass
class UnitFrame:
    """Units of one kind with what narratif predicted on them.

    ``units``: one row per unit (unit_id, doc_id, path, label, seg_id, sent_id, text,
    speaker, page, top, uncertainty, and the document's grouping attributes);
    ``levels``: one int column per code (same row order); ``families``: code -> family.
    """

    unit: str
    units: pd.DataFrame
    levels: pd.DataFrame
    codes: list[str]
    families: dict[str, str]
    attributes: list[str]
    segments: pd.DataFrame  # every segment of the documents (interviewer turns too), for context

    @property
    def predicted(self) -> pd.DataFrame:
        return (self.levels >= 2).astype(int)

    def __len__(self) -> int:
        return len(self.units)


def unit_codes(codebook, unit: str) -> dict[str, str]:
    """code -> family for a kind of unit, in review order."""
    if unit == SEGMENT:
        fams = {c: "themes" for c in codebook.theme_ids}
        fams.update({c: "miaou" for c in codebook.ids("miaou", top_level=True)})
        return fams
    from narratif.turning_points.detect import TYPES

    return {t: "turning_points" for t in TYPES}


def unit_key(unit: str, path: str, text: str, rank: int) -> str:
    """A unit's id: stable while its document path and its words (spacing aside) stay."""
    norm = _SPACE.sub(" ", str(text or "")).strip()
    digest = hashlib.sha256(f"{unit}\x1f{path}\x1f{norm}\x1f{rank}".encode("utf-8")).hexdigest()[:16]
    return f"{'seg' if unit == SEGMENT else 'sen'}-{digest}"


def _keys(unit: str, df: pd.DataFrame) -> list[str]:
    norm = df["text"].fillna("").map(lambda t: _SPACE.sub(" ", t).strip())
    rank = norm.groupby(df["doc_id"]).cumcount()
    return [unit_key(unit, p, t, int(r)) for p, t, r in zip(df["path"], norm, rank)]


def _levels(scores: pd.DataFrame, families: dict[str, str]) -> pd.DataFrame:
    """Prediction levels (3 top of its family, 2 applied, 1 other applied, 0 none) per code."""
    out = pd.DataFrame(0, index=scores.index, columns=list(families), dtype=int)
    for fam in dict.fromkeys(families.values()):
        codes = [c for c, f in families.items() if f == fam]
        s = scores.reindex(columns=codes, fill_value=0.0).to_numpy(dtype=float)
        applied = s > 0
        any_applied = applied.any(axis=1)
        top = np.where(any_applied, s.argmax(axis=1), -1)
        for j, c in enumerate(codes):
            lvl = np.where(applied[:, j], 2, np.where(any_applied, 1, 0))
            lvl[top == j] = 3
            out[c] = lvl
    return out


def _uncertainty(scores: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """How unsure the coder is of a unit: a small margin between its two strongest codes (or
    a weak single code) is unsure; a unit with no code at all is left to the probability
    samples (its uncertainty is 1)."""
    s = np.sort(scores.reindex(columns=codes, fill_value=0.0).to_numpy(dtype=float), axis=1)[:, ::-1]
    if s.shape[1] == 0:
        return np.ones(len(scores))
    top1 = s[:, 0]
    top2 = s[:, 1] if s.shape[1] > 1 else np.zeros(len(s))
    return np.where(top1 > 0, top1 - top2, 1.0)


def build_frame(inputs: dict[str, pd.DataFrame], sentences: pd.DataFrame, codebook, unit: str, *,
                keys: bool = True) -> UnitFrame:
    """The units of one kind from the tables a report loads (``quantify.load_inputs``); without
    ``keys`` (no sample to match), units are not hashed and ``unit_id`` is their row number."""
    from narratif.aggregate.quantify import group_attributes

    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; one of {UNITS}")
    docs, segments = inputs["documents"], inputs["segments"]
    attrs = group_attributes(docs)
    families = unit_codes(codebook, unit)
    codes = list(families)
    segs = segments[segments["role"] != "interviewer"]
    if unit == SEGMENT:
        base = segs[["doc_id", "seg_id", "text", "speaker", "page"]].assign(sent_id=pd.NA)
        coded = inputs["coded"]
        scores = (coded[coded["code"].isin(codes)].pivot_table(index=["doc_id", "seg_id"], columns="code",
                                                               values="score", aggfunc="max")
                  if not coded.empty else pd.DataFrame())
        on = ["doc_id", "seg_id"]
    else:
        sent = sentences.merge(segs[["doc_id", "seg_id", "speaker", "page"]], on=["doc_id", "seg_id"])
        base = sent[["doc_id", "seg_id", "sent_id", "text", "speaker", "page"]]
        tps = inputs["turning_points"]
        scores = (tps.assign(score=tps["score"].clip(lower=1e-6)).pivot_table(
            index=["doc_id", "sent_id"], columns="type", values="score", aggfunc="max")
            if not tps.empty else pd.DataFrame())
        on = ["doc_id", "sent_id"]
    meta = docs[["doc_id", "path", "label", *attrs]].drop_duplicates("doc_id")
    base = base.merge(meta, on="doc_id").sort_values(["path", "seg_id", "sent_id"]).reset_index(drop=True)
    base.insert(0, "unit_id", _keys(unit, base) if keys else [str(i) for i in range(len(base))])
    sc = base[on].merge(scores.reset_index(), on=on, how="left") if len(scores) else base[on].copy()
    sc = sc.reindex(columns=[*on, *codes]).drop(columns=on).fillna(0.0).set_axis(base.index)
    levels = _levels(sc, families)
    fam_first = [c for c in codes if families[c] == families[codes[0]]]
    top = np.where(levels[fam_first].max(axis=1) == 3, levels[fam_first].idxmax(axis=1), NONE_STRATUM) \
        if len(base) else np.array([], dtype=object)
    base["top"] = top
    base["uncertainty"] = _uncertainty(sc, fam_first)
    return UnitFrame(unit=unit, units=base, levels=levels, codes=codes, families=families, attributes=attrs,
                     segments=segments)


def load_frame(store, codebook, unit: str) -> UnitFrame:
    """The units of one kind as the store holds them now."""
    from narratif.aggregate.quantify import load_inputs

    return build_frame(load_inputs(store, codebook), store.table("sentences"), codebook, unit)
