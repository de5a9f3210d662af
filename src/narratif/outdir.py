"""What an output folder records about its runs, so every later command uses the same settings
and the folder can be copied or moved.

A store records the codebook its runs coded with (path and digest), so ``narratif export``,
``topics`` and ``train`` use it without ``--codebook`` being given again.

A store records where the runs on it read fitted models (``narratif review`` adapts the
turning-point typing there). Recorded relative to the output folder when inside it, a
copy of the folder reads and writes its own models, never those of the folder it was
copied from; a folder outside it (given with ``--models-dir``) is recorded as given,
absolute: the runs were told to use it.
"""

from __future__ import annotations

from pathlib import Path

import hashlib

MODELS_DIR_KEY = "models_dir"
CODEBOOK_KEY = "codebook"
CODEBOOK_DIGEST_KEY = "codebook_sha256"


def portable_path(out_dir: str | Path, path: str | Path) -> str:
    """``path`` as an output folder records it: relative to ``out_dir`` when inside it
    (POSIX separators), else absolute."""
    out, target = Path(out_dir).resolve(), Path(path).resolve()
    try:
        return target.relative_to(out).as_posix() or "."
    except ValueError:
        return str(target)


def resolve_recorded(out_dir: str | Path, value: str | None) -> Path | None:
    """A recorded path, against the output folder it is read from (``None`` when none is recorded)."""
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(out_dir) / Path(*value.split("/"))


def record_models_dir(store, models_dir: str | Path) -> None:
    """Record where the runs on ``store`` read fitted models."""
    store.set_meta(MODELS_DIR_KEY, portable_path(store.out_dir, models_dir))


def recorded_models_dir(store) -> Path:
    """Where the runs on ``store`` read fitted models, for the output folder it was opened in:
    the recorded folder, else ``OUT/models`` (the runs' default)."""
    return resolve_recorded(store.out_dir, store.get_meta(MODELS_DIR_KEY)) or Path(store.out_dir) / "models"


def record_codebook(store, codebook: str | Path | None) -> None:
    """Record the codebook a run codes with (``None``: the shipped one) and its digest."""
    from narratif.codebook import default_codebook_path

    path = Path(codebook) if codebook else default_codebook_path()
    store.set_meta(CODEBOOK_KEY, portable_path(store.out_dir, path) if codebook else "")
    store.set_meta(CODEBOOK_DIGEST_KEY, hashlib.sha256(path.read_bytes()).hexdigest())


def recorded_codebook(store) -> Path | None:
    """The codebook the runs on ``store`` coded with (``None``: the shipped one, or nothing recorded)."""
    return resolve_recorded(store.out_dir, store.get_meta(CODEBOOK_KEY))


def run_codebook(out_dir: str | Path, given: str | Path | None) -> Path | None:
    """The codebook a command on ``out_dir`` uses: the one given, else the one its runs recorded."""
    if given is not None:
        return Path(given)
    from narratif.store import Store

    if not (Path(out_dir) / "narratif.duckdb").is_file():
        return None
    with Store(out_dir, read_only=True) as store:
        return recorded_codebook(store)


__all__ = ["portable_path", "record_codebook", "record_models_dir", "recorded_codebook", "recorded_models_dir",
           "resolve_recorded", "run_codebook"]
