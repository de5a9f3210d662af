"""Start ``narratif serve`` for a test, read what it prints, ask its Prefect server; every wait bounded."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

NARRATIF = [sys.executable, "-m", "narratif.cli"]


class Served:
    """A ``narratif serve`` process in its own session, its output in a log file."""

    def __init__(self, watch: Path, out: Path, log: Path, *, interval: float, name: str):
        self.log = log
        with open(log, "w") as fh:
            self.proc = subprocess.Popen(
                NARRATIF + ["serve", "--watch", str(watch), "--out", str(out), "--interval", str(interval),
                            "--no-topics", "--name", name],
                stdout=fh, stderr=subprocess.STDOUT, env=dict(os.environ), start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, pattern: str, timeout: float = 300) -> re.Match:
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.output())
            if m:
                return m
            assert self.proc.poll() is None, f"narratif serve exited ({self.proc.returncode}):\n{self.output()[-3000:]}"
            time.sleep(0.5)
        raise AssertionError(f"no line matching {pattern!r} within {timeout:.0f} s:\n{self.output()[-3000:]}")

    def ui_link(self) -> str:
        return self.wait_for_line(r"Prefect UI: (http://\S+)").group(1)

    def api(self) -> str:
        return self.wait_for_line(r"local Prefect server at (http://\S+) ").group(1) + "/api"

    def kill(self) -> None:
        """Last resort after a failed test: nothing of it may outlive the test."""
        import psutil

        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            kids = []
        for p in [*kids]:
            try:
                p.kill()
            except psutil.Error:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=20)


def flow_runs(api: str, deployment_id: str) -> list[dict]:
    """The deployment's flow runs (name, state), from the Prefect REST API."""
    body = json.dumps({"deployments": {"id": {"any_": [deployment_id]}}, "limit": 200}).encode()
    req = urllib.request.Request(f"{api}/flow_runs/filter", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:  # loopback only
        return json.load(r)


def artifacts(api: str, key: str) -> list[dict]:
    """The artifacts published under ``key`` (newest first)."""
    body = json.dumps({"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 20}).encode()
    req = urllib.request.Request(f"{api}/artifacts/filter", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:  # loopback only
        return json.load(r)


def wait_for_runs(api: str, deployment_id: str, state_type: str, *, timeout: float = 400,
                  proc: subprocess.Popen | None = None) -> list[dict]:
    """Runs of the deployment in ``state_type`` (e.g. COMPLETED), once there is one."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"narratif serve exited with {proc.returncode}")
        runs = [r for r in flow_runs(api, deployment_id) if (r.get("state") or {}).get("type") == state_type]
        if runs:
            return runs
        time.sleep(2)
    raise AssertionError(f"no {state_type} run of deployment {deployment_id} within {timeout:.0f} s")
