"""Score narratif's timeline on the blind external set (``tests/data/external/timeline/``, issue #20).

Each unit is read as a run would read it, with no register (``--meta``-less):

- **parisstories**: the story file of ``../shared/corpora/parisstories`` itself, so the recording
  year comes from its name (``2019_…`` → 2019, as ``narratif run`` takes it);
- **seed**: the paragraph alone as a plain-text report (its lines, one per line, in a file named
  like its seed document, which gives no year): the annotators saw the paragraph alone too;
- **cfpp**: the passage as ``scripts/cfpp_passages.py`` rebuilds it (``Speaker : text``, interviewer
  ``ENQ``), as an interview file named after the passage.

narratif reads narrators only: lines it takes for an interviewer's (``ENQ`` in the passages; no
story line here) are left out on both sides, as the guide asks ("annotated but not scored"); the
report says how many gold rows that drops. ``duration`` expressions are not compared (the guide
leaves durations out).

**Dated expressions** (the headline): a gold row with a year, not disputed, is found when a
narratif expression overlapping it on the same line carries the same year (one-to-one). A narratif
expression with a year is a false positive when no gold row overlaps it, the overlapping gold row
has no year, or its year differs. Gold rows whose year the annotators disputed (one gave a year,
the other none) are left out of both sides: neither counted as missed nor, when narratif dates
them, as right or wrong. Two more are left out: a second narratif expression inside a gold row already
found with its year (« en 2016-2017 » is one gold row with year 2016; narratif gives both ends), and
narratif's decades (« dans les années 1970 » carries 1970 as a sort key; the guide gives a decade no
calendar year, and no gold decade has one). The counts of each are printed. **Span**: every gold row against every narratif expression of a compared
kind, matched by overlap (one-to-one), years aside. The baseline dates every four-digit number
1800–2099 of a scored line.

    python benchmarks/eval_timeline_external.py --split dev [--details] [--baseline] [--units U001,U004]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "data" / "external" / "timeline"
COMPARED_KINDS = {"year", "decade", "age", "date", "relative", "period"}
SOURCES = ("parisstories", "seed", "cfpp")
#: The baseline: a four-digit number that could be a year (no word, no context).
_YEAR_DIGITS = re.compile(r"(?<![\d.,])(?:1[89]|20)\d\d(?![\d.,])")


def _read_tsv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _make_packet():
    """The set's own builder (not a package), imported by path: it rebuilds every unit's lines from ../shared."""
    name = "timeline_external_make_packet"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SET / "make_packet.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def read_gold(path: Path = SET / "gold.tsv") -> dict[str, list[dict]]:
    """Gold rows by unit: line, span in the line, kind, year (None if none or disputed), disputed."""
    out: dict[str, list[dict]] = {}
    for r in _read_tsv(path):
        year = r["year"].strip()
        out.setdefault(r["unit"], []).append({
            "line": int(r["line"]), "start": int(r["start"]), "end": int(r["end"]), "expression": r["expression"],
            "kind": r["kind"], "year": int(year) if year.isdigit() else None, "disputed": r["disputed"] == "yes"})
    return out


def unit_document(unit, shared: Path, tmp: Path):
    """The Document a run would make of the unit (see the module docstring)."""
    from narratif.ingest import ingest_file

    if unit.source == "parisstories":
        return ingest_file(shared / "corpora" / "parisstories" / f"{unit.origin}.txt")
    name = f"{unit.origin}.txt"
    if unit.source == "seed":  # the seed document's own file name (« 003_4fc3….txt »: no year in it)
        name = unit.ref.split("#")[0].rsplit("/", 1)[1]
    folder = tmp / unit.uid
    folder.mkdir()
    path = folder / name
    path.write_text("\n".join(unit.lines) + "\n", encoding="utf-8")
    return ingest_file(path)


def _line_starts(lines: list[str]) -> list[int]:
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    return starts


def predictions(doc, nlp, baseline: bool = False) -> tuple[list[dict], set[int]]:
    """narratif's expressions (compared kinds) as line-relative spans, and the lines it reads as an interviewer's."""
    from narratif.nlp.parse import parse_document
    from narratif.timeline.expressions import extract_timeline

    lines = doc.text.split("\n")
    starts = _line_starts(lines)

    def line_of(pos: int) -> int:
        return doc.text.count("\n", 0, pos) + 1

    asked = {n for s in doc.segments if s.role == "interviewer" for n in range(line_of(s.start), line_of(s.end) + 1)}
    out = []
    if baseline:
        for n, line in enumerate(lines, 1):
            out += [{"line": n, "start": m.start(), "end": m.end(), "expression": m.group(), "kind": "year",
                     "year": int(m.group())} for m in _YEAR_DIGITS.finditer(line) if n not in asked]
        return out, asked
    for te in extract_timeline(doc, parse_document(nlp, doc)):
        if te.kind in COMPARED_KINDS:
            n = line_of(te.start)
            out.append({"line": n, "start": te.start - starts[n - 1], "end": te.end - starts[n - 1],
                        "expression": te.expression, "kind": te.kind, "year": te.year})
    return out, asked


def _overlap(a: dict, b: dict) -> bool:
    return a["line"] == b["line"] and a["start"] < b["end"] and b["start"] < a["end"]


def score_unit(gold: list[dict], pred: list[dict]) -> tuple[Counter, list[str]]:
    """Counts for one unit (span and dated) and one line per error, for ``--details``."""
    c, errors = Counter(), []
    free = list(range(len(pred)))
    for g in gold:  # span: every row, one-to-one, first overlapping prediction
        hit = next((i for i in free if _overlap(pred[i], g)), None)
        c["gold"] += 1
        if hit is not None:
            free.remove(hit)
            c["matched"] += 1
    c["pred"] += len(pred)
    # a decade is not a calendar year: narratif's carries its first year as a sort key, the guide's none
    dated = [p for p in pred if p["year"] is not None and p["kind"] != "decade"]
    c["decade_years"] += sum(p["year"] is not None and p["kind"] == "decade" for p in pred)
    scored = [g for g in gold if g["year"] is not None]
    taken: set[int] = set()
    for g in scored:  # dated: the same year on an overlapping expression
        hit = next((i for i, p in enumerate(dated) if i not in taken and _overlap(p, g) and p["year"] == g["year"]),
                   None)
        c["dated_gold"] += 1
        if hit is None:
            near = [p for p in dated if _overlap(p, g)]
            errors.append(f"MISS  {g['line']}: {g['expression']!r} {g['year']}"
                          + (f" (narratif {near[0]['expression']!r} {near[0]['year']})" if near else ""))
        else:
            taken.add(hit)
            c["dated_hit"] += 1
    for i, p in enumerate(dated):
        if i in taken:
            c["dated_pred"] += 1
            continue
        over = [g for g in gold if _overlap(p, g)]
        if any(g["disputed"] for g in over):
            c["dated_disputed"] += 1  # left out of both sides
            continue
        if any(_overlap(dated[j], g) and dated[j]["year"] == g["year"] for j in taken for g in over):
            c["dated_split"] += 1  # « en 2016-2017 », one gold row found already: a part of it, left out
            continue
        c["dated_pred"] += 1
        why = "no gold row" if not over else "gold has no year" if over[0]["year"] is None else \
            f"gold {over[0]['year']}"
        errors.append(f"FP    {p['line']}: {p['expression']!r} {p['year']} ({why})")
    return c, errors


def _prf(hit: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = hit / pred if pred else 0.0
    r = hit / gold if gold else 0.0
    return round(p, 3), round(r, 3), round(2 * p * r / (p + r), 3) if p + r else 0.0


def figures(c: Counter) -> dict:
    dp, dr, df = _prf(c["dated_hit"], c["dated_pred"], c["dated_gold"])
    sp, sr, sf = _prf(c["matched"], c["pred"], c["gold"])
    return {"units": c["units"], "dated_gold": c["dated_gold"], "dated_pred": c["dated_pred"],
            "dated_hit": c["dated_hit"], "P": dp, "R": dr, "F1": df, "span_gold": c["gold"], "span_pred": c["pred"],
            "span_P": sp, "span_R": sr, "span_F1": sf}


def evaluate(shared: Path, split: str | None = None, units: set[str] | None = None, baseline: bool = False,
             details: bool = False, nlp=None) -> dict[str, Counter]:
    """Counts per unit id (``Counter``; ``units`` adds 1), for the units of ``split`` (or the ids given)."""
    from narratif.nlp.parse import load_nlp

    sides = {r["unit"]: r["split"] for r in _read_tsv(SET / "split.tsv")}
    gold = read_gold()
    built, _ = _make_packet().build_units(shared)
    chosen = [u for u in built if (split is None or sides[u.uid] == split) and (units is None or u.uid in units)]
    nlp = nlp if nlp is not None or baseline else load_nlp()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for unit in chosen:
            doc = unit_document(unit, shared, Path(tmp))
            if doc.text.split("\n")[:len(unit.lines)] != unit.lines:
                raise ValueError(f"{unit.uid}: the document's lines differ from the set's ({unit.ref})")
            pred, asked = predictions(doc, nlp, baseline)
            rows = gold.get(unit.uid, [])
            kept = [g for g in rows if g["line"] not in asked]
            c, errors = score_unit(kept, pred)
            c["units"] = 1
            c["interviewer_rows"] = len(rows) - len(kept)
            out[unit.uid] = c
            if details and errors:
                print(f"## {unit.uid} {unit.source} {unit.origin}")
                for e in errors:
                    print("  " + e)
    return out


def table(counts: dict[str, Counter], split_of: dict[str, str], meta: dict[str, dict]) -> list[str]:
    """Rows split × source (and all), each with and without the units the team had seen."""
    keys = ("units", "dated_gold", "dated_pred", "dated_hit", "P", "R", "F1", "span_gold", "span_pred", "span_P",
            "span_R", "span_F1")
    rows = ["split\tsource\tunits seen\t" + "\t".join(keys)]
    for sp in sorted({split_of[u] for u in counts}):
        for source in (*SOURCES, "all"):
            for seen in ("with", "without"):
                total = Counter()
                for u, c in counts.items():
                    if split_of[u] == sp and source in ("all", meta[u]["source"]) \
                            and (seen == "with" or not meta[u]["seen"]):
                        total.update(c)
                if total["units"]:
                    f = figures(total)
                    rows.append(f"{sp}\t{source}\t{seen}\t" + "\t".join(str(f[k]) for k in keys))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--split", choices=("dev", "test"), help="score one split (default: dev)", default="dev")
    ap.add_argument("--units", help="comma-separated unit ids (within the split)")
    ap.add_argument("--baseline", action="store_true", help="score a four-digit-year regex instead of narratif")
    ap.add_argument("--details", action="store_true", help="print each unit's misses and false positives")
    args = ap.parse_args(argv)
    meta = {r["unit"]: r for r in _read_tsv(SET / "units.tsv")}
    split_of = {r["unit"]: r["split"] for r in _read_tsv(SET / "split.tsv")}
    counts = evaluate(args.shared, args.split, set(args.units.split(",")) if args.units else None, args.baseline,
                      args.details)
    print("\n".join(table(counts, split_of, meta)))
    dropped = sum(c["interviewer_rows"] for c in counts.values())
    left = {k: sum(c[k] for c in counts.values()) for k in ("dated_disputed", "dated_split", "decade_years")}
    print(f"# gold rows on interviewer lines (not scored): {dropped}; narratif dated expressions left out: "
          f"{left['dated_disputed']} on disputed-year rows, {left['dated_split']} second parts of a gold row found, "
          f"{left['decade_years']} decades")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
