"""REFI-QDA project export: schema validity, code-point offsets, round trip, corrections, safety."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
from lxml import etree
from typer.testing import CliRunner

from narratif.codebook import load_codebook
from narratif.refi import RefiError, export_qdpx, qdpx_to_training, read_qdpx, write_training_csv
from narratif.refi.qdpx import pseudonymise_spans
from narratif.refi.common import guid
from narratif.ingest import ingest_file
from narratif.models import Analysis, Coding, TurningPoint
from narratif.store import Store

from helpers import rewrite_qdpx as _rewrite

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

CFPP = ["Mira_F_88_14e-v2.txt", "Andre_Morange_H_58_Mo-v2.txt"]
EMOJI_TEXT = ("Élise : Quand je suis arrivée 🙂 à Paris en 1952, j'ai rencontré 👩‍👩‍👧 des partenaires "
              "de coopération.\nEnquêteur : et après ?\n"
              "Élise : Après ça 𝄞 on a créé une association de quartier avec les habitants.\n")
NS = {"q": "urn:QDA-XML:project:1.0"}


def _code(doc, codebook) -> tuple[list[Coding], list[TurningPoint]]:
    """Deterministic codings from the codebook's own keywords; turning points on 'arriv'/'rencontr'."""
    patterns = [(c.id, re.compile(r"\b(" + "|".join(re.escape(k.lower()) for k in c.all_terms()) + r")\b"))
                for c in codebook.codes if c.all_terms()]
    codings, tps = [], []
    for s in doc.segments:
        if s.role == "interviewer":
            continue
        low = s.text.lower()
        hits = [(cid, m.group()) for cid, rx in patterns if (m := rx.search(low))]
        codings.extend(Coding(doc.doc_id, s.seg_id, cid, 0.5, "lexicon", kw) for cid, kw in hits[:2])
        m = re.search(r"arriv|rencontr", s.text)
        if m:  # a span inside the segment, not on its boundaries
            a, b = s.start + m.start(), min(s.end, s.start + m.start() + 120)
            tps.append(TurningPoint(doc.doc_id, s.seg_id, 0, a, b, doc.text[a:b], "mobilite", "levier", 0.7,
                                    m.group(), time_anchor="1952"))
    return codings, tps


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory, shared_dir) -> Path:
    tmp = tmp_path_factory.mktemp("qdpx")
    emoji = tmp / "recit_emoji.txt"
    emoji.write_text(EMOJI_TEXT, encoding="utf-8")
    files = [(shared_dir / "corpora" / "cfpp2000" / f, {"genre": g, "age": a, "arrondissement": z})
             for f, g, a, z in zip(CFPP, "FH", ("88", "58"), ("14e", "Montreuil"))]
    files += [(emoji, {"genre": "F", "age": "70", "arrondissement": "Paris 🗼"}),
              (shared_dir / "pdfs" / "robustness" / "2023-06-20-PV.pdf", {"genre": None, "age": None}),
              (shared_dir / "pdfs" / "robustness" / "empty.pdf", {})]
    codebook = load_codebook()
    out = tmp / "out"
    with Store(out) as store:
        for path, attrs in files:
            doc = ingest_file(path, attrs)
            codings, tps = _code(doc, codebook) if doc.ok else ([], [])
            if doc.format == "pdf" and doc.ok:  # paragraphs get an "author" coding too
                codings.append(Coding(doc.doc_id, doc.segments[0].seg_id, "gouvernance", 0.9, "semantic", ""))
            store.write_document(doc, Analysis(codings=codings, turning_points=tps), "k")
        store.replace_table("topics", pd.DataFrame({
            "topic_id": [-1, 0, 1], "label": ["outliers", "quartier_paris", "travail_usine"], "size": [5, 40, 12],
            "share": [0.1, 0.7, 0.2], "top_terms": [["x"], ["quartier", "paris", "Mira"], ["usine", "travail"]],
            "representative_texts": [["-"], ["Mira habitait rue Daguerre"], ["on travaillait à l'usine"]],
            "best_code": [None, "habitants", None]}))
    return out


@pytest.fixture(scope="module")
def exported(store_dir) -> Path:
    return export_qdpx(store_dir, store_dir.parent / "project.qdpx")


@pytest.fixture(scope="module")
def schema(shared_dir) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(shared_dir / "refi-qda" / "Project-mrt2019.xsd"))


