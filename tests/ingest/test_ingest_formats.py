"""DOCX, ODT, TextGrid and awkward text files: text, structure and quarantine reasons."""

from __future__ import annotations

import codecs
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from odf.opendocument import OpenDocumentText
from odf.text import H, LineBreak, Note, NoteBody, NoteCitation, P, S, Span

from narratif.ingest import ingest_file
from narratif.ingest.base import QuarantineError
from narratif.ingest.office import read_docx, read_odt
from narratif.ingest.text import read_text
from narratif.ingest.textgrid import parse_textgrid, read_textgrid
from narratif.ingest.transcript import detect_turns

# --------------------------------------------------------------------------- docx


def _docx(path: Path, paragraphs: list[str], *, table: list[str] | None = None) -> Path:
    d = docx.Document()
    for para in paragraphs:
        d.add_paragraph(para)
    if table:
        t = d.add_table(rows=1, cols=len(table))
        for i, cell in enumerate(table):
            t.cell(0, i).text = cell
    d.save(path)
    return path


def test_docx_paragraphs_become_blocks(tmp_path):
    p = _docx(tmp_path / "rapport.docx", ["Le projet", "", "Il est né en 2015 à Lyon.", "Les habitants : tous."],
              table=["cellule A", "cellule B"])
    ex = read_docx(p)
    assert ex.text == "Le projet\n\nIl est né en 2015 à Lyon.\n\nLes habitants : tous.\n\ncellule A\n\ncellule B"
    assert [ex.text[b.start : b.end] for b in ex.blocks][:2] == ["Le projet", "Il est né en 2015 à Lyon."]
    doc = ingest_file(p)
    assert doc.ok and doc.kind == "monograph" and doc.format == "docx" and len(doc.segments) == 5
    assert all(s.role == "author" for s in doc.segments)


def test_docx_transcript_yields_turns(tmp_path):
    d = docx.Document()
    d.core_properties.title = "Entretien 3"
    for _ in range(3):
        d.add_paragraph("Enquêteur : comment êtes-vous arrivée à Paris ?")
        para = d.add_paragraph("Mme Martin : en 1962, ")
        para.add_run("avec mes parents.").bold = True
    d.save(tmp_path / "entretien.docx")
    doc = ingest_file(tmp_path / "entretien.docx")
    assert doc.ok and doc.kind == "interview" and doc.title == "Entretien 3"
    assert [(s.speaker, s.role) for s in doc.segments[:2]] == [("Enquêteur", "interviewer"), ("Mme Martin", "narrator")]
    assert doc.segments[1].text == "en 1962, avec mes parents."
    assert all(doc.text[s.start : s.end] == s.text for s in doc.segments)


def test_empty_docx_is_quarantined(tmp_path):
    _docx(tmp_path / "vide.docx", [])
    with pytest.raises(QuarantineError) as err:
        read_docx(tmp_path / "vide.docx")
    assert err.value.reason == "empty"
    doc = ingest_file(tmp_path / "vide.docx")
    assert not doc.ok and doc.error.startswith("empty")


@pytest.mark.parametrize("content, reason", [
    (b"This is not a zip at all, just text named .docx", "unreadable"),
    (b"PK\x03\x04" + b"\x00" * 40 + b"corrupt", "unreadable"),
])
def test_non_zip_or_corrupt_docx(tmp_path, content, reason):
    p = tmp_path / "faux.docx"
    p.write_bytes(content)
    with pytest.raises(QuarantineError) as err:
        read_docx(p)
    assert err.value.reason == reason
    assert ingest_file(p).error.startswith(reason)


def test_zip_without_document_is_not_a_docx(tmp_path):
    p = tmp_path / "archive.docx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "bonjour")
    with pytest.raises(QuarantineError, match="no word/document.xml") as err:
        read_docx(p)
    assert err.value.reason == "unreadable"


