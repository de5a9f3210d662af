"""Turning points placed on the life-course line: each gets the year of the date it is told with.

A turning point takes the date said in its own sentence (the one nearest the words that make
it a turning point), else the last one its narrator said at most :data:`TP_ANCHOR_REACH`
sentences before; a date said in an aside (« l'immeuble, qui a été construit en 1925 ») dates
nothing that follows. :func:`life_course` orders the points by year.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from narratif.models import TimeExpression, TurningPoint
from narratif.nlp.grammar import narrator_does, token_at

#: How far back (in sentences) a date still dates a turning point. On 218 CFPP2000 turning
#: points dated blind by annotators (``benchmarks/tp_years/``), 25 sentences dated more of them
#: but wrongly one time in two; 6 keeps most of the right years and halves the wrong ones.
TP_ANCHOR_REACH = 6


def anchor_turning_points(turning_points: Iterable[TurningPoint], timeline: list[TimeExpression], parsed, *,
                          reach: int = TP_ANCHOR_REACH) -> list[TurningPoint]:
    """Turning points with ``time_anchor``/``year`` from the nearest preceding anchor of the same narrator.

    An expression in the turning point's own sentence wins (the one nearest the words that
    make it a turning point); otherwise the last one before it in the same speaker's
    sentences, at most ``reach`` sentences back (an anchor said long before no longer dates
    the story; a missing year is better than a wrong one on a life-course line). Only expressions with a year anchor:
    the narrator's own ages have one when the birth year is known (:func:`extract_timeline`).
    Returned in life-course order: by year where known, else narrative order.
    """
    speaker_of = {s.sent_id: p.segment.speaker for p in parsed for s in p.sentences}
    spans = {s.sent_id: (s, sp) for p in parsed for s, sp in zip(p.sentences, p.spans)}
    by_sent: dict[int, list[TimeExpression]] = {}
    for te in timeline:
        by_sent.setdefault(te.sent_id, []).append(te)
    ordered_ids = sorted(by_sent)
    out = []
    for tp in turning_points:
        who = speaker_of.get(tp.sent_id)
        anchor = None
        for sid in reversed([i for i in ordered_ids if tp.sent_id - reach <= i <= tp.sent_id]):
            if speaker_of.get(sid) != who:
                continue
            usable = [t for t in by_sent[sid] if t.year is not None  # someone else's age has none
                      and (sid == tp.sent_id or not (t.value or "").endswith("X"))  # a decade said before is too loose
                      and (sid == tp.sent_id or not _aside(t, spans.get(sid)))]
            if usable:
                anchor = _nearest_to_event(usable, tp, spans.get(sid)) if sid == tp.sent_id else usable[-1]
                break
        if anchor is None:
            out.append(tp)
            continue
        out.append(replace(tp, time_anchor=anchor.expression, year=_event_year(anchor)))
    return life_course(out)


#: Antecedents that make a relative clause the time of the story (« l'année que j'ai passée là »).
_TIME_NOUNS = {"année", "an", "jour", "moment", "époque", "fois", "période", "mois", "semaine", "date", "temps",
               "soir", "matin", "nuit", "été", "hiver"}
_RELATIVES = {"qui", "que", "qu'", "qu’", "dont", "lequel", "laquelle", "lesquels", "lesquelles"}


def in_background_clause(span, offset: int) -> bool:
    """A date said inside a relative clause about someone or something (« le comte, qui fut
    chevalier de l'ordre en 1688 », « l'immeuble qui a été construit en 1925 ») belongs to that
    aside, not to the time the story has reached: it does not date what follows. A clause on a
    time (« l'hiver que j'ai passé à Lyon ») or telling the narrator's own doing (« l'appartement
    qu'on a eu en soixante-deux ») is the story itself. The parser often attaches relative
    clauses as ``ccomp``, so the clause is found by its relative pronoun."""
    tok = token_at(span, offset)
    while tok is not None and tok.dep_ != "ROOT" and tok.head.i != tok.i:
        if tok.pos_ in ("VERB", "AUX", "NOUN", "ADJ"):
            rel = next((c for c in tok.children if c.i < tok.i and c.lower_ in _RELATIVES
                        and ("Rel" in c.morph.get("PronType") or c.dep_.startswith(("nsubj", "obj", "obl")))), None)
            if rel is not None:
                if narrator_does(tok):
                    return False  # « l'appartement qu'on a eu en soixante-deux »: the narrator's own story
                before = next((t for t in reversed(span.doc[span.start:rel.i]) if not t.is_punct), None)
                return not (before is not None and before.lemma_.lower() in _TIME_NOUNS)
        tok = tok.head
    return False


def _aside(te: TimeExpression, sentence) -> bool:
    """True when ``te`` is said in a relative clause of its sentence (see :func:`_in_background_clause`)."""
    if sentence is None:
        return False
    sent, span = sentence
    return in_background_clause(span, te.start - sent.start)


def _event_year(te: TimeExpression) -> int | None:
    """The year a turning point gets from its anchor: a decade («  dans les années trente »)
    places it mid-decade, « au début / à la fin des années … » early or late in it — closer on
    average than the decade's first year, which the timeline keeps as the expression's value."""
    if te.year is None or not (te.value or "").endswith("X"):
        return te.year
    low = te.expression.lower()
    return te.year + (2 if "début" in low else 8 if "fin " in low else 5)


def _nearest_to_event(expressions: list[TimeExpression], tp: TurningPoint, sentence) -> TimeExpression:
    """The date nearest the words that make the sentence a turning point (its evidence): a long
    spoken sentence often holds several dates (« arrivé à Nogent en deux mille six … depuis
    soixante et onze »), and the event's own is the one said with it."""
    if len(expressions) == 1 or sentence is None:
        return expressions[-1]
    sent, span = sentence
    head = (tp.evidence or "").split(";", 1)[0]
    words = {w for part in head.split(":", 1)[-1].split(",") for w in part.lower().split()}
    hits = [tok for tok in span if tok.lemma_.lower() in words or tok.lower_ in words]
    # the event's own words (« venue », « mariée »), not the function words or the place names
    # a pattern matched with them (« à Paris » of where one lived before)
    events = [tok for tok in hits if tok.pos_ in ("VERB", "NOUN") and not tok.is_stop]
    where = [sent.start + tok.idx - span.start_char for tok in events or hits]
    if not where:
        return expressions[-1]
    return min(expressions, key=lambda te: min(abs(te.start - w) if w < te.start else max(0, w - te.end)
                                               for w in where))


def life_course(turning_points: list[TurningPoint]) -> list[TurningPoint]:
    """Order on the life-course line: per speaker story, by year where known, else narrative order.

    A turning point without a year keeps the year of the one before it for sorting, so
    narrative order is preserved inside a dated stretch.
    """
    keyed = []
    current = None
    for i, tp in enumerate(sorted(turning_points, key=lambda t: t.sent_id)):
        if tp.year is not None:
            current = tp.year
        keyed.append(((current if current is not None else -10**6), i, tp))
    return [tp for _, _, tp in sorted(keyed, key=lambda k: (k[0], k[1]))]

