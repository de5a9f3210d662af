#!/usr/bin/env python3
"""Extract the paragraphs of the external theme set and freeze its split.

Deterministic: run it again and the same files come out. It reads only the seed
documents in ../shared/seeds (the sources the issue allows for theme labelling)
and writes paragraphs.tsv, split.tsv, packet.md and excluded.tsv beside itself.
No label of any kind is read or produced here.

Rules (README.md explains why):
  scope     000, 001, 003 whole; 002 only parts 2 and 3 (from the "2." heading to the
            "POUR UNE COMMUNAUTÉ APPRENANTE" heading). 004 is not in the issue's list.
  blocks    text runs separated by blank lines.
  units     000 is hard-wrapped: one block = one paragraph. 001/002/003 hold one
            paragraph per line, so a block is split between two consecutive prose lines
            and before a bold heading line ("- **Récit :**"), which stays with the text
            it introduces; list items stay with the block they belong to.
  merge     a unit whose first letter is lower-case continues the previous unit when
            that one does not end a sentence (a page break inside a sentence); a unit
            that ends with ":" takes in the list items that follow it (blank lines between
            items do not cut a list from the sentence that introduces it), unless an item
            starts with its own bold heading.
  headings  a list line that is wholly bold and ends with ":" ("- **Récit :**").
  keep      >= 25 words; not a footnote, a link line, or a list of figures/names.
  sample    if more than 300 units, 300 stratified by source (seed 20261206).
  split     per source, ids sorted, shuffled with random.Random(20261206) (sources in
            sorted order, one generator), first ceil(n/2) -> test, rest -> dev.
  ids       T001... assigned in an order shuffled with random.Random(20261206 + 1),
            so the packet (in id order) mixes sources and hides document order.
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

SEEDS = Path("../shared/seeds")
OUT = Path(__file__).resolve().parent
SEED = 20261206
MIN_WORDS = 25
MAX_ITEMS = 300

SOURCES = {  # source label -> file name
    "seed000": "000_f5276ad9649a66af.txt",
    "seed001": "001_f92f4361c3fa2b4f.txt",
    "seed002": "002_d0cbea24b0b91578.txt",
    "seed003": "003_4fc3610230cc7127.txt",
}
HARD_WRAPPED = {"seed000"}
# 002: parts 2 and 3 only (part 1 is held back and absent from the file).
SCOPE_002 = ("\n2.\n\nINGÉNIERIE DE SOUTIEN", "POUR UNE COMMUNAUTÉ\nAPPRENANTE")

# Blocks that pass the word threshold but are not running text, decided by reading the
# text (not by any label), before any annotation: (source, first words) -> reason.
EXCLUDE = {
    ("seed001", ">> Découvrir les 17 monographies"): "link lines",
    ("seed002", "- 22 territoires accompagnés"): "list of figures",
    ("seed002", "⁸ Pour accéder aux publications"): "footnote (reference)",
    ("seed002", "* Les 7 prérequis de l'évaluation"): "footnote (source of a box)",
}

LIST_RE = re.compile(r"^\s*(?:[-•▶*]|\d+[.)/])(?:\s|$)")
HEADING_RE = re.compile(r"^\s*-\s*\*\*[^*]+(?::\s*\*\*|\*\*\s*:)\s*$")
WORD_RE = re.compile(r"\w", re.U)
SENTENCE_END = tuple(".!?»)…:;\"")


def n_words(text: str) -> int:
    return sum(1 for tok in text.split() if WORD_RE.search(tok))


def blocks(text: str, lo: int, hi: int):
    """Yield (start, end) of each run of non-blank lines inside text[lo:hi]."""
    for m in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text[lo:hi]):
        yield lo + m.start(), lo + m.end()


def lines_of(text: str, start: int, end: int):
    pos = start
    for line in text[start:end].split("\n"):
        yield pos, pos + len(line), line
        pos += len(line) + 1


def split_block(text: str, start: int, end: int):
    """Split a block of an unwrapped file into paragraph units (see module doc)."""
    units, cur, prev_kind = [], None, None
    for ls, le, line in lines_of(text, start, end):
        if not line.strip():
            continue
        kind = "heading" if HEADING_RE.match(line) else "list" if LIST_RE.match(line) else "prose"
        new = cur is None or kind == "heading" or (kind == "prose" and prev_kind in ("prose", "list"))
        if new:
            if cur:
                units.append(cur)
            cur = [ls, le]
        else:
            cur[1] = le
        prev_kind = kind
    if cur:
        units.append(cur)
    return [tuple(u) for u in units]


def strip_span(text: str, s: int, e: int):
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def units_of(source: str, text: str):
    lo, hi = 0, len(text)
    if source == "seed002":
        lo = text.index(SCOPE_002[0]) + 1
        hi = text.index(SCOPE_002[1])
    out = []
    for s, e in blocks(text, lo, hi):
        parts = [(s, e)] if source in HARD_WRAPPED else split_block(text, s, e)
        out.extend(strip_span(text, a, b) for a, b in parts)
    merged = []
    for s, e in out:
        body, prev = text[s:e], text[merged[-1][0]:merged[-1][1]] if merged else ""
        continues = body.lstrip("-•▶* ")[:1].islower() and not prev.endswith(SENTENCE_END)
        lead_in = prev.endswith(":") or (merged and merged[-1][2])
        is_item = LIST_RE.match(body) and not HEADING_RE.match(body.split("\n", 1)[0])
        if merged and (continues or (lead_in and is_item)):
            merged[-1] = (merged[-1][0], e, bool(lead_in and is_item))
        else:
            merged.append((s, e, False))
    return [(s, e) for s, e, _ in merged]


def excluded_reason(source: str, body: str):
    for (src, head), reason in EXCLUDE.items():
        if src == source and body.startswith(head):
            return reason
    if n_words(body) < MIN_WORDS:
        return f"fewer than {MIN_WORDS} words"
    return None


def display(source: str, body: str) -> str:
    if source in HARD_WRAPPED:  # undo the PDF's line wrapping for reading
        return re.sub(r"[ \t]*\n[ \t]*", " ", body)
    # a sentence cut by a page break reads as one sentence
    return re.sub(r"\s*\n[ \t]*\n\s*(?=[a-zàâçéèêëîïôûùüÿœ])", " ", body)


def main() -> None:
    kept, dropped = [], []
    for source, name in SOURCES.items():
        text = (SEEDS / name).read_text(encoding="utf-8")
        for s, e in units_of(source, text):
            body = text[s:e]
            ref = f"@shared:seeds/{name}#{s}-{e}"
            reason = excluded_reason(source, body)
            row = {"source": source, "ref": ref, "start": s, "body": body, "words": n_words(body)}
            (dropped if reason else kept).append({**row, "reason": reason})

    if len(kept) > MAX_ITEMS:  # stratified sample, proportional to each source's size
        rng = random.Random(SEED)
        by_src = {}
        for r in kept:
            by_src.setdefault(r["source"], []).append(r)
        sample = []
        for src in sorted(by_src):
            k = round(MAX_ITEMS * len(by_src[src]) / len(kept))
            sample.extend(rng.sample(by_src[src], min(k, len(by_src[src]))))
        kept = sample

    kept.sort(key=lambda r: (r["source"], r["start"]))
    order = list(range(len(kept)))
    random.Random(SEED + 1).shuffle(order)
    for n, i in enumerate(order, 1):
        kept[i]["id"] = f"T{n:03d}"

    split = {}
    rng = random.Random(SEED)
    for src in sorted({r["source"] for r in kept}):
        ids = sorted(r["id"] for r in kept if r["source"] == src)
        rng.shuffle(ids)
        n_test = math.ceil(len(ids) / 2)
        for j, pid in enumerate(ids):
            split[pid] = "test" if j < n_test else "dev"

    rows = sorted(kept, key=lambda r: r["id"])
    with open(OUT / "paragraphs.tsv", "w", encoding="utf-8") as f:
        f.write("id\tsource\tref\n")
        for r in rows:
            f.write(f"{r['id']}\t{r['source']}\t{r['ref']}\n")
    with open(OUT / "split.tsv", "w", encoding="utf-8") as f:
        f.write("id\tsplit\n")
        for r in rows:
            f.write(f"{r['id']}\t{split[r['id']]}\n")
    with open(OUT / "excluded.tsv", "w", encoding="utf-8") as f:
        f.write("source\tref\twords\treason\tbeginning\n")
        for r in dropped:
            head = re.sub(r"\s+", " ", r["body"])[:60]
            f.write(f"{r['source']}\t{r['ref']}\t{r['words']}\t{r['reason']}\t{head}\n")
    with open(OUT / "packet.md", "w", encoding="utf-8") as f:
        f.write("# Theme annotation packet\n\n")
        f.write(f"{len(rows)} paragraphs, in an order that mixes the documents. Read GUIDE.md first.\n")
        f.write("For each paragraph write one line `id<TAB>primary<TAB>secondary` in your answer file.\n")
        f.write("The text is given as it stands in the source (`**` marks bold in the original).\n")
        for r in rows:
            f.write(f"\n---\n\n### {r['id']}\n\n{display(r['source'], r['body'])}\n")
    counts = {}
    for r in rows:
        counts.setdefault(r["source"], {"test": 0, "dev": 0})[split[r["id"]]] += 1
    for src, c in sorted(counts.items()):
        print(src, c["test"] + c["dev"], "test", c["test"], "dev", c["dev"])
    print("total", len(rows), "excluded", len(dropped))


if __name__ == "__main__":
    main()
