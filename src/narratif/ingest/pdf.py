"""PDF reader: text lines with geometry → reading order → paragraphs.

pypdfium2 does the parsing (it is ~20x faster than pdfplumber's char-level layout
and tolerates broken files); we only ask it for the text of a page and the boxes of
the first and last character of each line, which is enough geometry to
(1) order regions with a recursive XY-cut (multi-column pages),
(2) drop running headers/footers and page numbers,
(3) rebuild paragraphs from indentation, vertical gaps and short lines, and
(4) rejoin end-of-line hyphenation, keeping compound hyphens ("peut-être").
pdfplumber is the fallback for files PDFium refuses to open. The layout steps are
:mod:`narratif.ingest.pdf_layout`.

Every file either yields text or raises :class:`QuarantineError` with reason
``encrypted``, ``no_text_layer``, ``empty`` or ``unreadable``.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
from pathlib import Path

from narratif.ingest.base import Extracted, QuarantineError, register_reader
from narratif.ingest.pdf_layout import PdfLine, layout_paragraphs, order_page, remove_furniture

__all__ = ["read_pdf"]

try:  # the C API directly for the per-character boxes: the wrapper allocates on every call
    import pypdfium2.raw as pdfium_c

    _RECT = pdfium_c.FS_RECTF()
except ImportError:  # pragma: no cover - pypdfium2 is a dependency; pdfplumber alone still works
    pdfium_c = None

#: PDFium is not thread-safe: one lock serialises every call into it.
_PDFIUM_LOCK = threading.Lock()

#: Guards against pathological files (checked between pages).
MAX_PAGES = 5000
MAX_SECONDS = 120.0

_SOFT_HYPHEN = "\ufffe"  # PDFium's marker for a hyphen it saw at a line end
_LINE_RE = re.compile(r"[^\r\n\ufffe]+\ufffe?|\ufffe")
#: Spots worth a look at the character boxes: digits glued to a word (note calls) and a
#: lower-case letter glued to a capital (a space PDFium did not generate).
_SUSPECT_RE = re.compile(
    r"(?:(?<=[^\W\d_])|(?<=[.,;:!?»)]))(?P<sup>\d{1,3})(?!\d)(?![^\W\d_])"
    r"|(?:^|(?<=[\s.,;:]))(?P<sup2>\d{1,3})(?=[^\W\d_])"
    r"|(?P<low>[a-zà-ÿ])(?=[A-ZÀ-Þ])")



def _pdfium_lines(path: Path, *, max_pages: int, deadline: float) -> tuple[list[list[PdfLine]], str | None, int]:
    """Lines per page from PDFium; returns (pages, metadata title, pages with images)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))  # password=None also tries the empty password
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise QuarantineError("encrypted", f"{path.name}: password-protected (the empty password does not open it)")
        raise
    try:
        n_pages = len(doc)
        if n_pages > max_pages:
            raise QuarantineError("unreadable", f"{path.name}: {n_pages} pages exceeds the cap of {max_pages}")
        title = (doc.get_metadata_dict().get("Title") or "").strip() or None
        pages: list[list[PdfLine]] = []
        image_pages = 0
        for pno in range(n_pages):
            if time.monotonic() > deadline:
                raise QuarantineError("unreadable", f"{path.name}: extraction timed out after {pno} pages")
            page = doc[pno]
            try:
                textpage = page.get_textpage()
                try:
                    lines = _page_lines(textpage, pno)
                finally:
                    textpage.close()
                if not lines and _has_images(page, pdfium_c):
                    image_pages += 1
            finally:
                page.close()
            pages.append(lines)
        return pages, title, image_pages
    finally:
        doc.close()


