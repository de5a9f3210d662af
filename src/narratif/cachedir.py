"""Where narratif keeps what it can compute again, and where it may write it.

Caches only save start-up time (the French tokenizer's compiled pattern, the fitted
default coder). They follow the output-folder rule: narratif writes them into
``$NARRATIF_CACHE_DIR`` when set, else into the run's models folder (``OUT/models/cache``),
never into the home folder. It also *reads* the environment's own cache
(``<sys.prefix>/share/narratif/cache``), filled once at setup by ``narratif prepare``, so a
quick check outside any run (``narratif code "…"``) starts fast without writing anything.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "NARRATIF_CACHE_DIR"


def install_dir() -> Path:
    """The environment's cache, written by ``narratif prepare`` (setup), read by every process."""
    return Path(sys.prefix) / "share" / "narratif" / "cache"


def write_dir(models_dir: Path | None = None) -> Path | None:
    """``$NARRATIF_CACHE_DIR``, else ``models_dir/cache``, else None (nothing is written)."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    return Path(models_dir) / "cache" if models_dir is not None else None


def read_dirs(models_dir: Path | None = None) -> list[Path]:
    """Where a cached item is looked for, first hit wins: the write folder, then the environment's."""
    return lookup(write_dir(models_dir))


def lookup(write: Path | None) -> list[Path]:
    """The folders read for a cache written in ``write``: that folder, then the environment's."""
    return list(dict.fromkeys(d for d in (write, install_dir()) if d is not None))
