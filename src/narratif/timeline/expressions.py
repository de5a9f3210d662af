"""Timelines: temporal expressions found, normalised and tied to the narrator's life course.

Finds years ("en 1969", "en cinquante-deux", "mille neuf cent soixante-huit"), decades
("dans les années soixante-dix"), ages ("à dix-huit ans"), relative expressions ("deux
ans après", "l'année d'après", resolved against the last anchor of the same speaker),
dates ("le huit juillet") and periods ("pendant la guerre"). Each sentence gets an
orientation (past / present / future) from its verbs' tense and its markers. Turning
points are then anchored on the nearest preceding year of the same narrator, or on an
age when the birth year is known.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from typing import Iterable

from spacy.tokens import Span

from narratif.ingest.transcript import fold_name
from narratif.models import Document, TimeExpression, TurningPoint
from narratif.timeline.numbers import NUMBER_WORD, NUMBER_WORDS, decade_start, spoken_year, words_to_int

_N = NUMBER_WORDS
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
_DECADES = "vingt|trente|quarante|cinquante|soixante|quatre-vingt"
_SEASONS = "l'été|l'hiver|l'automne|au printemps|le printemps|printemps"
_UNIT_YEARS = {"an": 1, "ans": 1, "année": 1, "années": 1}
_UNIT_CODE = {"mois": "m", "semaines": "w", "jours": "d"}
_PERIOD_YEARS = {"quatorze": 1914, " 14": 1914, "quarante": 1939, " 39": 1939, " 40": 1939, "libération": 1944,
                 "occupation": 1940, "soixante-huit": 1968, "covid": 2020, "confinement": 2020, "pandémie": 2020}
#: The years just before and just after a war, the Occupation or the Covid (« avant / après la guerre de
#: quarante », « après le confinement »).
_AROUND_PERIOD = {1914: (1913, 1919), 1939: (1938, 1946), 1940: (1939, 1945), 1944: (1943, 1945), 2020: (2019, 2021)}
#: A number followed by a unit or a counted noun is a quantity ("quarante voix", "mille personnes"), not a year.
#: « vingt ou trente ans », « de vingt à trente ans »: the unit may follow a second number.
_NOT_QUANTITY = (rf"(?!(?:\s+(?:ou|à)\s+(?:{_N}))?\s*"
                 r"(?:%|pour ?cents?|ans?\b|années?|mois|semaines?|jours?|heures?|minutes?|secondes?|"
                 r"personnes?|gens|habitants?|voix|votes?|euros?|francs?|salariés?|adhérents?|emplois?|élèves?|"
                 r"enfants?|fois|kilo|km|mètres?|m²|hectares?|places?|logements?|familles?|membres?|000))")
#: A year right after "loi (du ...) de", "décret", "article": a legal reference, not an event of the story.
_LEGAL_REFERENCE = re.compile(r"\b(?:loi|décret|ordonnance|circulaire|article|arrêté)(?:\s+[\w'-]+){0,4}\s+(?:de|du|n°)?\s*$",
                              re.IGNORECASE)
#: How far (in sentences of the same speaker) an anchor still resolves relative expressions. A
#: review of 5 CFPP2000 interviews found the relatives counted from a year 18 and 24 sentences
#: back wrong (an unrelated date), those up to 15 back right: few cases, so a cautious cut.
ANCHOR_REACH = 15
#: How far back (in sentences) a date still dates a turning point. On 218 CFPP2000 turning
#: points dated blind by annotators (``benchmarks/tp_years/``), 25 sentences dated more of them
#: but wrongly one time in two; 6 keeps most of the right years and halves the wrong ones.
TP_ANCHOR_REACH = 6

#: A bare school year (« en CE2 », « je suis passée en cinquième ») places a story only in a past
#: sentence, and not after a verb of going there in general (« il va entrer en sixième », « ils
#: arrivent en CP »).
_SCHOOL_YEARS = (r"CP|CE1|CE2|CM1|CM2|sixième|cinquième|quatrième|troisième|seconde|terminale|maternelle|primaire|"
                 r"prépa|classe prépa|fac|licence|master|BTS|IUT|apprentissage")
_SCHOOL_YEAR = re.compile(rf"en (?:{_SCHOOL_YEARS})\b", re.IGNORECASE)
_DESTINATION = re.compile(r"\b(?:aller|va|vont|entrer|rentrer|passer|passent|arrivent|arrive|été|mettre|envoyer)\s*$",
                          re.IGNORECASE)

#: (kind, compiled pattern). Order matters: earlier kinds win on overlap.
_PATTERNS: list[tuple[str, re.Pattern]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("decade", rf"\b(?:(?:dans |pendant |depuis )?les|des|(?:(?:à |vers )?la |le |au |en )?(?:fin|début|milieu) des)"
               rf" années (?P<n>{_N}(?<! un)(?<! une)|\d\d(?:\d\d)?)\b"),
    ("age", rf"\b(?:(?:à|vers|jusqu'à) (?:peut-être |à peu près |environ )?(?:l'âge (?:de |d')|mes |ses |leurs |nos )?|"
            rf"(?:dès|depuis|avant|après|en) (?:l'âge (?:de |d')|mes |ses |leurs |nos ))"
            rf"(?P<n>{_N})(?:(?: ou (?:à )?| à | )(?P<n2>{_N}))? ans\b"),
    ("age", rf"\b(?:quand |lorsque )?(?:j'avais|il avait|elle avait|on avait|ils avaient|elles avaient|j'ai eu|"
            rf"(?:il|elle|on) a eu|(?:ils|elles) ont eu|(?-i:[A-ZÀ-Ý][\w-]+) a eu) (?P<n>{_N})(?:(?: ou | à | )(?P<n2>{_N}))? ans\b"),
    ("age", rf"\baux alentours de (?P<n>{_N})(?: (?P<n2>{_N}))? ans\b"),
    ("year", rf"\bde (?P<n>1[0-9]\d\d|20\d\d|{_N}) à (?P<n2>1[0-9]\d\d|20\d\d|{_N})\b{_NOT_QUANTITY}"),
    ("year", rf"\bentre (?P<n>1[0-9]\d\d|20\d\d|{_N}) et (?P<n2>1[0-9]\d\d|20\d\d|{_N})\b{_NOT_QUANTITY}"),
    # written ranges: « 1999-2004 : premier mandat », « le mandat 2014-2020 »
    ("year", rf"(?<![\d/.-])(?P<n>1[5-9]\d\d|20\d\d) ?[-–] ?(?P<n2>1[5-9]\d\d|20\d\d)(?![\d/.-]){_NOT_QUANTITY}"),
    ("date", rf"\b(?:le )?(?P<d>{_N}|premier|1er) (?P<m>{_MONTHS})(?: (?P<n>{_N}))?\b"),
    # the long spoken forms are years even without a preposition ("dix-neuf cent quarante-huit")
    ("year", rf"\b(?P<n>(?>(?:mille neuf cent|dix-neuf cent|deux mille(?![- ]une?\b))(?:[- ](?:et[- ])?{NUMBER_WORD})+))"
             rf"\b{_NOT_QUANTITY}"),
    ("year", rf"\b(?:en|depuis|jusqu'en|dès|vers|l'année|année|(?:{_MONTHS}|{_SEASONS})) (?P<n>(?>{_N}))\b"
             rf"{_NOT_QUANTITY}"),
    ("year", rf"\b(?<!plus )(?<!moins )(?<!près )(?:de|avant|après|fin|début) "
             rf"(?P<n>1[0-9]\d\d|20\d\d|(?:mille|dix-neuf cent|deux mille)(?:[- ](?:et[- ])?{NUMBER_WORD})*)"
             rf"\b{_NOT_QUANTITY}"),
    # a chronology's entry or a chronicle's heading: « 2008 – création de la SCIC », « 1723 » alone on its line
    ("year", r"(?m)^[ \t]*(?P<n>1[5-9]\d\d|20\d\d)(?=[ \t]*(?:[:–—-][ \t]*[^\d\s]|$))"),
    ("year", rf"\b(?:arrivée?s?|née?s?|partie?s?|venue?s?|mariée?s?) (?P<n>1[0-9]\d\d|20\d\d|"
             rf"(?:mille|dix-neuf cent|deux mille|{_DECADES})(?:[- ](?:et[- ])?{NUMBER_WORD})*)\b{_NOT_QUANTITY}"),
    # « le lendemain de la Communion », « sept ans après la création de la SCIC »: counted from a named
    # event, not from the last date said
    ("relative", r"\b(?P<evt2>le lendemain|la veille)(?= (?:de|du|des|d')\b)"),
    ("relative", rf"\b(?P<n>{_N}|quelques|plusieurs) (?P<u>ans|années|mois|semaines|jours) (?P<evt>après|avant)"
                 r"(?= (?:la|le|les|l'|son|sa|ses|mon|ma|mes|notre|nos|leur|leurs|cette|ce|cet)\b)"),
    ("relative", rf"\b(?P<n>{_N}|quelques|plusieurs) (?P<u>ans|années|mois|semaines|jours) (?:après|plus tard|avant|auparavant|plus tôt)\b"),
    # counted back from the interview (deictic): « il y a trente ans », « l'an dernier », « cette année »
    ("relative", rf"(?P<now>\b(?:il )?y a (?:quelque temps\b|(?:(?P<n>{_N})(?: ou {_N})? |une (?P<approx>dizaine|douzaine|quinzaine|vingtaine|trentaine|"
                 rf"quarantaine|cinquantaine|soixantaine) d'|quelques |plusieurs )(?:ans|années)\b)"
                 r"|\b(?:l'an dernier|l'an passé|l'année dernière|l'année passée|l'année prochaine|"
                 r"cette année(?![- ]là| où)|l'(?:été|hiver|automne) dernier|le printemps dernier|la semaine dernière|"
                 r"le mois dernier|la semaine prochaine|le mois prochain|(?:il )?y a pas (?:si |très |trop )?longtemps)\b"
                 rf"|\bdans (?P<n2>{_N}) ans\b)"),
    ("relative", r"\b(?:l'année (?:d'après|suivante|précédente|d'avant|d'ensuite)|le lendemain|la veille|"
                 r"cette année[- ]là|ce jour[- ]là|à ce moment[- ]là|"
                 r"un an (?:après|plus tard)|au bout d'un an)\b"),
    # after or before a stage of life: « après mon bac », « avant de me marier »
    ("relative", r"\b(?:(?:juste |tout de suite |peu )?(?:après|avant|depuis) (?:la fin de )?(?:mon|ma|mes|son|sa|ses|notre|nos|"
                 r"leur|leurs|ton|ta|tes|votre|vos|le|la|les) "
                 r"(?:bac|baccalauréat|brevet|études|mariage|divorce|retraite|service(?: militaire)?|"
                 r"licence|diplôme|naissance|arrivée|départ|déménagement|premier enfant|premier boulot|"
                 r"premier travail)\b|"
                 r"\b(?:avant|après) (?:de )?(?:me|nous|se|m'|s') ?(?:marier|mariés?|installer|installés?)\b)"),
    ("relative", r"\b(?:(?:un (?:petit )?peu|beaucoup|quelque temps) (?:plus tard|après(?! (?:la|le|les|l'|son|sa|ses|mon|ma|mes)\b))|"
                 r"bien plus tard|(?:quelques|plusieurs) (?:jours|semaines|mois|années|ans) plus tard)\b"),
    ("period", r"\b(?:pendant |après |avant |depuis |dans |(?:à )?la fin de |au début de )?la (?:guerre(?: de (?:quatorze|"
               r"quarante|14|39|40)| d'algérie| d'indochine)?|libération|"
               r"occupation)\b|\ben (?:mai )?soixante-huit\b|\b(?:après|avant|depuis) (?:mai )?soixante-huit\b"
               r"|\b(?:juste )?(?:avant|après)[- ]guerre\b"
               r"|\b(?:(?:pendant|après|avant|depuis|avec) )?(?:le|la) (?:covid(?:-19)?|confinement|pandémie)\b"
               r"|\b(?:quand j'étais|quand on était) (?:petite?s?|jeunes?|plus jeunes?|gamine?s?|enfants?|étudiante?s?|"
               r"adolescente?s?|au lycée|au collège|à l'école(?: primaire)?|à la fac|en fac)\b"
               r"|\b(?:quand|lorsque) (?:je suis|on est|nous sommes) (?:arrivée?s?|venue?s?)(?: (?:ici|en france)\b)?"
               r"|\b(?:pendant|durant|dans|toute) (?:mon|ma|mes|son|sa|ses|notre|leur) (?:enfance|jeunesse|études|"
               r"adolescence|scolarité|vie active|carrière)\b"
               r"|\b(?:(?:(?:quand |lorsque )?(?:j'étais|il était|elle était|on était|nous étions|ils étaient|"
               rf"elles étaient)|c'était|déjà) )?en (?:{_SCHOOL_YEARS})\b"
               r"|\b(?:quand|lorsque|depuis que) (?:j'étais|on était|nous étions|il était|elle était|je suis|"
               r"j'suis|on est) (?:tout |toute )?"
               r"(?:bébé|petite?|gamine?|célibataire|lycéenne?|collégienne?|étudiante?|apprentie?|ado)\b"
               r"|\b(?:à l'époque|à cette époque(?:-là)?|à mon époque|de mon temps|en ce temps[- ]là|dans le temps)\b"
               r"|\b(?:quand|lorsque) (?:je|j'|on|nous|il|elle|ils|elles) ?(?:me |m'|nous |s'|se )?"
               r"(?:suis|est|sommes|sont|ai|a|avons|ont) (?:\w+ )?"
               r"(?:arrivée?s?|partie?s?|venue?s?|née?s?|mariée?s?|installée?s?|rencontrée?s?|"
               r"rencontré|quitté|commencé|changé|perdu|eu(?= (?:mon|ma|mes|son|sa|ses|leur|leurs|notre|nos|le|la|les|"
               r"l'|un|une|deux|trois)\b)|fini|terminé|déménagé|emménagé|divorcée?s?|retraitée?s?|pris (?:ma|sa|leur) retraite)\b"
               r"(?: (?:de chez|chez|de|d'|à|au|mon|ma|mes|son|sa|ses|leur|leurs|notre|nos|le|la|les|l'|un|une)"
               r"(?: (?:mes|mon|ma|ses|son|sa|leurs?|nos|notre|les|le|la))?\s?(?:premiers? |premières? |deux |trois )?"
               r"[\w'-]+)?"
               r"|\ben (?:me |nous |se )mariant\b|\ben déménageant\b|\ben (?:arrivant|partant)(?= (?:ici|à|en|au|aux|de|du|chez|"
               r"dans)\b)|\ben quittant (?:mes|ma|mon|nos|notre|la|le|l')\b"),
    ("duration", rf"\b(?:pendant|depuis|ça fait) (?P<n>{_N}|quelques|plusieurs) (?P<u>ans|années|mois)\b"),
    # a month or a season without a day (« en juillet », « au mois d'août », « l'été soixante-deux » is a year above)
    ("date", rf"\b(?:en|au mois d[e']|au début d[e']|à la fin d[e']|fin|début|mi-) ?(?P<m>{_MONTHS})\b"
             rf"|\b(?:en été|en hiver|en automne|au printemps|cet été|cet hiver|cet automne|ce printemps)\b"),
]]

_FUTURE_MARKERS = re.compile(r"\b(?:demain|plus tard|bientôt|l'année prochaine|à l'avenir|je vais|on va|"
                             r"nous allons|ils vont|il va|elle va)\b", re.IGNORECASE)
_PAST_MARKERS = re.compile(r"\b(?:autrefois|à l'époque|avant|quand j'étais|dans le temps|jadis|"
                           r"il y a \S+ ans)\b", re.IGNORECASE)
_PRESENT_MARKERS = re.compile(r"\b(?:maintenant|aujourd'hui|actuellement|en ce moment|de nos jours|"
                              r"à présent)\b", re.IGNORECASE)


_FUTURE_ENDINGS = ("rai", "ras", "ra", "ront")


def _looks_future(tok) -> bool:
    """The model often tags simple futures ("partirai") as present: check the ending against the lemma."""
    low, lemma = tok.lower_, tok.lemma_.lower()
    if low == lemma or not low.endswith(_FUTURE_ENDINGS):
        return False
    stem = lemma[:-1] if lemma.endswith("re") else lemma
    return low.startswith(stem[:-1]) and len(low) > len(stem)


def orientation(span: Span) -> str:
    """past / present / future of a sentence, from its finite verbs' tense and markers."""
    past = pres = fut = 0
    for tok in span:
        if tok.pos_ not in ("VERB", "AUX"):
            continue
        tense = tok.morph.get("Tense")
        if "Fut" in tense:
            fut += 1
        elif "Imp" in tense or ("Past" in tense and "Fin" in tok.morph.get("VerbForm")):
            past += 1
        elif "Past" in tense and "Part" in tok.morph.get("VerbForm"):
            if any(c.dep_.startswith("aux") for c in tok.children):
                past += 1
        elif "Pres" in tense and not tok.dep_.startswith("aux"):
            if _looks_future(tok):
                fut += 1
            else:
                pres += 1
    text = span.text
    if _FUTURE_MARKERS.search(text):
        fut += 1
    if _PAST_MARKERS.search(text):
        past += 1
    if _PRESENT_MARKERS.search(text):
        pres += 1
    if fut > max(past, pres):
        return "future"
    if past >= pres and past:
        return "past"
    return "present"


