"""Evaluate timeline extraction (temporal expressions and their years) against hand annotation.

Gold: ``tests/data/timeline/cfpp2000-passages/<passage>.tsv`` (development: the patterns
were revised against it), ``cfpp2000-passages-heldout/`` (20 other passages, annotated by
another annotator after the revision; ``--heldout``) and ``cfpp2000-passages-blind/`` (24 more
passages annotated by two more annotators after ``GUIDE.md`` was written, never used to
revise the patterns; ``--blind``) — ``line  expression  kind
year  note`` over CFPP2000 passages (one speaker turn per line, rebuilt from
``../shared`` by ``scripts/cfpp_passages.py``); ``expression`` is an exact substring of the
line, ``kind`` one of year / decade / age / date / relative / period, ``year`` the calendar
year when the passage makes it certain. narratif reads narrators only, so interviewer
(``ENQ``) lines are left out of the comparison, and its ``duration`` expressions ("pendant
dix ans") are not compared (the annotation scheme leaves durations out).

A prediction matches a gold expression on the same line when their character spans
overlap (one-to-one). Reports precision / recall / F1 of detection, kind agreement on
matches, and year accuracy on matches whose gold gives a year (and how many of those
narratif resolved at all).

    .venv/bin/python benchmarks/eval_timeline.py [--shared ../shared] [--details]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "timeline" / "cfpp2000-passages"
HELDOUT = ROOT / "tests" / "data" / "timeline" / "cfpp2000-passages-heldout"
BLIND = ROOT / "tests" / "data" / "timeline" / "cfpp2000-passages-blind"
COMPARED_KINDS = {"year", "decade", "age", "date", "relative", "period"}


def read_gold(path: Path, lines: list[str]) -> list[dict]:
    """Gold rows with their character span in the line (successive occurrences for repeats)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    out, used = [], Counter()
    for r in rows:
        n = int(r["line"])
        text = lines[n - 1]
        start, k = -1, used[(n, r["expression"])]
        for _ in range(k + 1):
            start = text.find(r["expression"], start + 1)
        used[(n, r["expression"])] += 1
        if start < 0:
            raise ValueError(f"{path.name}:{n}: expression not in line: {r['expression']!r}")
        year = (r.get("year") or "").strip()
        out.append({"line": n, "start": start, "end": start + len(r["expression"]), "expression": r["expression"],
                    "kind": r["kind"].strip(), "year": int(year) if year.isdigit() else None})
    return out


def evaluate(shared: Path, details: bool = False, gold_dir: Path = GOLD) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import cfpp_passages

    from narratif.ingest import ingest_file
    from narratif.nlp.parse import load_nlp, parse_document
    from narratif.timeline.expressions import extract_timeline

    nlp = load_nlp()
    stems = {p.stem for p in gold_dir.glob("*.tsv")}
    totals = Counter()
    kinds = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for src in cfpp_passages.materialise(shared, Path(tmp)):
            if src.stem not in stems:
                continue
            doc = ingest_file(src)
            text = doc.text
            lines = text.split("\n")
            starts = [0]
            for ln in lines:
                starts.append(starts[-1] + len(ln) + 1)
            narrator = {i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("ENQ :")}
            gold = [g for g in read_gold(gold_dir / f"{src.stem}.tsv", lines) if g["line"] in narrator]
            pred = []
            for te in extract_timeline(doc, parse_document(nlp, doc)):
                if te.kind not in COMPARED_KINDS:
                    continue
                n = text.count("\n", 0, te.start) + 1
                pred.append({"line": n, "start": te.start - starts[n - 1], "end": te.end - starts[n - 1],
                             "expression": te.expression, "kind": te.kind, "year": te.year})
            free = list(range(len(pred)))
            for g in gold:
                hit = next((i for i in free if pred[i]["line"] == g["line"]
                            and pred[i]["start"] < g["end"] and g["start"] < pred[i]["end"]), None)
                totals[f"kgold:{g['kind']}"] += 1
                if hit is None:
                    totals["missed"] += 1
                    if details:
                        print(f"  MISS {src.stem}:{g['line']} {g['kind']} {g['expression']!r} {g['year']}")
                    continue
                free.remove(hit)
                p = pred[hit]
                totals["matched"] += 1
                totals[f"khit:{g['kind']}"] += 1
                kinds[(g["kind"], p["kind"])] += 1
                if g["year"] is not None:
                    totals["gold_year"] += 1
                    totals["resolved"] += p["year"] is not None
                    totals["year_ok"] += p["year"] == g["year"]
                    if details and p["year"] != g["year"]:
                        print(f"  YEAR {src.stem}:{g['line']} {g['expression']!r} gold {g['year']} got {p['year']}")
            for i in free:
                if details:
                    print(f"  FA   {src.stem}:{pred[i]['line']} {pred[i]['kind']} {pred[i]['expression']!r}")
            totals["gold"] += len(gold)
            totals["pred"] += len(pred)
            totals["docs"] += 1
    m = totals["matched"]
    p = m / totals["pred"] if totals["pred"] else 0.0
    r = m / totals["gold"] if totals["gold"] else 0.0
    return {
        "passages": totals["docs"], "gold": totals["gold"], "pred": totals["pred"], "matched": m,
        "P": round(p, 3), "R": round(r, 3), "F1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "kind_agreement": round(sum(v for (g, q), v in kinds.items() if g == q) / m, 3) if m else 0.0,
        "gold_with_year": totals["gold_year"],
        "year_resolved": round(totals["resolved"] / totals["gold_year"], 3) if totals["gold_year"] else 0.0,
        "year_accuracy": round(totals["year_ok"] / totals["gold_year"], 3) if totals["gold_year"] else 0.0,
        "kind_confusions": {f"{g}->{q}": v for (g, q), v in kinds.most_common() if g != q},
        "recall_by_kind": {k: f"{totals[f'khit:{k}']}/{totals[f'kgold:{k}']}" for k in sorted(COMPARED_KINDS)
                           if totals[f"kgold:{k}"]},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--details", action="store_true", help="print misses, false alarms and wrong years")
    ap.add_argument("--heldout", action="store_true",
                    help="score the 20 held-out passages (annotated after the patterns were revised) instead")
    ap.add_argument("--blind", action="store_true",
                    help="score the 24 blind passages (annotated with GUIDE.md, never used to revise the patterns)")
    args = ap.parse_args(argv)
    for k, v in evaluate(args.shared, args.details, BLIND if args.blind else HELDOUT if args.heldout else GOLD).items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
