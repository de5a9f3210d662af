"""Analysts' verdicts read back from a reviewed ``.csv``, ``.xlsx`` or ``.qdpx``, strictly.

Any value other than 1, 0 or blank, any unit that is in no sample of the store, any column
renamed, missing or changed (a unit's document, code or prediction): the whole file is
refused with a message naming the file, the row and the column, and nothing from it is
recorded. Verdicts are kept by unit id (a hash of the unit's document path and text), so
they outlive reruns, new models and corrected files for every unit whose words did not change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import Any, Iterable

import pandas as pd

from narratif.validation.review_files import CSV_COLUMNS, XLSX_EXTRA
from narratif.validation.units import unit_codes

MAX_BYTES = 50 * 1024 * 1024
MAX_ERRORS = 12


class VerdictFileError(ValueError):
    """A reviewed file that cannot be recorded; the message names file, row and column."""


@dataclass
class VerdictImport:
    """What a reviewed file says: one row per (unit, code) with a verdict."""

    path: Path
    verdicts: pd.DataFrame
    n_rows: int = 0
    n_blank: int = 0
    samples: list[str] = field(default_factory=list)


@dataclass
class _Row:
    where: str  # "row 7" or "source 'seg-…'"
    values: dict[str, Any]


def _verdict_value(v: Any) -> int | None | str:
    """1, 0, None (blank) — or the offending text."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v) if v in (0, 1) else str(v)
    s = str(v).strip()
    if s == "":
        return None
    if s in ("1", "0", "1.0", "0.0"):
        return int(float(s))
    return s


def _check_header(path: Path, header: list[str], allowed_extra: Iterable[str]) -> None:
    header = [str(h or "").strip().lstrip("\ufeff") for h in header]
    missing = [c for c in CSV_COLUMNS if c not in header]
    extra = [h for h in header if h not in CSV_COLUMNS and h not in allowed_extra]
    if missing or extra:
        what = (f"missing column(s) {', '.join(missing)}" if missing else "") + \
               ("; " if missing and extra else "") + (f"unexpected column(s) {', '.join(extra)}" if extra else "")
        raise VerdictFileError(f"{path}: row 1 (header): {what}; the columns must stay "
                               f"{', '.join(CSV_COLUMNS)}")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise VerdictFileError(f"{path}: row 1 (header): column(s) {', '.join(dup)} appear twice")


def _csv_rows(path: Path) -> list[_Row]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict") if not data.startswith(b"\xff\xfe") else data.decode("utf-16")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise VerdictFileError(f"{path}: empty file, expected the columns {', '.join(CSV_COLUMNS)}") from None
    _check_header(path, header, XLSX_EXTRA)  # a spreadsheet saved as CSV keeps its extra columns
    rows = []
    for i, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise VerdictFileError(f"{path}: row {i}: {len(cells)} cells for {len(header)} columns "
                                   "(a cell with an unquoted separator or line break?)")
        rows.append(_Row(f"row {i}", dict(zip((h.strip().lstrip("\ufeff") for h in header), cells))))
    return rows


