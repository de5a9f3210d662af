"""REFI-QDA codebooks (.qdc) read back into a :class:`Codebook`.

Reading keeps names, colours, descriptions and hierarchy; top-level codes of foreign
codebooks become themes, and turning-point types (narratif's own group) are left out
because they are not codebook codes. Writing a .qdc is :mod:`narratif.refi.qdc`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from narratif.codebook.schema import Codebook, CodebookError, parse_codebook
from narratif.refi.common import (
    QdaCode, RefiError, assign_ids, child, code_label, codes_from_xml, local, parse_xml, slugify,
)

MAX_QDC_BYTES = 64 * 1024 * 1024
_VOCABULARY = ("keywords", "strong_keywords", "exclusions", "examples")


def _code_dict(code: QdaCode, ids: dict[str, str]) -> dict | None:
    if code.guid not in ids:  # a group or a turning-point type: its children still count
        return None
    entry: dict = {"id": ids[code.guid], "label": code_label(code) or ids[code.guid],
                   "description": code.description}
    for key in _VOCABULARY:
        value = code.meta.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            entry[key] = [v for v in value if v.strip()]
    if code.color:
        entry["color"] = code.color
    if not entry["description"] and not any(entry.get(k) for k in _VOCABULARY):
        # a bare name is all a foreign tool gave: it is the only evidence of the code's meaning
        entry["description"] = entry["label"]
    entry["children"] = [d for d in (_code_dict(c, ids) for c in code.children) if d is not None]
    return entry


def codebook_from_codes(codes: Iterable[QdaCode], *, name: str, source: str) -> Codebook:
    """A validated :class:`Codebook` from REFI codes (narratif's groups map back to categories)."""
    codes = list(codes)
    ids = assign_ids(codes)
    categories: dict[str, list[dict]] = {}
    for top in codes:
        category = top.meta.get("category")
        if category == "turning_points" or "turning_point" in top.meta:
            continue
        if category:
            # a narratif group: its children are the codes; "other" holds ids only seen in codings
            target = "themes" if category == "other" else category
            entries = [d for d in (_code_dict(c, ids) for c in top.children) if d is not None]
        else:
            target = "themes"
            d = _code_dict(top, ids)
            entries = [d] if d is not None else []
        if entries:
            categories.setdefault(target, []).extend(entries)
    if not categories:
        raise CodebookError(f"{source}: the codebook holds no codes")
    return parse_codebook({"name": name, "categories": categories}, source=source)


def read_qdc(path: str | Path) -> Codebook:
    """Read a REFI-QDA codebook file into a :class:`Codebook` (raises CodebookError)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_QDC_BYTES:
            raise CodebookError(f"{p}: {size} bytes is too large for a codebook")
        data = p.read_bytes()
    except OSError as exc:
        raise CodebookError(f"{p}: cannot read codebook: {exc}") from None
    try:
        root = parse_xml(data, source=str(p))
    except RefiError as exc:
        raise CodebookError(str(exc)) from None
    if local(root.tag) == "Project":  # a whole project given where a codebook is expected
        book = child(root, "CodeBook")
        codes_el = child(book, "Codes") if book is not None else None
    elif local(root.tag) == "CodeBook":
        codes_el = child(root, "Codes")
    else:
        raise CodebookError(f"{p}: root element <{local(root.tag)}> is not a REFI-QDA <CodeBook>")
    return codebook_from_codes(codes_from_xml(codes_el), name=slugify(p.stem), source=str(p))
