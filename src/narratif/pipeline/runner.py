"""A run's orchestration, the same with Prefect or without it.

Incrementality lives in the store (content hash + analysis key per document): a rerun
only analyses documents whose content, case attributes, codebook, models, pipeline
version or analysts' verdicts changed, and each finished document is committed at
once, so a killed run loses at most the documents in flight.

How a step runs is a :class:`Kit`'s business: :class:`LocalKit` calls the steps
directly (a one-off ``narratif run`` pays no orchestration start-up),
``narratif.pipeline.flow.PrefectKit`` makes each one a Prefect task of a flow run
(``narratif serve``, ``--dask``, or a Prefect API to report to).
"""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from narratif.pipeline import parallel
from narratif.pipeline import steps as P
from narratif.pipeline.bundle import WorkBundle, ship_input
from narratif.pipeline.incremental import warm_outputs


class Kit:
    """How the steps of a run are executed (see the module docstring)."""

    def plan(self, inputs: list[str], settings: P.RunSettings):
        return P.plan_inputs(inputs, settings.meta)

    def analyse_here(self, item, settings, reviews):  # -> something with .result()
        raise NotImplementedError

    def submit_local(self, item, workers: parallel.LocalWorkers, reviews):
        raise NotImplementedError

    def submit_remote(self, item, bundle: WorkBundle, reviews):
        raise NotImplementedError

    def as_completed(self, futures):
        raise NotImplementedError

    def refresh(self, settings: P.RunSettings, summary: P.RunSummary, changed: bool) -> P.RunSummary:
        from narratif.store import Store

        with Store(settings.out) as store:
            P.refresh_outputs(store, settings, summary, changed=changed)
        return summary

    def run_id(self) -> str:
        return uuid.uuid4().hex


@dataclass
class _Done:
    """A finished call with the interface of a future."""

    value: Any = None
    error: BaseException | None = None

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class LocalKit(Kit):
    """Steps called directly; documents in local worker processes (or this one)."""

    retries = 2  # transient failures (a file briefly unreadable): as Prefect's task retries

    def analyse_here(self, item, settings, reviews):
        for attempt in range(self.retries + 1):
            try:
                return _Done(P.process_file(item, P.get_analyzer(settings), reviews or ()))
            except Exception as exc:  # only transient errors are raised by process_file
                if attempt == self.retries:
                    return _Done(error=exc)
                time.sleep((1, 5)[min(attempt, 1)])

    def submit_local(self, item, workers, reviews):
        return workers.submit(item, reviews or (), retries=self.retries)

    def as_completed(self, futures):
        return concurrent.futures.as_completed(futures)


def ingest_and_analyse(inputs: list[str], settings: P.RunSettings, kit: Kit, *, distributed: bool = False,
                       progress: bool = False) -> P.RunSummary:
    """Analyse every new or changed document and commit each as soon as it is done."""
    from narratif.store import Store
    from narratif.turning_points.review import ReviewIndex

    summary = P.RunSummary(out=settings.out)
    planned, warnings = kit.plan(inputs, settings)
    summary.warnings.extend(warnings)
    summary.n_documents = len(planned)
    workers = None
    try:
        with Store(settings.out) as store:
            P.record_run_context(store, settings, summary)
            signature = P.known_signature(settings, store)
            if signature is None and _pool_size(len(planned), settings, distributed) > 1:
                # ask the workers (they load the models anyway) rather than loading them here too
                workers = _take(WorkBundle.from_settings(settings, local=not distributed),
                                _pool_size(len(planned), settings, distributed))
                signature = P.analysis_signature(settings, store, compute=workers.signature)
            signature = signature or P.analysis_signature(settings, store)
            reviews = ReviewIndex(store.reviews())  # analysts' verdicts: applied to their documents
            todo, unchanged = P.select_work(planned, signature, store.processed_keys(), reviews)
            P.count_unchanged(store, unchanged, summary)
            bundle = WorkBundle.from_settings(settings, signature, local=not distributed)
            if workers is None and _pool_size(len(todo), settings, distributed) > 1:
                workers = _take(bundle, _pool_size(len(todo), settings, distributed))
            if workers is not None:
                workers.bundle = bundle  # workers check their signature against the store's
                if settings.topics:
                    _warm_vectors()  # the topic stage's vectors, while the workers parse
            _analyse(store, todo, reviews, summary, settings, kit, bundle, workers, distributed, progress)
            store.checkpoint()
    finally:
        if workers is not None:
            workers.close()  # free their memory before the corpus-level stages
        parallel.release()
    return summary


