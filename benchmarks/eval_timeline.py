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

**Dated expressions** (the issue-20 measure): the expressions that carry a calendar year.
``dated_P`` = narratif's dated expressions that match a gold expression with a year / all
narratif's dated expressions; ``dated_R`` = gold expressions with a year matched by a dated
expression / all gold expressions with a year. ``year_P`` / ``year_R`` count only those whose
year is the gold year. ``--meta`` gives each passage the CFPP2000 register's attributes (birth
years, age: the interview year), as ``narratif run --meta`` does; the annotators worked from the
passage alone, so years narratif takes from the register (ages, « il y a vingt ans ») have no
gold year to match and count against ``dated_P`` there.

    .venv/bin/python benchmarks/eval_timeline.py [--shared ../shared] [--details] [--heldout|--blind|--all] [--meta]
"""

from __future__ import annotations

import argparse
import csv
import re
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
    out, used, spans = [], Counter(), {}
    for r in rows:
        n = int(r["line"])
        text = lines[n - 1]
        start, k = -1, used[(n, r["expression"])]
        for _ in range(k + 1):
            start = text.find(r["expression"], start + 1)
        # « l'année en soixante-huit … et soixante-huit moi j'ai passé »: a row inside an earlier row of the
        # same line means a later occurrence
        while start >= 0 and any(a <= start < b for a, b in spans.get(n, ())):
            start = text.find(r["expression"], start + 1)
        used[(n, r["expression"])] += 1
        if start < 0:
            raise ValueError(f"{path.name}:{n}: expression not in line: {r['expression']!r}")
        spans.setdefault(n, []).append((start, start + len(r["expression"])))
        year = (r.get("year") or "").strip()
        out.append({"line": n, "start": start, "end": start + len(r["expression"]), "expression": r["expression"],
                    "kind": r["kind"].strip(), "year": int(year) if year.isdigit() else None})
    return out


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 3) if p + r else 0.0


#: The simple baseline: a four-digit number that could be a year (digits only, no word, no context).
_YEAR_DIGITS = re.compile(r"(?<![\d.,])(?:1[89]|20)\d\d(?![\d.,])")


def baseline_expressions(doc) -> list:
    """Every four-digit year-like number of the narrators' lines as a dated year (the usual regex)."""
    from narratif.models import TimeExpression

    out, at = [], 0
    for line in doc.text.split("\n"):
        if not line.startswith("ENQ :"):
            out += [TimeExpression(doc_id=doc.doc_id, sent_id=0, start=at + m.start(), end=at + m.end(),
                                   expression=m.group(), kind="year", value=m.group(), orientation="past",
                                   year=int(m.group())) for m in _YEAR_DIGITS.finditer(line)]
        at += len(line) + 1
    return out


