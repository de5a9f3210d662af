"""What a worker needs to analyse a document as the flow process would, carried with the work.

A worker on another machine cannot read the flow's output folder: a models directory
or a codebook given as a path there would be missing on the worker, and it would then
code with the shipped models while the store records the team's. A :class:`WorkBundle`
carries the content instead: the run settings, the codebook file's bytes, the team's
models (the coding classifier, the adapted turning-point typing) and the analysis
signature the store expects. A worker writes them into a private folder of its own,
builds its analyser from there once per process, and refuses to analyse when its
signature differs from the expected one (a model it could not load is never silently
replaced by the shipped one).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narratif.pipeline.steps import Analyzer, InputFile, RunSettings, process_file

#: Sub-folders of the models directory the per-document analysis reads (the topic model and
#: the embedding caches are corpus-level: the flow process uses them, never a worker).
ANALYSIS_MODEL_DIRS = ("coding", "turning_points")
#: Per-document settings a worker needs (paths are replaced by shipped content).
_SETTINGS = ("model", "embedding_backend", "batch_size")


class WorkerMismatchError(RuntimeError):
    """A worker's analyser is not the one the store expects (its models differ)."""


@dataclass(frozen=True)
class WorkBundle:
    """Settings, codebook and team models as bytes: picklable, self-contained, hashable."""

    settings: dict[str, Any]
    codebook_name: str | None = None  # file name: its suffix tells YAML from REFI-QDA .qdc
    codebook: bytes | None = None  # None: the shipped default codebook
    models: dict[str, bytes] = field(default_factory=dict)  # path under the models dir -> bytes
    signature: str | None = None  # the analysis signature the store expects
    #: this machine's start-up caches (OUT/models/cache) for workers on it; None on other machines
    cache_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: RunSettings, signature: str | None = None, *,
                      local: bool = False) -> "WorkBundle":
        """Read everything a worker needs from the flow's settings (codebook and models dir);
        ``local``: the workers run on this machine and share the run's start-up caches."""
        codebook = settings.codebook
        models: dict[str, bytes] = {}
        root = settings.models_dir
        for sub in ANALYSIS_MODEL_DIRS:
            folder = root / sub if root is not None else None
            if folder is None or not folder.is_dir():
                continue
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                models[path.relative_to(root).as_posix()] = path.read_bytes()
        return cls(settings={k: getattr(settings, k) for k in _SETTINGS},
                   codebook_name=codebook.name if codebook else None,
                   codebook=codebook.read_bytes() if codebook else None, models=models, signature=signature,
                   cache_dir=str(settings.cache_dir) if local and settings.cache_dir else None)

    @property
    def digest(self) -> str:
        """Identifies the content (one analyser per digest and worker process)."""
        h = hashlib.sha256(json.dumps(self.settings, sort_keys=True, default=str).encode())
        h.update(f"{self.codebook_name}\0".encode())
        h.update(self.codebook or b"\0default")
        for name in sorted(self.models):
            h.update(f"\0{name}\0".encode())
            h.update(hashlib.sha256(self.models[name]).digest())
        return h.hexdigest()[:24]

    def materialise(self, root: Path) -> RunSettings:
        """Write the codebook and models under ``root``; settings that point there."""
        root = Path(root)
        models_dir = root / "models"
        models_dir.mkdir(parents=True, exist_ok=True)
        for name, data in self.models.items():
            target = (models_dir / name).resolve()
            if models_dir.resolve() not in target.parents:  # names come from rglob, but never trust a path
                raise ValueError(f"model file outside the models folder: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        codebook = None
        if self.codebook is not None:
            codebook = root / Path(self.codebook_name or "codebook.yaml").name
            codebook.write_bytes(self.codebook)
        return RunSettings(out=root / "out", codebook=codebook, models_dir=models_dir, topics=False,
                           report=False, cache_dir=self.cache_dir, **self.settings)


#: This process's analysers, by bundle digest (a worker keeps its models between documents).
_WORKER_ANALYZERS: dict[str, Analyzer] = {}


def worker_analyzer(bundle: WorkBundle) -> Analyzer:
    """The analyser a bundle describes, built once per process in a private folder; refuses
    to go on when its signature is not the one the store expects."""
    key = bundle.digest
    analyzer = _WORKER_ANALYZERS.get(key)
    if analyzer is None:
        root = Path(tempfile.mkdtemp(prefix=f"narratif-worker-{key[:8]}-"))
        analyzer = Analyzer(bundle.materialise(root))
        _WORKER_ANALYZERS.clear()  # one set of models per worker process
        _WORKER_ANALYZERS[key] = analyzer
    if bundle.signature is not None and analyzer.signature != bundle.signature:
        raise WorkerMismatchError(
            "this worker's analysis signature differs from the one the store expects "
            f"(worker: {_short(analyzer.signature)}; expected: {_short(bundle.signature)}); is the same "
            "narratif, spaCy and model version installed on every worker?")
    return analyzer


def _short(signature: str) -> str:
    try:
        parts = json.loads(signature)
    except ValueError:
        return signature[:80]
    return ", ".join(f"{k}={str(v)[:40]}" for k, v in sorted(parts.items()))


@dataclass(frozen=True)
class ShippedInput:
    """An input file with its bytes, for a worker that cannot read the flow's disk."""

    item: InputFile
    data: bytes | None


def ship_input(item: InputFile) -> ShippedInput:
    if item.error:
        return ShippedInput(item, None)
    try:
        return ShippedInput(item, item.path.read_bytes())
    except OSError as exc:  # vanished since it was hashed: quarantined by the worker with the reason
        return ShippedInput(InputFile(item.path, item.shown, item.sha256, item.attributes,
                                      error=f"unreadable: {exc.strerror or exc}"), None)


def analyse_shipped(bundle: WorkBundle, shipped: ShippedInput | InputFile, reviews=()):
    """Ingest and analyse one file on a worker with the bundle's models (see ``process_file``)."""
    analyzer = worker_analyzer(bundle)
    if isinstance(shipped, InputFile):  # same machine: the path is readable
        return process_file(shipped, analyzer, reviews)
    item = shipped.item
    if shipped.data is None:
        return process_file(item, analyzer, reviews)
    with tempfile.TemporaryDirectory(prefix="narratif-input-") as tmp:
        local = Path(tmp) / Path(item.shown).name
        local.write_bytes(shipped.data)
        here = InputFile(local, item.shown, item.sha256, item.attributes)
        return process_file(here, analyzer, reviews)


def worker_state() -> dict[str, Any]:
    """What this process holds (for checks from the flow, e.g. ``client.run`` on Dask workers)."""
    import os

    return {"pid": os.getpid(), "cwd": os.getcwd(),
            "analyzers": {k: {"signature": a.signature, "models_dir": str(a.settings.models_dir),
                              "codebook": str(a.settings.codebook)} for k, a in _WORKER_ANALYZERS.items()}}
