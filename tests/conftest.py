"""Shared fixtures. ``../shared`` (real material written by others) sits beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NARRATIF_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: CI and developers must have it beside the repo")
    return SHARED


@pytest.fixture(scope="session")
def nlp():
    """The real French model, loaded once per test session."""
    from narratif.nlp import load_nlp

    return load_nlp()
