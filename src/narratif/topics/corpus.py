"""The segments topics are computed over, with their embeddings.

Vectors are computed with the topic stage's backend and kept in a small cache file
keyed by content hash + backend signature, so a rerun never embeds a text twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from narratif.atomic import atomic_write
import pandas as pd

from narratif.embeddings import EmbeddingBackend, text_key
from narratif.store import Store
from narratif.topics.vocabulary import content_word_count

_WORD_RE = re.compile(r"\w+")
_MARKUP_RE = re.compile(r"\[[^\]\n]{1,30}\]")


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(_MARKUP_RE.sub(" ", text or "")))


def load_segments(store: Store, *, min_assign_words: int) -> pd.DataFrame:
    """Non-interviewer segments of ok documents long enough to carry a topic, in stable order."""
    seg = store.narrated_segments()
    seg["n_words"] = [word_count(t) for t in seg["text"]]
    seg["n_content"] = [content_word_count(t) for t in seg["text"]]
    seg = seg[seg["n_words"] >= min_assign_words].reset_index(drop=True)
    seg["seg_id"] = seg["seg_id"].astype("int64")
    return seg


class EmbeddingCache:
    """Vectors by :func:`~narratif.embeddings.text_key` in one ``.npz`` file per backend."""

    def __init__(self, directory: Path, backend: EmbeddingBackend):
        self.backend = backend
        tag = hashlib.sha256(backend.signature().encode()).hexdigest()[:12]
        self.path = Path(directory) / f"embedding_cache-{tag}.npz"
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
        self._dirty = False
        self.n_computed = 0  # vectors this cache had to compute (the rest were cached)

    def get_or_embed(self, texts: list[str], batch_size: int = 512) -> np.ndarray:
        keys = [text_key(t, self.backend) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._vectors}.items())
        for i in range(0, len(missing), batch_size):
            chunk = missing[i : i + batch_size]
            vecs = self.backend.embed([t for _, t in chunk])
            self._vectors.update({k: v.astype(np.float32) for (k, _), v in zip(chunk, vecs)})
            self.n_computed += len(chunk)
            self._dirty = True
        if not keys:
            return np.zeros((0, self.backend.dim), dtype=np.float32)
        return np.vstack([self._vectors[k] for k in keys]).astype(np.float32, copy=False)

    def save(self) -> None:
        if not self._dirty:
            return
        keys = sorted(self._vectors)
        atomic_write(self.path, lambda tmp: np.savez(tmp, keys=np.array(keys),
                                                     vectors=np.vstack([self._vectors[k] for k in keys])),
                     suffix=".npz")
        self._dirty = False


def embed_segments(segments: pd.DataFrame, backend: EmbeddingBackend, cache_dir: Path) -> tuple[np.ndarray, int]:
    """Row-aligned vectors for ``segments``, computed once per text and backend (cached by content hash).

    Returns the matrix and how many vectors had to be computed.
    """
    cache = EmbeddingCache(cache_dir, backend)
    vecs = cache.get_or_embed(segments["text"].tolist())
    cache.save()
    return vecs, cache.n_computed


def narrative_windows(segments: pd.DataFrame, *, min_words: int) -> np.ndarray:
    """Window number per row: consecutive narrator segments of a document merged until ``min_words``.

    Back-channel turns ("oui", "ah non non") carry no topic on their own; grouped
    with their neighbours they take the topic of the talk around them. A short
    last window of a document joins the one before it. Rows must be in document
    order (as :func:`load_segments` returns them); ``min_words`` ≤ 1 keeps one
    segment per window.
    """
    n = len(segments)
    if min_words <= 1 or n == 0:
        return np.arange(n, dtype=np.int64)
    docs = segments["doc_id"].to_numpy()
    words = segments["n_words"].to_numpy()
    out = np.zeros(n, dtype=np.int64)
    current = -1
    bounds = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        filled, first = min_words, current + 1
        for i in range(lo, hi):
            if filled >= min_words:
                current, filled = current + 1, 0
            out[i] = current
            filled += int(words[i])
        if filled < min_words // 2 and current > first:
            out[lo:hi][out[lo:hi] == current] = current - 1  # short tail joins the window before it
            current -= 1
    return out



@dataclass
class Units:
    """Windows of talk over some segment rows: what topics are fitted on and assigned to."""

    #: window number of each row
    window: np.ndarray
    #: term text of each window (what c-TF-IDF counts)
    texts: list[str]
    #: vector of each window (None when not asked for)
    vectors: np.ndarray | None
    #: windows long enough, and with enough content words, to be fitted on
    fit: np.ndarray
    #: windows with at least one content word (the others are never assigned)
    content: np.ndarray


def windowed_units(segs: pd.DataFrame, rows: np.ndarray, *, window_words: int, min_words: int,
                   min_content_words: int, term_docs: list[str], embeddings: np.ndarray | None = None,
                   embed: Callable[[list[str]], np.ndarray] | None = None) -> Units:
    """Windows over ``segs`` rows ``rows`` (see :func:`narrative_windows`).

    A window's vector embeds its whole text with ``embed`` (averaging normalised
    segment vectors instead blurs the clusters); one-segment windows reuse the
    segment vectors.
    """
    sub = segs.iloc[rows]
    win = narrative_windows(sub, min_words=window_words)
    n = int(win.max()) + 1 if len(win) else 0
    parts: list[list[str]] = [[] for _ in range(n)]
    raw: list[list[str]] = [[] for _ in range(n)]
    for w, i, text in zip(win, rows, sub["text"]):
        parts[w].append(term_docs[i])
        raw[w].append(text)
    words = np.bincount(win, weights=sub["n_words"].to_numpy(float), minlength=n)
    content = np.bincount(win, weights=sub["n_content"].to_numpy(float), minlength=n)
    vectors = None
    if embeddings is not None:
        one_each = n == len(rows)
        vectors = embeddings[rows] if one_each or embed is None else embed(["\n".join(r) for r in raw])
    fit = (words >= min_words) & (content >= min_content_words)
    return Units(window=win, texts=[" ".join(p) for p in parts], vectors=vectors, fit=fit, content=content > 0)
