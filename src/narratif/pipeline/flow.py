"""The narratif run as Prefect flows: ingest+analyse per document, then refresh outputs.

Incrementality lives in the store (content hash + analysis key per document), not
in Prefect's result cache: a rerun only submits documents whose content, case
attributes, codebook, models or pipeline version changed, and each finished
document is committed at once, so a killed run loses at most the documents in
flight.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from narratif.pipeline import parallel
from narratif.pipeline import steps as P
from narratif.pipeline.bundle import WorkBundle, analyse_shipped, ship_input
from narratif.pipeline.incremental import warm_outputs
from narratif.store import Store
from narratif.turning_points.review import ReviewIndex


@task(name="plan-inputs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def plan_inputs(inputs: list[str], meta: str | None):
    return P.plan_inputs(inputs, Path(meta) if meta else None)


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {item.shown}")
def analyse_document(item: P.InputFile, settings: P.RunSettings, reviews: list | None = None):
    """Ingest + analyse one file in this process (bad content is quarantined inside, never raised)."""
    return P.process_file(item, P.get_analyzer(settings), reviews or ())


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {item.shown}")
def analyse_in_worker(item: P.InputFile, bundle: WorkBundle, reviews: list | None = None, shipped=None):
    """Ingest + analyse one file on a worker that has nothing but what it is sent: the bundle
    (settings, codebook, team models) and, for a remote worker, the file's bytes."""
    return analyse_shipped(bundle, shipped or item, reviews or ())


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {item.shown}")
def analyse_in_pool(item: P.InputFile, workers: parallel.LocalWorkers, reviews: list | None = None):
    """Ingest + analyse one file in a local worker process (the flow thread waits for it)."""
    return workers.submit(item, reviews or ()).result()


@task(name="refresh-outputs", cache_policy=NO_CACHE)
def refresh_outputs(settings: P.RunSettings, summary: P.RunSummary, changed: bool):
    with Store(settings.out) as store:
        P.refresh_outputs(store, settings, summary, changed=changed)
    return summary


@flow(name="narratif-ingest-analyse", log_prints=True)
def ingest_and_analyse(inputs: list[str], settings: P.RunSettings, distributed: bool = False,
                       progress: bool = False) -> P.RunSummary:
    """Analyse every new or changed document and commit each as soon as it is done."""
    summary = P.RunSummary(out=settings.out)
    planned, warnings = plan_inputs(inputs, str(settings.meta) if settings.meta else None)
    summary.warnings.extend(warnings)
    summary.n_documents = len(planned)
    workers = None
    try:
        with Store(settings.out) as store:
            P.record_run_context(store, settings, summary)
            signature = P.known_signature(settings, store)
            if signature is None and not distributed and settings.workers != 1:
                # ask the workers (they load the models anyway) rather than loading them here too
                workers = parallel.take(WorkBundle.from_settings(settings),
                                        parallel.auto_workers(len(planned), settings.workers))
                signature = P.analysis_signature(settings, store, compute=workers.signature)
            signature = signature or P.analysis_signature(settings, store)
            reviews = ReviewIndex(store.reviews())  # analysts' verdicts: applied to their documents
            todo, unchanged = P.select_work(planned, signature, store.processed_keys(), reviews)
            P.count_unchanged(store, unchanged, summary)
            bundle = WorkBundle.from_settings(settings, signature)
            if todo and workers is None and not distributed and settings.workers != 1:
                workers = parallel.take(bundle, parallel.auto_workers(len(todo), settings.workers))
            if workers is not None:
                workers.bundle = bundle  # workers check their signature against the store's
            _analyse(store, todo, reviews, summary, settings, bundle, workers, distributed, progress)
            store.checkpoint()
    finally:
        if workers is not None:
            workers.close()  # free their memory before the corpus-level stages
        parallel.release()
    return summary


def _analyse(store, todo, reviews, summary, settings, bundle, workers, distributed, progress) -> None:
    """Analyse ``todo`` and commit each document as it completes."""
    bar = _progress(len(todo), progress)
    if distributed:  # other machines: the file's bytes go with the work, no path is read there
        submit = lambda item: analyse_in_worker.submit(  # noqa: E731
            item, bundle, reviews.for_document(item.doc_id, item.shown), ship_input(item))
        window = len(todo)
    elif workers is not None:  # largest documents first: the last one to finish is a short one
        todo = sorted(todo, key=lambda t: -_size(t[0]))
        submit = lambda item: analyse_in_pool.submit(item, workers, reviews.for_document(item.doc_id, item.shown))  # noqa: E731
        window = workers.n_workers + 1  # one waiting per worker: no idle gap, documents not held in memory
    else:
        for item, key in todo:
            state = analyse_document(item, settings, reviews.for_document(item.doc_id, item.shown),
                                     return_state=True)
            _commit(store, item, key, state, summary)
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
        fut = next(as_completed(list(pending)))
        item, key = pending.pop(fut)
        _commit(store, item, key, fut, summary)
        bar.update(1)
        fill()
    bar.close()


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


@flow(name="narratif-run", log_prints=True)
def run_pipeline(inputs: list[str], settings: P.RunSettings, distributed: bool = False,
                 progress: bool = False) -> P.RunSummary:
    """The whole job: analyse what changed, then rebuild topics, tables and reports."""
    started = time.time()
    with P.run_lock(settings.out, settings.wait_for_lock):
        warming = warm_outputs(settings) if not distributed else None
        summary = ingest_and_analyse(inputs, settings, distributed=distributed, progress=progress)
        changed = summary.n_processed > 0
        if warming is not None:
            warming.join()
        summary = refresh_outputs(settings, summary, changed)
        summary.seconds = time.time() - started
        with Store(settings.out) as store:
            store.record_run(run_id=_run_id(), started_at=_ts(started), finished_at=_ts(time.time()),
                             inputs="\n".join(map(str, inputs)), settings=_json(settings.to_dict()),
                             summary=_json({"quarantined": summary.quarantined, "warnings": summary.warnings,
                                           "errors": summary.errors}),
                             **summary.as_row())
    try:
        get_run_logger().info("narratif run: %s", summary.as_row())
    except Exception:
        pass
    return summary


def _run_id() -> str:
    try:
        from prefect.runtime import flow_run

        return str(flow_run.id)
    except Exception:
        import uuid

        return uuid.uuid4().hex


def _ts(t: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)


def _json(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, default=str)