def _rezip(src: Path, dst: Path, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def test_path_traversal_member_is_refused(tmp_path):
    good = _docx(tmp_path / "ok.docx", ["texte"])
    bad = _rezip(good, tmp_path / "evil.docx", extra={"../../etc/evil.sh": b"rm -rf /"})
    with pytest.raises(QuarantineError, match="unsafe path") as err:
        read_docx(bad)
    assert err.value.reason == "unsafe"


def test_zip_bomb_is_refused_before_reading(tmp_path):
    good = _docx(tmp_path / "ok.docx", ["texte"])
    bomb = _rezip(good, tmp_path / "bomb.docx", extra={"word/media/zeros.bin": b"\0" * (20 * 1024 * 1024)})
    assert bomb.stat().st_size < 200_000
    with pytest.raises(QuarantineError, match="zip bomb") as err:
        read_docx(bomb)
    assert err.value.reason == "unsafe"


def test_docx_with_entities_is_refused(tmp_path):
    good = _docx(tmp_path / "ok.docx", ["texte"])
    with zipfile.ZipFile(good) as zf:
        xml = zf.read("word/document.xml").decode()
    head, rest = xml.split("?>", 1)
    laughs = head + '?><!DOCTYPE w [<!ENTITY a "hahahaha"><!ENTITY b "&a;&a;&a;&a;">]>' + rest.replace(
        "texte", "&b;")
    bad = _rezip(good, tmp_path / "laughs.docx", replace={"word/document.xml": laughs.encode()})
    with pytest.raises(QuarantineError) as err:
        read_docx(bad)
    assert err.value.reason == "unsafe"


# --------------------------------------------------------------------------- odt


def test_odt_paragraphs_spans_spaces_and_notes(tmp_path):
    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Récit de vie"))
    p = P(text="Q : où êtes-vous née ?")
    doc.text.addElement(p)
    p = P(text="R : à Lyon,")
    p.addElement(Span(text=" en 1950"))
    p.addElement(S(c=2))
    p.addText("puis")
    p.addElement(LineBreak())
    p.addText("Paris.")
    note = Note(id="n1", noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="une note de bas de page"))
    note.addElement(body)
    p.addElement(note)
    doc.text.addElement(p)
    doc.text.addElement(P(text="Q : et ensuite ?"))
    doc.text.addElement(P(text="R : le quartier a changé."))
    doc.save(str(tmp_path / "recit.odt"))
    ex = read_odt(tmp_path / "recit.odt")
    assert ex.text.split("\n\n")[2] == "R : à Lyon, en 1950  puis\nParis."
    assert "note de bas de page" not in ex.text
    d = ingest_file(tmp_path / "recit.odt")
    assert d.ok and d.kind == "interview" and d.format == "odt"
    # The one-line heading before the first turn is a header, not speech.
    assert [s.role for s in d.segments] == ["interviewer", "narrator", "interviewer", "narrator"]
    assert d.segments[1].text == "à Lyon, en 1950  puis\nParis."


def test_empty_and_unsafe_odt(tmp_path):
    OpenDocumentText().save(str(tmp_path / "vide.odt"))
    with pytest.raises(QuarantineError) as err:
        read_odt(tmp_path / "vide.odt")
    assert err.value.reason == "empty"
    bad = tmp_path / "laughs.odt"
    _rezip(tmp_path / "vide.odt", bad, replace={"content.xml": b'<?xml version="1.0"?><!DOCTYPE r '
                                                 b'[<!ENTITY a "ha">]><r>&a;</r>'})
    with pytest.raises(QuarantineError) as err:
        read_odt(bad)
    assert err.value.reason == "unsafe"
    (tmp_path / "faux.odt").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert ingest_file(tmp_path / "faux.odt").error.startswith("unreadable")


# --------------------------------------------------------------------------- TextGrid

