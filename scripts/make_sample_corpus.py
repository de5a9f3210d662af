"""Build the sample corpus ``corpora/sample/`` from the UTF-8 sources in ``corpora/sources/``.

The sample exists to show every input format narratif reads, so one source text is
written out in many shapes: plain UTF-8, cp1252 with CRLF, timestamped turns,
Markdown, .docx, .odt, a Praat TextGrid and typeset PDF monographs (running header,
page numbers, hyphenated line breaks). Output is deterministic: the same sources give
byte-identical files (fixed zip dates, reportlab's invariant mode), so a test can
rebuild the corpus and compare.

Usage (dev only; needs reportlab, python-docx and odfpy)::

    .venv/bin/python scripts/make_sample_corpus.py            # writes corpora/sample/
    .venv/bin/python scripts/make_sample_corpus.py --out DIR  # writes elsewhere
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "corpora" / "sources"
SAMPLE = ROOT / "corpora" / "sample"

#: Fixed date for every zip member, so .docx/.odt bytes do not depend on the clock.
ZIP_DATE = (2023, 9, 1, 0, 0, 0)

_TURN_LINE = re.compile(r"^(?P<label>[^:\n]{1,40}?)(?P<sep> ?: )(?P<text>\S.*)$")


@dataclass(frozen=True)
class Turn:
    label: str
    sep: str
    text: str


def read_turns(source: Path) -> list[Turn]:
    """One turn per non-blank ``Label : text`` line of a source interview."""
    turns = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = _TURN_LINE.match(line)
        if m is None:
            raise ValueError(f"{source.name}:{n}: not a 'Label : text' turn line")
        turns.append(Turn(m["label"], m["sep"], m["text"]))
    return turns


# --------------------------------------------------------------------------- interview writers


def write_text(turns: list[Turn], out: Path, *, encoding: str = "utf-8", newline: str = "\n", **_) -> None:
    """Turns as typed in a word processor's plain-text export: one paragraph per turn."""
    body = "\n\n".join(f"{t.label}{t.sep}{t.text}" for t in turns) + "\n"
    out.write_bytes(body.replace("\n", newline).encode(encoding))


def _hhmmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def speech_times(turns: list[Turn], *, words_per_second: float = 2.6, gap: float = 0.8) -> list[tuple[float, float]]:
    """Plausible (start, end) seconds per turn from its length: a steady speaking rate and short gaps."""
    t, times = 1.5, []
    for turn in turns:
        dur = max(1.2, len(turn.text.split()) / words_per_second)
        times.append((round(t, 3), round(t + dur, 3)))
        t += dur + gap
    return times


def write_timestamped(turns: list[Turn], out: Path, **_) -> None:
    """``[hh:mm:ss] Label: text`` lines, the layout of aligned transcription tools."""
    lines = [f"[{_hhmmss(start)}] {t.label}: {t.text}" for t, (start, _end) in zip(turns, speech_times(turns))]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_markdown(turns: list[Turn], out: Path, *, title: str, subtitle: str, **_) -> None:
    parts = [f"# {title}", f"*{subtitle}*"] + [f"{t.label}{t.sep}{t.text}" for t in turns]
    out.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member dates (and the same order and compression)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_DATE)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return buf.getvalue()


def write_docx(turns: list[Turn], out: Path, *, title: str, subtitle: str, **_) -> None:
    """A typed transcript: a title, a context line, then one ``Name : text`` paragraph per turn (name in bold)."""
    import datetime as dt

    import docx

    d = docx.Document()
    props = d.core_properties
    props.title, props.author, props.last_modified_by = title, "Projet narratif (corpus fictif)", "narratif"
    props.created = props.modified = dt.datetime(2023, 9, 1)
    props.revision = 1
    props.comments = "Entretien fictif écrit par les auteurs du projet narratif (CC BY 4.0)."
    d.add_heading(title, level=1)
    d.add_paragraph().add_run(subtitle).italic = True
    for t in turns:
        p = d.add_paragraph()
        p.add_run(f"{t.label}{t.sep}").bold = True
        p.add_run(t.text)
    buf = io.BytesIO()
    d.save(buf)
    out.write_bytes(_fixed_zip(buf.getvalue()))


