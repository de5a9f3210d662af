"""Lexicon evidence: codebook keywords matched on lemmas and lower-case forms.

Two ``PhraseMatcher`` passes (``LEMMA`` and ``LOWER``) find each keyword whatever
its inflection; a match inside an exclusion ("culture d'entreprise") is dropped,
and a match preceded by a negation in its sentence ("pas de subvention") is
down-weighted: it still says what the text talks about, but weakly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from narratif.codebook import Codebook

#: tokens that negate what follows them within a few tokens
NEGATORS = frozenset({"pas", "ne", "n'", "n’", "jamais", "aucun", "aucune", "sans", "ni", "nul", "nulle"})
_EXCL = "\x1fEXCL"


@dataclass(slots=True)
class LexiconHits:
    """Weighted keyword hits of a batch of docs: ``weights[i, j]`` for doc i, code j."""

    weights: np.ndarray
    evidence: list[dict[int, list[str]]]  # per doc: code index -> matched phrases (document order)


def surface_variants(term: str) -> list[str]:
    """Lower-case forms to match besides the lemma: the term and a plural of each word.

    The lemmatizer sometimes reads a plural noun as a participle ("élus" -> "élire"),
    so the lower-case pass also carries the regular plural.
    """
    low = term.lower()
    words = low.split(" ")
    plural = [w if w[-1:] in ("s", "x", "z") or not w[-1:].isalpha() or len(w) < 3 else w + "s" for w in words]
    return list(dict.fromkeys([low, " ".join(plural)]))


def span_key(span) -> str:
    """A matched keyword's identity for ``term_weight``: its lower-case lemmas."""
    return " ".join(t.lemma_.lower() for t in span)


@dataclass(frozen=True, slots=True)
class TermAnalysis:
    """How the model tokenises and lemmatises a codebook term, out of context.

    Saved with the fitted coder so a quick check does not run the tagger over every
    term again; :meth:`doc` rebuilds the very pattern the matcher needs."""

    words: tuple[str, ...]
    spaces: tuple[bool, ...]
    lemmas: tuple[str, ...]

    def doc(self, vocab) -> Doc:
        return Doc(vocab, words=list(self.words), spaces=list(self.spaces), lemmas=list(self.lemmas))


def analyse_terms(nlp: Language, terms: list[str], known: dict[str, TermAnalysis] | None = None
                  ) -> dict[str, TermAnalysis]:
    """Each term's analysis, in context-free mode (tagger + lemmatizer, no parser); ``known`` ones reused."""
    known = known or {}
    todo = [t for t in terms if t not in known]
    out = {t: known[t] for t in terms if t in known}
    if todo:
        disable = [p for p in nlp.pipe_names if p in ("parser", "ner")]
        with nlp.select_pipes(disable=disable):
            for t, doc in zip(todo, nlp.pipe(todo, batch_size=256)):
                out[t] = TermAnalysis(tuple(tok.text for tok in doc), tuple(bool(tok.whitespace_) for tok in doc),
                                      tuple(tok.lemma_ for tok in doc))
    return out


