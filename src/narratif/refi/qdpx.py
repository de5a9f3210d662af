"""REFI-QDA projects (.qdpx): narratif's codings, opened for review in QDA software.

A ``.qdpx`` is a zip holding ``project.qde`` (XML, schema ``Project-mrt2019.xsd``)
and ``sources/<guid>.txt``, the plain text of each source. Each stored document
becomes a ``TextSource`` (PDFs too: the stored text is their text representation),
each coded segment and each turning point a ``PlainTextSelection`` whose positions
are Unicode code points of that text — the offsets narratif stores. GUIDs derive
from doc ids and code ids, so two exports of the same store differ only where the
analysis differs. What QDA programs rely on beyond the schema is there too: a user and a
date on every source, selection, coding and note, unique code names, attributes on each
source as well as on its case. :func:`read_qdpx` reads any tool's project back;
:mod:`.matching` ties it to what was exported.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from lxml import etree

from narratif._version import __version__
from narratif.codebook import Codebook, load_codebook
from narratif.turning_points.review import turning_points_digest
from narratif.store import Store
from narratif.refi.common import (
    NS_PROJECT, ORIGIN, QdaCode, RefiError, assign_ids, atomic_write, child, child_text, children,
    codebook_codes, codes_from_xml, codes_to_xml, guid, local, norm_guid, parse_xml, read_zip, refi_datetime,
    xml_text,
)

PROJECT_MEMBER = "project.qde"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member dates: same store, same bytes
_INT_RE = re.compile(r"^-?\d{1,18}$")


def _q(name: str) -> str:
    return f"{{{NS_PROJECT}}}{name}"


# -- what is read back --------------------------------------------------------------------
@dataclass
class QdaSource:
    guid: str
    name: str
    text: str | None  # None when the tool referenced a file outside the archive
    description: str = ""
    kind: str = "TextSource"
    variables: dict[str, str] = field(default_factory=dict)  # attribute values on the source itself


@dataclass
class QdaCoding:
    """A code applied to a span of a source (positions in code points of its text)."""

    guid: str
    source: str
    start: int
    end: int
    code: str  # code guid
    selection: str | None = None
    creating_user: str | None = None


@dataclass
class QdaCase:
    guid: str
    name: str
    variables: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


@dataclass
class QdaNote:
    guid: str
    name: str
    text: str


@dataclass
class QdpxProject:
    """A REFI-QDA project as narratif understands it."""

    name: str
    origin: str = ""
    users: dict[str, str] = field(default_factory=dict)  # guid -> name
    codes: list[QdaCode] = field(default_factory=list)  # top-level codes (tree)
    sources: list[QdaSource] = field(default_factory=list)
    codings: list[QdaCoding] = field(default_factory=list)
    cases: list[QdaCase] = field(default_factory=list)
    notes: list[QdaNote] = field(default_factory=list)

    def all_codes(self) -> dict[str, QdaCode]:
        return {c.guid: c for top in self.codes for c in top.walk()}

    def codings_frame(self) -> pd.DataFrame:
        """One row per coding: source, span, code (guid, name, narratif id or turning-point type), text."""
        codes = self.all_codes()
        ids = assign_ids(self.codes)
        sources = {s.guid: s for s in self.sources}
        rows = []
        for c in self.codings:
            code = codes.get(c.code)
            src = sources.get(c.source)
            text = src.text[c.start:c.end] if src is not None and src.text is not None else None
            rows.append({
                "source": c.source, "source_name": src.name if src else None, "start": c.start, "end": c.end,
                "code_guid": c.code, "code_name": code.name if code else None, "code_id": ids.get(c.code),
                "turning_point": code.meta.get("turning_point") if code else None,
                "creating_user": c.creating_user, "text": text,
            })
        cols = ["source", "source_name", "start", "end", "code_guid", "code_name", "code_id", "turning_point",
                "creating_user", "text"]
        return pd.DataFrame(rows, columns=cols)


# -- export -------------------------------------------------------------------------------
class _Verbatim:
    """Stands in for the Pseudonymiser when nothing is to be pseudonymised."""

    def text(self, value: str) -> str:
        return value

    def texts(self, values: list[str]) -> list[str]:
        return list(values)

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        return df


def _pseudonymiser(store: Store, enabled: bool, nlp: Any):
    if not enabled:
        return _Verbatim()
    from narratif.pseudonymise import Pseudonymiser

    return Pseudonymiser.from_store(store, nlp=nlp)


def pseudonymise_spans(text: str, cuts: set[int], ps) -> tuple[str, dict[int, int]]:
    """Pseudonymise ``text`` piece by piece between ``cuts`` and map each cut to its new offset.

    Replacing a name changes the length of the text; cutting at every selection and
    segment boundary keeps each selection on exactly the words it covered.
    """
    points = sorted({0, len(text), *(c for c in cuts if 0 <= c <= len(text))})
    pieces = ps.texts([text[a:b] for a, b in zip(points, points[1:])])
    mapping = {0: 0}
    pos = 0
    for b, piece in zip(points[1:], pieces):
        pos += len(piece)
        mapping[b] = pos
    return "".join(pieces), mapping


def _variable_type(values: list[str]) -> str:
    return "Integer" if values and all(_INT_RE.match(v.strip()) for v in values) else "Text"


def _doc_label(row: pd.Series) -> str:
    if isinstance(row.get("title"), str) and row["title"].strip():
        return row["title"].strip()
    return PurePosixPath(str(row["path"]).replace("\\", "/")).stem


def _topic_note(row: pd.Series, ps) -> tuple[str, str]:
    def listed(value: Any) -> list[str]:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return []
        return [str(v) for v in (list(value) if not isinstance(value, str) else [value])]

    tid = int(row["topic_id"])
    label = str(row.get("label") or tid)
    lines = [f"Thème émergent {tid} : {label}"]
    if "size" in row and pd.notna(row["size"]):
        share = row.get("share")
        lines.append(f"Segments : {int(row['size'])}" + (f" ({float(share):.1%})" if pd.notna(share) else ""))
    terms = listed(row.get("top_terms"))
    if terms:
        lines.append("Termes : " + ", ".join(terms))
    if isinstance(row.get("best_code"), str) and row["best_code"]:
        lines.append(f"Code le plus proche : {row['best_code']}")
    examples = listed(row.get("representative_texts"))
    if examples:
        lines.append("Exemples :")
        lines.extend(f"- {t}" for t in examples)
    return f"Topic {tid}: {ps.text(label)}", ps.text("\n".join(lines))


def _analysed_at(store: Store, docs: pd.DataFrame) -> str:
    """When the exported analysis was made (``xsd:dateTime``): the store's last run, else its
    last analysed document, else now. From the store, so a re-export gives the same bytes."""
    runs = store.table("runs") if store.has_table("runs") else pd.DataFrame()
    for frame, col in ((runs, "finished_at"), (runs, "started_at"), (docs, "processed_at")):
        if col in frame and frame[col].notna().any():
            return refi_datetime(frame[col].max())
    return refi_datetime(datetime.now(timezone.utc))


def _variables(root: etree._Element, docs: pd.DataFrame, attr_cols: list[str], ps
               ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Declare one ``Variable`` per attribute; the attribute values (pseudonymised as a frame,
    as the report does) indexed by doc id, and each attribute's (guid, type)."""
    attrs = ps.frame(docs[["doc_id", *attr_cols]].copy()) if attr_cols else docs[["doc_id"]]
    attrs = attrs.set_index("doc_id")
    var_guid: dict[str, tuple[str, str]] = {}
    if attr_cols:
        variables = etree.SubElement(root, _q("Variables"))
        for col in attr_cols:
            values = [str(v) for v in attrs[col] if v is not None and not pd.isna(v)] if col in attrs else []
            var_guid[col] = (guid("variable", col), _variable_type(values))
            etree.SubElement(variables, _q("Variable"), guid=var_guid[col][0], name=col,
                             typeOfVariable=var_guid[col][1])
    return attrs, var_guid


