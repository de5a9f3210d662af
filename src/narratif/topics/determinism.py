"""The same topics on every machine of a kind: one code path for the floating-point work.

A topic fit amplifies the last bit of a number: UMAP's layout is a long stochastic
descent, HDBSCAN cuts a tree at thresholds. Seeds alone do not fix it, because
the arithmetic itself differs between machines:

* numba compiles UMAP and pynndescent for the *host* CPU (AVX-512 on one machine,
  AVX2 on the next; different vector widths sum in different orders). numba is
  told to compile for one named CPU instead (``x86-64-v3``: AVX2 + FMA, which every
  machine of this kind has; plain ``generic`` elsewhere) and never for the host.
* BLAS (OpenBLAS picks its kernels per CPU) and OpenMP split work by thread count;
  the fit runs with one thread in each (:func:`threadpoolctl.threadpool_limits`),
  and numba's own parallel loops with one thread.
* Our own geometry (centring, cosines) is computed in float64 and rounded to
  float32, so kernel-level differences (~1e-16) vanish in the rounding.

Measured on the 5-transcript test fit: a numba target without AVX-512 (another
CPU generation of the same kind) changed the topics (10 instead of 11); OpenBLAS
kernels (Haswell, Zen, the default) and thread counts did not.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from typing import Iterator

import numpy as np
from threadpoolctl import threadpool_limits

#: The CPU numba compiles for, when the host has its features (see :func:`numba_target`).
PINNED_CPU = "x86-64-v3"
_PINNED_FEATURES = ("avx", "avx2", "fma", "bmi2", "f16c", "movbe")


def numba_target() -> tuple[str, str]:
    """(cpu name, features) numba must compile for: a fixed CPU, whatever the host is.

    ``NUMBA_CPU_NAME`` set by the user wins (e.g. ``generic`` for a mixed fleet).
    """
    name = os.environ.get("NUMBA_CPU_NAME")
    if name:
        return name, os.environ.get("NUMBA_CPU_FEATURES", "")
    import llvmlite.binding as ll

    try:
        host = {f for f, on in ll.get_host_cpu_features().items() if on}
    except RuntimeError:  # feature detection unavailable on this platform
        host = set()
    if ll.get_process_triple().startswith("x86_64") and set(_PINNED_FEATURES) <= host:
        return PINNED_CPU, ""
    return "generic", ""


def pin_numba_cpu() -> bool:
    """Make numba compile for :func:`numba_target`; False if it already compiled for the host.

    Must run before numba compiles anything (``import_umap_with_cache`` calls it
    before importing UMAP). Setting the environment too keeps numba's on-disk
    cache keyed on the pinned CPU in worker processes.
    """
    name, features = numba_target()
    os.environ["NUMBA_CPU_NAME"], os.environ["NUMBA_CPU_FEATURES"] = name, features
    if "numba" not in sys.modules:
        return True
    from numba.core import config

    config.CPU_NAME, config.CPU_FEATURES = name, features
    from numba.core.registry import cpu_target

    context = cpu_target.__dict__.get("_toplevel_target_context")
    if context is None:
        return True
    _triple, cpu, cpu_features = context.codegen().magic_tuple()
    return cpu == name and cpu_features == features


@contextlib.contextmanager
def single_threaded(seed: int) -> Iterator[None]:
    """One thread for BLAS, OpenMP and numba, and seeded global generators, for a fit."""
    numba_threads = None
    if "numba" in sys.modules:
        import numba

        numba_threads = numba.get_num_threads()
        numba.set_num_threads(1)
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        if numba_threads is not None:
            import numba

            numba.set_num_threads(numba_threads)


def round_to_float32(x: np.ndarray) -> np.ndarray:
    """float64 results handed on as float32: differences of a few float64 ulps disappear."""
    return np.asarray(x, dtype=np.float64).astype(np.float32)

