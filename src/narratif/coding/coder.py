"""Coding segments against a codebook: one calibrated score per (segment, code).

Three methods give a [0, 1] score each: keyword evidence on lemmas (lexicon),
similarity to the code's description and examples (semantic) and a classifier
fitted on labelled text (classifier). The combined score is their weighted
mean; a code is applied when it reaches ``threshold``. In the ``themes``
category the best theme is also kept down to ``theme_floor``, so a paragraph that
is about the study almost always gets a theme row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from spacy.language import Language
from spacy.tokens import Doc

from narratif.codebook import Codebook, load_codebook
from narratif.embeddings import EmbeddingBackend, select_backend
from narratif.models import Coding
from narratif.nlp.parse import ParsedSegment, analysed
from narratif.coding import classifier as clf
from narratif.coding.lexicon import LexiconMatcher
from narratif.coding.semantic import SemanticScorer

log = logging.getLogger(__name__)
METHODS = ("lexicon", "semantic", "classifier")
_VERSION = "coding-1"


@dataclass(frozen=True)
class CoderSettings:
    """Everything that changes scores (part of :meth:`SegmentCoder.signature`)."""

    methods: tuple[str, ...] = METHODS
    weights: dict[str, float] = field(default_factory=lambda: {"lexicon": 0.45, "semantic": 0.15,
                                                               "classifier": 0.40})
    #: keyword weight giving a lexicon score of 1 - 1/e (a strong keyword weighs 2)
    lexicon_scale: float = 2.5
    threshold: float = 0.35
    theme_floor: float = 0.2
    classifier_C: float = 0.5


class SegmentCoder:
    """Codes parsed segments; built by :func:`build_coder`."""

    def __init__(self, codebook: Codebook, *, nlp: Language, backend: EmbeddingBackend,
                 settings: CoderSettings, models: dict[str, clf.CodeClassifier] | None,
                 classifier_source: str):
        unknown = set(settings.methods) - set(METHODS)
        if unknown or not settings.methods:
            raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {settings.methods}")
        self.codebook = codebook
        self.nlp = nlp
        self.backend = backend
        self.settings = settings
        self.code_ids = [c.id for c in codebook.codes]
        self.lexicon = LexiconMatcher(codebook, nlp)
        self.semantic = SemanticScorer(codebook, backend)
        self.classifier_source = classifier_source
        self.models = models if models is not None else self._fit_default()
        self._theme_cols = np.array([self.code_ids.index(t) for t in codebook.theme_ids], dtype=int)

    # -- features ---------------------------------------------------------------------------------
    def features(self, docs: Sequence[Doc]):
        vectors = self.backend.embed_docs(list(docs))
        sims = self.semantic.similarities(vectors)
        hits = self.lexicon.match(list(docs))
        return vectors, sims, hits

    def _fit_default(self) -> dict[str, clf.CodeClassifier]:
        ts = clf.codebook_training_set(self.codebook)
        return self._fit(ts)

    def _fit(self, ts: clf.TrainingSet) -> dict[str, clf.CodeClassifier]:
        docs = list(self.nlp.pipe(ts.texts, batch_size=64))
        vectors, sims, hits = self.features(docs)
        X = clf.code_features(vectors, sims, hits.weights)
        return clf.fit_models(X, ts, C=self.settings.classifier_C)

    # -- scores -----------------------------------------------------------------------------------
    def score_docs(self, docs: Sequence[Doc]) -> dict[str, np.ndarray]:
        """Per-method and combined score matrices (n_docs, n_codes); NaN where a method is silent."""
        vectors, sims, hits = self.features(docs)
        n, m = len(docs), len(self.code_ids)
        out: dict[str, np.ndarray] = {}
        out["lexicon"] = (1.0 - np.exp(-hits.weights / self.settings.lexicon_scale)).astype(np.float32)
        out["semantic"] = self.semantic.scores(sims).astype(np.float32)
        proba = np.full((n, m), np.nan, dtype=np.float32)
        if self.models and n:
            X = clf.code_features(vectors, sims, hits.weights)
            for model in self.models.values():
                p = model.predict_proba(X)
                for k, label in enumerate(model.classes_):
                    if label in self.codebook:
                        proba[:, self.code_ids.index(label)] = p[:, k]
        out["classifier"] = proba
        num = np.zeros((n, m), dtype=np.float32)
        den = np.zeros((n, m), dtype=np.float32)
        for method in self.settings.methods:
            s = out[method]
            ok = ~np.isnan(s)
            w = self.settings.weights.get(method, 0.0)
            num += np.where(ok, s, 0.0) * w
            den += ok * w
        with np.errstate(invalid="ignore", divide="ignore"):
            out["combined"] = np.where(den > 0, num / np.maximum(den, 1e-9), 0.0).astype(np.float32)
        out["_vectors"], out["_evidence"] = vectors, hits.evidence  # type: ignore[assignment]
        return out

    def _method_name(self) -> str:
        return self.settings.methods[0] if len(self.settings.methods) == 1 else "combined"

    def _evidence(self, j: int, lex: dict[int, list[str]], vector: np.ndarray) -> str:
        parts = []
        if "lexicon" in self.settings.methods and lex.get(j):
            words = list(dict.fromkeys(lex[j]))
            parts.append("mots : " + ", ".join(words[:8]) + (" …" if len(words) > 8 else ""))
        if not parts or "lexicon" not in self.settings.methods:
            near = self.semantic.nearest_example(vector, j)
            if near:
                parts.append(f"proche de : « {near[:160]} »")
        return " | ".join(parts)

    def code_docs(self, docs: Sequence[Doc], keys: Sequence[tuple[str, int]]) -> list[Coding]:
        """Code already parsed docs; ``keys`` gives each doc's (doc_id, seg_id)."""
        if not docs:
            return []
        scores = self.score_docs(docs)
        comb = scores["combined"]
        applied = comb >= self.settings.threshold
        if self._theme_cols.size:
            best = self._theme_cols[np.argmax(comb[:, self._theme_cols], axis=1)]
            rows = np.arange(len(docs))
            applied[rows, best] |= comb[rows, best] >= self.settings.theme_floor
        method = self._method_name()
        out: list[Coding] = []
        for i, j in zip(*np.nonzero(applied)):
            doc_id, seg_id = keys[i]
            out.append(Coding(doc_id, seg_id, self.code_ids[j], round(float(comb[i, j]), 4), method,
                              self._evidence(int(j), scores["_evidence"][i], scores["_vectors"][i])))
        return out

    def code(self, parsed: list[ParsedSegment]) -> list[Coding]:
        """Code a parsed document's segments (interviewer turns are skipped; no re-parse)."""
        kept = analysed(parsed)
        return self.code_docs([p.doc for p in kept], [(p.segment.doc_id, p.segment.seg_id) for p in kept])

    def signature(self) -> str:
        """Changes when the codebook, the classifier, the backend or the settings change."""
        blob = json.dumps({"v": _VERSION, "codebook": self.codebook.fingerprint(),
                           "backend": self.backend.signature(), "settings": asdict(self.settings),
                           "classifier": self.classifier_source}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_coder(codebook: Codebook | None = None, *, nlp: Language, backend: EmbeddingBackend | str | None = None,
                models_dir: Path | None = None, settings: CoderSettings | None = None) -> SegmentCoder:
    """A coder for this codebook; uses the team classifier saved under ``models_dir`` when it fits."""
    codebook = codebook or load_codebook()
    backend = select_backend(backend, nlp)
    settings = settings or CoderSettings()
    models, manifest, reason = clf.load_models(models_dir, codebook=codebook, backend_name=backend.name)
    if reason:
        warnings.warn(f"ignoring the coding classifier in {clf.model_dir(models_dir)}: {reason}; "
                      "run `narratif train` again", stacklevel=2)
    source = f"team:{manifest['model_sha256']}" if models is not None else f"codebook:{codebook.fingerprint()}"
    return SegmentCoder(codebook, nlp=nlp, backend=backend, settings=settings, models=models,
                        classifier_source=source)


def train_classifier(codings_csv: str | Path, *, codebook: Codebook | None = None, nlp: Language | None = None,
                     backend: EmbeddingBackend | str | None = None, models_dir: Path = Path("models"),
                     include_codebook_examples: bool = True) -> Path:
    """Fit the per-category classifiers on validated codings (plus the codebook's examples) and save them."""
    from narratif.nlp.parse import load_nlp

    codebook = codebook or load_codebook()
    nlp = nlp or load_nlp()
    backend = select_backend(backend, nlp)
    codings = clf.read_codings_csv(codings_csv, codebook)
    if codings.empty:
        raise ValueError(f"{codings_csv}: no codings to learn from")
    ts = clf.team_training_set(codings, codebook)
    if include_codebook_examples:
        ts = clf.merge(clf.codebook_training_set(codebook), ts)
    coder = SegmentCoder(codebook, nlp=nlp, backend=backend, settings=CoderSettings(), models={},
                         classifier_source="training")
    models = coder._fit(ts)
    if not models:
        raise ValueError(f"{codings_csv}: every category has a single label; nothing to discriminate")
    return clf.save_models(models, models_dir, codebook=codebook, backend_name=backend.name,
                           n_texts=len(ts.texts), source=str(codings_csv))


def _as_path(text_or_path: str | Path) -> Path | None:
    """A Path when the argument names an existing file, else None (it is text)."""
    if isinstance(text_or_path, Path):
        return text_or_path
    if "\n" in text_or_path or len(text_or_path) > 1024:
        return None
    try:
        p = Path(text_or_path)
        return p if p.is_file() else None
    except (OSError, ValueError):  # too long or invalid for a file name: it is text
        return None


def code_text(text_or_path: str | Path, *, codebook: Codebook | str | Path | None = None,
              nlp: Language | None = None, models_dir: Path | None = None,
              coder: SegmentCoder | None = None) -> pd.DataFrame:
    """Code a text (or a file) for a quick check: one row per applied code, best first per segment."""
    from narratif.ingest import ingest_file, structure
    from narratif.ingest.base import Extracted
    from narratif.models import Document
    from narratif.nlp.parse import load_nlp, parse_document

    if coder is None:
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        nlp = nlp or load_nlp()
        coder = build_coder(book, nlp=nlp, models_dir=models_dir)
    nlp = coder.nlp
    path = _as_path(text_or_path)
    if path is not None:
        document = ingest_file(path)
        if not document.ok:
            raise ValueError(f"{path}: {document.error}")
    else:
        text = str(text_or_path)
        kind, segments = structure("text", Extracted(text=text), "txt")
        document = Document(doc_id="text", path="<text>", sha256="", kind=kind, format="txt", text=text,
                            segments=segments)
    parsed = parse_document(nlp, document)
    codings = coder.code(parsed)
    seg_text = {p.segment.seg_id: p.segment.text for p in parsed}
    rows = [{"seg_id": c.seg_id, "code": c.code, "label": coder.codebook.get(c.code).label,
             "category": coder.codebook.get(c.code).category, "score": c.score, "method": c.method,
             "evidence": c.evidence, "text": seg_text[c.seg_id][:80]} for c in codings]
    df = pd.DataFrame(rows, columns=["seg_id", "code", "label", "category", "score", "method", "evidence", "text"])
    return df.sort_values(["seg_id", "score"], ascending=[True, False], kind="stable").reset_index(drop=True)
