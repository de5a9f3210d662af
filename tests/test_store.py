"""The DuckDB store: atomic per-document writes, replacement by path, attributes as columns."""

from __future__ import annotations

import pandas as pd
import pytest

from narratif.ingest import ingest_file
from narratif.models import Analysis, Coding, Sentence
from narratif.store import Store, attribute_column


def _doc(tmp_path, name="a.txt", text="Marie : bonjour\nEnquêteur : et alors ?\nMarie : on est partis en 1969.\n",
         attrs=None):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return ingest_file(p, attrs or {})


def test_write_is_idempotent_and_attributes_become_columns(tmp_path):
    doc = _doc(tmp_path, attrs={"Collectif": "Vallée", "Tranche d'âge": "60+"})
    an = Analysis(sentences=[Sentence(doc.doc_id, 0, 0, doc.segments[0].start, doc.segments[0].end, "bonjour")],
                  codings=[Coding(doc.doc_id, 0, "habitants", 0.8, "lexicon", "bonjour")])
    with Store(tmp_path / "out") as store:
        store.write_document(doc, an, "k1")
        store.write_document(doc, an, "k1")  # rerun: no duplicates
        docs = store.documents()
        assert len(docs) == 1
        assert docs.loc[0, "collectif"] == "Vallée"
        assert docs.loc[0, "tranche_d_age"] == "60+"
        assert len(store.table("segments")) == len(doc.segments) == 3
        assert len(store.table("codings")) == 1
        seg = store.table("segments").sort_values("seg_id")
        # offsets index the stored text
        text = store.documents(with_text=True).loc[0, "text"]
        for _, s in seg.iterrows():
            assert text[s["start"]:s["end"]] == s["text"]
        assert list(seg["role"]) == ["narrator", "interviewer", "narrator"]


def test_changed_file_replaces_old_rows(tmp_path):
    out = tmp_path / "out"
    d1 = _doc(tmp_path)
    with Store(out) as store:
        store.write_document(d1, Analysis(), "k")
    d2 = _doc(tmp_path, text="Marie : tout a changé\nMarie : vraiment\n")
    assert d2.doc_id != d1.doc_id
    with Store(out) as store:
        store.write_document(d2, Analysis(), "k", replaces=store.doc_ids_for_path(d2.path))
        assert list(store.documents()["doc_id"]) == [d2.doc_id]
        assert set(store.table("segments")["doc_id"]) == {d2.doc_id}


def test_failed_write_rolls_back(tmp_path):
    doc = _doc(tmp_path)
    with Store(tmp_path / "out") as store:
        store.write_document(doc, Analysis(), "k")
        bad = Analysis(codings=[Coding(doc.doc_id, 0, "x", "not a number", "m", "e")])  # type: ignore[arg-type]
        with pytest.raises(Exception):
            store.write_document(doc, bad, "k2")
        # the old version is intact
        assert store.processed_keys()[doc.doc_id][1] == "k"
        assert len(store.table("segments")) == len(doc.segments)


def test_second_writer_is_refused_with_clear_message(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    with Store(out):
        code = ("from narratif.store import Store, StoreLockedError\n"
                f"try:\n  Store({str(out)!r})\nexcept StoreLockedError as e:\n  print('LOCKED', e)\n")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOCKED" in res.stdout and "another narratif process" in res.stdout


def test_replace_table_and_parquet_export(tmp_path):
    out = tmp_path / "out"
    with Store(out) as store:
        store.replace_table("code_frequencies", pd.DataFrame({"code": ["a"], "n": [3]}))
        store.replace_table("code_frequencies", pd.DataFrame({"code": ["b", "c"], "n": [1, 2]}))
        with pytest.raises(ValueError):
            store.replace_table("codings", pd.DataFrame())
        paths = store.export_parquet()
    assert (out / "tables" / "code_frequencies.parquet") in paths
    assert len(pd.read_parquet(out / "tables" / "code_frequencies.parquet")) == 2


def test_attribute_column_names_are_safe():
    assert attribute_column("Tranche d'âge") == "tranche_d_age"
    assert attribute_column("path") == "attr_path"
    assert attribute_column('x"; DROP TABLE documents; --') == "x_drop_table_documents"
