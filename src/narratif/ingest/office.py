"""Word (.docx) and OpenDocument (.odt) files, the way interview transcripts are usually typed.

Both are zip archives from untrusted sources, read through :class:`narratif.safezip.SafeZip`:
members are checked before anything is read (no path traversal, bounded member count,
total size and compression ratio) and streamed under a hard cap on the bytes actually
inflated, whatever the headers claim. XML declaring a DTD is refused, and the rest is
parsed without entity expansion or network access (python-docx uses lxml with
``resolve_entities=False``; ``content.xml`` goes through defusedxml).
The stored text is the paragraphs joined with blank lines; speaker turns, if any,
are found afterwards by the transcript detector.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from narratif.safexml import DTDRefused, refuse_dtd
from narratif.safezip import ArchiveError, NotAZip, SafeZip
from narratif.ingest.base import Block, Extracted, QuarantineError, register_reader

#: Limits for archives from untrusted sources (sizes are checked as declared and as actually inflated).
MAX_MEMBERS = 5000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed/compressed, checked on members over safezip.RATIO_FLOOR bytes

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def check_zip(path: Path, required: str, *, what: str) -> SafeZip:
    """Open ``path`` as a zip and refuse unsafe or implausible archives before reading any member."""
    try:
        zf = SafeZip(path, label=path.name, max_members=MAX_MEMBERS, max_total=MAX_TOTAL_UNCOMPRESSED,
                     max_ratio=MAX_RATIO)
    except NotAZip:
        raise QuarantineError("unreadable", f"{path.name} is not a valid {what} file (not a zip archive)") from None
    except ArchiveError as exc:
        raise QuarantineError(exc.reason, str(exc)) from None
    if required not in zf:
        zf.close()
        raise QuarantineError("unreadable", f"{path.name} is a zip archive but not a {what} file "
                              f"(no {required})")
    return zf


def _read_member(zf: SafeZip, name: str, path: Path) -> bytes:
    try:
        return zf.read(name)
    except ArchiveError as exc:
        raise QuarantineError(exc.reason, str(exc)) from None


def _verify_member(zf: SafeZip, name: str) -> None:
    try:
        zf.verify(name)
    except ArchiveError as exc:
        raise QuarantineError(exc.reason, str(exc)) from None


def _refuse_dtd(data: bytes, name: str, path: Path) -> None:
    try:
        refuse_dtd(data, source=f"{path.name}: {name}")
    except DTDRefused as exc:
        raise QuarantineError("unsafe", str(exc)) from None


def join_paragraphs(paragraphs: list[str], *, title: str | None = None) -> Extracted:
    """Paragraph texts → stored text joined by blank lines, one block per non-empty paragraph."""
    blocks: list[Block] = []
    parts: list[str] = []
    pos = 0
    for para in paragraphs:
        para = para.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not para:
            continue
        if parts:
            pos += 2
        blocks.append(Block(pos, pos + len(para)))
        parts.append(para)
        pos += len(para)
    return Extracted(text="\n\n".join(parts), blocks=blocks, title=title or None)


# --------------------------------------------------------------------------- docx


def _docx_paragraph_text(p) -> str:
    """Text of one ``w:p``: its own runs (hyperlinks, insertions, fields included), not nested text boxes."""
    out = []
    for r in p.iter(f"{_W}r"):
        anc = r.getparent()
        while anc is not None and anc is not p and anc.tag != f"{_W}p":
            anc = anc.getparent()
        if anc is p:
            out.append(r.text)  # CT_R.text maps w:t, w:tab, w:br, w:cr, w:noBreakHyphen...
    return "".join(out)


@register_reader(".docx", format="docx")
def read_docx(path: Path) -> Extracted:
    with check_zip(path, "word/document.xml", what="Word (.docx)") as zf:
        # every member is inflated here under the cap, so python-docx's own reads stay within
        # the sizes just checked (a member inflating past its header is refused first)
        for name in zf.names():
            if name.endswith((".xml", ".rels")):
                _refuse_dtd(_read_member(zf, name, path), name, path)
            else:
                _verify_member(zf, name)
    import docx  # python-docx; parses with lxml resolve_entities=False
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise QuarantineError("unreadable", f"{path.name}: not a readable Word document ({exc})") from None
    body = document.element.body
    paragraphs = [_docx_paragraph_text(p) for p in body.iter(f"{_W}p")]
    try:
        title = (document.core_properties.title or "").strip() or None
    except Exception:  # core properties are optional and sometimes malformed
        title = None
    ex = join_paragraphs(paragraphs, title=title)
    if not ex.text:
        raise QuarantineError("empty", f"{path.name}: the Word document contains no text")
    return ex


# --------------------------------------------------------------------------- odt


def _odt_text(elem, out: list[str]) -> None:
    """Inline text of an ODF paragraph: spans, links, ``text:s``, tabs and line breaks; notes skipped."""
    if elem.text:
        out.append(elem.text)
    for child in elem:
        tag = child.tag
        if tag == f"{_TEXT}s":
            out.append(" " * int(child.get(f"{_TEXT}c", "1") or 1))
        elif tag == f"{_TEXT}tab":
            out.append("\t")
        elif tag == f"{_TEXT}line-break":
            out.append("\n")
        elif tag in (f"{_TEXT}note", f"{_TEXT}annotation", f"{_OFFICE}annotation"):
            pass  # footnotes and comments are not the body text
        else:
            _odt_text(child, out)
        if child.tail:
            out.append(child.tail)


def _odt_paragraphs(elem, out: list[str]) -> None:
    for child in elem:
        if child.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            buf: list[str] = []
            _odt_text(child, buf)
            out.append("".join(buf))
        else:
            _odt_paragraphs(child, out)


@register_reader(".odt", format="odt")
def read_odt(path: Path) -> Extracted:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    with check_zip(path, "content.xml", what="OpenDocument text (.odt)") as zf:
        data = _read_member(zf, "content.xml", path)
        meta = _read_member(zf, "meta.xml", path) if "meta.xml" in zf else b""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise QuarantineError("unsafe", f"{path.name}: content.xml refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise QuarantineError("unreadable", f"{path.name}: content.xml is not well-formed XML ({exc})") from None
    body = root.find(f"{_OFFICE}body")
    paragraphs: list[str] = []
    _odt_paragraphs(body if body is not None else root, paragraphs)
    title = None
    if meta:
        try:
            el = fromstring(meta, forbid_dtd=True).find(".//{http://purl.org/dc/elements/1.1/}title")
            title = (el.text or "").strip() or None if el is not None else None
        except (DefusedXmlException, ParseError):
            title = None
    ex = join_paragraphs(paragraphs, title=title)
    if not ex.text:
        raise QuarantineError("empty", f"{path.name}: the OpenDocument file contains no text")
    return ex
