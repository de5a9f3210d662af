"""Registers narratif's spaCy factories and ``._`` extensions on import."""

from __future__ import annotations

from . import extensions

extensions.set_extensions()

for _mod in ("turning_points", "timeline", "lexicon"):
    try:
        __import__(f"narratif.{_mod}")
    except ImportError:  # module not present in this build
        pass
