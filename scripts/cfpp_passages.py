"""Short CFPP2000 interview passages, one speaker turn per line, for turning-point annotation.

The passages are cut from ``../shared/corpora/cfpp2000`` (never copied into the repo):
``tests/data/turning_points/extra/cfpp2000-passages/PASSAGES.tsv`` records, for each
passage, the source transcript, the first turn and the number of turns, and the SHA-256
of the text, so :func:`materialise` rebuilds exactly the text that was annotated.

A passage is ``Speaker : text`` per line (the format of the turning-point check), with the
timestamps and transcriber tiers dropped, interviewers written ``ENQ`` and their one- or
two-word backchannels (« oui », « d'accord ») left out. Passages were chosen by
:func:`select` — the two 45-turn windows of each transcript densest in past-tense
narration — from the transcripts that no other annotation uses, so many are narrative
and some are descriptions or opinions (useful negatives).

:func:`turns` is deliberately its own small line reader rather than
``narratif.ingest.transcript``: the annotated texts are frozen by their SHA-256, and a
change in narratif's turn detection must not move the annotations' line numbers.

    .venv/bin/python scripts/cfpp_passages.py OUT_DIR [--shared ../shared]   # rebuild the texts
    .venv/bin/python scripts/cfpp_passages.py --select [--shared ../shared]  # re-derive the table
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "data" / "turning_points" / "extra" / "cfpp2000-passages" / "PASSAGES.tsv"
WINDOW = 45

_TIMESTAMP = re.compile(r"^\[[\d:.]+\]\s*")
_TURN = re.compile(r"^(?P<spk>[^:\[\]]{1,60}?)\s*:\s*(?P<txt>.*)$")
_TIERS = {"turns", "comments", "sections"}
_PAST = re.compile(r"\b(?:j'ai|on a|je suis|on est|nous avons|nous sommes|il a|elle a|ils ont|elles ont|il est|"
                   r"elle est|ils sont|j'étais|en (?:19|dix-neuf|mille)|quand j'|à l'âge|ans)\b", re.IGNORECASE)


def turns(path: Path) -> list[tuple[str, str]]:
    """The (speaker, text) turns of a CFPP2000 transcript, as the passages print them."""
    rows = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _TURN.match(_TIMESTAMP.sub("", raw.strip()))
        if not m:
            continue
        speaker, text = m["spk"].strip(), m["txt"].strip()
        if speaker.lower() in _TIERS or not text:
            continue
        interviewer = "(enq" in speaker.lower()
        if interviewer and len(text.split()) <= 2:
            continue
        rows.append(("ENQ" if interviewer else re.sub(r"\s+", " ", speaker), re.sub(r"\s+", " ", text)))
    return rows


def passage_text(rows: list[tuple[str, str]], start: int, n: int) -> str:
    return "".join(f"{speaker} : {text}\n" for speaker, text in rows[start:start + n])


def read_table(table: Path = TABLE) -> list[dict[str, str]]:
    with table.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def materialise(shared: Path, out_dir: Path, table: Path = TABLE) -> list[Path]:
    """Write every passage of ``table`` to ``out_dir/<passage>.txt``; raises if a text differs
    from the one annotated (a changed ../shared)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cache: dict[str, list[tuple[str, str]]] = {}
    written = []
    for row in read_table(table):
        source = row["source"]
        if source not in cache:
            cache[source] = turns(shared / "corpora" / "cfpp2000" / f"{source}.txt")
        text = passage_text(cache[source], int(row["start"]), int(row["turns"]))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        if digest != row["sha256"]:
            raise ValueError(f"{row['passage']}: text of {source} differs from the annotated one")
        path = out_dir / f"{row['passage']}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def select(shared: Path, exclude: set[str], per_file: int = 2) -> list[dict[str, str]]:
    """The ``per_file`` densest non-overlapping narrative windows of every transcript not in ``exclude``."""
    out = []
    for path in sorted((shared / "corpora" / "cfpp2000").glob("*.txt")):
        if path.stem in exclude:
            continue
        rows = turns(path)
        scored = []
        for start in range(0, max(1, len(rows) - WINDOW), 5):
            narr = [t for s, t in rows[start:start + WINDOW] if s != "ENQ"]
            words = sum(len(t.split()) for t in narr)
            if words >= 400:
                scored.append((sum(len(_PAST.findall(t)) for t in narr) / words, start))
        picked: list[int] = []
        for _, start in sorted(scored, reverse=True):
            if all(abs(start - p) >= WINDOW for p in picked):
                picked.append(start)
            if len(picked) == per_file:
                break
        for k, start in enumerate(sorted(picked), 1):
            text = passage_text(rows, start, WINDOW)
            out.append({"passage": f"{path.stem}__{k}", "source": path.stem, "start": str(start),
                        "turns": str(WINDOW), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path, nargs="?")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--select", action="store_true", help="print the passage table derived from ../shared")
    args = ap.parse_args(argv)
    if args.select:
        gold = ROOT / "tests" / "data" / "turning_points"
        exclude = {p.stem for d in (gold / "cfpp2000", gold / "extra" / "cfpp2000") for p in d.glob("*.tsv")}
        w = csv.DictWriter(sys.stdout, ["passage", "source", "start", "turns", "sha256"], delimiter="\t",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(select(args.shared, exclude))
        return 0
    if args.out_dir is None:
        ap.error("OUT_DIR is required unless --select")
    print(f"{len(materialise(args.shared, args.out_dir))} passages -> {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