def evaluate(shared: Path, details: bool = False, gold_dir: Path = GOLD, meta: bool = False, nlp=None,
             baseline: bool = False) -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import cfpp_passages

    from narratif.ingest import ingest_file
    from narratif.ingest.attributes import load_attributes
    from narratif.nlp.parse import load_nlp, parse_document
    from narratif.timeline.expressions import extract_timeline

    nlp = nlp or load_nlp()
    table = load_attributes(shared / "corpora" / "cfpp2000" / "metadata.csv") if meta else None
    stems = {p.stem for p in gold_dir.glob("*.tsv")}
    totals = Counter()
    kinds = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for src in cfpp_passages.materialise(shared, Path(tmp)):
            if src.stem not in stems:
                continue
            source = shared / "corpora" / "cfpp2000" / f"{src.stem.rsplit('__', 1)[0]}.txt"
            doc = ingest_file(src, table.for_file(source) if table is not None else None)
            text = doc.text
            lines = text.split("\n")
            starts = [0]
            for ln in lines:
                starts.append(starts[-1] + len(ln) + 1)
            narrator = {i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("ENQ :")}
            gold = [g for g in read_gold(gold_dir / f"{src.stem}.tsv", lines) if g["line"] in narrator]
            pred = []
            found = baseline_expressions(doc) if baseline else extract_timeline(doc, parse_document(nlp, doc))
            for te in found:
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
                totals["dated_gold"] += g["year"] is not None
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
                if p["year"] is not None and g["year"] is not None:
                    totals["dated_hit"] += 1
                    totals["dated_year_ok"] += p["year"] == g["year"]
                elif p["year"] is not None and details:
                    print(f"  DFA  {src.stem}:{g['line']} {p['expression']!r} got {p['year']} (gold has no year)")
                if g["year"] is not None:
                    totals["gold_year"] += 1
                    totals["resolved"] += p["year"] is not None
                    totals["year_ok"] += p["year"] == g["year"]
                    if details and p["year"] != g["year"]:
                        print(f"  YEAR {src.stem}:{g['line']} {g['expression']!r} gold {g['year']} got {p['year']}")
            for i in free:
                if details and pred[i]["year"] is not None:
                    print(f"  DFA  {src.stem}:{pred[i]['line']} {pred[i]['expression']!r} got {pred[i]['year']}")
                if details:
                    print(f"  FA   {src.stem}:{pred[i]['line']} {pred[i]['kind']} {pred[i]['expression']!r}")
            totals["gold"] += len(gold)
            totals["pred"] += len(pred)
            totals["dated_pred"] += sum(q["year"] is not None for q in pred)
            totals["docs"] += 1
    m = totals["matched"]
    p = m / totals["pred"] if totals["pred"] else 0.0
    r = m / totals["gold"] if totals["gold"] else 0.0
    dp = totals["dated_hit"] / totals["dated_pred"] if totals["dated_pred"] else 0.0
    dr = totals["dated_hit"] / totals["dated_gold"] if totals["dated_gold"] else 0.0
    yp = totals["dated_year_ok"] / totals["dated_pred"] if totals["dated_pred"] else 0.0
    yr = totals["dated_year_ok"] / totals["dated_gold"] if totals["dated_gold"] else 0.0
    return {
        "passages": totals["docs"], "gold": totals["gold"], "pred": totals["pred"], "matched": m,
        "P": round(p, 3), "R": round(r, 3), "F1": _f1(p, r),
        "kind_agreement": round(sum(v for (g, q), v in kinds.items() if g == q) / m, 3) if m else 0.0,
        "gold_with_year": totals["gold_year"],
        "year_resolved": round(totals["resolved"] / totals["gold_year"], 3) if totals["gold_year"] else 0.0,
        "year_accuracy": round(totals["year_ok"] / totals["gold_year"], 3) if totals["gold_year"] else 0.0,
        "dated_gold": totals["dated_gold"], "dated_pred": totals["dated_pred"], "dated_matched": totals["dated_hit"],
        "dated_P": round(dp, 3), "dated_R": round(dr, 3), "dated_F1": _f1(dp, dr),
        "year_P": round(yp, 3), "year_R": round(yr, 3), "year_F1": _f1(yp, yr),
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
    ap.add_argument("--all", action="store_true", help="score the three sets, one summary line each")
    ap.add_argument("--meta", action="store_true", help="give the passages the CFPP2000 register's attributes")
    ap.add_argument("--baseline", action="store_true", help="score a four-digit-year regex instead of narratif")
    args = ap.parse_args(argv)
    if args.all:
        from narratif.nlp.parse import load_nlp

        nlp = load_nlp()
        keys = ("P", "R", "F1", "dated_gold", "dated_pred", "dated_P", "dated_R", "dated_F1", "year_P", "year_R",
                "year_F1")
        print("set\t" + "\t".join(keys))
        for name, gold in (("development", GOLD), ("held-out", HELDOUT), ("blind", BLIND)):
            r = evaluate(args.shared, args.details, gold, args.meta, nlp, args.baseline)
            print(name + "\t" + "\t".join(str(r[k]) for k in keys))
        return 0
    for k, v in evaluate(args.shared, args.details, BLIND if args.blind else HELDOUT if args.heldout else GOLD,
                         args.meta, baseline=args.baseline).items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
