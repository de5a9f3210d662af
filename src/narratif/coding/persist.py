"""The fitted default coder, kept on disk so a quick check does not refit it on every call.

Fitting the default coder (lemmatising every codebook keyword, fitting the classifiers on
the codebook's examples) costs about two seconds per process. Its learned state is saved
once in a cache file named by a key that covers everything the fit depends on: the
codebook's content, the spaCy model, the embedding backend, the fit parameters, the
versions of scikit-learn, NumPy and spaCy, and the source of the coding modules. Any
change gives a new key, hence a fresh fit; nothing is downloaded.

The cache folder is ``$NARRATIF_CACHE_DIR`` when set, else the run's models directory
(``OUT/models/cache``): an output folder stays self-contained, and nothing is written
outside it unless that variable says where. The environment's own cache, filled at setup
by ``narratif prepare``, is read as well (:mod:`narratif.cachedir`), so a quick
``narratif code`` outside any run does not refit either. A file that cannot be read is ignored with a one-line warning and replaced; a
folder that cannot be written only costs the refit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Iterable

import joblib

from narratif import cachedir
from narratif.atomic import atomic_write

log = logging.getLogger(__name__)
CACHE_ENV = cachedir.ENV
_FORMAT = 1
#: cache files kept per folder (several worktrees or versions may share one)
_KEEP = 8
_SOURCES = ("classifier.py", "coder.py", "lexicon.py", "semantic.py", "persist.py", "vocabulary.py")


def default_cache_dir(models_dir: Path | None = None) -> Path | None:
    """Where a fitted coder is saved: :func:`narratif.cachedir.write_dir`."""
    return cachedir.write_dir(models_dir)


def _source_digest() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def cache_key(coder: Any) -> str:
    """What the default fit of ``coder`` (a resolved :class:`~narratif.coding.SegmentCoder`;
    not imported here, the coder imports this module) depends on."""
    import numpy
    import sklearn
    import spacy

    from narratif.nlp.parse import model_signature

    blob = {"format": _FORMAT, "code": _source_digest(), "codebook": coder.codebook_.fingerprint(),
            "model": model_signature(coder.nlp_), "backend": coder.backend_.signature(),
            "classifier_C": coder.classifier_C, "codebook_examples": coder.codebook_examples,
            "features": coder.features,
            "vocabulary": coder.vocabulary_.digest() if coder.vocabulary_ is not None else None,
            "sklearn": sklearn.__version__, "numpy": numpy.__version__, "spacy": spacy.__version__}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:20]


def cache_path(coder: Any, cache_dir: Path) -> Path:
    return Path(cache_dir) / "coding" / f"default-coder-{cache_key(coder)}.joblib"


def load_state(path: Path) -> dict | None:
    """The saved state at ``path``, or None when absent or unreadable (then it is refitted)."""
    if not path.is_file():
        return None
    try:
        saved = joblib.load(path)
        if not isinstance(saved, dict) or saved.get("key") != path.stem.removeprefix("default-coder-"):
            raise ValueError("not a saved coder state for this key")
        return saved["state"]
    except Exception as exc:  # noqa: BLE001  any broken cache file is refitted, never fatal
        log.warning("%s: ignoring the cached coder (%s: %s); fitting it again", path, type(exc).__name__, exc)
        return None


def save_state(path: Path, state: dict) -> None:
    """Write atomically (readers never see half a file); a folder that cannot be written is skipped."""
    try:
        atomic_write(path, lambda tmp: joblib.dump({"key": path.stem.removeprefix("default-coder-"), "state": state},
                                                   tmp))
        old = sorted(path.parent.glob("default-coder-*.joblib"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.info("cannot cache the fitted coder in %s: %s", path.parent, exc)


def fit_default(coder: Any, cache_dir: Path | None, read_dirs: Iterable[Path] = ()) -> Any:
    """``coder`` fitted on its codebook alone: restored from the first cache folder that holds it
    (``read_dirs``, then ``cache_dir``), else fitted and saved in ``cache_dir`` (None: not saved)."""
    folders = list(dict.fromkeys([*read_dirs, *([cache_dir] if cache_dir is not None else [])]))
    if not folders:
        return coder.fit()
    coder.resolve()
    state, found_in = load_cached(coder, folders)
    if state is not None:
        if cache_dir is not None and found_in != cache_dir:  # e.g. read from the environment's cache
            save_state(cache_path(coder, cache_dir), state)
        return coder.set_state(state)
    coder.fit()
    if cache_dir is not None:
        save_state(cache_path(coder, cache_dir), coder.get_state())
    return coder


def load_cached(coder: Any, folders: Iterable[Path]) -> tuple[dict | None, Path | None]:
    """(the saved state of ``coder``, its folder) from the first folder that has a usable one."""
    for folder in folders:
        path = cache_path(coder, folder)
        state = load_state(path)
        if state is None:
            continue
        try:
            coder.set_state(state)  # checks it fits this coder
            return state, folder
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: ignoring the cached coder (%s); fitting it again", path, exc)
    return None, None
