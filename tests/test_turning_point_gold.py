"""Validate the hand-annotated turning-point gold (tests/data/turning_points) against the real stories."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

GOLD = Path(__file__).parent / "data" / "turning_points"
TYPES = {"rencontre", "rupture", "decision", "revelation", "resolution", "mobilite"}
POLARITIES = {"obstacle", "levier", ""}
PS_HEADER = ["line", "type", "polarity", "note"]
CFPP_HEADER = ["line", "quote", "type", "polarity", "note"]
SPEAKER = re.compile(r"^(\S+) : ")
CFPP_TURN = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*([^:]+):")


def read_gold(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def check_labels(row: dict[str, str], where: str) -> None:
    assert row["type"] in TYPES, f"{where}: bad type {row['type']!r}"
    assert (row["polarity"] or "") in POLARITIES, f"{where}: bad polarity {row['polarity']!r}"
    assert 0 < len(row["note"].split()) <= 12, f"{where}: note must be 1-12 words"


@pytest.fixture(scope="module")
def stories(shared_dir) -> dict[str, list[str]]:
    folder = shared_dir / "corpora" / "parisstories"
    return {p.stem: p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("*.txt")) if p.stem != "LICENSE"}


def test_every_parisstories_story_has_a_gold_file(stories):
    gold = {p.stem for p in (GOLD / "parisstories").glob("*.tsv")}
    assert len(stories) == 36
    assert gold == set(stories)


def test_parisstories_gold_is_valid(stories):
    total = 0
    for stem, lines in stories.items():
        header, rows = read_gold(GOLD / "parisstories" / f"{stem}.tsv")
        assert header == PS_HEADER, stem
        speakers = [m.group(1) if (m := SPEAKER.match(line)) else None for line in lines]
        counts = Counter(s for s in speakers if s)
        seen = set()
        for row in rows:
            where = f"{stem}:{row['line']}"
            n = int(row["line"])
            assert 1 <= n <= len(lines), f"{where}: line out of range"
            assert n not in seen, f"{where}: duplicate line"
            seen.add(n)
            check_labels(row, where)
            speaker = speakers[n - 1]
            # An interviewer or listener only prompts: their label covers a small share of the story.
            if speaker:
                assert counts[speaker] / sum(counts.values()) >= 0.3, f"{where}: prompt line annotated"
        # "A handful, not twenty": at most one turning point per four sentences.
        assert len(rows) <= max(2, len(lines) // 4), f"{stem}: too many turning points"
        total += len(rows)
    assert total >= 100


def test_cfpp_gold_is_valid(shared_dir):
    folder = shared_dir / "corpora" / "cfpp2000"
    scope_header, scope = read_gold(GOLD / "cfpp2000" / "SCOPE.tsv")
    assert scope_header == ["file", "last_line"]
    limits = {row["file"]: int(row["last_line"]) for row in scope}
    files = {p.stem for p in (GOLD / "cfpp2000").glob("*.tsv")} - {"SCOPE"}
    assert files == set(limits) and len(files) == 4
    for stem, last in limits.items():
        lines = (folder / f"{stem}.txt").read_text(encoding="utf-8").splitlines()
        assert last <= len(lines)
        header, rows = read_gold(GOLD / "cfpp2000" / f"{stem}.tsv")
        assert header == CFPP_HEADER, stem
        assert rows, stem
        for row in rows:
            where = f"{stem}:{row['line']}"
            n = int(row["line"])
            assert 1 <= n <= last, f"{where}: outside annotated scope"
            line = lines[n - 1]
            turn = CFPP_TURN.match(line)
            assert turn, f"{where}: not a speaker turn"
            assert "enq" not in turn.group(1).lower(), f"{where}: interviewer turn annotated"
            assert row["quote"] in line, f"{where}: quote is not an exact substring"
            assert 5 <= len(row["quote"].split()) <= 20, f"{where}: quote must be 5-20 words"
            check_labels(row, where)


def test_agreement_script_matches_within_one_line():
    import importlib.util

    spec = importlib.util.spec_from_file_location("agreement", GOLD / "agreement.py")
    agreement = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agreement)
    assert agreement.match([3, 10, 20], [4, 10, 22], 1) == [(10, 10), (3, 4)]
    assert agreement.cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    result = agreement.compare(GOLD / "selfagreement" / "pass1", GOLD / "selfagreement" / "pass2")
    assert result["stories"] == 6
    assert 0.0 < result["f1"] <= 1.0