def _reference_year(document: Document) -> int | None:
    """The year of the interview: « il y a vingt ans », « l'an dernier » count back from it.
    An explicit interview year or date, else the narrator's birth year plus their age (CFPP2000's
    register gives both, and the age is the one at the interview)."""
    a = _folded(document.attributes)
    year = _year_in(a, YEAR_KEYS)
    if year is not None:
        return year
    birth, age = _year_in(a, BIRTH_KEYS), _age_in(a)
    return birth + age if birth and age else None


def _fold_key(key: str) -> str:
    return "_".join(fold_name(str(key)).split())


#: Attribute names (accents and case folded) that give a birth year, an interview year, a person's name.
BIRTH_KEYS = ("birth_year", "annee_de_naissance", "annee_naissance", "naissance", "born")
YEAR_KEYS = ("year", "interview_year", "date", "interview_date", "annee")
NAME_KEYS = ("prenom", "nom", "name", "nom_complet", "narrator", "narrateur", "narratrice", "locuteur",
             "locutrice", "speaker", "person")


def _folded(attributes: dict | None) -> dict:
    """Attributes under folded names (« Année de naissance » → ``annee_de_naissance``), empty values dropped."""
    return {_fold_key(k): v for k, v in (attributes or {}).items() if v not in (None, "") and v == v}


