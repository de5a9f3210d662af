"""Segment-by-segment parsing: markup the parser must not see, offsets it must keep."""

from __future__ import annotations

from narratif.ingest import ingest_file
from narratif.nlp.parse import mask_markup, parse_document
import pytest

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


def test_markdown_bold_does_not_glue_the_report_s_sentences(nlp, shared_dir):
    """The seed report writes « … de la transition**. Pour conduire … »: two sentences."""
    doc = ingest_file(shared_dir / "seeds" / "002_d0cbea24b0b91578.txt")
    assert doc.text.count("**. ") >= 5
    sents = [s for p in parse_document(nlp, doc) for s in p.sentences]
    assert not [s.text for s in sents if "**. " in s.text]
    assert all(doc.text[s.start:s.end] == s.text for s in sents)  # offsets still index the stored text
    cut = next(s for s in sents if s.text.endswith("transition**."))
    assert doc.text[cut.end:].lstrip().startswith("Pour")


def test_masking_keeps_every_offset():
    text = "je suis [pause] arrivée **en 1952** et __voilà__"
    masked = mask_markup(text)
    assert len(masked) == len(text) and "[" not in masked and "*" not in masked and "_" not in masked
    assert masked.index("arrivée") == text.index("arrivée") and masked.index("1952") == text.index("1952")
