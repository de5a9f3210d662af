"""Validate the hand-annotated turning-point gold (tests/data/turning_points) against the real stories."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

GOLD = Path(__file__).resolve().parents[1] / "data" / "turning_points"
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


PS_PASSES = ["parisstories", "parisstories-2", "parisstories-3", "parisstories-consensus"]


def _agreement_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("agreement", GOLD / "agreement.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder", PS_PASSES[1:])
def test_every_story_has_a_file_in_every_pass(stories, folder):
    assert {p.stem for p in (GOLD / folder).glob("*.tsv")} == set(stories)


@pytest.mark.parametrize("folder", PS_PASSES)
def test_parisstories_gold_is_valid(stories, folder):
    total = 0
    for stem, lines in stories.items():
        header, rows = read_gold(GOLD / folder / f"{stem}.tsv")
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


def test_consensus_is_the_majority_of_the_three_passes(tmp_path):
    agreement = _agreement_module()
    passes = [GOLD / f for f in PS_PASSES[:3]]
    for story in sorted((GOLD / "parisstories-consensus").glob("*.tsv")):
        expected = agreement.consensus([agreement.read_tsv(d / story.name) for d in passes])
        assert agreement.read_tsv(story) == expected, story.stem


def test_consensus_votes_and_ties():
    agreement = _agreement_module()
    a = {3: ("rupture", "obstacle"), 10: ("decision", "")}
    b = {4: ("rupture", "obstacle"), 20: ("mobilite", "")}
    c = {4: ("revelation", ""), 11: ("decision", "levier")}
    # 4 has two exact votes and a neighbour; 10/11 agree within one line; 20 stands alone
    assert agreement.consensus([a, b, c]) == {4: ("rupture", "obstacle"), 10: ("decision", "")}
    assert agreement.consensus([a, b, c], min_votes=3) == {4: ("rupture", "obstacle")}
    assert agreement.consensus([{}, {}, {}]) == {}


def test_independent_passes_agree_with_each_other():
    """The figures reported in the README: the three passes agree well above the detector."""
    agreement = _agreement_module()
    for x, y in [(0, 1), (0, 2), (1, 2)]:
        result = agreement.compare(GOLD / PS_PASSES[x], GOLD / PS_PASSES[y])
        assert result["stories"] == 36
        assert 0.8 <= result["f1"] <= 0.95, (x, y, result["f1"])
        assert result["type_agreement"] >= 0.9


def test_cfpp_passages_rebuild_and_annotations_are_valid(shared_dir, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("cfpp_passages", GOLD.parents[2] / "scripts" / "cfpp_passages.py")
    passages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(passages)
    written = passages.materialise(shared_dir, tmp_path)  # raises if a text differs from the annotated one
    folder = GOLD / "extra" / "cfpp2000-passages"
    assert {p.stem for p in written} == {p.stem for p in folder.glob("*.tsv")} - {"PASSAGES"}
    assert len(written) >= 90
    total = 0
    for path in written:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert all(" : " in line for line in lines), path.stem
        header, rows = read_gold(folder / f"{path.stem}.tsv")
        assert header == PS_HEADER, path.stem
        for row in rows:
            where = f"{path.stem}:{row['line']}"
            n = int(row["line"])
            assert 1 <= n <= len(lines), f"{where}: line out of range"
            assert not lines[n - 1].startswith("ENQ : "), f"{where}: interviewer turn annotated"
            check_labels(row, where)
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
    agreement = _agreement_module()
    assert agreement.match([3, 10, 20], [4, 10, 22], 1) == [(10, 10), (3, 4)]
    assert agreement.cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    result = agreement.compare(GOLD / "selfagreement" / "pass1", GOLD / "selfagreement" / "pass2")
    assert result["stories"] == 6
    assert 0.0 < result["f1"] <= 1.0