_SHORT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
10.5
<exists>
2
"IntervalTier"
"Q (ENQ)"
0
10.5
3
0
2.5
"vous êtes née où ?"
2.5
6
""
6
10.5
"et ""après"" ?"
"IntervalTier"
"Marie"
0
10.5
2
2.5
4
"à Lyon"
4
6
"en 1950"
'''


def test_textgrid_short_format_and_utf16(tmp_path):
    for name, data in [("short.TextGrid", _SHORT.encode("utf-8")),
                       ("be.TextGrid", codecs.BOM_UTF16_BE + _SHORT.encode("utf-16-be")),
                       ("le_nobom.TextGrid", _SHORT.encode("utf-16-le"))]:
        (tmp_path / name).write_bytes(data)
        ex = read_textgrid(tmp_path / name)
        assert ex.text == ("[00:00:00] Q (ENQ): vous êtes née où ?\n[00:00:02] Marie: à Lyon en 1950\n"
                           '[00:00:06] Q (ENQ): et "après" ?'), name
        assert [(t.speaker, t.role, t.timestamp) for t in ex.turns] == [
            ("Q", "interviewer", "00:00:00"), ("Marie", "narrator", "00:00:02"), ("Q", "interviewer", "00:00:06")]
        assert [ex.text[t.start : t.end] for t in ex.turns] == ["vous êtes née où ?", "à Lyon en 1950",
                                                                  'et "après" ?']


def test_textgrid_real_file_matches_the_txt_transcript(shared_dir):
    """The CFPP2000 TextGrid and its .txt transcript give the same turns, speakers and timestamps."""
    tg = shared_dir / "corpora" / "cfpp2000" / "textgrid" / "Mira_F_88_14e-v2.TextGrid"
    tiers = parse_textgrid(tg.read_text(encoding="utf-8"))
    assert [t.name for t in tiers] == ["Mira", "Sonia Branca-Rosoff (ENQ)"]
    assert [len(t.intervals) for t in tiers] == [412, 416]
    ex = read_textgrid(tg)
    txt = read_text(shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").text
    ref = detect_turns(txt)
    assert len(ex.turns) == len(ref) == 424
    assert Counter(t.role for t in ex.turns) == {"interviewer": 212, "narrator": 212}
    assert [ex.text[t.start : t.end] for t in ex.turns] == [txt[t.start : t.end] for t in ref]
    assert [(t.speaker, t.timestamp) for t in ex.turns] == [(r.speaker, r.timestamp) for r in ref]
    assert detect_turns(ex.text) is not None  # the stored text reads like a .txt transcript
    doc = ingest_file(tg)
    assert doc.ok and doc.kind == "interview" and doc.format == "textgrid" and len(doc.segments) == 424


def test_textgrid_long_format_roundtrip_with_tricky_labels(tmp_path):
    long = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 3\ntiers? <exists>\n'
            'size = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n        name = "Jean"\n'
            '        xmin = 0\n        xmax = 3\n        intervals: size = 2\n        intervals [1]:\n'
            '            xmin = 0\n            xmax = 1.5\n            text = "item [2]: intervals [9] ! pas un'
            ' commentaire"\n        intervals [2]:\n            xmin = 1.5\n            xmax = 3\n'
            '            text = "sur\ndeux lignes"\n')
    (tmp_path / "long.TextGrid").write_text(long, encoding="utf-8")
    ex = read_textgrid(tmp_path / "long.TextGrid")
    assert ex.text == "[00:00:00] Jean: item [2]: intervals [9] ! pas un commentaire sur deux lignes"
    assert ex.turns[0].role == "narrator"


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b'File type = "ooTextFile"\nObject class = "TextGrid"\n0\n1\n<exists>\n1\n"IntervalTier"\n"A"\n0\n1\n5\n',
     "unreadable"),
    (b"ooBinaryFile\x08TextGrid\x00\x01\x02", "unsupported"),
    (b"just some words, not a TextGrid", "unreadable"),
    (b'File type = "ooTextFile"\nObject class = "TextGrid"\n0\n1\n<exists>\n1\n"IntervalTier"\n"A"\n0\n1\n1\n'
     b'0\n1\n""\n', "empty"),
])
def test_bad_textgrids_are_quarantined(tmp_path, content, reason):
    p = tmp_path / "bad.TextGrid"
    p.write_bytes(content)
    doc = ingest_file(p)
    assert not doc.ok and doc.error.startswith(reason), doc.error


# --------------------------------------------------------------------------- text files


def test_text_encodings(tmp_path):
    phrase = "L'été où je suis arrivée à Paris, en 1962 — déjà."
    (tmp_path / "bom16.txt").write_bytes(codecs.BOM_UTF16_LE + phrase.encode("utf-16-le"))
    (tmp_path / "cp1252.txt").write_bytes((phrase.replace("—", "-") + "\n" + phrase.replace("—", "-")).encode(
        "cp1252"))
    (tmp_path / "utf8bom.txt").write_bytes(codecs.BOM_UTF8 + phrase.encode("utf-8"))
    (tmp_path / "crlf.txt").write_bytes(b"ligne un\r\nligne deux\r\n")
    assert read_text(tmp_path / "bom16.txt").text == phrase
    assert read_text(tmp_path / "cp1252.txt").text.startswith("L'été où je suis arrivée")
    assert read_text(tmp_path / "utf8bom.txt").text == phrase
    assert read_text(tmp_path / "crlf.txt").text == "ligne un\nligne deux\n"


def test_garbage_and_empty_files_are_quarantined(tmp_path):
    import random

    rng = random.Random(7)
    (tmp_path / "garbage.txt").write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\t\n")
    (tmp_path / "empty.docx").write_bytes(b"")
    assert ingest_file(tmp_path / "garbage.txt").error.split(":")[0] in {"binary", "encoding"}
    for name in ("empty.txt", "blank.md", "empty.docx"):
        doc = ingest_file(tmp_path / name)
        assert not doc.ok and doc.error.startswith("empty"), (name, doc.error)


def test_utf16_transcript_text_file(tmp_path):
    text = "Q : vous êtes née où ?\nR : à Lyon.\nQ : et après ?\nR : Paris.\n"
    (tmp_path / "t.txt").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    doc = ingest_file(tmp_path / "t.txt")
    assert doc.ok and doc.kind == "interview" and [s.text for s in doc.segments][1] == "à Lyon."


@pytest.mark.parametrize("tier, speaker, role", [
    ("Sonia Branca-Rosoff (ENQ)", "Sonia Branca-Rosoff", "interviewer"), ("ENQ - Sonia", "Sonia", "interviewer"),
    ("Sonia_enq", "Sonia", "interviewer"), ("[ENQ] Sonia", "Sonia", "interviewer"),
    ("Enquêteur", "Enquêteur", "interviewer"), ("Mira - words", "Mira", "narrator"), ("Intissar", "Intissar", "narrator"),
])
def test_textgrid_tier_naming_conventions(tmp_path, tier, speaker, role):
    phones = '"IntervalTier"\n"Marie - phones"\n0\n10.5\n2\n2.5\n3\n"a"\n3\n4\n"l i"\n'
    grid = _SHORT.replace('"Q (ENQ)"', f'"{tier}"').replace("<exists>\n2\n", "<exists>\n3\n") + phones
    (tmp_path / "g.TextGrid").write_text(grid, encoding="utf-8")
    ex = read_textgrid(tmp_path / "g.TextGrid")
    # the phones tier is annotation, not a speaker
    assert [(t.speaker, t.role) for t in ex.turns] == [(speaker, role), ("Marie", "narrator"), (speaker, role)]
    assert any("annotation tier" in w for w in ex.warnings)
    again = detect_turns(ex.text)
    assert [(t.speaker, t.role, t.start, t.end) for t in again] == [(t.speaker, t.role, t.start, t.end) for t in ex.turns]


def test_a_path_given_as_a_string_is_read(tmp_path):
    """The library's entry point takes what a user types: a string as well as a Path."""
    path = tmp_path / "récit.txt"
    path.write_text("Ana : je suis arrivée à Paris en 1952.\n", encoding="utf-8")
    by_str, by_path = ingest_file(str(path)), ingest_file(path)
    assert by_str.status == by_path.status != "quarantined"
    assert by_str.doc_id == by_path.doc_id and by_str.text == by_path.text
