"""Build small stores from real material for the quantify / narrative / report tests.

The analysis rows are produced by transparent rules on the real text (codebook
keywords matched on word forms, cue verbs for turning points, four-digit years for
the timeline), so the aggregation code is exercised on real distributions without
depending on the coding and turning-point stages being finished.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from narratif.ingest import ingest_file
from narratif.models import Analysis, Coding, Sentence, TimeExpression, TurningPoint

_SENT_RE = re.compile(r"[^.!?…\n]+[.!?…]*")
_YEAR_RE = re.compile(r"\b(19[3-9]\d|20[0-3]\d)\b")
_TP_CUES = [
    (re.compile(r"\b(rencontr\w*)", re.I), "rencontre", "levier"),
    (re.compile(r"\b(quitt\w*|divorc\w*|perdu|licenci\w*|fermé\w*)", re.I), "rupture", "obstacle"),
    (re.compile(r"\b(décid\w*|choisi\w*)", re.I), "decision", None),
    (re.compile(r"\b(arriv\w*|déménag\w*|install\w*)", re.I), "mobilite", None),
    (re.compile(r"\b(réussi\w*|enfin|débloqu\w*|aid\w*)", re.I), "resolution", "levier"),
]
_FUTURE_RE = re.compile(r"\b(\w+(?:rai|ras|ra|rons|rez|ront)|demain|avenir|futur|va\s+\w+er)\b", re.I)
_PRESENT_RE = re.compile(r"\b(aujourd'hui|maintenant|actuellement|en ce moment)\b", re.I)


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if not unicodedata.combining(c))


def _term_res(codebook) -> dict[str, re.Pattern]:
    out = {}
    for code in codebook.codes:
        terms = [t for t in code.all_terms() if len(t) >= 4]
        if terms:
            alt = "|".join(re.escape(_fold(t)) for t in sorted(terms, key=len, reverse=True))
            out[code.id] = re.compile(rf"\b(?:{alt})\w*")
    return out


def rule_analysis(doc, codebook) -> Analysis:
    """Sentences, keyword codings, cue turning points and dated expressions for one document."""
    terms = _term_res(codebook)
    an = Analysis()
    sent_id = 0
    for seg in doc.segments:
        for m in _SENT_RE.finditer(seg.text):
            if not m.group().strip():
                continue
            s, e = seg.start + m.start(), seg.start + m.end()
            an.sentences.append(Sentence(doc.doc_id, seg.seg_id, sent_id, s, e, doc.text[s:e]))
            if seg.role != "interviewer":
                text = doc.text[s:e]
                years = [int(y) for y in _YEAR_RE.findall(text)]
                orient = ("future" if _FUTURE_RE.search(text) else
                          "present" if _PRESENT_RE.search(text) else "past")
                for y in _YEAR_RE.finditer(text):
                    an.timeline.append(TimeExpression(doc.doc_id, sent_id, s + y.start(), s + y.end(), y.group(),
                                                      "year", y.group(), orient, int(y.group())))
                for rx, tp_type, pol in _TP_CUES:
                    cue = rx.search(text)
                    if cue:
                        an.turning_points.append(TurningPoint(
                            doc.doc_id, seg.seg_id, sent_id, s, e, text, tp_type, pol, 0.7, f"cue: {cue.group()}",
                            str(years[0]) if years else None, years[0] if years else None))
                        break
            sent_id += 1
        if seg.role == "interviewer":
            continue
        folded = _fold(seg.text)
        for code_id, rx in terms.items():
            hits = rx.findall(folded)
            if hits:
                an.codings.append(Coding(doc.doc_id, seg.seg_id, code_id, min(1.0, 0.3 + 0.1 * len(hits)),
                                         "lexicon", "mots : " + ", ".join(sorted(set(hits))[:4])))
    return an


def build_store(out_dir: Path, files: list[tuple[Path, dict]], codebook):
    """A store holding the given files (with attributes) and their rule-based analyses."""
    from narratif.store import Store

    store = Store(out_dir)
    for path, attrs in files:
        doc = ingest_file(path, dict(attrs))
        assert doc.ok, doc.error
        store.write_document(doc, rule_analysis(doc, codebook), "test")
    return store


def sample_files(root: Path) -> list[tuple[Path, dict]]:
    """The fictional two-collectif sample (monograph + stakeholder interviews), with roles."""
    src = root / "corpora" / "sources"
    out = []
    for p in sorted(src.glob("*")):
        parts = p.stem.split("_")
        if p.stem.startswith("monographie"):
            out.append((p, {"collectif": parts[-1], "role": "monographie", "kind": "monograph"}))
        else:
            out.append((p, {"collectif": parts[0], "role": parts[1]}))
    return out


def cfpp_files(shared: Path, names: list[str]) -> list[tuple[Path, dict]]:
    """CFPP2000 transcripts with age / gender / arrondissement parsed from their file names."""
    out = []
    for name in names:
        p = shared / "corpora" / "cfpp2000" / name
        m = re.search(r"_([FH])_(\d{2})_([^_.-]+)", p.name)
        attrs = {"gender": m.group(1), "age": m.group(2), "lieu": m.group(3), "date": "2007"} if m else {}
        out.append((p, attrs))
    return out
