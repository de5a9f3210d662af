"""The one formatting module of the reports, and the rule that a quote stands once in a section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from narratif.codebook import load_codebook
from narratif.aggregate.narrative import distinct_quotes
from narratif.report.formatting import Formatter, items, number, percent, signed, yes_no
from narratif.report.summary import CHANGES_HEADING, changes_section


def test_numbers_read_in_french():
    assert number(11885) == "11\u202f885" and number(0.5113, 3) == "0,511"
    assert percent(0.1662) == "16,6\u202f%" and signed(4.21) == "+4,2" and signed(-3.5) == "\u22123,5"
    assert number(None) == percent(float("nan")) == signed(pd.NA) == "" and signed(-0.04) == "0,0"
    f = Formatter()
    assert f.cell("year", 1993) == "1993" and f.cell("n_words", 1127) == "1\u202f127"  # a year is no count
    assert f.cell("share_segments", np.float64(0.306)) == "30,6\u202f%"


def test_lists_and_booleans_never_show_a_repr():
    assert items("['manufacture' 'eau' 'printemps']") == ["manufacture", "eau", "printemps"]
    assert items(np.array(["a", "b"])) == ["a", "b"] and items('["a", "b"]') == ["a", "b"]
    f = Formatter()
    assert f.cell("top_terms", np.array(["manufacture", "eau"])) == "manufacture, eau"
    assert f.cell("anything", [1, 2]) == "1, 2" and f.cell("anything", "True") == "oui"
    assert [yes_no(v) for v in (True, np.False_, "false", None)] == ["oui", "non", "non", ""]
    assert f.cell("emergent", pd.array([True], dtype="boolean")[0]) == "oui"


def test_codes_read_as_their_labels_and_shared_labels_say_their_kind():
    f = Formatter(load_codebook(None))
    assert f.cell("code", "moment_cle") == "Moment clé"
    assert f.cell("code", "toucher_invisibles") == "Toucher les invisibles (levier)"
    assert f.cell("code", "habitants.invisibles") == "Toucher les invisibles (thème)"
    links = json.dumps([{"code": "chantiers_participatifs", "label": "old label", "similarity": 0.3173},
                        {"code": "gone_code", "label": "Code retiré", "similarity": 0.1}])
    assert f.cell("nearest_codes", links) == "Chantiers participatifs (0,32) ; Code retiré (0,10)"
    assert f.cell("reading_a", "habitants, gouvernance") == \
        "Implication des habitants ; Gouvernance et formes juridiques"
    assert f.cell("reading_a", "obstacle") == "obstacle"
    assert f.cell("sequence", "mobilite → decision") == "mobilité → décision"
    assert f.cell("obstacle_type", "probleme") == "Problème (obstacle rencontré)"
    assert f.cell("group", "interview", {"attribute": "kind"}) == "entretien"
    assert f.cell("group", "interview", {"attribute": "role"}) == "interview"  # a value, not a kind
    assert f.cell("groups", "collectif : A, B ; kind : monograph") == \
        "Collectif : A, B ; Type de document : monographie"
    assert f.cell("item_label", "tournant : revelation") == "tournant : révélation"


def test_spreadsheet_keeps_numbers_as_numbers():
    f = Formatter(load_codebook(None))
    row = list(f.rows(pd.DataFrame({"code": ["levier"], "share": [np.float64(0.25)], "emergent": [False],
                                    "n": [np.int64(3)]}), ["code", "share", "emergent", "n"], spreadsheet=True))[0]
    assert row == ["Levier (ce qui a aidé)", 0.25, "non", 3] and type(row[3]) is int


def test_a_quote_stands_once_per_section_where_others_exist():
    used: dict = {}
    quote = {("a", 1): "« un »", ("b", 2): "« deux »", ("c", 3): "« trois »"}.get

    def pick(cands, place):
        return distinct_quotes(cands, lambda d, s: quote((d, s)), used, 2, place=place,
                               refer=lambda where: f"(même extrait que {where})")

    assert pick([("a", 1), ("b", 2)], "rang 1") == ["« un »", "« deux »"]
    assert pick([("a", 1), ("c", 3)], "rang 2") == ["« trois »"]  # « un » has been quoted
    assert pick([("b", 2)], "rang 3") == ["(même extrait que rang 1)"]  # no other: points to it
    assert distinct_quotes([("a", 1), ("a", 1)], lambda d, s: quote((d, s)), {}, 3) == ["« un »"]  # one per document


def test_changes_section_is_found_again_in_a_summary():
    text = f"# Synthèse\n\n_x_\n\n{CHANGES_HEADING}\n\n- 1 nouveau(x) document(s) : a.txt\n\n## Les six thèmes\n\n| x |"
    assert changes_section(text) == f"{CHANGES_HEADING}\n\n- 1 nouveau(x) document(s) : a.txt"
    assert changes_section("# nothing") == ""
