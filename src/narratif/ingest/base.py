"""One interface for every input format.

A reader turns a file into :class:`Extracted` text (plus any structure the format
itself carries: pages, paragraphs, speaker turns). Readers raise
:class:`QuarantineError` with a short human reason when a file cannot yield text;
the pipeline records it and moves on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol


class QuarantineError(Exception):
    """A file that cannot be ingested; ``reason`` is a short category, message the detail."""

    def __init__(self, reason: str, message: str = ""):
        self.reason = reason
        self.message = message or reason
        super().__init__(f"{reason}: {message}" if message and message != reason else reason)


@dataclass(slots=True)
class Block:
    """A paragraph-like span of the extracted text (offsets into ``Extracted.text``)."""

    start: int
    end: int
    page: int | None = None


@dataclass(slots=True)
class Turn:
    """A speaker turn; ``start``/``end`` delimit the spoken text only (no label)."""

    start: int
    end: int
    speaker: str | None
    role: str  # "narrator" | "interviewer"
    timestamp: str | None = None


@dataclass(slots=True)
class Extracted:
    text: str
    blocks: list[Block] = field(default_factory=list)
    turns: list[Turn] | None = None
    pages: list[tuple[int, int]] = field(default_factory=list)
    title: str | None = None
    warnings: list[str] = field(default_factory=list)


class Reader(Protocol):
    def __call__(self, path: Path) -> Extracted: ...


_READERS: dict[str, Callable[[Path], Extracted]] = {}
_FORMATS: dict[str, str] = {}


def register_reader(*suffixes: str, format: str):
    """Register a reader function for file suffixes (lower case, with the dot)."""

    def deco(func):
        for s in suffixes:
            _READERS[s.lower()] = func
            _FORMATS[s.lower()] = format
        return func

    return deco


def reader_for(path: Path) -> tuple[str, Callable[[Path], Extracted]] | None:
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        return None
    return _FORMATS[suffix], _READERS[suffix]


def supported_suffixes() -> list[str]:
    return sorted(_READERS)
