"""Cues read off the six type definitions, for typing moments of stories nobody tuned on.

The type lexicons of :mod:`narratif.turning_points.lexicon` were written against the
project's own stories: on stories they were not written against they give the right type
to a third of the moments. The definitions themselves travel better. Each names what
changes — a person enters (``rencontre``), something bad strikes (``rupture``), someone
chooses (``decision``), someone comes to know (``revelation``), a matter ends in a result
(``resolution``), the place changes (``mobilite``) — and these cues ask exactly that:

* ``def_sim_<type>``: how close the sentence's content words come to a handful of seed
  words paraphrasing the type's definition, by the static word vectors of the parse (so
  « vomir » or « se vexer » land near « blesser » / « se disputer » without being listed);
* ``def_person_enters``: a person introduced as new — an indefinite or demonstrative
  human noun or a named person as subject or object, « il y a un … qui »;
* ``def_knows_that``: a verb of knowing or perceiving with a clause (« j'ai compris que »,
  « je vois que », « il m'annonce que »);
* ``def_ends``: an ending marker (« finalement », « au final », « et depuis »);
* ``def_harm``: lemmas of harm, loss, conflict or upset;
* ``def_goes_to``: a motion verb with a destination (« je suis partie dans les Charentes »).

They are token-attribute and vector look-ups on the existing parse; no model call.
"""

from __future__ import annotations

import re

import numpy as np
from spacy.tokens import Span

from narratif.turning_points.lexicon import TYPES

#: Seed words paraphrasing each definition (issue #4): what changes, in plain words.
SEEDS: dict[str, tuple[str, ...]] = {
    "rencontre": ("rencontrer", "croiser", "connaître", "présenter", "inconnu", "rencontre", "ami", "personne"),
    "rupture": ("accident", "perdre", "mourir", "blesser", "crise", "conflit", "disputer", "problème", "malade",
                "tomber", "casser", "voler", "peur", "catastrophe", "rater", "fâcher"),
    "decision": ("décider", "choisir", "accepter", "engager", "inscrire", "proposer", "refuser", "décision",
                 "choix", "demander"),
    "revelation": ("apprendre", "découvrir", "comprendre", "réaliser", "savoir", "annoncer", "remarquer",
                   "nouvelle", "vérité", "surprendre"),
    "resolution": ("réussir", "obtenir", "gagner", "finir", "résultat", "devenir", "arranger", "régler",
                   "rapprocher", "mieux", "sauver"),
    "mobilite": ("partir", "arriver", "déménager", "voyager", "quitter", "rentrer", "installer", "départ",
                 "aller", "venir"),
}
HARM_LEMMAS = frozenset({
    "accident", "blessure", "blesser", "sang", "cassé", "casser", "fracture", "mort", "mourir", "décéder", "perdre",
    "perte", "voler", "vol", "cambrioler", "vider", "détruire", "brûler", "incendie", "malade", "maladie",
    "hôpital", "urgence", "panne", "crever", "annuler", "licencier", "virer", "expulser", "disparaître", "tromper",
    "agresser", "frapper", "mordre", "disputer", "dispute", "engueuler", "fâcher", "vexer", "énerver", "crier",
    "hurler", "pleurer", "vomir", "catastrophe", "drame", "galère", "problème", "souci", "peur", "angoisse",
    "choc", "rater", "échouer", "échec", "refuser", "insulter", "menacer", "bloquer", "coincer", "mal", "pire",
    "horrible", "conflit", "crise", "guerre", "divorcer", "divorce", "chômage", "rupture", "quitter", "larguer",
})
_HUMAN = frozenset({
    "homme", "femme", "fille", "garçon", "gars", "mec", "type", "dame", "monsieur", "madame", "gamin", "gamine",
    "enfant", "bébé", "personne", "ami", "amie", "copain", "copine", "voisin", "voisine", "collègue", "prof",
    "professeur", "élève", "étudiant", "étudiante", "surveillant", "surveillante", "vendeur", "vendeuse",
    "serveur", "serveuse", "patron", "patronne", "chauffeur", "policier", "médecin", "infirmier", "infirmière",
    "inconnu", "inconnue", "client", "cliente", "mère", "père", "frère", "sœur", "demi-sœur", "cousin", "cousine",
    "directeur", "directrice", "groupe", "bande", "famille", "couple", "jeune", "vieux", "vieille",
})
_NEW_DET = {"un", "une", "des", "cette", "ce", "cet", "ces"}
_KNOW = frozenset({"comprendre", "savoir", "apprendre", "découvrir", "réaliser", "voir", "remarquer",
                   "entendre", "annoncer", "expliquer", "dire", "rendre", "sentir", "deviner"})
