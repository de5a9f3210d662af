"""Cue lexicons for turning points: trigger lemmas and phrases per type, narrative markers.

Shared by the hand-written scorer (evidence strings) and the learned ranker's
features. Lemmas are spaCy lemmas; multiword cues are regexes on lower-cased text.
"""

from __future__ import annotations

import re
from typing import Iterable

TYPES = ("rencontre", "rupture", "decision", "revelation", "resolution", "mobilite")
#: How reports name the types (French, lower case).
TYPE_LABELS = {"rencontre": "rencontre", "rupture": "rupture", "decision": "décision", "revelation": "révélation",
               "resolution": "résolution", "mobilite": "mobilité"}

# --- lexicons (lemmas; multiword cues as regexes on lower-cased text) -----------------

#: Verb/noun lemmas that make a sentence an instance of a type, with a weight.
TYPE_LEMMAS: dict[str, dict[str, float]] = {
    "rencontre": {
        "rencontrer": 1.0, "rencontre": 0.8, "connaissance": 0.6, "aborder": 0.7, "présenter": 0.4,
        "croiser": 0.6, "sympathiser": 0.8, "copain": 0.2, "copine": 0.2, "ami": 0.2, "gars": 0.3,
        "fille": 0.2, "garçon": 0.3, "mec": 0.3, "dame": 0.2, "monsieur": 0.2, "embaucher": 0.5,
        "recruter": 0.4, "accueillir": 0.4,
    },
    "rupture": {
        "perdre": 0.9, "mourir": 1.0, "décéder": 1.0, "décès": 1.0, "accident": 1.0, "tomber": 0.6,
        "blesser": 0.9, "casser": 0.8, "mordre": 0.9, "problème": 0.7, "peur": 0.6, "crise": 0.9,
        "conflit": 0.9, "disputer": 0.9, "engueuler": 0.8, "divorcer": 1.0, "divorce": 1.0,
        "licencier": 1.0, "licenciement": 1.0, "chômage": 0.8, "malade": 0.8, "maladie": 0.9,
        "guerre": 0.8, "annuler": 0.7, "rater": 0.7, "tromper": 0.6, "planter": 0.5, "voler": 0.6,
        "agresser": 1.0, "attaquer": 0.8, "crier": 0.4, "gueuler": 0.5, "pleurer": 0.5, "hurler": 0.5,
        "sauter": 0.4, "disparaître": 0.7, "brûler": 0.7, "incendie": 0.9, "panne": 0.8,
        "sang": 0.5, "hôpital": 0.6, "urgence": 0.6, "fermer": 0.4, "expulser": 0.9,
        "galère": 0.6, "galérer": 0.6, "inquiéter": 0.5, "angoisse": 0.6, "choc": 0.7, "refuser": 0.6,
        "échouer": 0.8, "échec": 0.8, "insulter": 0.7, "frapper": 0.8, "battre": 0.5, "menacer": 0.7,
        "retard": 0.5, "oublier": 0.4, "bloquer": 0.6, "coincer": 0.6, "quitter": 0.4,
    },
    "decision": {
        "décider": 1.0, "choisir": 0.9, "inscrire": 0.8, "accepter": 0.8, "céder": 0.7, "proposer": 0.6,
        "engager": 0.6, "lancer": 0.5, "opter": 0.9, "suivre": 0.4, "tenter": 0.5, "essayer": 0.3,
        "résoudre": 0.6, "demander": 0.4, "acheter": 0.4, "adopter": 0.8, "postuler": 0.8,
        "candidater": 0.8, "convaincre": 0.6, "prendre": 0.2, "vouloir": 0.2, "chercher": 0.3,
        "sortir": 0.3, "rentrer": 0.3, "entrer": 0.4, "aller": 0.15, "faire": 0.1, "recherche": 0.4,
    },
    "revelation": {
        "découvrir": 1.0, "apprendre": 0.8, "comprendre": 0.8, "réaliser": 0.7, "apercevoir": 0.7,
        "rendre": 0.0, "savoir": 0.4, "remarquer": 0.6, "voir": 0.4, "interpeller": 0.8, "intriguer": 0.8,
        "surprendre": 0.7, "étonner": 0.6, "annoncer": 0.8, "expliquer": 0.4, "raconter": 0.3,
        "dire": 0.3, "changer": 0.5, "connaître": 0.3,
    },
    "resolution": {
        "réussir": 1.0, "obtenir": 0.9, "gagner": 0.8, "victoire": 0.9, "rembourser": 0.8, "devenir": 0.7,
        "finir": 0.5, "retrouver": 0.6, "sauver": 0.9, "guérir": 0.9, "valider": 0.7, "trouver": 0.5,
        "entendre": 0.5, "rapprocher": 0.8, "marier": 0.8, "naître": 0.7, "diplôme": 0.7, "permis": 0.5,
        "emmener": 0.4, "récupérer": 0.6, "arranger": 0.7, "régler": 0.7,
        "effacer": 0.6, "mieux": 0.4, "content": 0.3, "ami": 0.2, "amie": 0.4, "proche": 0.5,
        "calmer": 0.6, "soigner": 0.6, "reloger": 0.8, "embauché": 0.6, "prendre": 0.2,
    },
    "mobilite": {
        "partir": 0.9, "arriver": 0.6, "déménager": 1.0, "emménager": 1.0, "repartir": 1.0, "installer": 0.8,
        "quitter": 0.6, "venir": 0.5, "rentrer": 0.6, "retourner": 0.6, "voyager": 0.7, "revenir": 0.6,
        "aller": 0.15, "arrivée": 0.8, "départ": 0.8, "déménagement": 1.0, "emmener": 0.4, "amener": 0.5,
        "reloger": 0.7, "émigrer": 1.0, "immigrer": 1.0, "exil": 0.9, "train": 0.3, "avion": 0.4,
    },
}

