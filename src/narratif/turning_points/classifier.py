"""Learned turning-point scorer and type classifier: linear models shipped as plain JSON.

The weights (``data/tp_model.json``) are written by ``scripts/train_turning_points.py``
from the gold and training annotations. They are loaded without pickle: coefficients,
intercepts, feature names, scaler statistics and vector prototypes are lists of numbers,
and the decision rules are a few numpy lines here. Which parts are learned (ranking,
typing, both or neither) and the document-level selection (threshold, length-dependent
budget, minimum gap) are also fields of the file, chosen by grouped cross-validation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

import numpy as np
from spacy.tokens import Span

from narratif._paths import DATA_DIR
from narratif.turning_points.lexicon import TYPES
from narratif.turning_points.features import DENSE_NAMES, N_DENSE, VECTOR_DIM, SentenceRows, doc_span, document_matrix

MODEL_PATH = DATA_DIR / "tp_model.json"
#: The examples the shipped type classifier was fitted on, written beside it by the training
#: script: a team's reviewed moments are added to them to refit typing (``tp_adapt``).
TYPE_EXAMPLES_PATH = DATA_DIR / "tp_type_examples.npz"
FORMAT_VERSION = 1
#: How a turning point typed by a team-adapted classifier (``narratif.turning_points.adapt``) says so in its evidence.
TEAM_TYPING = "team-adapted type"

#: Rule-derived columns appended to the dense cues (the hand-written scorer as a feature).
RULE_NAMES: list[str] = ["rule_score", "rule_candidate", "rule_z", "rule_window_max"] + [
    f"rule_type_{t}" for t in TYPES]


def rule_columns(scores: np.ndarray, types: list[str | None] | None = None) -> np.ndarray:
    """The rule score of each unit, whether it is a candidate, its z-score in the document,
    whether it is the strongest within ±2 units (relative strength generalises across
    document lengths better than the raw score) and the rule scorer's type, one-hot."""
    n = len(scores)
    out = np.zeros((n, len(RULE_NAMES)), dtype=np.float32)
    if not n:
        return out
    out[:, 0] = scores
    out[:, 1] = scores > 0
    out[:, 2] = (scores - scores.mean()) / (scores.std() + 1e-3)
    for i in range(n):
        out[i, 3] = float(scores[i] > 0 and scores[i] >= scores[max(0, i - 2):i + 3].max())
        if types and types[i]:
            out[i, 4 + TYPES.index(types[i])] = 1.0
    return out


@dataclass(slots=True)
class UnitRows:
    """Feature rows of a document's narrative units plus what the runtime needs to map back."""

    dense: np.ndarray  # (n, N_DENSE + len(RULE_NAMES))
    vectors: np.ndarray  # (n, VECTOR_DIM), L2-normalised
    units: list[list[int]]  # sentence indices (into the analysed-sentence list) per unit
    rule_scores: np.ndarray
    rule_cands: list  # the rule scorer's candidate dict (or None) per unit


def unit_rows(spans: list[Span], speakers: list, scorer, *, units: list[list[int]] | None = None,
              needed: set[int] | None = None, sentence_cands: list | None = None) -> UnitRows:
    """Feature rows for the analysed sentences of one document (``scorer``: the rule scorer).

    ``needed`` limits the work to a few units (see :func:`document_matrix`);
    ``sentence_cands`` reuses the rule candidates of single-sentence units.
    """
    rows: SentenceRows = document_matrix(spans, speakers, units=units, needed=needed)
    cands = [sentence_cands[u[0]] if sentence_cands is not None and len(u) == 1 else scorer(doc_span(spans, u))
             for u in rows.units]
    rs = np.array([c["score"] if c else 0.0 for c in cands], dtype=np.float32)
    dense = np.hstack([rows.X[:, :N_DENSE], rule_columns(rs, [c["type"] if c else None for c in cands])])
    return UnitRows(dense, rows.X[:, N_DENSE:N_DENSE + VECTOR_DIM], rows.units, rs, cands)


FEATURE_NAMES: list[str] = DENSE_NAMES + RULE_NAMES


