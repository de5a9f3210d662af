"""A drawn sample written for review: ``.csv`` (the contract), ``.xlsx`` (with a drop-down and
context) and ``.qdpx`` (for QDA software).

CSV contract: one row per sampled unit and code, columns ``unit_id, document, text, code,
predicted, verdict``; ``verdict`` is left blank for the analyst (1 = the code applies,
0 = it does not, blank = not reviewed). Every code of the unit's family is listed for every
unit, so a reviewer can also say that a code narratif missed applies.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

CSV_COLUMNS = ["unit_id", "document", "text", "code", "predicted", "verdict"]
#: Columns the spreadsheet adds after the contract's, for the reviewer's eyes only.
XLSX_EXTRA = ["libellé", "contexte", "référence"]
NOT_REVIEWED_CODE = "Validation : non revu"
CONTEXT_CHARS = 220


def review_rows(units: pd.DataFrame, frame, codebook) -> pd.DataFrame:
    """The rows a reviewer sees: contract columns, then label, context and reference."""
    segs = frame.segments.sort_values(["doc_id", "seg_id"])
    by_doc = {d: g.reset_index(drop=True) for d, g in segs.groupby("doc_id")}
    info = frame.units.set_index("unit_id")
    rows = []
    for u in units.itertuples(index=False):
        meta = info.loc[u.unit_id] if u.unit_id in info.index else None
        label = meta["label"] if meta is not None else Path(str(u.path)).name
        context, ref = _context(u, meta, by_doc.get(u.doc_id), label)
        predicted = set(filter(None, str(u.predicted or "").split(",")))
        for code in frame.codes:
            rows.append({"unit_id": u.unit_id, "document": label, "text": u.text, "code": code,
                         "predicted": int(code in predicted), "verdict": "",
                         "libellé": _label(codebook, code), "contexte": context, "référence": ref})
    return pd.DataFrame(rows, columns=[*CSV_COLUMNS, *XLSX_EXTRA])


def _label(codebook, code: str) -> str:
    from narratif.turning_points.lexicon import TYPE_LABELS as TP_LABELS

    if code in codebook:
        return codebook.get(code).label
    return f"tournant : {TP_LABELS.get(code, code)}"


def _context(u, meta, doc_segs: pd.DataFrame | None, label: str) -> tuple[str, str]:
    """A little text around the unit, and where it is (document, speaker, segment, page)."""
    speaker = meta["speaker"] if meta is not None and isinstance(meta["speaker"], str) else None
    page = meta["page"] if meta is not None and pd.notna(meta["page"]) else None
    ref = f"{label}, segment {int(u.seg_id)}" + (f", phrase {int(u.sent_id)}" if pd.notna(u.sent_id) else "")
    ref += (f", {speaker}" if speaker else "") + (f", page {int(page)}" if page is not None else "")
    if doc_segs is None:
        return "", ref
    pos = doc_segs.index[doc_segs["seg_id"] == u.seg_id]
    if not len(pos):
        return "", ref
    i = int(pos[0])
    parts = []
    if pd.notna(u.sent_id):  # a sentence: its whole turn or paragraph
        parts.append(_clip(doc_segs.at[i, "text"], 3 * CONTEXT_CHARS))
    else:
        if i > 0:
            parts.append("avant : …" + _clip(doc_segs.at[i - 1, "text"], CONTEXT_CHARS, tail=True))
        if i + 1 < len(doc_segs):
            parts.append("après : " + _clip(doc_segs.at[i + 1, "text"], CONTEXT_CHARS) + "…")
    return "\n".join(parts), ref


def _clip(text, n: int, *, tail: bool = False) -> str:
    t = " ".join(str(text or "").split())
    return (t[-n:] if tail else t[:n]) if len(t) > n else t


def write_csv(rows: pd.DataFrame, path: Path) -> Path:
    """The contract's six columns, plain UTF-8 (for a spreadsheet, the .xlsx is the one to open)."""
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in rows[CSV_COLUMNS].itertuples(index=False):
            w.writerow(list(r))
    tmp.replace(path)
    return path


