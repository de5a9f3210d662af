"""Headless Chromium driven over the DevTools protocol, for the browser tests (no browser download)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--disable-dev-shm-usage", "--window-size=1280,900"]
#: Only the local machine is reachable: a page cannot fetch anything from the network.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() == 0 and shutil.which("apt-get"):  # CI runs as root: install Debian's chromium
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, capture_output=True, timeout=900)
        return shutil.which("chromium")
    return None


class Page:
    """One page of a headless Chromium: navigate, evaluate JavaScript, take screenshots."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=20)
        self.n = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.n += 1
        my_id = self.n
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.time() + 60
        while time.time() < deadline:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(method)

    def drain(self, seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(0.05, end - time.time()))))
            except TimeoutError:
                break

    def open(self, url: str, *, timeout: float = 60, settle: float = 2.0) -> None:
        """Navigate and wait for the load event (bounded), then let scripts draw."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        while time.time() < deadline and not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.drain(0.5)
        self.drain(settle)

    def js(self, expression: str):
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(json.dumps(res["exceptionDetails"])[:1000])
        return res["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 60, every: float = 0.5):
        """The value of ``expression`` once truthy, or its last value when ``timeout`` runs out."""
        deadline = time.time() + timeout
        value = self.js(expression)
        while not value and time.time() < deadline:
            self.drain(every)
            value = self.js(expression)
        return value

    def screenshot(self, path: Path, *, clip: dict | None = None) -> bytes:
        params = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = {**clip, "scale": 1}
        png = base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])
        Path(path).write_bytes(png)
        return png

    def errors(self) -> list[dict]:
        out = [e for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
        out += [e for e in self.events if e.get("method") == "Runtime.consoleAPICalled"
                and e["params"]["type"] in ("error", "assert")]
        return out


@contextlib.contextmanager
def chromium_page(profile: Path, *, width: int = 1280, height: int = 900, offline: bool = True):
    """A headless Chromium with one page (DevTools domains enabled); closed on exit."""
    chromium = find_chromium()
    if chromium is None:
        import pytest

        pytest.skip("chromium is not installed and cannot be installed (not root or no apt-get)")
    args = [chromium, *FLAGS, *([OFFLINE] if offline else []), f"--user-data-dir={profile}",
            "--remote-debugging-port=0", "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    page = None
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.time() + 60
        while time.time() < deadline and not (port_file.is_file() and port_file.read_text().strip()):
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        yield page
    finally:
        if page is not None:
            with contextlib.suppress(Exception):
                page.ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=20)
