"""Ingestion: files → :class:`~narratif.models.Document` with segments.

``ingest_file`` never raises for bad content: it returns a quarantined
Document carrying the reason, so one bad file never stops a run.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from narratif.models import STATUS_QUARANTINED, Document, Segment
from narratif.ingest.base import Block, Extracted, QuarantineError, Turn, reader_for, register_reader, supported_suffixes
from narratif.ingest.transcript import fold_name, assign_roles, detect_turns

# Import readers so they register themselves.
from narratif.ingest import text as _text  # noqa: F401

for _mod in ("pdf", "office", "textgrid"):
    try:  # readers written in their own modules; a missing optional one must not break the rest
        __import__(f"{__name__}.{_mod}")
    except ImportError as exc:  # pragma: no cover - reported on use
        import warnings

        warnings.warn(f"narratif reader {_mod!r} unavailable: {exc}")

__all__ = [
    "Block", "Extracted", "QuarantineError", "Turn", "ingest_file", "iter_input_files",
    "register_reader", "supported_suffixes", "file_sha256", "doc_id_for", "is_transient",
]

_WORD_RE = re.compile(r"\w+(?:[’'-]\w+)*")


_TRANSIENT_ERRNOS = {errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT, errno.ESTALE, errno.EINTR,
                     errno.ENETDOWN, errno.ENETUNREACH, errno.ECONNRESET, errno.EHOSTUNREACH}


def is_transient(exc: BaseException) -> bool:
    """I/O errors worth retrying (flaky network storage, a busy file), not bad content."""
    if isinstance(exc, (TimeoutError, ConnectionError, InterruptedError, BlockingIOError)):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def doc_id_for(sha256: str) -> str:
    return sha256[:16]


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD_RE.finditer(text))


def iter_input_files(inputs: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and folders (recursively, sorted) into candidate input files.

    Sidecar metadata files and hidden files inside folders are skipped; explicit
    files are always yielded (an unsupported one is then quarantined, not ignored).
    """
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if reader_for(f) is None:
                    continue
                rp = f.resolve()
                if rp not in seen:
                    seen.add(rp)
                    yield f
        else:
            rp = p.resolve()
            if rp not in seen:
                seen.add(rp)
                yield p


def paragraph_blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines; a text without blank lines splits per line."""
    blocks: list[Block] = []
    sep = r"\n[ \t]*\n" if re.search(r"\n[ \t]*\n", text) else r"\n"
    pos = 0
    for m in list(re.finditer(sep, text)) + [None]:
        end = m.start() if m else len(text)
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            blocks.append(Block(s, e))
        if m:
            pos = m.end()
    return blocks


def _page_of(offset: int, pages: list[tuple[int, int]]) -> int | None:
    for i, (s, e) in enumerate(pages):
        if s <= offset < e or (offset == e and i == len(pages) - 1):
            return i + 1
    return None


def infer_interviewer_from_name(turns: list[Turn], file_stem: str) -> list[Turn]:
    """Mark the unmarked interviewer of a transcript named after its interviewee(s).

    Applies only when no turn is marked as the interviewer's, at least one speaker's
    name appears in the file name, and exactly one speaker's does not (e.g.
    ``Dominique_Valin_F_37_SU.txt`` with speakers Dominique Valin and Florence
    Lefeuvre): that speaker is taken for the interviewer.
    """
    if any(t.role == "interviewer" for t in turns):
        return turns
    stem_words = set(re.split(r"[^a-z]+", fold_name(file_stem)))
    speakers = {t.speaker for t in turns if t.speaker}
    if len(speakers) < 2:
        return turns

    def named(speaker: str) -> bool:
        words = [w for w in re.split(r"[^a-z]+", fold_name(speaker)) if len(w) > 2]
        return bool(words) and all(w in stem_words for w in words)

    outside = [s for s in speakers if not named(s)]
    if len(outside) == 1 and len(outside) < len(speakers):
        for t in turns:
            if t.speaker == outside[0]:
                t.role = "interviewer"
    return turns


#: Transcription-tool tiers exported as if they were speakers (Transcriber, ELAN): not speech.
NON_SPEECH_LABELS = {"turns", "turn", "sections", "section", "comments", "comment", "topics", "topic",
                     "events", "event", "background", "notes", "note", "tier", "annotations"}


def drop_non_speech(turns: list[Turn]) -> list[Turn]:
    """Turns of annotation tiers ("Turns: Ozgur Kiliç", "Comments: rires") are not anyone's words."""
    return [t for t in turns if t.speaker is None or fold_name(t.speaker) not in NON_SPEECH_LABELS]


