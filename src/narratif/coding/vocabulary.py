"""The study's own vocabulary: how common each keyword is in the study's documents.

A keyword found in a third of the study's paragraphs (« collectif », « pouvoir »,
« coopération ») says little about which theme a paragraph is about; a keyword found in
two says a lot. Each keyword hit therefore weighs its inverse document frequency in the
study's paragraphs, scaled to (0, 1]: ``log((N + 1) / (df + 1)) / log(N + 1)``. Without
this, the theme with the most generic keywords (cooperation) is given to paragraphs that
are not about it.

The frequencies ship as ``narratif/data/study_vocabulary.json``: counts only (lemma ->
number of paragraphs), built by ``scripts/build_study_vocabulary.py`` from the seed
documents in ``../shared/seeds`` minus the frozen test paragraphs of the external theme
set. Keys are a matched span's lower-case lemmas (:func:`~narratif.coding.lexicon.span_key`);
a phrase never counted weighs as its most specific word, an unknown word weighs 1.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from spacy.tokens import Doc

STUDY_FILE = Path(__file__).resolve().parents[1] / "data" / "study_vocabulary.json"


@dataclass(frozen=True)
class Vocabulary:
    """Document frequencies of lemmas and keyword phrases in a reference corpus."""

    n_docs: int
    df: Mapping[str, int]
    source: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def weight(self, key: str) -> float:
        """Inverse document frequency of a span key, in (0, 1]."""
        w = self._cache.get(key)
        if w is None:
            if key in self.df:
                w = self._idf(self.df[key])
            elif " " in key:  # a phrase never counted: as specific as its most specific word
                w = max(self.weight(p) for p in key.split(" ") if p)
            else:
                w = 1.0
            self._cache[key] = w
        return w

    def _idf(self, df: int) -> float:
        n = max(self.n_docs, 1)
        return math.log((n + 1) / (min(df, n) + 1)) / math.log(n + 1) if n > 1 else 1.0

    def digest(self) -> str:
        blob = json.dumps({"n": self.n_docs, "df": dict(sorted(self.df.items()))}, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return {"n_docs": self.n_docs, "source": self.source, "df": dict(sorted(self.df.items()))}

    @classmethod
    def from_json(cls, data: Mapping) -> "Vocabulary":
        n = data.get("n_docs")
        df = data.get("df")
        if not isinstance(n, int) or n < 1 or not isinstance(df, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in df.items()):
            raise ValueError("a vocabulary needs 'n_docs' (a positive integer) and 'df' (word -> count)")
        return cls(n, dict(df), str(data.get("source", "")))


def count_documents(docs: Iterable[list[Doc]], phrase_keys) -> Vocabulary:
    """Document frequencies over ``docs`` (each a list of parsed segments counted as one
    document): every lemma, and every keyword phrase ``phrase_keys(doc)`` finds."""
    df: Counter[str] = Counter()
    n = 0
    for segments in docs:
        keys: set[str] = set()
        for doc in segments:
            keys.update(t.lemma_.lower() for t in doc if not (t.is_space or t.is_punct))
            keys.update(phrase_keys(doc))
        df.update(keys)
        n += 1
    return Vocabulary(n, dict(df))


@lru_cache(maxsize=1)
def study_vocabulary() -> Vocabulary:
    """The shipped study vocabulary."""
    try:
        return Vocabulary.from_json(json.loads(STUDY_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{STUDY_FILE}: cannot read the study vocabulary: {exc}") from None


def resolve_vocabulary(spec) -> Vocabulary | None:
    """``"study"``: the shipped one; None: keywords all weigh 1; a :class:`Vocabulary` or its JSON form."""
    if spec is None:
        return None
    if isinstance(spec, Vocabulary):
        return spec
    if isinstance(spec, str) and spec == "study":
        return study_vocabulary()
    if isinstance(spec, Mapping):
        return Vocabulary.from_json(spec)
    raise ValueError(f"vocabulary must be 'study', None, a Vocabulary or its JSON mapping; got {spec!r:.60}")


def vocabulary_from_files(files: Iterable[Path], *, nlp, lexicon, skip: Mapping[str, list[tuple[int, int]]] | None = None,
                          source: str = "") -> Vocabulary:
    """Count a vocabulary over the paragraphs of text files, read and segmented as a run would.

    ``skip`` maps a file name to character ranges of its text whose paragraphs must not be
    counted (e.g. the frozen test paragraphs of an evaluation set)."""
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document

    skip = skip or {}
    docs: list[list[Doc]] = []
    for path in files:
        document = ingest_file(Path(path))
        if not document.ok:
            raise ValueError(f"{path}: {document.error}")
        ranges = skip.get(Path(path).name, [])
        for parsed in parse_document(nlp, document):
            seg = parsed.segment
            if not any(s < seg.end and seg.start < e for s, e in ranges):
                docs.append([parsed.doc])
    vocab = count_documents(docs, lexicon.phrase_keys)
    df = dict(vocab.df)
    for analysis in lexicon.analyses.values():  # keyword phrases the study never uses: rare, not unknown
        key = " ".join(lemma.lower() for lemma in analysis.lemmas)
        if " " in key:
            df.setdefault(key, 0)
    return Vocabulary(vocab.n_docs, df, source)
