"""French number words and spoken years, for timelines.

Oral French says years the short way ("en cinquante-deux", "dans les années
soixante-dix") or the long way ("mille neuf cent soixante-huit", "deux mille dix").
The words are converted by ``text2num`` (maintained, French support); this module
only finds the runs of number words with their offsets and decides which century
a two-digit year belongs to.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import text2num

_UNITS = (
    "zéro un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt vingts trente quarante cinquante soixante cent cents mille"
).split()
UNIT_WORDS = frozenset(_UNITS)
NUMBER_WORD = r"(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
#: A run of French number words joined by hyphens, spaces or "et" ("soixante et onze"; "et" only before
#: un, une, onze: « deux mille et deux mille trois » is two numbers).
NUMBER_WORDS = (
    rf"(?:\d{{1,4}}|{NUMBER_WORD}(?:(?:[- ]et[- ](?=(?:un|une|onze)\b)|[- ]){NUMBER_WORD})*)"
)
_NUMBER_RE = re.compile(rf"(?<![\w-]){NUMBER_WORDS}(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def words_to_int(words: str) -> int | None:
    """``"cinquante-deux"`` → 52, ``"mille neuf cent soixante-huit"`` → 1968; None if not a number.

    Digits pass through. A lone "un"/"une" is left alone by callers: it is far more
    often an article than a number.
    """
    w = words.strip().lower()
    if not w:
        return None
    if w.isdigit():
        return int(w)
    w = re.sub(r"\s+", " ", w)
    try:
        return int(text2num(w, "fr"))
    except (ValueError, TypeError):
        pass
    # text2num is strict about spacing; retry with hyphens as spaces and the reverse.
    for variant in (w.replace("-", " "), w.replace(" ", "-")):
        try:
            return int(text2num(variant, "fr"))
        except (ValueError, TypeError):
            continue
    return None


def find_numbers(text: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of every number (digits or words) in ``text``."""
    out = []
    for m in _NUMBER_RE.finditer(text):
        value = words_to_int(m.group())
        if value is not None:
            out.append((m.start(), m.end(), value))
    return out


def spoken_year(value: int, *, reference_year: int | None = None, birth_year: int | None = None) -> int | None:
    """The calendar year meant by a spoken year number.

    Four-digit values in a plausible range are kept. Two-digit values ("en cinquante-deux")
    are put in the latest century that does not pass the reference year (the interview
    year, default 2010 for oral corpora of the 2000s), and after the birth year when known.
    """
    if 1000 <= value <= 2100:
        return value
    if not 0 <= value <= 99:
        return None
    ref = reference_year or 2010
    year = (ref // 100) * 100 + value
    if year > ref:
        year -= 100
    if birth_year and year < birth_year - 1:
        year += 100 if year + 100 <= ref else 0
    return year


def decade_start(value: int, *, reference_year: int | None = None) -> int | None:
    """``70`` → 1970, ``1980`` → 1980, ``2000`` → 2000 (decades named in "les années ...")."""
    if value % 10:
        return None
    if 1000 <= value <= 2100:
        return value
    if 10 <= value <= 90:
        return spoken_year(value, reference_year=reference_year)
    return None
