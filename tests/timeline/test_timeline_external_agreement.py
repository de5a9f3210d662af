"""The external timeline set's tools: the agreement script on a small synthetic pair of answer files
(never on the real ann files, which may not exist), and the frozen units and split rebuilt from ../shared."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

SET = Path(__file__).resolve().parents[1] / "data" / "external" / "timeline"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"timeline_set_test_{name}", SET / f"{name}.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


agreement = _load("agreement")

UNITS = {  # synthetic text, for the unit test only
    "U901": ["A : je suis arrivée à Paris en 1998, et en 1998 j'ai eu ma fille.",
             "B : deux ans après on a déménagé."],
    "U902": ["Le projet a débuté en septembre  2018 et se poursuit depuis 2020."],
}
SOURCES = {"U901": "cfpp", "U902": "seed"}
HEADER = "unit\tline\texpression\tkind\tyear\tnote\n"


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_expressions_are_placed_loosely_and_repeats_take_the_next_occurrence():
    line = UNITS["U901"][0]
    first = agreement.locate(line, "en 1998", [])
    second = agreement.locate(line, "en 1998", [first])
    assert first[0] < second[0] and line[second[0]:second[1]] == "en 1998"
    assert agreement.locate(UNITS["U902"][0], "en septembre 2018", []) is not None  # two spaces in the line
    assert agreement.locate(line, "en 2003", []) is None


def test_bad_rows_are_named_and_left_out(tmp_path):
    path = _write(tmp_path / "ann-A.tsv", [
        "U901\t1\ten 1998\tyear\t1998\t",
        "U999\t1\ten 1998\tyear\t1998\t",       # unknown unit
        "U901\t3\ten 1998\tyear\t\t",           # no line 3
        "U901\t1\ten 1998\tannée\t\t",          # kind not in the list
        "U901\t1\ten 1998\tyear\t98\t",         # not a calendar year
        "U901\t2\ten 2003\tyear\t2003\t",       # not in the line
    ])
    rows, problems = agreement.read_answers(path, UNITS)
    assert [(r["unit"], r["line"], r["year"]) for r in rows] == [("U901", 1, 1998)]
    assert len(problems) == 5 and all(p.startswith("ann-A.tsv:") for p in problems)
    assert "unknown unit" in problems[0] and "not in U901 line 2" in problems[-1]

    bad = tmp_path / "ann-B.tsv"
    bad.write_bytes(b"unit\tline\n" + "é".encode("latin-1"))
    rows, problems = agreement.read_answers(bad, UNITS)
    assert rows == [] and len(problems) == 1 and "ann-B.tsv" in problems[0]


def test_agreement_figures_and_gold_on_a_synthetic_pair(tmp_path):
    a = _write(tmp_path / "a.tsv", [
        "U901\t1\tarrivée à Paris en 1998\tperiod\t1998\tarrival",
        "U901\t1\ten 1998\tyear\t1998\tdaughter",
        "U901\t2\tdeux ans après\trelative\t2000\tmove",
        "U902\t1\ten septembre  2018\tdate\t2018\tstart",
    ])
    b = _write(tmp_path / "b.tsv", [
        "U901\t1\ten 1998\tyear\t1998\tarrival",       # the first « en 1998 »: overlaps A's first row
        "U901\t2\tdeux ans après\trelative\t\tmove",    # same span, no year
        "U902\t1\tdepuis 2020\tyear\t2020\t",           # A did not mark it
    ])
    scopes = agreement.run(a, b, UNITS, SOURCES, tmp_path)
    s = scopes["all"]
    assert (s["rows_a"], s["rows_b"], s["matched"]) == (4, 3, 2)
    assert s["span_f1"] == pytest.approx(4 / 7)
    assert (s["dated_a"], s["dated_b"], s["dated_matched"]) == (4, 2, 1)
    assert s["dated_span_f1"] == pytest.approx(2 / 6)
    assert s["kind_agree"] == pytest.approx(0.5) and s["year_agree"] == 1.0 and s["year_one_side"] == 1
    assert scopes["seed"]["matched"] == 0 and scopes["cfpp"]["matched"] == 2

    with (tmp_path / "gold.tsv").open(encoding="utf-8", newline="") as fh:
        gold = list(csv.DictReader(fh, delimiter="\t"))
    assert [(g["line"], g["expression"], g["expression_b"]) for g in gold] == [
        ("1", "arrivée à Paris en 1998", "en 1998"), ("2", "deux ans après", "deux ans après")]
    first, second = gold
    assert (first["kind"], first["kind_disputed"], first["year"], first["disputed"]) == ("", "yes", "1998", "no")
    assert (second["kind"], second["year"], second["disputed"]) == ("relative", "", "yes")
    report = (tmp_path / "agreement-report.md").read_text(encoding="utf-8")
    assert "| B | U902 | 1 | depuis 2020 | year |" in report and "| A | U901 | 1 | en 1998 | year |" in report


def test_units_and_frozen_split_rebuild_from_shared(shared_dir):
    make_packet = _load("make_packet")
    units, _ = make_packet.build_units(shared_dir)
    with (SET / "units.tsv").open(encoding="utf-8", newline="") as fh:
        frozen = list(csv.DictReader(fh, delimiter="\t"))
    assert [(u.uid, u.source, u.origin, str(len(u.lines))) for u in units] == [
        (r["unit"], r["source"], r["origin"], r["lines"]) for r in frozen]
    counts = {s: sum(u.source == s for u in units) for s in ("parisstories", "seed", "cfpp")}
    assert counts["parisstories"] == 36 and counts["cfpp"] == 26 and 30 <= counts["seed"] <= 70
    # no CFPP passage the earlier timeline sets annotated; every seed unit holds a temporal cue
    assert not {u.origin for u in units if u.source == "cfpp"} & make_packet.used_passages()
    assert all(make_packet.TEMPORAL.search(" ".join(u.lines)) for u in units if u.source == "seed")

    split = make_packet.make_split(units)
    with (SET / "split.tsv").open(encoding="utf-8", newline="") as fh:
        assert {r["unit"]: r["split"] for r in csv.DictReader(fh, delimiter="\t")} == split
    with make_packet.TP_SPLIT.open(encoding="utf-8", newline="") as fh:
        tp_side = {r["story"]: r["split"] for r in csv.DictReader(fh, delimiter="\t")}
    assert all(split[u.uid] == tp_side[u.origin] for u in units if u.source == "parisstories")
