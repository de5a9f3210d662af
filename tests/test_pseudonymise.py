"""--pseudonymise: no speaker surname from CFPP2000 in any output; pseudonyms stable; store untouched."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from openpyxl import load_workbook

from narratif.codebook import load_codebook
from narratif.pseudonymise import Pseudonymiser, names_in_file_name
from narratif.report import write_reports

from report_fixtures import build_store, cfpp_files
import pytest

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

FILES = ["Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt", "Andre_Morange_H_58_Mo-v2.txt",
         "Anita_MUSSO_F_46_11e-v2.txt"]


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if not unicodedata.combining(c))


def surnames(shared: Path) -> set[str]:
    """Surnames read independently from the raw files: speaker labels, file names, metadata.csv."""
    cfpp = shared / "corpora" / "cfpp2000"
    out, first_names = set(), set()
    for name in FILES:
        m = re.match(r"([A-Z][a-zé]+)_([A-Z][A-Za-z]+)_[FH]_", name)
        if m:
            out.add(m.group(2))
        text = (cfpp / name).read_text(encoding="utf-8")
        for label in set(re.findall(r"^\[[\d:]+\] ([^:\n]+):", text, flags=re.M)):
            parts = re.sub(r"\(.*?\)", "", label).split()
            first_names.add(_fold(parts[0]))
            out.update(p for p in parts[1:] if len(p) > 2)
    with open(cfpp / "metadata.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if _fold(row["PRÉNOM"]) in first_names and row["NOM"].strip():
                out.add(row["NOM"].strip())
    return {s for s in out if s[0].isupper()}


def test_names_in_cfpp_file_names():
    assert names_in_file_name("Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2.txt") == ["Bernard Rosier",
                                                                                         "Micheline Rosier"]
    assert names_in_file_name("Assia-Berrada-F-49_Ivry-v2-1.txt") == ["Assia Berrada"]


def test_text_replaces_full_names_parts_and_labels():
    p = Pseudonymiser(["Sonia Branca-Rosoff (ENQ)", "Thérèse le Vern"],
                      documents={"d1": ("x/Mira_F_88_14e-v2.txt", "interview")})
    out = p.text("Sonia Branca-Rosoff parle à Therese le Vern puis à ROSOFF (Mira_F_88_14e-v2.txt)")
    assert out == "Personne-01 parle à Personne-02 puis à Personne-01 (Entretien-01)"
    assert p.speaker("Sonia Branca-Rosoff (ENQ)") == "Personne-01 (ENQ)"


def test_no_surname_in_any_output(tmp_path, shared_dir):
    cb = load_codebook(None)
    store = build_store(tmp_path, cfpp_files(shared_dir, FILES), cb)
    names = surnames(shared_dir)
    assert {"Branca-Rosoff", "Belkacem", "Morange", "MUSSO"} <= names
    paths = write_reports(store, tmp_path, codebook=cb, pseudonymise=True)
    wb = load_workbook(paths["xlsx"], read_only=True)
    cells = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    outputs = {"report.html": paths["report"].read_text(encoding="utf-8"),
               "summary.md": paths["summary"].read_text(encoding="utf-8"), "analysis.xlsx": cells}
    for where, text in outputs.items():
        folded = _fold(text)
        for name in names:
            for part in [name, *name.split("-")]:
                assert not re.search(rf"(?<![\w-]){re.escape(_fold(part))}(?![\w-])", folded), (where, part)
        assert "Personne-" in text and "Entretien-" in text
    assert "Mira_F_88" not in outputs["report.html"] and ".txt, " not in outputs["summary.md"]
    # the store keeps the real labels; pseudonyms are stable from one run to the next
    assert "Sonia Branca-Rosoff" in set(store.table("segments")["speaker"])
    mapping = (tmp_path / ".narratif-pseudonyms.json").read_text(encoding="utf-8")
    def quotes(md: str) -> list[str]:
        return [line for line in md.splitlines() if line.startswith("> ")]

    first = quotes(outputs["summary.md"])
    assert first and all("Personne-" in q for q in first)
    paths = write_reports(store, tmp_path, codebook=cb, pseudonymise=True)
    assert quotes(paths["summary"].read_text(encoding="utf-8")) == first
    assert (tmp_path / ".narratif-pseudonyms.json").read_text(encoding="utf-8") == mapping
    store.close()


def test_names_found_by_ner_are_replaced_although_the_analysis_pipeline_runs_without_ner(nlp):
    """The shared model is loaded with NER disabled; pseudonymisation must still run NER."""
    from narratif.pseudonymise import Pseudonymiser

    assert "ner" not in nlp.pipe_names and "ner" in nlp.component_names
    spans = Pseudonymiser._ner_spans(type("P", (), {"nlp": nlp})(),
                                     ["Hier, Marie Dupont a retrouvé Sonia Branca-Rosoff au marché."])
    found = {"Hier, Marie Dupont a retrouvé Sonia Branca-Rosoff au marché."[a:b] for a, b in spans[0]}
    assert "Marie Dupont" in found
    assert "ner" not in nlp.pipe_names  # left as it was


def test_register_of_persons_attributes_are_pseudonymised(tmp_path, shared_dir):
    """With CFPP2000's metadata.csv as case attributes, a two-person file carries both names in
    ``personnes``, ``prénom``/``nom`` and a per-person ``birth_year``: none may reach a report."""
    from narratif.ingest.attributes import load_attributes

    cb = load_codebook(None)
    cfpp = shared_dir / "corpora" / "cfpp2000"
    register = load_attributes(cfpp / "metadata.csv")
    path = cfpp / "Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2.txt"
    attrs = register.for_file(path)
    assert "MICHELINE ROSIER" in attrs["birth_year"] and attrs["personnes"]
    store = build_store(tmp_path, [(path, attrs)], cb)
    paths = write_reports(store, tmp_path, codebook=cb, pseudonymise=True)
    wb = load_workbook(paths["xlsx"], read_only=True)
    cells = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    for where, text in {"report.html": paths["report"].read_text(encoding="utf-8"),
                        "summary.md": paths["summary"].read_text(encoding="utf-8"), "analysis.xlsx": cells}.items():
        folded = _fold(text)
        for part in ("rosier", "micheline"):
            assert not re.search(rf"(?<![\w-]){part}(?![\w-])", folded), (where, part)
    store.close()
