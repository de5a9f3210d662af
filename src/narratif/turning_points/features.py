"""Sentence features for the learned turning-point scorer, read off an existing spaCy parse.

Two blocks per narrative unit (a sentence, or a short oral fragment glued to its
neighbour on the same line), concatenated into one row:

* dense cues (``DENSE_NAMES``): narrative position, tense and aspect from the morphology
  (passé composé / passé simple vs imparfait / present, and the switch from the previous
  sentence), cue-lexicon hits per type, discourse markers, first-person subject,
  reported speech, negation, length, who speaks, and the same cues of the neighbours;
* the unit's normalised static vector (``VECTOR_DIM`` values, spaCy ``Span.vector``),
  which the model only uses through a few cosine similarities to prototypes learned at
  training time (a bag of words or raw vectors over-fit ~400 positives).

Everything is a token-attribute or compiled-regex look-up: no model call. Shared by the
runtime (:mod:`narratif.turning_points.classifier`) and ``scripts/train_turning_points.py`` so both see
exactly the same rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Span

from narratif.nlp.grammar import (
    CONDITIONAL, FUTURE, IMPERFECT, PAST_PARTICIPLE, PRESENT, PRESENT_PARTICIPLE, SIMPLE_PAST, verb_tenses,
)
from narratif.turning_points.lexicon import (
    _ANCHOR_RE, _DISCOURSE_ONLY, _FIRST_PERSON, _META_NARRATIVE, _NEGATION, _QUESTION_START, TYPE_LEMMAS,
    TYPE_PATTERNS, TYPES, _compile, meets_a_problem,
)

VECTOR_DIM = 300

#: Discourse markers, one feature each (counts).
MARKERS: dict[str, str] = {
    "m_et_la": r"\bet là\b",
    "m_sauf_que": r"\bsauf que\b|\bmais bon\b",
    "m_soudain": r"\bdu jour au lendemain\b|\btout à coup\b|\bsoudain|\bd'un coup\b|\btout d'un coup\b",
    "m_cest_la": r"\bc'est là que\b|\bà ce moment-là\b|\bà partir de (?:ce|là)\b|\bc'est (?:à ce moment|comme ça) que\b",
    "m_un_jour": r"\bun jour\b|\bun soir\b|\bun matin\b|\bce jour-là\b|\bune fois\b",
    "m_finalement": r"\bfinalement\b|\bau final\b|\bà la fin\b|\ben fin de compte\b",
    "m_du_coup": r"\bdu coup\b",
    "m_donc": r"\bet donc\b|\bdonc\b",
    "m_quand": r"\bquand\b|\blorsque\b",
    "m_puis": r"\bet puis\b|\bpuis\b|\bensuite\b|\baprès\b",
    "m_depuis": r"\bdepuis\b|\bmaintenant\b|\bjusqu'à aujourd'hui\b",
    "m_au_bout": r"\bau bout d",
    "m_habitual": r"\btous les\b|\btoutes les\b|\bchaque\b|\btoujours\b|\bd'habitude\b|\bsouvent\b",
    "m_evaluation": r"^\W*(?:\w+,? )?(?:c'était|c'est|ça a été|c'est vrai que)\b",
    "m_enfait": r"\ben fait\b",
    "m_premiere_fois": r"\bpremière fois\b|\bpour la première\b",
    "m_wish": r"\bj'aimerais\b|\bje voudrais\b|\bje rêve\b|\bsi j'avais\b",
}
_MARKER_RX = [(k, re.compile(v, re.IGNORECASE)) for k, v in MARKERS.items()]
_PATTERNS = {t: _compile(p) for t, p in TYPE_PATTERNS.items()}
#: One pre-screen per type: most sentences match none of a type's patterns.
_PATTERN_ANY = {t: re.compile("|".join(f"(?:{p})" for p, _ in pats), re.IGNORECASE) for t, pats in TYPE_PATTERNS.items()}
_SPEECH_LEMMAS = {"dire", "annoncer", "expliquer", "demander", "répondre", "raconter", "proposer", "appeler",
                  "téléphoner", "écrire", "apprendre", "prévenir", "faire"}
_MOTION = {"partir", "arriver", "venir", "aller", "rentrer", "revenir", "retourner", "quitter", "déménager",
           "monter", "descendre", "sortir", "entrer", "passer", "courir", "marcher"}
_COGNITION = {"comprendre", "savoir", "réaliser", "découvrir", "apprendre", "remarquer", "voir", "entendre",
              "penser", "croire", "sentir", "rendre"}
_THIRD = {"il", "elle", "ils", "elles"}
_SECOND = {"tu", "vous", "t'", "t’"}

SENT_NAMES: list[str] = (
    [f"lex_{t}" for t in TYPES] + [f"pat_{t}" for t in TYPES] + list(MARKERS)
    + ["t_pc", "t_ps", "t_imp", "t_pres", "t_pqp", "t_fut", "t_fg", "t_bg_only", "t_pres_only", "t_no_verb",
       "subj_1p", "subj_3p", "subj_2p", "subj_propn", "speech", "speech_que", "colon", "negation", "log_len",
       "n_verbs", "question", "discourse_only", "short", "meta", "anchor", "place", "person",
       "motion", "cognition", "lex_max"]
)
CONTEXT_KEYS = ["t_fg", "t_bg_only", "lex_max", "question", "short", "m_et_la", "speech"]
DOC_NAMES: list[str] = (
    ["pos", "pos2", "is_first", "is_last", "log_n", "speaker_share", "speaker_major", "switch_bg_fg",
     "lex_rank_window"]
    + [f"prev_{k}" for k in CONTEXT_KEYS] + [f"next_{k}" for k in CONTEXT_KEYS]
)
DENSE_NAMES: list[str] = SENT_NAMES + DOC_NAMES
N_DENSE = len(DENSE_NAMES)
N_FEATURES = N_DENSE + VECTOR_DIM
_IDX = {n: i for i, n in enumerate(SENT_NAMES)}


#: Tense of the auxiliary of a compound tense → the compound tense counted.
_COMPOUND = {IMPERFECT: "t_pqp", PRESENT: "t_pc", CONDITIONAL: "t_pc", PRESENT_PARTICIPLE: "t_pc",
             SIMPLE_PAST: "t_ps", PAST_PARTICIPLE: "t_ps"}
#: Tense of a finite verb → the tense counted.
_SIMPLE = {FUTURE: "t_fut", CONDITIONAL: "t_fut", IMPERFECT: "t_imp", SIMPLE_PAST: "t_ps", PRESENT: "t_pres"}


def _tense_counts(span: Span) -> dict[str, int]:
    """Passé composé, passé simple, imparfait, present, plus-que-parfait and future/conditional verbs."""
    c = dict.fromkeys(("t_pc", "t_ps", "t_imp", "t_pres", "t_pqp", "t_fut"), 0)
    for _, vt in verb_tenses(span):
        if vt.auxiliary:  # the compound tense is counted on its auxiliary, not on the participle
            key = _COMPOUND.get(vt.tense) if vt.of_participle else None
        else:
            key = _SIMPLE.get(vt.tense) if vt.finite else None
        if key is not None:
            c[key] += 1
    return c


def _text_cues(f: np.ndarray, text: str, low: str) -> None:
    """The cues read off the sentence's characters: type patterns, markers, punctuation."""
    for t, pats in _PATTERNS.items():
        if _PATTERN_ANY[t].search(low):
            f[_IDX[f"pat_{t}"]] = sum(w for rx, w in pats if rx.search(low))
    for k, rx in _MARKER_RX:
        f[_IDX[k]] = len(rx.findall(low))
    f[_IDX["colon"]] = 1.0 if ":" in text or "«" in text or '"' in text else 0.0
    f[_IDX["question"]] = 1.0 if text.rstrip().endswith("?") or _QUESTION_START.match(text) else 0.0
    f[_IDX["discourse_only"]] = 1.0 if _DISCOURSE_ONLY.match(text) else 0.0
    f[_IDX["meta"]] = 1.0 if _META_NARRATIVE.search(low) else 0.0
    f[_IDX["anchor"]] = 1.0 if _ANCHOR_RE.search(text) else 0.0


