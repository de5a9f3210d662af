"""What the REFI-QDA project (.qdpx) and codebook (.qdc) formats share.

Stable GUIDs (uuid5, so a re-export of the same store is diffable), XML text
cleaning, a safe XML parser (no DTD) and a guarded zip reader for files that come back
from other people's software, atomic writes, and the code tree both formats carry.

A narratif code travels with its id and its matching vocabulary in a short YAML
trailer at the end of the REFI ``Description`` (after ``--- narratif ---``): QDA
software shows it as text and keeps it, and reading it back restores the id, so a
codebook survives NVivo, ATLAS.ti, MAXQDA or QualCoder without losing its keywords.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd
import yaml
from lxml import etree

from narratif.atomic import atomic_write  # noqa: F401  (re-exported for the writers of both formats)
from narratif.safexml import DTDRefused, refuse_dtd
from narratif.safezip import ArchiveError, SafeZip

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
ORIGIN = "narratif"
#: Namespace of every GUID narratif makes; never change it, or re-exports stop diffing.
GUID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-5b7e-9c41-2d5a7f0b9e13")
TRAILER = "--- narratif ---"

#: Names and colours of the groups the codebook categories become.
CATEGORY_LABELS = {
    "themes": "Thèmes", "dimensions": "Dimensions", "levers": "Leviers et outils", "miaou": "MIAOU",
    "turning_points": "Points de bascule",
}
CATEGORY_COLORS = {"themes": "#4c72b0", "dimensions": "#55a868", "levers": "#c44e52", "miaou": "#8172b2",
                   "turning_points": "#ccb974"}
TURNING_POINT_LABELS = {
    "rencontre": "Rencontre", "rupture": "Rupture", "decision": "Décision", "revelation": "Révélation",
    "resolution": "Résolution", "mobilite": "Mobilité",
}
TURNING_POINT_COLORS = {
    "rencontre": "#17becf", "rupture": "#d62728", "decision": "#2ca02c", "revelation": "#9467bd",
    "resolution": "#bcbd22", "mobilite": "#ff7f0e",
}

# Limits for files read back from other software (zip bombs, runaway XML).
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
MAX_MEMBERS = 100_000

_META_TEXT = ("id", "category", "turning_point", "label", "validation")
_META_LISTS = ("keywords", "strong_keywords", "exclusions", "examples")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


class RefiError(ValueError):
    """A .qdpx or .qdc file that cannot be read safely or does not follow the standard."""


def guid(*parts: object) -> str:
    """A GUID derived from what it names (same input, same GUID, across runs and machines)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def norm_guid(value: str | None) -> str:
    """GUIDs compare lower-case and without braces (``{ABC-...}`` is allowed by the schema)."""
    m = _GUID_RE.match((value or "").strip())
    return m.group(1).lower() if m else (value or "").strip().lower()


def xml_text(value: object) -> str:
    """Text XML 1.0 can carry (form feeds from PDFs and other control characters dropped)."""
    return _XML_BAD.sub("", "" if value is None else str(value))


