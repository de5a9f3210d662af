"""Runs that cost what is new: worker processes store what one process stores, an unchanged
rerun starts neither spaCy nor Prefect, and the per-document caches stay exact."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import assert_same_store

pytestmark = pytest.mark.slow  # runs the pipeline (make test-fast skips it)

NARRATIF = [sys.executable, "-m", "narratif.cli"]


@pytest.fixture(scope="module")
def corpus(shared_dir, tmp_path_factory) -> Path:
    """Two real stories and two real interview excerpts."""
    d = tmp_path_factory.mktemp("perf-corpus")
    for name in ("2021_nouvelleCollegue.txt", "2022_rencontreALiege.txt"):
        shutil.copy(shared_dir / "corpora" / "parisstories" / name, d / name)
    for name in ("Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt"):
        lines = (shared_dir / "corpora" / "cfpp2000" / name).read_text(encoding="utf-8").splitlines()[:120]
        (d / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def _run(args, **kw):
    return subprocess.run(NARRATIF + args, capture_output=True, text=True, env=dict(os.environ), timeout=900, **kw)


@pytest.fixture(scope="module")
def one_process(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("one-process") / "out"
    res = _run(["run", str(corpus), "--out", str(out), "--no-topics", "--workers", "1"])
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_worker_processes_store_what_one_process_stores(corpus, one_process, tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "NARRATIF_CACHE_DIR"}
    res = subprocess.run(NARRATIF + ["run", str(corpus), "--out", str(out), "--no-topics", "--workers", "2"],
                         capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "4 analysed" in res.stderr
    assert_same_store(one_process, out)
    # the workers, on this machine, kept their start-up caches in OUT (the next run reads them), or
    # read the tokenizer pattern from the environment's cache (``narratif prepare`` at setup)
    from narratif import cachedir

    assert list((out / "models" / "cache" / "regex").glob("*.json")) or list(
        (cachedir.install_dir() / "regex").glob("*.json"))
    assert list((out / "models" / "cache" / "coding").glob("*.joblib"))


_PROBE = """
import json, sys
from narratif.api import run

result = run([sys.argv[1]], sys.argv[2], topics=False)
s = result.summary
print(json.dumps({"spacy": "spacy" in sys.modules, "prefect": "prefect" in sys.modules,
                  "processed": s.n_processed, "skipped": s.n_skipped, "words": s.n_words}))
"""


def test_unchanged_rerun_loads_no_model_and_starts_no_prefect(corpus, one_process, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(one_process, out)
    report = (out / "report.html").stat().st_mtime_ns
    res = subprocess.run([sys.executable, "-c", _PROBE, str(corpus), str(out)], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    probe = json.loads(res.stdout.strip().splitlines()[-1])
    assert probe["spacy"] is False and probe["prefect"] is False
    assert probe["processed"] == 0 and probe["skipped"] == 4 and probe["words"] > 1000
    assert (out / "report.html").stat().st_mtime_ns == report  # outputs already matched the store
    from narratif.store import Store

    with Store(out, read_only=True) as store:
        runs = store.table("runs")
    assert len(runs) == 2 and int(runs.sort_values("started_at").iloc[-1]["n_skipped"]) == 4
    assert_same_store(one_process, out)


def test_a_changed_codebook_is_not_an_unchanged_rerun(corpus, one_process, tmp_path):
    """The quick check must see everything the analysis depends on: another codebook
    (same file name, one keyword more) re-analyses every document."""
    from narratif.codebook import default_codebook_path

    out = tmp_path / "out"
    shutil.copytree(one_process, out)
    codebook = tmp_path / "ess_transitions.yaml"
    text = default_codebook_path().read_text(encoding="utf-8")
    codebook.write_text(re.sub(r"strong_keywords: \[", "strong_keywords: [quartier, ", text, count=1),
                        encoding="utf-8")
    res = _run(["run", str(corpus), "--out", str(out), "--no-topics", "--codebook", str(codebook)])
    assert res.returncode == 0, res.stderr[-3000:]
    assert "4 analysed" in res.stderr


def test_spacy_pattern_cache_rebuilds_the_same_pattern(tmp_path, monkeypatch, shared_dir):
    """The French tokenizer's exception pattern, rebuilt from the on-disk cache, matches
    exactly what the compiled one matches (tokens of a real interview)."""
    from re import _compiler

    from narratif.nlp import _regex_cache as rc

    monkeypatch.setenv("NARRATIF_CACHE_DIR", str(tmp_path))
    import spacy.lang.fr.tokenizer_exceptions as exc

    pattern = exc.TOKEN_MATCH.__self__.pattern
    flags = 0  # as spaCy compiles it (the pattern sets its own flags inline)
    reference = _compiler.compile(pattern, flags)
    read, write = rc.cache_dirs()
    assert write == tmp_path / "regex" and read[0] == write
    with rc.cached_long_patterns([write], write):  # this folder only (not the environment's cache)
        first = _compiler.compile(pattern, flags)  # compiled and saved
        again = _compiler.compile(pattern, flags)  # rebuilt from the cache file
    assert list((tmp_path / "regex").glob("*.json"))
    text = (shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").read_text(encoding="utf-8")
    words = set(re.findall(r"\S+", text)) | {"aujourd'hui", "peut-être", "Saint-Étienne", "c'est-à-dire"}
    for compiled in (first, again):
        assert compiled.groups == reference.groups and compiled.flags == reference.flags
        assert [bool(compiled.match(w)) for w in sorted(words)] == [bool(reference.match(w)) for w in sorted(words)]


def test_caches_are_written_only_where_a_run_or_a_flag_says(tmp_path, monkeypatch):
    """Nothing in the home folder: the run's ``models/cache``, else ``$NARRATIF_CACHE_DIR``,
    else no writing (the environment's cache from setup is only read)."""
    import sys

    from narratif import cachedir
    from narratif.nlp import _regex_cache as rc

    monkeypatch.delenv("NARRATIF_CACHE_DIR", raising=False)
    assert cachedir.write_dir(None) is None
    assert rc.cache_dirs(None) == ([Path(sys.prefix) / "share" / "narratif" / "cache" / "regex"], None)
    from narratif.pipeline.steps import RunSettings

    settings = RunSettings(out=tmp_path / "out")
    assert settings.cache_dir == tmp_path / "out" / "models" / "cache"
    read, write = rc.cache_dirs(settings.cache_dir)
    assert write == settings.cache_dir / "regex" and read[0] == write
    monkeypatch.setenv("NARRATIF_CACHE_DIR", str(tmp_path / "c"))
    models = settings.models_dir
    assert cachedir.write_dir(models) == tmp_path / "c"
    assert RunSettings(out=tmp_path / "out").cache_dir == tmp_path / "c"
    assert all(not str(d).startswith(str(Path.home() / ".cache")) for d in cachedir.read_dirs(models))


def test_prepare_fills_a_cache_that_a_quick_check_reads_without_writing(tmp_path):
    """``narratif prepare`` writes the tokenizer pattern and the fitted default coder; a later
    ``narratif code`` in a fresh process reads them and writes nothing (nothing refitted)."""
    cache = tmp_path / "cache"
    res = _run(["prepare", "--cache-dir", str(cache)])
    assert res.returncode == 0, res.stderr[-3000:]
    files = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert {p.parent.name for p in files} == {"regex", "coding"}
    env = {**os.environ, "NARRATIF_CACHE_DIR": str(cache)}
    res = subprocess.run([sys.executable, "-m", "narratif.cli", "code",
                          "Les habitants ont participé au chantier avec la mairie."],
                         capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "habitants" in res.stdout
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == files