def sentence_row(span: Span) -> np.ndarray:
    """Dense sentence-level cues of one unit, in ``SENT_NAMES`` order."""
    text = span.text
    low = text.lower()
    f = np.zeros(len(SENT_NAMES), dtype=np.float32)
    seen: dict[str, set] = {t: set() for t in TYPES}
    n_tok = n_verbs = 0
    motion = cognition = speech = negation = 0
    subj = Counter()
    place = person = 0
    for tok in span:
        if tok.is_space or tok.is_punct:
            continue
        n_tok += 1
        lemma = tok.lemma_.lower()
        pos = tok.pos_
        if pos in ("VERB", "AUX"):
            n_verbs += 1
        if pos == "VERB":
            motion += lemma in _MOTION
            cognition += lemma in _COGNITION
            if lemma in _SPEECH_LEMMAS:
                speech += 1
        if tok.lower_ in _NEGATION:
            negation += 1
        if tok.dep_.startswith("nsubj"):
            lw = tok.lower_
            if lw in _FIRST_PERSON:
                subj["subj_1p"] += 1
            elif lw in _THIRD:
                subj["subj_3p"] += 1
            elif lw in _SECOND:
                subj["subj_2p"] += 1
            elif pos in ("PROPN", "NOUN"):
                subj["subj_propn"] += 1
        if tok.ent_type_ in ("LOC", "GPE"):
            place = 1
        elif tok.ent_type_ == "PER":
            person = 1
        problem = lemma == "rencontrer" and meets_a_problem(tok)
        for t, lex in TYPE_LEMMAS.items():
            w = lex.get(lemma)
            if w and lemma not in seen[t]:
                if pos not in ("VERB", "NOUN", "ADJ", "AUX", "PROPN"):
                    w *= 0.5
                elif any(c.lower_ in _NEGATION for c in tok.children):
                    w *= 0.4
                f[_IDX[f"lex_{'rupture' if problem and t == 'rencontre' else t}"]] += w
                seen[t].add(lemma)
    _text_cues(f, text, low)
    tc = _tense_counts(span)
    for k, v in tc.items():
        f[_IDX[k]] = v
    fg = tc["t_pc"] + tc["t_ps"]
    f[_IDX["t_fg"]] = 1.0 if fg else 0.0
    f[_IDX["t_bg_only"]] = 1.0 if (tc["t_imp"] or tc["t_pqp"]) and not fg and not tc["t_pres"] else 0.0
    f[_IDX["t_pres_only"]] = 1.0 if tc["t_pres"] and not fg and not tc["t_imp"] else 0.0
    f[_IDX["t_no_verb"]] = 1.0 if not n_verbs else 0.0
    for k, v in subj.items():
        f[_IDX[k]] = min(v, 3)
    f[_IDX["speech"]] = speech
    f[_IDX["speech_que"]] = 1.0 if speech and re.search(r"\b(?:que|qu'|de|d')\b", low) else 0.0
    f[_IDX["negation"]] = negation
    f[_IDX["log_len"]] = math.log1p(n_tok)
    f[_IDX["n_verbs"]] = min(n_verbs, 8)
    f[_IDX["short"]] = 1.0 if n_tok < 4 else 0.0
    f[_IDX["place"]] = place
    f[_IDX["person"]] = person
    f[_IDX["motion"]] = motion
    f[_IDX["cognition"]] = cognition
    f[_IDX["lex_max"]] = max(f[_IDX[f"lex_{t}"]] + f[_IDX[f"pat_{t}"]] for t in TYPES)
    return f