def slugify(name: str) -> str:
    """A codebook id from a code name ("Coopération élargie" -> "cooperation_elargie")."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_") or "code"
    return s if s[0].isalpha() else f"c_{s}"


def safe_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities nor reaches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           remove_blank_text=False, huge_tree=False, collect_ids=False)


def parse_xml(data: bytes, *, source: str) -> etree._Element:
    """Parse a project or codebook document; one declaring a DTD or entities is refused."""
    try:
        refuse_dtd(data, source=source)
        root = etree.fromstring(data, parser=safe_parser())
    except DTDRefused as exc:
        raise RefiError(str(exc)) from None
    except etree.XMLSyntaxError as exc:
        raise RefiError(f"{source}: not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:  # expat could not pre-read it (an encoding it lacks)
        raise RefiError(f"{source}: declares a DTD, refused")
    return root


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(el: etree._Element, name: str) -> list[etree._Element]:
    """Child elements by local name, whatever namespace the producing tool used."""
    return [c for c in el if local(c.tag) == name]


def child(el: etree._Element, name: str) -> etree._Element | None:
    found = children(el, name)
    return found[0] if found else None


def child_text(el: etree._Element, name: str) -> str:
    c = child(el, name)
    return (c.text or "") if c is not None else ""


# -- zip files ----------------------------------------------------------------------------
def read_zip(path: str | Path, *, wanted: Callable[[str], bool] = lambda n: True) -> dict[str, bytes]:
    """Members of a zip file, guarded against traversal names and decompression bombs.

    Members are streamed under a hard cap on the bytes actually inflated (see
    :mod:`narratif.safezip`), so a member whose headers lie about its size is refused
    after a few kilobytes; a corrupt member (bad CRC, truncated data) is a RefiError
    naming the file like any other unreadable project.
    """
    try:
        with SafeZip(path, max_members=MAX_MEMBERS, max_total=MAX_TOTAL_BYTES, max_member=MAX_MEMBER_BYTES,
                     max_ratio=MAX_RATIO, wanted=wanted) as zf:
            return {name: zf.read(name) for name in zf.names()}
    except ArchiveError as exc:
        raise RefiError(str(exc)) from None


# -- the code tree ------------------------------------------------------------------------
@dataclass
class QdaCode:
    """A REFI-QDA code; ``meta`` is what the narratif trailer of its description says."""

    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str = ""
    meta: dict = field(default_factory=dict)
    parent: str | None = None  # guid of the parent code
    children: list["QdaCode"] = field(default_factory=list)

    @property
    def narratif_id(self) -> str | None:
        return self.meta.get("id")

    def walk(self) -> Iterable["QdaCode"]:
        yield self
        for c in self.children:
            yield from c.walk()


def describe(description: str, meta: dict) -> str:
    """Human description followed by the machine-readable trailer."""
    tail = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None).strip()
    return f"{description.strip()}\n\n{TRAILER}\n{tail}" if description.strip() else f"{TRAILER}\n{tail}"


def split_description(text: str) -> tuple[str, dict]:
    """(human description, trailer mapping); a damaged trailer is kept as plain text."""
    text = (text or "").replace("\r\n", "\n")
    head, sep, tail = text.partition(TRAILER)
    if not sep:
        return text.strip(), {}
    try:
        meta = yaml.safe_load(tail)
    except yaml.YAMLError:
        return text.strip(), {}
    if not isinstance(meta, dict):
        return text.strip(), {}
    # a trailer is untrusted text: only the keys narratif writes, with the types it writes
    meta = {k: v for k, v in meta.items()
            if (k in _META_TEXT and isinstance(v, str))
            or (k in _META_LISTS and isinstance(v, list) and all(isinstance(x, str) for x in v))}
    return head.strip(), meta


def codebook_codes(codebook, *, turning_points: Iterable[str] = tuple(TURNING_POINT_LABELS),
                   extra: Iterable[str] = ()) -> list[QdaCode]:
    """The codebook as REFI codes: one non-codable group per category, codes nested below.

    ``extra`` are code ids found in codings but absent from the codebook; they go in
    their own group so nothing coded is lost.
    """
    groups: list[QdaCode] = []

    def make(code, parent_guid: str) -> QdaCode:
        meta = {"id": code.id}
        for key in ("keywords", "strong_keywords", "exclusions", "examples"):
            if getattr(code, key):
                meta[key] = list(getattr(code, key))
        node = QdaCode(guid=guid("code", code.id), name=code.label, color=code.color, parent=parent_guid,
                       description=code.description, meta=meta)
        node.children = [make(c, node.guid) for c in code.children]
        return node

    for category, codes in codebook.categories.items():
        group = QdaCode(guid=guid("category", category), name=CATEGORY_LABELS.get(category, category),
                        is_codable=False, color=CATEGORY_COLORS.get(category), meta={"category": category})
        group.children = [make(c, group.guid) for c in codes]
        groups.append(group)
    tp = list(turning_points)
    if tp:
        group = QdaCode(guid=guid("category", "turning_points"), name=CATEGORY_LABELS["turning_points"],
                        is_codable=False, color=CATEGORY_COLORS["turning_points"],
                        meta={"category": "turning_points"})
        group.children = [QdaCode(guid=guid("turning_point", t), name=TURNING_POINT_LABELS.get(t, t),
                                  color=TURNING_POINT_COLORS.get(t), parent=group.guid,
                                  meta={"turning_point": t}) for t in tp]
        groups.append(group)
    extra = sorted(set(extra))
    if extra:
        group = QdaCode(guid=guid("category", "other"), name="Autres codes", is_codable=False,
                        meta={"category": "other"})
        group.children = [QdaCode(guid=guid("code", e), name=e, parent=group.guid, meta={"id": e}) for e in extra]
        groups.append(group)
    return unique_names(groups)


def name_key(name: str) -> str:
    """How QDA programs compare code names: case and runs of spaces aside."""
    return " ".join(name.split()).casefold()


def unique_names(groups: list[QdaCode]) -> list[QdaCode]:
    """Give every code of the tree a name no other code has (case and spacing ignored).

    QDA programs key codes by name (QualCoder's code and category names are unique: a second
    code of the same name is dropped, and its codings end with no code). A repeated name is
    qualified with its parent's ("Toucher les invisibles (Leviers et outils)"), then with
    a number if that is still taken; the name the codebook gave is kept in the trailer
    (``label``), so reading the codebook back restores it.
    """
    nodes = [c for top in groups for c in top.walk()]
    by_guid = {c.guid: c for c in nodes}
    counts: dict[str, int] = {}
    for c in nodes:
        counts[name_key(c.name)] = counts.get(name_key(c.name), 0) + 1
    taken = {name_key(c.name) for c in nodes if counts[name_key(c.name)] == 1}
    for c in nodes:
        if counts[name_key(c.name)] == 1:
            continue
        parent = by_guid.get(c.parent)
        base = f"{c.name} ({parent.name})" if parent is not None else c.name
        name, n = base, 2
        while name_key(name) in taken:
            name, n = f"{base} {n}", n + 1
        taken.add(name_key(name))
        if name != c.name:
            first = list(c.meta.items())[:1]  # the label reads best right after the id
            c.meta = {**dict(first), "label": c.name, **c.meta}
            c.name = name
    return groups


def code_label(code: QdaCode) -> str:
    """The name a code was given before :func:`unique_names` qualified it (the analyst's own
    name when they renamed it)."""
    label = code.meta.get("label")
    if isinstance(label, str) and label.strip() and code.name.startswith(f"{label} ("):
        return label.strip()
    return code.name.strip()


def refi_datetime(value: object) -> str | None:
    """A timestamp as the schema's ``xsd:dateTime`` in UTC (``2026-03-01T10:00:00Z``); ``None``
    when there is none. Naive timestamps are taken as UTC (the store keeps UTC)."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def codes_to_xml(parent: etree._Element, codes: Iterable[QdaCode], ns: str) -> None:
    """Append ``<Code>`` elements (recursively) under ``parent``."""
    for code in codes:
        attrs = {"guid": code.guid, "name": xml_text(code.name), "isCodable": "true" if code.is_codable else "false"}
        if code.color:
            attrs["color"] = code.color
        el = etree.SubElement(parent, f"{{{ns}}}Code", attrs)
        text = describe(code.description, code.meta) if code.meta else code.description
        if text:
            etree.SubElement(el, f"{{{ns}}}Description").text = xml_text(text)
        codes_to_xml(el, code.children, ns)