def _variable_values(parent: etree._Element, doc_id: str, attrs: pd.DataFrame,
                     var_guid: dict[str, tuple[str, str]]) -> None:
    """A document's attribute values as ``VariableValue`` children (missing ones omitted)."""
    for col, (vg, vtype) in var_guid.items():
        value = attrs.at[doc_id, col] if col in attrs else None
        if value is None or pd.isna(value) or str(value) == "":
            continue
        vv = etree.SubElement(parent, _q("VariableValue"))
        etree.SubElement(vv, _q("VariableRef"), targetGUID=vg)
        etree.SubElement(vv, _q("IntegerValue" if vtype == "Integer" else "TextValue")).text = xml_text(
            str(value).strip())


def _doc_spans(doc_id: str, cod: pd.DataFrame | None, tps: pd.DataFrame | None, seg_span: dict,
               code_guid: dict[str, str], tp_guid: dict[str, str]) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """span -> [(code guid, note)] of a document's codings and turning points, in a stable order."""
    spans: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for r in (cod if cod is not None else pd.DataFrame()).itertuples(index=False):
        span = seg_span.get((doc_id, int(r.seg_id)))
        if span is not None:
            spans[span].append((code_guid[r.code], f"{r.code} ({r.method}, {r.score:.2f}): {r.evidence or ''}"))
    for r in (tps if tps is not None else pd.DataFrame()).itertuples(index=False):
        note = f"point de bascule {r.type}" + (f" / {r.polarity}" if isinstance(r.polarity, str) else "")
        note += f" ({r.score:.2f})" + (f", {r.time_anchor}" if isinstance(r.time_anchor, str) else "")
        spans[(int(r.start), int(r.end))].append((tp_guid[r.type], f"{note}: {r.evidence or ''}"))
    return spans


