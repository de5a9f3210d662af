"""Turning points reviewed in QDA software, read back as verdicts on the store's sentences.

The analysts' project is compared with the store it was exported from: every
turning-point coding left in a source is a moment kept (with the type of its code),
every stored turning point with none left on its sentence is rejected. Selections are
located in the stored text exactly when the project's text is the stored one, and line
by line when it is not (a pseudonymised export: names differ, lines do not), then
snapped to the sentence they cover. Verdicts themselves are made by
:func:`narratif.turning_points.review.verdicts`.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from narratif.models import Sentence, TurningPointReview
from narratif.turning_points.review import CHANGES, sentence_of, turning_points_digest, verdicts
from narratif.refi.matching import match_sources, store_documents
from narratif.refi.qdpx import QdpxProject, read_qdpx
from narratif.refi.common import TURNING_POINT_LABELS, QdaCode, RefiError, guid, norm_guid


#: What ``narratif export qdpx`` writes in each source's description (see :func:`turning_points_digest`).
_EXPORTED_TPS = re.compile(r"\bturning points ([0-9a-f]{12})\b")


@dataclass
class ReviewImport:
    """What a reviewed project says about the store's turning points."""

    reviews: list[TurningPointReview] = field(default_factory=list)
    documents: int = 0  # stored documents the project reviews
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CHANGES, 0)
        for r in self.reviews:
            out[r.change] += 1
        return out


def _tp_type(code: QdaCode | None) -> str | None:
    """The turning-point type a code stands for: narratif's mark on it, its GUID or its name."""
    if code is None:
        return None
    if code.meta.get("turning_point"):
        return code.meta["turning_point"]
    for t, label in TURNING_POINT_LABELS.items():
        if code.guid == norm_guid(guid("turning_point", t)) or code.name.strip().lower() in (t, label.lower()):
            return t
    return None


class _OffsetMap:
    """Maps positions in a project's copy of a text to the stored text (same lines, names changed)."""

    def __init__(self, shown: str, stored: str):
        self.same = shown == stored
        self.shown_lines = shown.split("\n")
        self.stored_lines = stored.split("\n")
        self.aligned = len(self.shown_lines) == len(self.stored_lines)
        self._shown_starts = self._starts(self.shown_lines)
        self._stored_starts = self._starts(self.stored_lines)

    @staticmethod
    def _starts(lines: list[str]) -> list[int]:
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        return starts

    def __call__(self, pos: int) -> int:
        if self.same:
            return pos
        i = max(0, bisect_right(self._shown_starts, pos) - 1)
        col = pos - self._shown_starts[i]
        a, b = self.shown_lines[i], self.stored_lines[i]
        for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if a0 <= col < a1 or (col == a1 == len(a)):
                return self._stored_starts[i] + (b0 + (col - a0) if tag == "equal" else b0)
        return self._stored_starts[i] + len(b)


def turning_point_reviews(project: QdpxProject | str | Path, store, *, reviewed_at: str | None = None
                          ) -> ReviewImport:
    """Verdicts on the stored turning points of every source the reviewed project holds.

    ``store`` is the store the project was exported from (``narratif export qdpx``,
    pseudonymised or not). Sources the store does not hold, or whose text no longer lines
    up with the stored one, are left out with a warning naming them.
    """
    given = project
    name = Path(project).name if not isinstance(project, QdpxProject) else project.name
    if not isinstance(project, QdpxProject):
        project = read_qdpx(project)
    reviewed_at = reviewed_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    codes = project.all_codes()
    docs = store.documents(with_text=True)
    stored = {d: (d, p, t) for d, p, t in zip(docs["doc_id"], docs["path"], docs["text"])}
    doc_of = match_sources(project, store_documents(store))  # GUID, else narratif id, else text
    result = ReviewImport()
    tp_codings: dict[str, list] = {}
    for c in project.codings:
        tp_type = _tp_type(codes.get(c.code))
        if tp_type is not None:
            tp_codings.setdefault(c.source, []).append((c.start, c.end, tp_type))
    for src in project.sources:
        if src.guid not in doc_of:
            result.warnings.append(f"{name}: source {src.name!r} is not a document of this store; left out")
            continue
        doc_id, path, stored_text = stored[doc_of[src.guid]]
        if src.text is None:
            result.warnings.append(f"{name}: source {src.name!r} has no text in the project; left out")
            continue
        where = _OffsetMap(src.text, stored_text or "")
        if not where.same and not where.aligned:
            result.warnings.append(f"{name}: the text of source {src.name!r} no longer lines up with the stored "
                                   f"document ({len(where.shown_lines)} lines against {len(where.stored_lines)}); "
                                   f"left out")
            continue
        sentences = [Sentence(**r) for r in store.table("sentences", doc_id=doc_id)
                     .sort_values("sent_id").to_dict("records")]
        by_id = {s.sent_id: s for s in sentences}
        stored_tps = store.table("turning_points", doc_id=doc_id)
        detected = {int(r.sent_id): r.type for r in stored_tps.itertuples(index=False)}
        exported = _EXPORTED_TPS.search(src.description or "")
        changed = exported is not None and exported.group(1) != turning_points_digest(
            zip(stored_tps["start"], stored_tps["end"], stored_tps["type"]))
        if changed:
            # a run changed them since the export: what the analysts deleted is unknown
            result.warnings.append(f"{name}: the turning points of {src.name!r} changed since this project was "
                                   f"exported; its kept and added moments are recorded, none is rejected")
        reviewed: dict[int, str] = {}
        for a, b, tp_type in sorted(tp_codings.get(src.guid, [])):
            s = sentence_of(where(a), where(b), sentences)
            if s is None:
                result.warnings.append(f"{name}: a {tp_type} coding of {src.name!r} at {a}-{b} covers no "
                                       f"analysed sentence; left out")
                continue
            if s.sent_id in reviewed and reviewed[s.sent_id] != tp_type:
                result.warnings.append(f"{name}: {src.name!r} sentence {s.sent_id} is coded both "
                                       f"{reviewed[s.sent_id]} and {tp_type}; the first is kept")
                continue
            reviewed[s.sent_id] = tp_type
        result.documents += 1
        result.reviews.extend(verdicts(doc_id, path, detected, reviewed, by_id, source=name,
                                      reviewed_at=reviewed_at, reject=not changed))
    if not result.documents:
        why = f" ({result.warnings[0].removeprefix(name + ': ')})" if result.warnings else ""
        raise RefiError(f"{given}: nothing in it matches this store: none of its {len(project.sources)} sources "
                        f"is a document of the store whose text lines up (sources are matched by GUID, "
                        f"narratif document id or text){why}")
    return result
