"""Scale benchmark (not in CI): narratif on k copies of CFPP2000 (61 interviews, ~1.2 M words each).

Each copy of a transcript gets its own name and one bracketed line of its own at the end (a
transcription note narratif masks: nothing to analyse, but another content hash, so another
document id). For each scale a fresh ``narratif run`` (topics and reports included) is timed
with the peak RSS of its process tree; then ``report.html`` is opened in headless Chromium and
timed until its charts are drawn, and the store is queried.

    python benchmarks/bench_scale.py --scales 1 10     # ten times the corpus: hours on 2 cores
    python benchmarks/bench_scale.py --scales 1 3      # what fits in an afternoon

Prints one line per scale (seconds per million words: flat when time grows linearly) and
writes ``benchmarks/results/scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import CFPP, load_average, narratif_run  # noqa: E402


def make_corpus(k: int, target: Path) -> Path:
    """k copies of every CFPP2000 transcript, each with a name and content of its own."""
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(CFPP.glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        for i in range(k):
            name = f"{f.stem}__copie{i:02d}{f.suffix}"
            (target / name).write_text(text.rstrip("\n") + f"\n[copie {i:02d}]\n", encoding="utf-8")
    return target


def report_draw_seconds(report: Path, timeout: float = 120.0) -> dict:
    """Headless Chromium opens report.html and runs until its Plotly charts are drawn."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"error": "chromium not installed (scripts/install_browser.sh)"}
    probe = report.parent / "_bench_probe.html"
    html = report.read_text(encoding="utf-8")
    script = ("<script>window.addEventListener('load',()=>{"
              "const n=[...document.querySelectorAll('.js-plotly-plot')]"
              ".filter(e=>e.querySelector('.main-svg')).length;"
              "const all=document.querySelectorAll('.js-plotly-plot').length;"
              "document.title='drawn:'+(performance.now()/1000).toFixed(3)+':'+n+':'+all;});</script>")
    probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    t0 = time.perf_counter()  # browser start, parse, scripts, charts drawn, DOM dumped
    res = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    probe.unlink(missing_ok=True)
    import re

    m = re.search(r"<title>drawn:([0-9.]+):(\d+):(\d+)</title>", res.stdout)
    return {"browser_wall_seconds": round(wall, 2), "load_event_seconds": float(m.group(1)) if m else None,
            "charts_drawn": int(m.group(2)) if m else 0, "charts": int(m.group(3)) if m else 0,
            "report_mb": round(report.stat().st_size / 2**20, 2)}


def store_query_seconds(out: Path) -> dict:
    from narratif.store import Store

    t0 = time.perf_counter()
    with Store(out, read_only=True) as store:
        codings = store.table("codings")
        n_sent = len(store.table("sentences"))
    return {"query_seconds": round(time.perf_counter() - t0, 2), "codings": len(codings), "sentences": n_sent}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    work = Path(tempfile.mkdtemp(prefix="narratif-scale-"))
    results = {"scales": [], "cpus": os.cpu_count()}
    try:
        for k in args.scales:
            corpus = make_corpus(k, work / f"corpus{k}")
            if not any(corpus.iterdir()):
                raise SystemExit(f"no CFPP2000 transcripts in {CFPP} (set NARRATIF_SHARED)")
            load_before = load_average()
            r = narratif_run([corpus], work / f"out{k}")
            r.update(scale=k, documents=sum(1 for _ in corpus.iterdir()), load_before=load_before,
                     load_after=load_average(),
                     seconds_per_million_words=r["seconds"] / (r["words"] / 1e6))
            r.update(report_draw_seconds(work / f"out{k}" / "report.html"))
            r.update(store_query_seconds(work / f"out{k}"))
            results["scales"].append(r)
            print(json.dumps(r), flush=True)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2))
            shutil.rmtree(corpus, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
