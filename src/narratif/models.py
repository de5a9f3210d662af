"""The one data model every stage exchanges.

Offsets (``start``/``end``) always index :attr:`Document.text`, the stored text of
the document, in Python code points. Stages import these types from here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, asdict
from typing import Any, Literal

#: Who speaks in a segment. ``interviewer`` segments are never coded nor mined
#: for turning points; ``author`` marks paragraphs of written documents.
Role = Literal["narrator", "interviewer", "author"]

#: Kinds of documents; a sidecar ``kind`` attribute overrides the detected one.
DOCUMENT_KINDS = ("interview", "story", "monograph", "document")

STATUS_OK = "ok"
STATUS_QUARANTINED = "quarantined"


@dataclass(slots=True)
class Segment:
    """A speaker turn (transcripts) or a paragraph (written documents)."""

    doc_id: str
    seg_id: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    role: str = "author"
    timestamp: str | None = None  # "hh:mm:ss" when the transcript gives one
    page: int | None = None  # 1-based page for PDF sources


@dataclass(slots=True)
class Sentence:
    doc_id: str
    seg_id: int
    sent_id: int  # document-wide order, 0-based
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Document:
    """A source after ingestion: its stored text, its segments and its attributes."""

    doc_id: str
    path: str
    sha256: str
    kind: str
    format: str
    text: str = ""
    status: str = STATUS_OK
    error: str | None = None
    n_words: int = 0
    title: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    #: (start, end) offsets of each page for paged sources, for provenance.
    pages: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


@dataclass(slots=True)
class Coding:
    """One code applied to one segment, with the reason it was applied."""

    doc_id: str
    seg_id: int
    code: str
    score: float
    method: str  # "lexicon" | "semantic" | "classifier" | "combined"
    evidence: str


@dataclass(slots=True)
class TurningPoint:
    doc_id: str
    seg_id: int
    sent_id: int
    start: int
    end: int
    text: str
    type: str  # rencontre | rupture | decision | revelation | resolution | mobilite
    polarity: str | None  # obstacle | levier | None
    score: float
    evidence: str
    time_anchor: str | None = None
    year: int | None = None
    source: str = "auto"  # provenance, one of TURNING_POINT_SOURCES


#: Where a stored turning point comes from: the detector with the shipped typing, the detector
#: with typing adapted to the team's reviews, or an analyst's verdict (``narratif review``).
TP_AUTO, TP_TEAM_TYPED = "auto", "team-typed"
TP_REVIEW_ACCEPTED, TP_REVIEW_RETYPED, TP_REVIEW_ADDED = "review:accepted", "review:retyped", "review:added"
TURNING_POINT_SOURCES = (TP_AUTO, TP_TEAM_TYPED, TP_REVIEW_ACCEPTED, TP_REVIEW_RETYPED, TP_REVIEW_ADDED)


@dataclass(slots=True)
class TurningPointReview:
    """An analyst's verdict on one sentence as a turning point, kept across runs.

    ``keep`` with the analyst's ``type`` (a detected moment accepted or retyped, or a
    missed one added), or ``reject`` (a detected moment removed). ``change`` says what
    the verdict changed when it was recorded: accepted | retyped | added | rejected.
    Offsets are the sentence's in the stored text of ``doc_id``.
    """

    doc_id: str
    path: str  # the document's path when reviewed: verdicts follow a corrected file by sentence text
    start: int
    end: int
    text: str
    verdict: str  # keep | reject
    type: str | None
    change: str
    source: str  # the reviewed project's file name
    reviewed_at: str  # ISO 8601, UTC


@dataclass(slots=True)
class TimeExpression:
    doc_id: str
    sent_id: int
    start: int
    end: int
    expression: str
    kind: str  # year | decade | age | relative | period | date | duration
    value: str | None  # normalised value, e.g. "1952", "197X", "age:18"
    orientation: str  # past | present | future (of the sentence)
    year: int | None = None


@dataclass(slots=True)
class Analysis:
    """Everything computed for one document; written to the store atomically."""

    sentences: list[Sentence] = field(default_factory=list)
    codings: list[Coding] = field(default_factory=list)
    turning_points: list[TurningPoint] = field(default_factory=list)
    timeline: list[TimeExpression] = field(default_factory=list)


def column_names(cls) -> list[str]:
    """Column names of a record type, in declaration order."""
    return [f.name for f in fields(cls)]


def as_row(obj) -> dict[str, Any]:
    return asdict(obj)
