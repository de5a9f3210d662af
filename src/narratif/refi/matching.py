"""What a project coming back from QDA software is, in terms of what narratif exported.

QDA programs re-export a project their own way: QualCoder gives every source, code,
selection and user a new GUID and maps colours to its palette; others drop notes or
dates; analysts rename codes and widen selections. What survives is matched, most
certain first:

- a source by its GUID, else by the narratif document id its description carries
  (``narratif document <id>``), else by the SHA-256 of its text;
- a code by its GUID, else by the narratif id or turning-point type in its description
  trailer, else by its name (the unique name narratif exported, or the codebook's label);
- a coding by document, code and overlapping span (see :mod:`.corrections`): a selection
  the analyst widened or narrowed is the same coding.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

from narratif.refi.common import TURNING_POINT_LABELS, QdaCode, name_key, code_label, guid, norm_guid

_DOC_ID = re.compile(r"\bnarratif document ([0-9a-f]{8,64})\b")


@dataclass(frozen=True)
class Document:
    """A document narratif exported: its id, the GUID its source had and its text."""

    doc_id: str
    guid: str
    text: str | None = None


def source_doc_id(description: str | None) -> str | None:
    """The narratif document id a source's description names (``None`` when it names none)."""
    m = _DOC_ID.search(description or "")
    return m.group(1) if m else None


def text_digest(text: str | None) -> str | None:
    """SHA-256 of a source text, line endings and a byte-order mark set aside (tools differ)."""
    if text is None:
        return None
    norm = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def store_documents(store) -> list[Document]:
    """The documents of a store, as ``narratif export qdpx`` exported them."""
    docs = store.documents(with_text=True)
    return [Document(d, guid("source", d), t) for d, t in zip(docs["doc_id"], docs["text"])]


def exported_documents(project) -> list[Document]:
    """The documents of a project narratif exported (a baseline): the id its descriptions
    name, else the source's GUID stands for it."""
    return [Document(source_doc_id(s.description) or s.guid, s.guid, s.text) for s in project.sources]


def match_sources(project, documents: Iterable[Document]) -> dict[str, str]:
    """project source GUID -> doc_id of the exported document it is (unmatched sources left out).

    A text shared by several documents matches none of them by its digest: only a GUID or an
    id can tell them apart.
    """
    documents = list(documents)
    by_guid = {norm_guid(d.guid): d.doc_id for d in documents}
    ids = {d.doc_id for d in documents}
    digests: dict[str, set[str]] = {}
    for d in documents:
        key = text_digest(d.text)
        if key is not None:
            digests.setdefault(key, set()).add(d.doc_id)
    out = {}
    for src in project.sources:
        doc_id = by_guid.get(norm_guid(src.guid))
        if doc_id is None and source_doc_id(src.description) in ids:
            doc_id = source_doc_id(src.description)
        if doc_id is None:
            found = digests.get(text_digest(src.text) or "", set())
            doc_id = next(iter(found)) if len(found) == 1 else None
        if doc_id is not None:
            out[src.guid] = doc_id
    return out


def _meaning(code: QdaCode) -> tuple[str, str] | None:
    """What narratif's trailer says a code is: ``("id", code id)`` or ``("turning_point", type)``."""
    for key in ("turning_point", "id"):
        value = code.meta.get(key)
        if isinstance(value, str) and value.strip():
            return key, value.strip()
    return None


def match_codes(codes: Iterable[QdaCode], exported: Iterable[QdaCode]) -> dict[str, tuple[str, str]]:
    """project code GUID -> ``("id", code id)`` or ``("turning_point", type)`` for every codable code
    that is one narratif exported (by GUID, else trailer, else name); others are left out.

    ``exported`` is the code tree narratif wrote (:func:`.refi.codebook_codes`, or a baseline
    project's codes). Turning-point types are known by their names even when it is not given.
    """
    known = [c for top in exported for c in top.walk() if c.is_codable and _meaning(c) is not None]
    by_guid = {norm_guid(c.guid): _meaning(c) for c in known}
    by_name: dict[str, set[tuple[str, str]]] = {}
    for c in known:
        for name in {c.name, code_label(c)}:
            by_name.setdefault(name_key(name), set()).add(_meaning(c))
    for t, label in TURNING_POINT_LABELS.items():
        for name in (t, label):
            by_name.setdefault(name_key(name), set()).add(("turning_point", t))
    out = {}
    for top in codes:
        for c in top.walk():
            if not c.is_codable or "category" in c.meta:
                continue
            meaning = by_guid.get(norm_guid(c.guid)) or _meaning(c)
            if meaning is None:
                found = by_name.get(name_key(c.name), set())
                meaning = next(iter(found)) if len(found) == 1 else None
            if meaning is not None:
                out[c.guid] = meaning
    return out
