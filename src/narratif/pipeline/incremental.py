"""What a run costs when little or nothing is new.

An unchanged rerun (same files, settings, models and verdicts, reports and Parquet
copies written from the store as it is) is recognised before anything heavy is
imported: the files are hashed, the store's memoised analysis signature and
per-document keys are compared, the run is recorded, and neither spaCy nor Prefect
is started. When there are documents for several workers, the worker processes are
started at once, so they load their models while the run gets going; and the
corpus-level stages' imports (topics, reports) are warmed in a thread while the
documents are analysed.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from narratif.pipeline import steps as P


@dataclass
class Precheck:
    """The outcome of looking before running: a finished summary, or how much there is to do."""

    summary: P.RunSummary | None  # set when the run had nothing to do and is recorded
    n_todo: int  # documents to analyse (every planned one when the signature is not known)


def precheck(inputs: list[str], settings: P.RunSettings) -> Precheck:
    """Record an unchanged rerun without Prefect or models, or say how many documents are due."""
    from narratif.store import Store

    started = time.time()
    summary = P.RunSummary(out=settings.out)
    with P.run_lock(settings.out, settings.wait_for_lock):
        planned, warnings = P.plan_inputs(inputs, settings.meta)
        if not (settings.out / "narratif.duckdb").is_file():
            return Precheck(None, len(planned))
        with Store(settings.out) as store:
            signature = P.known_signature(settings, store)
            if signature is None:  # (a memo is never recorded under a team typing file to adapt again)
                return Precheck(None, len(planned))
            from narratif.turning_points.review import ReviewIndex

            todo, unchanged = P.select_work(planned, signature, store.processed_keys(), ReviewIndex(store.reviews()))
            if todo or not P.outputs_current(store, settings):
                return Precheck(None, len(todo))
            summary.warnings.extend(warnings)
            summary.n_documents = len(planned)
            P.record_run_context(store, settings, summary, refresh_typing=False)
            P.count_unchanged(store, unchanged, summary)
            summary.seconds = time.time() - started
            store.record_run(run_id=uuid.uuid4().hex, started_at=_ts(started), finished_at=_ts(time.time()),
                             inputs="\n".join(map(str, inputs)), settings=_json(settings.to_dict()),
                             summary=_json({"quarantined": summary.quarantined, "warnings": summary.warnings,
                                           "errors": summary.errors}), **summary.as_row())
    return Precheck(summary, 0)


def warm_outputs(settings: P.RunSettings) -> threading.Thread:
    """Import the topic and report stages in a thread while the documents are analysed (by
    worker processes, or by this one while it waits on files and DuckDB); join before use."""

    def work():
        try:
            if settings.report:
                import narratif.report  # noqa: F401
                import narratif.report.html  # noqa: F401
                import narratif.report.xlsx  # noqa: F401
            if settings.topics:
                import narratif.topics  # noqa: F401  (BERTopic, UMAP with numba's cache)
        except Exception:  # noqa: BLE001 - the stage itself reports any real problem
            pass

    thread = threading.Thread(target=work, name="narratif-warm-outputs", daemon=True)
    thread.start()
    return thread


def _ts(t: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)


def _json(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, default=str)