def _page_lines(textpage, pno: int) -> list[PdfLine]:
    n = textpage.count_chars()
    if n <= 0:
        return []
    raw = textpage.get_text_range(0, n)
    astral = None
    if len(raw) != n:  # characters outside the BMP: PDFium counts UTF-16 units
        astral = [0]
        for ch in raw:
            astral.append(astral[-1] + (ord(ch) > 0xFFFF))
    pieces: list[tuple[int, int, str, tuple, tuple]] = []  # (first, last, text, first box, last box)
    for m in _LINE_RE.finditer(raw):
        seg = m.group()
        stripped = seg.strip()
        if not stripped:
            continue
        first = m.start() + (len(seg) - len(seg.lstrip()))
        last = m.start() + len(seg.rstrip()) - 1
        pieces.append((first, last, stripped, _box(textpage, first, astral, 0), _box(textpage, last, astral, 0)))
    # PDFium joins text at the same height across columns or table cells: its text rectangles show
    # where a line has a wide horizontal gap, and only those lines are split (few extra calls).
    gaps = _wide_gaps(textpage)
    lines: list[PdfLine] = []
    for first, last, text, box0, box1 in pieces:
        size = box0[3] - box0[1]
        parts = [(0, len(text))]
        if gaps and any(box0[0] < gl and gr < box1[2] and min(t, box0[3]) - max(b, box0[1]) > 0.3 * size
                        for gl, gr, b, t in gaps):
            parts = _split_wide(text, textpage, first, astral, size)
        for i, j in parts:
            b0 = box0 if i == 0 else _box(textpage, first, astral, i)
            b1 = box1 if j == len(text) else _box(textpage, first, astral, j - 1)
            piece = _fix_line(text[i:j].replace(_SOFT_HYPHEN, "-"), textpage, first + i, astral, size)
            if piece:
                lines.append(PdfLine(piece, min(b0[0], b1[0]), max(b0[2], b1[2]), min(b0[1], b1[1]),
                                     max(b0[3], b1[3]), pno))
    return lines


def _wide_gaps(textpage) -> list[tuple[float, float, float, float]]:
    """Horizontal gaps wider than about one em between text rectangles of the same visual line."""
    rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
    rects = [r for r in rects if r[3] > r[1]]
    rects.sort(key=lambda r: r[1] + r[3])
    gaps: list[tuple[float, float, float, float]] = []
    k = 0
    while k < len(rects):
        c0, h = (rects[k][1] + rects[k][3]) / 2, rects[k][3] - rects[k][1]
        j = k + 1
        while j < len(rects) and (rects[j][1] + rects[j][3]) / 2 - c0 < 0.4 * h:
            j += 1
        row = sorted(rects[k:j])
        reach = row[0][2]
        for r in row[1:]:
            if r[0] - reach > 1.0 * h:
                gaps.append((reach, r[0], min(r[1], row[0][1]), max(r[3], row[0][3])))
            reach = max(reach, r[2])
        k = j
    return gaps


def _split_wide(text: str, textpage, first: int, astral: list[int] | None, size: float) -> list[tuple[int, int]]:
    """(start, end) pieces of a line separated by horizontal gaps wider than about one em."""
    cuts = [0]
    for m in re.finditer(r"\s+", text):
        a, b = m.start() - 1, m.end()
        if a < 0 or b >= len(text):
            continue
        gap = _box(textpage, first, astral, b)[0] - _box(textpage, first, astral, a)[2]
        if gap > 1.0 * size:
            cuts += [m.start(), m.end()]
    cuts.append(len(text))
    return [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2) if cuts[k + 1] > cuts[k]]


def _fix_line(text: str, textpage, first: int, astral: list[int] | None, size: float) -> str:
    """Drop superscript note calls ("Évêchés¹", "¹Toul") and restore spaces PDFium lost ("trouvaMadame").

    Only the few suspicious spots are checked against character boxes, which keeps this cheap.
    """
    edits: list[tuple[int, int, str]] = []
    for m in _SUSPECT_RE.finditer(text):
        group = "sup" if m.group("sup") is not None else "sup2" if m.group("sup2") is not None else None
        if group is not None:
            i, j = m.start(group), m.end(group)
            ref = i - 1 if group == "sup" else j  # the neighbouring character on the baseline
            digit_bottom = _box(textpage, first, astral, i)[1]
            ref_bottom = _box(textpage, first, astral, ref)[1]
            if digit_bottom > ref_bottom + 0.2 * size:
                edits.append((i, j, ""))
        else:
            k = m.start("low")
            gap = _box(textpage, first, astral, k + 1)[0] - _box(textpage, first, astral, k)[2]
            if gap > 0.07 * size:
                edits.append((k + 1, k + 1, " "))
    if text and 0xF000 <= ord(text[0]) <= 0xF0FF:  # symbol-font bullet mapped to the private use area
        edits.insert(0, (0, 1, "•"))
    for i, j, rep in reversed(edits):
        text = text[:i] + rep + text[j:]
    return re.sub(r"\s{2,}", " ", text).strip() if edits else text


def _box(textpage, first: int, astral: list[int] | None, k: int) -> tuple[float, float, float, float]:
    """Loose box of the k-th character of a line starting at code point ``first`` of the page text."""
    index = first + k
    if astral is not None:  # code point → PDFium character index
        index += astral[min(index, len(astral) - 1)]
    rect = _RECT
    if not pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, ctypes.byref(rect)):
        return (0.0, 0.0, 0.0, 0.0)
    return rect.left, rect.bottom, rect.right, rect.top


