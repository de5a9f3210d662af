"""Validate the extra, author-written turning-point training stories (tests/data/turning_points/extra/stories).

These stories are training data only; the checks keep them loadable by the same code that
reads the ParisStories gold (one sentence per line, ``Speaker : text``; TSV ``line type polarity note``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

EXTRA = Path(__file__).resolve().parents[1] / "data" / "turning_points" / "extra" / "stories"
TYPES = {"rencontre", "rupture", "decision", "revelation", "resolution", "mobilite"}
POLARITIES = {"obstacle", "levier", ""}
HEADER = ["line", "type", "polarity", "note"]
SPEAKER_LINE = re.compile(r"^(\S+) : \S")
STEM = re.compile(r"^\d\d_[a-z0-9_]+$")
BACKCHANNEL = re.compile(r"^(ah|oh|ouais|non|c'est pas vrai|mais non|sérieux|et alors|et du coup|d'accord|ah bon)\b", re.I)


def story_stems() -> list[str]:
    return sorted(p.stem for p in EXTRA.glob("*.txt"))


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_there_are_stories_and_each_txt_has_a_tsv():
    txt = set(story_stems())
    tsv = {p.stem for p in EXTRA.glob("*.tsv")}
    assert len(txt) >= 10
    assert txt == tsv
    assert all(STEM.match(s) for s in txt), sorted(s for s in txt if not STEM.match(s))


@pytest.mark.parametrize("stem", story_stems())
def test_story_text_format(stem):
    raw = (EXTRA / f"{stem}.txt").read_bytes().decode("utf-8")
    lines = raw.splitlines()
    assert 15 <= len(lines) <= 70, f"{stem}: {len(lines)} lines"
    for i, line in enumerate(lines, 1):
        assert SPEAKER_LINE.match(line), f"{stem}:{i}: not 'Speaker : text': {line!r}"
        assert line == line.strip(), f"{stem}:{i}: stray whitespace"


@pytest.mark.parametrize("stem", story_stems())
def test_story_annotation_is_valid(stem):
    lines = (EXTRA / f"{stem}.txt").read_text(encoding="utf-8").splitlines()
    speakers = [SPEAKER_LINE.match(line).group(1) for line in lines]
    header, rows = read_rows(EXTRA / f"{stem}.tsv")
    assert header == HEADER, stem
    seen: set[int] = set()
    for row in rows:
        where = f"{stem}:{row['line']}"
        n = int(row["line"])
        assert 1 <= n <= len(lines), f"{where}: line out of range"
        assert n not in seen, f"{where}: duplicate line"
        seen.add(n)
        assert row["type"] in TYPES, f"{where}: bad type {row['type']!r}"
        assert (row["polarity"] or "") in POLARITIES, f"{where}: bad polarity {row['polarity']!r}"
        assert 0 < len((row["note"] or "").split()) <= 12, f"{where}: note must be 1-12 words"
        text = lines[n - 1].split(" : ", 1)[1]
        assert not (text.endswith("?") and len(text.split()) <= 4), f"{where}: a short question is never a TP"
        # the listener's backchannels ("ah ouais ?", "c'est pas vrai") are never TPs
        assert not (BACKCHANNEL.match(text) and len(text.split()) <= 4), f"{where}: backchannel annotated"
    # a TP falls on a narrator's line: the speaker who tells most of the story, or a co-narrator
    tp_speakers = {speakers[int(r["line"]) - 1] for r in rows}
    counts = Counter(speakers)
    assert all(counts[s] >= 5 for s in tp_speakers), f"{stem}: TP on a line of a minor speaker"
    # density stays within the guideline (2-5 per 30-40 sentences; never one sentence in three)
    assert len(rows) <= max(2, len(lines) // 4), f"{stem}: {len(rows)} TPs for {len(lines)} lines"


def test_readme_counts_match_the_files():
    readme = (EXTRA / "README.md").read_text(encoding="utf-8")
    types: Counter[str] = Counter()
    n_tp = n_lines = 0
    for stem in story_stems():
        n_lines += len((EXTRA / f"{stem}.txt").read_text(encoding="utf-8").splitlines())
        _, rows = read_rows(EXTRA / f"{stem}.tsv")
        n_tp += len(rows)
        types.update(r["type"] for r in rows)
    assert f"{len(story_stems())} stories" in readme
    assert f"{n_lines} sentences" in readme
    assert f"{n_tp} turning points" in readme
    for t, c in types.items():
        assert re.search(rf"\|\s*{t}\s*\|\s*{c}\s*\|", readme), f"README count for {t} should be {c}"
    assert "training" in readme and "never" in readme
