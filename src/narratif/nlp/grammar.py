"""French grammar read off spaCy's parse: the tense of each verb, who a clause's subject is.

Several stages read tense: the timeline orients a sentence to the past, present or future;
turning-point detection weighs foreground events (passé composé, passé simple) against
background (imparfait) and comment (present); the turning-point features count each tense.
They all read it here, so a verb is classified once and the same way everywhere.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

from spacy.tokens import Span, Token

#: The tenses :func:`verb_tense` tells apart, named as a French grammar names them.
FUTURE, CONDITIONAL, IMPERFECT, SIMPLE_PAST, PRESENT = "futur", "conditionnel", "imparfait", "passé simple", "présent"
PAST_PARTICIPLE, PRESENT_PARTICIPLE = "participe passé", "participe présent"


class VerbTense(NamedTuple):
    """The tense a verb token carries, and its part in a compound tense (« j'ai mangé », « il
    avait vu »: an auxiliary whose head is a participle, and a participle with its auxiliary)."""

    tense: str
    auxiliary: bool  # the token is the auxiliary of another verb (aux, aux:tense, aux:pass)
    of_participle: bool  # … of a participle: the first half of a passé composé, plus-que-parfait …
    with_auxiliary: bool  # the token has an auxiliary of its own: the second half
    finite: bool
    lexical: bool  # a full verb (VERB), not an auxiliary or a copula (AUX)


def verb_tense(tok: Token) -> VerbTense | None:
    """The tense of a verb or auxiliary token from its morphology, None for other tokens
    (and for verb forms without tense: infinitives, imperatives)."""
    if tok.pos_ not in ("VERB", "AUX"):
        return None
    morph = tok.morph
    tense, form = morph.get("Tense"), morph.get("VerbForm")
    if "Fut" in tense:
        name = FUTURE
    elif "Cnd" in morph.get("Mood"):
        name = CONDITIONAL
    elif "Imp" in tense:
        name = IMPERFECT
    elif "Past" in tense and "Part" in form:
        name = PAST_PARTICIPLE
    elif "Past" in tense and "Fin" in form:
        name = SIMPLE_PAST
    elif "Pres" in tense:
        name = PRESENT_PARTICIPLE if "Part" in form else PRESENT
    else:
        return None
    auxiliary = tok.dep_.startswith("aux")
    return VerbTense(name, auxiliary, auxiliary and tok.head.morph.get("VerbForm") == ["Part"],
                     any(c.dep_.startswith("aux") for c in tok.children), "Fin" in form, tok.pos_ == "VERB")


def verb_tenses(span: Span) -> Iterator[tuple[Token, VerbTense]]:
    """(token, tense) of every verb and auxiliary of ``span`` that carries a tense."""
    for tok in span:
        vt = verb_tense(tok)
        if vt is not None:
            yield tok, vt


_FUTURE_ENDINGS = ("rai", "ras", "ra", "ront")


def looks_future(tok: Token) -> bool:
    """The model often tags simple futures (« partirai ») as present: check the ending against the lemma."""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if low == lemma or not low.endswith(_FUTURE_ENDINGS):
        return False
    stem = lemma[:-1] if lemma.endswith("re") else lemma
    return low.startswith(stem[:-1]) and len(low) > len(stem)


#: Subjects that make the narrator the one who acts (« je », « on », « nous »).
NARRATOR_SUBJECTS = frozenset({"je", "j'", "j’", "on", "nous"})


def narrator_does(verb: Token) -> bool:
    """Whether the narrator is the verb's subject (« je me suis mariée », « on a eu »)."""
    return any(c.dep_.startswith("nsubj") and c.lower_ in NARRATOR_SUBJECTS for c in verb.children)


def token_at(span: Span, offset: int) -> Token | None:
    """The first token of ``span`` at or after character ``offset`` of the span's text."""
    return next((t for t in span if t.idx - span.start_char >= offset), None)
