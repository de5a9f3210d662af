#!/usr/bin/env python3
"""Inter-annotator agreement and adjudicated gold for the blind external annotations.

Folders (under --root, default: the folder of this script):
  themes/            paragraphs.tsv (id, source, ref), split.tsv (id, split),
                      ann-A.tsv, ann-B.tsv [, ann-C.tsv]  -> id, primary, secondary
  tp_types/          items.tsv (story, line), split.tsv (story, split),
                      ann-A.tsv, ann-B.tsv [, ann-C.tsv]  -> story, line, type, polarity

For each folder that has both ann-A.tsv and ann-B.tsv it prints, and writes to
agreement-report.md in that folder:
  themes  Cohen's kappa and raw agreement on the primary label (six themes + none), with a
          bootstrap 95 % interval, overall / by source / by split / on items both gave a
          theme; theme-vs-none kappa; the A x B confusion table; per-theme Jaccard of the
          items each annotator tagged with the theme (primary or secondary); mean per-item
          Jaccard of the theme sets.
  tp      kappa and raw agreement on type and on polarity (overall / by split / by year),
          joint type+polarity agreement, the A x B type confusion table.
and writes gold.tsv: agreement -> the label (status `agreed`); disagreement -> `disputed`
with both labels kept, to be resolved by a third pass (ann-C.tsv: where C sides with A or B
the majority label is taken, status `resolved-by-C`) or excluded from evaluation.

  --check FILE   validate one answer file against its folder's items and exit.
Only the standard library; no file is modified except agreement-report.md and gold.tsv.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from pathlib import Path

THEMES = ("cooperation", "pouvoirs_publics", "habitants", "culture_entrepreneuriale",
          "modeles_economiques", "gouvernance")
PRIMARY = THEMES + ("none",)
TYPES = ("rencontre", "rupture", "decision", "revelation", "resolution", "mobilite")
POLARITIES = ("obstacle", "levier", "none")
SEED = 20261206


class BadFile(Exception):
    """A malformed input file; the message names the file and the reason."""


# ---------------------------------------------------------------- reading and checking
def read_tsv(path: Path, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows (line number, fields) of a TSV whose first line starts with `header`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(f"{path}: not UTF-8 text")
    except OSError as err:
        raise BadFile(f"{path}: cannot read ({err.strerror})")
    lines = text.splitlines()
    if not lines:
        raise BadFile(f"{path}: empty file")
    got = tuple(h.strip() for h in lines[0].split("\t"))
    if got[: len(header)] != header:
        raise BadFile(f"{path}: header must start with {'<TAB>'.join(header)}, found {lines[0]!r}")
    return [(n, [f.strip() for f in line.split("\t")])
            for n, line in enumerate(lines[1:], 2) if line.strip()]


def read_theme_answers(path: Path, items: dict) -> tuple[dict, list[str]]:
    """{id: (primary, frozenset(secondary))} and the list of problems found."""
    answers, problems = {}, []
    for n, f in read_tsv(path, ("id", "primary", "secondary")):
        where = f"{path}:{n}"
        pid, primary = f[0], f[1] if len(f) > 1 else ""
        secondary = [s.strip() for s in (f[2] if len(f) > 2 else "").split(",") if s.strip()]
        if pid not in items:
            problems.append(f"{where}: unknown id {pid!r}")
            continue
        if pid in answers:
            problems.append(f"{where}: id {pid} given twice")
            continue
        if primary not in PRIMARY:
            problems.append(f"{where}: primary {primary!r} is not one of {', '.join(PRIMARY)}")
            continue
        bad = [s for s in secondary if s not in THEMES]
        if bad:
            problems.append(f"{where}: secondary {', '.join(bad)} not a theme id")
            continue
        if primary in secondary:
            problems.append(f"{where}: secondary repeats the primary {primary}")
            continue
        if len(secondary) > 3 or len(set(secondary)) != len(secondary):
            problems.append(f"{where}: at most three distinct secondary themes")
            continue
        answers[pid] = (primary, frozenset(secondary))
    return answers, problems


def read_tp_answers(path: Path, items: dict) -> tuple[dict, list[str]]:
    """{(story, line): (type, polarity)} and the list of problems found."""
    answers, problems = {}, []
    for n, f in read_tsv(path, ("story", "line", "type", "polarity")):
        where = f"{path}:{n}"
        if len(f) < 4:
            problems.append(f"{where}: needs 4 tab-separated fields, found {len(f)}")
            continue
        story, line, typ, pol = f[:4]
        key = (story, int(line)) if line.isdigit() else None
        if key not in items:
            problems.append(f"{where}: ({story}, {line}) is not a marked line of the packet")
            continue
        if key in answers:
            problems.append(f"{where}: ({story}, {line}) given twice")
            continue
        if typ not in TYPES:
            problems.append(f"{where}: type {typ!r} is not one of {', '.join(TYPES)}")
            continue
        if pol not in POLARITIES:
            problems.append(f"{where}: polarity {pol!r} is not one of {', '.join(POLARITIES)}")
            continue
        answers[key] = (typ, pol)
    return answers, problems


def theme_items(folder: Path) -> dict:
    split = {f[0]: f[1] for _, f in read_tsv(folder / "split.tsv", ("id", "split"))}
    return {f[0]: {"source": f[1], "split": split.get(f[0], "?")}
            for _, f in read_tsv(folder / "paragraphs.tsv", ("id", "source", "ref"))}


def tp_items(folder: Path) -> dict:
    split = {f[0]: f[1] for _, f in read_tsv(folder / "split.tsv", ("story", "split"))}
    return {(f[0], int(f[1])): {"year": f[0][:4], "split": split.get(f[0], "?")}
            for _, f in read_tsv(folder / "items.tsv", ("story", "line"))}


# ---------------------------------------------------------------- statistics
def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of (label A, label B) pairs; nan when chance agreement is total."""
    n = len(pairs)
    if n == 0:
        return math.nan
    observed = sum(a == b for a, b in pairs) / n
    count_a, count_b = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    return math.nan if expected == 1 else (observed - expected) / (1 - expected)


