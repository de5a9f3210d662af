"""Import UMAP with its numba functions cached on disk.

UMAP compiles ~30 numba functions the first time a process fits a model: ~20 s of every
nightly run, more than the fit itself on a corpus of interviews. Its decorators do not ask
for numba's on-disk cache (pynndescent's do), so UMAP is imported with ``cache=True`` as the
default of ``numba.njit``/``numba.jit``: the compiled code is the same, the next process loads
it instead of compiling. Functions numba cannot cache are compiled as before (numba's warning
about them is silenced). Call before anything imports ``umap`` (BERTopic does). numba is first
pinned to one CPU target (:func:`.determinism.pin_numba_cpu`), so the code, and the topics,
are the same on every machine.
"""

from __future__ import annotations

import logging
import sys
import warnings

from narratif.topics.determinism import pin_numba_cpu


def import_umap_with_cache() -> None:
    if not pin_numba_cpu():
        logging.getLogger(__name__).warning(
            "numba compiled code for this machine's CPU before narratif could pin it; topic fits may "
            "differ from other machines' (import narratif.topics before other numba users)")
    if "umap" in sys.modules:
        return
    import numba
    from numba.core.errors import NumbaWarning

    njit, jit = numba.njit, numba.jit

    def _cached(decorator):
        def apply(func, sig, kwargs):
            try:
                return decorator(*sig, cache=True, **kwargs)(func)
            except RuntimeError:  # no writable cache location: compile as UMAP asked
                return decorator(*sig, **kwargs)(func)

        def wrapper(*args, **kwargs):
            if "cache" in kwargs:
                return decorator(*args, **kwargs)  # an explicit choice stays
            if args and callable(args[0]):
                return apply(args[0], (), kwargs)  # @numba.njit
            return lambda func: apply(func, args, kwargs)  # @numba.njit("f4(f4[:])", fastmath=True)
        return wrapper

    numba.njit, numba.jit = _cached(njit), _cached(jit)
    try:
        import umap  # noqa: F401  (its modules define their jitted functions on import)
    finally:
        numba.njit, numba.jit = njit, jit
    warnings.filterwarnings("ignore", category=NumbaWarning, message=r"(?s).*[Cc]annot cache")
