"""Speaker-turn structure in transcribed interviews.

Recognises the ways transcripts are usually typed: ``[hh:mm:ss] Name (ENQ): text``,
``Name: text``, ``SPEAKER : text``, ``Q :`` / ``R :``, ``Enquêteur :``,
``Name enq: text``, ``speaker#2: text``, ``L1 : text``. Lines that do not open a
turn continue the previous one. A text is only treated as a transcript when most of
its lines open turns and labels recur, so prose with an occasional "Note : ..." or a
form of "Objectif : ..." lines stays prose.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable

from narratif.ingest.base import Turn

_TURN_RE = re.compile(
    r"""^[ \t]*
    (?:\[(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\][ \t]*)?      # optional [hh:mm:ss]
    (?P<label>(?:[^\W\d_][\w'’.\-\# ]{0,48}?|\d{1,3})                # a name, or a short speaker number
              (?:[ \t]*\((?P<tag>[^()\n]{1,20})\))?)                  # optional (ENQ)
    [ \t]*:[ \t]*
    (?P<body>\S.*)?$""",
    re.VERBOSE,
)

#: Labels (folded: lower case, no accents, no trailing dots) that name the interviewer.
INTERVIEWER_LABELS = {
    "q", "question", "e", "enq", "enqueteur", "enqueteuse", "enquetrice", "enqueteur.rice", "enqueteur-rice",
    "enqueteur·rice", "enqueteurice", "interviewer", "intervieweur", "intervieweuse", "interviewer.euse",
    "journaliste", "animateur", "animatrice", "chercheur", "chercheuse", "i", "int", "interv",
}
#: Tags in brackets, or a trailing word of the label ("Sonia Branca enq"), marking the interviewer.
INTERVIEWER_TAGS = {"enq", "enqueteur", "enqueteuse", "enquetrice", "enqueteurice", "interviewer", "int", "interv", "q"}
#: Labels that name the interviewee generically.
NARRATOR_LABELS = {"r", "reponse", "repondant", "repondante", "enquete", "enquetee", "interviewe", "interviewee"}

_MAX_LABEL_WORDS = 5
#: Words that make a one-off "label" a clause of prose ("il m'a dit : ...").
_CLAUSE_WORDS = {
    "je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "c", "ce", "ca", "m", "t", "s", "l",
    "dit", "dis", "disait", "dire", "demande", "repond", "repondu", "explique", "est", "a", "ai", "avait",
    "et", "mais", "donc", "que", "qui", "comme", "voici", "voila", "suivant", "suivants", "suivantes",
}
_URL_SCHEMES = {"http", "https", "ftp", "mailto", "file"}


def fold_name(s: str) -> str:
    """Lower case, no accents, no edge punctuation: how names and labels are compared."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower().strip().strip(".:;,")


def _base(folded: str) -> str:
    """``enq1`` / ``enqueteur 2`` → ``enq`` / ``enqueteur`` (single letters keep their digit: ``e1``)."""
    stripped = re.sub(r"[\s\d]+$", "", folded)
    return stripped if len(stripped) >= 3 else folded


def role_of(label: str, tag: str | None, interviewers: frozenset[str] = frozenset()) -> str:
    """``interviewer`` for a marked or known interviewer label, else ``narrator``."""
    folded = fold_name(label)
    if tag and _base(fold_name(tag)) in INTERVIEWER_TAGS:
        return "interviewer"
    if folded in INTERVIEWER_LABELS or _base(folded) in INTERVIEWER_LABELS or folded in interviewers:
        return "interviewer"
    words = folded.split()
    if len(words) > 1 and words[-1] in INTERVIEWER_TAGS:
        return "interviewer"
    return "narrator"


def speaker_name(label: str) -> str:
    """The speaker's name without a trailing interviewer marker word ("Sonia Branca enq" → "Sonia Branca")."""
    words = label.split()
    if len(words) > 1 and fold_name(words[-1]) in INTERVIEWER_TAGS:
        return " ".join(words[:-1])
    return label


def normalise_timestamp(ts: str | None) -> str | None:
    """``0:01:02.5`` / ``12:34`` → ``00:01:02`` / ``00:12:34``."""
    if not ts:
        return None
    parts = re.split(r"[.,]", ts, maxsplit=1)[0].split(":")
    if len(parts) == 2:
        parts = ["0", *parts]
    h, m, s = (int(p) for p in parts)
    return f"{h:02d}:{m:02d}:{s:02d}"


def _match(line: str):
    m = _TURN_RE.match(line)
    if not m:
        return None
    label = m.group("label")
    tag = m.group("tag")
    name = label[: label.index("(")].strip() if tag else label.strip()
    if not name or len(name.split()) > _MAX_LABEL_WORDS:
        return None
    # URL-like prefixes are not speakers ("http://...").
    if name.lower() in _URL_SCHEMES and (m.group("body") or "").startswith("//"):
        return None
    return m, name, tag


def _plausible(name: str, count: int) -> bool:
    """A label seen once must look like a name, not a clause ("on s'est dit")."""
    if count >= 2:
        return True
    words = re.split(r"[\s'’]+", fold_name(name))
    if any(w in _CLAUSE_WORDS for w in words):
        return False
    return not (name[:1].islower() and len(words) >= 3)


def detect_turns(text: str, *, min_share: float = 0.5, min_turns: int = 2,
                 interviewers: Iterable[str] = ()) -> list[Turn] | None:
    """Return speaker turns if ``text`` is a transcript, else ``None``.

    Offsets delimit the spoken text (label and timestamp excluded). Continuation
    lines extend the current turn. Unlabelled lines before the first turn become a
    speaker-less narrator turn (stories often start before speakers are marked),
    unless they are a short header (at most two lines, under 120 characters).
    ``interviewers`` names speakers to treat as interviewers although unmarked.
    """
    known = frozenset(fold_name(n) for n in interviewers)
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    hits = {}
    counts: Counter[str] = Counter()
    for i, (_, line) in enumerate(lines):
        if line.strip():
            hit = _match(line)
            if hit is not None:
                hits[i] = hit
                counts[hit[1]] += 1
    hits = {i: h for i, h in hits.items() if _plausible(h[1], counts[h[1]])}
    n_lines = sum(1 for _, line in lines if line.strip())
    n_turn_lines = len(hits)
    if n_turn_lines < min_turns or n_lines == 0 or n_turn_lines / n_lines < min_share:
        return None
    labels = Counter(h[1] for h in hits.values())
    # Many distinct labels, or labels that never recur, is prose with colons, not dialogue.
    if len(labels) > max(12, 0.5 * n_turn_lines):
        return None
    if len(labels) >= 3 and max(labels.values()) == 1:
        return None

    turns: list[Turn] = []
    lead: list[tuple[int, int]] = []  # (start, end) of unlabelled lines before the first turn
    for i, (line_start, line) in enumerate(lines):
        if not line.strip():
            continue
        line_end = line_start + len(line.rstrip())
        hit = hits.get(i)
        if hit is not None:
            m, name, tag = hit
            if m.group("body") is None:
                # Label alone on its line: the turn's text follows on the next lines.
                body_start = body_end = line_end
            else:
                body_start, body_end = line_start + m.start("body"), line_end
            turns.append(Turn(start=body_start, end=body_end, speaker=speaker_name(name),
                              role=role_of(name, tag, known), timestamp=normalise_timestamp(m.group("ts"))))
        elif turns:
            turns[-1].end = line_end  # continuation of the current turn
        else:
            lead.append((line_start + len(line) - len(line.lstrip()), line_end))
    if lead and not (len(lead) <= 2 and sum(e - s for s, e in lead) < 120):
        turns.insert(0, Turn(start=lead[0][0], end=lead[-1][1], speaker=None, role="narrator"))
    for t in turns:
        # A label alone on a line: start the text at the first non-space character.
        while t.start < t.end and text[t.start].isspace():
            t.start += 1
    return [t for t in turns if t.end > t.start]


def assign_roles(turns: list[Turn], roles: dict[str, str]) -> list[Turn]:
    """Override turn roles by speaker name (case/accent-insensitive), e.g. from a sidecar."""
    folded = {fold_name(k): v for k, v in roles.items()}
    for t in turns:
        if t.speaker is not None and fold_name(t.speaker) in folded:
            t.role = folded[fold_name(t.speaker)]
    return turns