def _source_description(doc: pd.Series, doc_tps: pd.DataFrame | None) -> str:
    """What a source is, with the narratif document id (how a re-imported source is recognised
    when the QDA program gave it a new GUID) and the digest of its exported turning points."""
    what = f"{doc['kind']} ({doc['format']}), narratif document {doc['doc_id']}"
    if doc["format"] == "pdf":
        what += ": text extracted from the PDF"
    return what + "; turning points " + turning_points_digest(
        [] if doc_tps is None else zip(doc_tps["start"], doc_tps["end"], doc_tps["type"]))


def _selections(src: etree._Element, doc_id: str, text: str, spans: dict, where: dict[int, int] | None,
                ps, user: str, when: str) -> None:
    """One ``PlainTextSelection`` per span, its notes as description, one ``Coding`` per code."""
    valid = [(a, b) for a, b in sorted(spans) if 0 <= a < b <= len(text)]  # one bad offset breaks a project
    notes = ps.texts(["\n".join(n for _, n in spans[span]) for span in valid])
    stamp = {"creatingUser": user, "creationDateTime": when}
    for (a, b), note in zip(valid, notes):
        na, nb = (where[a], where[b]) if where is not None else (a, b)
        sel = etree.SubElement(src, _q("PlainTextSelection"), guid=guid("selection", doc_id, a, b),
                               startPosition=str(na), endPosition=str(nb), **stamp)
        etree.SubElement(sel, _q("Description")).text = xml_text(note)
        for cg in dict.fromkeys(g for g, _ in spans[(a, b)]):
            coding = etree.SubElement(sel, _q("Coding"), guid=guid("coding", doc_id, a, b, cg), **stamp)
            etree.SubElement(coding, _q("CodeRef"), targetGUID=cg)


def _topic_notes(root: etree._Element, store: Store, ps, texts: dict[str, str], user: str, when: str
                 ) -> list[str]:
    """The emergent topics as project notes, their text in ``sources/`` as the schema has it
    (``plainTextPath``, not also ``PlainTextContent``; QualCoder reads only the former)."""
    if not store.has_table("topics"):
        return []
    topics = store.table("topics")
    topics = topics[topics["topic_id"] >= 0] if "topic_id" in topics else topics.iloc[0:0]
    if not len(topics):
        return []
    refs = []
    notes_el = etree.SubElement(root, _q("Notes"))
    for _, row in topics.sort_values("topic_id").iterrows():
        name, content = _topic_note(row, ps)
        ng = guid("topic", int(row["topic_id"]))
        texts[f"sources/{ng}.txt"] = xml_text(content)
        etree.SubElement(notes_el, _q("Note"), guid=ng, name=xml_text(name), plainTextPath=f"internal://{ng}.txt",
                         creatingUser=user, creationDateTime=when)
        refs.append(ng)
    return refs


