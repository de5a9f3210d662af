#!/usr/bin/env python3
"""Build the blind external timeline set: its units, its frozen split and the annotators' packet.

Deterministic: run it again and the same files come out. It reads only ../shared (beside the
repo root, or $NARRATIF_SHARED) and writes beside itself:

  units.tsv   unit, source, origin, ref, lines, seen  (no text: refs into ../shared)
  lines.tsv   unit, line, ref                         (every numbered line back to ../shared)
  split.tsv   unit, split                             (frozen: never overwritten if it differs)
  packet.md   what annotators read (the only file holding text; not committed, see .gitignore)

Units (README.md says why):
  parisstories  the 36 stories of corpora/parisstories, whole, one unit per story, file lines as
                they are. Context given: the year the recording is named by (the software reads it
                from the file name too).
  seed          paragraphs cut by tests/data/external/themes/make_paragraphs.py (imported, not
                copied): 000, 001, 003 whole, 002 parts 2-3, and 004 (hard-wrapped like 000),
                kept when they pass TEMPORAL (a broad surface test) and hold a word (bare section
                numbers like "2." or "# 13" go). Lines: the source's non-blank lines; a
                hard-wrapped paragraph is one line (its line breaks read as spaces, so offsets
                stay exact). No context: the seed file names carry no date.
  cfpp          the passages of PASSAGES.tsv that no tests/data/timeline/*/ annotation uses, rebuilt
                by scripts/cfpp_passages.materialise (imported). No context: as in the earlier
                blind timeline packets, annotators date from the passage alone.
Ids U001... are given in an order shuffled with random.Random(SEED + 1), so the packet (in id
order) mixes sources. Split: per source (cfpp, seed) ids sorted, shuffled with one
random.Random(SEED), first ceil(n/2) -> test; ParisStories stories keep their side in
tests/data/external/tp_types/split.tsv.
"""
from __future__ import annotations

import csv
import importlib.util
import math
import os
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent
ROOT = OUT.parents[3]
SHARED = Path(os.environ.get("NARRATIF_SHARED", ROOT.parent / "shared"))
TP_SPLIT = OUT.parent / "tp_types" / "split.tsv"
TIMELINE_GOLD = ROOT / "tests" / "data" / "timeline"
SEED = 20261206

MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
#: Broad on purpose (a false positive costs an annotator one read, a miss loses an item): any digit,
#: a month, « an(s) », « année(s) », « depuis », « en 20.. », seasons but « été » (mostly « a été »),
#: « siècle(s) », « mois ».
TEMPORAL = re.compile(rf"\d|\ben 20\d\d\b|\b(?:{MONTHS})\b|\bans?\b|\bann[ée]es?\b|\bdepuis\b"
                      r"|\b(?:printemps|automne|hiver)\b|\bsi[èe]cles?\b|\bmois\b", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]{2,}")
SEED_004 = ("seed004", "004_f252e7b5ca6e7eca.txt")

#: Sources whose timeline output the team has already read or tested (found with grep in tests/,
#: src/narratif/timeline/, tests/data/timeline/README.md, benchmarks/ on 2026-12-06).
SEEN = {
    "2019_experienceFac": "tests/timeline/test_timeline_years.py asserts a year in it",
    "2021_neesLeMemeMois": "tests/timeline/test_timeline.py asserts a year in it",
    "2022_giteEnMontagne": "tests/timeline/test_timeline_years.py asserts a year in it",
    "Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2": "tests/timeline/test_timeline.py reads the interview",
    "Louise_Liotard_F_85_et_Jeanne_Mallet_F_75_SO-2-v2": "tests/data/timeline/README.md quotes its dates",
    "Menard_Catherine_F_36_13e-v2": "tests/data/timeline/README.md quotes its birth year",
    **{label: "tests/timeline/test_timeline_years.py checks the written years of every line"
       for label in ("seed001", "seed002", "seed003", "seed004")},
}
CONTEXT = {
    "parisstories": "Oral story, one sentence per line, recorded in {year}.",
    "seed": "Paragraph of a report or publication about the social and solidarity economy. No date is "
            "given beyond the paragraph's own words.",
    "cfpp": "Passage of an interview, one speaker turn per line (ENQ = interviewer). The recording year "
            "is not given: date only from what the passage says.",
}


