"""Paths an output folder records about itself, kept so that the folder can be copied or moved.

A store records where the runs on it read fitted models (``narratif review`` adapts the
turning-point typing there). Recorded relative to the output folder when inside it, a
copy of the folder reads and writes its own models, never those of the folder it was
copied from; a folder outside it (given with ``--models-dir``) is recorded as given,
absolute: the runs were told to use it.
"""

from __future__ import annotations

from pathlib import Path

MODELS_DIR_KEY = "models_dir"


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


__all__ = ["portable_path", "record_models_dir", "recorded_models_dir", "resolve_recorded"]
