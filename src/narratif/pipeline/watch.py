"""The scheduled flow: run the pipeline over a watched folder."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from narratif.pipeline.steps import RunSettings

from narratif.pipeline.flow import run_pipeline


@flow(name="narratif-watch", log_prints=True)
def watch_folder(watch: str, out: str, meta: str | None = None, codebook: str | None = None, topics: bool = True):
    """Process what is new or changed in ``watch`` into ``out`` (waits if a run is going on).

    What the run did is left where an analyst looks the next morning: the run's
    state in the Prefect UI (Failed when an output stage failed, as ``narratif run``
    exits 1), its log, and a « narratif-last-run » artifact holding the counts and
    the summary's « what changed » section.
    """
    settings = RunSettings(out=Path(out), meta=meta, codebook=codebook, topics=topics, wait_for_lock=3600)
    summary = run_pipeline([watch], settings)
    print(f"narratif: {summary.n_processed} analysed, {summary.n_skipped} unchanged, "
          f"{summary.n_quarantined} quarantined")
    _publish(summary, Path(out))
    if summary.errors:
        raise RuntimeError("; ".join(summary.errors))
    return summary.as_row()


def run_report(summary, out: Path) -> str:
    """The run in a few lines of Markdown: counts, quarantined files, errors, what changed."""
    from narratif.report.summary import changes_section

    lines = ["# narratif — dernier run", "",
             f"{summary.n_documents} documents : {summary.n_processed} analysés, {summary.n_skipped} inchangés, "
             f"{summary.n_quarantined} en quarantaine.", ""]
    lines += [f"- quarantaine : {path} — {why}" for path, why in summary.quarantined]
    lines += [f"- **erreur** : {e}" for e in summary.errors]
    try:
        changed = changes_section((out / "summary.md").read_text(encoding="utf-8"))
    except OSError:
        changed = ""
    lines += ["", changed or "_Pas de synthèse écrite par ce run._", "",
              f"Rapport : {out.resolve() / 'report.html'}"]
    return "\n".join(lines).strip() + "\n"


def _publish(summary, out: Path) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(markdown=run_report(summary, out), key="narratif-last-run",
                                 description="What the last narratif run did")
    except Exception as exc:  # the run's results are stored; only the UI note is lost
        get_run_logger().warning("could not publish the run's artifact: %s", exc)
