"""Supervised evidence: a classifier per codebook category, fitted on labelled text.

By default it is fitted on the codebook's own example sentences (plus its
background sentences as "none of these"). A team that has validated codings runs
``narratif train CODINGS.csv``: accepted rows become positive examples of their
code, rejected rows teach "not this code", and the fitted models are saved under
``models_dir/coding/`` (joblib + a JSON manifest naming the codebook fingerprint
and the embedding backend), to be used automatically from then on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from narratif.codebook import Codebook
from narratif.formulas import from_csv

#: label of "none of this category's codes"
NONE = "__none__"
MODEL_FILE = "classifier.joblib"
MANIFEST_FILE = "manifest.json"


class CodeClassifier(ClassifierMixin, BaseEstimator):
    """Standardised features, then a class-balanced multinomial logistic regression.

    Takes numeric features (see :func:`code_features`); probabilities are what the
    coder combines with the other methods, so a linear, well-calibrated model is
    preferred to a sharper one.
    """

    def __init__(self, C: float = 0.5, class_weight: str | dict | None = "balanced", max_iter: int = 2000):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        if self.C <= 0:
            raise ValueError(f"C must be positive, got {self.C!r}")
        self.scaler_ = StandardScaler().fit(X, sample_weight=sample_weight)
        self.model_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        self.model_.fit(self.scaler_.transform(X), y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        self.n_iter_ = self.model_.n_iter_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict_proba(self.scaler_.transform(X))

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


FEATURES = ("relative", "absolute")


def code_features(vectors: np.ndarray, sims: np.ndarray, lex_weights: np.ndarray, kind: str = "relative") -> np.ndarray:
    """Classifier input for each segment.

    ``relative`` (the default): how much closer the segment is to each code's prototype than
    to the others (cosines standardised across codes) and each code's share of the segment's
    keyword weight. These do not grow with the length of the text, so a classifier fitted on
    the codebook's one-sentence examples reads a report's long paragraphs in the same terms;
    the segment's own vector is left out (on the study's paragraphs it leans to one theme,
    cooperation). ``absolute``: the former features (vector, raw cosines, log weights).
    """
    if kind == "absolute":
        return np.hstack([vectors, sims, np.log1p(lex_weights)]).astype(np.float32)
    rel = (sims - sims.mean(axis=1, keepdims=True)) / (sims.std(axis=1, keepdims=True) + 1e-6)
    share = lex_weights / np.maximum(lex_weights.sum(axis=1, keepdims=True), 1e-9)
    return np.hstack([rel, share]).astype(np.float32)


@dataclass
class TrainingSet:
    """Texts and, per category, the label of each text (``None``: not labelled there)."""

    texts: list[str] = field(default_factory=list)
    labels: dict[str, list[str | None]] = field(default_factory=dict)
    weights: list[float] = field(default_factory=list)

    def add(self, text: str, category_labels: dict[str, str], weight: float = 1.0) -> None:
        for cat in category_labels:
            self.labels.setdefault(cat, [None] * len(self.texts))
        self.texts.append(text)
        self.weights.append(weight)
        for cat, lab in self.labels.items():
            lab.append(category_labels.get(cat))


def codebook_training_set(codebook: Codebook) -> TrainingSet:
    """Each top-level code's description and examples (sub-codes' included); background as none."""
    ts = TrainingSet()
    for code in codebook.codes:
        top = codebook.top_level(code.id)
        for text in (f"{code.label}. {code.description}", *code.examples):
            ts.add(text, {code.category: top})
    for text in codebook.background:
        ts.add(text, {cat: NONE for cat in codebook.categories})
    return ts


_TEXT_COLUMNS = ("text", "segment_text", "segment", "doc_text", "doc")


def read_codings_csv(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Analyst-validated codings: a text column, ``code`` and ``accepted`` (1/0, true/false)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = {c.lower().strip(): c for c in df.columns}
    text_col = next((cols[c] for c in _TEXT_COLUMNS if c in cols), None)
    if text_col is None or "code" not in cols or "accepted" not in cols:
        raise ValueError(f"{path}: needs a text column (one of {_TEXT_COLUMNS}), 'code' and 'accepted'; "
                         f"found {list(df.columns)}")
    # a leading apostrophe before "=", "+", "-", "@" only tells spreadsheets "this is text"
    out = pd.DataFrame({"text": df[text_col].str.strip().map(from_csv),
                        "code": df[cols["code"]].str.strip().map(from_csv),
                        "accepted": df[cols["accepted"]].str.strip().str.lower()})
    truthy, falsy = {"1", "true", "yes", "oui", "vrai"}, {"0", "false", "no", "non", "faux"}
    bad = ~out["accepted"].isin(truthy | falsy)
    if bad.any():
        raise ValueError(f"{path}: 'accepted' must be 1/0 or true/false; bad value "
                         f"{out.loc[bad, 'accepted'].iloc[0]!r} on data row {int(bad.idxmax()) + 1}")
    unknown = sorted(set(out["code"]) - {c.id for c in codebook.codes})
    if unknown:
        raise ValueError(f"{path}: codes not in codebook {codebook.name!r}: {unknown[:10]}")
    out["accepted"] = out["accepted"].isin(truthy)
    return out[out["text"] != ""].reset_index(drop=True)


def team_training_set(codings: pd.DataFrame, codebook: Codebook, *, weight: float = 2.0) -> TrainingSet:
    """One sample per distinct text and category: its accepted code, else none if all were rejected."""
    ts = TrainingSet()
    for text, rows in codings.groupby("text", sort=False):
        labels: dict[str, str] = {}
        rejected: set[str] = set()
        for code, ok in zip(rows["code"], rows["accepted"]):
            cat = codebook.get(code).category
            if ok:
                labels.setdefault(cat, codebook.top_level(code))
            else:
                rejected.add(cat)
        for cat in rejected - set(labels):
            labels[cat] = NONE
        ts.add(text, labels, weight)
    return ts


def merge(a: TrainingSet, b: TrainingSet) -> TrainingSet:
    out = TrainingSet()
    for ts in (a, b):
        for i, text in enumerate(ts.texts):
            out.add(text, {c: lab[i] for c, lab in ts.labels.items() if lab[i] is not None}, ts.weights[i])
    return out


def fit_models(features: np.ndarray, ts: TrainingSet, *, C: float = 0.5) -> dict[str, CodeClassifier]:
    """One classifier per category that has at least two labels."""
    models: dict[str, CodeClassifier] = {}
    w = np.asarray(ts.weights, dtype=np.float64)
    for cat, labels in ts.labels.items():
        rows = [i for i, lab in enumerate(labels) if lab is not None]
        y = np.array([labels[i] for i in rows], dtype=object)
        if len(set(y)) < 2:
            continue
        models[cat] = CodeClassifier(C=C).fit(features[rows], y.astype(str), sample_weight=w[rows])
    return models


def model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "coding"


#: what models saved before their manifest named their inputs were fitted on
_FORMER_INPUTS = {"features": "absolute", "vocabulary": None}


def save_models(models: dict[str, CodeClassifier], models_dir: Path, *, codebook: Codebook,
                backend_name: str, n_texts: int, source: str, inputs: dict | None = None) -> Path:
    d = model_dir(models_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / MODEL_FILE
    joblib.dump(models, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    manifest = {"codebook": codebook.name, "codebook_fingerprint": codebook.fingerprint(),
                "backend": backend_name, "categories": sorted(models), "n_texts": n_texts,
                "source": source, "model_sha256": digest, "inputs": inputs or _FORMER_INPUTS}
    (d / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return d


def load_models(models_dir: Path | None, *, codebook: Codebook, backend_name: str, inputs: dict | None = None
                ) -> tuple[dict[str, CodeClassifier] | None, dict | None, str | None]:
    """The saved team models if they fit this codebook and backend; else (None, None, reason)."""
    if models_dir is None:
        return None, None, None
    d = model_dir(models_dir)
    mpath = d / MANIFEST_FILE
    if not mpath.is_file() or not (d / MODEL_FILE).is_file():
        return None, None, None
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    if manifest.get("codebook_fingerprint") != codebook.fingerprint():
        return None, manifest, "trained for another version of the codebook"
    if manifest.get("backend") != backend_name:
        return None, manifest, f"trained with embedding backend {manifest.get('backend')!r}"
    if inputs is not None and manifest.get("inputs", _FORMER_INPUTS) != inputs:
        return None, manifest, "trained on other classifier inputs (an earlier narratif, or other coder settings)"
    if hashlib.sha256((d / MODEL_FILE).read_bytes()).hexdigest()[:16] != manifest.get("model_sha256"):
        return None, manifest, "model file does not match its manifest"
    return joblib.load(d / MODEL_FILE), manifest, None
