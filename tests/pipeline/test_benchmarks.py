"""The benchmark runner works (``--quick``: 3 transcripts); the full run is not part of CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
import pytest

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_reports_every_figure(tmp_path, shared_dir):
    out = tmp_path / "bench.json"
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                         capture_output=True, text=True, timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["spacy"]["words_per_s"] > 0 and figures["spacy"]["same_components"]["words_per_s"] > 0
    assert "ner" in figures["spacy"]["default"]["components"]
    assert figures["first_run"]["processed"] == 2 and figures["add_one"]["processed"] == 1
    assert figures["unchanged"]["processed"] == 0
    assert 0 < figures["unchanged_share"] < 1
    assert figures["first_run"]["peak_rss_mb"] > 100
    assert figures["pdf"]["narratif_pages_per_s"] > 0 and figures["pdf"]["narratif_f1"] > 0.98
    assert "ratio run / spaCy" in res.stdout