@dataclass(slots=True)
class LinearModel:
    """A standardised linear model over dense features plus cosine similarities to prototypes.

    ``coef`` has one row per class (one row for a binary scorer, whose positive class is
    ``classes[1]``).
    """

    classes: list[str]
    feature_names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    prototypes: np.ndarray  # (k, VECTOR_DIM)
    vector_weight: float
    coef: np.ndarray  # (n_rows, len(feature_names) + k)
    intercept: np.ndarray

    def design(self, dense: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        z = (dense - self.mean) / self.scale
        return np.hstack([z, vectors @ self.prototypes.T * self.vector_weight]) if len(self.prototypes) else z

    def decision(self, dense: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        return self.design(dense, vectors) @ self.coef.T + self.intercept

    def to_dict(self) -> dict:
        return {"classes": list(self.classes), "feature_names": list(self.feature_names),
                "mean": _r(self.mean), "scale": _r(self.scale), "prototypes": _r(self.prototypes),
                "vector_weight": self.vector_weight, "coef": _r(self.coef), "intercept": _r(self.intercept)}

    @classmethod
    def from_dict(cls, d: dict) -> "LinearModel":
        arr = lambda k: np.asarray(d[k], dtype=np.float64)  # noqa: E731
        protos = arr("prototypes").reshape(-1, VECTOR_DIM) if d["prototypes"] else np.zeros((0, VECTOR_DIM))
        coef = arr("coef")
        return cls(list(d["classes"]), list(d["feature_names"]), arr("mean"), arr("scale"), protos,
                   float(d["vector_weight"]), coef.reshape(len(coef), -1), arr("intercept"))


def _r(a) -> list:
    """Round for a stable, diff-friendly JSON file."""
    return np.round(np.asarray(a, dtype=np.float64), 6).tolist()


@dataclass(slots=True)
class Selection:
    """Document-level choice: score threshold, budget ``scale·a·n^b`` (clipped), minimum gap."""

    threshold: float = -math.inf
    a: float = 0.6
    b: float = 0.5
    scale: float = 1.0
    min_gap: int = 1
    max_budget: int = 60

    def budget(self, n_units: int) -> int:
        if not n_units:
            return 0
        return max(1, min(self.max_budget, int(round(self.scale * self.a * n_units ** self.b))))

    def select(self, scores: np.ndarray) -> list[int]:
        """Indices of the kept units: best first under the budget, none within ``min_gap``."""
        budget = self.budget(len(scores))
        kept: list[int] = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] < self.threshold or len(kept) >= budget:
                break
            if any(abs(int(i) - k) <= self.min_gap for k in kept):
                continue
            kept.append(int(i))
        return sorted(kept)


@dataclass(slots=True)
class TurningPointModel:
    """What the shipped file says: ranking = ``rules`` | ``learned`` | ``blend``
    (rule score + ``blend_weight``·logit), typing = ``rules`` | ``learned``."""

    ranking: str = "rules"
    typing: str = "rules"
    blend_weight: float = 0.0
    ranker: LinearModel | None = None
    typer: LinearModel | None = None
    selection: Selection = field(default_factory=Selection)
    meta: dict = field(default_factory=dict)
    #: with rule ranking: add this times the type classifier's margin to every candidate's score
    #: (a moment that clearly is one kind of turning point beats a look-alike of no clear kind)
    type_margin: float = 0.0

    def unit_scores(self, rows: UnitRows) -> np.ndarray:
        """The ranking score of each unit (higher = more of a turning point)."""
        if self.ranking == "rules" or self.ranker is None:
            return rows.rule_scores.astype(np.float64)
        logit = self.ranker.decision(rows.dense, rows.vectors)[:, 0]
        if self.ranking == "blend":
            return rows.rule_scores + self.blend_weight * logit
        return logit

    def unit_types(self, rows: UnitRows, idx: list[int]) -> list[str] | None:
        """Learned type of the given units (``None`` when typing stays rule-based)."""
        if self.typing != "learned" or self.typer is None or not idx:
            return None
        d = self.typer.decision(rows.dense[idx], rows.vectors[idx])
        return [self.typer.classes[j] for j in d.argmax(1)]

    def type_margins(self, rows: UnitRows, idx: list[int]) -> np.ndarray:
        """Best minus second-best type decision of the given units (0 without a learned typer)."""
        if self.typer is None or not idx:
            return np.zeros(len(idx))
        d = np.sort(self.typer.decision(rows.dense[idx], rows.vectors[idx]), axis=1)
        return d[:, -1] - d[:, -2]

    def to_dict(self) -> dict:
        return {"format": FORMAT_VERSION, "ranking": self.ranking, "typing": self.typing,
                "blend_weight": self.blend_weight, "type_margin": self.type_margin,
                "ranker": self.ranker.to_dict() if self.ranker else None,
                "typer": self.typer.to_dict() if self.typer else None,
                "selection": {k: getattr(self.selection, k) for k in Selection.__slots__},
                "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict) -> "TurningPointModel":
        if d.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported turning-point model format {d.get('format')!r}")
        for part in ("ranker", "typer"):
            lm = d.get(part)
            if lm and lm["feature_names"][:len(FEATURE_NAMES)] != FEATURE_NAMES[:len(lm["feature_names"])]:
                raise ValueError(f"{part}: feature names differ from narratif.turning_points.classifier.FEATURE_NAMES; retrain")
        sel = dict(d.get("selection") or {})
        if sel.get("threshold") is None:
            sel["threshold"] = -math.inf
        return cls(d["ranking"], d["typing"], float(d.get("blend_weight", 0.0)),
                   LinearModel.from_dict(d["ranker"]) if d.get("ranker") else None,
                   LinearModel.from_dict(d["typer"]) if d.get("typer") else None,
                   Selection(**sel), d.get("meta") or {}, float(d.get("type_margin", 0.0)))

    def save(self, path: Path) -> None:
        d = self.to_dict()
        if d["selection"]["threshold"] == -math.inf:
            d["selection"]["threshold"] = None
        Path(path).write_text(json.dumps(d, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "TurningPointModel":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def fit_linear(dense: np.ndarray, vectors: np.ndarray, labels: np.ndarray, classes: list, *, C: float,
               vector_weight: float, prototypes: bool = True) -> LinearModel:
    """Fit a :class:`LinearModel`: standardised dense cues plus cosine similarity to each
    class's mean vector (its prototype), balanced class weights, L2-regularised by ``C``."""
    from sklearn.linear_model import LogisticRegression

    mean = dense.mean(0)
    scale = dense.std(0)
    scale[scale < 1e-6] = 1.0
    if prototypes:
        protos = np.vstack([vectors[labels == c].mean(0) if (labels == c).any() else np.zeros(vectors.shape[1])
                            for c in classes])
        protos /= np.maximum(np.linalg.norm(protos, axis=1, keepdims=True), 1e-9)
    else:
        protos = np.zeros((0, vectors.shape[1]))
    lm = LinearModel(list(classes), list(FEATURE_NAMES), mean, scale, protos, vector_weight,
                     np.zeros((1, 1)), np.zeros(1))
    Z = lm.design(dense, vectors)
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", tol=1e-6)
    clf.fit(Z, labels)
    order = [list(clf.classes_).index(c) for c in classes if c in clf.classes_]
    if len(classes) == 2:  # binary: one row for the positive class
        lm.coef, lm.intercept = clf.coef_.copy(), clf.intercept_.copy()
    else:
        lm.coef, lm.intercept = clf.coef_[order], clf.intercept_[order]
        lm.classes = [c for c in classes if c in clf.classes_]
    return lm


@dataclass(slots=True)
class TypeExamples:
    """Turning-point units with their type: the features the type classifier learns from."""

    dense: np.ndarray  # (n, len(FEATURE_NAMES))
    vectors: np.ndarray  # (n, VECTOR_DIM)
    labels: np.ndarray  # (n,) type names

    def __len__(self) -> int:
        return len(self.labels)

    def __add__(self, other: "TypeExamples") -> "TypeExamples":
        return TypeExamples(np.vstack([self.dense, other.dense]), np.vstack([self.vectors, other.vectors]),
                            np.concatenate([self.labels, other.labels]))

    @classmethod
    def empty(cls) -> "TypeExamples":
        return cls(np.zeros((0, len(FEATURE_NAMES))), np.zeros((0, VECTOR_DIM)), np.array([], dtype=object))

    def save(self, path: Path) -> None:
        np.savez_compressed(path, dense=self.dense.astype(np.float64), vectors=self.vectors.astype(np.float32),
                            labels=np.asarray(self.labels, dtype=str), feature_names=np.asarray(FEATURE_NAMES))

    @classmethod
    def load(cls, path: Path = TYPE_EXAMPLES_PATH) -> "TypeExamples":
        with np.load(path, allow_pickle=False) as z:
            if list(z["feature_names"]) != FEATURE_NAMES:
                raise ValueError(f"{path}: feature names differ from narratif.turning_points.classifier.FEATURE_NAMES; retrain")
            return cls(z["dense"].astype(np.float64), z["vectors"].astype(np.float64), z["labels"].astype(object))


def fit_typer(examples: TypeExamples, *, C: float, vector_weight: float) -> LinearModel:
    """The multinomial type classifier over turning-point units (types outside TYPES ignored)."""
    ok = np.isin(examples.labels, TYPES)
    return fit_linear(examples.dense[ok], examples.vectors[ok], examples.labels[ok].astype(str), list(TYPES),
                      C=C, vector_weight=vector_weight)


def weights_hash(path: Path = MODEL_PATH) -> str:
    """SHA-256 (16 hex) of the shipped weights, or ``"none"`` when no file ships."""
    return sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "none"


@lru_cache(maxsize=4)
def _load_cached(path: str, digest: str) -> TurningPointModel | None:
    return TurningPointModel.load(Path(path)) if digest != "none" else None


def load_model(path: Path = MODEL_PATH) -> TurningPointModel | None:
    """The shipped model (cached per file content), or ``None`` when no weights ship."""
    return _load_cached(str(path), weights_hash(path))
