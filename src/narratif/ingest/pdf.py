"""PDF reader: text lines with geometry → reading order → paragraphs.

pypdfium2 does the parsing (it is ~20x faster than pdfplumber's char-level layout
and tolerates broken files); we only ask it for the text of a page and the boxes of
the first and last character of each line, which is enough geometry to
(1) order regions with a recursive XY-cut (multi-column pages),
(2) drop running headers/footers and page numbers,
(3) rebuild paragraphs from indentation, vertical gaps and short lines, and
(4) rejoin end-of-line hyphenation, keeping compound hyphens ("peut-être").
pdfplumber is the fallback for files PDFium refuses to open.

Every file either yields text or raises :class:`QuarantineError` with reason
``encrypted``, ``no_text_layer``, ``empty`` or ``unreadable``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from .base import Block, Extracted, QuarantineError, register_reader

__all__ = ["read_pdf", "PdfLine", "layout_paragraphs"]

#: PDFium is not thread-safe: one lock serialises every call into it.
_PDFIUM_LOCK = threading.Lock()

#: Guards against pathological files (checked between pages).
MAX_PAGES = 5000
MAX_SECONDS = 120.0

_SOFT_HYPHEN = "\ufffe"  # PDFium's marker for a hyphen it saw at a line end
_HYPHENS = "-\u00ad\u2010\u2011" + _SOFT_HYPHEN
_LINE_RE = re.compile(r"[^\r\n\ufffe]+\ufffe?|\ufffe")
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s*)?[-–—(\[]?\s*(?:\d{1,3}|[ivxlcdm]{1,7})\s*[-–—)\]]?(?:\s*(?:/|sur|of|de)\s*\d{1,4})?$", re.I)
_TRAILING_DIGITS = re.compile(r"(?<=[^\W\d_]|[.,;:!?»)])\d{1,3}$")
_LEADING_DIGITS = re.compile(r"\d{1,3}(?=[^\W\d_])")
_TERMINAL = tuple(".!?:;»…)\"”")

#: Second elements of French compounds and inverted clitics ("dit-il", "peut-être").
_COMPOUND_TAILS = frozenset(
    "même mêmes ci là être il ils elle elles on je tu nous vous le la les lui leur leurs moi toi y en "
    "dessus dessous dedans dehors delà deçà devant derrière uns unes ce cela".split())
#: First elements that almost always keep their hyphen ("vingt-cinq", "grand-père").
_COMPOUND_HEADS = frozenset(
    "dix vingt trente quarante cinquante soixante quatre cent sept huit neuf deux trois cinq six "
    "grand grande grands grandes petit petite petits petites arrière demi mi semi vice sous non ex "
    "belle beau avant après contre entre haut porte garde chef ci".split())


@dataclass(slots=True)
class PdfLine:
    """One text line of a page, in PDF user space (y grows upwards)."""

    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    page: int  # 0-based
    region: int = 0  # reading-order region on its page (set by the XY-cut)

    @property
    def size(self) -> float:
        return max(self.top - self.bottom, 0.1)


# --------------------------------------------------------------------------- sources

def _pdfium_lines(path: Path, *, max_pages: int, deadline: float) -> tuple[list[list[PdfLine]], str | None, int]:
    """Lines per page from PDFium; returns (pages, metadata title, pages with images)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

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
    lines: list[PdfLine] = []
    for m in _LINE_RE.finditer(raw):
        seg = m.group()
        stripped = seg.strip()
        if not stripped:
            continue
        first = m.start() + (len(seg) - len(seg.lstrip()))
        last = m.start() + len(seg.rstrip()) - 1
        if astral is not None:
            first, last = first + astral[first], last + astral[last]
        if last >= n:
            last = n - 1
        l0, b0, r0, t0 = textpage.get_charbox(first, loose=True)
        l1, b1, r1, t1 = textpage.get_charbox(last, loose=True)
        text = stripped.replace(_SOFT_HYPHEN, "-")
        bottom, top = min(b0, b1), max(t0, t1)
        # footnote calls: superscript digits ending a line ("Évêchés¹") or opening a note ("¹Toul")
        tail = _TRAILING_DIGITS.search(text)
        if tail and tail.start() > 0 and b1 > b0 + 0.2 * (t0 - b0):
            text = text[: tail.start()].rstrip()
        head = _LEADING_DIGITS.match(text)
        if head and astral is None:
            lb, bb = textpage.get_charbox(first, loose=True)[1], textpage.get_charbox(first + head.end(), loose=True)[1]
            if lb > bb + 0.2 * (t0 - b0):
                text = text[head.end():]
        if text:
            lines.append(PdfLine(text, min(l0, l1), max(r0, r1), bottom, top, pno))
    return lines


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