def _analyse(store, todo, reviews, summary, settings, kit, bundle, workers, distributed, progress) -> None:
    """Analyse ``todo`` and commit each document as it completes."""
    bar = _progress(len(todo), progress)
    verdicts = lambda item: reviews.for_document(item.doc_id, item.shown)  # noqa: E731
    if distributed:  # other machines: the file's bytes go with the work, no path is read there
        submit = lambda item: kit.submit_remote(ship_input(item), bundle, verdicts(item))  # noqa: E731
        window = len(todo)
    elif workers is not None:  # largest documents first: the last one to finish is a short one
        todo = sorted(todo, key=lambda t: -_size(t[0]))
        submit = lambda item: kit.submit_local(item, workers, verdicts(item))  # noqa: E731
        window = workers.n_workers + 1  # one waiting per worker: no idle gap, documents not held in memory
    else:
        for item, key in todo:
            _commit(store, item, key, kit.analyse_here(item, settings, verdicts(item)), summary)
            bar.update(1)
        bar.close()
        return
    queue = iter(todo)
    pending: dict = {}

    def fill():
        for item, key in queue:
            pending[submit(item)] = (item, key)
            if len(pending) >= window:
                return

    fill()
    while pending:
        fut = next(iter(kit.as_completed(list(pending))))
        item, key = pending.pop(fut)
        _commit(store, item, key, fut, summary)
        bar.update(1)
        fill()
    bar.close()


def _pool_size(n_documents: int, settings: P.RunSettings, distributed: bool) -> int:
    """Worker processes for ``n_documents`` (1: analyse in this process, as for a single new
    document, which costs less than starting a worker and loading the vectors again; but
    the warm workers of a long-lived ``narratif serve`` have their models loaded already)."""
    from narratif.pipeline import warm

    if distributed:
        return 0
    if warm.available() and settings.workers != 1 and n_documents:
        return max(2, parallel.auto_workers(n_documents, settings.workers))
    return parallel.auto_workers(n_documents, settings.workers)


def _take(bundle: WorkBundle, n_workers: int):
    """The warm workers of a long-lived ``narratif serve`` when there are some, else local ones
    (those started before the run when they fit)."""
    from narratif.pipeline import warm

    service = warm.connect() if warm.available() else None
    if service is not None:
        parallel.release()
        return warm.WarmWorkers(bundle, service)
    return parallel.take(bundle, n_workers)


def _warm_vectors() -> None:
    import threading

    from narratif.nlp.parse import load_vectors

    threading.Thread(target=load_vectors, name="narratif-warm-vectors", daemon=True).start()


def _size(item: P.InputFile) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


def _commit(store, item, key, state_or_future, summary):
    try:
        doc, analysis = state_or_future.result()
    except Exception as exc:  # the task failed after its retries: quarantine, go on
        doc, analysis = P.quarantined(item, f"analysis failed: {type(exc).__name__}: {str(exc)[:300]}"), None
    P.store_result(store, item, doc, analysis, key, summary)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="analyse", disable=not enabled or total == 0, leave=False)


def run(inputs: list[str], settings: P.RunSettings, kit: Kit, *, distributed: bool = False, progress: bool = False,
        analyse: Callable[..., P.RunSummary] | None = None) -> P.RunSummary:
    """The whole job: analyse what changed, then rebuild topics, tables and reports.

    ``analyse``: how the document stage runs (a Prefect sub-flow), default
    :func:`ingest_and_analyse` with ``kit``."""
    from narratif.store import Store

    started = time.time()
    with P.run_lock(settings.out, settings.wait_for_lock):
        warming = warm_outputs(settings) if not distributed else None
        if analyse is None:
            summary = ingest_and_analyse(inputs, settings, kit, distributed=distributed, progress=progress)
        else:
            summary = analyse(inputs, settings, distributed=distributed, progress=progress)
        changed = summary.n_processed > 0
        if warming is not None:
            warming.join()
        summary = kit.refresh(settings, summary, changed)
        summary.seconds = time.time() - started
        with Store(settings.out) as store:
            store.record_run(run_id=kit.run_id(), started_at=_ts(started), finished_at=_ts(time.time()),
                             inputs="\n".join(map(str, inputs)), settings=_json(settings.to_dict()),
                             summary=_json({"quarantined": summary.quarantined, "warnings": summary.warnings,
                                           "errors": summary.errors}),
                             **summary.as_row())
    return summary


def _ts(t: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)


def _json(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, default=str)