_FILLERS = {"euh", "bah", "ben", "bon", "hein", "et", "mais", "donc", "alors", "ouais", "oui", "voilà", "hum",
            "mh", "ah", "oh", "enfin", "puis", "quoi", "bref"}


def _content_tokens(span: Span) -> int:
    return sum(1 for t in span if t.is_alpha and t.lower_ not in _FILLERS)


def narrative_units(spans: list[Span]) -> list[list[int]]:
    """Groups of consecutive sentences read as one unit: spaCy cuts oral lines at fillers
    ("et euh" / ", il y avait …"); a fragment is glued to its neighbour on the same line."""
    units: list[list[int]] = []
    for i, span in enumerate(spans):
        if units:
            prev = spans[units[-1][-1]]
            same_line = prev.doc is span.doc and prev.end == span.start and "\n" not in prev[-1].text_with_ws
            fragment = _content_tokens(span) < 3 or _content_tokens(doc_span(spans, units[-1])) < 3 \
                or span[0].is_punct
            if same_line and fragment:
                units[-1].append(i)
                continue
        units.append([i])
    return units


def doc_span(spans: list[Span], unit: list[int]) -> Span:
    first, last = spans[unit[0]], spans[unit[-1]]
    return first.doc[first.start:last.end]


@dataclass(slots=True)
class SentenceRows:
    """The feature matrix of a document's narrative units (rows in text order)."""

    X: np.ndarray  # (n units, N_FEATURES)
    units: list[list[int]]  # sentence indices of each unit


