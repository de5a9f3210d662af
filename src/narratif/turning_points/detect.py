"""Turning points: the sentences where a story changes course, typed and scored.

A sentence is a candidate when it narrates an event in the foreground (passé composé,
passé simple or a narrative present) carrying a trigger of one of six kinds —
``rencontre``, ``rupture``, ``decision``, ``revelation``, ``resolution``, ``mobilite``
— reinforced by narrative cues ("et là", "sauf que", "du jour au lendemain", "un
jour", "finalement"), a temporal anchor, first-person agency or reported speech that
brings news; background description (imparfait only, general present) and questions
weigh against it. Every check is a token-attribute or compiled-regex look-up on the
existing parse, so this adds no model call.

Sentence scoring lives in the ``narratif_turning_points`` spaCy component (it sets
``Span._.turning_point``); the document-level choice — keep only the strongest
moments within a budget set by length and by how much the text narrates, never two in
adjacent sentences —
happens in :func:`detect_turning_points`.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from hashlib import sha256

from spacy.tokens import Span

from narratif.nlp import extensions  # noqa: F401  (registers Span._.turning_point)
from narratif.nlp.grammar import CONDITIONAL, IMPERFECT, PAST_PARTICIPLE, PRESENT, SIMPLE_PAST, verb_tenses
from narratif.models import TP_AUTO, TP_TEAM_TYPED, Document, TurningPoint
from narratif.turning_points.lexicon import (  # noqa: F401  (re-exported: the lexicons are part of this module's API)
    _ANCHOR_RE, _DISCOURSE_ONLY, _FIRST_PERSON, _META_NARRATIVE, _NEGATION, _QUESTION_START, _TELLING_ANNOUNCED,
    LEVIER_WORDS,
    NARRATIVE_CUES, OBSTACLE_WORDS, TYPE_LEMMAS, TYPE_PATTERNS, TYPES, _compile, meets_a_problem,
)

#: Lemmas of a move that changes the setting by itself (no destination needed).
_SETTLING_LEMMAS = {"déménager", "emménager", "installer", "émigrer", "immigrer", "exil", "déménagement",
                    "quitter", "repartir", "départ", "arrivée"}
_PLACE_PHRASE = re.compile(r"\b(?:en|au|aux) [a-zéèê]{4,}|\bà l'étranger\b|\bchez (?:mes|ma|mon|nos)\b|"
                           r"\b(?:pays|ville|région|campagne|banlieue|appartement|appart|maison)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TurningPointSettings:
    """How many turning points a document keeps and how strong they must be.

    The budget grows with the square root of the number of analysed sentences: a
    40-sentence anecdote keeps about four moments, a 3,000-sentence interview a few
    dozen. It shrinks when the narrator mostly comments rather than tells: below
    ``narrative_share`` of past-tense verbs (passé composé, passé simple, imparfait) among
    the finite ones, in proportion. Conversation about the present holds fewer turning
    points than a story of the same length. Frozen, hence hashable; :meth:`signature`
    feeds the pipeline's cache keys.
    """

    min_score: float = 0.9
    budget_per_sqrt: float = 0.6
    min_budget: int = 1
    max_budget: int = 60
    narrative_share: float = 0.35  # share of past-tense verbs from which the full budget applies
    min_gap: int = 1  # sentences: no two turning points closer than this (1 = not adjacent)
    imparfait_penalty: float = 0.5
    foreground_bonus: float = 0.5
    cue_cap: float = 0.9
    anchor_bonus: float = 0.25
    first_person_bonus: float = 0.15
    min_tokens: int = 2
    meta_penalty: float = 0.8
    place_bonus: float = 0.3
    routine_motion_penalty: float = 0.3
    switch_bonus: float = 0.3
    # story structure (narratif.turning_points.structure): what follows a moment
    evaluated_bonus: float = 0.0
    present_shift_bonus: float = 0.0
    reaction_bonus: float = 0.0
    use_model: bool = True  # apply the shipped learned model (data/tp_model.json) where it ships

    def budget(self, n_sentences: int, past_share: float = 1.0) -> int:
        telling = min(1.0, past_share / self.narrative_share) if self.narrative_share > 0 else 1.0
        b = int(round(self.budget_per_sqrt * math.sqrt(max(n_sentences, 0)) * telling))
        return max(self.min_budget, min(self.max_budget, b)) if n_sentences else 0

    def signature(self) -> str:
        return sha256(repr(sorted(asdict(self).items())).encode()).hexdigest()[:16]


def settings_signature(settings: TurningPointSettings | None = None) -> str:
    """A short hash of the settings, lexicons and shipped weights: changes when detection would change."""
    from narratif.turning_points.classifier import weights_hash

    s = settings or TurningPointSettings()
    lex = repr((TYPE_LEMMAS, TYPE_PATTERNS, NARRATIVE_CUES, OBSTACLE_WORDS.pattern, LEVIER_WORDS.pattern,
                _TELLING_ANNOUNCED.pattern))
    weights = weights_hash() if s.use_model else "off"
    return sha256((s.signature() + lex + weights).encode()).hexdigest()[:16]



class TurningPointScorer:
    """Scores one sentence span: the best type, its polarity, a score and the evidence."""

    def __init__(self, settings: TurningPointSettings | None = None):
        self.settings = settings or TurningPointSettings()
        self._patterns = {t: _compile(p) for t, p in TYPE_PATTERNS.items()}
        self._cues = _compile(NARRATIVE_CUES)
        # One lookup per token instead of one per type, and one regex pass to skip the
        # (many) sentences no type pattern can match: same scores, a fraction of the time.
        self._lemma_index: dict[str, list[tuple[str, float]]] = {}
        for t, lex in TYPE_LEMMAS.items():
            for lemma, w in lex.items():
                self._lemma_index.setdefault(lemma, []).append((t, w))
        self._any_pattern = re.compile("|".join(f"(?:{p})" for pats in TYPE_PATTERNS.values() for p, _ in pats),
                                       re.IGNORECASE)

    # tense ------------------------------------------------------------------------
    @staticmethod
    def tense_profile(span: Span) -> tuple[int, int, int]:
        """(foreground events, imparfait verbs, present verbs) among the span's verbs."""
        fg = imp = pres = 0
        for _, vt in verb_tenses(span):
            if vt.lexical and vt.tense == PAST_PARTICIPLE:
                fg += vt.with_auxiliary  # passé composé / plus-que-parfait counted below
            elif vt.auxiliary:
                if vt.tense == IMPERFECT and vt.of_participle:
                    fg -= 1  # plus-que-parfait: background after all
                    imp += 1
            elif vt.finite:
                if vt.tense == IMPERFECT:
                    imp += 1
                elif vt.tense == SIMPLE_PAST:
                    fg += 1
                elif vt.tense in (PRESENT, CONDITIONAL):
                    pres += 1
        return max(fg, 0), imp, pres

    @staticmethod
    def announces_telling(span: Span) -> bool:
        """« j'ai décidé de raconter mes péripéties », « je vais te raconter mes vacances »: the
        narrator says what they will tell, and no event is told after it in the sentence."""
        m = _TELLING_ANNOUNCED.search(span.text)
        if not m:
            return False
        after = span.start_char + m.end()
        return not any(t.idx >= after and t.pos_ in ("VERB", "AUX") and "Past" in t.morph.get("Tense")
                       and ("Fin" in t.morph.get("VerbForm") or any(c.dep_.startswith("aux") for c in t.children))
                       for t in span)

    def __call__(self, span: Span) -> dict | None:
        s = self.settings
        text = span.text
        if (len(span) < s.min_tokens or _DISCOURSE_ONLY.match(text) or text.rstrip().endswith("?")
                or self.announces_telling(span)):
            return None
        low = text.lower()
        evidence: dict[str, list[str]] = {t: [] for t in TYPES}
        scores = dict.fromkeys(TYPES, 0.0)
        for tok in span:
            lemma = tok.lemma_.lower()
            hit_problem = lemma == "rencontrer" and meets_a_problem(tok)
            for t, w in self._lemma_index.get(lemma, ()):
                if hit_problem and t == "rencontre":
                    t = "rupture"  # « les obstacles rencontrés », « on a rencontré des difficultés »
                if tok.pos_ not in ("VERB", "NOUN", "ADJ", "AUX", "PROPN"):
                    w *= 0.5
                elif any(c.lower_ in _NEGATION for c in tok.children):
                    w *= 0.4
                if w > 0 and lemma not in evidence[t]:
                    scores[t] += w
                    evidence[t].append(lemma)
        if self._any_pattern.search(low):
            for t, pats in self._patterns.items():
                for rx, w in pats:
                    m = rx.search(low)
                    if m:
                        scores[t] += w
                        evidence[t].append(m.group())
        best = max(TYPES, key=lambda t: scores[t])
        lex_score = min(scores[best], 1.6)
        if lex_score <= 0:
            return None
        fg, imp, pres = self.tense_profile(span)
        cue_score = 0.0
        cues = []
        for rx, w in self._cues:
            m = rx.search(low)
            if m:
                cue_score += w
                cues.append(m.group())
        cue_score = min(cue_score, s.cue_cap)
        score = lex_score + cue_score
        if fg:
            score += s.foreground_bonus
        elif imp and not pres:
            score -= s.imparfait_penalty
        anchor = _ANCHOR_RE.search(text)
        if anchor:
            score += s.anchor_bonus
        if any(t.lower_ in _FIRST_PERSON and t.dep_.startswith("nsubj") for t in span):
            score += s.first_person_bonus
        if _QUESTION_START.match(text):
            score -= 0.5
        meta = _META_NARRATIVE.search(low)
        if meta:  # "je vais vous raconter ...", "le thème c'est le jour où j'ai rencontré ..."
            score -= s.meta_penalty
        if best == "mobilite":
            if any(t.ent_type_ in ("LOC", "GPE") or (t.pos_ == "PROPN" and t.head.pos_ == "VERB") for t in span):
                score += s.place_bonus
            elif not any(t.lemma_.lower() in _SETTLING_LEMMAS for t in span) and not _PLACE_PHRASE.search(low):
                # "on est arrivé", "on est parti": motion inside a scene, no new setting named
                score -= s.routine_motion_penalty
        polarity = self.polarity(best, low)
        parts = [f"{best}: {', '.join(evidence[best][:4])}"]
        if cues:
            parts.append("cue: " + ", ".join(cues[:3]))
        parts.append(f"tense: fg={fg} imp={imp} pres={pres}")
        if anchor:
            parts.append(f"anchor: {anchor.group()}")
        return {"type": best, "polarity": polarity, "score": round(score, 3), "evidence": "; ".join(parts),
                "scores": {t: round(v, 3) for t, v in scores.items() if v}}

    @staticmethod
    def polarity(tp_type: str, low: str) -> str | None:
        if tp_type == "rupture":
            return "obstacle"
        neg = len(OBSTACLE_WORDS.findall(low))
        pos = len(LEVIER_WORDS.findall(low))
        if tp_type == "mobilite" and not (neg or pos):
            return None
        return "obstacle" if neg > pos else "levier"