def infer_listeners(turns: list[Turn], text: str, *, max_share: float = 0.15, max_turn_words: float = 15.0
                    ) -> list[Turn]:
    """Mark the listener of an unmarked conversation (role ``interviewer``).

    In a story told to someone ("L1 : et vous vous êtes rencontrées où ?"), the
    listener says little, in short turns: a named speaker with under ``max_share``
    of the words and under ``max_turn_words`` words per turn prompts, it does not
    narrate. Applies only when no turn is marked as the interviewer's.
    """
    if any(t.role == "interviewer" for t in turns):
        return turns
    words: dict[str, int] = {}
    n_turns: dict[str, int] = {}
    for t in turns:
        if t.speaker is None:
            continue
        words[t.speaker] = words.get(t.speaker, 0) + count_words(text[t.start:t.end])
        n_turns[t.speaker] = n_turns.get(t.speaker, 0) + 1
    if len(words) < 2:
        return turns
    total = sum(words.values()) + sum(count_words(text[t.start:t.end]) for t in turns if t.speaker is None)
    listeners = {sp for sp, w in words.items()
                 if total and w / total < max_share and w / n_turns[sp] < max_turn_words}
    if listeners and len(listeners) < len(words):
        for t in turns:
            if t.speaker in listeners:
                t.role = "interviewer"
    return turns


def structure(doc_id: str, ex: Extracted, fmt: str, *, roles: dict[str, str] | None = None,
              file_stem: str = "") -> tuple[str, list[Segment]]:
    """Segments from what the reader found: turns, else transcript detection, else paragraphs.

    ``roles`` (speaker → role, from the case attributes) override detected roles.
    """
    turns = ex.turns if ex.turns is not None else detect_turns(ex.text)
    segments: list[Segment] = []
    if turns:
        turns = drop_non_speech(turns)
    if turns:
        if roles:
            assign_roles(turns, roles)
        else:
            infer_interviewer_from_name(turns, file_stem)
            infer_listeners(turns, ex.text)
        for t in turns:
            segments.append(
                Segment(doc_id, len(segments), t.start, t.end, ex.text[t.start : t.end], t.speaker, t.role,
                        t.timestamp, _page_of(t.start, ex.pages) if ex.pages else None)
            )
        kind = "interview" if any(t.role == "interviewer" for t in turns) else "story"
    else:
        blocks = ex.blocks or paragraph_blocks(ex.text)
        for b in blocks:
            if b.end <= b.start or not ex.text[b.start : b.end].strip():
                continue
            page = b.page if b.page is not None else (_page_of(b.start, ex.pages) if ex.pages else None)
            segments.append(Segment(doc_id, len(segments), b.start, b.end, ex.text[b.start : b.end], None, "author",
                                    None, page))
        kind = "monograph" if fmt in {"pdf", "docx", "odt"} else "document"
    return kind, segments


def ingest_file(path: str | os.PathLike, attributes: dict[str, Any] | None = None, *,
                display_path: str | None = None, sha256: str | None = None) -> Document:
    """Read, decode and segment one file. Bad content yields a quarantined Document."""
    path = Path(path)
    attributes = dict(attributes or {})
    shown = display_path or str(path)
    try:
        sha = sha256 or file_sha256(path)
    except OSError as exc:
        if is_transient(exc):
            raise
        return Document(doc_id=doc_id_for(hashlib.sha256(shown.encode()).hexdigest()), path=shown, sha256="",
                        kind="document", format=path.suffix.lstrip(".").lower() or "unknown",
                        status=STATUS_QUARANTINED, error=f"unreadable: {exc.strerror or exc}", attributes=attributes)
    doc_id = doc_id_for(sha)
    found = reader_for(path)
    fmt = found[0] if found else (path.suffix.lstrip(".").lower() or "unknown")
    doc = Document(doc_id=doc_id, path=shown, sha256=sha, kind="document", format=fmt, attributes=attributes)
    try:
        if found is None:
            raise QuarantineError("unsupported", f"no reader for '{path.suffix or path.name}' files "
                                  f"(supported: {', '.join(supported_suffixes())})")
        if path.stat().st_size == 0:
            raise QuarantineError("empty", f"{path.name} is an empty file (0 bytes)")
        ex = found[1](path)
        if not ex.text.strip():
            raise QuarantineError("empty", f"{path.name}: no text could be extracted")
        from narratif.ingest.attributes import speaker_roles

        kind, segments = structure(doc_id, ex, fmt, roles=speaker_roles(attributes), file_stem=path.stem)
        if not segments:
            raise QuarantineError("empty", f"{path.name}: no text segments found")
    except QuarantineError as exc:
        doc.status, doc.error = STATUS_QUARANTINED, str(exc)
        return doc
    except Exception as exc:  # a parser crash on hostile input is a quarantine, not a stop
        if is_transient(exc):
            raise  # the orchestrator retries; it quarantines only if the retries fail too
        doc.status = STATUS_QUARANTINED
        doc.error = f"unreadable: {type(exc).__name__}: {str(exc)[:300]}"
        return doc
    doc.text = ex.text
    doc.segments = segments
    doc.pages = ex.pages
    doc.title = ex.title
    doc.kind = str(attributes.pop("kind", None) or kind)
    doc.n_words = count_words(ex.text)
    return doc