def write_odt(turns: list[Turn], out: Path, *, title: str, subtitle: str, **_) -> None:
    from odf import dc, meta, text
    from odf.element import Element
    from odf.opendocument import OpenDocumentText

    # odfpy collects the namespaces every element ever used in one class-level dict and
    # declares them all: start from none so output does not depend on earlier documents.
    Element.namespaces.clear()
    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text=title))
    doc.meta.addElement(meta.CreationDate(text="2023-09-01T00:00:00"))
    doc.meta.addElement(dc.Date(text="2023-09-01T00:00:00"))
    doc.text.addElement(text.H(outlinelevel=1, text=title))
    doc.text.addElement(text.P(text=subtitle))
    for t in turns:
        doc.text.addElement(text.P(text=f"{t.label}{t.sep}{t.text}"))
    buf = io.BytesIO()
    doc.write(buf)
    out.write_bytes(_fixed_zip(buf.getvalue()))


def _tg_string(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def write_textgrid(turns: list[Turn], out: Path, **_) -> None:
    """Praat long-format TextGrid: one interval tier per speaker, silences as empty intervals."""
    times = speech_times(turns)
    total = round(times[-1][1] + 2.0, 3)
    speakers = list(dict.fromkeys(t.label for t in turns))
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {total}",
             "tiers? <exists>", f"size = {len(speakers)}", "item []:"]
    for k, speaker in enumerate(speakers, 1):
        intervals: list[tuple[float, float, str]] = []
        cursor = 0.0
        for t, (start, end) in zip(turns, times):
            if t.label != speaker:
                continue
            if start > cursor:
                intervals.append((cursor, start, ""))
            intervals.append((start, end, t.text))
            cursor = end
        if cursor < total:
            intervals.append((cursor, total, ""))
        lines += [f"    item [{k}]:", '        class = "IntervalTier"', f"        name = {_tg_string(speaker)}",
                  "        xmin = 0", f"        xmax = {total}", f"        intervals: size = {len(intervals)}"]
        for i, (a, b, txt) in enumerate(intervals, 1):
            lines += [f"        intervals [{i}]:", f"            xmin = {a:g}", f"            xmax = {b:g}",
                      f"            text = {_tg_string(txt)}"]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- monograph PDFs

_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæ")
#: Consonant pairs French never splits (``ta-bleau``, ``ma-chine``, ``a-gneau``).
_INSEPARABLE = {"bl", "cl", "fl", "gl", "pl", "br", "cr", "dr", "fr", "gr", "pr", "tr", "vr", "ch", "ph", "th",
                "gn", "qu", "gu"}


def hyphenation_points(word: str) -> list[int]:
    """Where a French word may be broken at a line end, as indexes into ``word``.

    A simplified typographic rule set: break between two consonants that do not form a
    cluster (``par-tir``), before a lone consonant between vowels (``ca-pi-tal``) and
    before a consonant cluster (``ta-bleau``, ``con-traindre``),
    never leaving fewer than three letters on a side; compounds break after their own
    hyphen (``Saint-`` / ``Julien``). Capitalised words are broken only at hyphens.
    """
    points = [i + 1 for i, ch in enumerate(word[:-1]) if ch == "-" and i >= 2 and len(word) - i - 1 >= 3]
    if "-" in word or not word[:1].islower():
        return points
    core_start = word.rfind("'") + 1 or word.rfind("’") + 1
    letters = word.lower()
    end = len(letters.rstrip(",.;:!?»)…"))
    for i in range(core_start + 3, end - 2):
        a, b = letters[i - 1], letters[i]
        if not (a.isalpha() and b.isalpha()):
            continue
        c = letters[i + 1]
        d = letters[i + 2] if i + 2 < len(letters) else ""
        if a not in _VOWELS and b not in _VOWELS and letters[i - 2] in _VOWELS:
            # VC-CV (par-tir) unless CC is a cluster; VC-CCV before a cluster (con-traindre).
            if (a + b not in _INSEPARABLE and c in _VOWELS) or (b + c in _INSEPARABLE and d in _VOWELS):
                points.append(i)
        elif a in _VOWELS and b not in _VOWELS and b != "x":
            # V-CV (ca-pi-tal) and V-CCV before a cluster (ta-bleau, ma-chine).
            if c in _VOWELS or (b + c in _INSEPARABLE and d in _VOWELS):
                points.append(i)
    return sorted(set(points))