@dataclass
class Unit:
    source: str  # parisstories / seed / cfpp
    origin: str  # story name, seed document label, passage name
    ref: str
    lines: list[str]
    line_refs: list[str]
    context: str
    seen: str = ""
    uid: str = ""
    order: tuple = ()


def _load(name: str, path: Path):
    """A helper script of the repo, imported by path (they are not a package)."""
    name = f"timeline_set_{name}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def story_units(shared: Path) -> list[Unit]:
    out = []
    for path in sorted((shared / "corpora" / "parisstories").glob("*.txt")):
        if path.name == "LICENSE.txt":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        rel = f"@shared:corpora/parisstories/{path.name}"
        out.append(Unit("parisstories", path.stem, f"{rel}#L1-L{len(lines)}", lines,
                        [f"{rel}#L{i}" for i in range(1, len(lines) + 1)],
                        CONTEXT["parisstories"].format(year=path.stem[:4]), SEEN.get(path.stem, ""),
                        order=("parisstories", path.stem)))
    return out


def paragraph_lines(text: str, s: int, e: int, hard_wrapped: bool, mp) -> list[tuple[int, int, str]]:
    """(start, end, line) of a paragraph; a hard-wrapped one is a single line, its breaks read as spaces."""
    if hard_wrapped:
        return [(s, e, text[s:e].replace("\n", " "))]
    out = []
    for ls, le, line in mp.lines_of(text, s, e):
        if line.strip():
            a, b = mp.strip_span(text, ls, le)
            out.append((a, b, text[a:b]))
    return out


def seed_units(shared: Path) -> tuple[list[Unit], list[str]]:
    mp = _load("make_paragraphs", OUT.parent / "themes" / "make_paragraphs.py")
    out, dropped = [], []
    for label, name in [*mp.SOURCES.items(), SEED_004]:
        text = (shared / "seeds" / name).read_text(encoding="utf-8")
        # units_of only tells hard-wrapped (seed000) from scoped (seed002); 004 is hard-wrapped like 000
        hard = label in mp.HARD_WRAPPED or label == SEED_004[0]
        for s, e in mp.units_of("seed000" if label == SEED_004[0] else label, text):
            body = text[s:e]
            if not TEMPORAL.search(body):
                continue
            if not WORD.search(body):
                dropped.append(f"{label} {s}-{e}: no word ({body!r})")
                continue
            rows = paragraph_lines(text, s, e, hard, mp)
            rel = f"@shared:seeds/{name}"
            out.append(Unit("seed", label, f"{rel}#{s}-{e}", [r[2] for r in rows],
                            [f"{rel}#{a}-{b}" for a, b, _ in rows], CONTEXT["seed"], SEEN.get(label, ""),
                            order=("seed", label, s)))
    return out, dropped


def used_passages() -> set[str]:
    return {p.stem for p in TIMELINE_GOLD.glob("*/*.tsv")}


def cfpp_units(shared: Path) -> list[Unit]:
    cp = _load("cfpp_passages", ROOT / "scripts" / "cfpp_passages.py")
    used = used_passages()
    rows = [r for r in cp.read_table() if r["passage"] not in used]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "unused.tsv"
        with table.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, list(rows[0]), delimiter="\t", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        for path in cp.materialise(shared, Path(tmp) / "texts", table):
            row = next(r for r in rows if r["passage"] == path.stem)
            lines = path.read_text(encoding="utf-8").splitlines()
            rel = f"@passage:{path.stem}"
            out.append(Unit("cfpp", path.stem, f"{rel}#L1-L{len(lines)}", lines,
                            [f"{rel}#L{i}" for i in range(1, len(lines) + 1)], CONTEXT["cfpp"],
                            SEEN.get(row["source"], ""), order=("cfpp", path.stem)))
    return out


