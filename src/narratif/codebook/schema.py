"""Codebooks: hierarchical codes read from YAML, validated with clear errors.

A codebook is what analysts code against. It is data, written by people, so it
is loaded with ``yaml.safe_load`` and validated with pydantic; every error names
the file and the code (and field) at fault. The format is documented in
``models/codebooks/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from narratif._paths import CHECKOUT_ROOT, DATA_DIR

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Top-level groups of codes; consumers select e.g. "the six themes" by category.
CATEGORIES = ("themes", "dimensions", "levers", "miaou")


class CodebookError(ValueError):
    """A codebook file that cannot be read or does not validate."""


class Code(BaseModel):
    """One code: what it means, and the words and sentences that evidence it."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    id: str
    label: str
    description: str = ""
    #: single words or multi-word expressions, matched on lemmas and lower-case forms
    keywords: list[str] = Field(default_factory=list)
    #: terms that weigh more (specific to this code); matched like keywords
    strong_keywords: list[str] = Field(default_factory=list)
    #: expressions whose presence must not count as evidence (e.g. "capital humain")
    exclusions: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    color: str | None = None
    children: list["Code"] = Field(default_factory=list)
    # filled by the loader, not by the YAML author
    parent: str | None = None
    category: str = ""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"code id {v!r} must be lower-case ascii words joined by '_' (sub-codes may use '.')")
        return v

    @field_validator("color")
    @classmethod
    def _valid_color(cls, v: str | None) -> str | None:
        if v is not None and not _COLOR_RE.match(v):
            raise ValueError(f"color {v!r} must look like '#1f77b4'")
        return v

    @field_validator("keywords", "strong_keywords", "exclusions", "examples")
    @classmethod
    def _no_blank(cls, v: list[str]) -> list[str]:
        out = [s.strip() for s in v]
        if any(not s for s in out):
            raise ValueError("empty string in list")
        return out

    def all_terms(self) -> list[str]:
        return [*self.keywords, *self.strong_keywords]


class _CodebookFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = "1"
    language: str = "fr"
    description: str = ""
    #: sentences that match no code (off-topic talk); they teach the default
    #: classifier what "none of these" looks like
    background: list[str] = Field(default_factory=list)
    categories: dict[str, list[Code]]


class Codebook:
    """A validated codebook: hierarchical codes flattened in reading order."""

    def __init__(self, *, name: str, version: str, language: str, description: str,
                 categories: dict[str, list[Code]], background: list[str], source: str):
        self.name = name
        self.version = version
        self.language = language
        self.description = description
        self.categories = categories
        self.background = background
        self.source = source
        self.codes: list[Code] = list(self._walk())
        self._by_id = {c.id: c for c in self.codes}

    def _walk(self) -> Iterator[Code]:
        def rec(code: Code, parent: Code | None, category: str) -> Iterator[Code]:
            code.parent = parent.id if parent else None
            code.category = category
            if code.color is None and parent is not None:  # sub-codes take their parent's colour
                code.color = parent.color
            yield code
            for child in code.children:
                yield from rec(child, code, category)

        for category, codes in self.categories.items():
            for code in codes:
                yield from rec(code, None, category)

    def get(self, code_id: str) -> Code:
        try:
            return self._by_id[code_id]
        except KeyError:
            raise KeyError(f"no code {code_id!r} in codebook {self.name!r}") from None

    def __contains__(self, code_id: str) -> bool:
        return code_id in self._by_id

    def __len__(self) -> int:
        return len(self.codes)

    def ids(self, category: str | None = None, *, top_level: bool = False) -> list[str]:
        return [c.id for c in self.codes
                if (category is None or c.category == category) and (not top_level or c.parent is None)]

    @property
    def theme_ids(self) -> list[str]:
        """Top-level codes of the ``themes`` category (the study's six themes)."""
        return self.ids("themes", top_level=True)

    def top_level(self, code_id: str) -> str:
        """The top-level ancestor of a code (itself for a top-level code)."""
        code = self.get(code_id)
        while code.parent is not None:
            code = self.get(code.parent)
        return code.id

    def descendants(self, code_id: str) -> list[str]:
        out: list[str] = []
        for child in self.get(code_id).children:
            out.append(child.id)
            out.extend(self.descendants(child.id))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "version": self.version, "language": self.language,
            "description": self.description, "background": self.background,
            "categories": {k: [c.model_dump(exclude={"parent", "category"}) for c in v]
                           for k, v in self.categories.items()},
        }

    def fingerprint(self) -> str:
        """Stable hash of the content (not of the file's formatting)."""
        blob = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Codebook({self.name!r}, {len(self.codes)} codes, categories={list(self.categories)})"


def default_codebook_path() -> Path:
    """The shipped codebook of the study (``models/codebooks/ess_transitions.yaml``).

    ``narratif/data/ess_transitions.yaml`` links to it, so an installed wheel (which has no
    ``models/`` folder) carries the same file."""
    candidates = (CHECKOUT_ROOT / "models" / "codebooks" / "ess_transitions.yaml",
                  DATA_DIR / "ess_transitions.yaml")
    for p in candidates:
        if p.is_file():
            return p
    raise CodebookError("default codebook not found (models/codebooks/ess_transitions.yaml or the copy "
                        "installed with the package, narratif/data/ess_transitions.yaml)")


def _where(loc: tuple, raw: dict) -> str:
    """Turn a pydantic error location into 'code <id>, field <f>'."""
    node: Any = raw
    code_id = None
    field = None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            field = part
            break
        if isinstance(node, dict) and "id" in node:
            code_id = node.get("id")
        field = part
    where = f"code {code_id!r}, " if code_id else ""
    return f"{where}field {field!r} (at {'/'.join(map(str, loc))})"


def parse_codebook(data: Any, *, source: str = "<memory>") -> Codebook:
    """Validate an already-loaded mapping (the YAML content)."""
    if not isinstance(data, dict):
        raise CodebookError(f"{source}: a codebook must be a mapping with 'name' and 'categories'")
    try:
        raw = _CodebookFile.model_validate(data)
    except ValidationError as exc:
        msgs = [f"{_where(tuple(e['loc']), data)}: {e['msg']}" for e in exc.errors()]
        raise CodebookError(f"{source}: invalid codebook:\n  " + "\n  ".join(msgs)) from None
    unknown = [k for k in raw.categories if k not in CATEGORIES]
    if unknown:
        raise CodebookError(f"{source}: unknown categories {unknown}; allowed: {list(CATEGORIES)}")
    book = Codebook(name=raw.name, version=raw.version, language=raw.language, description=raw.description,
                    categories=raw.categories, background=raw.background, source=source)
    seen: set[str] = set()
    for code in book.codes:
        if code.id in seen:
            raise CodebookError(f"{source}: duplicate code id {code.id!r}")
        seen.add(code.id)
        if not code.all_terms() and not code.examples and not code.description:
            raise CodebookError(f"{source}: code {code.id!r} has no description, keywords nor examples: "
                                "nothing could ever evidence it")
    return book
