"""Nightly runs over a watched folder, served by Prefect (``narratif serve``)."""

from __future__ import annotations

from pathlib import Path

from .orchestration import configure_prefect


def serve_watch(watch: Path, out: Path, *, cron: str | None = None, interval: float | None = None,
                meta: Path | None = None, codebook: Path | None = None, topics: bool = True,
                name: str = "nightly") -> None:
    """Serve the watch flow on a schedule; blocks until interrupted.

    Each scheduled run processes only what is new or changed in ``watch`` (the
    store's content hashes decide), so a nightly run over a growing folder costs
    the new interviews only.
    """
    configure_prefect(Path(out) / ".prefect")
    from flows.watch import watch_folder

    params = {"watch": str(watch), "out": str(out), "meta": str(meta) if meta else None,
              "codebook": str(codebook) if codebook else None, "topics": topics}
    kwargs = {"cron": cron} if cron else {"interval": interval}
    watch_folder.serve(name=name, parameters=params, **kwargs)
