"""Case attributes: a CSV or YAML sidecar describing each document.

Like NVivo classifications or Iramuteq starred variables, a sidecar (``--meta FILE``)
gives each document attributes — collectif/territory, role, age, gender, date,
``kind`` (monograph | interview | story) or any other column — so findings can be
compared across groups. Rows name documents by file name, relative path or stem
(case-insensitive). Mistakes are reported with the file and line, never guessed.
A file of persons (first name and surname columns, no document column) is matched to
the files whose names hold both names (:class:`PersonAttributeTable`).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, NamedTuple

import yaml

from narratif.ingest.base import QuarantineError
from narratif.ingest.text import decode_bytes
from narratif.ingest.transcript import fold_name
from narratif.models import DOCUMENT_KINDS

#: Accepted names of the column naming the document, in order of preference.
KEY_COLUMNS = ("document", "doc", "file", "fichier", "path", "filename", "chemin")
#: Columns naming speakers whose turns get a given role (see :func:`speaker_roles`).
ROLE_COLUMNS = {"interviewer": "interviewer", "interviewers": "interviewer", "enqueteur": "interviewer",
                "enquêteur": "interviewer", "narrator": "narrator", "narrators": "narrator"}
MAX_SIDECAR_BYTES = 20 * 1024 * 1024


class AttributeFileError(ValueError):
    """A sidecar that cannot be used as given; the message names the file and the line."""


def normalise_name(name: Any) -> str:
    """``" Année de naissance "`` → ``"année_de_naissance"``."""
    return re.sub(r"\s+", "_", str(name).strip().lower())


def _normalise_key(key: str) -> str:
    k = key.strip().replace("\\", "/").lower()
    while k.startswith("./"):
        k = k[2:]
    return k.strip("/")


def _value(v: Any, where: str) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        if any(isinstance(x, (list, tuple, dict)) for x in v):
            raise AttributeFileError(f"{where}: nested values are not supported")
        items = [s for s in (_value(x, where) for x in v) if s is not None]
        return "; ".join(items) or None
    if isinstance(v, dict):
        raise AttributeFileError(f"{where}: an attribute value cannot be a mapping")
    s = str(v).strip()
    return s or None


@dataclass(slots=True)
class AttributeRow:
    document: str  # as written in the sidecar
    attributes: dict[str, str | None]
    line: int


@dataclass
class AttributeTable:
    """Attributes per document, looked up by path, file name or stem."""

    source: Path
    rows: list[AttributeRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        seen: dict[str, AttributeRow] = {}
        for row in self.rows:
            key = _normalise_key(row.document)
            if not key:
                raise AttributeFileError(f"{self.source}: line {row.line}: empty document name")
            if key in seen:
                raise AttributeFileError(f"{self.source}: line {row.line}: document {row.document!r} is "
                                         f"already described on line {seen[key].line}")
            seen[key] = row
        self._by_key = seen
        self._by_name: dict[str, list[AttributeRow]] = {}
        self._by_stem: dict[str, list[AttributeRow]] = {}
        for key, row in seen.items():
            name = PurePosixPath(key).name
            self._by_name.setdefault(name, []).append(row)
            self._by_stem.setdefault(name, []).append(row)  # a key written without its suffix

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def columns(self) -> list[str]:
        cols: dict[str, None] = {}
        for row in self.rows:
            cols.update(dict.fromkeys(row.attributes))
        return list(cols)

    def row_for(self, path: str | Path) -> AttributeRow | None:
        """The row describing ``path``: longest matching relative path, else unique name, else a key that is its stem."""
        p = PurePosixPath(str(path).replace("\\", "/").lower())
        parts = p.parts
        for n in range(len(parts), 1, -1):  # "sub/x.txt" matches ".../sub/x.txt"
            row = self._by_key.get("/".join(parts[-n:]))
            if row is not None:
                return row
        for index, key in ((self._by_key, p.name), (self._by_name, p.name), (self._by_stem, p.stem)):
            hit = index.get(key)
            if isinstance(hit, AttributeRow):
                return hit
            if hit and len(hit) == 1:
                return hit[0]
        return None

    def for_file(self, path: str | Path) -> dict[str, str | None]:
        """Attributes of ``path`` (a copy; empty when the sidecar does not name it)."""
        row = self.row_for(path)
        return dict(row.attributes) if row else {}

    def unmatched(self, files: Iterable[str | Path]) -> list[AttributeRow]:
        """Sidecar rows that name none of ``files`` (a typo, or a file left out of the inputs)."""
        used = {id(r) for r in (self.row_for(f) for f in files) if r is not None}
        return [r for r in self.rows if id(r) not in used]

    def without_attributes(self, files: Iterable[str | Path]) -> list[Path]:
        """Input files that no sidecar row describes."""
        return [Path(f) for f in files if self.row_for(f) is None]

    def validate(self, files: Iterable[str | Path]) -> None:
        """Raise :class:`AttributeFileError` if a row names a file that is not among the inputs."""
        missing = self.unmatched(list(files))
        if missing:
            shown = ", ".join(f"line {r.line}: {r.document!r}" for r in missing[:5])
            more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
            raise AttributeFileError(f"{self.source}: rows name documents that are not among the inputs: "
                                     f"{shown}{more}")


#: Key of a row in a file that describes persons, not documents (CFPP2000's ``metadata.csv``).
PERSON_KEY = "personne"
_FIRST_NAME_COLUMNS = ("prenom", "prénom", "first_name", "firstname")
_SURNAME_COLUMNS = ("nom", "surname", "last_name", "lastname", "nom_de_famille")


def _person_columns(header: list[str]) -> list[str]:
    """The first-name and surname columns of a person table (both needed), else []."""
    first = next((c for c in _FIRST_NAME_COLUMNS if c in header), None)
    last = next((c for c in _SURNAME_COLUMNS if c in header), None)
    return [first, last] if first and last else []


def _words(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", fold_name(s)) if w]


@dataclass
class PersonAttributeTable(AttributeTable):
    """Attributes per *person* (rows with first name and surname, no document column), matched
    to files by the names in their file names, as corpora such as CFPP2000 give them
    (``Bernard_Rosier_H_60_Micheline_Rosier_58_12e-v2.txt``). A file naming several persons gets
    the attributes of the first one named and a per-person ``birth_year``
    (« Bernard Rosier: 1947; Micheline Rosier: 1949 ») that dates each narrator's ages."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for row in self.rows:
            a = row.attributes
            a.pop(PERSON_KEY, None)
            derive_birth_year(a)  # « année de naissance » → ``birth_year`` (rows made in code too)
        self._names = {id(r): (_words(r.attributes.get(_first_col(r)) or ""), _words(_surname(r))) for r in self.rows}
        self._ages = {id(r): next((str(v).strip() for k, v in r.attributes.items() if v and fold_name(k) == "age"), "")
                      for r in self.rows}

    def persons_in(self, path: str | Path) -> list[AttributeRow]:
        """Persons named in the file name, in the order the file name gives them: every word
        of the surname and one of the first name. A surname spelt a letter or two apart (« Marc
        Jakobson » / MARK JACOBSON, « Ian Krachski » / JAN KRACHSKI, « Marie Louise Orsin » /
        DOMINIQUE ORSING, who speaks as « Dominique Orsin » in her transcript), or a first name
        alone (``Mathis_H_19``), is read too when the age the file name gives after it is the
        register's."""
        stem = _words(PurePosixPath(str(path).replace("\\", "/")).stem)
        found, used = [], set()
        for row in self.rows:
            first, last = self._names[id(row)]
            if not last or not all(w in stem for w in last) or (first and not any(w in stem for w in first)):
                continue
            at = [stem.index(w) for w in first + last if w in stem]
            found.append((min(at), row))
            used.update(at)
        exact = {id(r) for _, r in found}
        loose = [(i, row) for i, row in self._loosely_named(stem, used) if id(row) not in exact]
        return [r for _, r in sorted(found + loose, key=lambda x: x[0])]

    def _loosely_named(self, stem: list[str], used: set[int]) -> list[tuple[int, AttributeRow]]:
        """(position, row) of the persons the file name names loosely, each confirmed by its age."""
        free = [i for i in range(len(stem)) if i not in used and not stem[i].isdigit()]
        found = []
        for row in self.rows:
            first, last = self._names[id(row)]
            age = self._ages[id(row)]
            if not age.isdigit():
                continue
            at_last = [next((i for i in free if _spelt_like(w, stem[i])), None) for w in last]
            if last and None not in at_last:  # the surname, spelt alike, with the person's age
                if _age_after(stem, max(at_last)) == age:
                    at_first = [i for i in free if any(_spelt_like(w, stem[i]) for w in first) and i < min(at_last)]
                    found.append((min(at_first + at_last), row))
                continue
            at_first = [i for i in free if stem[i] in first]
            if at_first and not _with_surname(stem, at_first[0]) and _age_after(stem, at_first[0]) == age:
                found.append((at_first[0], row))  # a first name alone, with its age
        return found

    def row_for(self, path: str | Path) -> AttributeRow | None:
        persons = self.persons_in(path)
        if len(persons) <= 1:
            return persons[0] if persons else None
        attrs = dict(persons[0].attributes)
        born = [f"{r.document}: {r.attributes['birth_year']}" for r in persons if r.attributes.get("birth_year")]
        if born:
            attrs["birth_year"] = "; ".join(born)
        attrs["personnes"] = "; ".join(r.document for r in persons)
        return AttributeRow(persons[0].document, attrs, persons[0].line)

    def unmatched(self, files: Iterable[str | Path]) -> list[AttributeRow]:
        return []  # a register of persons may describe more people than the inputs hold


