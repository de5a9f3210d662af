"""Topic labels: the lemmas that set a topic apart, not what every narrator says.

A label is what an analyst reads first, so it is built for that, apart from the
c-TF-IDF terms BERTopic keeps: word forms are counted per topic and merged by
lemma ("viennent", "vient", "venu" → "venir"), then weighed with BERTopic's
class-based TF-IDF over the lemmas. Left out, before weighing: spoken fillers
(« euh », « ben », « voilà »), spaCy's French stop words, a curated list of
generic words (« ici », « instant », « main », « chose », « fois », auxiliaries and
light verbs, in ``narratif/data/topic_label_stopwords_fr.txt``), and any lemma
found in more than ``max_df`` of the fitted units (what this corpus says everywhere).

Word forms are lemmatised once each, out of context, from the spaCy pipeline's
lookup table (a whole corpus pass would cost as much as the fit).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from narratif.embeddings import SPOKEN_FILLERS
from narratif.topics._numba_cache import import_umap_with_cache
from narratif.topics.vocabulary import TOKEN_PATTERN, french_stop_words

import_umap_with_cache()  # BERTopic imports UMAP: numba must be pinned first

from bertopic.vectorizers import ClassTfidfTransformer  # noqa: E402

GENERIC_WORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "topic_label_stopwords_fr.txt"
#: without a lookup table, forms are tagged in chunks of this many, one per line (one doc per form is 4x slower)
_CHUNK = 200
#: pipeline components a lemma needs
_LEMMA_PIPES = ("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer", "tagger")


@lru_cache(maxsize=4)
def generic_words(path: Path = GENERIC_WORDS_FILE) -> frozenset[str]:
    """The curated list: one lemma per line, ``#`` starts a comment."""
    words = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if word:
            words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def label_stop_words() -> frozenset[str]:
    """Everything a label leaves out by list: generic words, fillers, spaCy's stop words."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return generic_words() | SPOKEN_FILLERS | frozenset(w.lower() for w in STOP_WORDS) | frozenset(french_stop_words())


class Lemmatiser:
    """Word form -> lemma, out of context, each form once (cached).

    The spaCy pipeline's own lookup table (``lemma_lookup`` of its French
    lemmatizer: "viennent" -> "venir", "vélos" -> "vélo"; forms it lacks are
    lemmas already) answers without running the model; a pipeline without that
    table tags the forms, one per line.
    """

    def __init__(self, nlp):
        self.nlp = nlp
        self._cache: dict[str, str] = {}
        lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
        lookups = getattr(lemmatizer, "lookups", None)
        self._table = lookups.get_table("lemma_lookup") if lookups is not None and lookups.has_table(
            "lemma_lookup") else None

    def __call__(self, words: Sequence[str]) -> dict[str, str]:
        todo = sorted({w for w in words if w not in self._cache})
        if self._table is not None:
            for word in todo:
                found = self._table.get(word)
                lemma = (found[0] if isinstance(found, (list, tuple)) and found else found) or word
                self._cache[word] = str(lemma).lower()
        else:
            self._tag(todo)
        return {w: self._cache[w] for w in words}

    def _tag(self, todo: list[str]) -> None:
        disable = [p for p in self.nlp.pipe_names if p not in _LEMMA_PIPES]
        chunks = [todo[i:i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
        for chunk, doc in zip(chunks, self.nlp.pipe(["\n".join(c) for c in chunks], disable=disable)):
            tokens = [t for t in doc if not t.is_space]
            if len(tokens) != len(chunk):  # a form the tokenizer splits ("aujourd'hui"): one by one
                tokens = [d[0] if len(d) == 1 else None for d in self.nlp.pipe(chunk, disable=disable)]
            for word, tok in zip(chunk, tokens):
                lemma = (tok.lemma_ if tok is not None else "").lower()
                self._cache[word] = lemma if lemma.isalpha() or "-" in lemma else word


def _lemma_matrix(forms: list[str], lemma_of: dict[str, str], stop: frozenset[str]) -> tuple[sp.csr_matrix, list[str]]:
    """Forms × lemmas indicator (forms whose form or lemma is a stop word map to nothing)."""
    lemmas = sorted({lemma_of[f] for f in forms if f not in stop and lemma_of[f] not in stop})
    col = {lem: j for j, lem in enumerate(lemmas)}
    rows, cols = [], []
    for i, f in enumerate(forms):
        j = col.get(lemma_of[f])
        if j is not None and f not in stop:
            rows.append(i)
            cols.append(j)
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(forms), len(lemmas)))
    return m, lemmas


def topic_labels(docs: Sequence[str], topics: np.ndarray, topic_ids: Sequence[int], lemmatiser, *,
                 n_words: int = 4, max_df: float = 0.15, min_df: int = 2) -> dict[int, list[str]]:
    """Fit id -> its ``n_words`` most distinctive lemmas, best first.

    ``docs`` are the fitted units' texts and ``topics`` their topic (−1 = none).
    """
    topics = np.asarray(topics)
    if not len(docs) or not len(topic_ids):
        return {}
    vec = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, min_df=min(min_df, len(docs)))
    try:
        x = vec.fit_transform(list(docs))
    except ValueError:  # no word at all
        return {t: [] for t in topic_ids}
    forms = list(vec.get_feature_names_out())
    to_lemma, lemmas = _lemma_matrix(forms, lemmatiser(forms), label_stop_words())
    by_lemma = (x @ to_lemma).tocsc()
    if not lemmas:
        return {t: [] for t in topic_ids}
    df = np.asarray((by_lemma > 0).sum(axis=0)).ravel() / len(docs)
    usable = (df <= max_df) & np.array([len(lem) > 2 for lem in lemmas])
    pos = {int(t): i for i, t in enumerate(topic_ids)}
    rows = [(pos[int(t)], i) for i, t in enumerate(topics) if int(t) in pos]
    member = sp.csr_matrix((np.ones(len(rows)), ([r for r, _ in rows], [i for _, i in rows])),
                           shape=(len(topic_ids), len(topics)))
    counts = member @ by_lemma
    usable &= np.asarray(counts.sum(axis=0)).ravel() > 0  # found in some topic, not only among outliers
    counts = counts[:, np.flatnonzero(usable)]
    kept = [lemmas[j] for j in np.flatnonzero(usable)]
    if not kept:
        return {t: [] for t in topic_ids}
    weights = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(sp.csr_matrix(counts)).toarray()
    out = {}
    for row, t in enumerate(topic_ids):
        order = sorted(np.flatnonzero(weights[row] > 0), key=lambda j: (-round(float(weights[row, j]), 9), kept[j]))
        out[int(t)] = [kept[j] for j in order[:n_words]]
    return out
