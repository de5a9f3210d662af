"""Validate the extra CFPP2000 turning-point TRAINING annotations against the real transcripts.

A quote that drifts from its line, or a row on an interviewer turn, would silently teach the
detector the wrong span; these checks make such rows fail loudly.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from narratif.ingest.transcript import role_of

EXTRA = Path(__file__).resolve().parents[1] / "data" / "turning_points" / "extra" / "cfpp2000"
GOLD = Path(__file__).resolve().parents[1] / "data" / "turning_points" / "cfpp2000"
TYPES = {"rencontre", "rupture", "decision", "revelation", "resolution", "mobilite"}
POLARITIES = {"obstacle", "levier", ""}
HEADER = ["line", "quote", "type", "polarity", "note"]
TURN = re.compile(r"^\[(?P<ts>[\d:]+)\] (?P<label>[^:()]+?)(?: \((?P<tag>[^()]+)\))?: (?P<body>.*)$")
MARKED_INTERVIEWER = re.compile(r"\((?:ENQ|Enq\.?)\)")
#: Interviewers whose turns carry no marker in a given transcript.
UNMARKED_INTERVIEWERS = {"Dominique_Valin_F_37_SU-v2": {"Florence Lefeuvre"}}


def read_tsv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def scope() -> dict[str, int]:
    _, rows = read_tsv(EXTRA / "SCOPE.tsv")
    return {r["file"]: int(r["last_line"]) for r in rows}


def annotated_stems() -> list[str]:
    return sorted(p.stem for p in EXTRA.glob("*.tsv") if p.name != "SCOPE.tsv")


@pytest.fixture(scope="module")
def transcripts(shared_dir) -> dict[str, list[str]]:
    corpus = shared_dir / "corpora" / "cfpp2000"
    return {s: (corpus / f"{s}.txt").read_text(encoding="utf-8").splitlines() for s in annotated_stems()}


def is_interviewer(stem: str, line: str) -> bool:
    m = TURN.match(line)
    assert m, f"{stem}: not a speaker turn: {line[:60]!r}"
    label = m["label"].strip()
    return (
        bool(MARKED_INTERVIEWER.search(line[: m.start("body")]))
        or role_of(label, m["tag"]) == "interviewer"
        or label in UNMARKED_INTERVIEWERS.get(stem, set())
    )


def test_scope_matches_the_annotated_files_and_avoids_gold():
    header, _ = read_tsv(EXTRA / "SCOPE.tsv")
    assert header == ["file", "last_line"]
    stems = annotated_stems()
    assert len(stems) >= 7
    assert set(scope()) == set(stems)
    gold = {p.stem for p in GOLD.glob("*.tsv")}
    assert not gold & set(stems), "training transcripts must stay disjoint from the gold set"


@pytest.mark.parametrize("stem", annotated_stems())
def test_rows_quote_a_narrator_turn_exactly(stem, transcripts):
    lines = transcripts[stem]
    last = scope()[stem]
    assert last <= len(lines)
    header, rows = read_tsv(EXTRA / f"{stem}.tsv")
    assert header == HEADER
    assert rows, f"{stem}: no turning point in {last} lines"
    seen = set()
    for r in rows:
        n = int(r["line"])
        assert 1 <= n <= last, f"{stem}:{n} outside scope 1..{last}"
        line = lines[n - 1]
        body = TURN.match(line)["body"]
        assert r["quote"] in body, f"{stem}:{n} quote not in turn: {r['quote']!r}"
        assert 5 <= len(r["quote"].split()) <= 20, f"{stem}:{n} quote length"
        assert not is_interviewer(stem, line), f"{stem}:{n} is an interviewer turn"
        assert r["type"] in TYPES, f"{stem}:{n} type {r['type']!r}"
        assert r["polarity"] in POLARITIES, f"{stem}:{n} polarity {r['polarity']!r}"
        assert r["note"].strip() and len(r["note"].split()) <= 12, f"{stem}:{n} note"
        key = (n, r["quote"])
        assert key not in seen, f"{stem}:{n} duplicate row"
        seen.add(key)


@pytest.mark.parametrize("stem", annotated_stems())
def test_density_follows_the_guideline(stem, transcripts):
    """Guideline: a TP every 10-15 turns in dense interviews; one turn in three means plot, not TPs."""
    last = scope()[stem]
    narrator_turns = sum(not is_interviewer(stem, l) for l in transcripts[stem][:last])
    _, rows = read_tsv(EXTRA / f"{stem}.tsv")
    assert len({r["line"] for r in rows}) * 3 <= narrator_turns


def test_readme_counts_match_the_data():
    counts = Counter()
    for stem in annotated_stems():
        counts.update(r["type"] for r in read_tsv(EXTRA / f"{stem}.tsv")[1])
    readme = (EXTRA / "README.md").read_text(encoding="utf-8")
    table = {m[1]: int(m[2]) for m in re.finditer(r"^\| (\w+) \| (\d+) \|$", readme, re.M) if m[1] in TYPES}
    assert table == {t: c for t, c in counts.items()}
    assert "training" in readme.lower()


def test_interviewer_detection_recognises_all_marker_spellings():
    assert is_interviewer("x", "[00:00:01] Sonia Branca-Rosoff (ENQ): oui")
    assert is_interviewer("x", "[00:00:01] Anne Dupont (Enq.): oui")
    assert is_interviewer("x", "[00:00:01] Anne Dupont (Enq): oui")
    assert is_interviewer("Dominique_Valin_F_37_SU-v2", "[00:00:01] Florence Lefeuvre: oui")
    assert not is_interviewer("x", "[00:00:01] Monica Richarska: arrivée en automne")