def _spelt_like(a: str, b: str) -> bool:
    """The same name spelt a letter or two apart (Mark / Marc, Jacobson / Jakobson)."""
    return a == b or (min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.75)


def _with_surname(stem: list[str], i: int) -> bool:
    """Whether the first name at word ``i`` comes with a surname (a word before its age):
    « Didier Pujade 36 » names someone the register does not, not a DIDIER of another family."""
    nxt = stem[i + 1] if i + 1 < len(stem) else ""
    return bool(nxt) and not nxt.isdigit() and len(nxt) > 1


def _age_after(stem: list[str], i: int) -> str | None:
    """The age a file name gives for the person named at word ``i``: the first number within
    the next four words (``marc jakobson h 83``), else None."""
    for w in stem[i + 1:i + 5]:
        if w.isdigit():
            return w
    return None


def _first_col(row: AttributeRow) -> str:
    return next((c for c in _FIRST_NAME_COLUMNS if c in row.attributes), "prenom")


def _surname(row: AttributeRow) -> str:
    return next((row.attributes[c] or "" for c in _SURNAME_COLUMNS if c in row.attributes), "")


# --------------------------------------------------------------------------- readers


def _finish(attrs: dict[str, str | None], where: str) -> dict[str, str | None]:
    kind = attrs.get("kind")
    if kind is not None:
        attrs["kind"] = kind.lower()
        if attrs["kind"] not in DOCUMENT_KINDS:
            raise AttributeFileError(f"{where}: kind {kind!r} is not one of {', '.join(DOCUMENT_KINDS)}")
    derive_birth_year(attrs)
    return attrs


