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

from narratif.formulas import csv_safe_frame

from narratif.refi.matching import exported_documents, match_codes, match_sources, store_documents
from narratif.refi.qdpx import QdpxProject, read_qdpx
from narratif.refi.common import RefiError, codebook_codes

TRAINING_COLUMNS = ["text", "code", "accepted"]
_BASE_COLUMNS = ["doc", "start", "end", "code_id", "text"]


def _theme_codings(project: QdpxProject, exported, docs: dict[str, str]) -> pd.DataFrame:
    """Codings of codebook codes (turning points and groups left out), with their text and
    document: ``docs`` maps a source GUID to the document it is (else the GUID stands for it);
    a code is the one of ``exported`` it matches (:func:`.matching.match_codes`), else a code
    the analysts made (its id from its name, as :func:`.refi.assign_ids` gives it)."""
    df = project.codings_frame()
    meaning = match_codes(project.codes, exported)
    known = [meaning.get(g) for g in df["code_guid"]]
    df = df.assign(
        code_id=[m[1] if m else c for m, c in zip(known, df["code_id"])],
        turning_point=[m[1] if m and m[0] == "turning_point" else None for m in known],
        known=[m is not None and m[0] == "id" for m in known],
        doc=[docs.get(s, s) for s in df["source"]])
    df = df[df["code_id"].notna() & df["turning_point"].isna() & df["text"].notna()]
    return df.assign(text=df["text"].str.strip())[lambda d: d["text"] != ""]


def _baseline(baseline: str | Path, codebook) -> tuple[pd.DataFrame, list, list]:
    """What narratif proposed: its theme codings (doc, start, end, code_id, text), the
    documents it exported and its code tree, from the original export or the store."""
    p = Path(baseline)
    if p.is_dir():
        from narratif.codebook import load_codebook
        from narratif.store import Store

        with Store(p, read_only=True) as store:
            seg = store.table("segments")
            cod = store.table("codings")
            documents = store_documents(store)
        book = load_codebook(codebook)
        codes = codebook_codes(book, extra=sorted(set(cod["code"]) - set(book.ids())) if not cod.empty else ())
        if cod.empty:
            return pd.DataFrame(columns=_BASE_COLUMNS), documents, codes
        df = cod.merge(seg[["doc_id", "seg_id", "start", "end", "text"]], on=["doc_id", "seg_id"])
        rows = pd.DataFrame({"doc": df["doc_id"], "start": df["start"], "end": df["end"], "code_id": df["code"],
                             "text": df["text"].str.strip()})
        return rows, documents, codes
    project = read_qdpx(p)
    documents = exported_documents(project)
    rows = _theme_codings(project, project.codes, {d.guid: d.doc_id for d in documents})
    return rows[_BASE_COLUMNS], documents, project.codes


def qdpx_to_training(qdpx_path: str | Path, *, baseline: str | Path | None = None, codebook=None) -> pd.DataFrame:
    """Training rows ``text, code, accepted`` from a project reviewed in QDA software.

    ``baseline`` is the .qdpx narratif exported or the narratif output directory it
    was exported from; without it only acceptances are known (every coding counts as
    accepted, nothing as rejected). For a pseudonymised export give the .qdpx, whose
    offsets and texts are those the analysts saw, not the store. Sources, codes and
    codings are matched as :mod:`.matching` says, so new GUIDs, renamed codes and widened
    selections change nothing; a baseline document the project does not hold counts no
    rejection (what the analysts did with it is unknown). ``codebook`` (for a baseline
    directory, or none) is the one the export was made with (default: the shipped one).

    Raises :class:`RefiError` naming the file when nothing in it matches: no source is a
    document of the baseline, or (without one) no coding uses a code of the codebook.
    """
    project = read_qdpx(qdpx_path)
    if baseline is not None:
        base, documents, exported = _baseline(baseline, codebook)
        docs = match_sources(project, documents)
        if not docs:
            raise RefiError(f"{qdpx_path}: none of its {len(project.sources)} sources is a document of {baseline} "
                            f"(sources are matched by GUID, narratif document id or text)")
    else:
        from narratif.codebook import load_codebook

        base, docs, exported = None, {}, codebook_codes(load_codebook(codebook))
    reviewed = _theme_codings(project, exported, docs)
    if baseline is None and not reviewed["known"].any():
        raise RefiError(f"{qdpx_path}: none of its {len(project.codings)} codings uses a code of the codebook "
                        f"(codes are matched by GUID, narratif id or name)")
    rows = [{"text": t, "code": c, "accepted": 1} for t, c in zip(reviewed["text"], reviewed["code_id"])]
    if base is not None:
        kept: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for r in reviewed.itertuples(index=False):
            kept.setdefault((r.doc, r.code_id), []).append((r.start, r.end))
        present = set(docs.values())
        for r in base.itertuples(index=False):
            spans = kept.get((r.doc, r.code_id), [])
            if r.doc in present and r.text and not any(a < r.end and r.start < b for a, b in spans):
                rows.append({"text": r.text, "code": r.code_id, "accepted": 0})
    df = pd.DataFrame(rows, columns=TRAINING_COLUMNS)
    # one verdict per (text, code): an acceptance anywhere wins over a removal elsewhere
    df = df.sort_values("accepted", ascending=False, kind="stable").drop_duplicates(["text", "code"])
    return df.sort_values(["code", "accepted", "text"], kind="stable").reset_index(drop=True).astype(
        {"accepted": "int64"})


def write_training_csv(qdpx_path: str | Path, target: str | Path, *, baseline: str | Path | None = None,
                       codebook=None) -> Path:
    """:func:`qdpx_to_training` written as the CSV ``narratif train`` takes.

    Texts come from the reviewed project: one a spreadsheet would run as a formula is
    written with a leading apostrophe, which ``narratif train`` takes off again.
    """
    df = qdpx_to_training(qdpx_path, baseline=baseline, codebook=codebook)
    target = Path(target)
    csv_safe_frame(df).to_csv(target, index=False)
    return target
