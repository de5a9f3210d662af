"""Praat TextGrid transcripts: one interval tier per speaker, merged into turns.

Praat's text formats (long and short) carry the same sequence of numbers and
quoted strings; everything else (``xmin =``, ``intervals [3]:``) is decoration.
Reading that token stream, as Praat itself does, handles both formats and labels
containing any characters, which regex splitting on ``item [`` does not.

The stored text has one line per turn, ``[hh:mm:ss] Speaker: text``, so it reads
like the CFPP2000 ``.txt`` transcripts; turn offsets point at the spoken text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from narratif.ingest.base import Extracted, QuarantineError, Turn, register_reader
from narratif.ingest.text import decode_bytes
from narratif.ingest.transcript import role_of, speaker_name

_TOKEN_RE = re.compile(
    r"""
      "(?P<str>(?:[^"]|"")*)"                                   # "string" with "" escapes
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w])  # a number
    | <(?P<flag>exists|absent)>                                 # tiers? <exists>
    | ![^\n]*                                                   # comment
    | \[[^\]\n"]*\]                                             # index decoration: [3]
    | [^\s"\[!<]+                                               # key words and = : ?
    | \s+
    """,
    re.VERBOSE,
)
_TAG_RE = re.compile(r"\(([^()]{1,20})\)\s*$")


@dataclass(slots=True)
class Interval:
    xmin: float
    xmax: float
    text: str


@dataclass(slots=True)
class Tier:
    name: str
    kind: str  # "IntervalTier" | "TextTier"
    intervals: list[Interval]


class _Tokens:
    def __init__(self, text: str):
        self._it = (m for m in _TOKEN_RE.finditer(text) if m.lastgroup in ("str", "num", "flag"))

    def _next(self):
        try:
            return next(self._it)
        except StopIteration:
            raise QuarantineError("unreadable", "TextGrid ends before its declared content") from None

    def string(self) -> str:
        m = self._next()
        if m.lastgroup != "str":
            raise QuarantineError("unreadable", f"TextGrid: expected a quoted string, found {m.group(0)[:30]!r}")
        return m.group("str").replace('""', '"')

    def number(self) -> float:
        m = self._next()
        if m.lastgroup != "num":
            raise QuarantineError("unreadable", f"TextGrid: expected a number, found {m.group(0)[:30]!r}")
        return float(m.group("num"))

    def flag(self) -> bool:
        m = self._next()
        if m.lastgroup == "flag":
            return m.group("flag") == "exists"
        if m.lastgroup == "num":  # very old files write 1/0
            return float(m.group("num")) != 0
        raise QuarantineError("unreadable", "TextGrid: expected <exists> or <absent>")


#: Upper bounds against hostile files declaring absurd sizes.
MAX_TIERS = 1000
MAX_INTERVALS = 2_000_000


def parse_textgrid(text: str) -> list[Tier]:
    """Tiers of a TextGrid in Praat's long or short text format."""
    head = text.lstrip("\ufeff")[:200]
    if "ooBinaryFile" in head:
        raise QuarantineError("unsupported", "binary TextGrid; save it from Praat as a text file")
    if "ooTextFile" not in head or "TextGrid" not in head:
        raise QuarantineError("unreadable", "not a Praat TextGrid text file (no 'ooTextFile'/'TextGrid' header)")
    if "chronological" in head.lower():
        raise QuarantineError("unsupported", "chronological TextGrid format; save it from Praat as a text file")
    tok = _Tokens(text)
    if tok.string() != "ooTextFile" or tok.string() != "TextGrid":
        raise QuarantineError("unreadable", "not a Praat TextGrid text file")
    tok.number(), tok.number()  # xmin, xmax of the grid
    tiers: list[Tier] = []
    if not tok.flag():
        return tiers
    n_tiers = int(tok.number())
    if not 0 <= n_tiers <= MAX_TIERS:
        raise QuarantineError("unreadable", f"TextGrid declares {n_tiers} tiers")
    total = 0
    for _ in range(n_tiers):
        kind, name = tok.string(), tok.string()
        tok.number(), tok.number()
        n = int(tok.number())
        total += n
        if n < 0 or total > MAX_INTERVALS:
            raise QuarantineError("unreadable", f"TextGrid tier {name!r} declares {n} intervals")
        items: list[Interval] = []
        if kind == "IntervalTier":
            for _ in range(n):
                xmin, xmax = tok.number(), tok.number()
                items.append(Interval(xmin, xmax, tok.string()))
        elif kind == "TextTier":
            for _ in range(n):
                t = tok.number()
                items.append(Interval(t, t, tok.string()))
        else:
            raise QuarantineError("unreadable", f"TextGrid tier {name!r} has unknown class {kind!r}")
        tiers.append(Tier(name=name, kind=kind, intervals=items))
    return tiers


def hhmmss(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


_ENQ = r"(?:enq(?:u[eê]t(?:eur|euse|rice))?\.?|interviewer|intervieweur|int|interv)"
_PREFIX_RE = re.compile(rf"^\s*[\[(]?{_ENQ}[\])]?(?:[\s_:\-]+|$)(?P<rest>.*)$", re.IGNORECASE)
_SUFFIX_RE = re.compile(rf"^(?P<rest>.*?)(?:[\s_:\-]+|^)[\[(]?{_ENQ}[\])]?\s*$", re.IGNORECASE)
#: Tiers that annotate rather than transcribe a speaker (aligner output, comments).
ANNOTATION_TIERS = {"phones", "phone", "phonemes", "syllables", "syll", "comment", "comments", "commentaire",
                    "commentaires", "note", "notes", "translation", "traduction", "gloss", "pos", "lemma"}
#: Aligner tiers named "<speaker> - words" carry the speaker's words.
_WORDS_RE = re.compile(r"^(?P<rest>.+?)\s*[-_:]\s*(?:words|mots|transcription|ortho)\s*$", re.IGNORECASE)


def _speaker_and_role(tier_name: str) -> tuple[str, str]:
    """Speaker and role from a tier name.

    ``"Sonia Branca-Rosoff (ENQ)"``, ``"ENQ - Sonia"``, ``"Sonia_enq"``, ``"[ENQ] Sonia"`` and
    ``"Enquêteur"`` name interviewers; ``"Mira - words"`` (aligner output) names Mira.
    """
    name = tier_name.strip() or "?"
    w = _WORDS_RE.match(name)
    if w:
        name = w.group("rest").strip()
    m = _TAG_RE.search(name)
    if m:
        bare = name[: m.start()].strip() or name
        return speaker_name(bare), role_of(bare, m.group(1))
    for rx in (_PREFIX_RE, _SUFFIX_RE):
        t = rx.match(name)
        if t and t.group("rest").strip():
            return t.group("rest").strip(), "interviewer"
    return speaker_name(name), role_of(name, None)


def is_annotation_tier(tier_name: str) -> bool:
    words = re.split(r"[\s_\-:]+", tier_name.strip().lower())
    return bool(words) and words[-1] in ANNOTATION_TIERS


def tiers_to_extracted(tiers: list[Tier], *, merge_same_speaker: bool = True) -> Extracted:
    """Merge all interval tiers' non-empty intervals by time into turns and a readable text."""
    events: list[tuple[float, int, int, str]] = []  # (xmin, tier index, order, text)
    for ti, tier in enumerate(tiers):
        if tier.kind != "IntervalTier" or is_annotation_tier(tier.name):
            continue
        for k, iv in enumerate(tier.intervals):
            label = " ".join(iv.text.split())
            if label:
                events.append((iv.xmin, ti, k, label))
    events.sort()
    roles = [_speaker_and_role(t.name) for t in tiers]
    merged: list[list] = []  # [tier index, xmin, [texts]]
    for xmin, ti, _, label in events:
        if merge_same_speaker and merged and merged[-1][0] == ti:
            merged[-1][2].append(label)
        else:
            merged.append([ti, xmin, [label]])
    parts: list[str] = []
    turns: list[Turn] = []
    pos = 0
    for ti, xmin, texts in merged:
        speaker, role = roles[ti]
        ts = hhmmss(xmin)
        label = f"{speaker} (ENQ)" if role == "interviewer" else speaker  # re-detects to the same turns
        prefix = f"[{ts}] {label}: "
        body = " ".join(texts)
        turns.append(Turn(start=pos + len(prefix), end=pos + len(prefix) + len(body), speaker=speaker, role=role,
                          timestamp=ts))
        parts.append(prefix + body)
        pos += len(prefix) + len(body) + 1
    warnings = [f"tier {t.name!r} is a point tier; ignored" for t in tiers if t.kind != "IntervalTier"]
    warnings += [f"tier {t.name!r} is an annotation tier; ignored" for t in tiers if is_annotation_tier(t.name)]
    return Extracted(text="\n".join(parts), turns=turns, warnings=warnings)


@register_reader(".textgrid", format="textgrid")
def read_textgrid(path: Path) -> Extracted:
    data = path.read_bytes()
    if not data.strip():
        raise QuarantineError("empty", f"{path.name} is empty")
    text = decode_bytes(data, path.name).replace("\r\n", "\n").replace("\r", "\n")
    tiers = parse_textgrid(text)
    ex = tiers_to_extracted(tiers)
    if not ex.turns:
        raise QuarantineError("empty", f"{path.name}: no labelled interval in any tier")
    return ex
