"""``narratif serve`` stops on SIGTERM (systemd, containers) and on Ctrl-C (SIGINT to the terminal's
process group) while a run is going on: it and every process it started are gone within 10 s, the
store is whole, and the next run finishes the work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import psutil
import pytest
from filelock import FileLock, Timeout

from serve_helpers import NARRATIF, Served

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

STOP_WITHIN = 10.0


def _inbox(shared_dir, watch):
    """A real story and a real interview excerpt: a run of a few tens of seconds."""
    watch.mkdir()
    shutil.copy(shared_dir / "corpora" / "parisstories" / "2021_pluieEtMamie.txt", watch / "pluie.txt")
    lines = (shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").read_text(encoding="utf-8").splitlines()
    (watch / "Mira_extrait.txt").write_text("\n".join(lines[:160]) + "\n", encoding="utf-8")


def _held(out) -> bool:
    if not (out / ".narratif.lock").exists():
        return False
    lock = FileLock(str(out / ".narratif.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def _wait_for_run_in_flight(served: Served, out, timeout: float = 400) -> None:
    """Until a scheduled run holds the output folder's lock and has begun committing documents."""
    deadline = time.time() + timeout
    while time.time() < deadline and not _held(out):
        assert served.proc.poll() is None, served.output()[-3000:]
        time.sleep(0.2)
    assert _held(out), f"no run started within {timeout:.0f} s:\n{served.output()[-3000:]}"
    wal = out / "narratif.duckdb.wal"
    deadline = time.time() + 120
    while time.time() < deadline and _held(out) and not (wal.exists() and wal.stat().st_size > 10_000):
        time.sleep(0.1)


def _assert_store_whole(out, watch) -> None:
    """Lock free, the store opens, no document half-written; a rerun completes the work."""
    from narratif.store import Store

    assert not _held(out)  # released by the stopped run
    if (out / "narratif.duckdb").exists():
        with Store(out, read_only=True) as store:
            if store.has_table("documents"):  # else stopped before its first commit
                docs, segs = store.documents(status=None), store.table("segments")
                ok = set(docs.loc[docs["status"] == "ok", "doc_id"])
                assert ok <= set(segs["doc_id"]) and set(segs["doc_id"]) <= set(docs["doc_id"])
    res = subprocess.run(NARRATIF + ["run", str(watch), "--out", str(out), "--no-topics"], capture_output=True,
                         text=True, env=dict(os.environ), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    with Store(out, read_only=True) as store:
        docs = store.documents(status=None)
    assert sorted(os.path.basename(p) for p in docs["path"]) == ["Mira_extrait.txt", "pluie.txt"]
    assert (docs["status"] == "ok").all()


@pytest.mark.parametrize("sig, whole_group", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGINT-to-the-terminal-group"])
def test_serve_stops_cleanly_on_signal_with_a_run_in_flight(sig, whole_group, shared_dir, tmp_path):
    watch, out = tmp_path / "inbox", tmp_path / "out"
    _inbox(shared_dir, watch)
    served = Served(watch, out, tmp_path / "serve.log", interval=5, name=f"stop-{sig.name.lower()}")
    try:
        port = served.api().split(":")[2].split("/")[0]
        _wait_for_run_in_flight(served, out)
        family = psutil.Process(served.proc.pid).children(recursive=True)
        assert any("server" in " ".join(p.cmdline()) for p in family)  # the local Prefect server
        assert len(family) >= 2, [p.cmdline() for p in family]  # ...and the flow run's process
        t0 = time.monotonic()
        if whole_group:
            os.killpg(served.proc.pid, sig)  # what Ctrl-C does
        else:
            served.proc.send_signal(sig)  # what `systemctl stop` and `docker stop` do
        code = served.proc.wait(timeout=STOP_WITHIN)
        _, alive = psutil.wait_procs(family, timeout=max(0.1, STOP_WITHIN - (time.monotonic() - t0)))
        elapsed = time.monotonic() - t0
        assert code == 0, served.output()[-3000:]
        assert not alive and elapsed <= STOP_WITHIN, (elapsed, [p.pid for p in alive])
        strays = [p for p in psutil.process_iter(["cmdline"]) if f"--port {port}" in " ".join(p.info["cmdline"] or [])]
        assert not strays, strays
        assert f"stopping ({sig.name})" in served.output()
    finally:
        if served.proc.poll() is None:
            served.kill()
    _assert_store_whole(out, watch)
