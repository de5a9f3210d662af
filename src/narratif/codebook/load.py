"""Reading a codebook file: the project's YAML format or a REFI-QDA .qdc from QDA software."""

from __future__ import annotations

from pathlib import Path

import yaml

from narratif.codebook.schema import Codebook, CodebookError, default_codebook_path, parse_codebook


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a YAML codebook (None: the shipped default)."""
    p = Path(path) if path is not None else default_codebook_path()
    if p.suffix.lower() == ".qdc":  # a REFI-QDA codebook from NVivo, ATLAS.ti, MAXQDA, QualCoder
        from narratif.codebook.qdc import read_qdc

        return read_qdc(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CodebookError(f"{p}: cannot read codebook: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{p}: not valid YAML: {exc}") from None
    return parse_codebook(data, source=str(p))
