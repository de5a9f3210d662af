"""Nightly runs over a watched folder, served by Prefect (``narratif serve``).

Prefect schedules runs only through a real API server (its ephemeral mode refuses).
When ``PREFECT_API_URL`` is not set, narratif starts a local server on 127.0.0.1
for the life of the ``serve`` process (its UI pointed at that server, not at
Prefect's default port); point ``PREFECT_API_URL`` at a server you started
yourself to keep its UI and history across restarts. ``narratif.pipeline.service`` makes
the served runner stop cleanly on SIGTERM and SIGINT.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from narratif.pipeline.prefect_env import configure_prefect
from narratif.pipeline.service import Stopped, shielded, stop_descendants, stoppable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalPrefectServer:
    """``prefect server start`` on 127.0.0.1, in its own process group so it outlives neither a stop
    nor a Ctrl-C that reaches the service, and is stopped after the runner has reported to it."""

    def __init__(self, *, port: int = 0, log: Path | None = None):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = log
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        """The server's environment: its UI calls *this* server, not Prefect's default 127.0.0.1:4200."""
        env = dict(os.environ, PREFECT_SERVER_API_HOST="127.0.0.1", PREFECT_SERVER_API_PORT=str(self.port),
                   PREFECT_SERVER_UI_API_URL=self.url)
        for name in ("PREFECT_UI_API_URL", "PREFECT_API_URL"):  # aliases that would win over ours
            env.pop(name, None)
        return env

    def start(self, timeout: float = 240.0) -> str:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                          "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                                         env=self.environment(), start_new_session=True)
        finally:
            if self.log:
                out.close()  # the child holds its own copy
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the local Prefect server exited with code {self.proc.returncode}"
                                   + (f" (log: {self.log})" if self.log else ""))
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:  # loopback only
                    if r.status == 200:
                        return self.url
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError(f"the local Prefect server did not answer within {timeout:.0f} s")
            time.sleep(0.5)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``grace`` seconds."""
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything the server started and left behind


@contextlib.contextmanager
def local_prefect_server(*, timeout: float = 240.0, log: Path | None = None, port: int = 0):
    """Start a local Prefect server and yield its API URL; stop it (and its children) on exit."""
    server = LocalPrefectServer(port=port, log=log)
    try:
        yield server.start(timeout)
    finally:
        server.stop()


def serve_watch(watch: Path, out: Path, *, cron: str | None = None, interval: float | None = None,
                meta: Path | None = None, codebook: Path | None = None, topics: bool = True,
                name: str = "nightly", port: int = 0) -> int:
    """Serve the watch flow on a schedule until SIGTERM or SIGINT; return the exit code.

    Each scheduled run processes only what is new or changed in ``watch`` (the
    store's content hashes decide), so a nightly run over a growing folder costs
    the new interviews only. Without ``PREFECT_API_URL`` a local server is started
    (on ``port``, or a free one) and stopped with the service.
    """
    out = Path(out)
    home = configure_prefect(out / ".prefect")
    params = {"watch": str(Path(watch).resolve()), "out": str(out.resolve()),
              "meta": str(Path(meta).resolve()) if meta else None,
              "codebook": str(Path(codebook).resolve()) if codebook else None, "topics": topics}
    server = None
    try:
        with stoppable():  # a SIGTERM while the server starts still stops it (finally, below)
            if not os.environ.get("PREFECT_API_URL"):
                server = LocalPrefectServer(port=port, log=home / "server.log")
                os.environ["PREFECT_API_URL"] = server.start()
                print(f"narratif: local Prefect server at {server.url.removesuffix('/api')} (log: {server.log})",
                      flush=True)
            from narratif.pipeline.warm import warm_workers

            with warm_workers():  # analysis processes keep their models loaded between scheduled runs
                return _serve(params, name=name, cron=cron, interval=interval, server=server)
    except (KeyboardInterrupt, Stopped):
        print("narratif: stopped before serving", flush=True)
        return 0
    finally:
        with shielded():  # bounded steps; a second signal must not cut them short
            if server is not None:
                server.stop()
            stop_descendants(grace=1.0)  # e.g. multiprocessing's resource tracker


def _serve(params: dict, *, name: str, cron: str | None, interval: float | None, server) -> int:
    import asyncio

    from prefect.settings import PREFECT_UI_URL

    from narratif.pipeline.watch import watch_folder

    from narratif.pipeline.service import serve_until_signalled, service_runner

    # one run at a time (a run still going when the next is due makes that one wait); the schedule is
    # paused while the service is down (the UI shows it) and resumed when it starts again
    runner = service_runner(name=f"narratif-{name}", pause_on_shutdown=True, limit=1)
    schedule = {"cron": cron} if cron else {"interval": interval}
    deployment_id = runner.add_flow(watch_folder, name=name, parameters=params, **schedule)
    ui = PREFECT_UI_URL.value()
    print(f"narratif: serving '{watch_folder.name}/{name}' ({'cron ' + cron if cron else f'every {interval:g} s'});"
          " stop with SIGTERM or Ctrl-C", flush=True)
    if ui:
        print(f"narratif: Prefect UI: {ui}/deployments/deployment/{deployment_id}", flush=True)
    keep = frozenset([server.proc.pid]) if server is not None and server.proc is not None else frozenset()
    return asyncio.run(serve_until_signalled(runner, deployment_id=deployment_id, keep=keep,
                                             alive=server.alive if server else None))
