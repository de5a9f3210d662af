#!/usr/bin/env python3
"""Agreement between the two timeline annotators (ann-A.tsv, ann-B.tsv) and the gold they agree on.

Rows are `unit<TAB>line<TAB>expression<TAB>kind<TAB>year<TAB>note` (ANNOTATOR-TIMELINE.md). Each
expression is placed in its line (the unit lines are rebuilt from ../shared by make_packet.py;
whitespace is compared loosely, a repeated expression takes its next occurrence). Two rows match
when they are on the same unit and line and their character spans overlap; matching is one-to-one,
largest overlap first. Reported, overall and by source:

  span agreement   F1 = 2 * matched / (rows A + rows B), for all rows and for rows with a year
                   (a pair counts there when both gave a year);
  kind agreement   share of matched pairs with the same kind, and Cohen's kappa;
  year agreement   share of matched pairs where both gave a year that give the same year.

gold.tsv holds the matched pairs: A's span and kind (B's beside them), the kind only when both
agree, the year only when both agree (both empty: no year; otherwise empty and disputed=yes).
Rows one annotator alone marked are left out of the gold and listed in the report.

    python3 agreement.py                 # from this folder: writes agreement-report.md, gold.tsv
    python3 agreement.py --check ann-B.tsv   # format check of one file, compares with no one
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ["unit", "line", "expression", "kind", "year", "note"]
KINDS = ("year", "decade", "age", "date", "relative", "period")
GOLD_FIELDS = ["unit", "line", "start", "end", "expression", "kind", "year", "disputed", "kind_disputed",
               "expression_b", "kind_a", "kind_b", "year_a", "year_b"]


def locate(line: str, expression: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The span of ``expression`` in ``line`` (whitespace runs compared loosely), avoiding spans taken."""
    words = expression.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    found = [(m.start(), m.end()) for m in pattern.finditer(line)]
    # an annotator does not mark the same words twice: a row inside an earlier one is a later occurrence
    free = [s for s in found if not any(s[0] < e and b < s[1] for b, e in taken)]
    return (free or found or [None])[0]


def read_answers(path: Path, units: dict[str, list[str]]) -> tuple[list[dict], list[str]]:
    """Valid rows of one annotator's file with their spans, and one message per invalid row."""
    rows, problems, taken = [], [], {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__})"]
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:len(FIELDS)]] != FIELDS:
        return [], [f"{path}: the first line must be the header {chr(9).join(FIELDS)!r}"]
    for n, raw in enumerate(reader, 2):
        if not any(cell.strip() for cell in raw):
            continue
        cells = [c.strip() for c in raw] + [""] * (len(FIELDS) - len(raw))
        unit, line, expression, kind, year = cells[:5]
        where = f"{path.name}:{n}"
        if unit not in units:
            problems.append(f"{where}: unknown unit {unit!r}")
        elif not line.isdigit() or not 1 <= int(line) <= len(units[unit]):
            problems.append(f"{where}: line {line!r} is not a line of {unit} (1..{len(units[unit])})")
        elif kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        elif year and not (year.isdigit() and 1000 <= int(year) <= 2100):
            problems.append(f"{where}: year {year!r} is not a calendar year (four digits) or empty")
        else:
            spans = taken.setdefault((unit, int(line)), [])
            span = locate(units[unit][int(line) - 1], expression, spans)
            if span is None:
                problems.append(f"{where}: expression {expression!r} is not in {unit} line {line}")
                continue
            spans.append(span)
            rows.append({"unit": unit, "line": int(line), "start": span[0], "end": span[1],
                         "expression": expression, "kind": kind, "year": int(year) if year else None})
    return rows, problems


def match(rows_a: list[dict], rows_b: list[dict]) -> list[tuple[dict, dict]]:
    """One-to-one pairs of rows on the same unit and line whose spans overlap, largest overlap first."""
    candidates = []
    for i, a in enumerate(rows_a):
        for j, b in enumerate(rows_b):
            if (a["unit"], a["line"]) == (b["unit"], b["line"]):
                overlap = min(a["end"], b["end"]) - max(a["start"], b["start"])
                if overlap > 0:
                    candidates.append((-overlap, i, j))
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((rows_a[i], rows_b[j]))
    return sorted(pairs, key=lambda p: (p[0]["unit"], p[0]["line"], p[0]["start"]))


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(rows_a: list[dict], rows_b: list[dict]) -> dict:
    """The figures of the module doc for one scope."""
    pairs = match(rows_a, rows_b)
    dated_a = sum(r["year"] is not None for r in rows_a)
    dated_b = sum(r["year"] is not None for r in rows_b)
    both_dated = [(a, b) for a, b in pairs if a["year"] is not None and b["year"] is not None]

    def f1(m: int, total: int) -> float | None:
        return 2 * m / total if total else None

    return {
        "rows_a": len(rows_a), "rows_b": len(rows_b), "matched": len(pairs),
        "span_f1": f1(len(pairs), len(rows_a) + len(rows_b)),
        "dated_a": dated_a, "dated_b": dated_b, "dated_matched": len(both_dated),
        "dated_span_f1": f1(len(both_dated), dated_a + dated_b),
        "kind_agree": sum(a["kind"] == b["kind"] for a, b in pairs) / len(pairs) if pairs else None,
        "kind_kappa": cohen_kappa([(a["kind"], b["kind"]) for a, b in pairs]),
        "year_agree": (sum(a["year"] == b["year"] for a, b in both_dated) / len(both_dated)
                       if both_dated else None),
        "year_one_side": sum((a["year"] is None) != (b["year"] is None) for a, b in pairs),
    }