def document_matrix(spans: list[Span], speakers: list, *, units: list[list[int]] | None = None,
                    needed: set[int] | None = None) -> SentenceRows:
    """Feature rows for a document's analysed sentences, grouped into units, with position,
    speaker and neighbour context. With ``needed`` (unit indices) only those rows are
    complete (their ±2 neighbours are read for context); the others stay zero — the
    run time types a few picked units without featurising a whole interview."""
    units = units if units is not None else narrative_units(spans)
    speakers = [speakers[u[0]] for u in units]
    spans = [doc_span(spans, u) for u in units]
    n = len(spans)
    X = np.zeros((n, N_FEATURES), dtype=np.float32)
    if not n:
        return SentenceRows(X, units)
    sent = np.zeros((n, len(SENT_NAMES)), dtype=np.float32)
    todo = range(n) if needed is None else sorted({j for i in needed for j in range(i - 2, i + 3) if 0 <= j < n})
    for i in todo:
        span = spans[i]
        sent[i] = sentence_row(span)
        if span.has_vector:
            v = span.vector
            norm = float(np.linalg.norm(v))
            if norm:
                X[i, N_DENSE:N_DENSE + VECTOR_DIM] = v / norm
    X[:, :len(SENT_NAMES)] = sent
    share = Counter(speakers)
    top = max(share.values())
    d = len(SENT_NAMES)
    col = {name: d + j for j, name in enumerate(DOC_NAMES)}
    idx = np.arange(n)
    X[:, col["pos"]] = idx / max(n - 1, 1)
    X[:, col["pos2"]] = X[:, col["pos"]] ** 2
    X[:, col["is_first"]] = idx < 2
    X[:, col["is_last"]] = idx >= n - 2
    X[:, col["log_n"]] = math.log(n)
    X[:, col["speaker_share"]] = [share[s] / n for s in speakers]
    X[:, col["speaker_major"]] = [share[s] == top for s in speakers]
    fg, bg = sent[:, _IDX["t_fg"]], sent[:, _IDX["t_bg_only"]]
    X[1:, col["switch_bg_fg"]] = bg[:-1] * fg[1:]
    lexmax = sent[:, _IDX["lex_max"]]
    for i in range(n):
        lo, hi = max(0, i - 2), min(n, i + 3)
        X[i, col["lex_rank_window"]] = float(lexmax[i] >= lexmax[lo:hi].max())
    ctx = [_IDX[k] for k in CONTEXT_KEYS]
    k = len(CONTEXT_KEYS)
    X[1:, col[f"prev_{CONTEXT_KEYS[0]}"]:col[f"prev_{CONTEXT_KEYS[0]}"] + k] = sent[:-1][:, ctx]
    X[:-1, col[f"next_{CONTEXT_KEYS[0]}"]:col[f"next_{CONTEXT_KEYS[0]}"] + k] = sent[1:][:, ctx]
    return SentenceRows(X, units)