def _xlsx_rows(path: Path) -> list[_Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: all mean "not a readable workbook"
        raise VerdictFileError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        ws = wb["verdicts"] if "verdicts" in wb.sheetnames else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        while header and header[-1] == "":
            header.pop()
        _check_header(path, header, XLSX_EXTRA)
        rows = []
        for i, cells in enumerate(it, start=2):
            cells = list(cells)[: len(header)]
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            rows.append(_Row(f"row {i}", dict(zip(header, cells))))
        return rows
    finally:
        wb.close()


def _qdpx_rows(path: Path, codebook, known: pd.DataFrame) -> tuple[list[_Row], list[str]]:
    """A reviewed sample project: a unit (source) without « non revu » is reviewed; each code of
    its family then gets 1 when applied (itself or a sub-code) and 0 otherwise."""
    from narratif.refi import RefiError, read_qdpx

    try:
        project = read_qdpx(path)
    except (RefiError, OSError) as exc:
        raise VerdictFileError(f"{path}: {exc}" if str(path) not in str(exc) else str(exc)) from None
    codes = project.all_codes()
    applied: dict[str, set[str]] = {}
    for c in project.codings:
        code = codes.get(c.code)
        if code is None:
            continue
        cid = code.meta.get("validation") or code.meta.get("turning_point") or code.meta.get("id")
        if cid in codebook:
            cid = codebook.top_level(cid)
        applied.setdefault(c.source, set()).add(str(cid))
    rows, errors = [], []
    kinds = dict(zip(known["unit_id"], known["unit"]))
    for src in project.sources:
        where = f"source {src.name!r}"
        if src.name not in kinds:
            errors.append(f"{where}, column unit_id: unknown unit (in no validation sample of this store)")
            continue
        got = applied.get(src.guid, set())
        reviewed = "not_reviewed" not in got
        for code in unit_codes(codebook, kinds[src.name]):
            rows.append(_Row(where, {"unit_id": src.name, "code": code,
                                     "verdict": (1 if code in got else 0) if reviewed else None}))
    return rows, errors


def _check_row(row: _Row, unit: pd.Series | None, codes: dict[str, str], seen: dict) -> tuple[list[str], dict | None]:
    v = row.values
    uid = str(v.get("unit_id") or "").strip()
    if unit is None:
        return [f"{row.where}, column unit_id: unknown unit {uid!r} (in no validation sample of this store)"], None
    errors = []
    code = str(v.get("code") or "").strip()
    if code not in codes:
        errors.append(f"{row.where}, column code: {code!r} is not a code of this {unit['unit']} sample "
                      f"({', '.join(codes)})")
    if "document" in v and str(v["document"] or "").strip() != PurePath(str(unit["path"])).name:
        errors.append(f"{row.where}, column document: changed ({v['document']!r}; the sample says "
                      f"{PurePath(str(unit['path'])).name!r})")
    if "text" in v and " ".join(str(v["text"] or "").split()) != " ".join(str(unit["text"] or "").split()):
        errors.append(f"{row.where}, column text: changed from the sampled unit's text")
    if "predicted" in v and code in codes:
        expected = int(code in set(str(unit["predicted"] or "").split(",")))
        if _verdict_value(v["predicted"]) != expected:
            errors.append(f"{row.where}, column predicted: changed ({v['predicted']!r}; the sample says {expected})")
    verdict = _verdict_value(v.get("verdict"))
    if isinstance(verdict, str):
        errors.append(f"{row.where}, column verdict: {verdict!r} is not 1 (the code applies), 0 (it does not) "
                      "or blank (not reviewed)")
    if errors:
        return errors, None
    key = (uid, code)
    if key in seen and seen[key] != verdict:
        return [f"{row.where}, column verdict: {uid} / {code} is given twice with different verdicts"], None
    seen[key] = verdict
    return [], {"unit_id": uid, "code": code, "verdict": verdict}


def read_verdicts(path: str | Path, store, codebook) -> VerdictImport:
    """Read and check a reviewed file against the samples of ``store``; raise
    :class:`VerdictFileError` (nothing recorded) at the first problems found."""
    path = Path(path)
    if not path.is_file():
        raise VerdictFileError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise VerdictFileError(f"{path}: {path.stat().st_size:,} bytes, more than a review file can be")
    known = store.validation_table("validation_units").drop_duplicates("unit_id", keep="last")
    suffix = path.suffix.lower()
    errors: list[str] = []
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    elif suffix == ".qdpx":
        rows, errors = _qdpx_rows(path, codebook, known)
    else:
        raise VerdictFileError(f"{path}: not a .csv, .xlsx or .qdpx file")
    by_id = known.set_index("unit_id")
    families = {u: unit_codes(codebook, u) for u in known["unit"].unique()}
    seen: dict = {}
    out = []
    for row in rows:
        uid = str(row.values.get("unit_id") or "").strip()
        unit = by_id.loc[uid] if uid in by_id.index else None
        errs, rec = _check_row(row, unit, families.get(unit["unit"], {}) if unit is not None else {}, seen)
        errors += errs
        if rec is not None:
            out.append(rec)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        more = " (and maybe more)" if len(errors) >= MAX_ERRORS else ""
        raise VerdictFileError(f"{path}: nothing recorded from this file; {errors[0]}"
                               + "".join(f"\n  {path}: {e}" for e in errors[1:]) + more)
    if not rows:
        raise VerdictFileError(f"{path}: no row to read")
    df = pd.DataFrame(out, columns=["unit_id", "code", "verdict"])
    blank = int(df["verdict"].isna().sum())
    df = df.dropna(subset=["verdict"]).astype({"verdict": int})
    df["source"] = path.name
    df["reviewed_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    samples = sorted(set(known.loc[known["unit_id"].isin(df["unit_id"]), "sample_id"]))
    return VerdictImport(path=path, verdicts=df, n_rows=len(out), n_blank=blank, samples=samples)
