"""A date is never cut into two sentences (« le huit | juillet »): its day, month and year stay together."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # loads the French model


def test_a_real_oral_line_keeps_its_date_in_one_sentence(nlp, shared_dir):
    """ParisStories « vacancesEte »: the parser alone cuts « le huit | juillet » (checked when
    this test was written), and the timeline then finds no date."""
    story = (shared_dir / "corpora" / "parisstories" / "2019_vacancesEte.txt").read_text(encoding="utf-8")
    line = next(t.split(":", 1)[-1].strip() for t in story.splitlines() if "le huit" in t and "juillet" in t)
    doc = nlp(line)
    start = doc.text.index("le huit")
    sent = next(s for s in doc.sents if s.start_char <= start < s.end_char)
    assert "juillet" in sent.text, [s.text for s in doc.sents]


def test_numbers_that_are_not_dates_are_left_to_the_parser(nlp):
    doc = nlp("on était huit. Juillet c'est le mois où on part")
    assert len(list(doc.sents)) == 2