def _year_in(a: dict, keys: Iterable[str]) -> int | None:
    """The first calendar year written under one of ``keys`` (« Ana: 1950; Marc: 1971 » → 1950)."""
    return next((int(m.group()) for k in keys if (m := re.search(r"(?:18|19|20)\d\d", str(a.get(k, ""))))), None)


def _age_in(a: dict) -> int | None:
    m = re.search(r"\d{1,3}", str(a.get("age", "")))
    return int(m.group()) if m and 0 < int(m.group()) < 120 else None


def birth_year_of(attributes: dict | None) -> int | None:
    """The birth year a document's attributes give: ``birth_year`` (or a French name for
    it), else interview year − ``age``."""
    a = _folded(attributes)
    birth = _year_in(a, BIRTH_KEYS)
    if birth is not None:
        return birth
    year, age = _year_in(a, YEAR_KEYS), _age_in(a)
    return year - age if year and age else None


#: Share of the narrators' words above which the main narrator of a document with several
#: voices is taken to be the person its attributes describe (a spouse's few remarks aside).
MAIN_NARRATOR_SHARE = 0.9


def _name_tokens(name: str) -> set[str]:
    return {w for w in re.split(r"[\s;,|_'’.-]+", _fold_key(name)) if len(w) >= 2 and not w.isdigit()}


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
    attrs = {_fold_key(k): v for k, v in (document.attributes or {}).items() if isinstance(v, str)}
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


