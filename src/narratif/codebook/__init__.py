"""The codebook: format and validation (:mod:`.schema`), files (:mod:`.load`, :mod:`.qdc`)."""

from narratif.codebook.load import load_codebook
from narratif.codebook.schema import CATEGORIES, Code, Codebook, CodebookError, default_codebook_path, parse_codebook

__all__ = ["CATEGORIES", "Code", "Codebook", "CodebookError", "default_codebook_path", "load_codebook", "parse_codebook"]
