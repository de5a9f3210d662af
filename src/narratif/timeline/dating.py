"""Years for temporal expressions: whose birth year dates an age, what a relative counts from.

An age gets a year from its narrator's birth year (:func:`birth_years_by_speaker`: the case
attributes say whose it is); « il y a vingt ans » counts back from the interview year
(:func:`narratif.ingest.attributes.life_years`); « deux ans après », « cette année-là »,
« la même année » count from the time the narrator's story has reached (:class:`StoryTime`);
« quand je me suis mariée » takes the year the narrator gives the same event elsewhere
(:func:`date_life_events`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Iterable

from narratif.ingest.attributes import BIRTH_KEYS, fold_key
from narratif.models import Document, TimeExpression
from narratif.nlp.grammar import narrator_does, token_at

#: How far (in sentences) an anchor still resolves relative expressions. A review of 5 CFPP2000
#: interviews found the relatives counted from a year 18 and 24 sentences back wrong (an
#: unrelated date), those up to 15 back right: few cases, so a cautious cut.
ANCHOR_REACH = 15
#: How far (in sentences) a year the interviewer said is the antecedent of « cette année-là ».
ASKED_REACH = 5

NAME_KEYS = ("prenom", "nom", "name", "nom_complet", "narrator", "narrateur", "narratrice", "locuteur",
             "locutrice", "speaker", "person")
#: Share of the narrators' words above which the main narrator of a document with several
#: voices is taken to be the person its attributes describe (a spouse's few remarks aside).
MAIN_NARRATOR_SHARE = 0.9


def _name_tokens(name: str) -> set[str]:
    return {w for w in re.split(r"[\s;,|_'’.-]+", fold_key(name)) if len(w) >= 2 and not w.isdigit()}


def _speaker_named(name: str, speakers: Iterable[str | None]) -> str | None:
    """The speaker whose label shares most name words with ``name`` (a unique best), if any."""
    tokens = _name_tokens(name)
    scored = sorted(((len(tokens & _name_tokens(sp)), sp) for sp in speakers if sp), key=lambda x: -x[0])
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


#: « Mathilde Lelong: 1920; Marie-Louise Orsin: 1941 » — one birth year per person of the interview.
_PER_PERSON_RE = re.compile(r"([^:;|]+?)\s*[:=]\s*((?:1[89]|20)\d\d)")


def birth_years_by_speaker(document: Document, parsed, birth_year: int | None) -> dict[str | None, int]:
    """Whose birth year the document's attributes give.

    A ``birth_year`` written per person (« Mathilde Lelong: 1920; Marie-Louise Orsin: 1941 »)
    dates each narrator whose label best matches a name. A single year belongs to the only
    narrator; else to the narrator whose label best matches the name attributes
    (``prenom``, ``nom``, ``narrator`` …); else to a narrator with ≥ 90 % of the narrators'
    words; else to nobody: one birth year applied to every voice of a two-person interview
    dates the other person's ages decades off."""
    words: dict[str | None, int] = {}
    for p in parsed:
        if p.segment.role != "interviewer":
            words[p.segment.speaker] = words.get(p.segment.speaker, 0) + len(p.segment.text.split())
    attrs = {fold_key(k): v for k, v in (document.attributes or {}).items() if isinstance(v, str)}
    per_person = _PER_PERSON_RE.findall(next((attrs[k] for k in BIRTH_KEYS if attrs.get(k)), ""))
    if per_person:
        out: dict[str | None, int] = {}
        for name, year in per_person:
            speaker = _speaker_named(name, words)
            if speaker is not None:
                out.setdefault(speaker, int(year))
        return out
    if birth_year is None:
        return {}
    if len(words) <= 1:
        return dict.fromkeys(words or [None], birth_year)
    names = " ".join(attrs.get(k, "") for k in NAME_KEYS)
    named = _speaker_named(names, words) if names.strip() else None
    if named is not None:
        return {named: birth_year}
    main = max(words, key=lambda sp: words[sp])
    if words[main] >= MAIN_NARRATOR_SHARE * sum(words.values()):
        return {main: birth_year}
    return {}


_RECORDED = re.compile(r"((?:19|20)\d\d)(?:[_ .-]|(?:0[1-9]|1[0-2])[0-3]\d(?!\d))")


def recorded_year(path: str | None) -> int | None:
    """The year a file name starts with (« 2021_nouvelleCollegue.txt », « 2019-03-12 entretien.txt »):
    oral-history collections name recordings by their date, and a report by its year. Used as the
    interview year when the attributes give none."""
    m = _RECORDED.match(PurePosixPath(str(path or "").replace("\\", "/")).name)
    return int(m.group(1)) if m else None