def _has_images(page, pdfium_c) -> bool:
    try:
        return any(obj.type in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_SHADING)
                   for obj in page.get_objects(max_depth=3))
    except Exception:  # a broken object tree says nothing about images
        return False


def _pdfplumber_lines(path: Path, *, max_pages: int, deadline: float) -> tuple[list[list[PdfLine]], str | None, int]:
    """Fallback source for files PDFium refuses: pdfminer is lenient with broken structure."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(str(path))
    except PDFPasswordIncorrect:
        raise QuarantineError("encrypted", f"{path.name}: password-protected") from None
    except Exception as exc:
        if isinstance(exc.__cause__ or exc.__context__, PDFPasswordIncorrect) or "password" in repr(exc).lower():
            raise QuarantineError("encrypted", f"{path.name}: password-protected") from None
        raise
    with pdf:
        if len(pdf.pages) > max_pages:
            raise QuarantineError("unreadable", f"{path.name}: {len(pdf.pages)} pages exceeds the cap of {max_pages}")
        title = str((pdf.metadata or {}).get("Title") or "").strip() or None
        pages: list[list[PdfLine]] = []
        image_pages = 0
        for pno, page in enumerate(pdf.pages):
            if time.monotonic() > deadline:
                raise QuarantineError("unreadable", f"{path.name}: extraction timed out after {pno} pages")
            height = float(page.height)
            lines = [PdfLine(ln["text"].strip(), float(ln["x0"]), float(ln["x1"]), height - float(ln["bottom"]),
                             height - float(ln["top"]), pno)
                     for ln in page.extract_text_lines(return_chars=False) if ln["text"].strip()]
            if not lines and page.images:
                image_pages += 1
            pages.append(lines)
            page.flush_cache()
        return pages, title, image_pages


# --------------------------------------------------------------------------- reading order

def _title(meta_title: str | None, text: str) -> str | None:
    junk = r"(?i)(untitled|sans titre|microsoft word.*|.*\.[a-z0-9]{2,4}|[\W\d_]*)"
    if meta_title and len(meta_title) > 2 and not re.fullmatch(junk, meta_title):
        return meta_title
    first = text.split("\n\n", 1)[0].strip()
    return first[:200] if 0 < len(first) <= 200 else None


@register_reader(".pdf", format="pdf")
def read_pdf(path: Path, *, max_pages: int = MAX_PAGES, max_seconds: float = MAX_SECONDS) -> Extracted:
    """Extract paragraphs from a PDF in reading order (see module docstring)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise QuarantineError("unreadable", f"{path.name}: {exc.strerror or exc}") from None
    if size == 0:
        raise QuarantineError("empty", f"{path.name} is an empty file (0 bytes)")
    deadline = time.monotonic() + max_seconds
    warnings: list[str] = []
    try:
        with _PDFIUM_LOCK:
            pages, meta_title, image_pages = _pdfium_lines(path, max_pages=max_pages, deadline=deadline)
    except QuarantineError:
        raise
    except Exception as pdfium_exc:  # PDFium refused the file: give pdfminer a chance before giving up
        try:
            pages, meta_title, image_pages = _pdfplumber_lines(path, max_pages=max_pages, deadline=deadline)
            warnings.append(f"PDFium could not open the file ({pdfium_exc}); text extracted with pdfplumber")
        except QuarantineError:
            raise
        except Exception as plumber_exc:
            raise QuarantineError(
                "unreadable", f"{path.name}: not a readable PDF (PDFium: {pdfium_exc}; "
                f"pdfminer: {type(plumber_exc).__name__}: {str(plumber_exc)[:200] or 'no detail'})") from None
    if not any(pages):
        if image_pages:
            raise QuarantineError("no_text_layer", f"{path.name}: {image_pages} of {len(pages)} page(s) are images "
                                  "without a text layer; needs OCR")
        raise QuarantineError("empty", f"{path.name}: {len(pages)} page(s) but no text")
    if image_pages:
        warnings.append(f"{image_pages} page(s) are images without a text layer (needs OCR)")
    ordered = [order_page(lines) for lines in pages]
    cleaned, _ = remove_furniture(ordered)
    if not any(cleaned):  # a lone number or a one-line page is content when it is all there is
        cleaned = ordered
    text, blocks, spans = layout_paragraphs(cleaned)
    return Extracted(text=text, blocks=blocks, pages=spans, title=_title(meta_title, text), warnings=warnings)
