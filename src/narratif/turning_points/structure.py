"""Story-level signals of where a telling turns (Labov): what comes right after a moment.

A narrator who has just told the event the story turns on usually stops to evaluate it —
« c'était vraiment dégueulasse », « c'était la catastrophe », an exclamation — often in the
present or the imparfait after a run of passé composé, and a listener often reacts
(« oh non », « ah ouais ? »). The sentence-level cues of :mod:`narratif.turning_points.detect`
cannot see this: it is in the *next* sentences. For every analysed (narrator) sentence
:func:`story_signals` returns

* ``evaluated``: one of the next ``window`` narrator sentences evaluates — it tells no
  foreground event and judges (« c'était / c'est » + a judgement, an intensifier, an exclamation);
* ``present_shift``: the sentence tells a foreground event and the next narrator sentence
  has no foreground event but a present or imparfait verb (the telling stops to comment);
* ``reaction``: the sentence ends its turn and the next turn is short (at most
  ``REACTION_TOKENS`` words) and by someone else: a listener's « oh non », « ah ouais ? »
  (ParisStories listeners are not always marked as such; any other speaker counts).

Each is 0/1; the detector adds ``TurningPointSettings.*_bonus`` times each to a candidate's
score before choosing (``0`` = off).
"""

from __future__ import annotations

import re

#: An evaluation of what was just told: « c'était (vraiment) dégueulasse », « trop bien », « la catastrophe ».
EVALUATION = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:c'était|c'est|ça a été|ça été|j'étais|on était|il était|elle était)\b"
    r"|\b(?:trop|tellement|hyper|super|vraiment|grave|complètement)\s+\w+"
    r"|\b(?:catastrophe|horrible|incroyable|dingue|ouf|fou|folle|choqué|choquée|hallucin\w*|énorme|génial|"
    r"terrible|magnifique|dégueulasse|panique|bizarre)\b|!", re.IGNORECASE)


#: The most words a turn may have to count as a reaction to the previous one.
REACTION_TOKENS = 6


def story_signals(rows: list[tuple], profiles: list[tuple[int, int, int]], parsed=None,
                  window: int = 2) -> list[dict[str, int]]:
    """The ``evaluated``, ``present_shift`` and ``reaction`` flags of each analysed sentence.

    ``rows`` are :func:`narratif.turning_points.detect.score_sentences` rows (narrator sentences in
    text order), ``profiles`` their tense profiles; ``parsed`` (all segments, listener's
    included) gives the turns for ``reaction``.
    """
    n = len(rows)
    evaluates = [not prof[0] and bool(EVALUATION.search(r[2].text)) for r, prof in zip(rows, profiles)]
    listener_after = _reaction_after(parsed) if parsed is not None else set()
    out = []
    for i, (p, sent, span, cand) in enumerate(rows):
        fg = profiles[i][0]
        nxt = profiles[i + 1] if i + 1 < n else None
        out.append({
            "evaluated": int(any(evaluates[i + 1:i + 1 + window])),
            "present_shift": int(bool(fg) and nxt is not None and not nxt[0] and bool(nxt[1] or nxt[2])),
            "reaction": int(sent.sent_id in listener_after),
        })
    return out


def _reaction_after(parsed) -> set[int]:
    """Sentence ids of the last sentence of each turn followed by someone else's short turn."""
    out = set()
    segs = [p for p in parsed if p.sentences]
    for a, b in zip(segs, segs[1:]):
        short = sum(1 for t in b.doc if t.is_alpha) <= REACTION_TOKENS
        if a.segment.role != "interviewer" and short and b.segment.speaker != a.segment.speaker:
            out.add(a.sentences[-1].sent_id)
    return out
