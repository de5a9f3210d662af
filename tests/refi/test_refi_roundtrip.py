"""REFI-QDA with a real client: what QDA programs need of narratif's export, and what comes back.

A real run on real material (two ParisStories anecdotes and the start of a CFPP2000 interview,
with case attributes) is exported; the export goes through what QualCoder's own re-export does to
a project (every GUID new, colours remapped, notes and dates dropped) after an analyst's edits (a
turning point and a theme coding deleted, one of each added, a code renamed, selections widened).
``narratif review`` and ``narratif train`` must read that back as the analyst meant it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
from lxml import etree
from typer.testing import CliRunner

from narratif.codebook.qdc import read_qdc
from narratif.refi import export_qdc, export_qdpx, read_qdpx, write_training_csv
from narratif.refi.common import guid
from narratif.store import Store

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

Q = "{urn:QDA-XML:project:1.0}"
NS = {"q": "urn:QDA-XML:project:1.0"}
STORIES = ["2019_peripitiesVoiture.txt", "2021_nouvelleCollegue.txt"]
RENAMED = "Nom choisi par l'analyste"


# -- the run, its export, and what a QDA client sends back -----------------------------------
@pytest.fixture(scope="module")
def run(shared_dir, tmp_path_factory) -> tuple[Path, Path]:
    """A real run (topics on, so topic notes are exported) and its export."""
    import narratif

    tmp = tmp_path_factory.mktemp("refi-roundtrip")
    inputs = tmp / "in"
    inputs.mkdir()
    for name in STORIES:
        shutil.copy(shared_dir / "corpora" / "parisstories" / name, inputs / name)
    lines = (shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").read_text(encoding="utf-8").splitlines()
    (inputs / "Mira_F_88_14e-v2.txt").write_text("\n".join(lines[:300]) + "\n", encoding="utf-8")
    meta = tmp / "meta.csv"  # Mira's attributes from the CFPP2000 metadata; the stories have none known
    meta.write_text("document,genre,age,arrondissement\nMira_F_88_14e-v2.txt,F,88,14e\n"
                    "2019_peripitiesVoiture.txt,,,\n2021_nouvelleCollegue.txt,,,\n", encoding="utf-8")
    out = tmp / "out"
    narratif.run(inputs, out, meta=meta, report=False)
    return out, export_qdpx(out, tmp / "export.qdpx")


@pytest.fixture(scope="module")
def schema(shared_dir) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(shared_dir / "refi-qda" / "Project-mrt2019.xsd"))


def _stored(out: Path):
    with Store(out, read_only=True) as store:
        return (store.documents(with_text=True), store.table("segments"), store.table("sentences"),
                store.table("codings"), store.table("turning_points"))


def _plan(out: Path, export: Path) -> dict:
    """The analyst's edits, in the document with the most turning points: the first turning point
    deleted, the second widened, one added on an unmarked sentence; a theme coding whose
    (text, code) occurs once deleted, another widened and its code renamed, one added."""
    docs, seg, sents, cod, tps = _stored(out)
    doc_id = tps["doc_id"].value_counts().index[0]
    text = docs.set_index("doc_id").at[doc_id, "text"]
    mine = tps[tps["doc_id"] == doc_id].sort_values("start")
    assert len(mine) >= 2
    marked = set(mine["sent_id"])
    free = next(s for s in sents[sents["doc_id"] == doc_id].sort_values("start").itertuples()
                if s.sent_id not in marked and len(s.text.strip()) >= 30)
    themes = cod.merge(seg[["doc_id", "seg_id", "start", "end", "text"]], on=["doc_id", "seg_id"])
    pairs = themes.assign(t=themes["text"].str.strip()).groupby(["t", "code"]).size()
    own = themes[themes["doc_id"] == doc_id].sort_values(["start", "code"])
    gone = next(r for r in own.itertuples() if pairs[(r.text.strip(), r.code)] == 1
                and ((own["code"] == r.code) & (own["start"] < r.end) & (r.start < own["end"])).sum() == 1)
    # widened by a few characters: its selection must hold no coding of the deleted one's code
    kept = next(r for r in own.itertuples() if r.start != gone.start and r.start not in set(mine["start"])
                and not ((own["start"] == r.start) & (own["code"] == gone.code)).any())
    new = next((s, c) for s in seg[seg["doc_id"] == doc_id].sort_values("start").itertuples()
               for c in ("gouvernance", "cooperation", "habitants") if s.start != gone.start
               and not ((own["code"] == c) & (own["start"] < s.end) & (s.start < own["end"])).any())
    return {"doc_id": doc_id, "source": guid("source", doc_id), "text": text,
            "tp_gone": mine.iloc[0], "tp_wide": mine.iloc[1], "tp_new": free,
            "theme_gone": gone, "theme_wide": kept, "theme_new": new}


def _selection(root, source: str, start: int, end: int):
    found = root.xpath(f"//q:TextSource[@guid='{source}']/q:PlainTextSelection[@startPosition='{start}']"
                       f"[@endPosition='{end}']", namespaces=NS)
    assert len(found) == 1, (start, end)
    return found[0]


def _add(root, source: str, start: int, end: int, code_guid: str) -> None:
    src = root.xpath(f"//q:TextSource[@guid='{source}']", namespaces=NS)[0]
    sel = etree.Element(Q + "PlainTextSelection", guid=str(uuid.uuid4()), startPosition=str(start),
                        endPosition=str(end))
    etree.SubElement(etree.SubElement(sel, Q + "Coding", guid=str(uuid.uuid4())), Q + "CodeRef", targetGUID=code_guid)
    src.xpath("q:PlainTextSelection", namespaces=NS)[-1].addnext(sel)


def _analyst_edits(root, plan: dict) -> None:
    src, text = plan["source"], plan["text"]
    tp, wide, gone, kept = plan["tp_gone"], plan["tp_wide"], plan["theme_gone"], plan["theme_wide"]
    # every selection is found before any is moved: two edits may fall on one selection
    sel_tp, sel_wide, sel_gone, sel_kept = (_selection(root, src, r.start, r.end) for r in (tp, wide, gone, kept))
    for sel, code_guid in ((sel_tp, guid("turning_point", tp.type)), (sel_gone, guid("code", gone.code))):
        coding, = sel.xpath(f"q:Coding[q:CodeRef/@targetGUID='{code_guid}']", namespaces=NS)
        sel.remove(coding)
    for sel, r, by in ((sel_wide, wide, 4), (sel_kept, kept, 3)):
        sel.set("startPosition", str(max(0, r.start - by)))
        sel.set("endPosition", str(min(len(text), r.end + by)))
    _add(root, src, plan["tp_new"].start, plan["tp_new"].end, guid("turning_point", "rupture"))
    root.xpath(f"//q:Code[@guid='{guid('code', kept.code)}']", namespaces=NS)[0].set("name", RENAMED)
    seg, code = plan["theme_new"]
    _add(root, src, seg.start, seg.end, guid("code", code))


def client_reexport(export: Path, target: Path, edit=None, *, descriptions: bool = True,
                    texts: dict[str, str] | None = None) -> Path:
    """``export`` as a QDA program sends it back (after ``edit``): every GUID new (sources renamed
    in the archive), colours mapped to another palette, notes and dates dropped. Without
    ``descriptions`` the descriptions are gone too; ``texts`` replaces source texts by name."""
    with zipfile.ZipFile(export) as z:
        root = etree.fromstring(z.read("project.qde"))
        members = {n: z.read(n) for n in z.namelist() if n != "project.qde"}
    if edit is not None:
        edit(root)
    new = {}
    for el in root.iter():
        if el.get("guid"):
            new[el.get("guid")] = str(uuid.uuid5(uuid.NAMESPACE_OID, "client " + el.get("guid")))
    palette = ["#ff0000", "#00aa00", "#0000ff", "#aa00aa"]
    for i, el in enumerate(root.iter()):
        for attr in ("guid", "targetGUID", "creatingUser", "creatingUserGUID"):
            if el.get(attr) in new:
                el.set(attr, new[el.get(attr)])
        for attr in ("creationDateTime", "modifiedDateTime"):
            el.attrib.pop(attr, None)
        if el.get("color"):
            el.set("color", palette[i % len(palette)])
    for el in root.xpath("//q:Notes | //q:NoteRef", namespaces=NS) + (
            [] if descriptions else root.xpath("//q:Description", namespaces=NS)):
        el.getparent().remove(el)
    out = {}
    for src in root.xpath("//q:TextSource", namespaces=NS):
        old = "sources/" + src.get("plainTextPath").removeprefix("internal://")
        src.set("plainTextPath", f"internal://{src.get('guid')}.txt")
        data = members[old] if texts is None else texts.get(src.get("name"), "").encode("utf-8")
        out[f"sources/{src.get('guid')}.txt"] = data
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="utf-8"))
        for name, data in out.items():
            z.writestr(name, data)
    return target


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy(out: Path, target: Path) -> Path:
    shutil.copytree(out, target, ignore=shutil.ignore_patterns("*.lock", ".prefect"))
    return target


# -- what QDA programs need of the export ------------------------------------------------------
def test_export_follows_the_standard_and_reads_with_pyrefiqda(run, schema, tmp_path):
    from pyrefiqda import RefiProject

    out, export = run
    with zipfile.ZipFile(export) as z:
        qde = z.read("project.qde")
        names = set(z.namelist())
    schema.validate(qde)
    parsed = RefiProject.load(export, extract_dir=str(tmp_path / "pyrefiqda"))  # an independent reader
    docs, *_ = _stored(out)
    assert len(parsed.sources.text_source) == len(docs)
    assert parsed.notes is not None and len(parsed.notes.note) >= 1  # the run's topics
    assert sum(len(s.plain_text_selection) for s in parsed.sources.text_source) > 20
    root = etree.fromstring(qde)
    users = {u.get("guid") for u in root.xpath("//q:User", namespaces=NS)}
    stamped = root.xpath("//q:Note | //q:TextSource | //q:PlainTextSelection | //q:Coding", namespaces=NS)
    for el in stamped:  # QualCoder's import stops at the first note without a date
        assert el.get("creatingUser") in users, etree.QName(el).localname
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", el.get("creationDateTime") or ""), el.attrib
    for note in root.xpath("//q:Note", namespaces=NS):  # text in a file, not also inline
        assert note.find("q:PlainTextContent", NS) is None
        assert "sources/" + note.get("plainTextPath").removeprefix("internal://") in names


def test_code_names_are_unique_and_carry_their_id(run):
    _, export = run
    project = read_qdpx(export)
    codes = list(project.all_codes().values())
    keys = [" ".join(c.name.split()).casefold() for c in codes]
    assert len(keys) == len(set(keys))
    invisibles = sorted(c.name for c in codes if c.name.startswith("Toucher les invisibles"))
    assert invisibles == ["Toucher les invisibles (Implication des habitants)",
                          "Toucher les invisibles (Leviers et outils)"]
    root = etree.fromstring(zipfile.ZipFile(export).read("project.qde"))
    for code in root.xpath("//q:Code[@isCodable='true']", namespaces=NS):
        description = code.findtext("q:Description", namespaces=NS) or ""
        assert re.search(r"^(id: \S+|\{turning_point: \w+\})$", description, re.MULTILINE), code.get("name")


def test_a_codebook_read_back_keeps_the_names_the_codebook_gave(tmp_path):
    book = read_qdc(export_qdc(None, tmp_path / "codebook.qdc"))
    labels = {c.id: c.label for c in book.codes}
    assert labels["habitants.invisibles"] == labels["toucher_invisibles"] == "Toucher les invisibles"


def test_each_source_carries_its_document_attributes(run):
    out, export = run
    project = read_qdpx(export)
    cases = {s: c for c in project.cases for s in c.sources}
    assert {s.guid for s in project.sources} == set(cases)
    for src in project.sources:
        assert src.variables == cases[src.guid].variables  # QualCoder ignores a Case's SourceRef
    mira = next(s for s in project.sources if s.name.startswith("Mira"))
    assert mira.variables == {"genre": "F", "age": "88", "arrondissement": "14e"}


# -- what comes back ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def back(run, tmp_path_factory) -> tuple[Path, dict]:
    out, export = run
    plan = _plan(out, export)
    target = tmp_path_factory.mktemp("client") / "back.qdpx"
    return client_reexport(export, target, lambda root: _analyst_edits(root, plan)), plan


def _expected_verdicts(out: Path, plan: dict) -> dict:
    """Every stored turning point accepted, on its sentence; the deleted one rejected, the added one added."""
    _, _, sents, _, tps = _stored(out)
    span = {(r.doc_id, r.sent_id): (r.start, r.end) for r in sents.itertuples()}
    expected = {(r.doc_id, *span[(r.doc_id, r.sent_id)]): ("accepted", r.type) for r in tps.itertuples()}
    tp = plan["tp_gone"]
    expected[(plan["doc_id"], *span[(plan["doc_id"], tp.sent_id)])] = ("rejected", None)
    s = plan["tp_new"]
    expected[(plan["doc_id"], s.start, s.end)] = ("added", "rupture")
    return expected


def test_review_of_a_client_reexport_on_a_copied_output_folder(run, back, tmp_path):
    from narratif.cli import app

    out, _ = run
    back_path, plan = back
    copy = _copy(out, tmp_path / "copie")
    before = _snapshot(out)
    with Store(copy, read_only=True) as store:
        assert store.get_meta("models_dir") == "models"  # relative to OUT, so the copy has its own
    res = CliRunner().invoke(app, ["review", str(back_path), "--out", str(copy)])
    assert res.exit_code == 0, res.output
    assert "not a document of this store" not in res.output
    with Store(copy, read_only=True) as store:
        got = {(r.doc_id, r.start, r.end): (r.change, r.type) for r in store.reviews()}
    assert got == _expected_verdicts(out, plan)
    assert _snapshot(out) == before  # the folder the copy was made from is untouched
    # the review adapted the typing to the kept and added moments: in the copy's models, not the original's
    assert "turning-point types adapted to" in res.output
    assert (copy / "models" / "turning_points" / "model.json").is_file()
    assert not (out / "models" / "turning_points" / "model.json").exists()


def test_train_counts_exactly_the_deleted_coding_as_rejected(run, back, tmp_path):
    from narratif.cli import app

    out, export = run
    back_path, plan = back
    gone, wide = plan["theme_gone"], plan["theme_wide"]
    rows = pd.read_csv(write_training_csv(back_path, tmp_path / "rows.csv", baseline=export))
    rejected = rows[rows["accepted"] == 0]
    assert rejected[["text", "code"]].values.tolist() == [[gone.text.strip(), gone.code]]
    added_seg, added_code = plan["theme_new"]
    assert ((rows["code"] == added_code) & (rows["text"] == added_seg.text.strip())).any()
    widened = plan["text"][max(0, wide.start - 3):wide.end + 3].strip()
    assert ((rows["code"] == wide.code) & (rows["text"] == widened) & (rows["accepted"] == 1)).any()
    # the store is as good a baseline as the export
    pd.testing.assert_frame_equal(
        pd.read_csv(write_training_csv(back_path, tmp_path / "rows2.csv", baseline=out)), rows)
    res = CliRunner().invoke(app, ["train", str(back_path), "--baseline", str(export),
                                   "--out", str(tmp_path / "train")])
    assert res.exit_code == 0, res.output


def test_sources_and_codes_match_without_guids_or_descriptions(run, tmp_path):
    """A tool that keeps neither GUIDs nor descriptions: sources are known by their text,
    codes by the names narratif exported."""
    out, export = run
    plan = _plan(out, export)

    def edits(root):  # no renamed code here: without its description nothing says what it was
        _analyst_edits(root, plan)
        root.xpath("//q:Code[@name=$name]", name=RENAMED, namespaces=NS)[0].set("name", plan["renamed_from"])

    plan["renamed_from"] = next(c.name for c in read_qdpx(export).all_codes().values()
                                if c.meta.get("id") == plan["theme_wide"].code)
    bare = client_reexport(export, tmp_path / "bare.qdpx", edits, descriptions=False)
    assert "narratif document" not in zipfile.ZipFile(bare).read("project.qde").decode()
    from narratif.refi.reviews import turning_point_reviews

    with Store(_copy(out, tmp_path / "copie")) as store:
        result = turning_point_reviews(bare, store)
    assert {(r.doc_id, r.start, r.end): (r.change, r.type) for r in result.reviews} == _expected_verdicts(out, plan)
    rows = pd.read_csv(write_training_csv(bare, tmp_path / "rows.csv", baseline=export))
    gone = plan["theme_gone"]
    assert rows[rows["accepted"] == 0][["text", "code"]].values.tolist() == [[gone.text.strip(), gone.code]]


def test_review_and_train_refuse_a_file_where_nothing_matches(run, shared_dir, tmp_path):
    from narratif.cli import app

    out, export = run
    other = (shared_dir / "corpora" / "parisstories" / "2022_rencontreALiege.txt").read_text(encoding="utf-8")
    foreign = client_reexport(export, tmp_path / "autre.qdpx", descriptions=False,
                              texts={s.name: other + s.name for s in read_qdpx(export).sources})
    copy = _copy(out, tmp_path / "copie")
    res = CliRunner().invoke(app, ["review", str(foreign), "--out", str(copy)])
    assert res.exit_code == 2 and "autre.qdpx" in res.output and "nothing in it matches" in res.output
    with Store(copy, read_only=True) as store:
        assert store.reviews() == []  # nothing recorded
    res = CliRunner().invoke(app, ["train", str(foreign), "--baseline", str(export), "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "autre.qdpx" in res.output and "none of its" in res.output
    assert not (tmp_path / "m").exists()
