"""Analysts' verdicts on turning points: recorded once, applied to every later run.

Detected turning points are candidates (about one in two is one an annotator would
mark). Analysts review them where they already work, in QDA software, from the
``.qdpx`` export: they keep the right ones, move them to another type, delete the
wrong ones and code the moments narratif missed. ``narratif review`` turns the
reviewed project into one verdict per sentence (:func:`verdicts`), kept in the store;
every later analysis of the same document applies them (:func:`apply_reviews`), so a
nightly rerun never brings back a rejected moment nor loses an added one, and a
verdict survives a new model or codebook.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Callable, Iterable

from narratif.models import (
    TP_REVIEW_ACCEPTED, TP_REVIEW_ADDED, TP_REVIEW_RETYPED, Sentence, TurningPoint, TurningPointReview,
)

KEEP, REJECT = "keep", "reject"
CHANGES = ("accepted", "retyped", "added", "rejected")
#: How a reviewed turning point's evidence says so (the report counts them by it).
REVIEW_MARK = "review: "


def sentence_of(start: int, end: int, sentences: list[Sentence]) -> Sentence | None:
    """The sentence a span belongs to: the one it overlaps most (a selection may run over
    a sentence's edge), else the one containing its start."""
    best, best_overlap = None, 0
    for s in sentences:
        overlap = min(end, s.end) - max(start, s.start)
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    if best is None:
        best = next((s for s in sentences if s.start <= start < s.end), None)
    return best


def _sentence_for(review: TurningPointReview, sentences: list[Sentence]) -> Sentence | None:
    """Where a verdict lands: by offsets in the document it was given on; in a corrected
    version of that file, on the sentence with the same words (the nearest one)."""
    if review.doc_id == sentences[0].doc_id:
        return sentence_of(review.start, review.end, sentences)
    same = [s for s in sentences if s.text.strip() == review.text.strip()]
    return min(same, key=lambda s: abs(s.start - review.start)) if same else None


class ReviewIndex:
    """The recorded verdicts, found by document and by the file they were given on."""

    def __init__(self, reviews: Iterable[TurningPointReview] = ()):
        self.by_doc: dict[str, list[TurningPointReview]] = {}
        self.by_path: dict[str, list[TurningPointReview]] = {}
        for r in reviews:
            self.by_doc.setdefault(r.doc_id, []).append(r)
            self.by_path.setdefault(r.path, []).append(r)

    def for_document(self, doc_id: str | None, path: str) -> list[TurningPointReview]:
        """A document's verdicts, and those given on earlier versions of its file: a corrected
        transcript keeps the verdicts on the sentences it did not change."""
        own = self.by_doc.get(doc_id, []) if doc_id else []
        return own + [r for r in self.by_path.get(path, []) if r.doc_id != doc_id]


def verdicts(doc_id: str, path: str, detected: dict[int, str], reviewed: dict[int, str],
             sentences: dict[int, Sentence], *, source: str, reviewed_at: str, reject: bool = True
             ) -> list[TurningPointReview]:
    """One verdict per sentence of a reviewed document.

    ``detected`` and ``reviewed`` map a sentence id to the turning-point type narratif
    proposed and the one the analyst left. A proposed moment the analyst left is
    accepted (same type) or retyped; one left only by the analyst is added; one the
    analyst deleted is rejected, unless ``reject`` is false (what the analyst saw is no
    longer known). Sentences neither proposed nor coded get no verdict.
    """
    out = []
    for sid in sorted(set(detected) | set(reviewed) if reject else set(reviewed)):
        s = sentences[sid]
        if sid in reviewed:
            change = "added" if sid not in detected else ("accepted" if detected[sid] == reviewed[sid] else "retyped")
            verdict, tp_type = KEEP, reviewed[sid]
        else:
            change, verdict, tp_type = "rejected", REJECT, None
        out.append(TurningPointReview(doc_id=doc_id, path=path, start=s.start, end=s.end, text=s.text, verdict=verdict,
                                      type=tp_type, change=change, source=source, reviewed_at=reviewed_at))
    return out


def verdicts_by_sentence(reviews: Iterable[TurningPointReview], sentences: list[Sentence]
                         ) -> dict[int, TurningPointReview]:
    """The verdict in force on each sentence of a document (by ``sent_id``): the latest one
    that lands on it (see :func:`_sentence_for`)."""
    by_sent: dict[int, TurningPointReview] = {}
    if not sentences:
        return by_sent
    for r in sorted(reviews, key=lambda r: r.reviewed_at):  # the latest verdict on a sentence wins
        s = _sentence_for(r, sentences)
        if s is not None:
            by_sent[s.sent_id] = r
    return by_sent


def apply_reviews(turning_points: Iterable[TurningPoint], reviews: Iterable[TurningPointReview],
                  sentences: list[Sentence], *, score_of: Callable[[Sentence], float] | None = None
                  ) -> list[TurningPoint]:
    """The detected turning points with the analysts' verdicts applied, in text order.

    A rejected sentence loses its turning point; a kept one has the analyst's type
    (polarity re-derived when the type changed) or, when the detector did not propose
    it, becomes a turning point scored by ``score_of`` (the detector's own score for the
    sentence; 0 when it has none). Each reviewed moment says so in its evidence.
    Verdicts given on an earlier version of the file apply to the sentences whose words
    are unchanged; the others are ignored.
    """
    from narratif.turning_points.detect import TurningPointScorer

    turning_points = list(turning_points)
    if not sentences:
        return turning_points
    by_sent = verdicts_by_sentence(reviews, sentences)
    sent_by_id = {s.sent_id: s for s in sentences}
    out = []
    for tp in turning_points:
        r = by_sent.pop(tp.sent_id, None)
        if r is None:
            out.append(tp)
        elif r.verdict == KEEP:
            same = r.type == tp.type
            note = f"{REVIEW_MARK}{'accepted' if same else f'retyped from {tp.type}'} ({r.source}, {r.reviewed_at[:10]})"
            polarity = tp.polarity if same else TurningPointScorer.polarity(r.type, tp.text.lower())
            out.append(replace(tp, type=r.type, polarity=polarity, evidence=f"{tp.evidence}; {note}",
                               source=TP_REVIEW_ACCEPTED if same else TP_REVIEW_RETYPED))
    for sid, r in by_sent.items():
        if r.verdict != KEEP or r.type is None:
            continue
        s = sent_by_id[sid]
        score = float(score_of(s)) if score_of is not None else 0.0
        out.append(TurningPoint(doc_id=s.doc_id, seg_id=s.seg_id, sent_id=s.sent_id, start=s.start, end=s.end,
                                text=s.text, type=r.type, polarity=TurningPointScorer.polarity(r.type, s.text.lower()),
                                score=score, evidence=f"{REVIEW_MARK}added ({r.source}, {r.reviewed_at[:10]})",
                                source=TP_REVIEW_ADDED))
    return sorted(out, key=lambda t: t.sent_id)


def turning_points_digest(spans: Iterable[tuple[int, int, str]]) -> str:
    """A short hash of a document's turning points (start, end, type): written with each
    exported source, so a review can tell whether the store still holds what the analysts saw."""
    rows = sorted((int(a), int(b), str(t)) for a, b, t in spans)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:12]


def reviews_digest(reviews: Iterable[TurningPointReview]) -> str:
    """A short hash of a document's verdicts: part of its analysis key, so a new review
    re-analyses exactly the documents it touches. Empty when there are none."""
    rows = sorted((r.start, r.end, r.verdict, r.type or "", r.reviewed_at) for r in reviews)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16] if rows else ""
