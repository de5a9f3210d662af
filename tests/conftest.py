"""Shared fixtures. ``../shared`` (real material written by others) sits beside the repo."""

from __future__ import annotations

import os
import sys
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
    from narratif.nlp.parse import load_nlp

    return load_nlp()


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory):
    """One Prefect home per test worker (created once; Prefect's first start is slow)."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    yield home
    # a flow run in this process started Prefect's temporary server: stop it, or it outlives the
    # test worker (xdist workers end without the atexit hook that would stop it)
    server_module = sys.modules.get("prefect.server.api.server")
    for server in list(getattr(getattr(server_module, "SubprocessASGIServer", None), "_instances", {}).values()):
        try:
            server.stop()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass


@pytest.fixture(scope="session")
def small_corpus(shared_dir, tmp_path_factory) -> Path:
    """A few real stories and one real interview, plus bad files, in one input folder."""
    import shutil

    d = tmp_path_factory.mktemp("small-corpus")
    for name in ("2019_histoireDeBanlieue.txt", "2021_nouvelleCollegue.txt", "2022_rencontreALiege.txt"):
        shutil.copy(shared_dir / "corpora" / "parisstories" / name, d / name)
    src = (shared_dir / "corpora" / "cfpp2000" / "Mira_F_88_14e-v2.txt").read_text(encoding="utf-8")
    (d / "Mira_extrait.txt").write_text("\n".join(src.splitlines()[:80]) + "\n", encoding="utf-8")
    shutil.copy(shared_dir / "pdfs" / "robustness" / "empty.pdf", d / "empty.pdf")
    shutil.copy(shared_dir / "pdfs" / "robustness" / "rc4-128.pdf", d / "chiffre.pdf")
    (d / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    return d