def build_project(store: Store, codebook: Codebook, *, pseudonymise: bool = False, nlp: Any = "auto"
                  ) -> tuple[etree._Element, dict[str, str]]:
    """The ``project.qde`` tree and the source texts (member name -> text) of a store.

    With ``pseudonymise``, texts, selection notes, topic notes and attribute values go
    through :class:`narratif.pseudonymise.Pseudonymiser` (``nlp`` is its NER model) and
    sources and cases are named by pseudonymous labels; the store is only read. Every
    source, selection, coding and note carries its creating user and date (the document's
    analysis, or the run's), as QDA programs expect; each document's attributes are on
    its case and on its source (QualCoder links no source to a case).
    """
    ps = _pseudonymiser(store, pseudonymise, nlp)
    docs = store.documents(with_text=True)
    seg = store.table("segments")
    cod = store.table("codings")
    tps = store.table("turning_points")
    attr_cols = store.attribute_columns()
    user = guid("user", ORIGIN)
    when = _analysed_at(store, docs)

    extra = sorted(set(cod["code"]) - set(codebook.ids())) if not cod.empty else []
    tp_types = list(dict.fromkeys([*_tp_types(), *(sorted(set(tps["type"])) if not tps.empty else [])]))
    codes = codebook_codes(codebook, turning_points=tp_types, extra=extra)
    code_guid = {c.meta["id"]: c.guid for top in codes for c in top.walk() if "id" in c.meta}
    tp_guid = {c.meta["turning_point"]: c.guid for top in codes for c in top.walk() if "turning_point" in c.meta}

    root = etree.Element(_q("Project"), nsmap={None: NS_PROJECT})
    root.set("name", xml_text(store.out_dir.resolve().name or "narratif"))
    root.set("origin", f"{ORIGIN} {__version__}")
    root.set("creatingUserGUID", user)
    root.set("creationDateTime", when)
    users = etree.SubElement(root, _q("Users"))
    etree.SubElement(users, _q("User"), guid=user, name=ORIGIN, id=ORIGIN)
    codes_to_xml(etree.SubElement(etree.SubElement(root, _q("CodeBook")), _q("Codes")), codes, NS_PROJECT)
    attrs, var_guid = _variables(root, docs, attr_cols, ps)

    cases = etree.SubElement(root, _q("Cases")) if len(docs) else None
    sources = etree.SubElement(root, _q("Sources")) if len(docs) else None
    texts: dict[str, str] = {}
    seg_span = {(r.doc_id, int(r.seg_id)): (int(r.start), int(r.end)) for r in seg.itertuples(index=False)}
    cod_by_doc = {k: g for k, g in cod.groupby("doc_id")} if not cod.empty else {}
    tp_by_doc = {k: g for k, g in tps.groupby("doc_id")} if not tps.empty else {}
    seg_cuts: dict[str, set[int]] = defaultdict(set)
    for (doc_id, _), (a, b) in seg_span.items():
        seg_cuts[doc_id].update((a, b))

    for _, doc in docs.iterrows():
        doc_id = doc["doc_id"]
        text = doc["text"] or ""
        spans = _doc_spans(doc_id, cod_by_doc.get(doc_id), tp_by_doc.get(doc_id), seg_span, code_guid, tp_guid)
        cuts = set(seg_cuts.get(doc_id, set())) | {x for span in spans for x in span}
        new_text, where = pseudonymise_spans(text, cuts, ps) if pseudonymise else (text, None)
        src_guid = guid("source", doc_id)
        label = ps.document(doc_id) if pseudonymise else _doc_label(doc)
        texts[f"sources/{src_guid}.txt"] = new_text
        made = refi_datetime(doc.get("processed_at")) or when
        src = etree.SubElement(sources, _q("TextSource"), guid=src_guid, name=xml_text(label),
                               plainTextPath=f"internal://{src_guid}.txt", creatingUser=user,
                               creationDateTime=made)
        etree.SubElement(src, _q("Description")).text = xml_text(_source_description(doc, tp_by_doc.get(doc_id)))
        _selections(src, doc_id, text, spans, where, ps, user, made)
        _variable_values(src, doc_id, attrs, var_guid)
        case = etree.SubElement(cases, _q("Case"), guid=guid("case", doc_id), name=xml_text(label))
        _variable_values(case, doc_id, attrs, var_guid)
        etree.SubElement(case, _q("SourceRef"), targetGUID=src_guid)

    refs = _topic_notes(root, store, ps, texts, user, when)
    etree.SubElement(root, _q("Description")).text = xml_text(
        f"Exported by narratif {__version__} from {store.out_dir.resolve().name}; codebook "
        f"{codebook.name} {codebook.version} (fingerprint {codebook.fingerprint()}).")
    for ng in refs:
        etree.SubElement(root, _q("NoteRef"), targetGUID=ng)
    return root, texts