def _qde(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde")


def _stored(store_dir):
    with Store(store_dir, read_only=True) as store:
        return (store.documents(with_text=True), store.table("segments"), store.table("codings"),
                store.table("turning_points"))


def test_project_validates_against_refi_schema(exported, schema):
    schema.validate(_qde(exported))  # raises with the first violation
    root = etree.fromstring(_qde(exported))
    assert root.xpath("count(//q:TextSource)", namespaces=NS) == 4  # the quarantined PDF is left out
    assert root.xpath("count(//q:Note)", namespaces=NS) == 2  # topics 0 and 1, not the outliers
    for src in root.xpath("//q:TextSource", namespaces=NS):
        assert src.get("plainTextPath") == f"internal://{src.get('guid')}.txt"
    # the codebook: category groups with nested, coloured codes, and the turning-point types
    groups = root.xpath("/q:Project/q:CodeBook/q:Codes/q:Code", namespaces=NS)
    assert [g.get("name") for g in groups] == ["Thèmes", "Dimensions", "Leviers et outils", "MIAOU",
                                               "Points de bascule"]
    assert all(g.get("isCodable") == "false" for g in groups)
    coop = root.xpath("//q:Code[@name='Coopération entre acteurs diversifiés']", namespaces=NS)[0]
    assert coop.get("color") == "#1f77b4" and len(coop.xpath("q:Code", namespaces=NS)) == 2
    assert len(groups[-1].xpath("q:Code", namespaces=NS)) == 6


def test_round_trip_gives_the_same_codings_and_offsets(store_dir, exported):
    docs, seg, cod, tps = _stored(store_dir)
    project = read_qdpx(exported)
    by_guid = {guid("source", d): d for d in docs["doc_id"]}
    texts = dict(zip(docs["doc_id"], docs["text"]))
    assert {s.guid: s.text for s in project.sources} == {guid("source", d): t for d, t in texts.items()}

    spans = seg.set_index(["doc_id", "seg_id"])[["start", "end"]]
    expected = {(d, int(spans.loc[(d, s), "start"]), int(spans.loc[(d, s), "end"]), c)
                for d, s, c in zip(cod["doc_id"], cod["seg_id"], cod["code"])}
    expected |= {(d, int(a), int(b), f"tp:{t}") for d, a, b, t in zip(tps["doc_id"], tps["start"], tps["end"],
                                                                          tps["type"])}
    df = project.codings_frame()
    got = {(by_guid[r.source], r.start, r.end, r.code_id if isinstance(r.code_id, str) else f"tp:{r.turning_point}")
           for r in df.itertuples()}
    assert got == expected
    assert len(df) == len(expected) > 100
    # offsets index the plain text: each selection covers exactly the stored segment / sentence text
    seg_text = {(d, int(a), int(b)): t for d, a, b, t in zip(seg["doc_id"], seg["start"], seg["end"], seg["text"])}
    tp_text = {(d, int(a), int(b)): t for d, a, b, t in zip(tps["doc_id"], tps["start"], tps["end"], tps["text"])}
    for r in df.itertuples():
        key = (by_guid[r.source], r.start, r.end)
        assert r.text == (tp_text[key] if isinstance(r.turning_point, str) else seg_text[key])
    assert df["text"].str.contains("é").any()


def test_offsets_are_code_points_beyond_the_bmp(store_dir, exported):
    docs, *_ = _stored(store_dir)
    doc_id = docs.loc[docs["path"].str.endswith("recit_emoji.txt"), "doc_id"].item()
    project = read_qdpx(exported)
    src = next(s for s in project.sources if s.guid == guid("source", doc_id))
    df = project.codings_frame()
    rows = df[df["source"] == src.guid]
    after = rows[rows["text"].str.contains("association")].iloc[0]
    # three non-BMP characters (🙂, 👩 x3 joined, 𝄞) precede it: UTF-16 offsets would differ
    prefix = src.text[:after["start"]]
    assert sum(ord(ch) > 0xFFFF for ch in prefix) >= 4
    assert len(prefix.encode("utf-16-le")) // 2 > after["start"]
    assert src.text[after["start"]:after["end"]] == after["text"]
    stored = docs.loc[docs["doc_id"] == doc_id, "text"].item()
    with zipfile.ZipFile(exported) as zf:  # the member is the stored text, in UTF-8
        assert zf.read(f"sources/{src.guid}.txt") == stored.encode("utf-8")


def test_cases_variables_users_and_notes(store_dir, exported):
    docs, *_ = _stored(store_dir)
    project = read_qdpx(exported)
    assert project.users == {guid("user", "narratif"): "narratif"}
    cases = {c.name: c for c in project.cases}
    pv = "Comité de démolition - Procès-verbal de la séance publique du 20 juin 2023"  # the PDF's title
    assert set(cases) == {"Mira_F_88_14e-v2", "Andre_Morange_H_58_Mo-v2", "recit_emoji", pv}
    assert cases["Mira_F_88_14e-v2"].variables == {"genre": "F", "age": "88", "arrondissement": "14e"}
    assert cases["recit_emoji"].variables["arrondissement"] == "Paris 🗼"
    assert cases[pv].variables == {}  # missing values are omitted, not "None"
    mira = docs.loc[docs["path"].str.contains("Mira"), "doc_id"].item()
    assert cases["Mira_F_88_14e-v2"].sources == [guid("source", mira)]
    qde = etree.fromstring(_qde(exported))
    types = {v.get("name"): v.get("typeOfVariable") for v in qde.xpath("//q:Variable", namespaces=NS)}
    assert types == {"genre": "Text", "age": "Integer", "arrondissement": "Text"}
    notes = {n.name: n.text for n in project.notes}
    assert set(notes) == {"Topic 0: quartier_paris", "Topic 1: travail_usine"}
    assert "quartier, paris" in notes["Topic 0: quartier_paris"]
    assert "Mira habitait rue Daguerre" in notes["Topic 0: quartier_paris"]
    pdf = next(s for s in project.sources if s.name == pv)
    assert "PDF" in pdf.description and len(pdf.text) > 1000


def test_reexport_is_byte_identical(store_dir, exported, tmp_path):
    again = export_qdpx(store_dir, tmp_path / "again.qdpx")
    assert again.read_bytes() == exported.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


def test_pseudonymised_export_hides_names_and_keeps_offsets(store_dir, exported, schema, tmp_path):
    target = export_qdpx(store_dir, tmp_path / "pseudo.qdpx", pseudonymise=True, nlp=None)
    schema.validate(_qde(target))
    plain, pseudo = read_qdpx(exported), read_qdpx(target)
    blob = _qde(target).decode("utf-8") + "".join(s.text for s in pseudo.sources)
    for name in ("Mira", "Morange", "Branca-Rosoff", "Élise"):
        assert name not in blob, name
    assert "Personne-" in blob
    assert {c.name for c in pseudo.cases} == {s.name for s in pseudo.sources}
    assert all(re.fullmatch(r"(Entretien|Récit|Monographie|Document)-\d+", c.name) for c in pseudo.cases)
    a, b = plain.codings_frame(), pseudo.codings_frame()
    assert len(a) == len(b) and (a["code_guid"].tolist() == b["code_guid"].tolist())
    changed = 0
    for ra, rb in zip(a.itertuples(), b.itertuples()):
        if ra.text == rb.text:
            continue
        changed += 1
        # only names moved: the words around them are still there, in the same place
        assert "Personne-" in rb.text
        words_a = [w for w in re.findall(r"\w+", ra.text) if w[0].islower()]
        words_b = [w for w in re.findall(r"\w+", rb.text) if w[0].islower()]
        assert words_a == words_b
    assert changed > 0


def test_pseudonymise_spans_maps_every_cut():
    class Upper:
        def texts(self, items):
            return [t.replace("Mira", "Personne-01") for t in items]

    text = "Mira : je suis arrivée. Mira et moi 🙂 fin"
    new, where = pseudonymise_spans(text, {7, 23, 24, 40}, Upper())
    assert new == "Personne-01 : je suis arrivée. Personne-01 et moi 🙂 fin"
    assert new[where[7]:where[23]] == "je suis arrivée."
    assert new[where[24]:where[40]] == text[24:40].replace("Mira", "Personne-01")


def test_analyst_corrections_become_training_rows(store_dir, exported, schema, tmp_path):
    project = read_qdpx(exported)
    df = project.codings_frame()
    themes = df[df["code_id"].notna()]
    removed = themes.iloc[3]
    analyst = "0f8fad5b-d9cb-469f-a165-70867728950e"
    habitants = guid("code", "habitants")
    src = next(s for s in project.sources if s.guid == removed["source"])
    start = src.text.index("quartier")

    def edit(root):
        coding = root.xpath(f"//q:Coding[q:CodeRef/@targetGUID='{removed['code_guid']}']"
                            f"[../@startPosition='{removed['start']}']", namespaces=NS)[0]
        coding.getparent().remove(coding)
        etree.SubElement(root.find("q:Users", NS), f"{{{NS['q']}}}User", guid=analyst, name="Analyste")
        source = root.xpath(f"//q:TextSource[@guid='{removed['source']}']", namespaces=NS)[0]
        sel = etree.Element(f"{{{NS['q']}}}PlainTextSelection", guid="9a0f6b49-7e4c-4d0a-9d3b-2b1c8f0e7a11",
                            startPosition=str(start), endPosition=str(start + len("quartier")),
                            creatingUser=analyst)
        c = etree.SubElement(sel, f"{{{NS['q']}}}Coding", guid="1c2f1b1e-2d33-4b8b-8a1f-5f7e1b2c3d4e",
                             creatingUser=analyst)
        etree.SubElement(c, f"{{{NS['q']}}}CodeRef", targetGUID=habitants)
        source.find("q:Description", NS).addnext(sel)

    corrected = _rewrite(exported, tmp_path / "corrected.qdpx", edit)
    schema.validate(_qde(corrected))
    rows = qdpx_to_training(corrected, baseline=exported)
    assert list(rows.columns) == ["text", "code", "accepted"]
    rejected = rows[rows["accepted"] == 0]
    assert rejected[["text", "code"]].values.tolist() == [[removed["text"].strip(), removed["code_id"]]]
    assert ((rows["text"] == "quartier") & (rows["code"] == "habitants") & (rows["accepted"] == 1)).sum() == 1
    n_theme = themes.drop_duplicates(["text", "code_id"]).shape[0]
    assert (rows["accepted"] == 1).sum() == n_theme  # all others kept, minus one removed, plus one added
    assert set(rows["code"]) <= set(load_codebook().ids())  # turning points are not theme training data
    # the store is as good a baseline as the exported file
    from_store = qdpx_to_training(corrected, baseline=store_dir)
    pd.testing.assert_frame_equal(from_store, rows)
    # without a baseline nothing is known to be rejected
    assert (qdpx_to_training(corrected)["accepted"] == 1).all()
    # the CSV is what `narratif train CODINGS.csv` reads
    from narratif.coding.classifier import read_codings_csv

    csv = write_training_csv(corrected, tmp_path / "codings.csv", baseline=exported)
    read = read_codings_csv(csv, load_codebook())
    assert len(read) == len(rows) and int((~read["accepted"]).sum()) == 1


def test_reader_refuses_traversal_bombs_and_entities(tmp_path, exported):
    evil = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("project.qde", _qde(exported))
        zf.writestr("../../outside.txt", "x")
    with pytest.raises(RefiError, match="unsafe member"):
        read_qdpx(evil)
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", _qde(exported))
        zf.writestr("sources/big.txt", b"\0" * (20 << 20))
    with pytest.raises(RefiError, match="zip bomb"):
        read_qdpx(bomb)
    lol = tmp_path / "lol.qdpx"
    xml = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
           '<!ENTITY c SYSTEM "file:///etc/passwd">]><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
           '<Description>&b;&c;</Description></Project>')
    with zipfile.ZipFile(lol, "w") as zf:
        zf.writestr("project.qde", xml)
    with pytest.raises(RefiError, match="DTD"):  # refused before parsing: nothing expanded or read
        read_qdpx(lol)
    not_zip = tmp_path / "not.qdpx"
    not_zip.write_text("hello")
    with pytest.raises(RefiError, match="zip"):
        read_qdpx(not_zip)


def test_cli_export_qdpx(store_dir, tmp_path, schema):
    from narratif.cli import app

    runner = CliRunner()
    target = tmp_path / "cli.qdpx"
    res = runner.invoke(app, ["export", "qdpx", str(store_dir), str(target)])
    assert res.exit_code == 0, res.output
    schema.validate(_qde(target))
    res = runner.invoke(app, ["export", "qdpx", str(tmp_path / "nothing"), str(tmp_path / "x.qdpx")])
    assert res.exit_code == 2 and not (tmp_path / "x.qdpx").exists()
    res = runner.invoke(app, ["export", "qdpx", str(store_dir), str(tmp_path / "x.zip")])
    assert res.exit_code == 2
