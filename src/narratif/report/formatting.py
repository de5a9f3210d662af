"""How every value reads in the reports: French numbers, labels instead of ids, lists as text.

All of ``report.html``, ``summary.md`` and ``analysis.xlsx`` go through this one
module, so a table reads like a table in a published study (« 16,6 % »,
« 1 127 », « −4,2 », « oui / non », a codebook label rather than ``moment_cle``)
and the three outputs say the same thing the same way. What a column holds is
told by its name (``COLUMN_KINDS``); a value the module does not know is shown
as it is, never as a Python or NumPy repr.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

import pandas as pd

__all__ = ["Formatter", "number", "percent", "signed", "yes_no", "items", "listing", "attribute_label",
           "TP_TYPES", "ORIENTATIONS", "DOCUMENT_KINDS", "COLUMN_KINDS"]

NNBSP = "\u202f"  # narrow no-break space: thousands, and before % (French typography)
MINUS = "\u2212"
LIST_SEP = ", "  # terms, names
LABEL_SEP = " ; "  # codebook labels, which may hold commas themselves

TP_TYPES = {"rencontre": "rencontre", "rupture": "rupture", "decision": "décision", "revelation": "révélation",
            "resolution": "résolution", "mobilite": "mobilité"}
ORIENTATIONS = {"past": "passé", "present": "présent", "future": "futur"}
DOCUMENT_KINDS = {"interview": "entretien", "story": "récit", "monograph": "monographie", "document": "document"}
TIME_KINDS = {"year": "année", "decade": "décennie", "age": "âge", "relative": "relative", "period": "période",
              "date": "date", "duration": "durée"}
ATTRIBUTES = {"kind": "type de document", "collectif": "collectif", "role": "rôle", "gender": "genre",
              "genre": "genre", "tranche_age": "tranche d'âge", "age": "âge", "territoire": "territoire",
              "birth_year": "année de naissance", "date": "date", "lieu": "lieu", "profession": "profession"}

#: What each column of the report tables holds, by name (columns not listed: by the value's type).
COLUMN_KINDS = {
    **dict.fromkeys(["code", "code_a", "code_b", "best_code", "guided_code", "item"], "code"),
    **dict.fromkeys(["type", "obstacle_type", "lever_type"], "type"),
    **dict.fromkeys(["sequence", "ngram"], "sequence"),
    **dict.fromkeys(["themes", "reading_a", "reading_b"], "codes"),
    **dict.fromkeys(["top_terms", "representative_seg_ids", "representative_texts", "roles"], "list"),
    "nearest_codes": "code_links", "emergent": "bool", "kind": "document_kind", "attribute": "attribute",
    "group": "group", "groups": "groups", "orientation": "orientation", "item_label": "item_label", "bin": "bin",
    **dict.fromkeys(["share", "share_segments", "share_past", "share_present", "share_future"], "percent"),
    "specificity": "signed",
    **dict.fromkeys(["per_1000_words", "per_document", "best_code_similarity", "similarity", "probability",
                     "score"], "decimal2"),
    "c_coefficient": "decimal3",
    **dict.fromkeys(["year", "birth_year", "topic_id", "rank", "seg_id", "sent_id", "obstacle_seg_id",
                     "lever_seg_id", "obstacle_sent_id", "lever_sent_id"], "plain"),
}
_DECIMALS = {"decimal2": 2, "decimal3": 3}
_DECADE = re.compile(r"^(\d{3}0)s$")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_NUMERIC_KINDS = (None, "percent", "signed", "decimal2", "decimal3", "plain")


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def number(v: Any, decimals: int = 0, *, grouped: bool = True) -> str:
    """« 1 127 », « 0,511 », « −3,5 » (narrow no-break space between thousands)."""
    if _missing(v):
        return ""
    v = float(v) if round(float(v), decimals) != 0 else 0.0  # no « −0,0 »
    text = f"{v:,.{decimals}f}" if grouped else f"{v:.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",").replace("-", MINUS)


def percent(share: Any, decimals: int = 1) -> str:
    """A share (0..1) as « 16,6 % »."""
    return "" if _missing(share) else f"{number(100 * float(share), decimals)}{NNBSP}%"


def signed(v: Any, decimals: int = 1) -> str:
    """« +4,2 » or « −4,2 » (a true minus sign)."""
    if _missing(v):
        return ""
    return ("+" if float(v) > 0 else "") + number(v, decimals)


def yes_no(v: Any) -> str:
    if _missing(v):
        return ""
    if isinstance(v, str):
        v = v.strip().lower() in ("true", "1", "yes", "oui", "vrai")
    return "oui" if bool(v) else "non"


def items(v: Any) -> list:
    """The elements of a list-like value: list, tuple, array, JSON list, or a NumPy array's repr."""
    if _missing(v):
        return []
    if hasattr(v, "tolist") and not isinstance(v, str):
        v = v.tolist()
    if isinstance(v, (list, tuple, set)):
        return list(v)
    text = str(v).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
            return parsed if isinstance(parsed, list) else [parsed]
        except ValueError:  # a NumPy repr: ['a' 'b' 'c']
            found = [a or b for a, b in _QUOTED.findall(text)]
            return found or [text]
    return [text] if text else []


