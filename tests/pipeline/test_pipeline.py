"""A whole run (a Prefect flow run) on real material: outputs, quarantine, incrementality."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from helpers import PER_DOC, store_snapshot as _snapshot

import narratif

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)


@pytest.fixture(scope="module")
def first_run(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = narratif.run([small_corpus], out=out, topics=False)
    return result, out


def test_run_writes_store_tables_and_reports(first_run):
    result, out = first_run
    s = result.summary
    assert s.n_documents == 7
    assert s.n_quarantined == 3  # empty.pdf, chiffre.pdf (encrypted), garbage.txt
    reasons = dict(s.quarantined)
    assert any("empty" in r for p, r in reasons.items() if p.endswith("empty.pdf"))
    assert any("encrypted" in r for p, r in reasons.items() if p.endswith("chiffre.pdf"))
    assert (out / "narratif.duckdb").exists()
    for t in ("documents", "segments", "sentences", "codings", "turning_points", "timeline"):
        assert (out / "tables" / f"{t}.parquet").exists(), t
    docs = result.documents
    assert set(docs["status"]) == {"ok", "quarantined"}
    segs = result.segments
    # interviewer turns are stored, marked, and never coded
    assert (segs["role"] == "interviewer").any()
    coded = result.codings.merge(segs, on=["doc_id", "seg_id"])
    assert not (coded["role"] == "interviewer").any()
    assert len(result.codings) > 0
    # every sentence and turning point points at its text in the stored document
    texts = dict(zip(docs["doc_id"], docs["text"]))
    for t in ("sentences", "turning_points"):
        df = result.tables[t]
        for row in df.itertuples():
            assert texts[row.doc_id][row.start:row.end] == row.text


def test_unchanged_rerun_does_no_work_and_changes_nothing(first_run, small_corpus):
    from narratif.pipeline import steps as pipeline

    result, out = first_run
    before = _snapshot(out)
    pipeline._ANALYZERS.clear()
    again = narratif.run([small_corpus], out=out, topics=False)
    assert not pipeline._ANALYZERS  # the memoised signature spared loading the models
    assert again.summary.n_processed == 0
    assert again.summary.n_skipped == 7
    assert again.summary.n_quarantined == 3  # still reported
    after = _snapshot(out)
    for t in PER_DOC:
        pd.testing.assert_frame_equal(before[t], after[t])


def test_added_and_changed_files_are_the_only_work(small_corpus, shared_dir, tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(small_corpus, corpus)
    out = tmp_path / "out"
    narratif.run([corpus], out=out, topics=False, report=False)
    shutil.copy(shared_dir / "corpora" / "parisstories" / "2020_histoireOurs.txt", corpus / "ours.txt")
    (corpus / "2019_histoireDeBanlieue.txt").write_text("Lina : un jour on a déménagé à Lyon.\n", encoding="utf-8")
    res = narratif.run([corpus], out=out, topics=False, report=False)
    assert res.summary.n_processed == 2
    docs = res.documents
    assert len(docs) == 8  # the changed file replaced its old version
    assert docs["path"].is_unique


def test_transient_error_is_retried_and_a_failing_analysis_is_quarantined(small_corpus, tmp_path, monkeypatch):
    """A flaky read succeeds on retry; a document whose analysis crashes is quarantined, the rest complete."""
    import errno

    from narratif.pipeline import steps as pipeline
    from narratif.ingest import base

    calls = {"n": 0}
    real_read = base._READERS[".txt"]

    def flaky(path):
        if path.name == "2021_nouvelleCollegue.txt" and calls["n"] == 0:
            calls["n"] += 1
            raise OSError(errno.EIO, "Input/output error (network storage)")
        return real_read(path)

    real_analyse = pipeline.Analyzer.analyse

    def crashing(self, document, reviews=()):
        if document.path.endswith("2022_rencontreALiege.txt"):
            raise RuntimeError("boom in a component")
        return real_analyse(self, document, reviews)

    monkeypatch.setitem(base._READERS, ".txt", flaky)
    monkeypatch.setattr(pipeline.Analyzer, "analyse", crashing)
    # workers=1: the patches above live in this process (worker processes retry the same way)
    res = narratif.run([small_corpus], out=tmp_path / "out", topics=False, report=False, workers=1)
    docs = res.documents.set_index(res.documents["path"].str.rsplit("/", n=1).str[-1])
    assert calls["n"] == 1
    assert docs.loc["2021_nouvelleCollegue.txt", "status"] == "ok"
    assert docs.loc["2022_rencontreALiege.txt", "status"] == "quarantined"
    assert "analysis failed: RuntimeError: boom" in docs.loc["2022_rencontreALiege.txt", "error"]
    assert docs.loc["2019_histoireDeBanlieue.txt", "status"] == "ok"