def _cuts(intervals: list[tuple[float, float, int]], min_gap: float) -> list[list[int]]:
    """Split items whose 1-D intervals are separated by gaps >= min_gap (sweep over sorted starts)."""
    intervals = sorted(intervals)
    groups: list[list[int]] = [[intervals[0][2]]]
    reach = intervals[0][1]
    for lo, hi, i in intervals[1:]:
        if lo - reach >= min_gap:
            groups.append([i])
        else:
            groups[-1].append(i)
        reach = max(reach, hi)
    return groups


def _xy_cut(lines: list[PdfLine], idx: list[int], gutter: float, hgap: float, depth: int = 0) -> list[list[int]]:
    """Recursive XY-cut: columns (vertical whitespace) first, then bands (horizontal whitespace)."""
    if len(idx) <= 1 or depth > 12:
        return [sorted(idx)] if idx else []
    cols = _cuts([(lines[i].x0, lines[i].x1, i) for i in idx], gutter)
    if len(cols) > 1:
        return [leaf for col in cols for leaf in _xy_cut(lines, col, gutter, hgap, depth + 1)]
    # horizontal bands: sweep from the top, so use negated y
    bands = _cuts([(-lines[i].top, -lines[i].bottom, i) for i in idx], hgap)
    if len(bands) > 1:
        return [leaf for band in bands for leaf in _xy_cut(lines, band, gutter, hgap, depth + 1)]
    return [sorted(idx)]


def _same_visual_line(a: PdfLine, b: PdfLine) -> bool:
    overlap = min(a.top, b.top) - max(a.bottom, b.bottom)
    return overlap > 0.6 * min(a.size, b.size) and b.x0 >= a.x1 - 0.5


def _leaf_lines(lines: list[PdfLine], leaf: list[int]) -> list[PdfLine]:
    """Lines of one region in content order, re-sorted top-down only if that order is clearly wrong;
    pieces of one visual line (split by PDFium at a superscript) are merged back."""
    seq = [lines[i] for i in leaf]
    if any(b.top > a.top + 0.5 * a.size and not _same_visual_line(a, b) for a, b in zip(seq, seq[1:])):
        seq.sort(key=lambda ln: (-round(ln.top / max(0.5 * ln.size, 0.1)), ln.x0))
    merged: list[PdfLine] = []
    for ln in seq:
        prev = merged[-1] if merged else None
        if prev is not None and _same_visual_line(prev, ln):
            glue = "" if ln.x0 - prev.x1 < 0.15 * ln.size or ln.text[:1] in ".,;:)" else " "
            merged[-1] = PdfLine(prev.text + glue + ln.text, prev.x0, max(prev.x1, ln.x1), min(prev.bottom, ln.bottom),
                                 max(prev.top, ln.top), prev.page)
        else:
            merged.append(ln)
    return merged


def order_page(lines: list[PdfLine]) -> list[PdfLine]:
    """Reading order of one page's lines; sets ``region`` on each line."""
    if len(lines) <= 1:
        return list(lines)
    size = median(ln.size for ln in lines)
    leaves = _xy_cut(lines, list(range(len(lines))), gutter=1.0 * size, hgap=0.9 * size)
    out: list[PdfLine] = []
    for r, leaf in enumerate(leaves):
        for ln in _leaf_lines(lines, leaf):
            ln.region = r
            out.append(ln)
    return out


# --------------------------------------------------------------------------- furniture