def score_sentences(parsed, *, settings: TurningPointSettings | None = None) -> list[tuple]:
    """(parsed segment, sentence, span, candidate-or-None) for every analysed sentence."""
    scorer = TurningPointScorer(settings)
    signature = scorer.settings.signature()
    out = []
    for p in parsed:
        if p.segment.role == "interviewer":
            continue
        tagged = p.doc._.turning_point_settings == signature  # the narratif_turning_points component ran
        for sent, span in zip(p.sentences, p.spans):
            if tagged:  # a copy: ranking edits its candidates, the parse keeps the component's
                cand = _copy(span._.turning_point)
            else:
                cand = span._.turning_point = scorer(span)
            out.append((p, sent, span, cand))
    return out


def _copy(candidate: dict | None) -> dict | None:
    return dict(candidate) if candidate is not None else None


def sentence_score(parsed, settings: TurningPointSettings | None = None):
    """``Sentence -> float``: the scorer's score for any analysed sentence (0 when it is no
    candidate), for moments an analyst adds that the detector did not keep."""
    scorer = TurningPointScorer(settings)
    spans = {sent.sent_id: span for p in parsed for sent, span in zip(p.sentences, p.spans)}

    def score(sentence) -> float:
        span = spans.get(sentence.sent_id)
        cand = scorer(span) if span is not None else None
        return float(cand["score"]) if cand else 0.0

    return score


