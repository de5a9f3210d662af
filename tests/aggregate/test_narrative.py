"""Collective narrative and MIAOU grid on the two-collectif sample and real CFPP interviews."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narratif.aggregate import narrative

from narratif.aggregate import quantify
from narratif.codebook import load_codebook

from report_fixtures import build_store, cfpp_files, sample_files

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables(tmp_path_factory, shared_dir):
    cb = load_codebook(None)
    files = sample_files(ROOT) + cfpp_files(shared_dir, ["Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt"])
    store = build_store(tmp_path_factory.mktemp("narrative"), files, cb)
    res = narrative.compute_all(store, cb)
    res["_store"] = store
    yield res
    store.close()


def test_collective_timeline_merges_voices(tables):
    ct = tables["collective_timeline"]
    assert set(ct["collectif"]) == {"dromette", "tilleuls"}
    for name, g in ct.groupby("collectif"):
        assert g["year"].is_monotonic_increasing
        assert "monographie" in set(g["role"]) and g["role"].nunique() >= 3
    # one row per sentence and year, a turning point preferred over a bare date
    assert not ct.duplicated(["doc_id", "text", "year"]).any()
    assert (ct["source"] == "tournant").any()
    assert ct["ref"].str.contains(r"\.(?:txt|md), ").all()


def test_orientation_and_shared_themes(tables):
    o = tables["collective_orientation"]
    shares = o[["share_past", "share_present", "share_future"]].sum(axis=1)
    assert shares.round(6).eq(1).all()
    th = tables["collective_themes"]
    assert set(th.loc[th["n_roles"] == 1, "voice"]) <= {"voix unique"}
    assert (th.loc[th["voice"] == "partagé", "n_roles"] * 2 >= th.loc[th["voice"] == "partagé", "roles_total"]).all()
    assert "miaou" not in {c.category for c in load_codebook(None).codes if c.id in set(th["code"])}


def test_divergences_oppose_two_roles(tables):
    d = tables["collective_divergences"]
    assert not d.empty
    assert (d["role_a"] != d["role_b"]).all()
    pol = d[d["kind"] == "polarité"]
    assert (pol["reading_a"] != pol["reading_b"]).all()
    assert set(pol["reading_a"]) | set(pol["reading_b"]) <= {"obstacle", "levier"}


def test_miaou_grid_ranks_with_quotes(tables):
    g = tables["miaou_grid"]
    assert list(dict.fromkeys(g["category"])) == [c for c in narrative.MIAOU if c in set(g["category"])]
    for _, part in g.groupby("category"):
        assert list(part["rank"]) == list(range(1, len(part) + 1))
        assert part["n_stories"].is_monotonic_decreasing
    top = g.iloc[0]
    quotes = top["quotes"].split("\n")
    assert 1 <= len(quotes) <= 3 and all(re.match(r"« .+ » \(.+\)$", q) for q in quotes)
    assert (g["n_mentions"] >= g["n_stories"]).all()


def test_quote_reference_gives_speaker_and_timestamp(tables):
    store = tables["_store"]
    x = quantify.load_inputs(store)
    qf = narrative.QuoteFinder(x["documents"], x["segments"], store.table("sentences"))
    segs = x["segments"]
    mira = x["documents"][x["documents"]["path"].str.contains("Mira")]["doc_id"].item()
    row = segs[(segs["doc_id"] == mira) & (segs["speaker"] == "Mira")].iloc[1]
    q = qf.quote(mira, row["seg_id"])
    assert q["ref"] == f"Mira_F_88_14e-v2.txt, Mira, {row['timestamp']}"
    assert "[pause]" not in q["text"] and len(q["text"]) <= qf.max_chars + 4