def _tp_types() -> tuple[str, ...]:
    from narratif.turning_points.detect import TYPES

    return TYPES


def write_qdpx(root: etree._Element, texts: dict[str, str], target: str | Path) -> Path:
    """Zip the project and its source texts into ``target`` (atomically)."""
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo(PROJECT_MEMBER, _ZIP_DATE), xml, compress_type=zipfile.ZIP_DEFLATED)
            for name in sorted(texts):
                zf.writestr(zipfile.ZipInfo(name, _ZIP_DATE), texts[name].encode("utf-8"),
                            compress_type=zipfile.ZIP_DEFLATED)

    return atomic_write(target, write)


def export_qdpx(out_dir: str | Path, target: str | Path, *, codebook: Codebook | str | Path | None = None,
                pseudonymise: bool = False, nlp: Any = "auto") -> Path:
    """Export the store in ``out_dir`` as a REFI-QDA project at ``target``."""
    out_dir = Path(out_dir)
    if not (out_dir / "narratif.duckdb").is_file():
        raise FileNotFoundError(f"no narratif store in {out_dir}; run `narratif run ... --out {out_dir}` first")
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    with Store(out_dir, read_only=True) as store:
        root, texts = build_project(store, codebook, pseudonymise=pseudonymise, nlp=nlp)
    return write_qdpx(root, texts, target)


# -- import -------------------------------------------------------------------------------
def _int(el: etree._Element, name: str) -> int:
    try:
        return int(el.get(name, ""))
    except ValueError:
        raise RefiError(f"<{local(el.tag)} guid={el.get('guid')}> has a non-integer {name}") from None


def _source_text(el: etree._Element, members: dict[str, bytes], where: str) -> str | None:
    path = el.get("plainTextPath") or ""
    if path.startswith("internal://"):
        name = "sources/" + path[len("internal://"):]
        data = members.get(name)
        if data is None:
            raise RefiError(f"{where}: source {el.get('name')!r} points to {path}, missing from the archive")
        return data.decode("utf-8-sig", errors="replace")
    content = child(el, "PlainTextContent")
    if content is not None:
        return content.text or ""
    return None  # relative:// or absolute:// paths point outside the archive


def _values(el: etree._Element, variables: dict[str, str]) -> dict[str, str]:
    """An element's ``VariableValue`` children: variable name -> value."""
    out = {}
    for vv in children(el, "VariableValue"):
        ref = child(vv, "VariableRef")
        value = next((c.text or "" for c in vv if local(c.tag).endswith("Value")), None)
        if ref is not None and value is not None:
            out[variables.get(norm_guid(ref.get("targetGUID")), ref.get("targetGUID"))] = value
    return out


