"""Coding segments against a codebook: one calibrated score per (segment, code).

Three methods give a [0, 1] score each: keyword evidence on lemmas (lexicon),
similarity to the code's description and examples (semantic) and a classifier
fitted on labelled text (classifier). The combined score is their weighted
mean; a code is applied when it reaches ``threshold``. In the ``themes``
category the best theme is also kept down to ``theme_floor``, so a paragraph that
is about the study almost always gets a theme row.

:class:`SegmentCoder` is a scikit-learn transformer: ``fit`` learns from the
codebook (and from a team's labelled texts when given), ``transform`` returns the
combined score of every code, and :meth:`SegmentCoder.code` turns scores into
:class:`~narratif.models.Coding` rows with their evidence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted
from spacy.language import Language
from spacy.tokens import Doc

from narratif import cachedir
from narratif.codebook import Codebook, load_codebook
from narratif.embeddings import EmbeddingBackend, select_backend
from narratif.models import Coding
from narratif.nlp.parse import ParsedSegment, analysed
from narratif.coding import classifier as clf
from narratif.coding import persist
from narratif.coding.lexicon import LexiconMatcher
from narratif.coding.semantic import SemanticScorer
from narratif.coding.vocabulary import resolve_vocabulary

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
METHODS = ("lexicon", "semantic", "classifier")
#: the semantic method stays available and gives evidence, but its cosines of averaged word
#: vectors do not tell the study's themes apart in real paragraphs (issue #20): no weight
DEFAULT_WEIGHTS = {"lexicon": 0.7, "semantic": 0.0, "classifier": 0.3}
_VERSION = "coding-2"
#: parameters holding loaded models: shared by clones, never copied (they are only read)
_SHARED_PARAMS = ("nlp", "backend")


@dataclass(frozen=True)
class CoderSettings:
    """The scoring parameters of :class:`SegmentCoder`, as one value (``build_coder(settings=...)``)."""

    methods: tuple[str, ...] = METHODS
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    #: keyword weight giving a lexicon score of 1 - 1/e (a strong keyword weighs 2)
    lexicon_scale: float = 2.5
    threshold: float = 0.35
    #: with the lexicon weighing 0.7, one ordinary keyword alone (score 0.23) no longer makes a theme row
    theme_floor: float = 0.25
    classifier_C: float = 0.5
    #: keyword weights by rarity in the study's documents (see :mod:`.vocabulary`)
    vocabulary: Any = "study"
    #: classifier input (see :func:`~narratif.coding.classifier.code_features`)
    features: str = "relative"


class SegmentCoder(TransformerMixin, BaseEstimator):
    """Scores segments against every code of a codebook.

    Parameters
    ----------
    codebook : Codebook, str or Path, default=None
        The codebook, or its file; None: the shipped study codebook.
    nlp : spacy.language.Language or str, default=None
        The spaCy pipeline (or its name) that parses texts and lemmatises keywords;
        None: the project's default model. Shared, not copied, by :func:`sklearn.base.clone`.
    backend : EmbeddingBackend or str, default=None
        Text embeddings for the semantic method and the classifier features
        ("spacy", "sif" or an instance); None: the parse model's static vectors.
    methods : tuple of str, default=("lexicon", "semantic", "classifier")
        Which methods enter the combined score.
    weights : dict, default=None
        Weight of each method in the combined score; None: ``DEFAULT_WEIGHTS``.
    lexicon_scale : float, default=2.5
        Keyword weight that gives a lexicon score of 1 - 1/e.
    threshold : float, default=0.35
        Combined score from which a code is applied.
    theme_floor : float, default=0.25
        The best theme of a segment is applied from this score.
    classifier_C : float, default=0.5
        Inverse regularisation of the per-category classifiers.
    codebook_examples : bool, default=True
        Whether ``fit`` learns from the codebook's own examples besides ``X``.
    vocabulary : "study", None, Vocabulary or mapping, default="study"
        Document frequencies that weigh each keyword hit by its rarity (the shipped study
        vocabulary by default); None: every keyword weighs the same.
    features : {"relative", "absolute"}, default="relative"
        The classifier's input (see :func:`~narratif.coding.classifier.code_features`).

    Attributes
    ----------
    codebook_, nlp_, backend_ : the resolved codebook and models.
    code_ids_ : list of str, the columns of :meth:`transform` (codebook reading order).
    lexicon_ : LexiconMatcher;  semantic_ : SemanticScorer.
    classifiers_ : dict mapping a category to its fitted :class:`CodeClassifier`.
    classifier_source_ : str, what the classifiers learned from (part of :meth:`signature`).
    """

    def __init__(self, codebook=None, *, nlp=None, backend=None, methods=METHODS, weights=None,
                 lexicon_scale=2.5, threshold=0.35, theme_floor=0.25, classifier_C=0.5, codebook_examples=True,
                 vocabulary="study", features="relative"):
        self.codebook = codebook
        self.nlp = nlp
        self.backend = backend
        self.methods = methods
        self.weights = weights
        self.lexicon_scale = lexicon_scale
        self.threshold = threshold
        self.theme_floor = theme_floor
        self.classifier_C = classifier_C
        self.codebook_examples = codebook_examples
        self.vocabulary = vocabulary
        self.features = features

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # one text (or parsed Doc) per segment
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.target_tags.required = False  # the codebook alone is enough to fit
        tags.transformer_tags.preserves_dtype = []
        return tags

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        return type(self)(**{k: v if k in _SHARED_PARAMS else clone(v, safe=False) for k, v in params.items()})

    # -- parameters and resources -------------------------------------------------------------------
    def _check_params(self) -> None:
        methods = tuple(self.methods) if isinstance(self.methods, (tuple, list)) else ()
        if not methods or set(methods) - set(METHODS):
            raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {self.methods!r}")
        weights = self._weights()
        if not isinstance(weights, Mapping) or set(weights) - set(METHODS) or any(
                not isinstance(w, (int, float)) or w < 0 for w in weights.values()):
            raise ValueError(f"weights must map methods of {METHODS} to non-negative numbers, got {self.weights!r}")
        for name in ("threshold", "theme_floor"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        if self.features not in clf.FEATURES:
            raise ValueError(f"features must be one of {clf.FEATURES}, got {self.features!r}")
        for name in ("lexicon_scale", "classifier_C"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    def _weights(self) -> dict[str, float]:
        return dict(DEFAULT_WEIGHTS) if self.weights is None else self.weights

    def resolve(self) -> "SegmentCoder":
        """Check the parameters; load the codebook and models they name (no learning)."""
        from narratif.nlp.parse import load_nlp

        self._check_params()
        book = self.codebook
        self.codebook_ = book if isinstance(book, Codebook) else load_codebook(book)
        nlp = self.nlp
        self.nlp_ = nlp if isinstance(nlp, Language) else (load_nlp(nlp) if nlp else load_nlp())
        self.backend_ = select_backend(self.backend, self.nlp_)
        self.vocabulary_ = resolve_vocabulary(self.vocabulary)
        return self

    def _prepare(self, lexicon_analyses=None) -> None:
        """Resolve, then build the lexicon and semantic scorers (what needs no labelled text)."""
        self.resolve()
        self.code_ids_ = [c.id for c in self.codebook_.codes]
        weight = self.vocabulary_.weight if self.vocabulary_ is not None else None
        self.lexicon_ = LexiconMatcher(self.codebook_, self.nlp_, analyses=lexicon_analyses, term_weight=weight)
        self.semantic_ = SemanticScorer(self.codebook_, self.backend_)
        self._theme_cols = np.array([self.code_ids_.index(t) for t in self.codebook_.theme_ids], dtype=int)

    # -- fitting --------------------------------------------------------------------------------------
    def fit(self, X=None, y=None, sample_weight=None):
        """Learn the per-category classifiers from the codebook's examples and, when given,
        labelled texts ``X`` (str or Doc) with labels ``y``: each a code id (positive for its
        category), ``"__none__"`` (none of the study's codes) or a mapping category -> code id
        or ``"__none__"`` (what a reviewed coding says about each category)."""
        texts = None if X is None else _as_texts(X)  # checked before any model is loaded
        if texts is None and not self.codebook_examples:
            raise ValueError("nothing to learn from: codebook_examples=False and no labelled texts given")
        weights = None if texts is None else _check_targets(texts, y, sample_weight)
        self._prepare()
        ts = clf.codebook_training_set(self.codebook_) if self.codebook_examples else clf.TrainingSet()
        source = f"codebook:{self.codebook_.fingerprint()}"
        if texts is not None:
            team = _labelled_set(self.codebook_, texts, y, weights)
            ts = clf.merge(ts, team)
            source = f"fit:{_training_digest(team, self.classifier_C, self.codebook_examples)}"
        self.classifiers_ = self._fit_classifiers(ts)
        self.classifier_source_ = source
        return self

    def _fit_classifiers(self, ts: clf.TrainingSet) -> dict[str, clf.CodeClassifier]:
        docs = [t if isinstance(t, Doc) else None for t in ts.texts]
        todo = [t for t, d in zip(ts.texts, docs) if d is None]
        parsed = iter(self.nlp_.pipe(todo, batch_size=64))
        docs = [d if d is not None else next(parsed) for d in docs]
        vectors, sims, hits = self._features(docs)
        features = clf.code_features(vectors, sims, hits.weights, self.features)
        return clf.fit_models(features, ts, C=self.classifier_C)

    def get_state(self) -> dict[str, Any]:
        """What was learned (classifiers, keyword analyses), to save and restore with :meth:`set_state`."""
        check_is_fitted(self)
        return {"classifiers": self.classifiers_, "classifier_source": self.classifier_source_,
                "lexicon": self.lexicon_.analyses}

    def set_state(self, state: Mapping[str, Any]) -> "SegmentCoder":
        """Become fitted from a saved state (its keyword analyses may be absent)."""
        self._prepare(lexicon_analyses=state.get("lexicon"))
        self.classifiers_ = dict(state["classifiers"])
        self.classifier_source_ = str(state["classifier_source"])
        return self

    # -- scores ----------------------------------------------------------------------------------------
    def _features(self, docs: Sequence[Doc]):
        vectors = self.backend_.embed_docs(list(docs))
        sims = self.semantic_.similarities(vectors)
        hits = self.lexicon_.match(list(docs))
        return vectors, sims, hits

    def _docs(self, X) -> list[Doc]:
        items = _as_texts(X)
        texts = [x for x in items if not isinstance(x, Doc)]
        parsed = iter(self.nlp_.pipe(texts, batch_size=64))
        return [x if isinstance(x, Doc) else next(parsed) for x in items]

    def transform(self, X) -> np.ndarray:
        """Combined score of every code (columns: ``code_ids_``) for each text or Doc of ``X``."""
        check_is_fitted(self)
        return self.score_docs(self._docs(X))["combined"]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.code_ids_, dtype=object)

    def score_docs(self, docs: Sequence[Doc]) -> dict[str, np.ndarray]:
        """Per-method and combined score matrices (n_docs, n_codes); NaN where a method is silent."""
        check_is_fitted(self)
        vectors, sims, hits = self._features(docs)
        n, m = len(docs), len(self.code_ids_)
        out: dict[str, np.ndarray] = {}
        out["lexicon"] = (1.0 - np.exp(-hits.weights / self.lexicon_scale)).astype(np.float32)
        out["semantic"] = self.semantic_.scores(sims).astype(np.float32)
        proba = np.full((n, m), np.nan, dtype=np.float32)
        if self.classifiers_ and n:
            X = clf.code_features(vectors, sims, hits.weights, self.features)
            for model in self.classifiers_.values():
                p = model.predict_proba(X)
                for k, label in enumerate(model.classes_):
                    if label in self.codebook_:
                        proba[:, self.code_ids_.index(label)] = p[:, k]
        out["classifier"] = proba
        num = np.zeros((n, m), dtype=np.float32)
        den = np.zeros((n, m), dtype=np.float32)
        weights = self._weights()
        for method in self.methods:
            s = out[method]
            ok = ~np.isnan(s)
            w = weights.get(method, 0.0)
            num += np.where(ok, s, 0.0) * w
            den += ok * w
        with np.errstate(invalid="ignore", divide="ignore"):
            out["combined"] = np.where(den > 0, num / np.maximum(den, 1e-9), 0.0).astype(np.float32)
        out["_vectors"], out["_evidence"] = vectors, hits.evidence  # type: ignore[assignment]
        return out

    # -- codings ---------------------------------------------------------------------------------------
    def _method_name(self) -> str:
        return self.methods[0] if len(self.methods) == 1 else "combined"

    def _evidence(self, j: int, lex: dict[int, list[str]], vector: np.ndarray) -> str:
        parts = []
        if "lexicon" in self.methods and lex.get(j):
            words = list(dict.fromkeys(lex[j]))
            parts.append("mots : " + ", ".join(words[:8]) + (" …" if len(words) > 8 else ""))
        if not parts or "lexicon" not in self.methods:
            near = self.semantic_.nearest_example(vector, j)
            if near:
                parts.append(f"proche de : « {near[:160]} »")
        return " | ".join(parts)

    def codings(self, scores: dict[str, np.ndarray], keys: Sequence[tuple[str, int]]) -> list[Coding]:
        """The codes applied from :meth:`score_docs` output, with their evidence; ``keys`` gives
        each row's (doc_id, seg_id)."""
        comb = scores["combined"]
        applied = comb >= self.threshold
        if self._theme_cols.size and len(comb):
            best = self._theme_cols[np.argmax(comb[:, self._theme_cols], axis=1)]
            rows = np.arange(len(comb))
            applied[rows, best] |= comb[rows, best] >= self.theme_floor
        method = self._method_name()
        out: list[Coding] = []
        for i, j in zip(*np.nonzero(applied)):
            doc_id, seg_id = keys[i]
            out.append(Coding(doc_id, seg_id, self.code_ids_[j], round(float(comb[i, j]), 4), method,
                              self._evidence(int(j), scores["_evidence"][i], scores["_vectors"][i])))
        return out

    def code_docs(self, docs: Sequence[Doc], keys: Sequence[tuple[str, int]]) -> list[Coding]:
        """Code already parsed docs; ``keys`` gives each doc's (doc_id, seg_id)."""
        if not docs:
            return []
        return self.codings(self.score_docs(docs), keys)

    def code(self, parsed: list[ParsedSegment]) -> list[Coding]:
        """Code a parsed document's segments (interviewer turns are skipped; no re-parse)."""
        kept = analysed(parsed)
        return self.code_docs([p.doc for p in kept], [(p.segment.doc_id, p.segment.seg_id) for p in kept])

    def classifier_inputs(self) -> dict[str, Any]:
        """What the classifiers' features depend on besides the codebook and backend: saved
        team classifiers are used only by a coder with the same inputs."""
        return {"features": self.features,
                "vocabulary": self.vocabulary_.digest() if self.vocabulary_ is not None else None}

    def signature(self) -> str:
        """Changes when the codebook, the classifier, the backend or the scoring parameters change."""
        check_is_fitted(self)
        settings = {"methods": list(self.methods), "weights": self._weights(), "lexicon_scale": self.lexicon_scale,
                    "threshold": self.threshold, "theme_floor": self.theme_floor, "classifier_C": self.classifier_C,
                    "vocabulary": self.vocabulary_.digest() if self.vocabulary_ is not None else None,
                    "features": self.features}
        blob = json.dumps({"v": _VERSION, "codebook": self.codebook_.fingerprint(),
                           "backend": self.backend_.signature(), "settings": settings,
                           "classifier": self.classifier_source_}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def settings_params(settings: CoderSettings) -> dict[str, Any]:
    """:class:`CoderSettings` as :class:`SegmentCoder` keyword arguments."""
    params = {f.name: getattr(settings, f.name) for f in fields(settings)}
    params["methods"] = tuple(params["methods"])
    return params


def _as_texts(X) -> list:
    """The segments of ``X``: a 1-D sequence of str or spaCy Docs (a bare str is refused)."""
    if isinstance(X, (str, bytes, Doc)):
        raise ValueError("expected a sequence of texts (one per segment), got a single text; wrap it in a list")
    if getattr(X, "ndim", 1) != 1:
        raise ValueError(f"expected a 1-D sequence of texts or spaCy Docs, got an array of shape {X.shape}")
    items = list(X)
    bad = next((x for x in items if not isinstance(x, (str, Doc))), None)
    if bad is not None:
        raise ValueError(f"expected texts (str) or spaCy Docs, got {type(bad).__name__}: {bad!r:.60}")
    return items


def _check_targets(texts: list, y, sample_weight) -> np.ndarray:
    """One label and one non-negative weight per text; the weights (ones by default)."""
    if y is None or isinstance(y, (str, Mapping)) or len(y) != len(texts):
        raise ValueError(f"y must give one label per text ({len(texts)} texts), got {y!r:.60}")
    weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if weights.shape != (len(texts),) or not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must give one finite, non-negative weight per text")
    return weights


def _labelled_set(codebook: Codebook, texts: list, y, weights: np.ndarray) -> clf.TrainingSet:
    """Team examples as a training set: top-level code per category, ``__none__`` for none."""
    ts = clf.TrainingSet()
    for text, label, w in zip(texts, y, weights):
        if isinstance(label, Mapping):
            labels = {cat: _top(codebook, lab, cat) for cat, lab in label.items()}
        elif label == clf.NONE:
            labels = dict.fromkeys(codebook.categories, clf.NONE)
        else:
            labels = {_category(codebook, label): codebook.top_level(label)}
        ts.add(text, labels, float(w))
    return ts


def _category(codebook: Codebook, code_id) -> str:
    if not isinstance(code_id, str) or code_id not in codebook:
        raise ValueError(f"label {code_id!r} is not a code of codebook {codebook.name!r} nor {clf.NONE!r}")
    return codebook.get(code_id).category


def _top(codebook: Codebook, label, category: str) -> str:
    if category not in codebook.categories:
        raise ValueError(f"unknown category {category!r} in a label (codebook {codebook.name!r})")
    if label == clf.NONE:
        return clf.NONE
    if _category(codebook, label) != category:
        raise ValueError(f"code {label!r} is not in category {category!r}")
    return codebook.top_level(label)


def _training_digest(ts: clf.TrainingSet, C: float, with_codebook: bool) -> str:
    texts = [t.text if isinstance(t, Doc) else t for t in ts.texts]
    blob = json.dumps({"texts": texts, "labels": ts.labels, "weights": ts.weights, "C": C,
                       "codebook_examples": with_codebook}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_coder(codebook: Codebook | None = None, *, nlp: Language, backend: EmbeddingBackend | str | None = None,
                models_dir: Path | None = None, settings: CoderSettings | None = None,
                cache_dir: Path | None | bool = True) -> SegmentCoder:
    """A fitted coder for this codebook: the team classifier saved under ``models_dir`` when it
    fits, else the default one (restored from ``cache_dir`` when saved there: True means
    :func:`~narratif.coding.persist.default_cache_dir` of ``models_dir``, None or False no cache)."""
    codebook = codebook or load_codebook()
    backend = select_backend(backend, nlp)
    coder = SegmentCoder(codebook, nlp=nlp, backend=backend, **settings_params(settings or CoderSettings())).resolve()
    cache = persist.default_cache_dir(models_dir) if cache_dir is True else (cache_dir or None)
    read = cachedir.lookup(cache)
    models, manifest, reason = clf.load_models(models_dir, codebook=codebook, backend_name=backend.name,
                                               inputs=coder.classifier_inputs())
    if reason:
        warnings.warn(f"ignoring the coding classifier in {clf.model_dir(models_dir)}: {reason}; "
                      "run `narratif train` again", stacklevel=2)
    if models is None:
        return persist.fit_default(coder, cache, read)
    saved, _ = persist.load_cached(coder, read)
    return coder.set_state({"classifiers": models, "classifier_source": f"team:{manifest['model_sha256']}",
                            "lexicon": (saved or {}).get("lexicon")})


def train_classifier(codings_csv: str | Path, *, codebook: Codebook | None = None, nlp: Language | None = None,
                     backend: EmbeddingBackend | str | None = None, models_dir: Path = Path("models"),
                     include_codebook_examples: bool = True, settings: CoderSettings | None = None) -> Path:
    """Fit the per-category classifiers on validated codings (plus the codebook's examples) and save them;
    ``settings`` must be those of the runs that will use them (they fix the classifier's input)."""
    from narratif.nlp.parse import load_nlp

    codebook = codebook or load_codebook()
    nlp = nlp or load_nlp()
    backend = select_backend(backend, nlp)
    codings = clf.read_codings_csv(codings_csv, codebook)
    if codings.empty:
        raise ValueError(f"{codings_csv}: no codings to learn from")
    team = clf.team_training_set(codings, codebook)
    labels = [{cat: lab[i] for cat, lab in team.labels.items() if lab[i] is not None} for i in range(len(team.texts))]
    params = {**settings_params(settings or CoderSettings()), "codebook_examples": include_codebook_examples}
    coder = SegmentCoder(codebook, nlp=nlp, backend=backend, **params)
    coder.fit(team.texts, labels, sample_weight=team.weights)
    if not coder.classifiers_:
        raise ValueError(f"{codings_csv}: every category has a single label; nothing to discriminate")
    n_texts = len(team.texts) + (len(clf.codebook_training_set(codebook).texts) if include_codebook_examples else 0)
    return clf.save_models(coder.classifiers_, models_dir, codebook=codebook, backend_name=backend.name,
                           n_texts=n_texts, source=str(codings_csv), inputs=coder.classifier_inputs())


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
              coder: SegmentCoder | None = None) -> "pd.DataFrame":
    """Code a text (or a file) for a quick check: one row per applied code, best first per segment."""
    import pandas as pd

    from narratif.ingest import ingest_file, structure
    from narratif.ingest.base import Extracted
    from narratif.models import Document
    from narratif.nlp.parse import load_nlp, parse_document

    if coder is None:
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        nlp = nlp or load_nlp()
        coder = build_coder(book, nlp=nlp, models_dir=models_dir)
    nlp = coder.nlp_
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
    book = coder.codebook_
    rows = [{"seg_id": c.seg_id, "code": c.code, "label": book.get(c.code).label,
             "category": book.get(c.code).category, "score": c.score, "method": c.method,
             "evidence": c.evidence, "text": seg_text[c.seg_id][:80]} for c in codings]
    df = pd.DataFrame(rows, columns=["seg_id", "code", "label", "category", "score", "method", "evidence", "text"])
    return df.sort_values(["seg_id", "score"], ascending=[True, False], kind="stable").reset_index(drop=True)