def listing(v: Any, sep: str = LIST_SEP) -> str:
    """« a, b, c »; a record in the list shows its label (or its values), never its repr."""
    out = []
    for x in items(v):
        if isinstance(x, dict):
            x = x.get("label") or x.get("name") or " ".join(str(y) for y in x.values())
        if not _missing(x) and str(x) != "":
            out.append(str(x))
    return sep.join(out)


def attribute_label(name: str) -> str:
    """« Type de document » for ``kind``; other attributes keep their name, made readable."""
    label = ATTRIBUTES.get(str(name), str(name).replace("_", " "))
    return label[:1].upper() + label[1:]


CATEGORIES = {"themes": "thème", "dimensions": "dimension", "levers": "levier", "miaou": "grille MIAOU"}


def _code_labels(codebook) -> dict[str, str]:
    if codebook is None:
        return {}
    codes = list(codebook.codes)
    count: dict[str, int] = {}
    for c in codes:
        count[c.label] = count.get(c.label, 0) + 1
    return {c.id: c.label if count[c.label] == 1 else f"{c.label} ({CATEGORIES.get(c.category, c.category)})"
            for c in codes}


class Formatter:
    """Formats cells with the run's codebook: codes read as their labels."""

    def __init__(self, codebook=None):
        self.codebook = codebook
        self._labels = _code_labels(codebook)

    # --- labels ------------------------------------------------------------------------------
    def code(self, code: Any) -> str:
        """The code's label; labels two codes share say which kind of code they are."""
        if _missing(code):
            return ""
        return self._labels.get(str(code), str(code))

    def codes(self, v: Any) -> str:
        """Code ids (a list, or « a, b ») as labels; words that are no code id (« obstacle ») stay."""
        values = items(v) if not isinstance(v, str) or v.startswith("[") else re.split(r"\s*,\s*", v)
        return LABEL_SEP.join(self.code(x) for x in values if str(x).strip())

    def type(self, t: Any) -> str:
        """A turning-point type, a kind of time expression, or a code (obstacles coded ``probleme``)."""
        if _missing(t):
            return ""
        t = str(t)
        return TP_TYPES.get(t) or TIME_KINDS.get(t) or self.code(t)

    def sequence(self, s: Any) -> str:
        return "" if _missing(s) else " → ".join(self.type(x) for x in str(s).split(" → "))

    def group(self, attribute: Any, value: Any) -> str:
        if _missing(value):
            return ""
        return DOCUMENT_KINDS.get(str(value), str(value)) if attribute == "kind" else str(value)

    def groups(self, text: Any) -> str:
        """« collectif : A, B ; kind : interview » → « Collectif : A, B ; Type de document : entretien »."""
        if _missing(text):
            return ""
        parts = []
        for part in str(text).split(" ; "):
            attr, sep, values = part.partition(" : ")
            if not sep:
                parts.append(part)
                continue
            shown = LIST_SEP.join(self.group(attr, v) for v in values.split(", ")) if attr == "kind" else values
            parts.append(f"{attribute_label(attr)} : {shown}")
        return LABEL_SEP.join(parts)

    def code_links(self, v: Any) -> str:
        """Nearest codes (JSON list of {code, label, similarity}) as « Libellé (0,32) ; … »."""
        out = []
        for link in items(v):
            if isinstance(link, dict):
                label = self.code(link["code"]) if link.get("code") in (self.codebook or ()) \
                    else link.get("label") or self.code(link.get("code"))
                sim = link.get("similarity")
                out.append(f"{label} ({number(sim, 2)})" if sim is not None else label)
            elif not _missing(link):
                out.append(self.code(link))
        return LABEL_SEP.join(out)

    def item_label(self, label: Any) -> str:
        """MIAOU items: « tournant : mobilite » → « tournant : mobilité »."""
        if _missing(label):
            return ""
        head, sep, tp = str(label).partition(" : ")
        return f"{head} : {self.type(tp)}" if sep and head == "tournant" else str(label)

    # --- cells -------------------------------------------------------------------------------
    def cell(self, column: str, v: Any, row: dict | None = None) -> str:
        """The text a reader sees for value ``v`` of ``column`` (``row``: the other cells, by column)."""
        kind = COLUMN_KINDS.get(column)
        if kind in _NUMERIC_KINDS:
            return self._number_or_text(kind, v)
        if _missing(v):
            return ""
        return {
            "code": self.code, "type": self.type, "sequence": self.sequence, "codes": self.codes,
            "list": listing, "code_links": self.code_links, "bool": yes_no, "groups": self.groups,
            "document_kind": lambda x: DOCUMENT_KINDS.get(str(x), str(x)),
            "attribute": attribute_label, "orientation": lambda x: ORIENTATIONS.get(str(x), str(x)),
            "group": lambda x: self.group((row or {}).get("attribute"), x), "item_label": self.item_label,
            "bin": lambda x: _DECADE.sub(r"années \1", str(x)),
        }[kind](v)

    def _number_or_text(self, kind: str | None, v: Any) -> str:
        if _missing(v):
            return ""
        if hasattr(v, "tolist") and not isinstance(v, str):
            v = v.tolist()  # a NumPy scalar becomes a Python one, an array a list
        if isinstance(v, bool):
            return yes_no(v)
        if isinstance(v, (list, tuple, set)):
            return listing(v)
        if isinstance(v, (int, float)):
            if kind == "percent":
                return percent(v)
            if kind == "signed":
                return signed(v)
            decimals = _DECIMALS.get(kind, 0 if float(v).is_integer() else 2)
            return number(v, decimals, grouped=kind != "plain")
        text = str(v)
        if text.startswith("[") and text.endswith("]") and items(text) != [text]:
            return listing(text)
        return {"True": "oui", "False": "non"}.get(text, text)

    def value(self, column: str, v: Any, row: dict | None = None) -> Any:
        """For the spreadsheet: numbers stay numbers (Excel formats them), the rest reads as text."""
        if _missing(v):
            return None
        if hasattr(v, "tolist") and not isinstance(v, str):
            v = v.tolist()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and COLUMN_KINDS.get(column) in _NUMERIC_KINDS:
            return v
        return self.cell(column, v, row)

    def rows(self, df: pd.DataFrame, columns: Iterable[str], *, spreadsheet: bool = False) -> Iterable[list]:
        """The chosen columns of each row of ``df``, formatted."""
        cols = list(columns)
        fmt = self.value if spreadsheet else self.cell
        for rec in df.to_dict("records"):
            yield [fmt(c, rec.get(c), rec) for c in cols]