def _n(m: re.Match, group: str = "n") -> int | None:
    try:
        g = m.group(group)
    except IndexError:
        return None
    if not g:
        return None
    g = g.replace("1er", "1").replace("premier", "un")
    value = words_to_int(g)
    if value is not None:
        return value
    # Two numbers in a row: a restart ("deux mille … deux mille six", "trente … trente-cinq") keeps the completed
    # one, a list ("quatre-vingt-dix-huit quatre-vingt-dix-neuf") its first.
    words = g.split()
    splits = [(words[:k], words[k:]) for k in range(1, len(words))]
    parsed = [(a, b) for a, b in splits if words_to_int(" ".join(a)) is not None and words_to_int(" ".join(b)) is not None]
    for a, b in parsed:
        if " ".join(b).startswith(" ".join(a)):  # "trente euh trente-cinq" (a restart, not a list)
            return words_to_int(" ".join(b))
    for a, b in parsed:  # « mille neuf cent soixante soixante et onze »: the year restarted from its tens
        va, vb = words_to_int(" ".join(a)), words_to_int(" ".join(b))
        if va >= 1000 and 10 <= vb < 100 and " ".join(b).startswith(a[-1]) and va % 100 <= vb:
            return va - va % 100 + vb
    if parsed:
        return words_to_int(" ".join(parsed[0][0]))
    while len(words) > 1:
        words = words[:-1]
        value = words_to_int(" ".join(words))
        if value is not None:
            return value
    return None


def _first_of_decades(words: str) -> int | None:
    """« soixante soixante-dix » → 60: two decades in a row are a span, not a restart."""
    w = words.split()
    for k in range(1, len(w)):
        a, b = words_to_int(" ".join(w[:k])), words_to_int(" ".join(w[k:]))
        if a is not None and b is not None and a % 10 == 0 and b % 10 == 0 and 10 <= b - a <= 20:
            return a
    return None


#: Transcription markup ("[pause]", "[lex=NP]", "+", "[?]"), word fragments ("s-", "t-"), "euh" and
#: the hedge "disons" interrupt an expression ("jusqu'à [pause] vingt ans", "mille neuf cent s-
#: quarante sept", "dans les années disons soixante-quinze").
_NOISE = r"\[[^\]\n]{0,40}\]|(?<![\w-])\w{1,3}-(?=\s)|(?<=\s)\+(?=\s)|\b(?:euh|disons)\b"
#: A text as noise, whitespace runs and the rest (word runs, single other characters).
_TOKENS_RE = re.compile(rf"(?P<noise>{_NOISE})|(?P<space>\s+)|\w+|[^\w\s]", re.IGNORECASE)


