"""Story-structure signals (what follows a moment) and their optional ranking bonus."""

from __future__ import annotations

import pytest

from narratif.ingest import ingest_file
from narratif.nlp.parse import parse_document
from narratif.turning_points.detect import (
    TurningPointScorer, TurningPointSettings, detect_turning_points, score_sentences,
)
from narratif.turning_points.structure import story_signals

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


def _signals(nlp, shared_dir, name):
    document = ingest_file(shared_dir / "corpora" / "parisstories" / f"{name}.txt")
    parsed = parse_document(nlp, document)
    rows = score_sentences(parsed)
    profiles = [TurningPointScorer.tense_profile(r[2]) for r in rows]
    return document, parsed, rows, story_signals(rows, profiles, parsed)


@pytest.fixture(scope="module")
def cat_story(nlp, shared_dir):
    return _signals(nlp, shared_dir, "2021_loulouLeChat")


def test_a_bite_followed_by_the_narrator_s_shock_is_evaluated(cat_story):
    """« il m'a mordu le front. » / « non, mais j'étais choquée. »"""
    _, _, rows, signals = cat_story
    i = next(k for k, r in enumerate(rows) if "mordu le front" in r[1].text)
    assert signals[i]["evaluated"] == 1 and signals[i]["present_shift"] == 1
    assert sum(s["evaluated"] for s in signals) < len(signals)


def test_reactions_need_another_speaker(cat_story, nlp, shared_dir):
    assert sum(s["reaction"] for s in cat_story[3]) >= 1  # co-narrated: L1 / L2
    _, _, _, single = _signals(nlp, shared_dir, "2020_blessureRecreation")  # one unlabelled narrator
    assert sum(s["reaction"] for s in single) == 0


def test_structure_bonus_is_off_by_default_and_shows_in_the_evidence_when_on(cat_story):
    document, parsed, _, _ = cat_story
    base = detect_turning_points(document, parsed, settings=TurningPointSettings(use_model=False))
    assert not any("told after" in tp.evidence for tp in base)
    on = detect_turning_points(document, parsed, settings=TurningPointSettings(use_model=False, evaluated_bonus=0.5))
    told = [tp for tp in on if "told after: evaluated" in tp.evidence]
    assert told
    before = {tp.sent_id: tp.score for tp in base}
    for tp in told:
        if tp.sent_id in before:
            assert tp.score == pytest.approx(before[tp.sent_id] + 0.5, abs=1e-6)
    assert TurningPointSettings(evaluated_bonus=0.5).signature() != TurningPointSettings().signature()