_MOTION = frozenset({"partir", "arriver", "aller", "venir", "rentrer", "revenir", "retourner", "repartir",
                     "déménager", "emménager", "quitter", "monter", "descendre", "voyager", "installer"})
ENDING = re.compile(r"\b(?:finalement|au final|à la fin|en fin de compte|et depuis|depuis ce jour|"
                    r"depuis ce moment)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\b(?:que|qu'|qu’|si|comment|pourquoi)\b", re.IGNORECASE)

DEF_NAMES: list[str] = [f"def_sim_{t}" for t in TYPES] + [
    "def_person_enters", "def_knows_that", "def_ends", "def_harm", "def_goes_to"]


_SEED_CACHE: dict[int, dict[str, np.ndarray]] = {}


def _seed_matrix(vocab) -> dict[str, np.ndarray]:
    """Unit vectors of each type's seed words that the vocabulary has vectors for (per vocabulary)."""
    key = id(vocab)
    if key in _SEED_CACHE:
        return _SEED_CACHE[key]
    out = {}
    for t in TYPES:
        rows = []
        for w in SEEDS[t]:
            if vocab.has_vector(w):
                v = np.asarray(vocab.get_vector(w), dtype=np.float32)
                n = float(np.linalg.norm(v))
                if n:
                    rows.append(v / n)
        out[t] = np.vstack(rows) if rows else np.zeros((0, 1), dtype=np.float32)
    _SEED_CACHE[key] = out
    return out


def _similarities(span: Span) -> list[float]:
    """Per type: the best cosine between a content word of the span and a seed word."""
    vocab = span.doc.vocab
    if not len(vocab.vectors):
        return [0.0] * len(TYPES)
    seeds = _seed_matrix(vocab)
    vecs = []
    for tok in span:
        if tok.pos_ in ("VERB", "NOUN", "ADJ") and not tok.is_stop and tok.has_vector:
            lemma = tok.lemma_.lower()
            v = vocab.get_vector(lemma) if vocab.has_vector(lemma) else tok.vector
            n = float(np.linalg.norm(v))
            if n:
                vecs.append(np.asarray(v, dtype=np.float32) / n)
    if not vecs:
        return [0.0] * len(TYPES)
    m = np.vstack(vecs)
    return [float((m @ seeds[t].T).max()) if len(seeds[t]) else 0.0 for t in TYPES]


def _person_enters(span: Span) -> float:
    for tok in span:
        lemma = tok.lemma_.lower()
        human = lemma in _HUMAN or tok.ent_type_ == "PER"
        if not human or tok.pos_ not in ("NOUN", "PROPN"):
            continue
        det = {c.lower_ for c in tok.children if c.dep_ == "det"}
        if tok.pos_ == "PROPN" or det & _NEW_DET:
            if tok.dep_.startswith(("nsubj", "obj", "obl")) or tok.head.lemma_ in ("avoir", "voir", "rencontrer"):
                return 1.0
    return 0.0


def definition_row(span: Span) -> np.ndarray:
    """The ``DEF_NAMES`` cues of one unit."""
    low = span.text.lower()
    lemmas = [t.lemma_.lower() for t in span]
    knows = any(t.lemma_.lower() in _KNOW and t.pos_ == "VERB" for t in span) and bool(_CLAUSE.search(low))
    knows = knows or "rend compte" in low or "rendu compte" in low
    goes_to = any(t.lemma_.lower() in _MOTION and t.pos_ == "VERB"
                  and any(c.dep_.startswith("obl") or c.ent_type_ in ("LOC", "GPE") for c in t.children)
                  for t in span)
    return np.array(_similarities(span) + [
        _person_enters(span), float(knows), float(bool(ENDING.search(low))),
        float(min(sum(lemma in HARM_LEMMAS for lemma in lemmas), 3)), float(goes_to)], dtype=np.float32)
