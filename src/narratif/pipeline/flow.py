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

from narratif.outdir import record_codebook, record_models_dir
from narratif.pipeline import steps as P
from narratif.turning_points.review import ReviewIndex
from narratif.store import Store
from narratif.turning_points.adapt import refresh_team_typing


@task(name="plan-inputs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def plan_inputs(inputs: list[str], meta: str | None):
    return P.plan_inputs(inputs, Path(meta) if meta else None)


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {item.shown}")
def analyse_document(item: P.InputFile, settings: P.RunSettings, reviews: list | None = None):
    """Ingest + analyse one file (bad content is quarantined inside, never raised)."""
    return P.process_file(item, P.get_analyzer(settings), reviews or ())


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
    with Store(settings.out) as store:
        # what `narratif review` adapts turning-point typing with: where runs read models, how they parse
        record_models_dir(store, settings.models_dir)  # relative to OUT: a copied OUT keeps its own models
        record_codebook(store, settings.codebook)  # later commands on OUT code with the same codebook
        store.set_meta("spacy_model", settings.model)
        note = refresh_team_typing(store, settings.models_dir)  # after an upgrade: the team's typing again
        if note:
            summary.warnings.append(note)
        signature = P.analysis_signature(settings, store)  # loads the models only if it must
        reviews = ReviewIndex(store.reviews())  # analysts' verdicts: applied to their documents
        todo, unchanged = P.select_work(planned, signature, store.processed_keys(), reviews)
        P.count_unchanged(store, unchanged, summary)
        bar = _progress(len(todo), progress)
        if distributed:
            futures = {analyse_document.submit(item, settings, reviews.for_document(item.doc_id, item.shown)):
                       (item, key) for item, key in todo}
            for fut in as_completed(list(futures)):
                item, key = futures[fut]
                _commit(store, item, key, fut, summary)
                bar.update(1)
        else:
            for item, key in todo:
                verdicts = reviews.for_document(item.doc_id, item.shown)
                state = analyse_document(item, settings, verdicts, return_state=True)
                _commit(store, item, key, state, summary)
                bar.update(1)
        bar.close()
        store.checkpoint()
    return summary


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
        summary = ingest_and_analyse(inputs, settings, distributed=distributed, progress=progress)
        changed = summary.n_processed > 0
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
