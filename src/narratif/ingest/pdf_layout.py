"""PDF page layout: reading order, running headers and footers, paragraphs, hyphenation.

Works on text lines with their geometry (:class:`PdfLine`), whichever engine extracted
them: (1) regions are ordered with a recursive XY-cut (multi-column pages), (2) running
headers/footers and page numbers are dropped, (3) paragraphs are rebuilt from indentation,
vertical gaps and short lines, and (4) end-of-line hyphenation is rejoined, keeping compound
hyphens ("peut-être").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from statistics import median

from narratif.ingest.base import Block

__all__ = ["PdfLine", "Dehyphenator", "order_page", "remove_furniture", "layout_paragraphs"]

_SOFT_HYPHEN = "\ufffe"  # PDFium's marker for a hyphen it saw at a line end
_HYPHENS = "-\u00ad\u2010\u2011" + _SOFT_HYPHEN
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")

#: Second elements of French compounds and inverted clitics ("dit-il", "peut-être").
_COMPOUND_TAILS = frozenset(
    "même mêmes ci là être il ils elle elles on je tu nous vous le la les lui leur leurs moi toi y en "
    "dessus dessous dedans dehors delà deçà devant derrière uns unes ce cela".split())
#: First elements that almost always keep their hyphen ("vingt-cinq", "grand-père").
_COMPOUND_HEADS = frozenset(
    "dix vingt trente quarante cinquante soixante quatre cent sept huit neuf deux trois cinq six "
    "grand grande grands grandes petit petite petits petites arrière demi mi semi vice sous non ex "
    "belle beau bien avant après contre entre haut porte garde chef ci".split())


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
    return overlap > 0.6 * min(a.size, b.size) and a.x1 - 0.5 <= b.x0 < a.x1 + 0.8 * min(a.size, b.size)


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
    # vertical text (margin stamps) would block every horizontal cut: order it last, on its own
    tall = [i for i, ln in enumerate(lines) if ln.size > 2.5 * size]
    flat = [i for i, ln in enumerate(lines) if ln.size <= 2.5 * size]
    leaves = _xy_cut(lines, flat, gutter=1.0 * size, hgap=0.9 * size) + [[i] for i in tall]
    out: list[PdfLine] = []
    for r, leaf in enumerate(leaves):
        for ln in _leaf_lines(lines, leaf):
            ln.region = r
            out.append(ln)
    return out


# --------------------------------------------------------------------------- furniture

def _furniture_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def _lone_number(text: str) -> int | None:
    m = re.fullmatch(r"(?:page\s*)?[-–—(\[]?\s*(\d{1,6})\s*[-–—)\]]?", text.strip(), re.I)
    return int(m.group(1)) if m else None


def remove_furniture(pages: list[list[PdfLine]], *, edge_lines: int = 2) -> tuple[list[list[PdfLine]], int]:
    """Drop running headers/footers (repeated at page edges), page numbers and margin line numbers.

    A lone number at the top or bottom of a page is a page number when its value minus the page
    index agrees with other pages (a year under a chapter title does not).
    """
    n_pages = sum(1 for p in pages if p)
    edges: list[set[int]] = []
    extremes: list[set[int]] = []
    top_keys: Counter[str] = Counter()
    bottom_keys: Counter[str] = Counter()
    offsets: Counter[int] = Counter()
    for pno, lines in enumerate(pages):
        by_y = sorted(range(len(lines)), key=lambda i: -lines[i].top)
        top, bottom = by_y[:edge_lines], by_y[-edge_lines:] if len(by_y) > edge_lines else []
        edges.append(set(top) | set(bottom))
        extremes.append({by_y[0], by_y[-1]} if by_y else set())
        top_keys.update({_furniture_key(lines[i].text) for i in top})
        bottom_keys.update({_furniture_key(lines[i].text) for i in bottom})
        for i in edges[-1]:
            value = _lone_number(lines[i].text)
            if value is not None:
                offsets[value - pno] += 1
    page_offsets = {o for o, c in offsets.items() if c >= 2 or n_pages == 1}
    min_repeat = max(2, math.ceil(0.3 * n_pages)) if n_pages >= 2 else 10**9
    repeated = {k for k, c in (top_keys + bottom_keys).items() if c >= min_repeat and re.search(r"[^\W\d_]", k)}
    removed = 0
    kept_pages: list[list[PdfLine]] = []
    for pno, lines in enumerate(pages):
        body_x0 = min((ln.x0 for ln in lines if _lone_number(ln.text) is None), default=None)
        numbers = [i for i, ln in enumerate(lines) if ln.text.isdigit() and len(ln.text) <= 3]
        margin_numbers = (set(i for i in numbers if body_x0 is not None and lines[i].x1 < body_x0)
                          if len(numbers) >= 5 else set())
        kept = []
        for i, ln in enumerate(lines):
            value = _lone_number(ln.text) if i in edges[pno] else None
            page_number = value is not None and (value - pno in page_offsets or value - pno - 1 in page_offsets
                                                 or value - pno + 1 in page_offsets)
            roman = i in extremes[pno] and re.fullmatch(r"(?i)[ivxlc]{1,6}", ln.text) is not None
            if page_number or roman or (i in edges[pno] and _furniture_key(ln.text) in repeated) or i in margin_numbers:
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

    def keep_hyphen(self, left: str, right: str, after: str = "", before: str = "") -> bool:
        """``left``-``right`` split over two lines; ``before``/``after`` are the characters around them."""
        if not left or not right or left[-1].isdigit() or right[0].isdigit():
            return True
        if right[0].isupper() or (after and after in _HYPHENS) or (before and before in _HYPHENS):
            return True  # "Saint-|Simon", "sur-|le-champ", "sur-le-|champ"
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
        m_left = re.search(r"[^\W\d_]+$", prev[:-1])
        left = m_left.group() if m_left else ""
        before = prev[-2 - len(left): -1 - len(left)] if len(prev) > len(left) + 1 else ""
        m = re.match(r"[^\W\d_]+", nxt)
        right = m.group() if m else ""
        after = nxt[len(right): len(right) + 1]
        if dehyph.keep_hyphen(left, right, after, before):
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