#: Multiword cues per type, matched on the lower-cased sentence text.
TYPE_PATTERNS: dict[str, list[tuple[str, float]]] = {
    "rencontre": [
        (r"\bfait connaissance\b", 1.0), (r"\bfaire connaissance\b", 0.8), (r"\bvenu[es]* vers moi\b", 0.9),
        (r"\bvient me voir\b", 0.6), (r"\bil y avait (?:un|une|cette|ce) (?:gars|fille|garçon|mec|dame|homme|femme|type)\b", 0.7),
        (r"\bpremière fois que je l'ai vu", 1.0), (r"\bqui arrive\b", 0.3),
        (r"\bune fille\b", 0.2),
    ],
    "rupture": [
        (r"\bsauf que\b", 0.6), (r"\bdu jour au lendemain\b", 0.7), (r"\bpéter un câble\b", 1.0),
        (r"\bpris la tête\b", 0.9), (r"\bpas pu\b", 0.5), (r"\bpourrait pas\b", 0.5), (r"\bpouvait pas\b", 0.3),
        (r"\bà la rue\b", 0.8), (r"\bpas du tout\b", 0.3), (r"\bmalheureusement\b", 0.5),
        (r"\bpas très (?:amica|sympa)", 0.6), (r"\bpeur\b", 0.4),
    ],
    "decision": [
        (r"\bon s'est dit\b", 0.4), (r"\bje me suis dit\b", 0.3),
        (r"\bj'ai (?:décidé|choisi|accepté)\b", 1.0), (r"\bon a (?:décidé|choisi)\b", 1.0),
        (r"\bje décide\b", 1.0), (r"\bpar curiosité\b", 0.6), (r"\bm'ont proposé\b", 0.7),
        (r"\bnous a proposé\b", 0.7), (r"\bon est (?:parti|allé)s? pour\b", 0.6), (r"\bje l'ai suivi\b", 0.7),
        (r"\bje lui demande\b", 0.5), (r"\bje suis sortie?\b", 0.4),
        (r"\bon est rentrée?s?\b", 0.4), (r"\bj'ai pensé de\b", 0.6),
    ],
    "revelation": [
        (r"\brend(?:u|s)? compte\b", 1.0), (r"\bm'a dit (?:de|que)\b", 0.5), (r"\bnous a dit que\b", 0.6),
        (r"\bon m'avait dit\b", 0.6), (r"\bon nous a dit\b", 0.7), (r"\bm'a appris\b", 0.9),
        (r"\bj'ai su\b", 0.9), (r"\bje savais pas\b", 0.7), (r"\bce qui m'a\b", 0.6), (r"\ble truc qui m'a\b", 0.7),
        (r"\bil me dit\b", 0.4), (r"\belle me dit\b", 0.4), (r"\bil fait\b", 0.2), (r"\bje vois\b", 0.4),
        (r"\ben fait\b", 0.2), (r"\bpermis de comprendre\b", 1.0),
        (r"\bc'était (?:en|un|une)\b", 0.2), (r"\bai découvert\b", 1.0),
    ],
    "resolution": [
        (r"\bfinalement\b", 0.6), (r"\bau final\b", 0.7), (r"\benfin\b(?! voilà| bref)", 0.3),
        (r"\bmaintenant\b", 0.3), (r"\bça va (?:beaucoup )?mieux\b", 1.0), (r"\bj'ai réussi\b", 0.9),
        (r"\bon a été rembours", 1.0), (r"\bdevenue?s? (?:très )?proches?\b", 1.0),
        (r"\bbien entendue?s?\b", 0.7), (r"\bau bout de\b", 0.4), (r"\bj'étais prise?\b", 0.8),
        (r"\bdu coup\b", 0.1),
        (r"\bça fait \w+ ans\b", 0.3), (r"\bon était contents?\b", 0.5), (r"\bréussi à\b", 0.9),
        (r"\bplus jamais\b", 0.4), (r"\btout de suite\b", 0.2),
    ],
    "mobilite": [
        (r"\b(?:suis|sommes|est|sont) (?:re)?partie?s?\b", 0.8), (r"\b(?:suis|sommes|est|sont) arrivée?s?\b", 0.7),
        (r"\b(?:suis|sommes|est|sont) (?:venue?s?|rentrée?s?)\b", 0.2), (r"\bà paris\b", 0.3),
        (r"\bnous a amenée?s?\b", 0.7), (r"\bpour la première fois\b", 0.4), (r"\ben train\b", 0.3),
        (r"\bpar le train\b", 0.4), (r"\blà-bas\b", 0.2), (r"\bdéménag", 0.8), (r"\binstallée?s? (?:là|à|en|dans)\b", 0.6),
    ],
}