def _key_column(columns: list[str]) -> str | None:
    for k in KEY_COLUMNS:
        if k in columns:
            return k
    return None


def _read_csv(path: Path, text: str) -> list[AttributeRow]:
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        delimiter = max(",;\t", key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True)
    header: list[str] | None = None
    rows: list[AttributeRow] = []
    key_col = None
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [normalise_name(c) for c in cells]
            key_col = _key_column(header)
            if key_col is None and _person_columns(header):
                key_col = PERSON_KEY
                header = [PERSON_KEY] + header
            if key_col is None:
                raise AttributeFileError(f"{path}: line {line}: no document column; name one of "
                                         f"{', '.join(KEY_COLUMNS)}, or give persons with prenom and nom "
                                         f"columns (found {', '.join(header)})")
            dup = sorted({c for c in header if c and header.count(c) > 1})
            if dup:
                raise AttributeFileError(f"{path}: line {line}: duplicate column(s) {', '.join(dup)}")
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise AttributeFileError(f"{path}: line {line}: {len(cells)} values for {len(header)} columns "
                                     f"(a value containing the delimiter {delimiter!r} must be quoted)")
        values = dict(zip(header[1:], cells)) if key_col == PERSON_KEY else dict(zip(header, cells))
        if key_col == PERSON_KEY:
            values[PERSON_KEY] = " ".join(values.get(c) or "" for c in _person_columns(header)).strip()
        doc = (values.pop(key_col, "") or "").strip()
        if not doc:
            raise AttributeFileError(f"{path}: line {line}: the {key_col!r} column is empty")
        attrs = {c: _value(v, f"{path}: line {line}") for c, v in values.items() if c}
        for c in header:
            if c and c != key_col:
                attrs.setdefault(c, None)
        if key_col == PERSON_KEY:
            attrs[PERSON_KEY] = doc  # tells load_attributes this is a register of persons
        rows.append(AttributeRow(doc, _finish(attrs, f"{path}: line {line}"), line))
    if header is None:
        raise AttributeFileError(f"{path}: the file is empty")
    return rows


def _read_yaml(path: Path, text: str) -> list[AttributeRow]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AttributeFileError(f"{path}: {where}malformed YAML ({problem})") from None
    if data is None:
        raise AttributeFileError(f"{path}: the file is empty")
    rows: list[AttributeRow] = []
    if isinstance(data, list):
        lines = [item.start_mark.line + 1 for item in node.value]
        for item, line in zip(data, lines):
            where = f"{path}: line {line}"
            if not isinstance(item, dict):
                raise AttributeFileError(f"{where}: each entry must be a mapping with a document key")
            item = {normalise_name(k): v for k, v in item.items()}
            key_col = _key_column(list(item))
            if key_col is None:
                raise AttributeFileError(f"{where}: entry without a document key ({', '.join(KEY_COLUMNS)})")
            doc = _value(item.pop(key_col), where)
            if not doc:
                raise AttributeFileError(f"{where}: the {key_col!r} key is empty")
            attrs = {k: _value(v, where) for k, v in item.items()}
            rows.append(AttributeRow(doc, _finish(attrs, where), line))
    elif isinstance(data, dict):
        lines = [k.start_mark.line + 1 for k, _ in node.value]
        for (doc, attrs_in), line in zip(data.items(), lines):
            where = f"{path}: line {line}"
            if attrs_in is None:
                attrs_in = {}
            if not isinstance(attrs_in, dict):
                raise AttributeFileError(f"{where}: attributes of {doc!r} must be a mapping")
            attrs = {normalise_name(k): _value(v, where) for k, v in attrs_in.items()}
            rows.append(AttributeRow(str(doc), _finish(attrs, where), line))
    else:
        raise AttributeFileError(f"{path}: expected a list of entries or a mapping document → attributes")
    return rows


