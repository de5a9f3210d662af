"""How often is the year given to a turning point right? Measured on real interviews.

Gold: ``benchmarks/tp_years/items.tsv`` — 218 turning points that narratif found in the
CFPP2000 transcripts (158 it had dated with its first rules, 60 drawn at random among
those it had not), each dated *blind* by one of three annotators from the transcript
lines before it and the narrator's birth year (``tp_years/GUIDE.md``): ``year`` with
``certain`` (the excerpt dates the event) or ``approx`` (±3 years from nearby dates), or
``unknown`` (not datable, or not an event at all). Items point into ``../shared`` by file
and character offsets; no transcript text is copied.

The documents are analysed exactly as ``narratif run --meta metadata.csv`` does
(``pipeline.Analyzer``), with CFPP2000's own ``metadata.csv``: one row per person, matched to
files by the names in their file names (two-person files get one birth year per person). A year counts as right when it
is within 1 year of a ``certain`` gold year or 3 of an ``approx`` one.

    .venv/bin/python benchmarks/eval_tp_years.py [--shared ../shared] [--details]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITEMS = ROOT / "benchmarks" / "tp_years" / "items.tsv"


def read_items(path: Path = ITEMS) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def analyse(shared: Path, names: list[str]) -> dict[str, list]:
    """File name → its turning points (with years), as a run computes them."""
    from narratif.ingest.attributes import load_attributes
    from narratif.ingest import ingest_file
    from narratif.pipeline.steps import Analyzer, RunSettings

    files = [shared / "corpora" / "cfpp2000" / n for n in names]
    table = load_attributes(shared / "corpora" / "cfpp2000" / "metadata.csv")  # one row per person
    with tempfile.TemporaryDirectory() as tmp:
        analyzer = Analyzer(RunSettings(out=Path(tmp) / "out", topics=False, report=False))
        return {f.name: analyzer.analyse(ingest_file(f, table.for_file(f))).turning_points for f in files}


def score(items: list[dict], found: dict[str, list]) -> dict:
    c = Counter()
    details = []
    for it in items:
        start = int(it["start"])
        tp = next((t for t in found.get(it["file"], []) if t.start <= start < t.end or start <= t.start < int(it["end"])),
                  None)
        if tp is None:
            c["no_longer_detected"] += 1
            continue
        c["scored"] += 1
        gold = int(it["year"]) if it["year"].strip().isdigit() else None
        known = gold is not None and it["confidence"] in ("certain", "approx")
        c["gold_known"] += known
        if tp.year is None:
            verdict = "missed" if known else "undated"
        elif not known:
            verdict = "not_an_event" if "not an event" in it["basis"].lower() else "unverifiable"
        else:
            verdict = "right" if abs(tp.year - gold) <= (1 if it["confidence"] == "certain" else 3) else "wrong"
        c[verdict] += 1
        c["dated"] += tp.year is not None
        details.append((it["item"], it["file"], tp.year, gold, it["confidence"], verdict, tp.time_anchor))
    dated = c["dated"]
    events = dated - c["not_an_event"]
    return {
        "items": len(items), "scored": c["scored"], "no_longer_detected": c["no_longer_detected"],
        "dated": dated, "right": c["right"], "wrong": c["wrong"], "unverifiable": c["unverifiable"],
        "not_an_event": c["not_an_event"], "missed": c["missed"], "gold_known": c["gold_known"],
        "precision": round(c["right"] / dated, 3) if dated else 0.0,
        "precision_on_events": round(c["right"] / events, 3) if events else 0.0,
        "recall": round(c["right"] / c["gold_known"], 3) if c["gold_known"] else 0.0,
        "details": details,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--details", action="store_true")
    args = ap.parse_args(argv)
    items = read_items()
    result = score(items, analyse(args.shared, sorted({it["file"] for it in items})))
    for k, v in result.items():
        if k != "details":
            print(f"{k}: {v}")
    if args.details:
        for row in result["details"]:
            if row[5] in ("wrong", "missed"):
                print("  ", *row, sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main())