def write_xlsx(rows: pd.DataFrame, path: Path, *, sample_id: str) -> Path:
    """The same rows with a 1/0 drop-down on ``verdict``, wrapped text and the context."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from narratif.report.xlsx import _cell

    wb = Workbook()
    ws = wb.active
    ws.title = "verdicts"
    cols = [*CSV_COLUMNS, *XLSX_EXTRA]
    ws.append(cols)
    for r in rows[cols].itertuples(index=False):
        ws.append([_cell(v) for v in r])
    last = ws.max_row
    dv = DataValidation(type="list", formula1='"1,0"', allow_blank=True, showErrorMessage=True,
                        errorTitle="verdict", error="1 = le code s'applique, 0 = non, vide = non revu")
    dv.add(f"F2:F{max(last, 2)}")
    ws.add_data_validation(dv)
    widths = {"A": 22, "B": 28, "C": 70, "D": 26, "E": 10, "F": 9, "G": 34, "H": 60, "I": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2, max_row=last):
        for cell in row:
            if cell.column_letter in ("C", "H"):
                cell.alignment = wrap
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.sheet_properties.tabColor = "1F3B57"
    wb.properties.title = f"narratif — échantillon {sample_id}"
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
    return path


def write_qdpx_sample(rows: pd.DataFrame, path: Path, codebook, *, sample_id: str) -> Path:
    """One text source per unit (named by its unit_id) with narratif's codes applied to it and a
    « non revu » code: the reviewer removes wrong codes, adds missing ones, and removes
    « non revu » from each unit once reviewed."""
    from lxml import etree

    from narratif._version import __version__
    from narratif.refi.qdpx import write_qdpx
    from narratif.refi.common import NS_PROJECT, ORIGIN, QdaCode, codebook_codes, codes_to_xml, guid, xml_text
    from narratif.turning_points.detect import TYPES

    q = lambda name: f"{{{NS_PROJECT}}}{name}"  # noqa: E731
    user = guid("user", ORIGIN)
    codes = codebook_codes(codebook, turning_points=TYPES)
    marker = QdaCode(guid=guid("validation", "not_reviewed"), name=NOT_REVIEWED_CODE, color="#7f7f7f",
                     description="Retirer ce code d'une unité une fois revue.", meta={"validation": "not_reviewed"})
    codes.append(marker)
    code_guid = {c.meta.get("id") or c.meta.get("turning_point"): c.guid for top in codes for c in top.walk()}
    root = etree.Element(q("Project"), nsmap={None: NS_PROJECT})
    root.set("name", xml_text(f"narratif validation {sample_id}"))
    root.set("origin", f"{ORIGIN} {__version__}")
    root.set("creatingUserGUID", user)
    users = etree.SubElement(root, q("Users"))
    etree.SubElement(users, q("User"), guid=user, name=ORIGIN, id=ORIGIN)
    codes_to_xml(etree.SubElement(etree.SubElement(root, q("CodeBook")), q("Codes")), codes, NS_PROJECT)
    sources = etree.SubElement(root, q("Sources"))
    texts: dict[str, str] = {}
    for unit_id, g in rows.groupby("unit_id", sort=False):
        first = g.iloc[0]
        text = str(first["text"] or "")
        sg = guid("validation-source", sample_id, unit_id)
        texts[f"sources/{sg}.txt"] = text
        src = etree.SubElement(sources, q("TextSource"), guid=sg, name=xml_text(unit_id),
                               plainTextPath=f"internal://{sg}.txt", creatingUser=user)
        etree.SubElement(src, q("Description")).text = xml_text(f"{first['référence']}\n{first['contexte']}")
        applied = [code_guid[c] for c in g.loc[g["predicted"] == 1, "code"] if c in code_guid] + [marker.guid]
        if not text:
            continue
        sel = etree.SubElement(src, q("PlainTextSelection"), guid=guid("validation-sel", sample_id, unit_id),
                               startPosition="0", endPosition=str(len(text)), creatingUser=user)
        for cg in applied:
            coding = etree.SubElement(sel, q("Coding"), guid=guid("validation-coding", unit_id, cg),
                                      creatingUser=user)
            etree.SubElement(coding, q("CodeRef"), targetGUID=cg)
    etree.SubElement(root, q("Description")).text = xml_text(
        f"Validation sample {sample_id} drawn by narratif {__version__}.")
    return write_qdpx(root, texts, path)


def write_review_files(units: pd.DataFrame, frame, codebook, out_dir: Path, sample_id: str) -> dict[str, Path]:
    """``OUT/validation/<sample>.csv``, ``.xlsx`` and ``.qdpx``."""
    folder = Path(out_dir) / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    rows = review_rows(units, frame, codebook)
    return {"csv": write_csv(rows, folder / f"{sample_id}.csv"),
            "xlsx": write_xlsx(rows, folder / f"{sample_id}.xlsx", sample_id=sample_id),
            "qdpx": write_qdpx_sample(rows, folder / f"{sample_id}.qdpx", codebook, sample_id=sample_id)}
