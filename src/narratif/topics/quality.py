"""Topic quality measured without gensim: diversity and NPMI coherence.

NPMI uses segments as co-occurrence windows (binary document frequency), the
usual reference-corpus setting for short texts; a pair never seen together
scores −1.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


def topic_diversity(topic_terms: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of distinct words among the top ``top_n`` words of all topics (1 = no overlap)."""
    words = [w for terms in topic_terms for w in list(terms)[:top_n]]
    return len(set(words)) / len(words) if words else 0.0


def coherence_npmi(topic_terms: Sequence[Sequence[str]], texts: Sequence[str], *, top_n: int = 10,
                   token_pattern: str = r"(?u)\b\w\w+\b") -> tuple[float, list[float]]:
    """Mean NPMI over topics (and per topic) of their top-word pairs, counted in ``texts``."""
    vocab = sorted({w for terms in topic_terms for w in list(terms)[:top_n] if " " not in w})
    if not vocab or not texts:
        return 0.0, []
    vec = CountVectorizer(vocabulary=vocab, token_pattern=token_pattern, lowercase=True, binary=True)
    x = vec.fit_transform(texts).tocsc().astype(np.float64)
    n = x.shape[0]
    index = {w: i for i, w in enumerate(vocab)}
    df = np.asarray(x.sum(axis=0)).ravel()
    co = (x.T @ x).toarray()
    eps = 1e-12
    per_topic = []
    for terms in topic_terms:
        ids = [index[w] for w in list(terms)[:top_n] if w in index]
        scores = []
        for a, b in combinations(ids, 2):
            p_ab = co[a, b] / n
            if p_ab <= 0:
                scores.append(-1.0)
                continue
            p_a, p_b = df[a] / n, df[b] / n
            pmi = np.log(p_ab / (p_a * p_b + eps))
            scores.append(float(pmi / -np.log(p_ab + eps)) if p_ab < 1 else 1.0)
        per_topic.append(float(np.mean(scores)) if scores else 0.0)
    return float(np.mean(per_topic)) if per_topic else 0.0, per_topic