def past_share(profiles: list[tuple[int, int, int]]) -> float:
    """Share of past-tense verbs (foreground events and imparfait) among the finite ones: how
    much of the text tells rather than comments. 1.0 when there are no verbs to judge by."""
    fg = sum(p[0] for p in profiles)
    imp = sum(p[1] for p in profiles)
    pres = sum(p[2] for p in profiles)
    return (fg + imp) / (fg + imp + pres) if fg + imp + pres else 1.0


def _context_bonus(rows: list[tuple], profiles: list[tuple[int, int, int]], s: TurningPointSettings,
                   parsed=None) -> None:
    """Reward the switch from background (imparfait) to a foreground event: the plot moves here;
    and, where the settings ask, what the story does right after a moment (:mod:`.structure`)."""
    prev_background = False
    for (p, sent, span, cand), (fg, imp, pres) in zip(rows, profiles):
        if cand is not None and fg and prev_background and s.switch_bonus:
            cand["score"] = round(cand["score"] + s.switch_bonus, 3)
            cand["evidence"] += "; switch: imparfait→passé composé"
        prev_background = bool(imp) and not fg
    weights = {"evaluated": s.evaluated_bonus, "present_shift": s.present_shift_bonus, "reaction": s.reaction_bonus}
    if not any(weights.values()):
        return
    from narratif.turning_points.structure import story_signals

    for (p, sent, span, cand), signals in zip(rows, story_signals(rows, profiles, parsed)):
        bonus = sum(w * signals[k] for k, w in weights.items())
        if cand is not None and bonus:
            cand["score"] = round(cand["score"] + bonus, 3)
            cand["evidence"] += "; told after: " + ", ".join(k for k in weights if signals[k] and weights[k])


