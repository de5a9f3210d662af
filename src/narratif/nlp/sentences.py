"""The sentences narratif analyses: spaCy's, cut again at line breaks."""

from __future__ import annotations

from typing import Iterator

from spacy.tokens import Doc, Span


def line_pieces(doc: Doc) -> Iterator[Span]:
    """spaCy's sentences, cut again at line breaks: a transcript line is never merged with the next."""
    for span in doc.sents:
        start = span.start
        for tok in span:
            if "\n" in tok.text_with_ws and tok.i + 1 < span.end:
                yield doc[start:tok.i + 1]
                start = tok.i + 1
        if start < span.end:
            yield doc[start:span.end]