@dataclass
class Line:
    words: list[str]
    font: str
    size: float
    justify: bool = False


@dataclass
class Page:
    lines: list[tuple[float, Line]] = field(default_factory=list)  # (y from top of body, line)


@dataclass
class Monograph:
    title: str
    intro: str
    blocks: list[tuple[str, str]]  # (kind, text) with kind in h2 | h3 | p


def read_monograph(source: Path) -> Monograph:
    """``# title``, an intro paragraph, then ``##``/``###`` headings and paragraphs."""
    title, intro, blocks = "", "", []
    for para in re.split(r"\n\s*\n", source.read_text(encoding="utf-8").strip()):
        para = " ".join(para.split())
        if para.startswith("### "):
            blocks.append(("h3", para[4:]))
        elif para.startswith("## "):
            blocks.append(("h2", para[3:]))
        elif para.startswith("# "):
            title = para[2:]
        elif not intro and not blocks:
            intro = para
        else:
            blocks.append(("p", para))
    return Monograph(title, intro, blocks)


class Typesetter:
    """Greedy justified line breaking with French hyphenation, paginated on A4."""

    def __init__(self, *, width: float, height: float):
        self.width, self.height = width, height
        self.pages: list[Page] = [Page()]
        self.y = 0.0
        self.hyphenated: list[str] = []

    def _w(self, s: str, font: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return stringWidth(s, font, size)

    def break_lines(self, text: str, font: str, size: float, *, justify: bool) -> list[Line]:
        lines: list[Line] = []
        current: list[str] = []
        words = text.split()
        space = self._w(" ", font, size)
        i = 0
        while i < len(words):
            word = words[i]
            used = self._w(" ".join(current), font, size) + (space if current else 0)
            if used + self._w(word, font, size) <= self.width:
                current.append(word)
                i += 1
                continue
            # The word does not fit: break it at the last point that fits, if any.
            room = self.width - used
            split = None
            for p in hyphenation_points(word):
                head = word[:p] if word[p - 1] == "-" else word[:p] + "-"
                if self._w(head, font, size) <= room:
                    split = (head, word[p:])
            if split and justify and room > 4 * space:  # a nearly full line is stretched, not broken
                current.append(split[0])
                words[i] = split[1]
                self.hyphenated.append(word)
            elif not current:  # a word wider than the line: put it alone
                current.append(word)
                i += 1
            lines.append(Line(current, font, size, justify))
            current = []
        if current:
            lines.append(Line(current, font, size, False))
        return lines

    def add(self, lines: list[Line], *, leading: float, before: float = 0.0, keep_with_next: int = 0) -> None:
        need = before + leading * (len(lines) if keep_with_next == 0 else keep_with_next)
        if self.y and self.y + need > self.height:
            self.pages.append(Page())
            self.y = 0.0
        elif self.y:
            self.y += before
        for line in lines:
            if self.y + leading > self.height:
                self.pages.append(Page())
                self.y = 0.0
            self.y += leading
            self.pages[-1].lines.append((self.y, line))


def write_monograph_pdf(source: Path, out: Path, *, header: str, author: str, **_) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    mono = read_monograph(source)
    page_w, page_h = A4
    margin_x, margin_top, margin_bottom = 72.0, 82.0, 78.0
    body_w = page_w - 2 * margin_x
    ts = Typesetter(width=body_w, height=page_h - margin_top - margin_bottom)
    ts.add(ts.break_lines(mono.title, "Helvetica-Bold", 17, justify=False), leading=22)
    ts.add(ts.break_lines(mono.intro, "Times-Italic", 11, justify=True), leading=14.5, before=14)
    body_size, body_leading = 11.5, 15.0
    for kind, txt in mono.blocks:
        if kind == "h2":
            ts.add(ts.break_lines(txt, "Helvetica-Bold", 13, justify=False), leading=17, before=18, keep_with_next=3)
        elif kind == "h3":
            ts.add(ts.break_lines(txt, "Helvetica-BoldOblique", 11.5, justify=False), leading=15, before=10,
                   keep_with_next=3)
        else:
            ts.add(ts.break_lines(txt, "Times-Roman", body_size, justify=True), leading=body_leading, before=7)

    c = canvas.Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(mono.title)
    c.setAuthor(author)
    c.setSubject("Monographie fictive, corpus d'exemple de narratif")
    n_pages = len(ts.pages)
    for number, page in enumerate(ts.pages, 1):
        if number > 1:  # running header, as in printed study reports
            c.setFont("Helvetica-Oblique", 8.5)
            c.drawString(margin_x, page_h - 50, header)
            c.setLineWidth(0.4)
            c.line(margin_x, page_h - 55, page_w - margin_x, page_h - 55)
        c.setFont("Helvetica", 9)
        c.drawCentredString(page_w / 2, 42, f"Page {number} sur {n_pages}")
        for y, line in page.lines:
            baseline = page_h - margin_top - y + 3
            t = c.beginText(margin_x, baseline)
            t.setFont(line.font, line.size)
            txt = " ".join(line.words)
            if line.justify and len(line.words) > 1:
                slack = body_w - ts._w(txt, line.font, line.size)
                t.setWordSpace(slack / (len(line.words) - 1))
            t.textLine(txt)
            c.drawText(t)
        c.showPage()
    c.save()


# --------------------------------------------------------------------------- the sample


@dataclass(frozen=True)
class SampleDocument:
    """One file of the sample, the source it is made from and its sidecar attributes."""

    document: str
    source: str
    writer: Callable[..., None]
    options: dict
    attributes: dict


DROMETTE = {"collectif": "Vallée de la Drômette", "territoire": "rural"}
TILLEULS = {"collectif": "Quartier des Tilleuls", "territoire": "urbain"}


def _interview(document, source, writer, options, collectif, narrator, interviewer, role, gender, birth_year, date):
    age = int(date[:4]) - birth_year  # age in the interview year, as study tables give it
    attrs = dict(kind="interview", **collectif, narrator=narrator, interviewer=interviewer, role=role,
                 gender=gender, age=age, birth_year=birth_year, date=date)
    return SampleDocument(document, source, writer, options, attrs)


def _subtitle(collectif: dict, date: str, interviewer: str) -> str:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    y, m, d = date.split("-")
    # Kept short: with the title it is a header (< 120 characters), not a turn to analyse.
    return f"{collectif['collectif']}, le {int(d)} {months[int(m) - 1]} {y}, entretien mené par {interviewer}"


def documents() -> list[SampleDocument]:
    """The sample corpus: eight interviews in seven formats and two monographs."""
    docs = [
        _interview("dromette_habitant_gerard_rochas.txt", "dromette_habitant_gerard_rochas.txt", write_text,
                   {"encoding": "cp1252", "newline": "\r\n"}, DROMETTE, "Gérard", "Enquêtrice",
                   "habitant", "M", 1959, "2023-03-15"),
        _interview("dromette_elue_helene_marchal.docx", "dromette_elue_helene_marchal.txt", write_docx,
                   {"title": "Entretien avec Hélène Marchal"}, DROMETTE, "Hélène Marchal", "Enquêtrice",
                   "élue municipale", "F", 1968, "2023-03-16"),
        _interview("dromette_agent_cc_nadia_benali.TextGrid", "dromette_agent_cc_nadia_benali.txt", write_textgrid,
                   {}, DROMETTE, "Nadia", "Claire", "agente de la communauté de communes", "F", 1985, "2023-03-22"),
        _interview("dromette_jeune_kevin_arnaud.txt", "dromette_jeune_kevin_arnaud.txt", write_timestamped, {},
                   DROMETTE, "Kevin", "Claire", "jeune en insertion", "M", 2002, "2023-04-05"),
        _interview("tilleuls_retraitee_odette_lambert.md", "tilleuls_retraitee_odette_lambert.txt", write_markdown,
                   {"title": "Entretien avec Odette Lambert"}, TILLEULS, "Odette", "Paul", "retraitée", "F", 1944,
                   "2023-05-24"),
        _interview("tilleuls_salariee_samira_haddad.txt", "tilleuls_salariee_samira_haddad.txt", write_text, {},
                   TILLEULS, "Samira", "Enquêteur", "salariée d'association", "F", 1983, "2023-05-31"),
        _interview("tilleuls_entrepreneuse_fatou_diallo.docx", "tilleuls_entrepreneuse_fatou_diallo.txt", write_docx,
                   {"title": "Entretien avec Fatou Diallo"}, TILLEULS, "Fatou", "Enquêteur", "entrepreneuse", "F",
                   1979, "2023-06-07"),
        _interview("tilleuls_benevole_marc_delorme.odt", "tilleuls_benevole_marc_delorme.txt", write_odt,
                   {"title": "Entretien avec Marc Delorme"}, TILLEULS, "MARC", "ENQ", "bénévole", "M", 1971,
                   "2023-06-14"),
    ]
    for i, d in enumerate(docs):
        if "title" in d.options:
            who = {"Claire": "Claire Vidal", "Paul": "Paul Mercier", "Enquêtrice": "Claire Vidal",
                   "Enquêteur": "Paul Mercier", "ENQ": "Paul Mercier"}[d.attributes["interviewer"]]
            coll = DROMETTE if d.attributes["collectif"] == DROMETTE["collectif"] else TILLEULS
            docs[i] = SampleDocument(d.document, d.source, d.writer,
                                     {**d.options, "subtitle": _subtitle(coll, d.attributes["date"], who)},
                                     d.attributes)
    author = "Projet narratif (monographie fictive)"
    mono = dict(kind="monograph", narrator="", interviewer="", role="", gender="", age="", birth_year="")
    docs += [
        SampleDocument("monographie_vallee_dromette.pdf", "monographie_vallee_dromette.md", write_monograph_pdf,
                       {"header": "Dynamiques collectives de transition · Monographie n° 1 · Vallée de la Drômette",
                        "author": author}, {**mono, **DROMETTE, "date": "2023-09-01"}),
        SampleDocument("monographie_quartier_tilleuls.pdf", "monographie_quartier_tilleuls.md", write_monograph_pdf,
                       {"header": "Dynamiques collectives de transition · Monographie n° 2 · Quartier des Tilleuls",
                        "author": author}, {**mono, **TILLEULS, "date": "2023-09-01"}),
    ]
    return docs


METADATA_COLUMNS = ["document", "kind", "collectif", "territoire", "narrator", "interviewer", "role", "gender", "age",
                    "birth_year", "date"]


def write_metadata(docs: list[SampleDocument], out: Path) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METADATA_COLUMNS, lineterminator="\n")
    w.writeheader()
    for d in docs:
        w.writerow({"document": d.document, **d.attributes})
    out.write_text(buf.getvalue(), encoding="utf-8")


def build(out_dir: Path, sources: Path = SOURCES) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    docs = documents()
    for d in docs:
        target = out_dir / d.document
        src = sources / d.source
        if d.writer is write_monograph_pdf:
            d.writer(src, target, **d.options)
        else:
            d.writer(read_turns(src), target, **d.options)
        written.append(target)
    write_metadata(docs, out_dir / "metadata.csv")
    return written + [out_dir / "metadata.csv"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=SAMPLE, help="output folder (default: corpora/sample)")
    args = ap.parse_args(argv)
    for p in build(args.out):
        print(f"{p.stat().st_size:>8}  {p.relative_to(args.out.parent) if p.is_relative_to(args.out.parent) else p}")


if __name__ == "__main__":
    main()