def gold_rows(pairs: list[tuple[dict, dict]]) -> list[dict]:
    out = []
    for a, b in pairs:
        same_year = a["year"] == b["year"]
        out.append({"unit": a["unit"], "line": a["line"], "start": a["start"], "end": a["end"],
                    "expression": a["expression"], "kind": a["kind"] if a["kind"] == b["kind"] else "",
                    "year": a["year"] if same_year and a["year"] is not None else "",
                    "disputed": "no" if same_year else "yes",
                    "kind_disputed": "no" if a["kind"] == b["kind"] else "yes",
                    "expression_b": b["expression"], "kind_a": a["kind"], "kind_b": b["kind"],
                    "year_a": a["year"] if a["year"] is not None else "",
                    "year_b": b["year"] if b["year"] is not None else ""})
    return out


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def report(scopes: dict[str, dict], problems: list[str], alone: list[tuple[str, dict]]) -> str:
    cols = ["rows_a", "rows_b", "matched", "span_f1", "dated_a", "dated_b", "dated_matched", "dated_span_f1",
            "kind_agree", "kind_kappa", "year_agree", "year_one_side"]
    out = ["# Timeline annotation agreement (A vs B)", "",
           ("Written by `agreement.py`. Spans match when they overlap on the same unit and line (one-to-one). "
            "`span_f1` = 2·matched / (rows A + rows B); `dated_*`: rows with a year (a pair counts when both "
            "gave one); `kind_*` on matched pairs; `year_agree` on matched pairs where both gave a year; "
            "`year_one_side`: matched pairs where only one gave a year."), "",
           "| scope | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    out += [f"| {name} | " + " | ".join(_fmt(s[c]) for c in cols) + " |" for name, s in scopes.items()]
    out += ["", f"## Rows left out as invalid ({len(problems)})", ""] + [f"- {p}" for p in problems]
    out += ["", f"## Rows only one annotator marked ({len(alone)})", "", "| who | unit | line | expression | kind |",
            "|---|---|---|---|---|"]
    out += ["| {} | {} | {} | {} | {} |".format(who, r["unit"], r["line"], r["expression"].replace("|", "\\|"), r["kind"])
            for who, r in alone]
    return "\n".join(out) + "\n"


def load_units() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every unit's lines (rebuilt from ../shared) and its source."""
    spec = importlib.util.spec_from_file_location("timeline_make_packet", HERE / "make_packet.py")
    mk = sys.modules["timeline_make_packet"] = importlib.util.module_from_spec(spec)  # dataclasses need it
    spec.loader.exec_module(mk)
    units, _ = mk.build_units()
    return {u.uid: u.lines for u in units}, {u.uid: u.source for u in units}


def run(path_a: Path, path_b: Path, units: dict[str, list[str]], sources: dict[str, str], out: Path) -> dict:
    rows_a, problems_a = read_answers(path_a, units)
    rows_b, problems_b = read_answers(path_b, units)
    scopes = {"all": agreement(rows_a, rows_b)}
    for source in sorted(set(sources.values())):
        scopes[source] = agreement([r for r in rows_a if sources[r["unit"]] == source],
                                   [r for r in rows_b if sources[r["unit"]] == source])
    pairs = match(rows_a, rows_b)
    ids_a, ids_b = {id(a) for a, _ in pairs}, {id(b) for _, b in pairs}
    alone = sorted([("A", r) for r in rows_a if id(r) not in ids_a] + [("B", r) for r in rows_b if id(r) not in ids_b],
                   key=lambda x: (x[1]["unit"], x[1]["line"], x[1]["start"], x[0]))
    (out / "agreement-report.md").write_text(report(scopes, problems_a + problems_b, alone), encoding="utf-8")
    with (out / "gold.tsv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, GOLD_FIELDS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                           escapechar="\\")
        w.writeheader()
        w.writerows(gold_rows(pairs))
    return scopes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", type=Path, help="check the format of one answer file only")
    ap.add_argument("-a", type=Path, default=HERE / "ann-A.tsv")
    ap.add_argument("-b", type=Path, default=HERE / "ann-B.tsv")
    args = ap.parse_args(argv)
    units, sources = load_units()
    if args.check:
        rows, problems = read_answers(args.check, units)
        for p in problems:
            print(p)
        kinds = Counter(r["kind"] for r in rows)
        print(f"{len(rows)} valid rows, {len(problems)} problems, {len({r['unit'] for r in rows})} units with a row; "
              + ", ".join(f"{k} {kinds[k]}" for k in KINDS))
        return 1 if problems else 0
    for path in (args.a, args.b):
        if not path.is_file():
            print(f"{path}: missing (both ann-A.tsv and ann-B.tsv are needed)", file=sys.stderr)
            return 2
    scopes = run(args.a, args.b, units, sources, HERE)
    s = scopes["all"]
    print(f"span F1 {_fmt(s['span_f1'])}, dated span F1 {_fmt(s['dated_span_f1'])}, kind kappa "
          f"{_fmt(s['kind_kappa'])}, year agreement {_fmt(s['year_agree'])} -> agreement-report.md, gold.tsv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