#: A word every pattern below needs one of (a cheap first look before the full patterns).
_TRIGGER_RE = re.compile(
    rf"\d|\b(?:{NUMBER_WORD}|années?|ans|mois|semaines|jours|âge|{_MONTHS}|guerre|libération|occupation|"
    r"tard|tôt|après|avant|auparavant|lendemain|veille|jour[- ]là|moment[- ]là|quand|lorsque|pendant|"
    r"précédente|suivante|dernière|prochaine|premier|1er|dernier|époque|enfance|jeunesse|adolescence|"
    r"scolarité|carrière|hiver|automne|printemps|mariant|arrivant|partant|quittant|déménageant|longtemps|"
    r"CP|CE1|CE2|CM1|CM2|sixième|cinquième|quatrième|troisième|seconde|terminale|maternelle|primaire|prépa|"
    r"fac|licence|master|BTS|IUT|apprentissage|covid|confinement|pandémie|"
    r"études|mariage|naissance|divorce|retraite|bac)\b"
    # frequent words only in the phrases that make them temporal (« a été », « la vie », « le temps de »)
    r"|\b(?:l'|en |cet )été\b|\bl'an\b|\b(?:mon|ce|le|quelque) temps\b|\bdepuis que\b",
    re.IGNORECASE)


def _clean(text: str) -> tuple[str, list[int], list[int]]:
    """The text without markup, fragments and "euh", spaces collapsed; with, for each kept
    piece, its start in the clean text and in ``text`` (for :func:`_original`)."""
    parts: list[str] = []
    clean_starts: list[int] = []
    orig_starts: list[int] = []
    n = 0
    for m in _TOKENS_RE.finditer(text):
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
                     orientation: str | None = None) -> list[tuple[int, int, str, str | None, int | None]]:
    """(start, end, kind, value, year) of temporal expressions in a sentence (no overlaps).

    Offsets are into ``text``; matching reads through transcription markup and word
    fragments. A short spoken year ("en quarante") is not taken in a sentence told in the
    future (``orientation``); a bare "mille" is never a year, and a year in a legal
    reference ("loi de 1901") is left out.
    """
    if not _TRIGGER_RE.search(text):  # most sentences: nothing any pattern could match
        return []
    clean, clean_starts, orig_starts = _clean(text)
    return [(_original(s, clean_starts, orig_starts), _original(e - 1, clean_starts, orig_starts) + 1,
             kind, value, year)
            for s, e, kind, value, year in _find_clean(clean, reference_year, birth_year, orientation)]


_SUBJECT_RE = re.compile(r"\b(?:(je|j'|j’|moi|nous)|(il|elle|ils|elles|tu|vous))(?=\W)", re.IGNORECASE)


def _someone_else(text: str, start: int) -> bool:
    """Whether the clause before an age (« il est parti à vingt-trois ans ») has another person
    than the narrator as its nearest subject pronoun; none means the narrator."""
    last = None
    for m in _SUBJECT_RE.finditer(text, max(0, start - 40), start):
        last = m
    return bool(last and last.group(2))


def _find_clean(text: str, reference_year: int | None, birth_year: int | None,
                orientation: str | None) -> list[tuple[int, int, str, str | None, int | None]]:
    found: list[tuple[int, int, str, str | None, int | None]] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            value, year = None, None
            n = _n(m)
            if kind == "decade":
                n = _first_of_decades(m.group("n")) or n  # « les années soixante soixante-dix »: from the sixties
                year = decade_start(n, reference_year=reference_year) if n is not None else None
                value = f"{str(year)[:3]}X" if year else None
                if year is None and n is not None and (10 <= n < 100 or 1000 <= n <= 2100):
                    # "les années quatre-vingt-cinq": a year said loosely, not a decade
                    year = spoken_year(n, reference_year=reference_year, birth_year=birth_year)
                    value = f"~{year}" if year else None
            elif kind == "age":
                if n is None or not 0 < n < 120:
                    continue
                value = f"age:{n}"
                third_person = re.search(r"\b(?:il|elle|ils|elles|ses|leurs|\w+ a eu)\b", m.group(), re.IGNORECASE) \
                    and not re.search(r"\bj'", m.group())
                own = re.search(r"\b(?:j'|j’|je|moi)", m.group(), re.IGNORECASE)
                year = birth_year + n if birth_year and not third_person and (own or not _someone_else(text, s)) \
                    else None
            elif kind == "year":
                if n is None or n == 1000 or _LEGAL_REFERENCE.search(text[:m.start("n")]):
                    continue
                if n == 1900 and re.search(rf"\b{NUMBER_WORD}\b", text[e:e + 60], re.IGNORECASE):
                    continue  # « en mille neuf cent euh … en mille neuf cent quatre-vingt-seize »: a false start
                year = spoken_year(n, reference_year=reference_year, birth_year=birth_year)
                if year is None or n < 20:
                    continue  # "en deux" / "en dix": not a year when spoken short and small
                if n < 100 and orientation == "future":
                    continue  # "en quarante on ira": a short year is not read in a sentence about the future
                value = str(year)
                n2 = _n(m, "n2")
                if n2 is not None:  # "de soixante-douze à soixante-seize": the range's second year too
                    y2 = spoken_year(n2, reference_year=reference_year, birth_year=birth_year)
                    if y2 is None or not (year < y2 <= year + 60) or n2 < 20 or (n < 100 and n % 10 == 0 == n2 % 10):
                        continue  # "de trois à quatre", "de trente à quarante" (people), "… personnes"
                    s2 = m.start("n2")
                    taken.append((s2, e))
                    found.append((s2, e, kind, str(y2), y2))
                    e = m.end("n")
            elif kind == "date" and "d" not in m.groupdict():  # a month or a season, no day
                if orientation == "present":
                    continue  # « en été c'est pollué », « en juillet on part »: a habit, not a date
                if re.search(r"\b(?:tous|toutes|chaque)\b[^.,;]{0,20}$", text[max(0, s - 25):s], re.IGNORECASE):
                    continue  # « tous les ans en juillet »
                value = (m.group("m") or m.group()).lower()
            elif kind == "date":
                if _LEGAL_REFERENCE.search(text[:s]):
                    continue
                if n is not None:
                    year = spoken_year(n, reference_year=reference_year, birth_year=birth_year)
                d = _n(m, "d")
                if d is None or not 1 <= d <= 31:
                    continue  # "avril quarante-trois": a month and a year, not a day
                value = f"{m.group('m').lower()}-{d}" + (f"-{year}" if year else "")
            elif kind == "relative" and orientation in ("present", "future") and re.match(
                    r"à ce moment[- ]là", m.group(), re.IGNORECASE):
                continue  # « si vous avez six enfants, à ce moment-là … »: « in that case », not a time
            elif kind == "relative" and m.groupdict().get("evt2"):
                value = "event+1d" if "lendemain" in m.group().lower() else "event-1d"
            elif kind == "relative" and m.groupdict().get("evt"):
                sign = "+" if m.group("evt").lower() == "après" else "-"
                unit = m.group("u").lower()
                value = f"event{sign}{n if n is not None else '?'}{'y' if unit in _UNIT_YEARS else _UNIT_CODE[unit]}"
            elif kind == "relative" and m.groupdict().get("now"):
                value = _deictic(m)
            elif kind == "relative" and re.match(r"(?:juste |tout de suite |peu )?(?:après|avant|depuis)\b", m.group(),
                                                 re.IGNORECASE) and not re.search(r"\d|an\b|ans\b|année", m.group()):
                # « après mon bac », « depuis la fin de mes études »: no year of their own
                value = "before" if re.match(r"(?:juste |tout de suite |peu )?avant\b", m.group(), re.IGNORECASE) \
                    else "after"
            elif kind in ("relative", "duration"):
                unit = (m.groupdict().get("u") or "").lower()
                sign = -1 if re.search(r"avant|auparavant|plus tôt|précédente|d'avant|dernière|il y a", m.group(),
                                       re.IGNORECASE) else 1
                if unit in _UNIT_YEARS and n is not None:
                    value = f"{'+' if sign > 0 else '-'}{n}y"
                elif unit and n is not None:  # days, weeks, months: same year, finer shift kept in the value
                    value = f"{'+' if sign > 0 else '-'}{n}{_UNIT_CODE[unit]}"
                elif re.search(r"l'année (?:d'après|suivante|d'ensuite)|un an (?:après|plus tard)|au bout d'un an",
                               m.group(), re.IGNORECASE):
                    value = "+1y"
                elif re.search(r"l'année (?:précédente|d'avant)", m.group(), re.IGNORECASE):
                    value = "-1y"
                elif re.search(r"plus tard|peu après|bien après|beaucoup après|temps après|^(?:quelques|plusieurs) ",
                               m.group(), re.IGNORECASE):
                    value = "later"  # "un peu plus tard": after the anchor, by an unknown span
                else:
                    value = "+0y" if kind == "relative" else None
                if kind == "duration":
                    code = "y" if unit in _UNIT_YEARS else _UNIT_CODE.get(unit)
                    value = f"for:{n}{code}" if n is not None and code else None
            elif kind == "period" and _SCHOOL_YEAR.match(m.group()) and (
                    orientation != "past" or _DESTINATION.search(text[max(0, s - 25):s])):
                continue  # « ils arrivent en CP », « je suis rentrée en fac »: a class as a place, not a time
            elif kind == "period":
                value = m.group().lower()
                year = next((y for key, y in _PERIOD_YEARS.items() if key in value), None)
                if year in _AROUND_PERIOD and value.startswith(("après ", "avant ")):
                    # « après la guerre de quatorze »: after its end (1919), not its first year
                    year = _AROUND_PERIOD[year][value.startswith("après ")]
            taken.append((s, e))
            found.append((s, e, kind, value, year))
    found.sort()
    return [f for f, nxt in zip(found, found[1:] + [None]) if not _corrected(text, f, nxt)]