#: Cues that a moment is narrated as an event of the plot.
NARRATIVE_CUES: list[tuple[str, float]] = [
    (r"\bet là\b", 0.5), (r"\bsauf que\b", 0.5), (r"\bdu jour au lendemain\b", 0.7), (r"\bc'est là que\b", 0.7),
    (r"\bà partir de (?:ce|là)\b", 0.6), (r"\bun jour\b", 0.5), (r"\btout à coup\b", 0.6), (r"\bsoudain", 0.6),
    (r"\bd'un coup\b", 0.5), (r"\bà ce moment-là\b", 0.5), (r"\bfinalement\b", 0.3), (r"\bau final\b", 0.3),
    (r"\bdu coup\b", 0.15), (r"\bquand\b", 0.15), (r"\bet puis\b", 0.1), (r"\bet donc\b", 0.15),
    (r"\bc'est comme ça que\b", 0.6), (r"\bdepuis\b", 0.2), (r"\bau bout de\b", 0.3), (r"\bensuite\b", 0.15),
    (r"\bjusqu'à (?:un moment|ce que)\b", 0.4), (r"\bapr[èe]s\b", 0.1), (r"\ben fait\b", 0.1),
]

#: Words that mark an obstacle when no type fixes the polarity.
OBSTACLE_WORDS = re.compile(
    r"\b(?:peur|problème|mal|malheureusement|pas pu|pourrait pas|perdu|mort|malade|accident|crise|conflit|"
    r"tête|angoisse|pire|horrible|catastrophe|galère|"
    r"disparu|volé|insult|pleur|cri|gueul|retard)\w*", re.IGNORECASE)
