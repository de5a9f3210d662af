"""The c-TF-IDF vocabulary: French stop words, spoken fillers, optional lemmas.

Topic terms are what analysts read first; "euh", "ouais" or "c'est" at the top
of every topic would hide what the topic is about, so transcription fillers are
stop words too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from sklearn.feature_extraction.text import CountVectorizer

from narratif.embeddings import SPOKEN_FILLERS  # shared with the SIF embedder

#: Transcription markup ("[pause]", "[rire de Julie]", "{suite de syllabes incompréhensibles}").
_MARKUP_RE = re.compile(r"\[[^\]\n]{1,60}\]|\{[^}\n]{1,60}\}")


def strip_markup(text: str) -> str:
    """Text without transcription markup, for the term counts only."""
    return _MARKUP_RE.sub(" ", text or "")

#: Same default as scikit-learn, written out: words of two letters or more.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@lru_cache(maxsize=1)
def french_stop_words() -> tuple[str, ...]:
    """spaCy's French stop words plus spoken fillers, as the vectorizer tokenises them."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    token_re = re.compile(TOKEN_PATTERN)
    words: set[str] = set()
    for w in set(STOP_WORDS) | SPOKEN_FILLERS:
        words.update(token_re.findall(w.lower()))  # "aujourd'hui" -> "aujourd", "hui"
    return tuple(sorted(words))


def content_word_count(text: str) -> int:
    """Words that are neither stop words nor fillers: what a topic can be about."""
    stop = _stop_set()
    return sum(1 for w in re.findall(TOKEN_PATTERN, strip_markup(text).lower()) if w not in stop)


@lru_cache(maxsize=1)
def _stop_set() -> frozenset[str]:
    return frozenset(french_stop_words())


def segment_vocabulary(docs: Sequence[str], *, ngram_max: int = 1, min_df: int = 5,
                       max_df: float = 0.2) -> list[str]:
    """Terms found in at least ``min_df`` segments (BERTopic's own vectorizer counts topics, not segments)."""
    vec = CountVectorizer(stop_words=list(french_stop_words()), token_pattern=TOKEN_PATTERN,
                          ngram_range=(1, ngram_max), min_df=min_df, max_df=max_df, lowercase=True)
    try:
        vec.fit(docs)
    except ValueError:  # nothing left after pruning (tiny corpora): keep every term
        vec = CountVectorizer(stop_words=list(french_stop_words()), token_pattern=TOKEN_PATTERN,
                              ngram_range=(1, ngram_max), lowercase=True).fit(docs)
    return sorted(vec.vocabulary_)


def build_vectorizer(*, ngram_max: int = 1, vocabulary: Sequence[str] | None = None) -> CountVectorizer:
    """Counts for c-TF-IDF; accents are kept (``strip_accents=None``)."""
    return CountVectorizer(
        stop_words=list(french_stop_words()), token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max),
        vocabulary=list(vocabulary) if vocabulary is not None else None, strip_accents=None, lowercase=True,
    )


def lemmatise(texts: Sequence[str], nlp, *, batch_size: int = 256) -> list[str]:
    """Texts rewritten as their content lemmas, for lemmatised c-TF-IDF ("habitait" -> "habiter")."""
    disable = [p for p in nlp.pipe_names if p in ("parser", "ner")]
    stop = set(french_stop_words())
    out = []
    for doc in nlp.pipe(texts, batch_size=batch_size, disable=disable):
        lemmas = (t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop)
        out.append(" ".join(w for w in lemmas if w not in stop))
    return out