#: What a speaker says between a year and its correction: « en deux mille treize en oui en deux
#: mille six », « en soixante-dix non soixante-douze », « en quatre-vingt pardon en quatre-vingt-un ».
_CORRECTION_GAP = re.compile(
    r"\s*(?:[,;]\s*)?(?:(?:en|non|oui|pardon|enfin|ou plutôt|plutôt|je veux dire|je crois)\b\s*,?\s*)+", re.IGNORECASE)


def _corrected(text: str, expr: tuple, following: tuple | None) -> bool:
    """A year said and at once replaced by another (a self-correction, not a list or a range)."""
    if following is None or expr[2] != "year" or following[2] != "year":
        return False
    gap = text[expr[1]:following[0]]
    return bool(gap.strip()) and _CORRECTION_GAP.fullmatch(gap) is not None


_APPROX = {"dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "quarantaine": 40,
           "cinquantaine": 50, "soixantaine": 60}


def _deictic(m: re.Match) -> str:
    """The value of a time counted from the interview: ``now-30y`` (« il y a trente ans »),
    ``now-1y`` (« l'an dernier »), ``now+0y`` (« cette année »); ``now-?`` when the span is vague."""
    low = m.group().lower()
    if low.startswith("dans "):
        n = _n(m, "n2")
        return f"now+{n}y" if n is not None else "now+?"  # « dans dix ans »
    if re.search(r"\by a (?:pas\b|quelque temps)", low):
        return "now-?"  # « il y a pas longtemps »
    if re.search(r"\by a\b", low):
        n = _n(m)
        approx = m.groupdict().get("approx")
        count = n if n is not None else _APPROX.get((approx or "").lower())
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


def _deictic_year(value: str | None, reference_year: int | None) -> int | None:
    """``now-30y`` → the interview year − 30 (None without an interview year)."""
    m = re.fullmatch(r"now([+-])(\d+)y", value or "")
    if not m or reference_year is None:
        return None
    return reference_year + int(m.group(2)) * (1 if m.group(1) == "+" else -1)


def _year_shift(value: str | None) -> int | None:
    """``"+2y"`` → 2; finer units (``"-3m"``, ``"+2d"``) → 0; anything else → None."""
    m = re.fullmatch(r"([+-])(\d+)([ymwd])", value or "")
    if not m:
        return None
    return (int(m.group(2)) if m.group(3) == "y" else 0) * (1 if m.group(1) == "+" else -1)


