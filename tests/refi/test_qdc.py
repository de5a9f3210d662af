"""REFI-QDA codebooks (.qdc): export the shipped codebook, read it and foreign codebooks back."""

from __future__ import annotations

import copy

import pytest
import xmlschema
from lxml import etree
from typer.testing import CliRunner

from narratif.codebook import CodebookError, load_codebook
from narratif.codebook.qdc import read_qdc
from narratif.refi import export_qdc

XSD = "http://www.w3.org/2001/XMLSchema"
NS_CB = "urn:QDA-XML:codebook:1.0"


@pytest.fixture(scope="module")
def codebook_schema(shared_dir) -> xmlschema.XMLSchema:
    """The REFI-QDA Codebook schema: the Project schema's code types under ``<CodeBook origin>``.

    The standard's Codebook.xsd is not in ../shared; it declares the same CodeType in
    the codebook namespace, with ``<CodeBook>`` holding ``<Codes>`` and optional ``<Sets>``.
    """
    tree = etree.parse(str(shared_dir / "refi-qda" / "Project-mrt2019.xsd"))
    src = tree.getroot()
    root = etree.Element(f"{{{XSD}}}schema", nsmap={"xsd": XSD, None: NS_CB},
                         attrib={k: v for k, v in src.attrib.items()})
    root.set("targetNamespace", NS_CB)
    el = etree.SubElement(root, f"{{{XSD}}}element", name="CodeBook", type="CodeBookFileType")
    ct = etree.SubElement(root, f"{{{XSD}}}complexType", name="CodeBookFileType")
    seq = etree.SubElement(ct, f"{{{XSD}}}sequence")
    etree.SubElement(seq, f"{{{XSD}}}element", name="Codes", type="CodesType")
    etree.SubElement(seq, f"{{{XSD}}}element", name="Sets", type="SetsType", minOccurs="0")
    etree.SubElement(ct, f"{{{XSD}}}attribute", name="origin", type="xsd:string")
    for node in src:
        if isinstance(node.tag, str) and not (etree.QName(node).localname == "element"):
            root.append(copy.deepcopy(node))
    assert el is not None
    return xmlschema.XMLSchema(etree.tostring(root).decode())


def test_exported_codebook_validates_and_reads_back_whole(tmp_path, codebook_schema):
    original = load_codebook()
    path = export_qdc(original, tmp_path / "ess.qdc")
    codebook_schema.validate(path.read_bytes())
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{{{NS_CB}}}CodeBook" and root.get("origin") == "narratif"
    back = load_codebook(path)  # dispatches on the .qdc suffix
    assert [c.id for c in back.codes] == [c.id for c in original.codes]
    assert back.as_dict()["categories"] == original.as_dict()["categories"]  # labels, colours, keywords...
    assert {c.id: c.parent for c in back.codes} == {c.id: c.parent for c in original.codes}
    assert not any(c.id.startswith(("rencontre.", "rupture")) for c in back.codes if c.category == "themes")
    # exporting what was read gives the same file: ids, names and GUIDs are stable
    again = export_qdc(back, tmp_path / "again.qdc")
    assert again.read_bytes() == path.read_bytes()


FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="{A1B2C3D4-0000-4000-8000-000000000001}" name="Mobilité résidentielle" isCodable="true" color="#F80">
      <Description>Déménagements, arrivée dans un quartier.</Description>
      <Code guid="a1b2c3d4-0000-4000-8000-000000000002" name="Arrivée à Paris" isCodable="true"/>
      <Code guid="a1b2c3d4-0000-4000-8000-000000000003" name="Arrivée à Paris" isCodable="true" color="nonsense"/>
    </Code>
    <Code guid="a1b2c3d4-0000-4000-8000-000000000004" name="Coopération" isCodable="true" color="#1F77B4">
      <Description>Travailler ensemble (revu par l'équipe).

--- narratif ---
id: cooperation
keywords: [entraide, coup de main]</Description>
    </Code>
    <Code guid="a1b2c3d4-0000-4000-8000-000000000005" name="2020 : confinement" isCodable="false"/>
  </Codes>
</CodeBook>
"""


def test_foreign_codebook_keeps_names_colours_hierarchy(tmp_path, codebook_schema):
    path = tmp_path / "équipe.qdc"
    path.write_text(FOREIGN, encoding="utf-8")
    # the colour "nonsense" breaks the schema; the reader drops it rather than the whole codebook
    assert not codebook_schema.is_valid(FOREIGN.encode())
    codebook_schema.validate(FOREIGN.replace(' color="nonsense"', "").encode())
    book = load_codebook(path)
    assert [c.id for c in book.codes] == ["mobilite_residentielle", "mobilite_residentielle.arrivee_a_paris",
                                          "mobilite_residentielle.arrivee_a_paris_2", "cooperation",
                                          "c_2020_confinement"]
    mob = book.get("mobilite_residentielle")
    assert mob.label == "Mobilité résidentielle" and mob.color == "#ff8800" and mob.category == "themes"
    assert mob.description == "Déménagements, arrivée dans un quartier."
    child = book.get("mobilite_residentielle.arrivee_a_paris")
    assert child.parent == "mobilite_residentielle" and child.description == "Arrivée à Paris"
    assert book.get("mobilite_residentielle.arrivee_a_paris_2").color == "#ff8800"  # invalid: the parent's
    coop = book.get("cooperation")  # the narratif id and the team's keywords survive their edit
    assert coop.description == "Travailler ensemble (revu par l'équipe)."
    assert coop.keywords == ["entraide", "coup de main"] and coop.color == "#1f77b4"


def test_bad_codebook_files_raise_codebook_errors(tmp_path):
    bad = tmp_path / "bad.qdc"
    bad.write_text("<CodeBook><Codes>", encoding="utf-8")
    with pytest.raises(CodebookError, match="not well-formed"):
        load_codebook(bad)
    other = tmp_path / "other.qdc"
    other.write_text("<Something/>", encoding="utf-8")
    with pytest.raises(CodebookError, match="not a REFI-QDA"):
        read_qdc(other)
    empty = tmp_path / "empty.qdc"
    empty.write_text(f'<CodeBook xmlns="{NS_CB}"><Codes/></CodeBook>', encoding="utf-8")
    with pytest.raises(CodebookError, match="no codes"):
        read_qdc(empty)
    entity = tmp_path / "entity.qdc"
    entity.write_text(f'<!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file:///etc/passwd">]><CodeBook xmlns="{NS_CB}">'
                      '<Codes><Code guid="a1b2c3d4-0000-4000-8000-000000000009" name="Secret" isCodable="true">'
                      '<Description>&x;</Description></Code></Codes></CodeBook>', encoding="utf-8")
    with pytest.raises(CodebookError, match="entity.qdc: declares a DTD"):  # refused: nothing resolved
        read_qdc(entity)


def test_cli_export_qdc(tmp_path, codebook_schema):
    from narratif.cli import app

    target = tmp_path / "cb.qdc"
    res = CliRunner().invoke(app, ["export", "qdc", str(target)])
    assert res.exit_code == 0, res.output
    codebook_schema.validate(target.read_bytes())
    # a .qdc is accepted wherever a codebook is, including by the exporter itself
    again = tmp_path / "cb2.qdc"
    res = CliRunner().invoke(app, ["export", "qdc", str(again), "--codebook", str(target)])
    assert res.exit_code == 0, res.output
    assert again.read_bytes() == target.read_bytes()
    res = CliRunner().invoke(app, ["export", "qdc", str(tmp_path / "cb.txt")])
    assert res.exit_code == 2
