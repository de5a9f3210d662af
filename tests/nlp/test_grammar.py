"""The one tense reader (``nlp.grammar``) and the three stages that count tenses with it."""

from __future__ import annotations

from narratif.nlp.grammar import (
    CONDITIONAL, FUTURE, IMPERFECT, PAST_PARTICIPLE, PRESENT, SIMPLE_PAST, looks_future, verb_tense, verb_tenses,
)
from narratif.timeline.expressions import orientation
from narratif.turning_points.detect import TurningPointScorer
from narratif.turning_points.features import _tense_counts


def _tenses(nlp, text: str) -> dict[str, tuple]:
    return {tok.text: (vt.tense, vt.auxiliary, vt.of_participle, vt.with_auxiliary)
            for tok, vt in verb_tenses(next(nlp(text).sents))}


def test_each_verb_gets_its_tense(nlp):
    t = _tenses(nlp, "Quand on habitait à Lyon, j'ai trouvé un travail et il avait vu que tout était fini.")
    assert t["habitait"] == (IMPERFECT, False, False, False)
    assert t["ai"] == (PRESENT, True, True, False) and t["trouvé"] == (PAST_PARTICIPLE, False, False, True)
    assert t["avait"] == (IMPERFECT, True, True, False) and t["vu"] == (PAST_PARTICIPLE, False, False, True)
    assert _tenses(nlp, "Elle partit en 1950.")["partit"][0] == SIMPLE_PAST
    assert _tenses(nlp, "Ils partiront demain.")["partiront"][0] == FUTURE
    assert _tenses(nlp, "On serait arrivés plus tôt.")["serait"][0] == CONDITIONAL
    doc = nlp("Partir maintenant.")
    assert verb_tense(doc[0]) is None and verb_tense(doc[1]) is None  # an infinitive, an adverb


def test_a_future_tagged_present_is_read_from_its_ending(nlp):
    tok = next(t for t in nlp("Je partirai demain.") if t.text == "partirai")
    assert looks_future(tok)
    assert not looks_future(next(t for t in nlp("Je pars demain.") if t.text == "pars"))


def test_the_three_stages_read_the_same_verbs(nlp):
    """Timeline orientation, turning-point tense profile and learned features agree on a sentence
    told in the passé composé, one in the imparfait and one in the future."""
    told, background, future = (next(nlp(s).sents) for s in (
        "En 1982 j'ai quitté la Bretagne et je suis arrivée à Paris.",
        "On habitait une petite maison et mon père travaillait à l'usine.",
        "L'année prochaine nous déménagerons à Lyon."))
    assert orientation(told) == "past" and orientation(background) == "past" and orientation(future) == "future"
    assert TurningPointScorer.tense_profile(told)[0] == 2 and TurningPointScorer.tense_profile(background)[:2] == (0, 2)
    assert _tense_counts(told)["t_pc"] == 2 and _tense_counts(background)["t_imp"] == 2
    assert _tense_counts(future)["t_fut"] == 1
