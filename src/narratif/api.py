"""The Python entry points notebook users call (the CLI calls the same)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from narratif.pipeline.steps import RunSettings, RunSummary


class ConfigurationError(ValueError):
    """A usage or configuration problem that stops a run before it starts."""


class Tables:
    """Lazy access to a run's tables as pandas DataFrames: ``result.tables["codings"]``."""

    def __init__(self, out: Path):
        self.out = Path(out)

    def names(self) -> list[str]:
        from narratif.store import Store

        with Store(self.out, read_only=True) as store:
            return store.tables()

    def __getitem__(self, name: str) -> pd.DataFrame:
        from narratif.store import Store

        with Store(self.out, read_only=True) as store:
            if name not in store.tables():
                raise KeyError(f"no table {name!r} in {self.out} (have: {', '.join(store.tables())})")
            if name == "documents":
                return store.documents(with_text=True, status=None)
            return store.table(name)

    def __contains__(self, name: str) -> bool:
        return name in self.names()


@dataclass
class RunResult:
    summary: RunSummary
    out: Path

    @property
    def tables(self) -> Tables:
        return Tables(self.out)

    def __getattr__(self, name):  # result.codings, result.segments, ...
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.tables[name]
        except KeyError as exc:
            raise AttributeError(str(exc)) from None


def check_configuration(inputs: Iterable[str | Path], settings: RunSettings) -> None:
    """Fail fast, before any work, on usage and configuration errors."""
    missing = [str(p) for p in inputs if not Path(p).exists()]
    if missing:
        raise ConfigurationError(f"input not found: {', '.join(missing)}")
    if settings.codebook is not None:
        from narratif.codebook import load_codebook

        load_codebook(settings.codebook)  # raises CodebookError naming the file and field
    if settings.meta is not None:
        if not settings.meta.is_file():
            raise ConfigurationError(f"metadata sidecar not found: {settings.meta}")
        from narratif.ingest.attributes import load_attributes
        from narratif.ingest import iter_input_files

        # raises AttributeFileError naming the file and row (missing key, duplicate, unknown file)
        load_attributes(settings.meta).validate(list(iter_input_files(inputs)))


def run(inputs: Iterable[str | Path] | str | Path, out: str | Path, *, meta=None, codebook=None,
        topics: bool = True, refit_topics: bool = False, pseudonymise: bool = False, dask: str | None = None,
        wait: float = 0.0, models_dir=None, progress: bool = False, report: bool = True,
        workers: int = 0, prefect: bool = False) -> RunResult:
    """Run the whole pipeline and return the result with its tables.

    The run is a Prefect flow run with ``dask`` (its task runner sends documents to the
    cluster), with ``prefect=True``, or when ``PREFECT_API_URL`` names a server to report
    to; otherwise the same steps run without starting an orchestration server. A rerun
    with nothing new is recorded without loading a model. ``workers``: analysis
    processes (0: one per core, up to 4; 1: in the run's own process)."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    inputs = [str(p) for p in inputs]
    settings = RunSettings(out=Path(out), meta=meta, codebook=codebook, topics=topics, refit_topics=refit_topics,
                           pseudonymise=pseudonymise, wait_for_lock=wait, models_dir=models_dir, report=report,
                           workers=workers)
    check_configuration(inputs, settings)
    from narratif.pipeline.incremental import precheck

    checked = precheck(inputs, settings)  # refuses (or waits) at once if another run holds OUT
    if checked.summary is not None:
        return RunResult(summary=checked.summary, out=settings.out)
    from narratif.pipeline import parallel

    from narratif.pipeline import warm

    if not dask and not warm.available() and parallel.auto_workers(checked.n_todo, workers) > 1:
        from narratif.pipeline.bundle import WorkBundle

        # the workers load their models while this process gets going; the run takes them
        n = parallel.auto_workers(checked.n_todo, workers)
        parallel.prestart(WorkBundle.from_settings(settings, local=True), n)
    try:
        if dask or prefect or os.environ.get("PREFECT_API_URL"):
            summary = _prefect_run(inputs, settings, dask=dask, progress=progress)
        else:
            from narratif.pipeline.runner import LocalKit, run as run_steps

            summary = run_steps(inputs, settings, LocalKit(), progress=progress)
    finally:
        parallel.release()
    return RunResult(summary=summary, out=settings.out)


def _prefect_run(inputs: list[str], settings: RunSettings, *, dask: str | None, progress: bool) -> RunSummary:
    from narratif.pipeline.prefect_env import configure_prefect

    configure_prefect(settings.out / ".prefect")
    from narratif.pipeline.flow import run_pipeline

    return run_pipeline(inputs, settings, distributed=bool(dask), progress=progress, dask_address=dask)


def prepare(cache_dir: str | Path | None = None) -> Path:
    """Fill a cache folder (default: the environment's, :func:`narratif.cachedir.install_dir`)
    with what every process would otherwise recompute at start-up: the French tokenizer's
    compiled pattern and the fitted default coder of the shipped codebook."""
    from narratif import cachedir
    from narratif.coding import build_coder
    from narratif.nlp import _regex_cache
    from narratif.nlp.parse import load_nlp

    folder = Path(cache_dir) if cache_dir is not None else cachedir.install_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _regex_cache.save_french_patterns(folder / "regex")
    build_coder(nlp=load_nlp(), cache_dir=folder)
    return folder