def codes_from_xml(codes_el: etree._Element | None, parent: str | None = None) -> list[QdaCode]:
    """``<Code>`` children of a ``<Codes>`` (or ``<Code>``) element, as a tree."""
    out: list[QdaCode] = []
    if codes_el is None:
        return out
    for el in children(codes_el, "Code"):
        description, meta = split_description(child_text(el, "Description"))
        color = el.get("color")
        if color and re.fullmatch(r"#[0-9A-Fa-f]{3}", color):
            color = "#" + "".join(ch * 2 for ch in color[1:])
        if color and not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
            color = None
        node = QdaCode(guid=norm_guid(el.get("guid")), name=el.get("name") or "", color=color and color.lower(),
                       is_codable=(el.get("isCodable", "true").strip().lower() in ("true", "1")),
                       description=description, meta=meta, parent=parent)
        node.children = codes_from_xml(el, node.guid)
        out.append(node)
    return out


def assign_ids(codes: Iterable[QdaCode]) -> dict[str, str]:
    """guid -> narratif code id for every codable code that is not a turning-point type.

    Codes that came from narratif keep their id; others get their slugified name,
    prefixed by their parent's id for sub-codes (as in the shipped codebook).
    """
    ids: dict[str, str] = {}
    taken: set[str] = set()

    def unique(base: str) -> str:
        cand, n = base, 2
        while cand in taken:
            cand, n = f"{base}_{n}", n + 1
        taken.add(cand)
        return cand

    # narratif ids first, so a foreign code never steals one
    for top in codes:
        for c in top.walk():
            if c.narratif_id and c.narratif_id not in taken:
                ids[c.guid] = c.narratif_id
                taken.add(c.narratif_id)

    def rec(code: QdaCode, parent_id: str | None) -> None:
        if "category" in code.meta or "turning_point" in code.meta:
            my_id = None
        elif code.guid in ids:
            my_id = ids[code.guid]
        else:
            slug = slugify(code.name)
            my_id = unique(f"{parent_id}.{slug}" if parent_id else slug)
            ids[code.guid] = my_id
        for c in code.children:
            rec(c, my_id)

    for top in codes:
        rec(top, None)
    return ids