LEVIER_WORDS = re.compile(
    r"\b(?:super|génial|bien|content|heureu|réussi|aid|chance|enfin|mieux|ami|top|sympa|proche)\w*",
    re.IGNORECASE)

_NEGATION = {"pas", "jamais", "plus", "rien", "guère"}
_META_NARRATIVE = re.compile(
    r"\b(?:(?:raconter|parler|présenter|expliquer) (?:de |d'|l'|la |le |mes |mon |ma |une |un |comment )|"
    r"le thème|mon histoire|cette histoire|anecdote|(?:le|la) (?:premier |première )?(?:jour|fois)\W{0,3} où)", re.IGNORECASE)
#: The narrator announcing what they will tell (« j'ai décidé de raconter mes péripéties », « je vais te
#: raconter mes vacances », « qu'est-ce que je pourrais te raconter »): a statement about the telling,
#: never a turning point (the guideline's first exclusion), however strong its decision verb.
_TELLING_ANNOUNCED = re.compile(
    r"\b(?:(?:décidé|choisi|envie|vais|voudrais|voulais|pourrais|peux|veux|dois|va)\s+(?:de\s+|d')?"
    r"(?:te |vous |t')?(?:raconter|parler|présenter|expliquer)\b|"
    r"(?:qu'est-ce que|quoi|ce que) (?:je|j') (?:\w+ ){0,2}(?:te |vous )?raconter\b)", re.IGNORECASE)
_FIRST_PERSON = {"je", "j'", "j’", "on", "nous", "moi", "me", "m'", "m’"}
_QUESTION_START = re.compile(r"^\s*(?:est-ce que|qu'est-ce|pourquoi|comment|où|quand est-ce)\b", re.IGNORECASE)
_DISCOURSE_ONLY = re.compile(r"^[\W_]*(?:(?:euh|bah|ben|bon|voilà|ouais|oui|non|hein|enfin|donc|et|mais|alors|"
                             r"quoi|hum|mh|ah|oh|voila|bref)[\W_]*)*$", re.IGNORECASE)


def _compile(pairs: Iterable[tuple[str, float]]) -> list[tuple[re.Pattern, float]]:
    return [(re.compile(p, re.IGNORECASE), w) for p, w in pairs]


_ANCHOR_RE = re.compile(
    r"\b(?:en (?:\d{4}|(?:mille|dix-neuf cent|deux mille)\b)|un jour|ce jour-là|le lendemain|l'année d'après|"
    r"(?:quelques|deux|trois|\w+) (?:jours|semaines|mois|ans|années|heures) (?:après|plus tard)|"
    r"à \w+(?:-\w+)* ans\b|en (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre)|cet été|l'année dernière|le \w+ (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
    r"octobre|novembre|décembre))", re.IGNORECASE)


#: Nouns that make « rencontrer » a problem met, not a person met.
_PROBLEM_LEMMAS = {"obstacle", "difficulté", "problème", "frein", "souci", "résistance", "blocage", "échec",
                   "opposition", "réticence", "limite", "écueil", "embûche", "obstacles", "difficultés"}


def meets_a_problem(tok) -> bool:
    """« les obstacles rencontrés », « on a rencontré des difficultés »: a problem met, not a person."""
    if tok.dep_ in ("acl", "amod") and tok.head.lemma_.lower() in _PROBLEM_LEMMAS:
        return True
    return any(t.lemma_.lower() in _PROBLEM_LEMMAS for t in tok.doc[tok.i + 1:tok.i + 5])
