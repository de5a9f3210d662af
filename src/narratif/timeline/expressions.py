"""Timelines: temporal expressions found in the narrators' sentences, with their years.

Finds years ("en 1969", "en cinquante-deux", "mille neuf cent soixante-huit", « quatre-vingt-deux
j'ai quitté », « en 2013 et 2015 »), decades ("dans les années soixante-dix"), ages ("à dix-huit
ans"), relative expressions ("deux ans après", "l'année d'après", « cette année-là », « il y a
huit, dix ans »), dates ("le huit juillet") and periods ("pendant la guerre"); the patterns are
in :mod:`narratif.timeline.patterns`. Each sentence gets an orientation (past / present /
future) from its verbs' tense and its markers. Years are resolved by
:mod:`narratif.timeline.dating`; turning points are placed by :mod:`narratif.timeline.anchoring`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from spacy.tokens import Span

from narratif.ingest.attributes import life_years
from narratif.models import Document, TimeExpression
from narratif.nlp.grammar import (
    CONDITIONAL, FUTURE, IMPERFECT, PAST_PARTICIPLE, PRESENT, PRESENT_PARTICIPLE, SIMPLE_PAST, looks_future,
    verb_tenses,
)
from narratif.timeline.anchoring import (  # noqa: F401  (re-exported: part of this module's API before the split)
    TP_ANCHOR_REACH, anchor_turning_points, in_background_clause, life_course,
)
from narratif.timeline.dating import (  # noqa: F401  (re-exported, as above)
    ANCHOR_REACH, StoryTime, birth_years_by_speaker, date_life_events, deictic_year, recorded_year, year_shift,
)
from narratif.timeline.numbers import NUMBER_WORD, decade_start, spoken_year, words_to_int
from narratif.timeline.patterns import (
    APPROX, AROUND_PERIOD, CLAUSE_START, COORDINATED, CORRECTION_GAP, DESTINATION, FUTURE_MARKERS,
    LEGAL_REFERENCE, PAST_MARKERS, PATTERNS, PERIOD_YEARS, PRESENT_MARKERS, SCHOOL_YEAR, TOKENS_RE, TRIGGER_RE,
    UNIT_CODE, UNIT_YEARS,
)

Found = tuple[int, int, str, "str | None", "int | None"]  # (start, end, kind, value, year)


def orientation(span: Span) -> str:
    """past / present / future of a sentence, from its finite verbs' tense and markers."""
    past = pres = fut = 0
    for tok, vt in verb_tenses(span):
        if vt.tense == FUTURE:
            fut += 1
        elif vt.tense in (IMPERFECT, SIMPLE_PAST) or (vt.tense == PAST_PARTICIPLE and vt.with_auxiliary):
            past += 1
        elif vt.tense in (PRESENT, PRESENT_PARTICIPLE, CONDITIONAL) and not vt.auxiliary:
            if looks_future(tok):
                fut += 1
            else:
                pres += 1
    text = span.text
    if FUTURE_MARKERS.search(text):
        fut += 1
    if PAST_MARKERS.search(text):
        past += 1
    if PRESENT_MARKERS.search(text):
        pres += 1
    if fut > max(past, pres):
        return "future"
    if past >= pres and past:
        return "past"
    return "present"


# --------------------------------------------------------------------------- numbers in a match

