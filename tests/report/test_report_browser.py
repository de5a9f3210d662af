"""report.html opened from disk in headless Chromium, offline: no JS error, charts drawn, screenshot saved."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from narratif.codebook import load_codebook
from narratif.report import write_reports

from browser_helpers import chromium_page
from report_fixtures import build_store, cfpp_files, sample_files

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


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
    with chromium_page(tmp_path / "profile") as page:
        page.open(report.resolve().as_uri(), settle=3.0)  # plotly draws after load
        probe = page.js("""(() => {
            const plots = [...document.querySelectorAll('.plotly-graph-div')];
            return {plots: plots.length,
                    drawn: plots.filter(p => p.querySelector('svg.main-svg') &&
                                            p.querySelectorAll('svg.main-svg *').length > 20).length,
                    traces: plots.filter(p => p.querySelector('.plot .trace, .heatmaplayer image, .heatmaplayer .hm, .barlayer .point, .scatterlayer .point')).length,
                    sections: document.querySelectorAll('main > section').length,
                    height: document.documentElement.scrollHeight};
        })()""")
        png = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
        (tmp_path / "report.png").write_bytes(png)  # never into the work tree: tests leave it clean
        events = list(page.events)

    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [e for e in events if e.get("method") == "Runtime.consoleAPICalled"
               and e["params"]["type"] in ("error", "assert")]
    errors += [e for e in events if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert not errors, json.dumps(errors, ensure_ascii=False)[:2000]
    requests = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    remote = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not remote, f"the report fetched remote resources: {remote}"
    assert probe["sections"] == 9  # with the validation section
    assert probe["plots"] >= 6, probe
    assert probe["drawn"] == probe["plots"], f"some charts did not render: {probe}"
    assert probe["traces"] == probe["plots"], f"some charts have no data drawn: {probe}"
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