def load_attributes(path: str | Path) -> AttributeTable:
    """Read a CSV (``,`` ``;`` or tab) or YAML/JSON sidecar into an :class:`AttributeTable`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AttributeFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_SIDECAR_BYTES:
        raise AttributeFileError(f"{path}: {len(data)} bytes is too large for an attribute file")
    try:
        text = decode_bytes(data, path.name).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    except QuarantineError as exc:
        raise AttributeFileError(f"{path}: {exc.message}") from None
    if not text.strip():
        raise AttributeFileError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        rows = _read_yaml(path, text)
    elif suffix in (".csv", ".tsv", ".txt", ""):
        rows = _read_csv(path, text)
    else:
        raise AttributeFileError(f"{path}: unsupported attribute file type {suffix!r} (use .csv, .yaml or .json)")
    if rows and all(PERSON_KEY in r.attributes for r in rows):
        return PersonAttributeTable(path, rows)
    return AttributeTable(path, rows)


# --------------------------------------------------------------------------- derived attributes

#: Attribute names (accents and case folded) that give a birth year, and the interview's year or date.
BIRTH_KEYS = ("birth_year", "annee_de_naissance", "annee_naissance", "naissance", "born")
INTERVIEW_KEYS = ("year", "interview_year", "date", "interview_date", "annee")
_YEAR_RE = re.compile(r"\b(?:18|19|20)\d\d\b")


class LifeYears(NamedTuple):
    birth: int | None
    interview: int | None


def fold_key(key: str) -> str:
    """« Année de naissance » → ``annee_de_naissance``: how attribute names are compared."""
    return "_".join(fold_name(str(key)).split())


def life_years(attributes: dict | None) -> LifeYears:
    """The narrator's birth year and the year of the interview that a document's attributes give.

    Each is read where it is written (``birth_year``, « Année de naissance », ``year``,
    ``date``…: accents and case folded; the first year written, so « Ana: 1950; Marc: 1971 »
    gives 1950), else derived from the other and ``age``, the narrator's age at the interview
    (CFPP2000's register gives birth year and age). The one place both are derived: the
    timeline counts « il y a vingt ans » back from the interview year and dates ages from the
    birth year; the attribute tables store the derived birth year."""
    a = {fold_key(k): v for k, v in (attributes or {}).items() if v not in (None, "") and v == v}
    birth, interview = _year_in(a, BIRTH_KEYS), _year_in(a, INTERVIEW_KEYS)
    m = re.search(r"\d{1,3}", str(a.get("age", "")))
    age = int(m.group()) if m and 0 < int(m.group()) < 120 else None
    if age is not None:
        birth = birth if birth is not None or interview is None else interview - age
        interview = interview if interview is not None or birth is None else birth + age
    return LifeYears(birth, interview)


def _year_in(a: dict, keys: Iterable[str]) -> int | None:
    """The first calendar year written under one of ``keys``."""
    return next((int(m.group()) for k in keys if (m := _YEAR_RE.search(str(a.get(k, ""))))), None)


def derive_birth_year(attrs: dict[str, str | None]) -> dict[str, str | None]:
    """Add ``birth_year`` when it is absent and :func:`life_years` can tell it (a birth year
    under another name, or interview year − age)."""
    if not attrs.get("birth_year"):
        birth = life_years(attrs).birth
        if birth is not None:
            attrs["birth_year"] = str(birth)
    return attrs


def speaker_roles(attrs: dict[str, Any]) -> dict[str, str]:
    """Speaker → role from ``interviewer``/``narrator`` columns (names separated by ``;`` or ``,``).

    Feed to :func:`narratif.ingest.transcript.assign_roles` to mark an unmarked interviewer.
    """
    roles: dict[str, str] = {}
    for col, role in ROLE_COLUMNS.items():
        value = attrs.get(col)
        if value:
            for name in re.split(r"[;,]", str(value)):
                if name.strip():
                    roles[name.strip()] = role
    return roles
