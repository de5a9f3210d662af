"""The Prefect UI link ``narratif serve`` prints opens a working page in headless Chromium: the UI
talks to the server narratif started (not Prefect's default port) and lists the served flow's runs
with their states."""

from __future__ import annotations

import json
import shutil
import signal
from urllib.parse import urlsplit

import pytest

from browser_helpers import chromium_page
from serve_helpers import Served, artifacts, wait_for_runs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUNS_JS = "document.body.innerText"


def test_printed_prefect_ui_link_shows_the_served_runs_and_their_states(shared_dir, tmp_path):
    watch, out = tmp_path / "inbox", tmp_path / "out"
    watch.mkdir()
    shutil.copy(shared_dir / "corpora" / "parisstories" / "2021_pluieEtMamie.txt", watch / "pluie.txt")
    served = Served(watch, out, tmp_path / "serve.log", interval=8, name="ui-check")
    try:
        link = served.ui_link()
        api = served.api()
        deployment_id = link.rstrip("/").rsplit("/", 1)[-1]
        assert urlsplit(link).netloc == urlsplit(api).netloc  # the UI of the server narratif started
        done = wait_for_runs(api, deployment_id, "COMPLETED", proc=served.proc)
        name = done[0]["name"]
        # what the run did, for the analyst the next morning: counts and the summary's « what changed »
        notes = [a for a in artifacts(api, "narratif-last-run") if a.get("flow_run_id") in {r["id"] for r in done}]
        assert notes and "1 documents : 1 analysés" in notes[0]["data"], notes
        assert "Ce qui a changé depuis le dernier run" in notes[0]["data"]
        with chromium_page(tmp_path / "profile") as page:  # offline: 127.0.0.1 only
            page.open(link, settle=2.0)
            text = page.wait_for(f"document.body.innerText.includes({json.dumps(name)}) && "
                                 "document.body.innerText.includes('Completed') ? document.body.innerText : ''",
                                 timeout=90)
            assert text, f"run {name} and its state not shown:\n{page.js(RUNS_JS)[:3000]}"
            assert "Can't connect" not in text and "ui-check" in text
            calls = [e["params"]["request"]["url"] for e in page.events
                     if e.get("method") == "Network.requestWillBeSent" and "/api/" in e["params"]["request"]["url"]]
            assert calls and all(urlsplit(u).netloc == urlsplit(api).netloc for u in calls), calls
            page.open(f"{link.split('/deployments/')[0]}/runs", settle=2.0)
            runs_page = page.wait_for(f"document.body.innerText.includes({json.dumps(name)}) ? "
                                      "document.body.innerText : ''", timeout=90)
            assert runs_page and "Completed" in runs_page and "narratif-watch" in runs_page
            # every API call answered (Prefect's own UI logs harmless console errors, e.g. "Invalid
            # TaskInputResponse" on the runs page, so console errors are not the measure)
            failed = [e for e in page.events if e.get("method") == "Network.loadingFailed"]
            statuses = [e["params"]["response"]["status"] for e in page.events
                        if e.get("method") == "Network.responseReceived" and "/api/" in e["params"]["response"]["url"]]
            assert statuses and not failed and max(statuses) < 400, (failed, statuses)
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.wait(timeout=30) == 0, served.output()[-3000:]
    finally:
        if served.proc.poll() is None:
            served.kill()
