"""Load spaCy faster: French tokenizer patterns compiled once per machine, registries indexed.

Importing ``spacy.lang.fr`` compiles one regular expression of ~15,000 hyphenated
exceptions (``TOKEN_MATCH``): about two thirds of the time spaCy takes to load
``fr_core_news_md``, paid again by every ``narratif`` command, every run and every
worker. Python keeps compiled patterns in memory only, so while that module is
imported, long patterns are compiled with their compiled program kept on disk
(a JSON list of integers keyed by the pattern, its flags and the Python build; in
``OUT/models/cache``, ``$NARRATIF_CACHE_DIR`` or the environment's cache written at setup,
never the home folder: :mod:`narratif.cachedir`):
the next process rebuilds the same pattern object from it with ``_sre.compile``,
skipping the parse and the optimiser. Anything unexpected (another Python, an
unreadable or unwritable cache) falls back to compiling as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from pathlib import Path

#: Patterns shorter than this compile fast enough as they are.
MIN_PATTERN_LENGTH = 5_000


def cache_dirs(cache_dir: Path | None = None) -> tuple[list[Path], Path | None]:
    """(folders read, first hit wins; folder written or None) for a cache folder given by the run
    (else ``$NARRATIF_CACHE_DIR`` or none: :mod:`narratif.cachedir`), under ``regex/``."""
    from narratif import cachedir

    write = cache_dir if cache_dir is not None else cachedir.write_dir(None)
    return [d / "regex" for d in cachedir.lookup(write)], (write / "regex" if write else None)


def _key(pattern: str, flags: int) -> str:
    import _sre

    blob = json.dumps([sys.version, getattr(_sre, "MAGIC", 0), flags, pattern])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _load(path: Path, pattern: str):
    import _sre

    data = json.loads(path.read_text(encoding="utf-8"))
    groupindex = {k: int(v) for k, v in data["groupindex"].items()}
    return _sre.compile(pattern, int(data["flags"]), [int(c) for c in data["code"]], int(data["groups"]),
                        groupindex, tuple(data["indexgroup"]))


def _compile_and_save(pattern: str, flags: int, path: Path):
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    import _sre

    compiled = _sre.compile(pattern, flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex,
                            tuple(indexgroup))
    payload = {"flags": flags | parsed.state.flags, "code": list(code), "groups": parsed.state.groups - 1,
               "groupindex": groupindex, "indexgroup": indexgroup}
    try:
        from narratif.atomic import atomic_write_text

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(payload))
    except OSError:
        pass  # a read-only home: the next process compiles again
    return compiled


@contextlib.contextmanager
def cached_long_patterns(read: list[Path], write: Path | None):
    """Within the block, long ``str`` patterns are compiled through the on-disk cache: read from
    the first folder of ``read`` that has them, else compiled and saved in ``write`` (if any)."""
    from re import _compiler  # type: ignore[attr-defined]

    original = _compiler.compile

    def compile(p, flags=0):
        if not isinstance(p, str) or len(p) < MIN_PATTERN_LENGTH or flags & re.DEBUG:
            return original(p, flags)
        name = f"{_key(p, flags)}.json"
        try:
            for folder in read:
                if (folder / name).is_file():
                    return _load(folder / name, p)
            return _compile_and_save(p, flags, write / name) if write is not None else original(p, flags)
        except Exception:  # noqa: BLE001 - any doubt: compile as Python would
            return original(p, flags)

    _compiler.compile = compile
    try:
        yield
    finally:
        _compiler.compile = original


def import_french_language(cache_dir: Path | None = None) -> None:
    """Import ``spacy.lang.fr`` (what ``spacy.load`` of a French model imports first) with its
    long patterns compiled through the cache (:func:`cache_dirs`); a no-op once imported."""
    index_entry_points()
    if "spacy.lang.fr" in sys.modules:
        return
    with cached_long_patterns(*cache_dirs(cache_dir)):
        import spacy.lang.fr  # noqa: F401


def save_french_patterns(folder: Path) -> None:
    """Write the French tokenizer's long patterns into ``folder`` (``narratif prepare``)."""
    if "spacy.lang.fr" not in sys.modules:
        with cached_long_patterns([folder], folder):
            import spacy.lang.fr  # noqa: F401
        return
    from re import _compiler  # type: ignore[attr-defined]

    import spacy.lang.fr.tokenizer_exceptions as exceptions

    with cached_long_patterns([folder], folder):  # already imported: compile its pattern through the cache
        _compiler.compile(exceptions.TOKEN_MATCH.__self__.pattern, 0)


def index_entry_points() -> None:
    """Give spaCy's registries (``catalogue``) the installed entry points grouped once.

    ``catalogue`` filters every installed entry point again for each registry lookup (165 of
    them in one ``spacy.load``): a third of a second of CPU in an environment with Prefect,
    Dask and their plugins. A mapping from group to entry points holds the same entries, and
    ``catalogue`` reads one as it reads the older ``entry_points()`` dictionary."""
    import catalogue

    available = catalogue.AVAILABLE_ENTRY_POINTS
    if isinstance(available, dict) or not hasattr(available, "select"):
        return
    grouped: dict[str, list] = {}
    for entry_point in available:
        grouped.setdefault(entry_point.group, []).append(entry_point)
    catalogue.AVAILABLE_ENTRY_POINTS = grouped
