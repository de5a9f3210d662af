"""Theme coding quality and speed on the labelled dev set (tests/data/devset/themes.tsv).

Each paragraph is run as its own document (segmented like an ingested text file);
its predicted theme is the theme id with the highest summed ``codings.score`` over
the document's rows, exactly as the external check does. Reports accuracy and
macro-F1 per method (lexicon / semantic / classifier / combined), on all rows, on
the tuning split and on the held-out split (by source document: the seed report
002 and the written_b batch were not looked at while tuning), plus a team
classifier trained with ``train_classifier`` on the tuning split only.

    .venv/bin/python benchmarks/eval_coding.py [--shared ../shared] [--speed-files 3]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "data" / "devset" / "themes.tsv"
HELD_OUT_SOURCES = {"seed002", "written_b"}
_LOC = re.compile(r"^@shared:(?P<path>[^#]+)#(?P<s>\d+)-(?P<e>\d+)$")


def load_devset(path: Path = DEVSET, shared: Path = ROOT.parent / "shared") -> list[dict]:
    """Rows with their text; seed rows point into ../shared (its text is never copied here)."""
    rows = []
    cache: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            m = _LOC.match(row["text"])
            if m:
                p = m["path"]
                if p not in cache:
                    cache[p] = (shared / p).read_text(encoding="utf-8")
                row["text"] = cache[p][int(m["s"]):int(m["e"])]
            row["held_out"] = row["source"] in HELD_OUT_SOURCES
            rows.append(row)
    return rows


def parse_paragraphs(nlp, texts: list[str]):
    """One Document per paragraph, segmented like an ingested .txt file, then parsed."""
    from narratif.ingest import structure
    from narratif.ingest.base import Extracted
    from narratif.models import Document
    from narratif.nlp.parse import parse_document

    out = []
    for i, text in enumerate(texts):
        _, segs = structure(f"p{i}", Extracted(text=text), "txt")
        doc = Document(doc_id=f"p{i}", path="", sha256="", kind="document", format="txt", text=text, segments=segs)
        out.append(parse_document(nlp, doc))
    return out


def predict_themes(coder, parsed_docs) -> list[str | None]:
    themes = coder.codebook.theme_ids
    preds = []
    for parsed in parsed_docs:
        totals = dict.fromkeys(themes, 0.0)
        for c in coder.code(parsed):
            if c.code in totals:
                totals[c.code] += c.score
        best = max(totals, key=totals.get)
        preds.append(best if totals[best] > 0 else None)
    return preds


def metrics(gold: list[str], pred: list[str | None]) -> tuple[float, float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    p = [x or "__none__" for x in pred]
    labels = sorted(set(gold))
    return (accuracy_score(gold, p), f1_score(gold, p, labels=labels, average="macro", zero_division=0),
            sum(x is None for x in pred) / max(len(pred), 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--speed-files", type=int, default=3, help="CFPP transcripts used for the speed test")
    args = ap.parse_args(argv)

    from narratif.codebook import load_codebook
    from narratif.coding import CoderSettings, build_coder, train_classifier
    from narratif.nlp.parse import load_nlp

    nlp = load_nlp()
    book = load_codebook()
    rows = load_devset(DEVSET, args.shared)
    gold = [r["theme"] for r in rows]
    held = np.array([r["held_out"] for r in rows])
    print(f"dev set: {len(rows)} paragraphs ({int(held.sum())} held out); sources: "
          + ", ".join(f"{s}={sum(r['source'] == s for r in rows)}" for s in sorted({r['source'] for r in rows})))
    t0 = time.perf_counter()
    parsed = parse_paragraphs(nlp, [r["text"] for r in rows])
    print(f"parsed in {time.perf_counter() - t0:.1f}s")

    base = CoderSettings()
    configs = {
        "lexicon only": replace(base, methods=("lexicon",)),
        "semantic only": replace(base, methods=("semantic",)),
        "classifier only": replace(base, methods=("classifier",)),
        "combined": base,
    }
    results = {}
    for name, settings in configs.items():
        coder = build_coder(book, nlp=nlp, settings=settings)
        results[name] = predict_themes(coder, parsed)

    # a team classifier trained on the tuning split only (accepted = the gold theme)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "codings.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "code", "accepted"])
            for r in rows:
                if not r["held_out"]:
                    w.writerow([r["text"], r["theme"], 1])
        train_classifier(csv_path, codebook=book, nlp=nlp, models_dir=Path(tmp))
        coder = build_coder(book, nlp=nlp, models_dir=Path(tmp))
        results["combined + team classifier (tune split)"] = predict_themes(coder, parsed)
        coder = build_coder(book, nlp=nlp, models_dir=Path(tmp), settings=replace(base, methods=("classifier",)))
        results["team classifier only (tune split)"] = predict_themes(coder, parsed)

    print(f"\n{'method':42s} {'acc all':>8s} {'F1 all':>7s} {'acc tune':>9s} {'acc held':>9s} {'F1 held':>8s} {'acc seeds':>9s} {'no theme':>9s}")
    for name, pred in results.items():
        a, f, none = metrics(gold, pred)
        at, _, _ = metrics([g for g, h in zip(gold, held) if not h], [p for p, h in zip(pred, held) if not h])
        ah, fh, _ = metrics([g for g, h in zip(gold, held) if h], [p for p, h in zip(pred, held) if h])
        seed = [r["source"].startswith("seed") for r in rows]
        asd, _, _ = metrics([g for g, s in zip(gold, seed) if s], [p for p, s in zip(pred, seed) if s])
        print(f"{name:42s} {a:8.3f} {f:7.3f} {at:9.3f} {ah:9.3f} {fh:8.3f} {asd:9.3f} {none:9.3f}")

    # confusion of the combined method
    from sklearn.metrics import confusion_matrix

    themes = book.theme_ids
    cm = confusion_matrix(gold, [p or "__none__" for p in results["combined"]], labels=themes)
    print("\nconfusion (combined; rows = gold):")
    for t, line in zip(themes, cm):
        print(f"  {t:26s} " + " ".join(f"{v:3d}" for v in line))

    # speed on real interviews
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document

    files = sorted((args.shared / "corpora" / "cfpp2000").glob("*.txt"))[: args.speed_files]
    coder = build_coder(book, nlp=nlp)
    t_parse = t_code = 0.0
    n_seg = n_rows = n_theme_seg = n_analysed = 0
    for f in files:
        doc = ingest_file(f)
        t = time.perf_counter()
        parsed_doc = parse_document(nlp, doc)
        t_parse += time.perf_counter() - t
        t = time.perf_counter()
        codings = coder.code(parsed_doc)
        t_code += time.perf_counter() - t
        n_seg += len(parsed_doc)
        n_analysed += sum(p.segment.role != "interviewer" for p in parsed_doc)
        n_rows += len(codings)
        n_theme_seg += len({c.seg_id for c in codings if c.code in themes})
    if files:
        print(f"\nspeed on {len(files)} CFPP transcripts: {n_seg} segments ({n_analysed} coded); parse "
              f"{t_parse:.1f}s, coding {t_code:.2f}s = {n_analysed / max(t_code, 1e-9):.0f} segments/s, "
              f"{100 * t_code / max(t_parse, 1e-9):.1f}% of parse time; {n_rows} rows, "
              f"{n_theme_seg / max(n_analysed, 1):.1%} of coded turns get a theme row")
    return 0


if __name__ == "__main__":
    sys.exit(main())