def extract_timeline(document: Document, parsed, *, birth_year: int | None = None) -> list[TimeExpression]:
    """Temporal expressions of the narrators' sentences, with orientation and resolved years.

    Relative expressions ("deux ans après") are resolved against the last absolute year
    of the same speaker; sets ``Span._.orientation`` and ``Span._.time_expressions``.
    """
    ref = _reference_year(document)
    births = birth_years_by_speaker(document, parsed,
                                    birth_year if birth_year is not None else birth_year_of(document.attributes))
    last_year: dict[str | None, tuple[int, int]] = {}  # speaker -> (year, sent_id of the anchor)
    out: list[TimeExpression] = []
    for p in parsed:
        if p.segment.role == "interviewer":
            continue
        who = p.segment.speaker
        birth = births.get(who)
        for sent, span in zip(p.sentences, p.spans):
            orient = orientation(span)
            span._.orientation = orient
            local = []
            for s, e, kind, value, year in find_expressions(sent.text, reference_year=ref, birth_year=birth,
                                                                  orientation=orient):
                shift = _year_shift(value) if kind == "relative" else None
                if shift is not None and who in last_year and sent.sent_id - last_year[who][1] <= ANCHOR_REACH:
                    year = last_year[who][0] + shift
                elif kind == "relative" and (value or "").startswith("now"):
                    year = _deictic_year(value, ref)
                # a decade ("dans les années soixante-dix" → 1970) is too loose to count years from
                # (a year counted back from the interview, « il y a trente ans », anchors too)
                if year is not None and (kind in ("year", "date", "age", "period")
                                         or (value or "").startswith(("~", "now"))) \
                        and not _in_background_clause(span, s):
                    last_year[who] = (year, sent.sent_id)
                te = TimeExpression(doc_id=document.doc_id, sent_id=sent.sent_id, start=sent.start + s,
                                    end=sent.start + e, expression=sent.text[s:e], kind=kind, value=value,
                                    orientation=orient, year=year)
                out.append(te)
                local.append({"expression": te.expression, "kind": kind, "value": value, "year": year})
            span._.time_expressions = local or None
    return _date_life_events(out, parsed)


#: Events of a life a narrator dates once and refers back to (« je me suis mariée en quarante-six » …
#: « quand je me suis mariée »): verb lemma → event, and for a few verbs the object that makes the event.
_LIFE_EVENT_VERBS = {"arriver": "arrivée", "venir": "arrivée", "marier": "mariage", "naître": "naissance",
                     "divorcer": "divorce", "déménager": "déménagement", "installer": "installation",
                     "retraiter": "retraite"}
_LIFE_EVENT_OBJECTS = {"enfant": "enfant", "fille": "enfant", "fils": "enfant", "bébé": "enfant", "bac": "bac",
                       "baccalauréat": "bac", "diplôme": "diplôme", "permis": "permis", "retraite": "retraite",
                       "logement": "logement", "appartement": "logement"}
_NARRATOR_SUBJECTS = {"je", "j'", "j’", "on", "nous"}


def _narrator_does(verb) -> bool:
    """Whether the narrator is the verb's subject (« je me suis mariée », « on a eu »)."""
    return any(c.dep_.startswith("nsubj") and c.lower_ in _NARRATOR_SUBJECTS for c in verb.children)


def _token_at(span, offset: int):
    """The first token of ``span`` at or after character ``offset`` of the span's text."""
    return next((t for t in span if t.idx - span.start_char >= offset), None)


def _life_event(verb) -> str | None:
    """The life event a verb tells when its subject is the narrator (« je me suis mariée », « on
    est arrivés », « j'ai eu mon premier enfant »), else None. Ordinals (« mon premier / deuxième
    enfant ») are part of the event."""
    if not _narrator_does(verb):
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
    tok = _token_at(span, offset)
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


def _date_life_events(timeline: list[TimeExpression], parsed) -> list[TimeExpression]:
    """A life-event clause without a year (« quand je me suis mariée ») gets the year its narrator
    gives the same event elsewhere in the interview (« je me suis mariée en quarante-six »; the
    nearest such statement if there are several). Arrivals and moves, of which a life holds
    several, must name the same place (« quand je suis arrivée à Paris »)."""
    spans = {s.sent_id: (s, sp, p.segment.speaker) for p in parsed for s, sp in zip(p.sentences, p.spans)}
    told: dict[tuple[str | None, str], list[tuple[int, int, frozenset[str]]]] = {}
    for te in timeline:
        if te.year is not None and te.kind in ("year", "date", "age") and te.sent_id in spans:
            sent, span, who = spans[te.sent_id]
            found = _told_event(span, te.start - sent.start)
            if found:
                told.setdefault((who, found[0]), []).append((te.sent_id, te.year, found[1]))
    if not told:
        return timeline
    out = []
    for te in timeline:
        if te.kind == "period" and te.year is None and te.sent_id in spans \
                and te.expression.lower().startswith(("quand", "lorsque")):
            sent, span, who = spans[te.sent_id]
            start = span.start_char + te.start - sent.start
            verb = next((t for t in span if start <= t.idx < start + len(te.expression) and t.pos_ == "VERB"), None)
            event = _life_event(verb) if verb is not None else None
            said = told.get((who, event)) if event else None
            if said and event in _REPEATED_EVENTS:
                where = _places(verb)
                said = [x for x in said if where & x[2]]
            if said:
                year = min(said, key=lambda x: (abs(x[0] - te.sent_id), x[0] > te.sent_id))[1]
                te = replace(te, year=year)
                for row in span._.time_expressions or ():
                    if row["expression"] == te.expression and row["kind"] == "period":
                        row["year"] = year
        out.append(te)
    return out


