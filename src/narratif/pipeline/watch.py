"""The scheduled flow: run the pipeline over a watched folder."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from narratif.pipeline.steps import RunSettings

from narratif.pipeline.flow import run_pipeline


@flow(name="narratif-watch", log_prints=True)
def watch_folder(watch: str, out: str, meta: str | None = None, codebook: str | None = None, topics: bool = True):
    """Process what is new or changed in ``watch`` into ``out`` (waits if a run is going on)."""
    settings = RunSettings(out=Path(out), meta=meta, codebook=codebook, topics=topics, wait_for_lock=3600)
    summary = run_pipeline([watch], settings)
    print(f"narratif: {summary.n_processed} analysed, {summary.n_skipped} unchanged, "
          f"{summary.n_quarantined} quarantined")
    return summary.as_row()