def _rule_picks(rows: list[tuple], profiles: list[tuple[int, int, int]], s: TurningPointSettings,
                budget: int, parsed=None) -> list[int]:
    """Rule ranking: the strongest candidates within the budget, never adjacent."""
    _context_bonus(rows, profiles, s, parsed)
    ranked = sorted((i for i, r in enumerate(rows) if r[3] and r[3]["score"] >= s.min_score),
                    key=lambda i: -rows[i][3]["score"])
    kept: list[int] = []
    for i in ranked:
        if len(kept) >= budget:
            break
        if any(abs(i - k) <= s.min_gap for k in kept):
            continue
        kept.append(i)
    return sorted(kept)


#: Type clarity is computed for this many times the budget of best rule candidates.
CLARITY_POOL = 2


def _learned_picks(rows: list[tuple], profiles: list[tuple[int, int, int]], model, s: TurningPointSettings,
                   budget: int, parsed=None) -> list[tuple[int, str, float, str]]:
    """(sentence index, type, score, evidence) chosen by the shipped model: learned ranking
    over narrative units, or rule ranking with a type-clarity bonus on the shortlist, and/or
    learned typing of the picked units."""
    from narratif.turning_points.features import _content_tokens, narrative_units
    from narratif.turning_points.classifier import TEAM_TYPING, unit_rows

    spans = [r[2] for r in rows]
    speakers = [r[0].segment.speaker for r in rows]
    # the rule candidates before _rule_picks adds its context bonus (the model saw them so)
    cands = [dict(r[3]) if r[3] else None for r in rows]
    if model.ranking == "rules":
        units_all = narrative_units(spans)
        unit_of = {i: j for j, u in enumerate(units_all) for i in u}
        featured: set[int] = set()
        ur = None
        if model.type_margin and model.typer is not None:
            # the strongest candidates (a few times the budget: only they can reach it) gain a
            # bonus for how clearly they are one kind of turning point
            contenders = sorted((i for i, r in enumerate(rows) if r[3] and r[3]["score"] > 0),
                                key=lambda i: (-rows[i][3]["score"], i))[:CLARITY_POOL * budget]
            featured = {unit_of[i] for i in contenders}
            ur = unit_rows(spans, speakers, TurningPointScorer(), units=units_all, needed=featured,
                           sentence_cands=cands)
            margin = dict(zip(sorted(featured), model.type_margins(ur, sorted(featured))))
            for i in contenders:
                bonus = model.type_margin * float(margin[unit_of[i]])
                rows[i][3]["score"] = round(rows[i][3]["score"] + bonus, 3)
                rows[i][3]["evidence"] += f"; type clarity +{bonus:.2f}"
        sent_idx = _rule_picks(rows, profiles, s, budget, parsed)
        units = [unit_of[i] for i in sent_idx]
        if ur is None or not set(units) <= featured:  # the picks need their features to be typed
            ur = unit_rows(spans, speakers, TurningPointScorer(), units=units_all, needed=featured | set(units),
                           sentence_cands=cands)
        scores = [rows[i][3]["score"] for i in sent_idx]
    else:
        ur = unit_rows(spans, speakers, TurningPointScorer(), sentence_cands=cands)
        unit_scores = model.unit_scores(ur)
        units = model.selection.select(unit_scores)
        sent_idx = [max(ur.units[j], key=lambda i: (_content_tokens(spans[i]), -i)) for j in units]
        scores = [float(unit_scores[j]) for j in units]
    learned_types = model.unit_types(ur, units)
    out = []
    for k, (i, j) in enumerate(zip(sent_idx, units)):
        cand = rows[i][3] or ur.rule_cands[j]
        tp_type = learned_types[k] if learned_types else (cand["type"] if cand else "resolution")
        evidence = [cand["evidence"]] if cand else []
        typing = TEAM_TYPING if model.meta.get("adapted") else f"{model.typing} type"  # narratif.turning_points.adapt
        evidence.append(f"model: {model.ranking} ranking {scores[k]:.2f}, {typing}")
        out.append((i, tp_type, round(scores[k], 3), "; ".join(evidence)))
    return out