def deictic_year(value: str | None, reference_year: int | None) -> int | None:
    """``now-30y`` → the interview year − 30 (None without an interview year)."""
    m = re.fullmatch(r"now([+-])(\d+)y", value or "")
    if not m or reference_year is None:
        return None
    return reference_year + int(m.group(2)) * (1 if m.group(1) == "+" else -1)


def year_shift(value: str | None) -> int | None:
    """``"+2y"`` → 2; finer units (``"-3m"``, ``"+2d"``) → 0; anything else → None."""
    m = re.fullmatch(r"([+-])(\d+)([ymwd])", value or "")
    if not m:
        return None
    return (int(m.group(2)) if m.group(3) == "y" else 0) * (1 if m.group(1) == "+" else -1)


#: Relative values that move the story to a time of unknown year: « plus tard », « après mon bac »,
#: « il y a pas longtemps ».
_OPEN_VALUES = ("later", "after", "before", "now-?", "now+?")


class StoryTime:
    """The time each narrator's story has reached, which « deux ans après » and « cette
    année-là » count from.

    The last year said (a year, a date, an age or a period with a year, a time counted from
    the interview, a relative already resolved) is the anchor, for :data:`ANCHOR_REACH`
    sentences. A time said after it without a year — a decade, a stage of life, « plus
    tard » — moves the story away from it: what follows no longer counts from that year. A
    year the interviewer has just said (« vous êtes arrivé en quatre-vingt-deux ? ») is the
    antecedent of the answer's « à ce moment-là » (not of « deux ans après »: the narrator's own
    dates say what the story counts from).
    """

    def __init__(self, reach: int = ANCHOR_REACH):
        self.reach = reach
        self._anchor: dict[str | None, tuple[int, int, int]] = {}  # speaker -> (year, sent_id, order)
        self._moved: dict[str | None, int] = {}  # speaker -> order of an undated time said last
        self._asked: tuple[int, int, int] | None = None
        self._order = 0

    def resolve(self, who: str | None, sent_id: int, value: str | None) -> int | None:
        """The year of a relative expression (``+2y``, ``+0y``…) said by ``who``, or None."""
        shift = year_shift(value)
        if shift is None:
            return None
        anchor = self._anchor.get(who)
        if value == "+0y" and self._asked is not None and (anchor is None or self._asked[2] > anchor[2]) \
                and sent_id - self._asked[1] <= ASKED_REACH:
            anchor = self._asked
        if anchor is None or sent_id - anchor[1] > self.reach or self._moved.get(who, -1) > anchor[2]:
            return None
        return anchor[0] + shift

    def said(self, who: str | None, sent_id: int, kind: str, value: str | None, year: int | None, *,
             back_reference: bool = False, anchors: bool = True) -> None:
        """Record an expression ``who`` said: a year anchors what follows (unless ``anchors`` is
        False: an aside, a law), an undated time moves the story on, the rest leaves it."""
        self._order += 1
        if year is not None and not (value or "").endswith("X"):  # « les années soixante »: too loose to count from
            if anchors:
                self._anchor[who] = (year, sent_id, self._order)
        elif kind in ("decade", "age") or (kind == "period" and not back_reference
                                           and not self._said_in(who, sent_id)) or (
                kind == "relative" and (year_shift(value) is not None or (value or "").startswith(_OPEN_VALUES))):
            self._moved[who] = self._order

    def _said_in(self, who: str | None, sent_id: int) -> bool:
        """Whether ``who``'s anchor was said in sentence ``sent_id`` (« j'avais dix-sept ans quand j'ai
        rencontré Claude »: the clause is the time of the age said with it)."""
        return who in self._anchor and self._anchor[who][1] == sent_id

    def asked(self, sent_id: int, year: int) -> None:
        """A year the interviewer said: the antecedent of the next answer's relatives."""
        self._order += 1
        self._asked = (year, sent_id, self._order)


#: Events of a life a narrator dates once and refers back to (« je me suis mariée en quarante-six » …
#: « quand je me suis mariée »): verb lemma → event, and for a few verbs the object that makes the event.
_LIFE_EVENT_VERBS = {"arriver": "arrivée", "venir": "arrivée", "marier": "mariage", "naître": "naissance",
                     "divorcer": "divorce", "déménager": "déménagement", "installer": "installation",
                     "retraiter": "retraite"}
_LIFE_EVENT_OBJECTS = {"enfant": "enfant", "fille": "enfant", "fils": "enfant", "bébé": "enfant", "bac": "bac",
                       "baccalauréat": "bac", "diplôme": "diplôme", "permis": "permis", "retraite": "retraite",
                       "logement": "logement", "appartement": "logement"}


