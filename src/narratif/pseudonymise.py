"""Stable pseudonyms for every output that leaves the machine (``--pseudonymise``).

Names come from what the store knows (speaker labels, name-like attributes, the
person names written in CFPP-style file names) and from spaCy's NER (``PER``) on
each text that is written out. Each person gets a stable pseudonym ("Personne-07")
and each document a stable label ("Entretien-03"); the mapping is kept beside the
store in ``OUT/.narratif-pseudonyms.json`` (local, never exported) so pseudonyms
do not change from one run to the next. The store itself is never rewritten.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path, PurePath
from typing import Any, Iterable

import pandas as pd
from narratif.atomic import atomic_write_text

MAPPING_FILE = ".narratif-pseudonyms.json"
#: Attribute columns whose values are person names.
NAME_COLUMNS = {"prenom", "prénom", "nom", "name", "nom_complet", "speaker", "speakers", "narrator", "narrators",
                "interviewer", "interviewers", "enqueteur", "enqueteurs", "locuteur", "locuteurs", "person"}
#: Speaker labels / file-name words that are not names.
NOT_NAMES = {"enq", "enquêteur", "enquêtrice", "enqueteur", "enquetrice", "interviewer", "intervieweur",
             "speaker", "locuteur", "locutrice", "turns", "narrateur", "narratrice", "auteur", "inconnu",
             "unknown", "question", "réponse", "reponse", "les", "des", "une", "avec"}
#: Columns holding codebook ids, labels, categories or measures: known names are replaced, but no NER
#: runs on them (it would mistake labels such as "Victoires rapides" for persons).
STRUCTURAL_COLUMNS = {"code", "code_a", "code_b", "item", "item_label", "category", "category_label", "attribute",
                      "group", "type", "polarity", "kind", "voice", "source", "axis", "bin", "sequence", "ngram",
                      "orientation", "method", "format", "status", "obstacle_type", "lever_type", "obstacle_source",
                      "lever_source", "themes", "nearest_codes", "reading_a", "reading_b", "period", "roles", "role",
                      "role_a", "role_b", "collectif", "groups", "theme", "label_code"}
_KIND_PREFIX = {"interview": "Entretien", "story": "Récit", "monograph": "Monographie"}
_TOKEN_SPLIT = re.compile(r"[\s_]+")
_PAREN = re.compile(r"\s*\([^)]*\)\s*")


def fold(s: str) -> str:
    """Remove accents, one character for one character (offsets are kept)."""
    return "".join(unicodedata.normalize("NFD", c)[0] if c.isalpha() else c for c in s)


def _key(name: str) -> str:
    return " ".join(fold(name).lower().split())


def _is_name_token(tok: str) -> bool:
    t = tok.strip(" -'’.")
    return len(t) >= 3 and t[0].isupper() and t.replace("-", "").isalpha() and t.lower() not in NOT_NAMES


def names_in_file_name(path: str) -> list[str]:
    """Person names in CFPP-style file names: runs of capitalised words before a gender mark or an age.

    ``Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2`` → ["Bernard Rosier", "Micheline Rosier"].
    """
    stem = PurePath(path).stem
    tokens = [t for t in re.split(r"[_\s-]+", stem) if t]
    out, run = [], []
    for tok in tokens:
        if tok in ("F", "H", "M") or re.fullmatch(r"\d{2}", tok):
            if run:
                out.append(" ".join(run))
            run = []
        elif _is_name_token(tok) and (not tok.isupper() or len(tok) > 3):
            run.append(tok)
        else:
            run = []
    return out


def speaker_name(label: str) -> str:
    """``"Sonia Branca-Rosoff (ENQ)"`` → ``"Sonia Branca-Rosoff"``."""
    return _PAREN.sub(" ", str(label)).strip()


class Pseudonymiser:
    """Replace person names and document labels by stable pseudonyms in text and tables.

    ``names``: known person names (full names; their parts are matched too).
    ``documents``: doc_id → (label or path, kind). ``nlp``: a spaCy pipeline with
    ``ner`` to catch names no list knows, or None. ``mapping``: previous pseudonyms.
    """

    def __init__(self, names: Iterable[str] = (), *, documents: dict[str, tuple[str, str]] | None = None,
                 nlp=None, mapping: dict[str, dict[str, str]] | None = None, prefix: str = "Personne"):
        self.names = list(names)
        self.documents = documents or {}
        self.nlp = nlp
        self.mapping = mapping or {}
        self.prefix = prefix
        self.persons_: dict[str, str] = dict(self.mapping.get("persons", {}))
        self.docs_: dict[str, str] = dict(self.mapping.get("documents", {}))
        self._cache: dict[str, str] = {}
        self._token_person: dict[str, str] = {}
        for full in sorted({speaker_name(n) for n in self.names if n}, key=_key):
            toks = [t for t in _TOKEN_SPLIT.split(full) if _is_name_token(t) or (t.isupper() and len(t) >= 3)]
            toks = [t for t in toks if t.lower() not in NOT_NAMES]
            if not toks:
                continue
            person = self._person(full)
            for t in toks:
                self._token_person.setdefault(_key(t), person)
                for part in t.split("-"):
                    if len(part) >= 3:
                        self._token_person.setdefault(_key(part), person)
        for doc_id in sorted(self.documents):
            self.document(doc_id)
        self._literals = self._literal_map()
        self._literal_order = sorted(self._literals, key=len, reverse=True)
        self._name_re = self._compile()

    # -- pseudonyms ------------------------------------------------------------------------
    def _person(self, name: str) -> str:
        k = _key(name)
        if k not in self.persons_:
            self.persons_[k] = f"{self.prefix}-{len(self.persons_) + 1:02d}"
        return self.persons_[k]

    def document(self, doc_id: str) -> str:
        """The stable pseudonymous label of a document."""
        if doc_id not in self.docs_:
            kind = (self.documents.get(doc_id) or ("", "document"))[1]
            prefix = _KIND_PREFIX.get(kind, "Document")
            n = sum(v.startswith(prefix + "-") for v in self.docs_.values()) + 1
            self.docs_[doc_id] = f"{prefix}-{n:02d}"
        return self.docs_[doc_id]

    def speaker(self, label: Any) -> Any:
        if label is None or (isinstance(label, float) and label != label):
            return label
        name = speaker_name(label)
        if not name or name.lower() in NOT_NAMES:
            return label
        marker = str(label)[len(name):].strip() if str(label).startswith(name) else ""
        return f"{self._person(name)}{' ' + marker if marker else ''}"

    def _literal_map(self) -> dict[str, str]:
        """Paths, file names and stems of documents → their pseudonymous label."""
        out = {}
        for doc_id, (label, _kind) in self.documents.items():
            if not label:
                continue
            p = PurePath(str(label))
            for form in {str(label), p.name, p.stem}:
                if len(form) >= 4:
                    out[form] = self.docs_[doc_id]
        return out

    def _compile(self) -> re.Pattern | None:
        forms = set()
        for k in self._token_person:
            for variant in (k.title(), k.upper(), k.capitalize(), "-".join(p.capitalize() for p in k.split("-"))):
                forms.add(variant)
        if not forms:
            return None
        alt = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        # a run of known names ("Sonia Branca-Rosoff") is one person
        particle = r"(?:(?:le|la|de|du|des|van|von|d')\s?)?"
        return re.compile(rf"(?<![\w-])(?:{alt})(?:[ -]{particle}(?:{alt}))*(?![\w-])")

    # -- text ------------------------------------------------------------------------------
    def text(self, s: Any) -> Any:
        """The text with document labels and person names replaced."""
        return self.texts([s])[0]

    def texts(self, items: list[Any]) -> list[Any]:
        """Like :meth:`text` for many strings, running NER in one batch."""
        todo = sorted({s for s in items if isinstance(s, str) and s and s not in self._cache})
        relabelled = [self._relabel(s) for s in todo]
        for s, r, spans in zip(todo, relabelled, self._ner_spans(relabelled)):
            self._cache[s] = self._replace(r, spans)
        return [self._cache.get(s, s) if isinstance(s, str) else s for s in items]

    def _relabel(self, s: str) -> str:
        """Document paths, file names and stems → pseudonymous document labels."""
        for lit in self._literal_order:
            if lit in s:
                s = s.replace(lit, self._literals[lit])
        return s

    def _ner_spans(self, items: list[str]) -> list[list[tuple[int, int]]]:
        if self.nlp is None or "ner" not in self.nlp.component_names:
            return [[] for _ in items]
        # The analysis pipeline runs without NER (it does not need it); enable it for this pass only.
        reenable = [p for p in ("tok2vec", "ner") if p in self.nlp.disabled]
        for p in reenable:
            self.nlp.enable_pipe(p)
        out = []
        try:
            with self.nlp.select_pipes(enable=["tok2vec", "ner"]):
                for doc in self.nlp.pipe((s[:100_000] for s in items), batch_size=64):
                    out.append([(e.start_char, e.end_char) for e in doc.ents
                                if e.label_ == "PER" and any(_is_name_token(t.text) for t in e)])
        finally:
            for p in reenable:
                self.nlp.disable_pipe(p)
        return out

    def _replace(self, s: str, ner: list[tuple[int, int]]) -> str:
        spans: list[tuple[int, int, str]] = []
        folded = fold(s)
        if self._name_re is not None:
            for m in self._name_re.finditer(folded):
                first = re.split(r"[ ]", m.group())[0]
                person = self._token_person.get(_key(first)) or self._person(m.group())
                spans.append((m.start(), m.end(), person))
        for a, b in ner:
            name = s[a:b]
            if re.fullmatch(rf"{self.prefix}-\d+|(Entretien|Récit|Monographie|Document)-\d+", name):
                continue
            toks = [t for t in name.split() if _is_name_token(t)]
            person = next((self._token_person[_key(t)] for t in toks if _key(t) in self._token_person), None)
            spans.append((a, b, person or self._person(name)))
        out, pos = [], 0
        for a, b, rep in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
            if a < pos:
                continue
            out.append(s[pos:a])
            out.append(rep)
            pos = b
        out.append(s[pos:])
        return "".join(out)

    # -- tables ------------------------------------------------------------------------------
    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``df`` safe to share: labels, speakers, name columns and texts replaced."""
        out = df.copy()
        for col in out.columns:
            if not (pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col])):
                continue
            if col in ("path", "label", "title", "document") and "doc_id" in out.columns:
                out[col] = [self.document(d) if isinstance(d, str) else v for d, v in zip(out["doc_id"], out[col])]
            elif col == "speaker":
                out[col] = [self.speaker(v) for v in out[col]]
            elif col in NAME_COLUMNS:
                out[col] = [self._person(str(v)) if isinstance(v, str) and v.strip() else v for v in out[col]]
            elif col in STRUCTURAL_COLUMNS:
                out[col] = [self._replace(self._relabel(v), []) if isinstance(v, str) else v for v in out[col]]
            elif col not in ("doc_id", "sha256"):
                out[col] = self.texts(out[col].tolist())
        return out

    # -- persistence -------------------------------------------------------------------------
    def to_mapping(self) -> dict[str, dict[str, str]]:
        return {"persons": dict(self.persons_), "documents": dict(self.docs_)}

    def save(self, out_dir: str | Path) -> Path:
        path = Path(out_dir) / MAPPING_FILE
        atomic_write_text(path, json.dumps(self.to_mapping(), ensure_ascii=False, indent=1, sort_keys=True))
        return path

    @classmethod
    def from_store(cls, store, *, nlp: Any = "auto", save: bool = True) -> "Pseudonymiser":
        """Names from the store (speakers, name attributes, file names) and the saved mapping.

        ``nlp="auto"`` loads the French model for NER; pass None to rely on known names only.
        """
        docs = store.documents(status=None)
        names: set[str] = set()
        names.update(store.speakers())
        for path in docs["path"].dropna():
            names.update(names_in_file_name(path))
        name_cols = [c for c in docs.columns if c in NAME_COLUMNS]
        first = next((c for c in name_cols if c in ("prenom", "prénom")), None)
        for rec in docs[name_cols].to_dict("records") if name_cols else []:
            parts = [str(rec[c]) for c in ([first] if first else []) + [c for c in name_cols if c != first]
                     if isinstance(rec.get(c), str) and rec[c].strip()]
            names.update(p for v in parts for p in re.split(r"[;,|]", v) if p.strip())
            if len(parts) >= 2:
                names.add(" ".join(parts[:2]))
        if "personnes" in docs.columns:  # the persons a register of persons found in a file name
            names.update(p.strip() for v in docs["personnes"].dropna() for p in str(v).split(";") if p.strip())
        mapping_path = Path(store.out_dir) / MAPPING_FILE
        mapping = json.loads(mapping_path.read_text(encoding="utf-8")) if mapping_path.is_file() else None
        if nlp == "auto":
            from narratif.nlp.parse import load_nlp

            nlp = load_nlp()
        documents = {d: (p, k) for d, p, k in zip(docs["doc_id"], docs["path"], docs["kind"])}
        pseudo = cls(sorted(names), documents=documents, nlp=nlp, mapping=mapping)
        if save and not getattr(store, "read_only", False):
            pseudo.save(store.out_dir)
        return pseudo
