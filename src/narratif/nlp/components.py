"""narratif's spaCy components, registered as factories on import (``nlp.add_pipe("narratif_…")``).

``narratif_spoken_numbers`` keeps spoken numbers inside one sentence (before the parser);
``narratif_turning_points`` scores every sentence as a turning-point candidate
(``Span._.turning_point``), which detection then ranks per document. Both take all their
settings as keyword config, so a pipeline is rebuilt from its config alone.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from narratif.nlp import extensions
from narratif.nlp.sentences import line_pieces
from narratif.timeline.numbers import NUMBER_WORD, UNIT_WORDS
from narratif.timeline.patterns import MONTHS

extensions.set_extensions()

#: Two number words in a row (« mille neuf », « soixante - trois », « trente et un »): the only
#: texts the component has anything to do in; a cheap look first spares the token loop elsewhere.
_NUMBER_PAIR_RE = re.compile(rf"\b{NUMBER_WORD}[\s-]+(?:et\s+)?-?{NUMBER_WORD}\b", re.IGNORECASE)
#: A day said before its month, or a year after it (« le huit juillet », « juillet quarante-quatre »).
_DATE_RE = re.compile(rf"\b(?:{NUMBER_WORD}|premier|\d{{1,4}})\s+(?:{MONTHS})\b|\b(?:{MONTHS})\s+(?:{NUMBER_WORD}|\d{{4}})\b",
                      re.IGNORECASE)
_MONTH_WORDS = frozenset(MONTHS.split("|"))


def _is_number_word(text: str) -> bool:
    low = text.lower()
    if low in UNIT_WORDS:
        return True
    if "-" not in low:
        return False
    parts = [p for p in low.strip("-").split("-") if p]
    return bool(parts) and all(p in UNIT_WORDS for p in parts)


@Language.component("narratif_spoken_numbers")
def keep_spoken_numbers_whole(doc: Doc) -> Doc:
    """No sentence starts inside a spoken number or a date: in unpunctuated transcripts the parser
    cuts « en mille | neuf cent quatre-vingt-quatre » or « soixante | -trois », and the
    timeline then reads a wrong year. Runs before the parser, which keeps preset boundaries."""
    if _DATE_RE.search(doc.text):
        _keep_dates_whole(doc)
    if not _NUMBER_PAIR_RE.search(doc.text):
        return doc
    in_number = False  # the last token that is not a space or a hyphen belongs to a number
    for tok in doc:
        if tok.is_space or tok.text == "-":
            if in_number and tok.text == "-":
                tok.is_sent_start = False
            continue
        joins = tok.lower_ == "et" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ in ("un", "une", "onze")
        if in_number and (_is_number_word(tok.text) or joins):
            tok.is_sent_start = False
        in_number = _is_number_word(tok.text) or (in_number and joins)
    return doc


def _is_day_or_year(tok) -> bool:
    return tok.like_num or _is_number_word(tok.text) or tok.lower_ == "premier"


def _keep_dates_whole(doc: Doc) -> None:
    """No sentence starts between a day and its month or a month and its year: short oral
    lines are cut there (« le huit | juillet »), and the date is lost."""
    words = [t for t in doc if not t.is_space]
    for prev, tok in zip(words, words[1:]):
        if (tok.lower_ in _MONTH_WORDS and _is_day_or_year(prev)) or (prev.lower_ in _MONTH_WORDS
                                                                      and _is_day_or_year(tok)):
            tok.is_sent_start = False


class TurningPointTagger:
    """Sets ``Span._.turning_point`` (type, polarity, score, evidence, or None) on every sentence
    narratif analyses, and ``Doc._.turning_point_settings`` to the settings it scored with."""

    def __init__(self, nlp: Language | None = None, name: str = "narratif_turning_points", *,
                 min_score: float = 0.9, budget_per_sqrt: float = 0.6):
        from narratif.turning_points.detect import TurningPointScorer, TurningPointSettings

        self.name = name
        self.min_score = min_score
        self.budget_per_sqrt = budget_per_sqrt
        settings = TurningPointSettings(min_score=min_score, budget_per_sqrt=budget_per_sqrt)
        self.scorer = TurningPointScorer(settings)
        self.signature = settings.signature()

    def __call__(self, doc: Doc) -> Doc:
        if not doc.has_annotation("SENT_START"):  # run with the parser disabled: nothing to score
            return doc
        for span in line_pieces(doc):
            span._.turning_point = self.scorer(span)
        doc._.turning_point_settings = self.signature
        return doc


@Language.factory(
    "narratif_turning_points",
    assigns=["span._.turning_point", "doc._.turning_point_settings"],
    requires=["token.morph", "token.lemma", "token.dep"],
    default_config={"min_score": 0.9, "budget_per_sqrt": 0.6},
)
def make_turning_point_tagger(nlp: Language, name: str, min_score: float, budget_per_sqrt: float):
    return TurningPointTagger(nlp, name, min_score=min_score, budget_per_sqrt=budget_per_sqrt)