def _read_text_source(el: etree._Element, members: dict[str, bytes], project: QdpxProject, where: str,
                      *, sguid: str | None = None, name: str | None = None, kind: str = "TextSource",
                      variables: dict[str, str] | None = None) -> None:
    sguid = sguid or norm_guid(el.get("guid"))
    text = _source_text(el, members, where)
    project.sources.append(QdaSource(guid=sguid, name=name or el.get("name") or "", text=text,
                                     description=child_text(el, "Description"), kind=kind,
                                     variables=_values(el, variables or {})))
    for sel in children(el, "PlainTextSelection"):
        a, b = _int(sel, "startPosition"), _int(sel, "endPosition")
        if a > b:
            a, b = b, a
        for c in children(sel, "Coding"):
            ref = child(c, "CodeRef")
            if ref is None:
                continue
            project.codings.append(QdaCoding(
                guid=norm_guid(c.get("guid")), source=sguid, start=a, end=b, code=norm_guid(ref.get("targetGUID")),
                selection=norm_guid(sel.get("guid")),
                creating_user=norm_guid(c.get("creatingUser") or sel.get("creatingUser")) or None))
    for c in children(el, "Coding"):  # the whole source coded
        ref = child(c, "CodeRef")
        if ref is not None and text is not None:
            project.codings.append(QdaCoding(guid=norm_guid(c.get("guid")), source=sguid, start=0, end=len(text),
                                             code=norm_guid(ref.get("targetGUID")),
                                             creating_user=norm_guid(c.get("creatingUser")) or None))


def read_qdpx(path: str | Path) -> QdpxProject:
    """Read a REFI-QDA project file (from narratif or any QDA tool) safely.

    Every failure is a :class:`RefiError` whose one-line message names the file.
    """
    path = Path(path)
    try:
        return _read_project(path)
    except RefiError as exc:
        if str(path) in str(exc):
            raise
        raise RefiError(f"{path}: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OSError, etree.LxmlError) as exc:
        raise RefiError(f"{path}: cannot read the project ({type(exc).__name__}: {exc})") from None


def _read_project(path: Path) -> QdpxProject:
    members = read_zip(path, wanted=lambda n: n.lower().endswith((".qde", ".txt")))
    qde = [n for n in members if n.lower().endswith(".qde") and "/" not in n]
    if len(qde) != 1:
        raise RefiError(f"{path}: expected one project.qde at the root of the archive, found {qde or 'none'}")
    root = parse_xml(members[qde[0]], source=f"{path}!{qde[0]}")
    if local(root.tag) != "Project":
        raise RefiError(f"{path}: root element <{local(root.tag)}> is not a REFI-QDA <Project>")
    project = QdpxProject(name=root.get("name") or "", origin=root.get("origin") or "")
    users = child(root, "Users")
    for u in children(users, "User") if users is not None else []:
        project.users[norm_guid(u.get("guid"))] = u.get("name") or ""
    book = child(root, "CodeBook")
    project.codes = codes_from_xml(child(book, "Codes") if book is not None else None)
    variables = {}
    vars_el = child(root, "Variables")
    for v in children(vars_el, "Variable") if vars_el is not None else []:
        variables[norm_guid(v.get("guid"))] = v.get("name") or ""
    sources = child(root, "Sources")
    for el in list(sources) if sources is not None else []:
        kind = local(el.tag)
        if kind == "TextSource":
            _read_text_source(el, members, project, str(path), variables=variables)
        elif kind == "PDFSource":  # its text representation carries the text selections
            rep = child(el, "Representation")
            if rep is not None:
                _read_text_source(rep, members, project, str(path), sguid=norm_guid(el.get("guid")),
                                  name=el.get("name"), kind="PDFSource", variables=variables)
    cases = child(root, "Cases")
    for el in children(cases, "Case") if cases is not None else []:
        case = QdaCase(guid=norm_guid(el.get("guid")), name=el.get("name") or "", variables=_values(el, variables))
        case.sources = [norm_guid(r.get("targetGUID")) for r in children(el, "SourceRef")]
        project.cases.append(case)
    notes = child(root, "Notes")
    for el in children(notes, "Note") if notes is not None else []:
        project.notes.append(QdaNote(guid=norm_guid(el.get("guid")), name=el.get("name") or "",
                                     text=_source_text(el, members, str(path)) or ""))
    return project
