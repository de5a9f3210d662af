#!/usr/bin/env python3
"""Build the blind turning-point typing packet for the 36 ParisStories stories.

Reads the stories in ../shared/corpora/parisstories/ and, from the consensus gold
tests/data/turning_points/parisstories-consensus/<story>.tsv, ONLY the `line`
column (which lines are turning points). The `type`, `polarity` and `note` fields are never
read into memory beyond splitting the row, never kept, never written.
Writes packet.md, items.tsv and split.tsv beside itself. Deterministic.

split.tsv: stories stratified by recording year (the file-name prefix), shuffled per year
with one random.Random(20261206) (years in sorted order, names sorted first); the first
ceil(n/2) of each year -> test, the rest -> dev.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

STORIES = Path("../shared/corpora/parisstories")
CONSENSUS = Path("tests/data/turning_points/parisstories-consensus")
OUT = Path(__file__).resolve().parent
SEED = 20261206


def marked_lines(story: str, n_lines: int) -> list[int]:
    path = CONSENSUS / f"{story}.tsv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    col = header.index("line")
    lines = []
    for row in rows[1:]:
        if not row.strip() or row.startswith("#"):
            continue
        value = row.split("\t")[col].strip()
        n = int(value)
        if not 1 <= n <= n_lines:
            raise SystemExit(f"{path}: line {n} outside the story (1..{n_lines})")
        lines.append(n)
    return sorted(set(lines))


def main() -> None:
    stories = sorted(p.stem for p in STORIES.glob("*.txt") if p.name != "LICENSE.txt")
    items, blocks = [], []
    for story in stories:
        lines = (STORIES / f"{story}.txt").read_text(encoding="utf-8").splitlines()
        marks = marked_lines(story, len(lines))
        items.extend((story, n) for n in marks)
        width = len(str(len(lines)))
        body = "\n".join(
            f"{'>>' if i in marks else '  '} {i:>{width}}  {text}" for i, text in enumerate(lines, 1)
        )
        head = f"## {story}\n\n{len(lines)} lines; marked: " + (
            ", ".join(map(str, marks)) if marks else "none (nothing to annotate in this story)"
        )
        blocks.append(f"{head}\n\n```text\n{body}\n```\n")

    with open(OUT / "items.tsv", "w", encoding="utf-8") as f:
        f.write("story\tline\n")
        for story, n in items:
            f.write(f"{story}\t{n}\n")

    rng = random.Random(SEED)
    split = {}
    for year in sorted({s[:4] for s in stories}):
        group = sorted(s for s in stories if s.startswith(year))
        rng.shuffle(group)
        n_test = math.ceil(len(group) / 2)
        for j, story in enumerate(group):
            split[story] = "test" if j < n_test else "dev"
    with open(OUT / "split.tsv", "w", encoding="utf-8") as f:
        f.write("story\tsplit\n")
        for story in stories:
            f.write(f"{story}\t{split[story]}\n")

    with open(OUT / "packet.md", "w", encoding="utf-8") as f:
        f.write("# Turning-point typing packet\n\n")
        f.write(
            f"{len(stories)} oral stories (ParisStories, CC BY-SA 4.0), one sentence per line, "
            f"`Speaker : text` where the speaker is known. {len(items)} lines are marked `>>`: "
            "give each marked line a type and a polarity, following GUIDE.md. Unmarked lines "
            "are context only.\n\n"
        )
        f.write("\n".join(blocks))
    per = {}
    for story, _ in items:
        per[split[story]] = per.get(split[story], 0) + 1
    n_test = sum(1 for s in stories if split[s] == "test")
    print(f"{len(stories)} stories, {len(items)} marked lines; "
          f"test {n_test} stories / {per.get('test', 0)} lines, "
          f"dev {len(stories) - n_test} stories / {per.get('dev', 0)} lines")


if __name__ == "__main__":
    main()