class LexiconMatcher:
    """Matches every code's terms; a child's hits also count for its ancestors."""

    def __init__(self, codebook: Codebook, nlp: Language, *, strong_weight: float = 2.0,
                 negation_weight: float = 0.35, negation_window: int = 4,
                 analyses: dict[str, TermAnalysis] | None = None,
                 term_weight: Callable[[str], float] | None = None):
        self.codebook = codebook
        self.strong_weight = strong_weight
        self.negation_weight = negation_weight
        self.negation_window = negation_window
        #: weight of a matched keyword from its lemmas (:func:`span_key`), e.g. its rarity in the study
        self.term_weight = term_weight
        self.code_ids = [c.id for c in codebook.codes]
        index = {cid: i for i, cid in enumerate(self.code_ids)}
        # which columns a term of code c feeds: c and its ancestors
        self._targets: dict[str, list[int]] = {}
        for c in codebook.codes:
            chain, cur = [index[c.id]], c
            while cur.parent is not None:
                cur = codebook.get(cur.parent)
                chain.append(index[cur.id])
            self._targets[c.id] = chain
        self._lemma = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self._lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        terms: dict[str, tuple[list[str], list[str], list[str]]] = {}
        for c in codebook.codes:
            terms[c.id] = (c.keywords, c.strong_keywords, c.exclusions)
        # lemmatise every distinct term once (or reuse a saved analysis: see ``analyses``)
        distinct = sorted({t for kw, st, ex in terms.values() for t in (*kw, *st, *ex)})
        self.analyses = analyse_terms(nlp, distinct, analyses)
        lemma_docs = {t: self.analyses[t].doc(nlp.vocab) for t in distinct}
        for cid, (kw, st, ex) in terms.items():
            for kind, items in (("k", kw), ("s", st)):
                if items:
                    key = f"{cid}\x1f{kind}"
                    self._lemma.add(key, [lemma_docs[t] for t in items])
                    self._lower.add(key, [nlp.make_doc(v) for t in items for v in surface_variants(t)])
            if ex:
                self._lemma.add(cid + _EXCL, [lemma_docs[t] for t in ex])
                self._lower.add(cid + _EXCL, [nlp.make_doc(t.lower()) for t in ex])

    def _negated(self, doc: Doc, start: int) -> bool:
        sent_start = doc[start].sent.start if doc.has_annotation("SENT_START") else 0
        lo = max(sent_start, start - self.negation_window)
        return any(doc[i].lower_ in NEGATORS for i in range(lo, start))

    def phrase_keys(self, doc: Doc) -> set[str]:
        """The keys (:func:`span_key`) of every keyword found in ``doc``, exclusions aside."""
        keys = set()
        for matcher in (self._lemma, self._lower):
            for match_id, s, e in matcher(doc):
                if not self._lemma.vocab.strings[match_id].endswith(_EXCL):
                    keys.add(span_key(doc[s:e]))
        return keys

    def match(self, docs: list[Doc]) -> LexiconHits:
        n_codes = len(self.code_ids)
        weights = np.zeros((len(docs), n_codes), dtype=np.float32)
        evidence: list[dict[int, list[str]]] = []
        vocab = self._lemma.vocab
        for i, doc in enumerate(docs):
            spans: dict[tuple[str, int, int], str] = {}
            excluded: dict[str, list[tuple[int, int]]] = {}
            for matcher in (self._lemma, self._lower):
                for match_id, s, e in matcher(doc):
                    key = vocab.strings[match_id]
                    if key.endswith(_EXCL):
                        excluded.setdefault(key[: -len(_EXCL)], []).append((s, e))
                        continue
                    cid, kind = key.split("\x1f")
                    prev = spans.get((cid, s, e))
                    if prev != "s":
                        spans[(cid, s, e)] = kind
            # per code: drop excluded spans and spans nested in a longer span of the same code
            by_code: dict[str, list[tuple[int, int, str]]] = {}
            for (cid, s, e), kind in spans.items():
                if any(xs <= s and e <= xe for xs, xe in excluded.get(cid, ())):
                    continue
                by_code.setdefault(cid, []).append((s, e, kind))
            doc_ev: dict[int, list[str]] = {}
            doc_seen: dict[int, set[tuple[int, int]]] = {}
            for cid, items in by_code.items():
                items.sort(key=lambda t: (t[0], -(t[1] - t[0])))
                kept: list[tuple[int, int, str]] = []
                for s, e, kind in items:
                    if kept and s < kept[-1][1]:  # overlaps an earlier (longer or equal) span
                        continue
                    kept.append((s, e, kind))
                for s, e, kind in kept:
                    w = self.strong_weight if kind == "s" else 1.0
                    if self.term_weight is not None:
                        w *= self.term_weight(span_key(doc[s:e]))
                    text = doc[s:e].text
                    if self._negated(doc, s):
                        w *= self.negation_weight
                        text = f"{text} (nié)"
                    for j in self._targets[cid]:
                        seen = doc_seen.setdefault(j, set())
                        if (s, e) in seen:  # same words already counted for this column
                            continue
                        seen.add((s, e))
                        weights[i, j] += w
                        doc_ev.setdefault(j, []).append(text)
            evidence.append(doc_ev)
        return LexiconHits(weights, evidence)
