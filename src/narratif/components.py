"""Registers narratif's spaCy factories and ``._`` extensions on import."""

from __future__ import annotations

from . import extensions

extensions.set_extensions()

from . import timeline, turning_points  # noqa: E402,F401  (their factories register on import)
