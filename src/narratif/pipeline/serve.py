"""Nightly runs over a watched folder, served by Prefect (``narratif serve``).

Prefect schedules runs only through a real API server (its ephemeral mode refuses).
When ``PREFECT_API_URL`` is not set, narratif starts a local server on 127.0.0.1
for the life of the ``serve`` process; point ``PREFECT_API_URL`` at a server you
started yourself to keep its UI and history across restarts.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from narratif.pipeline.prefect_env import configure_prefect


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_prefect_server(*, timeout: float = 240.0, log: Path | None = None):
    """Start ``prefect server start`` on 127.0.0.1 and yield its API URL; stop it on exit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the local Prefect server exited with code {proc.returncode}"
                                   + (f" (log: {log})" if log else ""))
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:  # loopback only
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"the local Prefect server did not answer within {timeout:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


def serve_watch(watch: Path, out: Path, *, cron: str | None = None, interval: float | None = None,
                meta: Path | None = None, codebook: Path | None = None, topics: bool = True,
                name: str = "nightly") -> None:
    """Serve the watch flow on a schedule; blocks until interrupted.

    Each scheduled run processes only what is new or changed in ``watch`` (the
    store's content hashes decide), so a nightly run over a growing folder costs
    the new interviews only.
    """
    out = Path(out)
    home = configure_prefect(out / ".prefect")
    params = {"watch": str(Path(watch).resolve()), "out": str(out.resolve()),
              "meta": str(Path(meta).resolve()) if meta else None,
              "codebook": str(Path(codebook).resolve()) if codebook else None, "topics": topics}
    kwargs = {"cron": cron} if cron else {"interval": interval}
    with contextlib.ExitStack() as stack:
        from narratif.pipeline.warm import warm_workers

        stack.enter_context(warm_workers())  # models stay loaded between scheduled runs
        if not os.environ.get("PREFECT_API_URL"):
            url = stack.enter_context(local_prefect_server(log=home / "server.log"))
            os.environ["PREFECT_API_URL"] = url
            print(f"narratif: local Prefect server at {url.removesuffix('/api')} (log: {home / 'server.log'})",
                  flush=True)
        from narratif.pipeline.watch import watch_folder

        watch_folder.serve(name=name, parameters=params, **kwargs)