def _furniture_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def remove_furniture(pages: list[list[PdfLine]], *, edge_lines: int = 2) -> tuple[list[list[PdfLine]], int]:
    """Drop running headers/footers (repeated at page edges), page numbers and margin line numbers."""
    n_pages = sum(1 for p in pages if p)
    edges: list[set[int]] = []
    top_keys: Counter[str] = Counter()
    bottom_keys: Counter[str] = Counter()
    for lines in pages:
        by_y = sorted(range(len(lines)), key=lambda i: -lines[i].top)
        top, bottom = by_y[:edge_lines], by_y[-edge_lines:] if len(by_y) > edge_lines else []
        edges.append(set(top) | set(bottom))
        top_keys.update({_furniture_key(lines[i].text) for i in top})
        bottom_keys.update({_furniture_key(lines[i].text) for i in bottom})
    min_repeat = max(2, math.ceil(0.3 * n_pages)) if n_pages >= 2 else 10**9
    repeated = {k for k, c in (top_keys + bottom_keys).items() if c >= min_repeat}
    removed = 0
    kept_pages: list[list[PdfLine]] = []
    for lines, edge in zip(pages, edges):
        by_y = sorted(range(len(lines)), key=lambda i: -lines[i].top)
        extremes = {by_y[0], by_y[-1]} if by_y else set()
        body_x0 = min((ln.x0 for ln in lines if not _PAGE_NUMBER_RE.match(ln.text)), default=None)
        numbers = [i for i, ln in enumerate(lines) if ln.text.isdigit() and len(ln.text) <= 3]
        margin_numbers = (set(i for i in numbers if body_x0 is not None and lines[i].x1 < body_x0)
                          if len(numbers) >= 5 else set())
        kept = []
        for i, ln in enumerate(lines):
            if (i in edge and _furniture_key(ln.text) in repeated) or (i in extremes and _PAGE_NUMBER_RE.match(ln.text)) \
                    or i in margin_numbers:
                removed += 1
                continue
            kept.append(ln)
        kept_pages.append(kept)
    return kept_pages, removed


# --------------------------------------------------------------------------- hyphenation

class Dehyphenator:
    """Decide whether a line-final hyphen is typographic (drop it) or part of a compound (keep it).

    The document itself is the lexicon: a form seen written whole ("augmenté") or hyphenated
    mid-line ("peut-être") elsewhere in the same document settles the case.
    """

    def __init__(self, lines: list[PdfLine]):
        words: Counter[str] = Counter()
        for ln in lines:
            toks = _WORD_RE.findall(ln.text)
            if ln.text.endswith(tuple(_HYPHENS)) and toks:
                toks = toks[:-1]  # the fragment before a line-final hyphen is not a word
            for t in toks:
                t = t.lower()
                words[t] += 1
                if "-" in t:
                    words.update(t.split("-"))
        self.words_ = words

    def keep_hyphen(self, left: str, right: str, after: str) -> bool:
        """``left``-``right`` split over two lines; ``after`` is the character following ``right``."""
        if not left or not right or left[-1].isdigit() or right[0].isdigit():
            return True
        if right[0].isupper() or after in _HYPHENS:
            return True  # "Saint-|Simon", "sur-|le-champ"
        lo, ro = left.lower(), right.lower()
        compound, joined = f"{lo}-{ro}", lo + ro
        n_compound, n_joined = self.words_.get(compound, 0), self.words_.get(joined, 0)
        if n_compound and n_compound >= n_joined:
            return True
        if n_joined:
            return False
        if ro in _COMPOUND_TAILS or lo in _COMPOUND_HEADS:
            return True
        return False


def _join(prev: str, nxt: str, dehyph: Dehyphenator) -> str:
    """Join two lines of one paragraph: rejoin hyphenation, else a single space."""
    if prev and prev[-1] in _HYPHENS and len(prev) >= 2 and prev[-2].isalpha() and nxt[:1].isalpha():
        left = re.search(r"[^\W\d_]+$", prev[:-1])
        m = re.match(r"[^\W\d_]+", nxt)
        right = m.group() if m else ""
        after = nxt[len(right): len(right) + 1]
        if dehyph.keep_hyphen(left.group() if left else "", right, after):
            return prev[:-1] + "-" + nxt
        return prev[:-1] + nxt
    return prev + " " + nxt


# --------------------------------------------------------------------------- paragraphs

@dataclass(slots=True)
class _Region:
    left: float
    right: float
    size: float
    n_lines: int


def _regions(lines: list[PdfLine]) -> dict[tuple[int, int], _Region]:
    acc: dict[tuple[int, int], list[PdfLine]] = {}
    for ln in lines:
        acc.setdefault((ln.page, ln.region), []).append(ln)
    out = {}
    for key, group in acc.items():
        # the left margin is the most common start (ignores indented first lines)
        common, count = Counter(round(ln.x0) for ln in group).most_common(1)[0]
        if count >= 2:
            left = min(ln.x0 for ln in group if round(ln.x0) == common)
        else:
            left = min(ln.x0 for ln in group)
        out[key] = _Region(left, max(ln.x1 for ln in group), median(ln.size for ln in group), len(group))
    return out


