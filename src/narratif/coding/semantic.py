"""Semantic evidence: similarity of a segment to each code's description and examples.

Each code gets a prototype vector (mean of its description, label and examples,
its sub-codes' examples included), embedded once when the coder is built. Scoring
a batch is one matrix product. Raw cosines of averaged word vectors are all high
and not comparable across codes, so each code gets its own logistic calibration:
centred between its own examples and the other codes' examples and the
background sentences.
"""

from __future__ import annotations

import numpy as np

from narratif.codebook import Codebook
from narratif.embeddings import EmbeddingBackend


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    n[n == 0] = 1.0
    return v / n


class SemanticScorer:
    """Cosine to code prototypes, calibrated per code to a [0, 1] score."""

    def __init__(self, codebook: Codebook, backend: EmbeddingBackend):
        self.codebook = codebook
        self.backend = backend
        self.code_ids = [c.id for c in codebook.codes]
        texts: list[str] = []
        owner: list[int] = []  # code index of each text (-1: background)
        self.example_rows: dict[int, list[int]] = {}
        for j, c in enumerate(codebook.codes):
            for t in (f"{c.label}. {c.description}", *c.examples):
                owner.append(j)
                texts.append(t)
        self.example_texts = texts
        for t in codebook.background:
            owner.append(-1)
            texts.append(t)
        vecs = backend.embed(texts) if texts else np.zeros((0, 1), np.float32)
        owner_arr = np.asarray(owner)
        self.example_vectors = vecs[owner_arr >= 0]
        self.example_owner = owner_arr[owner_arr >= 0]
        protos = []
        for j, c in enumerate(codebook.codes):
            members = {j} | {self.code_ids.index(d) for d in codebook.descendants(c.id)}
            rows = np.isin(owner_arr, list(members))
            protos.append(vecs[rows].mean(axis=0))
        self.prototypes = _unit(np.vstack(protos)).astype(np.float32)
        # calibration: own texts vs other top-level codes' texts of the same category + background
        sims = vecs @ self.prototypes.T
        self.centre = np.zeros(len(self.code_ids), np.float32)
        self.scale = np.ones(len(self.code_ids), np.float32)
        top = {cid: codebook.top_level(cid) for cid in self.code_ids}
        for j, c in enumerate(codebook.codes):
            members = {j} | {self.code_ids.index(d) for d in codebook.descendants(c.id)}
            pos = np.isin(owner_arr, list(members))
            others = np.array([
                o == -1 or (codebook.codes[o].category == c.category and top[self.code_ids[o]] != top[c.id])
                for o in owner_arr])
            neg = others & ~pos
            p = float(sims[pos, j].mean()) if pos.any() else 1.0
            n = float(sims[neg, j].mean()) if neg.any() else 0.0
            self.centre[j] = (p + n) / 2
            self.scale[j] = max((p - n) / 4, 0.01)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Raw cosines (n_segments, n_codes); ``vectors`` are L2-normalised."""
        return vectors @ self.prototypes.T

    def scores(self, sims: np.ndarray) -> np.ndarray:
        """Calibrated [0, 1] scores from raw cosines."""
        return 1.0 / (1.0 + np.exp(-(sims - self.centre) / self.scale))

    def nearest_example(self, vector: np.ndarray, code_index: int) -> str | None:
        """The code's (or its sub-codes') example text closest to a segment vector."""
        c = self.codebook.codes[code_index]
        members = {code_index} | {self.code_ids.index(d) for d in self.codebook.descendants(c.id)}
        rows = np.flatnonzero(np.isin(self.example_owner, list(members)))
        if rows.size == 0:
            return None
        best = rows[int(np.argmax(self.example_vectors[rows] @ vector))]
        return self.example_texts[best]