def anchor_turning_points(turning_points: Iterable[TurningPoint], timeline: list[TimeExpression], parsed, *,
                          reach: int = TP_ANCHOR_REACH) -> list[TurningPoint]:
    """Turning points with ``time_anchor``/``year`` from the nearest preceding anchor of the same narrator.

    An expression in the turning point's own sentence wins (the one nearest the words that
    make it a turning point); otherwise the last one before it in the same speaker's
    sentences, at most ``reach`` sentences back (an anchor said long before no longer dates
    the story; a missing year is better than a wrong one on a life-course line). Only expressions with a year anchor:
    the narrator's own ages have one when the birth year is known (:func:`extract_timeline`).
    Returned in life-course order: by year where known, else narrative order.
    """
    speaker_of = {s.sent_id: p.segment.speaker for p in parsed for s in p.sentences}
    spans = {s.sent_id: (s, sp) for p in parsed for s, sp in zip(p.sentences, p.spans)}
    by_sent: dict[int, list[TimeExpression]] = {}
    for te in timeline:
        by_sent.setdefault(te.sent_id, []).append(te)
    ordered_ids = sorted(by_sent)
    out = []
    for tp in turning_points:
        who = speaker_of.get(tp.sent_id)
        anchor = None
        for sid in reversed([i for i in ordered_ids if tp.sent_id - reach <= i <= tp.sent_id]):
            if speaker_of.get(sid) != who:
                continue
            usable = [t for t in by_sent[sid] if t.year is not None  # someone else's age has none
                      and (sid == tp.sent_id or not (t.value or "").endswith("X"))  # a decade said before is too loose
                      and (sid == tp.sent_id or not _aside(t, spans.get(sid)))]
            if usable:
                anchor = _nearest_to_event(usable, tp, spans.get(sid)) if sid == tp.sent_id else usable[-1]
                break
        if anchor is None:
            out.append(tp)
            continue
        out.append(replace(tp, time_anchor=anchor.expression, year=_event_year(anchor)))
    return life_course(out)


#: Antecedents that make a relative clause the time of the story (« l'année que j'ai passée là »).
_TIME_NOUNS = {"année", "an", "jour", "moment", "époque", "fois", "période", "mois", "semaine", "date", "temps",
               "soir", "matin", "nuit", "été", "hiver"}
_RELATIVES = {"qui", "que", "qu'", "qu’", "dont", "lequel", "laquelle", "lesquels", "lesquelles"}


def _in_background_clause(span, offset: int) -> bool:
    """A date said inside a relative clause about someone or something (« le comte, qui fut
    chevalier de l'ordre en 1688 », « l'immeuble qui a été construit en 1925 ») belongs to that
    aside, not to the time the story has reached: it does not date what follows. A clause on a
    time (« l'hiver que j'ai passé à Lyon ») or telling the narrator's own doing (« l'appartement
    qu'on a eu en soixante-deux ») is the story itself. The parser often attaches relative
    clauses as ``ccomp``, so the clause is found by its relative pronoun."""
    tok = _token_at(span, offset)
    while tok is not None and tok.dep_ != "ROOT" and tok.head.i != tok.i:
        if tok.pos_ in ("VERB", "AUX", "NOUN", "ADJ"):
            rel = next((c for c in tok.children if c.i < tok.i and c.lower_ in _RELATIVES
                        and ("Rel" in c.morph.get("PronType") or c.dep_.startswith(("nsubj", "obj", "obl")))), None)
            if rel is not None:
                if _narrator_does(tok):
                    return False  # « l'appartement qu'on a eu en soixante-deux »: the narrator's own story
                before = next((t for t in reversed(span.doc[span.start:rel.i]) if not t.is_punct), None)
                return not (before is not None and before.lemma_.lower() in _TIME_NOUNS)
        tok = tok.head
    return False


def _aside(te: TimeExpression, sentence) -> bool:
    """True when ``te`` is said in a relative clause of its sentence (see :func:`_in_background_clause`)."""
    if sentence is None:
        return False
    sent, span = sentence
    return _in_background_clause(span, te.start - sent.start)


def _event_year(te: TimeExpression) -> int | None:
    """The year a turning point gets from its anchor: a decade («  dans les années trente »)
    places it mid-decade, « au début / à la fin des années … » early or late in it — closer on
    average than the decade's first year, which the timeline keeps as the expression's value."""
    if te.year is None or not (te.value or "").endswith("X"):
        return te.year
    low = te.expression.lower()
    return te.year + (2 if "début" in low else 8 if "fin " in low else 5)


def _nearest_to_event(expressions: list[TimeExpression], tp: TurningPoint, sentence) -> TimeExpression:
    """The date nearest the words that make the sentence a turning point (its evidence): a long
    spoken sentence often holds several dates (« arrivé à Nogent en deux mille six … depuis
    soixante et onze »), and the event's own is the one said with it."""
    if len(expressions) == 1 or sentence is None:
        return expressions[-1]
    sent, span = sentence
    head = (tp.evidence or "").split(";", 1)[0]
    words = {w for part in head.split(":", 1)[-1].split(",") for w in part.lower().split()}
    hits = [tok for tok in span if tok.lemma_.lower() in words or tok.lower_ in words]
    # the event's own words (« venue », « mariée »), not the function words or the place names
    # a pattern matched with them (« à Paris » of where one lived before)
    events = [tok for tok in hits if tok.pos_ in ("VERB", "NOUN") and not tok.is_stop]
    where = [sent.start + tok.idx - span.start_char for tok in events or hits]
    if not where:
        return expressions[-1]
    return min(expressions, key=lambda te: min(abs(te.start - w) if w < te.start else max(0, w - te.end)
                                               for w in where))


def life_course(turning_points: list[TurningPoint]) -> list[TurningPoint]:
    """Order on the life-course line: per speaker story, by year where known, else narrative order.

    A turning point without a year keeps the year of the one before it for sorting, so
    narrative order is preserved inside a dated stretch.
    """
    keyed = []
    current = None
    for i, tp in enumerate(sorted(turning_points, key=lambda t: t.sent_id)):
        if tp.year is not None:
            current = tp.year
        keyed.append(((current if current is not None else -10**6), i, tp))
    return [tp for _, _, tp in sorted(keyed, key=lambda k: (k[0], k[1]))]