def build_units(shared: Path = SHARED) -> tuple[list[Unit], list[str]]:
    """Every unit with its id (U001...), in id order; and the seed blocks dropped for holding no word."""
    seeds, dropped = seed_units(shared)
    units = sorted(story_units(shared) + seeds + cfpp_units(shared), key=lambda u: u.order)
    order = list(range(len(units)))
    random.Random(SEED + 1).shuffle(order)
    for n, i in enumerate(order, 1):
        units[i].uid = f"U{n:03d}"
    return sorted(units, key=lambda u: u.uid), dropped


def make_split(units: list[Unit]) -> dict[str, str]:
    with TP_SPLIT.open(encoding="utf-8", newline="") as fh:
        story_side = {r["story"]: r["split"] for r in csv.DictReader(fh, delimiter="\t")}
    split = {u.uid: story_side[u.origin] for u in units if u.source == "parisstories"}
    rng = random.Random(SEED)
    for source in ("cfpp", "seed"):
        ids = sorted(u.uid for u in units if u.source == source)
        rng.shuffle(ids)
        n_test = math.ceil(len(ids) / 2)
        split.update({uid: "test" if j < n_test else "dev" for j, uid in enumerate(ids)})
    return split


def write_tsv(path: Path, header: list[str], rows: list[list[str]], frozen: bool = False) -> None:
    text = "".join("\t".join(map(str, r)) + "\n" for r in [header, *rows])
    if frozen and path.exists() and path.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{path}: frozen and would change; not overwritten (the split is never re-drawn)")
    path.write_text(text, encoding="utf-8")


def packet(units: list[Unit]) -> str:
    head = (f"# Timeline annotation packet\n\n{len(units)} units, in an order that mixes their sources. "
            "Read GUIDE.md first, then annotate every unit as ANNOTATOR-TIMELINE.md says "
            "(one row per expression in your single answer file; a unit with nothing gets no row).\n"
            "Each unit gives its id, one line saying what it is, and its lines, numbered from 1. "
            "Texts are as they stand in their sources (`**` marks bold in a report).\n")
    blocks = []
    for u in units:
        width = len(str(len(u.lines)))
        body = "\n".join(f"{i:>{width}}  {line}" for i, line in enumerate(u.lines, 1))
        blocks.append(f"\n---\n\n### {u.uid}\n\n{u.context} {len(u.lines)} line"
                      f"{'s' if len(u.lines) > 1 else ''}.\n\n```text\n{body}\n```\n")
    return head + "".join(blocks)


def main() -> None:
    units, dropped = build_units()
    split = make_split(units)
    write_tsv(OUT / "units.tsv", ["unit", "source", "origin", "ref", "lines", "seen"],
              [[u.uid, u.source, u.origin, u.ref, len(u.lines), u.seen] for u in units], frozen=True)
    write_tsv(OUT / "lines.tsv", ["unit", "line", "ref"],
              [[u.uid, i, r] for u in units for i, r in enumerate(u.line_refs, 1)], frozen=True)
    write_tsv(OUT / "split.tsv", ["unit", "split"], [[u.uid, split[u.uid]] for u in units], frozen=True)
    (OUT / "packet.md").write_text(packet(units), encoding="utf-8")
    for line in dropped:
        print("dropped", line, file=sys.stderr)
    for source in ("parisstories", "seed", "cfpp"):
        mine = [u for u in units if u.source == source]
        n_test = sum(split[u.uid] == "test" for u in mine)
        print(f"{source}: {len(mine)} units ({sum(len(u.lines) for u in mine)} lines), "
              f"test {n_test}, dev {len(mine) - n_test}, seen {sum(bool(u.seen) for u in mine)}")
    print(f"total {len(units)} units, {sum(len(u.lines) for u in units)} lines")


if __name__ == "__main__":
    main()
