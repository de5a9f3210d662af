"""Topics against the codebook: nearest codes, and what the codebook misses.

A code is embedded from its label, description and examples; a topic from the
centroid of its segments. Both are compared after removing the corpus mean
vector (see :mod:`.bertopic_backend`). A topic whose best code stays below the
threshold is *emergent*: something narrators talk about that no code expects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from narratif.embeddings import EmbeddingBackend
from narratif.topics._base import TopicState


@dataclass(frozen=True)
class CodeProfile:
    """What a code is compared with: ids, labels and the texts embedded for them."""

    ids: list[str]
    labels: list[str]
    texts: list[str]


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return " ; ".join(str(v) for v in value if v is not None)
    return str(value)


def _code_rows(codebook) -> list[dict]:
    """Codes as dicts, from ``Codebook.codes`` (objects) or a DataFrame of codes."""
    codes = getattr(codebook, "codes", None)
    if codes is None:
        return []
    if isinstance(codes, pd.DataFrame):
        return codes.to_dict("records")
    return [{k: getattr(c, k, None) for k in ("id", "label", "description", "keywords", "strong_keywords",
                                               "examples")} for c in codes]


def code_profile(codebook) -> CodeProfile | None:
    """Code texts from a codebook's ``.codes`` (id, label, description, keywords, examples)."""
    rows = [r for r in _code_rows(codebook) if r.get("id")]
    if not rows:
        return None
    fields = ("label", "description", "strong_keywords", "keywords", "examples")
    texts = [". ".join(p for p in (_as_text(r.get(f)) for f in fields) if p) for r in rows]
    return CodeProfile(ids=[str(r["id"]) for r in rows], labels=[_as_text(r.get("label")) or str(r["id"]) for r in rows],
                       texts=texts)


def seed_words(codebook, stop_words: set[str], *, max_words: int = 8) -> list[list[str]]:
    """Seed word lists for BERTopic's guided mode: content words of each code's label, keywords, description."""
    profile = code_profile(codebook)
    if profile is None:
        return []
    out = []
    for text in profile.texts:
        words = []
        for w in re.findall(r"(?u)\b\w\w+\b", text.lower()):
            if w not in stop_words and w not in words and not w.isdigit():
                words.append(w)
        if words:
            out.append(words[:max_words])
    return out


def link_topics(topic_vectors: np.ndarray, code_vectors: np.ndarray, profile: CodeProfile, *,
                n_nearest: int, emergent_threshold: float) -> list[dict]:
    """For each topic row: nearest codes (JSON), best code, its similarity, emergent flag.

    Both matrices must already be centred and L2-normalised.
    """
    out = []
    if len(code_vectors) == 0:
        return [{"nearest_codes": "[]", "best_code": None, "best_code_similarity": np.nan, "emergent": None}
                for _ in range(len(topic_vectors))]
    sim = topic_vectors @ code_vectors.T
    for row in sim:
        order = np.argsort(-row, kind="stable")[:n_nearest]
        nearest = [{"code": profile.ids[j], "label": profile.labels[j], "similarity": round(float(row[j]), 4)}
                   for j in order]
        best = float(row[order[0]])
        out.append({"nearest_codes": json.dumps(nearest, ensure_ascii=False), "best_code": profile.ids[order[0]],
                    "best_code_similarity": round(best, 4), "emergent": bool(best < emergent_threshold)})
    return out


def link_to_codebook(state: TopicState, backend: EmbeddingBackend, profile: CodeProfile | None, *,
                     n_nearest: int, emergent_threshold: float) -> list[dict]:
    """Code links per topic of a fitted state (``topic_ids`` order), plus the code that seeded it (guided fits)."""
    links: list[dict] = [{} for _ in state.topic_ids]
    if profile is not None and state.topic_ids:
        code_vectors = state.space.transform(backend.embed(profile.texts))
        links = link_topics(state.centred_centroids(), code_vectors, profile, n_nearest=n_nearest,
                            emergent_threshold=emergent_threshold)
    for link, t in zip(links, state.topic_ids):
        link["guided_code"] = profile.ids[state.guided[t]] if profile is not None and t in state.guided else None
    return links
