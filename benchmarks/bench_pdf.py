"""PDF reader speed and fidelity on the 121-page Saint-Simon volume (single process).

Compares :func:`narratif.ingest.pdf.read_pdf` with PyPDFium2's raw text extraction of the
same file (the floor: parsing + text page, no layout), then prints the word-level F1 of
the reader against the markdown source. ``--quick`` runs each side once instead of best of 3.

    .venv/bin/python benchmarks/bench_pdf.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ingest"))

from test_ingest_pdf import saint_simon_pdf, saint_simon_reference, word_f1  # noqa: E402

from narratif.ingest.pdf import read_pdf  # noqa: E402


def pdfium_raw(path: Path) -> tuple[str, int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    parts = []
    for page in doc:
        textpage = page.get_textpage()
        parts.append(textpage.get_text_range())
        textpage.close()
        page.close()
    n = len(doc)
    doc.close()
    return "\n".join(parts), n


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def measure(quick: bool = False, shared: Path = ROOT.parent / "shared") -> dict:
    """Pages/s of read_pdf and of pypdfium2's raw text on Saint-Simon, and their word F1."""
    repeat = 1 if quick else 3
    pdf = saint_simon_pdf(shared)
    reference = saint_simon_reference(shared)
    pdfium_raw(pdf)  # warm-up: imports and file cache
    t_raw, (raw_text, n_pages) = best_of(lambda: pdfium_raw(pdf), repeat)
    t_ours, ex = best_of(lambda: read_pdf(pdf), repeat)
    return {
        "file": pdf.name, "pages": n_pages, "repeat": repeat,
        "raw_pages_per_s": n_pages / t_raw, "narratif_pages_per_s": n_pages / t_ours,
        "paragraphs": len(ex.blocks), "raw_f1": word_f1(raw_text, reference)[2],
        "narratif_f1": word_f1(ex.text, reference)[2],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one run per extractor instead of best of 3")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    m = measure(args.quick, args.shared)
    print(f"file: {m['file']} ({m['pages']} pages), best of {m['repeat']}")
    print(f"pypdfium2 raw text : {m['raw_pages_per_s']:7.1f} pages/s, word F1 {m['raw_f1']:.4f}")
    print(f"narratif read_pdf  : {m['narratif_pages_per_s']:7.1f} pages/s, word F1 {m['narratif_f1']:.4f}, "
          f"{m['paragraphs']} paragraphs")


if __name__ == "__main__":
    main()
