"""Failure behaviour of real runs: SIGKILL then rerun, concurrent runs, scheduled serve, Dask."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import assert_same_store as _assert_same_store

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

NARRATIF = [sys.executable, "-m", "narratif.cli"]


@pytest.fixture(scope="module")
def corpus(shared_dir, tmp_path_factory) -> Path:
    """Ten real stories and two real interview excerpts: long enough to kill mid-way."""
    d = tmp_path_factory.mktemp("flow-corpus")
    for f in sorted((shared_dir / "corpora" / "parisstories").glob("202*.txt"))[:10]:
        shutil.copy(f, d / f.name)
    for name in ("Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt"):
        lines = (shared_dir / "corpora" / "cfpp2000" / name).read_text(encoding="utf-8").splitlines()[:150]
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def _run_cli(args, **kw):
    env = dict(os.environ)
    return subprocess.run(NARRATIF + args, capture_output=True, text=True, env=env, timeout=900, **kw)


def _start_cli(args, log: Path) -> subprocess.Popen:
    """Start narratif in its own process group, output to a file (a full pipe would block it)."""
    fh = open(log, "w")
    return subprocess.Popen(NARRATIF + args, stdout=fh, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ), start_new_session=True)


def _kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Signal the whole process group; escalate to SIGKILL if it lingers."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    res = _run_cli(["run", str(corpus), "--out", str(out), "--no-topics"])
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_sigkill_mid_run_then_rerun_gives_the_same_store(corpus, reference, tmp_path):
    out = tmp_path / "out"
    proc = _start_cli(["run", str(corpus), "--out", str(out), "--no-topics"], tmp_path / "run.log")
    wal = out / "narratif.duckdb.wal"
    deadline = time.time() + 600
    # Kill once some documents are committed (the WAL holds them) but before the end.
    while time.time() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 20_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    _kill_group(proc)
    res = _run_cli(["run", str(corpus), "--out", str(out), "--no-topics"])
    assert res.returncode == 0, res.stderr[-3000:]
    _assert_same_store(reference, out)


def test_second_run_on_same_output_refuses_clearly_and_corrupts_nothing(corpus, reference, tmp_path):
    from filelock import FileLock, Timeout

    out = tmp_path / "out"
    # topics on: a longer first run, so the second surely starts while it holds the lock
    first = _start_cli(["run", str(corpus), "--out", str(out)], tmp_path / "first.log")
    lock = FileLock(str(out / ".narratif.lock"))
    deadline = time.time() + 300
    held = False
    while time.time() < deadline and first.poll() is None and not held:
        if (out / ".narratif.lock").exists():
            try:
                lock.acquire(timeout=0)
                lock.release()
            except Timeout:
                held = True
                break
        time.sleep(0.05)
    assert held, "first run never took the lock"
    second = _run_cli(["run", str(corpus), "--out", str(out), "--no-topics"])
    assert first.poll() is None, "the first run ended before the second could test the lock"
    assert second.returncode == 3
    assert "another narratif run is using" in second.stderr
    assert first.wait(timeout=900) == 0
    _assert_same_store(reference, out)


def test_serve_processes_a_dropped_file(shared_dir, tmp_path):
    from narratif.store import Store

    watch, out = tmp_path / "inbox", tmp_path / "out"
    watch.mkdir()
    log = tmp_path / "serve.log"
    proc = _start_cli(["serve", "--watch", str(watch), "--out", str(out), "--interval", "5", "--no-topics"], log)
    try:
        time.sleep(2)
        shutil.copy(shared_dir / "corpora" / "parisstories" / "2021_pluieEtMamie.txt", watch / "pluie.txt")
        deadline = time.time() + 400
        found = False
        while time.time() < deadline and not found:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(2)
            try:
                with Store(out, read_only=True) as store:
                    docs = store.documents()
                    found = any(p.endswith("pluie.txt") for p in docs["path"]) and store.has_table("turning_points")
            except Exception:
                continue  # not created yet, or a run holds the store
        assert found, "the dropped file was not processed by the scheduled run"
    finally:
        _kill_group(proc, signal.SIGINT)


def test_dask_two_workers_gives_the_same_results(corpus, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "out"
        res = _run_cli(["run", str(corpus), "--out", str(out), "--no-topics", "--dask", cluster.scheduler_address])
        assert res.returncode == 0, res.stderr[-3000:]
    _assert_same_store(reference, out)
