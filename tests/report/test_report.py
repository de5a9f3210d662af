"""write_reports: the three outputs, history and "what changed", empty stores, topics; timed."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from narratif.codebook import load_codebook
from narratif.report import write_reports
from narratif.report.xlsx import sheet_name
from narratif.store import Store

from report_fixtures import build_store, cfpp_files, rule_analysis, sample_files
import pytest

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]


def test_sheet_names_are_short_and_unique():
    used: set[str] = set()
    a = sheet_name("collective_divergences_between_roles_long", used)
    b = sheet_name("collective_divergences_between_roles_long", used)
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert sheet_name("a/b:c?", used) == "a_b_c_"


def test_reports_on_real_material_and_history(tmp_path, shared_dir):
    cb = load_codebook(None)
    files = sample_files(ROOT) + cfpp_files(shared_dir, ["Mira_F_88_14e-v2.txt"])
    store = build_store(tmp_path, files[:-2] + files[-1:], cb)  # one Tilleuls interview held back
    t0 = time.perf_counter()
    paths = write_reports(store, tmp_path, codebook=cb)
    seconds = time.perf_counter() - t0
    assert seconds < 30
    html = paths["report"].read_text(encoding="utf-8")
    # offline: no external script, stylesheet or font; plotly.js embedded exactly once
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=|@import|fonts\.googleapis", html)
    assert html.count("* plotly.js v") == 1
    for heading in ("Vue d'ensemble", "Thèmes par groupe", "Co-occurrences", "Thèmes émergents",
                    "Tournants et temporalités", "Grille d'observation MIAOU", "Récit collectif"):
        assert heading in html
    summary = paths["summary"].read_text(encoding="utf-8")
    assert "Premier rapport" in summary
    for theme in cb.theme_ids:
        assert f"### {cb.get(theme).label}" in summary
    quotes = [line for line in summary.splitlines() if line.startswith("> « ")]
    assert len(quotes) >= 12 and all(line.rstrip().endswith(")") and ".txt, " in line or ".md, " in line
                                     for line in quotes)
    wb = load_workbook(paths["xlsx"], read_only=True)
    stored = set(store.tables())
    for name in ("code_by_group", "miaou_grid", "collective_timeline", "obstacle_lever_pairs"):
        assert name in stored and name in wb.sheetnames
    assert all(len(n) <= 31 for n in wb.sheetnames)
    ws = wb["code_by_group"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert "specificity" in header and sum(1 for _ in ws.iter_rows()) == len(store.table("code_by_group")) + 1
    snap = json.loads(paths["history"].read_text(encoding="utf-8"))
    assert snap["n_documents"] == len(store.documents())

    # second run: one more document, a topic table appears
    held = files[-2][0]
    from narratif.ingest import ingest_file

    doc = ingest_file(held, files[-2][1])
    store.write_document(doc, rule_analysis(doc, cb), "test")
    store.replace_table("topics", pd.DataFrame({"topic_id": [0], "label": ["jardin_partagé_quartier"], "size": [12],
                                                "top_terms": ["jardin, quartier"], "nearest_codes": ["habitants"],
                                                "emergent": [False]}))
    paths = write_reports(store, tmp_path, codebook=cb)
    summary = paths["summary"].read_text(encoding="utf-8")
    changed = summary.split("## Les six thèmes")[0]
    assert "1 nouveau(x) document(s)" in changed and held.name in changed
    assert "Nouveaux topics : jardin_partagé_quartier" in changed
    assert "jardin_partagé_quartier" in paths["report"].read_text(encoding="utf-8")
    store.close()


def test_reports_on_empty_and_uncoded_stores(tmp_path, shared_dir):
    cb = load_codebook(None)
    with Store(tmp_path / "empty") as store:
        paths = write_reports(store, tmp_path / "empty", codebook=cb)
        html = paths["report"].read_text(encoding="utf-8")
        assert "Aucun" in html and "plotly" not in html.lower()[:2000]
        assert load_workbook(paths["xlsx"]).sheetnames
    from narratif.ingest import ingest_file
    from narratif.models import Analysis

    with Store(tmp_path / "bare") as store:  # ingested but nothing coded or detected
        doc = ingest_file(shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt")
        store.write_document(doc, Analysis(), "k")
        paths = write_reports(store, tmp_path / "bare", codebook=cb)
        assert "Aucun document ne porte d'attribut" in paths["report"].read_text(encoding="utf-8")
        assert "_Aucun extrait" in paths["summary"].read_text(encoding="utf-8")


def test_documents_table_headers_match_cells_when_kind_is_also_an_attribute():
    """Regression: ``kind`` as both a column and a grouping attribute shifted the cells."""
    import pandas as pd

    from narratif.report.html import _document_columns, table

    docs = pd.DataFrame({"label": ["a.txt", "b.pdf"], "kind": ["interview", "monograph"], "n_words": [10, 20],
                         "n_segments": [2, 3], "collectif": ["X", "X"]})
    html = str(table(docs, _document_columns(["kind", "collectif"])))
    assert html.count("<th>") == 5
    assert "<th>Type</th>" in html
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    assert first_row.count("<td>") == 5 and "<td>entretien</td><td>10</td>" in first_row
