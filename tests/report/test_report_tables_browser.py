"""The report of a real run, read in headless Chromium the way an analyst reads it: every table cell
is study prose — labels, French numbers, « oui / non », lists as text — never an internal value."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from browser_helpers import chromium_page

from narratif.codebook import load_codebook
from narratif.report.formatting import TP_TYPES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

#: Every table cell of the page: its section, its column header and its text (line breaks kept).
CELLS_JS = """(() => [...document.querySelectorAll('main section table')].flatMap(table => {
    const heads = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
    const section = table.closest('section').id;
    return [...table.querySelectorAll('tbody tr')].flatMap(tr => [...tr.children].map((td, i) =>
        ({section, header: heads[i] || '', text: td.innerText})));
}))()"""

JSON_LIST = re.compile(r"^\s*\[.*\]\s*$|\[\s*\{|\{\s*\"", re.S)
NUMPY_REPR = re.compile(r"\[\s*'[^']*'\s+'|array\(|dtype=")
PY_LITERALS = {"True", "False", "None", "nan", "NaN", "<NA>", "NaT"}
ENGLISH_NUMBER = re.compile(r"^[−+-]?\d[\d\u202f ]*\.\d+(\s*%)?$|\d%")


@pytest.fixture(scope="module")
def run_report(tmp_path_factory) -> Path:
    """``narratif run`` on the sample corpus, topics included: the report a new user opens first."""
    out = tmp_path_factory.mktemp("sample-run") / "out"
    res = subprocess.run([sys.executable, "-m", "narratif.cli", "run", "corpora/sample", "--meta",
                          "corpora/sample/metadata.csv", "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    return out / "report.html"


@pytest.fixture(scope="module")
def cells(run_report, tmp_path_factory) -> list[dict]:
    with chromium_page(tmp_path_factory.mktemp("profile")) as page:
        page.open(run_report.resolve().as_uri(), settle=1.0)
        found = page.js(CELLS_JS)
        assert not page.errors(), json.dumps(page.errors(), ensure_ascii=False)[:2000]
    assert len(found) > 500, "the report has fewer table cells than a real run gives"
    return found


def tokens(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,;→\n]", text) if t.strip()]


def bad(cells, predicate) -> list[str]:
    return [f"{c['section']} / {c['header']}: {c['text'][:160]!r}" for c in cells if predicate(c["text"])]


def test_no_cell_shows_a_json_list_a_numpy_repr_or_a_python_literal(cells):
    assert not bad(cells, JSON_LIST.search)
    assert not bad(cells, NUMPY_REPR.search)
    assert not bad(cells, lambda t: t.strip() in PY_LITERALS or any(x in PY_LITERALS for x in tokens(t)))


def test_no_cell_names_a_code_by_its_id(cells):
    book = load_codebook(None)
    # « levier », « rencontre »: also the words the report uses for a polarity or a turning-point type
    words = set(TP_TYPES.values()) | {"obstacle", "levier"}
    ids = {c.id for c in book.codes} - words
    assert "moment_cle" in ids and "habitants.invisibles" in ids
    # the corpus's own words (topic terms, quotes) may be spelled like a code id (« gouvernance »)
    named = [c for c in cells if c["header"] not in ("Mots-clés", "Libellé") and "«" not in c["text"]]
    assert not bad(named, lambda t: any(x in ids or x.startswith("tournant:") for x in tokens(t)))
    assert not bad(named, lambda t: any(x in {"mobilite", "decision", "revelation", "resolution"}
                                        for x in tokens(t)))  # turning-point types read in French
    codes = [c["text"] for c in cells if c["section"] == "themes" and c["header"] == "Code"]
    labels = {c.label for c in book.codes}
    assert codes and all(x.split(" (")[0] in labels for x in codes), codes


def test_numbers_booleans_and_lists_read_in_french(cells):
    assert not bad(cells, lambda t: bool(ENGLISH_NUMBER.search(t.strip())) and "«" not in t)
    shares = [c["text"] for c in cells if c["header"] in ("Part", "Part des segments")]
    assert shares and all(re.fullmatch(r"\d+,\d\u202f%", s) for s in shares), shares[:5]
    topics = [c for c in cells if c["section"] == "topics"]
    emergent = [c["text"] for c in topics if c["header"] == "Émergent"]
    assert len(emergent) >= 2 and set(emergent) <= {"oui", "non"}
    near = [c["text"] for c in topics if c["header"] == "Codes proches"]
    link = r"[^\[\]{}]+ \(\d,\d\d\)"
    assert near and all(re.fullmatch(rf"{link}( ; {link})*", t) for t in near), near
    terms = [c["text"] for c in topics if c["header"] == "Mots-clés"]
    assert terms and all(re.fullmatch(r"[^\[\]'\"]+(, [^\[\]'\"]+)+", t) for t in terms), terms
    kinds = {c["text"] for c in cells if c["section"] == "apercu" and c["header"] == "Type"}
    assert kinds == {"entretien", "monographie"}


def test_a_quote_stands_once_in_the_miaou_grid(cells):
    quotes = [line.strip() for c in cells if c["section"] == "miaou" and c["header"] == "Extraits"
              for line in c["text"].split("\n") if line.strip().startswith("«")]
    repeated = [q for q, n in collections.Counter(quotes).items() if n > 1]
    assert len(quotes) >= 20 and not repeated, repeated
    pointers = [c["text"] for c in cells if c["section"] == "miaou" and c["text"].startswith("(même extrait")]
    assert all(re.fullmatch(r"\(même extrait que [^,]+, rang \d+\)", p) for p in pointers), pointers