def _number_parts(g: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of the numbers a run of number words says: one for a number or a
    restart (« deux mille … deux mille six », « trente euh trente-cinq », « mille neuf cent soixante
    soixante et onze »), several for a list (« quatre-vingt-dix-huit quatre-vingt-dix-neuf »)."""
    value = words_to_int(g)
    if value is not None:
        return [(0, len(g), value)]
    words = g.split()
    splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    parsed = [(a, b) for a, b in splits if words_to_int(a) is not None and words_to_int(b) is not None]
    for a, b in parsed:
        if b.startswith(a):  # "trente euh trente-cinq" (a restart, not a list)
            return [(0, len(g), words_to_int(b))]
    for a, b in parsed:  # « mille neuf cent soixante soixante et onze »: the year restarted from its tens
        va, vb = words_to_int(a), words_to_int(b)
        if va >= 1000 and 10 <= vb < 100 and b.startswith(a.split()[-1]) and va % 100 <= vb:
            return [(0, len(g), va - va % 100 + vb)]
    if parsed:
        a, b = parsed[0]
        return [(0, len(a), words_to_int(a))] + [(len(a) + 1 + s, len(a) + 1 + e, v) for s, e, v in _number_parts(b)]
    while len(words) > 1:
        words = words[:-1]
        value = words_to_int(" ".join(words))
        if value is not None:
            return [(0, len(" ".join(words)), value)]
    return []


def _group(m: re.Match, group: str) -> str | None:
    try:
        return m.group(group)
    except IndexError:
        return None


def _n(m: re.Match, group: str = "n") -> int | None:
    """The number a match's group says (the first of a list)."""
    g = _group(m, group)
    if not g:
        return None
    parts = _number_parts(g.replace("1er", "1").replace("premier", "un"))
    return parts[0][2] if parts else None


def _n_end(m: re.Match, group: str = "n") -> int:
    """End of the first number of a group: a list's other numbers are years of their own (« en
    quatre-vingt-dix-huit quatre-vingt-dix-neuf ») and a word the run swallowed is not part of it."""
    parts = _number_parts(m.group(group))
    return m.start(group) + parts[0][1] if parts else m.end(group)


def _first_of_decades(words: str) -> int | None:
    """« soixante soixante-dix » → 60: two decades in a row are a span, not a restart."""
    w = words.split()
    for k in range(1, len(w)):
        a, b = words_to_int(" ".join(w[:k])), words_to_int(" ".join(w[k:]))
        if a is not None and b is not None and a % 10 == 0 and b % 10 == 0 and 10 <= b - a <= 20:
            return a
    return None


# --------------------------------------------------------------------------- reading through markup

def _clean(text: str) -> tuple[str, list[int], list[int]]:
    """The text without markup, fragments and "euh", spaces collapsed; with, for each kept
    piece, its start in the clean text and in ``text`` (for :func:`_original`)."""
    parts: list[str] = []
    clean_starts: list[int] = []
    orig_starts: list[int] = []
    n = 0
    for m in TOKENS_RE.finditer(text):
        if m.lastgroup == "noise":
            continue
        piece = m.group()
        if m.lastgroup == "space":
            if not parts or parts[-1] == " ":
                continue
            piece = " "
        parts.append(piece)
        clean_starts.append(n)
        orig_starts.append(m.start())
        n += len(piece)
    return "".join(parts), clean_starts, orig_starts


def _original(pos: int, clean_starts: list[int], orig_starts: list[int]) -> int:
    """Index in the original text of the clean text's character at ``pos``."""
    k = bisect_right(clean_starts, pos) - 1
    return orig_starts[k] + (pos - clean_starts[k])


def find_expressions(text: str, *, reference_year: int | None = None, birth_year: int | None = None,
                     orientation: str | None = None) -> list[Found]:
    """(start, end, kind, value, year) of temporal expressions in a sentence (no overlaps).

    Offsets are into ``text``; matching reads through transcription markup and word
    fragments. A short spoken year ("en quarante") is not taken in a sentence told in the
    future (``orientation``); a bare "mille" is never a year, and a year in a legal reference
    ("loi de 1901") is left out.
    """
    if not TRIGGER_RE.search(text):  # most sentences: nothing any pattern could match
        return []
    clean, clean_starts, orig_starts = _clean(text)
    return [(_original(s, clean_starts, orig_starts), _original(e - 1, clean_starts, orig_starts) + 1,
             kind, value, year)
            for s, e, kind, value, year in _find_clean(_Sentence(clean, reference_year, birth_year, orientation))]


# --------------------------------------------------------------------------- one handler per kind

@dataclass(frozen=True)
class _Sentence:
    text: str
    reference_year: int | None
    birth_year: int | None
    orientation: str | None

    def year(self, n: int) -> int | None:
        return spoken_year(n, reference_year=self.reference_year, birth_year=self.birth_year)


_SUBJECT_RE = re.compile(r"\b(?:(je|j'|j’|moi|nous)|(il|elle|ils|elles|tu|vous))(?=\W)", re.IGNORECASE)


def _someone_else(text: str, start: int) -> bool:
    """Whether the clause before an age (« il est parti à vingt-trois ans ») has another person
    than the narrator as its nearest subject pronoun; none means the narrator."""
    last = None
    for m in _SUBJECT_RE.finditer(text, max(0, start - 40), start):
        last = m
    return bool(last and last.group(2))


def _decade(m: re.Match, sent: _Sentence) -> list[Found]:
    n = _first_of_decades(m.group("n")) or _n(m)  # « les années soixante soixante-dix »: from the sixties
    year = decade_start(n, reference_year=sent.reference_year) if n is not None else None
    value = f"{str(year)[:3]}X" if year else None
    if year is None and n is not None and (10 <= n < 100 or 1000 <= n <= 2100):
        year = sent.year(n)  # "les années quatre-vingt-cinq": a year said loosely, not a decade
        value = f"~{year}" if year else None
    end = m.end() if _first_of_decades(m.group("n")) else _n_end(m)
    return [(m.start(), end, "decade", value, year)]


def _age(m: re.Match, sent: _Sentence) -> list[Found]:
    n = _n(m)
    if n is None or not 0 < n < 120:
        return []
    third_person = re.search(r"\b(?:il|elle|ils|elles|ses|leurs|\w+ a eu)\b", m.group(), re.IGNORECASE) \
        and not re.search(r"\bj'", m.group())
    own = re.search(r"\b(?:j'|j’|je|moi)", m.group(), re.IGNORECASE)
    year = sent.birth_year + n if sent.birth_year and not third_person and (
        own or not _someone_else(sent.text, m.start())) else None
    return [(m.start(), m.end(), "age", f"age:{n}", year)]


def _bare_year_ok(m: re.Match, n: int, sent: _Sentence) -> bool:
    """A year said without a preposition (« quatre-vingt-deux j'ai quitté »): only at the start of
    a clause, and a short spoken one from thirty on and not before the narrator was born."""
    if not CLAUSE_START.search(sent.text[:m.start()]):
        return False
    if n >= 1000 or m.group("n")[:1].isdigit():
        return True
    year = sent.year(n)
    return n >= 30 and year is not None and not (sent.birth_year and year < sent.birth_year)


def _year(m: re.Match, sent: _Sentence) -> list[Found]:
    n = _n(m)
    before = sent.text[:m.start("n")]
    if n is None or n == 1000 or LEGAL_REFERENCE.search(before):
        return []
    if _group(m, "bare") and not _bare_year_ok(m, n, sent):
        return []
    if n == 1900 and re.search(rf"\b{NUMBER_WORD}\b", sent.text[m.end():m.end() + 60], re.IGNORECASE):
        return []  # « en mille neuf cent euh … en mille neuf cent quatre-vingt-seize »: a false start
    year = sent.year(n)
    if year is None or n < 20 or (1000 < n < 1100 and not m.group("n")[:1].isdigit()):
        return []  # "en deux" / "en dix": not a year when spoken short and small; « mille neuf [centre] »: cut short
    if n < 100 and sent.orientation == "future":
        return []  # "en quarante on ira": a short year is not read in a sentence about the future
    n2 = _n(m, "n2")
    if n2 is None:
        return [(m.start(), _n_end(m), "year", str(year), year)]
    # "de soixante-douze à soixante-seize": the range's second year too
    y2 = sent.year(n2)
    if y2 is None or not (year < y2 <= year + 60) or n2 < 20 or (n < 100 and n % 10 == 0 == n2 % 10):
        # "de trois à quatre", "de trente à quarante" (people), « entre deux mille cinq et trois mille » (euros)
        return [(m.start(), m.end(), "quantity", None, None)]
    return [(m.start(), m.end("n"), "year", str(year), year), (m.start("n2"), m.end(), "year", str(y2), y2)]


def _date(m: re.Match, sent: _Sentence) -> list[Found]:
    s, e = m.span()
    if "d" not in m.groupdict():  # a month or a season, no day
        # « cet été », « ce printemps »: the season of the year it is said in, whatever the tense (not « cet
        # hiver »: it straddles two years)
        if re.match(r"(?:cet été|cet automne|ce printemps)$", m.group(), re.IGNORECASE):
            return [(s, e, "date", m.group().lower(), sent.reference_year)]
        if sent.orientation == "present":
            return []  # « en été c'est pollué », « en juillet on part »: a habit, not a date
        if re.search(r"\b(?:tous|toutes|chaque)\b[^.,;]{0,20}$", sent.text[max(0, s - 25):s], re.IGNORECASE):
            return []  # « tous les ans en juillet »
        return [(s, e, "date", (m.group("m") or m.group()).lower(), None)]
    d = _n(m, "d")
    if d is None or not 1 <= d <= 31 or LEGAL_REFERENCE.search(sent.text[:s]):
        return []  # "avril quarante-trois": a month and a year, not a day; « la loi du 31 juillet 2014 »
    n = _n(m)
    year = sent.year(n) if n is not None and (n >= 20 or m.group("n")[:1].isdigit()) else None
    if year is None:
        e = m.end("m")  # « le trois février une réunion »: the article is not a year
    return [(s, e, "date", f"{m.group('m').lower()}-{d}" + (f"-{year}" if year else ""), year)]


def _shift(m: re.Match) -> str | None:
    """The value of a relative expression counted from the story's time: ``+2y``, ``-3m``, ``+0y``,
    ``later``, ``before`` / ``after`` (a stage of life)."""
    text = m.group()
    if re.match(r"(?:juste |tout de suite |peu )?(?:après|avant|depuis)\b", text, re.IGNORECASE) \
            and not re.search(r"\d|an\b|ans\b|année", text):
        # « après mon bac », « depuis la fin de mes études »: no year of their own
        return "before" if re.match(r"(?:juste |tout de suite |peu )?avant\b", text, re.IGNORECASE) else "after"
    n, unit = _n(m), (_group(m, "u") or "").lower()
    sign = "-" if re.search(r"avant|auparavant|plus tôt|précédente|d'avant|dernière|il y a", text, re.IGNORECASE) \
        else "+"
    if unit and n is not None:  # days, weeks, months: same year, finer shift kept in the value
        return f"{sign}{n}{'y' if unit in UNIT_YEARS else UNIT_CODE[unit]}"
    if re.search(r"l'année (?:d'après|suivante|d'ensuite)|un an (?:après|plus tard)|au bout d'un an", text,
                 re.IGNORECASE):
        return "+1y"
    if re.search(r"l'année (?:précédente|d'avant)", text, re.IGNORECASE):
        return "-1y"
    if re.search(r"plus tard|peu après|bien après|beaucoup après|temps après|^(?:quelques|plusieurs) ", text,
                 re.IGNORECASE):
        return "later"  # "un peu plus tard": after the anchor, by an unknown span
    return "+0y"  # « cette année-là », « la même année », « le lendemain »: the anchor's year


def _relative(m: re.Match, sent: _Sentence) -> list[Found]:
    s, e = m.span()
    if sent.orientation in ("present", "future") and re.match(r"à ce moment[- ]là", m.group(), re.IGNORECASE):
        return []  # « si vous avez six enfants, à ce moment-là … »: « in that case », not a time
    if _group(m, "evt2"):
        value = "event+1d" if "lendemain" in m.group().lower() else "event-1d"
    elif _group(m, "evt"):
        unit = m.group("u").lower()
        n = _n(m)
        sign = "+" if m.group("evt").lower() == "après" else "-"
        value = f"event{sign}{n if n is not None else '?'}{'y' if unit in UNIT_YEARS else UNIT_CODE[unit]}"
    elif _group(m, "now"):
        value = _deictic(m)
    else:
        value = _shift(m)
    return [(s, e, "relative", value, None)]


def _period(m: re.Match, sent: _Sentence) -> list[Found]:
    s, e = m.span()
    if SCHOOL_YEAR.match(m.group()) and (sent.orientation != "past" or DESTINATION.search(sent.text[max(0, s - 25):s])):
        return []  # « ils arrivent en CP », « je suis rentrée en fac »: a class as a place, not a time
    value = m.group().lower()
    year = next((y for key, y in PERIOD_YEARS.items() if key in value), None)
    if year in AROUND_PERIOD and value.startswith(("après ", "avant ")):
        # « après la guerre de quatorze »: after its end (1919), not its first year
        year = AROUND_PERIOD[year][value.startswith("après ")]
    return [(s, e, "period", value, year)]


def _duration(m: re.Match, sent: _Sentence) -> list[Found]:
    n, unit = _n(m), m.group("u").lower()
    code = "y" if unit in UNIT_YEARS else UNIT_CODE.get(unit)
    return [(m.start(), m.end(), "duration", f"for:{n}{code}" if n is not None and code else None, None)]


_HANDLERS = {"decade": _decade, "age": _age, "year": _year, "date": _date, "relative": _relative, "period": _period,
             "duration": _duration}


def _find_clean(sent: _Sentence) -> list[Found]:
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in PATTERNS:
        handle = _HANDLERS[kind]
        for m in rx.finditer(sent.text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            for item in handle(m, sent):
                taken.append(item[:2])
                found.append(item)
    found += _coordinated(sent, found, taken)
    found = sorted(f for f in found if f[2] != "quantity")  # a quantity was kept only to hold its span
    return [f for f, nxt in zip(found, found[1:] + [None]) if not _corrected(sent.text, f, nxt)]


# --------------------------------------------------------------------------- lists, corrections, deixis

def _coordinated(sent: _Sentence, found: list[Found], taken: list[tuple[int, int]]) -> list[Found]:
    """Years said in a row after a year or a decade: « en 2013 et 2015 », « en 2013, 2014 et 2015 »,
    « en quatre-vingt-dix-huit quatre-vingt-dix-neuf », « la fin des années soixante et
    soixante-quinze ». A written year continues with written years, a spoken one with spoken
    ones; each is close to the one before (within 50 years after « et » or a comma, 10 when the
    numbers are only juxtaposed: a hesitation) and not a quantity."""
    out: list[Found] = []
    for s, e, kind, value, year in sorted(f for f in found if f[2] in ("year", "decade") and f[4] is not None):
        written = sent.text[s:e].rstrip()[-1:].isdigit()
        while (m := COORDINATED.match(sent.text, e)) is not None:
            if any(m.start("n") < te and ts < m.end() for ts, te in taken) or written != m.group("n")[0].isdigit():
                break
            n = _n(m)
            y = sent.year(n) if n is not None and (n >= 20 or written) else None
            close = 50 if m.group("sep").strip() else 10
            if kind == "decade" and value.endswith("X"):
                ok = y is not None and n % 10 != 0 and 0 < y - year < 20
            else:
                ok = y is not None and y != year and abs(y - year) <= (close if written or n >= 1000
                                                                       else min(close, 15))
            if not ok or (n < 100 and sent.orientation == "future"):
                break
            e = _n_end(m)
            taken.append((m.start("n"), e))
            out.append((m.start("n"), e, "year", str(y), y))
            kind, value, year = "year", str(y), y
    return out


def _corrected(text: str, expr: tuple, following: tuple | None) -> bool:
    """A year said and at once replaced by another (a self-correction, not a list or a range)."""
    if following is None or expr[2] != "year" or following[2] != "year":
        return False
    gap = text[expr[1]:following[0]]
    if bool(gap.strip()) and CORRECTION_GAP.fullmatch(gap) is not None:
        return True
    # a round spoken year said again in full: « en deux mille l'été deux mille un », « en mille neuf cent, mille
    # neuf cent douze »: the first is a false start, not a year of its own
    round_ = re.search(r"(?:deux mille|mille neuf cent|dix-neuf cent)$", text[expr[0]:expr[1]], re.IGNORECASE)
    return bool(round_) and len(gap) <= 25 and not re.search(r"\b(?:et|ou|à|puis)\b", gap, re.IGNORECASE) \
        and re.search(re.escape(round_.group()) + r"[- ]\w", text[following[0]:following[1]], re.IGNORECASE) is not None


def _deictic(m: re.Match) -> str:
    """The value of a time counted from the interview: ``now-30y`` (« il y a trente ans »; « il y a
    huit, dix ans »: the middle, 9), ``now-1y`` (« l'an dernier »), ``now+0y`` (« cette année »);
    ``now-?`` when the span is vague."""
    low = m.group().lower()
    if low.startswith("dans "):
        n = _n(m, "n2")
        return f"now+{n}y" if n is not None else "now+?"  # « dans dix ans »
    if low.startswith("ça fait"):
        return f"now-{_n(m, 'n4')}y"  # « ça fait deux ans qu'elle a fermé »
    if re.search(r"\by a (?:\w+ )?(?:pas\b|quelque temps)", low):
        return "now-?"  # « il y a pas longtemps »
    if re.search(r"\by a\b", low):
        g = _group(m, "n")
        counts = [v for _, _, v in _number_parts(g)] if g else []
        if _n(m, "n3") is not None:
            counts = counts[:1] + [_n(m, "n3")]
        approx = APPROX.get((_group(m, "approx") or "").lower())
        count = (counts[0] + counts[-1]) // 2 if counts else approx
        return f"now-{count}y" if count else "now-?"
    if re.search(r"l'an dernier|l'an passé|l'année dernière|l'année passée", low):
        return "now-1y"
    if re.search(r"(?:semaine|mois) (?:dernier|dernière|prochain|prochaine)", low):
        return "now+?" if "prochain" in low else "now-?"
    if "prochaine" in low:
        return "now+1y"
    if low.startswith("cette année"):
        return "now+0y"
    return "now-?"  # « l'été dernier »: this year or the last, depending on when it is said


# --------------------------------------------------------------------------- a document's timeline

def _is_back_reference(kind: str, value: str | None) -> bool:
    """« à l'époque », « en ce temps-là »: the time already reached, said again."""
    return kind == "period" and bool(re.match(r"(?:à l'époque|à cette époque|à mon époque|de mon temps|en ce temps|"
                                              r"dans le temps)", value or ""))


_APPOSITION_GAP = re.compile(r"(?:\s|[,;:–—-]|\beuh\b|\[[^\]\n]{0,40}\])*", re.IGNORECASE)


def _apposed_years(text: str, found: list[Found]) -> dict[int, int]:
    """Relatives said with their year right after them (« quelques années plus tard, en
    quatre-vingt-dix », « deux ans après, en 1997 »): index in ``found`` → that year."""
    out = {}
    for i, (cur, nxt) in enumerate(zip(found, found[1:])):
        value = cur[3] or ""
        if cur[2] == "relative" and (value == "later" or year_shift(value) is not None) and nxt[2] in ("year", "date") \
                and nxt[4] is not None and _APPOSITION_GAP.fullmatch(text[cur[1]:nxt[0]]):
            out[i] = nxt[4]
    return out


def extract_timeline(document: Document, parsed, *, birth_year: int | None = None) -> list[TimeExpression]:
    """Temporal expressions of the narrators' sentences, with orientation and resolved years.

    Relative expressions ("deux ans après", « cette année-là ») are resolved against the time the
    same speaker's story has reached (:class:`~narratif.timeline.dating.StoryTime`), times counted
    from the interview against its year (the attributes', else the year the file name starts with);
    sets ``Span._.orientation`` and ``Span._.time_expressions``.
    """
    given = life_years(document.attributes)
    ref = given.interview or recorded_year(document.path)
    births = birth_years_by_speaker(document, parsed, birth_year if birth_year is not None else given.birth)
    story = StoryTime()
    out: list[TimeExpression] = []
    for p in parsed:
        if p.segment.role == "interviewer":
            for sent in p.sentences:  # a year the interviewer says is what the answer's « à ce moment-là » means
                for *_, kind, _, year in find_expressions(sent.text, reference_year=ref):
                    if kind in ("year", "date") and year is not None:
                        story.asked(sent.sent_id, year)
            continue
        who = p.segment.speaker
        for sent, span in zip(p.sentences, p.spans):
            orient = orientation(span)
            span._.orientation = orient
            local = []
            found = find_expressions(sent.text, reference_year=ref, birth_year=births.get(who), orientation=orient)
            apposed = _apposed_years(sent.text, found)
            for i, (s, e, kind, value, year) in enumerate(found):
                if kind == "relative":
                    year = deictic_year(value, ref) if (value or "").startswith("now") else \
                        apposed.get(i) or story.resolve(who, sent.sent_id, value)
                elif kind == "date" and year is None:  # « le huit juillet », « en mai »: the year the story is in
                    year = story.resolve(who, sent.sent_id, "+0y")
                # a date said in an aside (« l'immeuble, qui a été construit en 1925 ») dates nothing that follows
                anchors = year is None or not in_background_clause(span, s)
                story.said(who, sent.sent_id, kind, value, year, back_reference=_is_back_reference(kind, value),
                           anchors=anchors)
                te = TimeExpression(doc_id=document.doc_id, sent_id=sent.sent_id, start=sent.start + s,
                                    end=sent.start + e, expression=sent.text[s:e], kind=kind, value=value,
                                    orientation=orient, year=year)
                out.append(te)
                local.append({"expression": te.expression, "kind": kind, "value": value, "year": year})
            span._.time_expressions = local or None
    return date_life_events(out, parsed)
