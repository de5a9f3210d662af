"""Registers narratif's spaCy factories and ``._`` extensions on import."""

from __future__ import annotations

from narratif.nlp import extensions

extensions.set_extensions()

from narratif.timeline import expressions  # noqa: E402,F401  (their factories register on import)
