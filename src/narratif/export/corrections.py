"""Analysts' corrections in a re-imported .qdpx, turned into classifier training data.

Review happens in the team's QDA software: they keep the codings they agree with,
delete the wrong ones and add what narratif missed. Compared with what narratif
exported (the original .qdpx, or the store it came from), every coding present in
the returned project is a positive example, and every narratif coding that is gone
— with no coding of the same code left overlapping it — is a negative one. The rows
have the columns ``narratif train CODINGS.csv`` reads: ``text, code, accepted``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..formulas import csv_safe_frame
from .qdpx import QdpxProject, read_qdpx
from .refi import guid

TRAINING_COLUMNS = ["text", "code", "accepted"]


def _theme_codings(project: QdpxProject) -> pd.DataFrame:
    """Codings of codebook codes (turning points and groups left out), with their text."""
    df = project.codings_frame()
    df = df[df["code_id"].notna() & df["turning_point"].isna() & df["text"].notna()]
    return df.assign(text=df["text"].str.strip())[lambda d: d["text"] != ""]


def _baseline(baseline: str | Path) -> pd.DataFrame:
    """What narratif proposed: (source, start, end, code_id, text) of the original export or store."""
    p = Path(baseline)
    if p.is_dir():
        from ..store import Store

        with Store(p, read_only=True) as store:
            seg = store.table("segments")
            cod = store.table("codings")
        if cod.empty:
            return pd.DataFrame(columns=["source", "start", "end", "code_id", "text"])
        df = cod.merge(seg[["doc_id", "seg_id", "start", "end", "text"]], on=["doc_id", "seg_id"])
        return pd.DataFrame({"source": [guid("source", d) for d in df["doc_id"]], "start": df["start"],
                             "end": df["end"], "code_id": df["code"], "text": df["text"].str.strip()})
    return _theme_codings(read_qdpx(p))[["source", "start", "end", "code_id", "text"]]


def qdpx_to_training(qdpx_path: str | Path, *, baseline: str | Path | None = None) -> pd.DataFrame:
    """Training rows ``text, code, accepted`` from a project reviewed in QDA software.

    ``baseline`` is the .qdpx narratif exported or the narratif output directory it
    was exported from; without it only acceptances are known (every coding counts as
    accepted, nothing as rejected). For a pseudonymised export give the .qdpx, whose
    offsets and texts are those the analysts saw, not the store.
    """
    reviewed = _theme_codings(read_qdpx(qdpx_path))
    rows = [{"text": t, "code": c, "accepted": 1} for t, c in zip(reviewed["text"], reviewed["code_id"])]
    if baseline is not None:
        base = _baseline(baseline)
        kept = {}
        for r in reviewed.itertuples(index=False):
            kept.setdefault((r.source, r.code_id), []).append((r.start, r.end))
        for r in base.itertuples(index=False):
            spans = kept.get((r.source, r.code_id), [])
            if not any(a < r.end and r.start < b for a, b in spans) and r.text:
                rows.append({"text": r.text, "code": r.code_id, "accepted": 0})
    df = pd.DataFrame(rows, columns=TRAINING_COLUMNS)
    # one verdict per (text, code): an acceptance anywhere wins over a removal elsewhere
    df = df.sort_values("accepted", ascending=False, kind="stable").drop_duplicates(["text", "code"])
    return df.sort_values(["code", "accepted", "text"], kind="stable").reset_index(drop=True).astype(
        {"accepted": "int64"})


def write_training_csv(qdpx_path: str | Path, target: str | Path, *, baseline: str | Path | None = None) -> Path:
    """:func:`qdpx_to_training` written as the CSV ``narratif train`` takes.

    Texts come from the reviewed project: one a spreadsheet would run as a formula is
    written with a leading apostrophe, which ``narratif train`` takes off again.
    """
    df = qdpx_to_training(qdpx_path, baseline=baseline)
    target = Path(target)
    csv_safe_frame(df).to_csv(target, index=False)
    return target