def detect_turning_points(document: Document, parsed, *, settings: TurningPointSettings | None = None,
                          model=None) -> list[TurningPoint]:
    """The document's strongest turning points, in text order (interviewer turns skipped).

    Uses the shipped learned model (``data/tp_model.json``, or ``model``) for whatever it
    learned — ranking, typing, type clarity — and the hand-written scorer otherwise.
    """
    from narratif.turning_points.classifier import load_model

    s = settings or TurningPointSettings()
    rows = score_sentences(parsed, settings=s)
    if model is None:
        model = load_model() if s.use_model else None
    profiles = [TurningPointScorer.tense_profile(r[2]) for r in rows]
    budget = s.budget(len(rows), past_share(profiles))
    if model is None or (model.ranking == "rules" and model.typing == "rules") or not rows:
        picks = [(i, rows[i][3]["type"], rows[i][3]["score"], rows[i][3]["evidence"])
                 for i in _rule_picks(rows, profiles, s, budget, parsed)]
    else:
        picks = _learned_picks(rows, profiles, model, s, budget, parsed)
    source = TP_TEAM_TYPED if model is not None and model.meta.get("adapted") else TP_AUTO
    out = []
    for i, tp_type, score, evidence in picks:
        p, sent, span, cand = rows[i]
        polarity = TurningPointScorer.polarity(tp_type, span.text.lower())
        out.append(TurningPoint(doc_id=document.doc_id, seg_id=sent.seg_id, sent_id=sent.sent_id,
                                start=sent.start, end=sent.end, text=sent.text, type=tp_type,
                                polarity=polarity, score=float(score), evidence=evidence, source=source))
    return out
