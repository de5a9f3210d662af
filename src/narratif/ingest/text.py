"""Plain text and Markdown with encoding detection.

The stored text is the decoded file with newlines normalised to ``\\n`` and
otherwise unchanged, so offsets into it match what an analyst sees.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

from narratif.ingest.base import Extracted, QuarantineError, register_reader

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM (Praat, some Windows tools): NUL in every other byte of mostly-Latin text."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    half = len(sample) // 2
    even_nul, odd_nul = sample[0::2].count(0), sample[1::2].count(0)
    if odd_nul > 0.7 * half and even_nul < 0.05 * half:
        return "utf-16-le"
    if even_nul > 0.7 * half and odd_nul < 0.05 * half:
        return "utf-16-be"
    return None


#: Legacy single-byte encodings of French text, most likely first (ties go to the first).
_LATIN_CANDIDATES = ("cp1252", "iso8859_15", "mac_roman", "cp850", "latin_1")
_FRENCH_LETTERS = set("éèêëàâäîïôöùûüçœæÉÈÊËÀÂÎÏÔÖÙÛÜÇŒÆ")
_COMMON_SYMBOLS = set("«»’‘“”–—…€°·§²³µ½¼¾±×÷©®™•\u00a0")


def _latin_score(text: str) -> int:
    """French letters count for, unusual symbols and control characters against a decoding."""
    score = 0
    for ch in text:
        if ord(ch) < 128:
            if ord(ch) < 32 and ch not in "\n\r\t\f":
                score -= 5
        elif ch in _FRENCH_LETTERS:
            score += 1
        elif ch in _COMMON_SYMBOLS:
            pass
        elif ch.isalpha() and ord(ch) < 0x250:
            score -= 1  # a Latin letter, but not a French one
        else:
            score -= 3
    return score


def _best_latin(data: bytes) -> str | None:
    """Best legacy-Latin decoding for French text (charset detectors pick mac_roman on short cp1252 files)."""
    best: tuple[int, str] | None = None
    for enc in _LATIN_CANDIDATES:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _latin_score(text[:200000])
        if best is None or score > best[0]:
            best = (score, text)
    if best is None or best[0] < 0:
        return None
    return best[1]


def decode_bytes(data: bytes, name: str = "<bytes>") -> str:
    """Decode text bytes: BOM first, then BOM-less UTF-16, strict UTF-8, then detection (cp1252/latin-1...)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                raise QuarantineError("encoding", f"{name}: starts with a {enc} byte-order mark but does not "
                                      f"decode as {enc} ({exc.reason})") from None
    bomless = _bomless_utf16(data)
    if bomless:
        try:
            return data.decode(bomless)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        # NUL bytes without a BOM: binary content, not text.
        raise QuarantineError("binary", f"{name} contains NUL bytes; it is not a text file")
    latin = _best_latin(data)
    if latin is not None:
        return latin
    best = from_bytes(data).best()
    if best is None:
        raise QuarantineError("encoding", f"{name}: cannot detect a text encoding")
    return str(best)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_binary(text: str) -> bool:
    """Too many control characters for prose: garbage decoded as text."""
    if not text:
        return False
    sample = text[:20000]
    ctrl = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\t\f") or 0x7F <= ord(ch) < 0xA0 or ch == "\ufffd")
    return ctrl / len(sample) > 0.05


@register_reader(".txt", ".md", ".markdown", ".text", format="text")
def read_text(path: Path) -> Extracted:
    data = path.read_bytes()
    if not data.strip():
        raise QuarantineError("empty", f"{path.name} is empty")
    text = normalise_newlines(decode_bytes(data, path.name))
    if looks_binary(text):
        raise QuarantineError("binary", f"{path.name} does not contain readable text")
    if not text.strip():
        raise QuarantineError("empty", f"{path.name} contains only whitespace")
    return Extracted(text=text)
