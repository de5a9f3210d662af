"""The narratif run as Prefect flows: ingest+analyse per document, then refresh outputs.

The orchestration itself is :mod:`narratif.pipeline.runner`'s; here each step becomes a
Prefect task of a flow run (``narratif serve``, ``narratif run --dask``, or any run while
``PREFECT_API_URL`` names a server to report to, or with ``--prefect``). Incrementality
lives in the store, not in Prefect's result cache.
"""

# No ``from __future__ import annotations`` here: Prefect validates flow parameters against these
# annotations, and a flow run that ``narratif serve`` starts gets this module's flows by value
# (cloudpickle keeps only the globals a function's body uses), so they must be objects, not names.
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from narratif.pipeline import parallel, runner
from narratif.pipeline import steps as P
from narratif.pipeline.bundle import WorkBundle, analyse_shipped
from narratif.store import Store


@task(name="plan-inputs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def plan_inputs(inputs: list[str], meta: str | None):
    return P.plan_inputs(inputs, Path(meta) if meta else None)


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {item.shown}")
def analyse_document(item: P.InputFile, settings: P.RunSettings, reviews: list | None = None):
    """Ingest + analyse one file in this process (bad content is quarantined inside, never raised)."""
    return P.process_file(item, P.get_analyzer(settings), reviews or ())


@task(name="analyse-document", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      task_run_name="analyse {shipped.item.shown}")
def analyse_in_worker(shipped, bundle: WorkBundle, reviews: list | None = None):
    """Ingest + analyse one file on a worker that has nothing but what it is sent: the bundle
    (settings, codebook, team models) and the file's bytes."""
    return analyse_shipped(bundle, shipped, reviews or ())


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


class PrefectKit(runner.Kit):
    """Each step a Prefect task of the current flow run."""

    def plan(self, inputs, settings):
        return plan_inputs(inputs, str(settings.meta) if settings.meta else None)

    def analyse_here(self, item, settings, reviews):
        return analyse_document(item, settings, reviews, return_state=True)

    def submit_local(self, item, workers, reviews):
        return analyse_in_pool.submit(item, workers, reviews)

    def submit_remote(self, shipped, bundle, reviews):
        return analyse_in_worker.submit(shipped, bundle, reviews)

    def as_completed(self, futures):
        return as_completed(futures)

    def refresh(self, settings, summary, changed):
        return refresh_outputs(settings, summary, changed)

    def run_id(self) -> str:
        try:
            from prefect.runtime import flow_run

            return str(flow_run.id)
        except Exception:
            return super().run_id()


@flow(name="narratif-ingest-analyse", log_prints=True)
def ingest_and_analyse(inputs: list[str], settings: P.RunSettings, distributed: bool = False,
                       progress: bool = False) -> P.RunSummary:
    """Analyse every new or changed document and commit each as soon as it is done."""
    return runner.ingest_and_analyse(inputs, settings, PrefectKit(), distributed=distributed, progress=progress)


@flow(name="narratif-run", log_prints=True)
def run_pipeline(inputs: list[str], settings: P.RunSettings, distributed: bool = False,
                 progress: bool = False, dask_address: str | None = None) -> P.RunSummary:
    """The whole job: analyse what changed, then rebuild topics, tables and reports.

    ``dask_address``: the scheduler the per-document tasks go to. The task runner is the
    document sub-flow's own (a sub-flow does not inherit its parent's): given to this flow
    only, the documents would be analysed in threads of the flow process."""
    analyse = ingest_and_analyse
    if dask_address:
        from prefect_dask import DaskTaskRunner

        analyse = ingest_and_analyse.with_options(task_runner=DaskTaskRunner(address=dask_address))
        distributed = True
    summary = runner.run(inputs, settings, PrefectKit(), distributed=distributed, progress=progress,
                         analyse=analyse)
    try:
        get_run_logger().info("narratif run: %s", summary.as_row())
    except Exception:
        pass
    return summary
