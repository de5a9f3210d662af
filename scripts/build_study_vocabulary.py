"""Rebuild narratif/data/study_vocabulary.json from the study's seed documents.

The paragraphs of ``../shared/seeds/*.txt`` (segmented as a run would) are counted, minus
the frozen test paragraphs of the external theme set (``tests/data/external/themes``, when
present: ``split.tsv`` and ``paragraphs.tsv``), so that set's test figures stay honest.
Only counts are written (lemma or keyword phrase -> number of paragraphs): every keyword
phrase of the shipped codebook, and the words found in at least two paragraphs.

    .venv/bin/python scripts/build_study_vocabulary.py [--shared ../shared] [--external tests/data/external/themes]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LOC = re.compile(r"^@shared:seeds/(?P<name>[^#]+)#(?P<s>\d+)-(?P<e>\d+)$")


def test_ranges(external: Path, *, sources: tuple[str, ...] = ()) -> dict[str, list[tuple[int, int]]]:
    """Character ranges (per seed file) of the external set's test paragraphs, and of every
    paragraph of ``sources`` (leave-one-source-out)."""
    if not (external / "split.tsv").is_file():
        return {}
    with open(external / "split.tsv", encoding="utf-8", newline="") as fh:
        split = {r["id"]: r["split"] for r in csv.DictReader(fh, delimiter="\t")}
    out: dict[str, list[tuple[int, int]]] = {}
    with open(external / "paragraphs.tsv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            m = _LOC.match(r["ref"])
            if m and (split.get(r["id"]) == "test" or r["source"] in sources):
                out.setdefault(m["name"], []).append((int(m["s"]), int(m["e"])))
    return out


def build(shared: Path, external: Path, *, nlp=None, sources_out: tuple[str, ...] = ()):
    from narratif.codebook import load_codebook
    from narratif.coding.lexicon import LexiconMatcher
    from narratif.coding.vocabulary import vocabulary_from_files
    from narratif.nlp.parse import load_nlp

    nlp = nlp or load_nlp()
    files = [f for f in sorted((shared / "seeds").glob("*.txt")) if f"seed{f.name[:3]}" not in sources_out]
    skip = test_ranges(external, sources=sources_out)
    lexicon = LexiconMatcher(load_codebook(), nlp)
    return vocabulary_from_files(files, nlp=nlp, lexicon=lexicon, skip=skip,
                                 source="study seeds " + ", ".join(f.name[:3] for f in files)
                                 + " minus the external theme set's test paragraphs")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--external", type=Path, default=ROOT / "tests" / "data" / "external" / "themes")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "narratif" / "data" / "study_vocabulary.json")
    args = ap.parse_args(argv)
    if not (args.external / "split.tsv").is_file():
        print(f"{args.external}: no split.tsv; refusing to count paragraphs that may be test items", file=sys.stderr)
        return 1
    vocab = build(args.shared, args.external)
    data = vocab.to_json()
    data["df"] = {k: v for k, v in data["df"].items() if v >= 2 or " " in k}
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{args.out}: {vocab.n_docs} paragraphs, {len(data['df'])} keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
