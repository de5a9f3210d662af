"""``analysis.xlsx``: one sheet per table (openpyxl, write-only for speed).

Every text cell, column names included, is an explicit string cell: openpyxl would
otherwise store a value starting with ``=`` (an attribute value from a metadata
sidecar, a file name) as a live formula. Text a spreadsheet would evaluate if typed
(``=``, ``+``, ``-``, ``@``, tab, CR: :mod:`narratif.formulas`) also gets Excel's
quote prefix, so editing the cell keeps it text.

Cells read as in the report (codebook labels, French type names, lists as text,
« oui / non ») but numbers stay numbers, so Excel formats and sums them; the
``codebook`` sheet maps each label back to its code id.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from narratif.atomic import atomic_write
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from narratif.formulas import looks_like_formula
from narratif.report.formatting import Formatter

MAX_CELL = 32_000
MAX_ROWS = 1_000_000


def sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: ≤ 31 characters, no []:*?/\\, unique."""
    base = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]
    cand, i = base, 2
    while cand.lower() in used:
        suffix = f"~{i}"
        cand, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(cand.lower())
    return cand


def _cell(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (list, tuple, set)):
        v = ", ".join(map(str, v))
    if hasattr(v, "item") and not isinstance(v, str):
        try:
            return v.item()
        except (ValueError, AttributeError):
            v = str(v)
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        return v[:MAX_CELL]
    if isinstance(v, (int, bool)):
        return v
    return str(v)


def _text_cell(ws, value: str) -> WriteOnlyCell:
    """A cell that holds ``value`` as text, never as a formula."""
    cell = WriteOnlyCell(ws)
    cell.value = value
    cell.data_type = "s"  # after the value: openpyxl types "=..." as a formula on assignment
    if looks_like_formula(value):
        cell.quotePrefix = True
    return cell


def _row(ws, values) -> list:
    return [_text_cell(ws, v) if isinstance(v, str) else v for v in values]


def codebook_sheet(codebook) -> pd.DataFrame:
    """Code ids and their labels, category and parent: the key to the labels of the other sheets."""
    rows = [(c.id, c.label, c.category, c.parent or "") for c in codebook.codes] if codebook is not None else []
    return pd.DataFrame(rows, columns=["code_id", "label", "category", "parent"])


def write_xlsx(data, path: Path) -> Path:
    sheets = {"documents": data.documents, **data.tables}
    if data.topics is not None:
        sheets["topics"] = data.topics
    fmt = Formatter(data.codebook)
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for name, df in sheets.items():
        ws = wb.create_sheet(sheet_name(name, used))
        ws.append(_row(ws, [_cell(str(c)) for c in df.columns]))
        for row in fmt.rows(df.head(MAX_ROWS), df.columns, spreadsheet=True):
            ws.append(_row(ws, [_cell(v) for v in row]))
    if data.codebook is not None:
        ws = wb.create_sheet(sheet_name("codebook", used))
        book = codebook_sheet(data.codebook)
        ws.append(_row(ws, list(book.columns)))
        for row in book.itertuples(index=False):
            ws.append(_row(ws, [_cell(v) for v in row]))
    atomic_write(path, wb.save, suffix=".xlsx")
    return path