def _starts_paragraph(prev: PdfLine, cur: PdfLine, regions: dict[tuple[int, int], _Region]) -> bool:
    """Whether ``cur`` opens a new paragraph after ``prev`` (reading order)."""
    rp, rc = regions[(prev.page, prev.region)], regions[(cur.page, cur.region)]
    size = min(prev.size, cur.size)
    if abs(prev.size - cur.size) > 0.18 * max(prev.size, cur.size):
        return True  # font size change: heading, footnote
    indent = cur.x0 - rc.left
    if indent > 0.7 * cur.size:
        return True  # first-line indent or centred line
    if prev.x0 - rp.left > 0.7 * prev.size and prev.x1 < rp.right - 3 * prev.size:
        return True  # previous line was a centred / isolated heading
    # previous line ended early although the next word would have fitted: deliberate break
    first_word = cur.text.split(" ", 1)[0]
    char_w = (cur.x1 - cur.x0) / max(len(cur.text), 1)
    if prev.text[-1:] not in _HYPHENS and rp.right - prev.x1 > (len(first_word) + 2) * char_w + 0.5 * size:
        return True
    if (prev.page, prev.region) == (cur.page, cur.region):
        gap = prev.bottom - cur.top
        if gap > 0.45 * size or cur.top > prev.top:
            return True
        return False
    # a new column or page: the paragraph flows on unless the previous line closed it
    return rp.n_lines < 2 or cur.x0 - rc.left > 0.3 * cur.size


def _split_notes(lines: list[PdfLine], body_size: float) -> tuple[list[PdfLine], list[PdfLine]]:
    """Trailing lines set smaller than the body (footnotes) are separated from the page body."""
    k = len(lines)
    while k > 0 and lines[k - 1].size < 0.9 * body_size:
        k -= 1
    if k == 0:
        return lines, []
    return lines[:k], lines[k:]


def _reading_sequence(pages: list[list[PdfLine]], regions: dict[tuple[int, int], _Region]) -> list[PdfLine]:
    """All lines in reading order; a page's footnotes come after the paragraph that runs onto the next page."""
    sizes = [ln.size for page in pages for ln in page]
    body_size = median(sizes) if sizes else 0.0
    seq: list[PdfLine] = []
    pending: list[PdfLine] = []
    last_body: PdfLine | None = None
    for lines in pages:
        body, notes = _split_notes(lines, body_size)
        k = 0
        if pending and last_body is not None:
            prev = last_body
            while k < len(body) and not _starts_paragraph(prev, body[k], regions):
                prev = body[k]
                k += 1
        seq += body[:k] + pending + body[k:]
        pending = notes
        if body:
            last_body = body[-1]
    return seq + pending


def layout_paragraphs(pages: list[list[PdfLine]]) -> tuple[str, list[Block], list[tuple[int, int]]]:
    """Paragraph text ("\\n\\n"-separated), paragraph blocks and per-page (start, end) offsets."""
    all_lines = [ln for page in pages for ln in page]
    dehyph = Dehyphenator(all_lines)
    regions = _regions(all_lines)
    paragraphs: list[list[PdfLine]] = []
    prev: PdfLine | None = None
    for ln in _reading_sequence(pages, regions):
        if prev is None or _starts_paragraph(prev, ln, regions):
            paragraphs.append([ln])
        else:
            paragraphs[-1].append(ln)
        prev = ln
    parts: list[str] = []
    blocks: list[Block] = []
    page_start: dict[int, int] = {}
    page_end: dict[int, int] = {}
    pos = 0
    for plines in paragraphs:
        if parts:
            parts.append("\n\n")
            pos += 2
        text = ""
        for ln in plines:
            text = _join(text, ln.text, dehyph) if text else ln.text
            start, end = pos + len(text) - len(ln.text), pos + len(text)
            page_start.setdefault(ln.page, start)
            page_end[ln.page] = end
        parts.append(text)
        blocks.append(Block(pos, pos + len(text), plines[0].page + 1))
        pos += len(text)
    spans: list[tuple[int, int]] = []
    last = 0
    for p in range(len(pages)):
        s, e = page_start.get(p, last), page_end.get(p, last)
        s = max(s, last)
        spans.append((s, max(e, s)))
        last = max(e, s)
    return "".join(parts), blocks, spans


# --------------------------------------------------------------------------- reader

def _title(meta_title: str | None, text: str) -> str | None:
    if meta_title and len(meta_title) > 2 and not re.fullmatch(r"(?i)(untitled|microsoft word.*|.*\.(docx?|pdf))",
                                                                  meta_title):
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
    text, blocks, spans = layout_paragraphs(cleaned)
    if not text.strip():
        raise QuarantineError("empty", f"{path.name}: only page furniture (headers, page numbers), no body text")
    return Extracted(text=text, blocks=blocks, pages=spans, title=_title(meta_title, text), warnings=warnings)