def raw(pairs) -> float:
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else math.nan


def bootstrap(pairs, stat, n_boot: int) -> tuple[float, float]:
    """Percentile 95 % interval of stat over items resampled with replacement."""
    if len(pairs) < 2 or n_boot <= 0:
        return math.nan, math.nan
    rng = random.Random(SEED)
    values = sorted(v for v in (stat([rng.choice(pairs) for _ in pairs]) for _ in range(n_boot))
                    if not math.isnan(v))
    if not values:
        return math.nan, math.nan
    return values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]


def fmt(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def agreement_rows(title: str, groups: dict, n_boot: int) -> list[str]:
    out = [f"| {title} | n | raw agreement | Cohen's kappa | kappa 95 % CI |", "|---|---|---|---|---|"]
    for name, pairs in groups.items():
        lo, hi = bootstrap(pairs, kappa, n_boot)
        out.append(f"| {name} | {len(pairs)} | {fmt(raw(pairs))} | {fmt(kappa(pairs))} | {fmt(lo)}–{fmt(hi)} |")
    return out


def grouped(keys, items, field, pick):
    groups = {"all": [pick(k) for k in keys]}
    for value in sorted({items[k][field] for k in keys}):
        groups[f"{field} {value}"] = [pick(k) for k in keys if items[k][field] == value]
    return groups


def confusion(pairs, labels, name_a="A", name_b="B") -> list[str]:
    used = [l for l in labels if any(l in p for p in pairs)]
    count = Counter(pairs)
    out = [f"| {name_a} \\ {name_b} | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    for a in used:
        out.append(f"| {a} | " + " | ".join(str(count[(a, b)] or "·") for b in used) + " |")
    return out


def adjudicate(a: str, b: str, c: str | None) -> tuple[str, str]:
    """(status, label) of one decision from two passes and an optional third."""
    if a == b:
        return "agreed", a
    if c is not None and c in (a, b):
        return "resolved-by-C", c
    return "disputed", "disputed"


# ---------------------------------------------------------------- themes
def theme_report(folder: Path, ans: dict, items: dict, n_boot: int) -> list[str]:
    a, b = ans["A"], ans["B"]
    both = sorted(set(a) & set(b))
    prim = lambda k: (a[k][0], b[k][0])
    out = [f"# Theme annotation agreement ({folder.name})", "",
           f"Items: {len(items)}; annotated by A: {len(a)}, by B: {len(b)}, by both: {len(both)}.", ""]
    out += agreement_rows("primary label (6 themes + none)", {
        **grouped(both, items, "source", prim),
        **{k: v for k, v in grouped(both, items, "split", prim).items() if k != "all"},
        "both gave a theme (not none)": [prim(k) for k in both if "none" not in prim(k)],
    }, n_boot)
    binary = [tuple("none" if x == "none" else "theme" for x in prim(k)) for k in both]
    out += ["", *agreement_rows("theme vs none", {"all": binary}, n_boot), ""]
    out += ["Primary labels, A (rows) by B (columns):", "", *confusion([prim(k) for k in both], PRIMARY), ""]
    sets = {who: {k: ({ans[who][k][0]} - {"none"}) | ans[who][k][1] for k in both} for who in "AB"}
    out += ["| theme | items A | items B | both | Jaccard |", "|---|---|---|---|---|"]
    for t in THEMES:
        in_a = {k for k in both if t in sets["A"][k]}
        in_b = {k for k in both if t in sets["B"][k]}
        union = in_a | in_b
        jac = len(in_a & in_b) / len(union) if union else math.nan
        out.append(f"| {t} | {len(in_a)} | {len(in_b)} | {len(in_a & in_b)} | {fmt(jac)} |")
    per_item = [len(sets["A"][k] & sets["B"][k]) / len(sets["A"][k] | sets["B"][k])
                if sets["A"][k] | sets["B"][k] else 1.0 for k in both]
    mean = sum(per_item) / len(per_item) if per_item else math.nan
    out += ["", f"Mean per-item Jaccard of theme sets (primary + secondary, none = empty set): {fmt(mean)}"]
    return out


def theme_gold(folder: Path, ans: dict, items: dict) -> Counter:
    a, b, c = ans["A"], ans["B"], ans.get("C", {})
    status_count = Counter()
    with open(folder / "gold.tsv", "w", encoding="utf-8") as f:
        f.write("id\tsource\tsplit\tstatus\tprimary\tsecondary\tsecondary_one_annotator\t"
                "A_primary\tA_secondary\tB_primary\tB_secondary\tC_primary\n")
        for k in sorted(items):
            if k not in a or k not in b:
                status, label, sec, one = "missing", "", "", ""
            else:
                status, label = adjudicate(a[k][0], b[k][0], c[k][0] if k in c else None)
                set_a, set_b = a[k][1] | {a[k][0]}, b[k][1] | {b[k][0]}
                sec = ",".join(sorted((set_a & set_b) - {label, "none"}))
                one = ",".join(sorted((set_a ^ set_b) - {"none", label}))
            status_count[status] += 1
            cols = [k, items[k]["source"], items[k]["split"], status, label, sec, one]
            for who in "AB":
                p = ans[who].get(k)
                cols += [p[0], ",".join(sorted(p[1]))] if p else ["", ""]
            cols.append(c[k][0] if k in c else "")
            f.write("\t".join(cols) + "\n")
    return status_count


# ---------------------------------------------------------------- turning-point types
def tp_report(folder: Path, ans: dict, items: dict, n_boot: int) -> list[str]:
    a, b = ans["A"], ans["B"]
    both = sorted(set(a) & set(b))
    typ = lambda k: (a[k][0], b[k][0])
    pol = lambda k: (a[k][1], b[k][1])
    joint = lambda k: (a[k], b[k])
    out = [f"# Turning-point type agreement ({folder.name})", "",
           f"Marked lines: {len(items)}; typed by A: {len(a)}, by B: {len(b)}, by both: {len(both)}.", ""]
    out += agreement_rows("type", {**grouped(both, items, "split", typ),
                                   **{k: v for k, v in grouped(both, items, "year", typ).items() if k != "all"}},
                          n_boot)
    out += ["", *agreement_rows("polarity", grouped(both, items, "split", pol), n_boot)]
    out += ["", f"Joint type and polarity raw agreement: {fmt(raw([joint(k) for k in both]))}", ""]
    out += ["Types, A (rows) by B (columns):", "", *confusion([typ(k) for k in both], TYPES), ""]
    out += ["Polarity, A (rows) by B (columns):", "", *confusion([pol(k) for k in both], POLARITIES)]
    return out


def tp_gold(folder: Path, ans: dict, items: dict) -> Counter:
    a, b, c = ans["A"], ans["B"], ans.get("C", {})
    status_count = Counter()
    with open(folder / "gold.tsv", "w", encoding="utf-8") as f:
        f.write("story\tline\tsplit\ttype_status\ttype\tpolarity_status\tpolarity\t"
                "A_type\tA_polarity\tB_type\tB_polarity\tC_type\tC_polarity\n")
        for k in sorted(items):
            cols = [k[0], str(k[1]), items[k]["split"]]
            if k not in a or k not in b:
                cols += ["missing", "", "missing", ""]
                status_count["missing"] += 1
            else:
                for i in (0, 1):
                    status, label = adjudicate(a[k][i], b[k][i], c[k][i] if k in c else None)
                    cols += [status, label]
                    if i == 0:
                        status_count[status] += 1
            for who in "ABC":
                p = ans.get(who, {}).get(k)
                cols += list(p) if p else ["", ""]
            f.write("\t".join(cols) + "\n")
    return status_count


# ---------------------------------------------------------------- driver
TASKS = {
    "themes": (theme_items, read_theme_answers, theme_report, theme_gold),
    "tp_types": (tp_items, read_tp_answers, tp_report, tp_gold),
}


def load_answers(folder: Path, items: dict, reader) -> dict:
    answers, problems = {}, []
    for who in "ABC":
        path = folder / f"ann-{who}.tsv"
        if path.exists():
            answers[who], found = reader(path, items)
            problems += found
    if problems:
        raise BadFile("\n".join(problems))
    return answers


def run_folder(folder: Path, n_boot: int) -> None:
    items_of, reader, report, gold = TASKS[folder.name]
    items = items_of(folder)
    answers = load_answers(folder, items, reader)
    if "A" not in answers or "B" not in answers:
        missing = [f"ann-{w}.tsv" for w in "AB" if w not in answers]
        print(f"{folder.name}: {', '.join(missing)} not found; nothing to compare yet")
        return
    for who, got in answers.items():
        if len(got) < len(items):
            print(f"warning: {folder / f'ann-{who}.tsv'}: {len(items) - len(got)} of {len(items)} items unanswered",
                  file=sys.stderr)
    lines = report(folder, answers, items, n_boot)
    status = gold(folder, answers, items)
    lines += ["", "Gold (gold.tsv): " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())),
              "Disputed items are resolved by a third independent pass (ann-C.tsv) or excluded; "
              "never by looking at a system's output."]
    text = "\n".join(lines) + "\n"
    (folder / "agreement-report.md").write_text(text, encoding="utf-8")
    print(text)


def check_file(path: Path) -> int:
    folder = path.resolve().parent
    if folder.name not in TASKS:
        raise BadFile(f"{path}: not inside themes/ or tp_types/")
    items_of, reader, _, _ = TASKS[folder.name]
    items = items_of(folder)
    answers, problems = reader(path, items)
    for p in problems:
        print(p)
    left = len(items) - len(answers)
    print(f"{path}: {len(answers)} valid answers, {len(problems)} problems, {left} items unanswered")
    return 1 if problems or left else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--task", choices=("themes", "tp", "all"), default="all")
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples for the kappa CI (0: none)")
    parser.add_argument("--check", type=Path, help="validate one answer file and exit")
    args = parser.parse_args()
    try:
        if args.check:
            return check_file(args.check)
        names = {"themes": ["themes"], "tp": ["tp_types"]}.get(args.task, list(TASKS))
        for name in names:
            run_folder(args.root / name, args.bootstrap)
    except BadFile as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
