"""report.html opened from disk in headless Chromium, offline: no JS error, charts drawn, screenshot saved."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from narratif.codebook import load_codebook
from narratif.report import write_reports

from browser_helpers import FLAGS, find_chromium
from report_fixtures import build_store, cfpp_files, sample_files

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
class DevTools:
    """The few DevTools-protocol calls the test needs, over one page websocket."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=20)
        self.n = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.n += 1
        my_id = self.n
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def drain(self, seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(0.05, end - time.time()))))
            except TimeoutError:
                break


@pytest.fixture(scope="module")
def report(tmp_path_factory, shared_dir):
    out = tmp_path_factory.mktemp("browser")
    cb = load_codebook(None)
    files = sample_files(ROOT) + cfpp_files(shared_dir, ["Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt"])
    store = build_store(out, files, cb)
    try:
        paths = write_reports(store, out, codebook=cb)
    finally:
        store.close()
    return paths["report"]


def test_report_renders_offline_in_chromium(report, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed and cannot be installed (not root or no apt-get)")
    profile = tmp_path / "profile"
    proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            dt.call(f"{domain}.enable")
        dt.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        dt.call("Page.navigate", url=report.resolve().as_uri())
        deadline = time.time() + 60
        while time.time() < deadline and not any(e.get("method") == "Page.loadEventFired" for e in dt.events):
            dt.drain(0.5)
        dt.drain(3.0)  # plotly draws after load
        probe = dt.call("Runtime.evaluate", returnByValue=True, expression="""(() => {
            const plots = [...document.querySelectorAll('.plotly-graph-div')];
            return {plots: plots.length,
                    drawn: plots.filter(p => p.querySelector('svg.main-svg') &&
                                            p.querySelectorAll('svg.main-svg *').length > 20).length,
                    traces: plots.filter(p => p.querySelector('.plot .trace, .heatmaplayer image, .heatmaplayer .hm, .barlayer .point, .scatterlayer .point')).length,
                    sections: document.querySelectorAll('main > section').length,
                    height: document.documentElement.scrollHeight};
        })()""")["result"]["value"]
        shot = dt.call("Page.captureScreenshot", format="png")
        png = base64.b64decode(shot["data"])
        (tmp_path / "report.png").write_bytes(png)  # never into the work tree: tests leave it clean
        dt.ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    errors = [e for e in dt.events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [e for e in dt.events if e.get("method") == "Runtime.consoleAPICalled"
               and e["params"]["type"] in ("error", "assert")]
    errors += [e for e in dt.events if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert not errors, json.dumps(errors, ensure_ascii=False)[:2000]
    requests = [e["params"]["request"]["url"] for e in dt.events if e.get("method") == "Network.requestWillBeSent"]
    remote = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not remote, f"the report fetched remote resources: {remote}"
    assert probe["sections"] == 9  # with the validation section
    assert probe["plots"] >= 6, probe
    assert probe["drawn"] == probe["plots"], f"some charts did not render: {probe}"
    assert probe["traces"] == probe["plots"], f"some charts have no data drawn: {probe}"
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