def _life_event(verb) -> str | None:
    """The life event a verb tells when its subject is the narrator (« je me suis mariée », « on
    est arrivés », « j'ai eu mon premier enfant »), else None. Ordinals (« mon premier / deuxième
    enfant ») are part of the event."""
    if not narrator_does(verb):
        return None
    lemma = verb.lemma_.lower()
    if lemma in _LIFE_EVENT_VERBS:
        return _LIFE_EVENT_VERBS[lemma]
    if lemma in ("avoir", "passer", "prendre", "obtenir"):
        obj = next((c for c in verb.children if c.dep_ == "obj" and c.lemma_.lower() in _LIFE_EVENT_OBJECTS), None)
        if obj is not None:
            rank = next((c.lower_ for c in obj.children
                         if c.pos_ == "ADJ" and c.lower_.endswith(("ier", "ière", "ième"))), "")
            return f"{_LIFE_EVENT_OBJECTS[obj.lemma_.lower()]} {rank}".strip()
    return None


#: Events a life holds several of: a clause refers to one told with a year only when both name the place.
_REPEATED_EVENTS = {"arrivée", "déménagement", "installation", "logement"}


def _places(verb) -> frozenset[str]:
    """Lemmas of the places a motion verb names (« arrivée à Montreuil », « venus en France »)."""
    return frozenset(t.lemma_.lower() for c in verb.children if c.dep_.startswith(("obl", "obj"))
                     for t in c.subtree if t.pos_ in ("PROPN", "NOUN") and t.dep_ not in ("nmod:poss",))


def _told_event(span, offset: int) -> tuple[str, frozenset[str]] | None:
    """The life event a date in ``span`` belongs to: the first verb above it, told in the passé
    composé or simple (« je suis arrivée à Montreuil en quatre-vingt-onze »; not the state of
    « on était mariés en soixante-huit »)."""
    tok = token_at(span, offset)
    while tok is not None and tok.pos_ != "VERB" and tok.head.i != tok.i:
        tok = tok.head
    if tok is None or tok.pos_ != "VERB":
        return None
    told = ("Part" in tok.morph.get("VerbForm") and any(c.dep_.startswith("aux") and "Imp" not in c.morph.get("Tense")
                                                        for c in tok.children)) or \
        ("Fin" in tok.morph.get("VerbForm") and "Past" in tok.morph.get("Tense"))
    if not told:
        return None
    event = _life_event(tok)
    return None if event is None else (event, _places(tok))


def _events_told(timeline: list[TimeExpression], spans: dict) -> dict[tuple[str | None, str], list]:
    """(speaker, event) → [(sent_id, year, places, kind)] of the life events told with a date."""
    told: dict[tuple[str | None, str], list[tuple[int, int, frozenset[str], str]]] = {}
    for te in timeline:
        if te.year is not None and te.kind in ("year", "date", "age") and te.sent_id in spans:
            sent, span, who = spans[te.sent_id]
            found = _told_event(span, te.start - sent.start)
            if found:
                told.setdefault((who, found[0]), []).append((te.sent_id, te.year, found[1], te.kind))
    return told


def date_life_events(timeline: list[TimeExpression], parsed) -> list[TimeExpression]:
    """A life-event clause without a year (« quand je me suis mariée ») gets the year its narrator
    gives the same event elsewhere in the interview (« je me suis mariée en quarante-six »; the
    nearest such statement if there are several). Arrivals and moves, of which a life holds
    several, must name the same place (« quand je suis arrivée à Paris »), or name none when the
    narrator dates only one (« je suis arrivé en quatre-vingt-quatre » … « quand je suis arrivé »)."""
    spans = {s.sent_id: (s, sp, p.segment.speaker) for p in parsed for s, sp in zip(p.sentences, p.spans)}
    told = _events_told(timeline, spans)
    if not told:
        return timeline
    timed = {te.sent_id for te in timeline if te.kind == "relative"}
    out = []
    for te in timeline:
        # « quand on est arrivés il y a trente ans »: a clause its sentence already places in time keeps that
        if te.kind == "period" and te.year is None and te.sent_id in spans and te.sent_id not in timed \
                and te.expression.lower().startswith(("quand", "lorsque")):
            sent, span, who = spans[te.sent_id]
            start = span.start_char + te.start - sent.start
            verb = next((t for t in span if start <= t.idx < start + len(te.expression) and t.pos_ == "VERB"), None)
            event = _life_event(verb) if verb is not None else None
            said = told.get((who, event)) if event else None
            if said and event in _REPEATED_EVENTS:  # the same place, or the only one told with a year
                where = _places(verb)
                if where:
                    said = [x for x in said if where & x[2]]
                else:  # only a year or a date said with it: an age (« je suis venue j'avais neuf ans ») is looser
                    said = [x for x in said if x[3] != "age"]
                    said = said if len({x[1] for x in said}) == 1 else []
            if said:
                year = min(said, key=lambda x: (abs(x[0] - te.sent_id), x[0] > te.sent_id))[1]
                te = replace(te, year=year)
                for row in span._.time_expressions or ():
                    if row["expression"] == te.expression and row["kind"] == "period":
                        row["year"] = year
        out.append(te)
    return out
