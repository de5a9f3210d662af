"""Aggregations: Lafon specificity, C-coefficient, rates and sequences, on hand cases and real material."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narratif.aggregate import quantify
from narratif.codebook import load_codebook
from narratif.store import Store

from report_fixtures import build_store, cfpp_files, sample_files

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]


def test_lafon_specificity_hand_computed():
    # 10 segments, 5 in the group, 4 coded, all 4 in the group:
    # P(X >= 4) = C(4,4) C(6,1) / C(10,5) = 6 / 252
    assert quantify.lafon_specificity(10, 5, 4, 4) == pytest.approx(-math.log10(6 / 252))
    # none in the group: P(X <= 0) = C(6,5) / C(10,5) = 6 / 252, negative sign
    assert quantify.lafon_specificity(10, 5, 4, 0) == pytest.approx(math.log10(6 / 252))
    # exactly the expectation (2): no specificity
    assert quantify.lafon_specificity(10, 5, 4, 2) == 0
    # 3 of 4: P(X >= 3) = [C(4,3) C(6,2) + C(4,4) C(6,1)] / C(10,5) = (60 + 6) / 252
    assert quantify.lafon_specificity(10, 5, 4, 3) == pytest.approx(-math.log10(66 / 252))


def test_lafon_specificity_vectorised_and_extreme():
    s = quantify.lafon_specificity(100_000, [50_000, 50_000], [2_000, 2_000], [2_000, 1_000])
    assert s[0] > 200 and np.isfinite(s[0]) and s[1] == 0


def test_cooccurrence_c_coefficient():
    coded = pd.DataFrame([("d", 1, "a"), ("d", 1, "b"), ("d", 2, "a"), ("d", 3, "b"), ("d", 4, "a"), ("d", 4, "b"),
                          ("d", 4, "c")], columns=["doc_id", "seg_id", "code"])
    co = quantify.cooccurrence(coded).set_index(["code_a", "code_b"])
    assert co.loc[("a", "b"), "n_ab"] == 2 and co.loc[("a", "b"), "c_coefficient"] == pytest.approx(2 / (3 + 3 - 2))
    assert co.loc[("a", "c"), "c_coefficient"] == pytest.approx(1 / 3)


def test_expand_codings_rolls_sub_codes_up_once_per_segment():
    cb = load_codebook(None)
    codings = pd.DataFrame([("d", 1, "cooperation.mutualisation", 0.9, "x"), ("d", 1, "cooperation", 0.5, "y"),
                            ("d", 2, "cooperation.rivalite", 0.4, "z")],
                           columns=["doc_id", "seg_id", "code", "score", "evidence"])
    x = quantify.expand_codings(codings, cb)
    assert sorted(x[x["code"] == "cooperation"]["seg_id"]) == [1, 2]
    assert x[(x["code"] == "cooperation") & (x["seg_id"] == 1)]["score"].item() == 0.9


def test_sequences_ngrams_and_obstacle_lever_pairs():
    tps = pd.DataFrame({"doc_id": ["a"] * 4 + ["b"] * 3, "sent_id": [1, 2, 3, 4, 1, 2, 3], "start": range(7),
                        "type": ["rupture", "rupture", "rencontre", "resolution", "rupture", "rencontre", "decision"]})
    docs = pd.DataFrame({"doc_id": ["a", "b"], "label": ["A", "B"]})
    seqs = quantify.turning_point_sequences(tps, docs)
    assert seqs.set_index("doc_id")["sequence"]["a"] == "rupture → rencontre → resolution"
    ng = quantify.sequence_ngrams(seqs)
    top = ng.iloc[0]
    assert (top["ngram"], top["n_narrators"]) == ("rupture → rencontre", 2)
    events = pd.DataFrame({"doc_id": ["a"] * 4, "seg_id": [1, 2, 5, 6], "sent_id": [1, 2, 5, 6], "start": [1, 2, 5, 6],
                           "polarity": ["obstacle", "obstacle", "levier", "levier"], "source": "tournant",
                           "type": ["rupture", "rupture", "resolution", "rencontre"], "text": None})
    pairs = quantify.obstacle_lever_pairs(events)
    assert len(pairs) == 1 and pairs.iloc[0]["obstacle_seg_id"] == 2 and pairs.iloc[0]["segments_between"] == 3


@pytest.fixture(scope="module")
def real_store(tmp_path_factory, shared_dir):
    cb = load_codebook(None)
    files = sample_files(ROOT) + cfpp_files(shared_dir, ["Mira_F_88_14e-v2.txt", "Anita_MUSSO_F_46_11e-v2.txt",
                                                          "Andre_Morange_H_58_Mo-v2.txt"])
    store = build_store(tmp_path_factory.mktemp("quantify"), files, cb)
    yield store, cb
    store.close()


def test_compute_all_on_real_material(real_store):
    store, cb = real_store
    res = quantify.compute_all(store, cb)
    docs = store.documents()
    segs = store.table("segments")
    # per-document rate recomputed by hand for one CFPP interview
    mira = docs[docs["path"].str.contains("Mira")]["doc_id"].item()
    spoken = segs[(segs["doc_id"] == mira) & (segs["role"] != "interviewer")]
    words = spoken["text"].str.count(r"\w+(?:[’'-]\w+)*").sum()
    coded = store.table("codings")
    sub = {"habitants", *cb.descendants("habitants")}
    n = coded[(coded["doc_id"] == mira) & coded["code"].isin(sub)]["seg_id"].nunique()
    row = res["code_frequencies"].query("doc_id == @mira and code == 'habitants'").iloc[0]
    assert row["n_segments"] == n
    assert row["per_1000_words"] == pytest.approx(1000 * n / words)
    assert row["share_segments"] == pytest.approx(n / len(spoken))
    # groups: the sample's collectifs, the roles, the CFPP age bands
    cbg = res["code_by_group"]
    assert {"collectif", "role", "tranche_age"} <= set(cbg["attribute"])
    assert (cbg["n_segments"] <= cbg["seg_total"]).all()
    coll = cbg[cbg["attribute"] == "collectif"]
    assert set(coll["group"]) == {"dromette", "tilleuls"}
    # specificity agrees in sign with the share compared to the corpus share
    total_share = res["code_frequencies"].groupby("code")["n_segments"].sum() / len(
        segs[segs["role"] != "interviewer"])
    strong = cbg[cbg["specificity"].abs() > 3]
    assert not strong.empty
    assert (np.sign(strong["specificity"]) == np.sign(strong["share_segments"] - strong["code"].map(total_share))).all()
    co = res["code_cooccurrence"]
    assert ((co["c_coefficient"] > 0) & (co["c_coefficient"] <= 1)).all()
    assert (co["n_ab"] <= co[["n_a", "n_b"]].min(axis=1)).all()
    tg = res["turning_points_by_group"]
    assert tg.groupby(["attribute", "group"])["share"].sum().round(6).eq(1).all()
    assert len(res["turning_point_sequences"]) == store.table("turning_points")["doc_id"].nunique()


def test_compute_all_on_empty_store(tmp_path):
    with Store(tmp_path) as store:
        res = quantify.compute_all(store, load_codebook(None))
    assert all(df.empty for df in res.values())
    assert "specificity" in res["code_by_group"].columns


def test_polar_events_when_every_coded_segment_is_already_a_turning_point():
    """Regression: an empty boolean list used to select no *columns* (KeyError 'code')."""
    import pandas as pd

    from narratif.aggregate.quantify import polar_events

    tps = pd.DataFrame({"doc_id": ["d"], "seg_id": [1], "sent_id": [3], "start": [10], "polarity": ["obstacle"],
                        "type": ["rupture"], "text": ["et là tout s'est arrêté"]})
    coded = pd.DataFrame({"doc_id": ["d"], "seg_id": [1], "code": ["probleme"]})
    segs = pd.DataFrame({"doc_id": ["d"], "seg_id": [1], "start": [10]})
    ev = polar_events(tps, coded, segs)
    assert list(ev["source"]) == ["tournant"]
    only_other = polar_events(tps, pd.DataFrame({"doc_id": ["d"], "seg_id": [1], "code": ["habitants"]}), segs)
    assert len(only_other) == 1
