#!/usr/bin/env python3
"""List the external paragraphs the team has already seen, so results can be read honestly.

Two kinds of prior exposure, found from text positions and wording only (no label is read):
  devset     the paragraph overlaps a span of tests/data/devset/themes.tsv (the team's own
             dev set, which narratif was tuned on): only the `text` column (the ref) is read;
  codebook   an example sentence of models/codebooks/ess_transitions.yaml looks like a
             paraphrase of the paragraph (>= 60 % of the example's words of 4+ letters occur
             in the paragraph, or >= 5 word trigrams shared). A flag to check by eye, not proof.
Writes contamination.tsv beside itself. Run with a Python that has PyYAML, e.g.
.venv/bin/python contamination.py
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEEDS = Path("../shared/seeds")
DEVSET = Path("tests/data/devset/themes.tsv")
CODEBOOK = Path("./models/codebooks/ess_transitions.yaml")


def parse(ref: str):
    path, span = ref.split("#")
    start, end = span.split("-")
    return path.rsplit("/", 1)[-1], int(start), int(end)


def codebook_examples():
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, val in node.items():
                if key == "examples" and isinstance(val, list):
                    found.extend(str(v) for v in val)
                else:
                    walk(val)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))["categories"])
    return found


def tokens(text: str):
    return [w.lower() for w in re.findall(r"\w+", text)]


def close(example: str, text: str) -> bool:
    ex_words = {w for w in tokens(example) if len(w) >= 4}
    par_words = {w for w in tokens(text) if len(w) >= 4}
    tri = lambda ws: set(zip(ws, ws[1:], ws[2:]))
    shared_tri = len(tri(tokens(example)) & tri(tokens(text)))
    return len(ex_words) >= 4 and (len(ex_words & par_words) / len(ex_words) >= 0.6 or shared_tri >= 5)


def main() -> None:
    with open(DEVSET, encoding="utf-8") as f:
        dev_refs = [row["text"] for row in csv.DictReader(f, delimiter="\t")
                    if row["text"].startswith("@shared:seeds/")]
    dev_spans = [parse(r) for r in dev_refs]
    examples = codebook_examples()
    split = dict(csv.reader(open(HERE / "split.tsv", encoding="utf-8"), delimiter="\t"))
    rows = list(csv.DictReader(open(HERE / "paragraphs.tsv", encoding="utf-8"), delimiter="\t"))
    texts = {}
    out = []
    for row in rows:
        name, s, e = parse(row["ref"])
        text = texts.setdefault(name, (SEEDS / name).read_text(encoding="utf-8"))[s:e]
        dev = [f"{a}-{b}" for n, a, b in dev_spans if n == name and min(e, b) > max(s, a)]
        cb = [x for x in examples if close(x, text)]
        if dev or cb:
            out.append((row["id"], row["source"], split[row["id"]], ",".join(dev), " | ".join(cb)))
    with open(HERE / "contamination.tsv", "w", encoding="utf-8") as f:
        f.write("id\tsource\tsplit\tdevset_overlap\tcodebook_example_close\n")
        for r in out:
            f.write("\t".join(r) + "\n")
    n_dev = sum(1 for r in out if r[3])
    n_cb = sum(1 for r in out if r[4])
    n_test = sum(1 for r in out if r[2] == "test")
    print(f"{len(out)} of {len(rows)} paragraphs flagged ({n_dev} devset overlap, "
          f"{n_cb} codebook-example paraphrase); {n_test} of them in test")


if __name__ == "__main__":
    main()
