"""One floating-point path for topic fits: numba pinned to one CPU, one thread everywhere.

A fit is run in fresh processes under different thread settings and with the host
CPU reported as another generation (no AVX-512, as on older machines of the same
kind); every run must give the very same topics. Without the pin, a numba target
without AVX-512 changed the topics of the 5-transcript test fit (10 instead of 11).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numba
import numpy as np
import pandas as pd
import pytest

from narratif.embeddings import SpacyVectors
from narratif.ingest import ingest_file
from narratif.topics.corpus import windowed_units, word_count
from narratif.topics.determinism import PINNED_CPU, numba_target, single_threaded

pytestmark = pytest.mark.slow  # loads the French model or runs the pipeline (make test-fast skips it)

#: Runs in a fresh process: optional fake host CPU, then a fit on saved windows; prints a digest.
FIT = r"""
import json, sys
if sys.argv[2] == "older-cpu":
    import llvmlite.binding as ll
    real = ll.get_host_cpu_features()
    ll.get_host_cpu_name = lambda: "znver3"
    class Features(dict):  # llvmlite's FeatureMap, less AVX-512
        def flatten(self, sort=True):
            return ",".join(("+" if on else "-") + k for k, on in sorted(self.items()))
    ll.get_host_cpu_features = lambda: Features((k, bool(v) and not k.startswith("avx512")) for k, v in real.items())
import hashlib
import numpy as np
from narratif.topics import BERTopicBackend, TopicSettings
from numba.core.registry import cpu_target
data = np.load(sys.argv[1])
model = BERTopicBackend(settings=TopicSettings(min_topic_size=10)).fit(list(data["texts"]), data["vectors"])
state = model.get_state()
digest = hashlib.sha256(model.topics_.tobytes() + state.centroids.tobytes()
                        + json.dumps({str(k): v for k, v in state.terms.items()}).encode()).hexdigest()
print(json.dumps({"digest": digest, "cpu": cpu_target.target_context.codegen().magic_tuple()[1:],
                  "n_topics": len(state.topic_ids)}))
"""


@pytest.fixture(scope="module")
def windows(tmp_path_factory, shared_dir, nlp):
    """Texts and vectors of the windows of two real transcripts, saved for the fit processes."""
    rows = []
    for path in sorted((shared_dir / "corpora" / "cfpp2000").glob("*.txt"))[:2]:
        doc = ingest_file(path, {})
        rows += [{"doc_id": doc.doc_id, "text": s.text, "n_words": word_count(s.text)} for s in doc.segments
                 if s.role != "interviewer" and word_count(s.text) >= 3]
    segs = pd.DataFrame(rows)
    segs["n_content"] = segs["n_words"]
    backend = SpacyVectors(nlp)
    units = windowed_units(segs, np.arange(len(segs)), window_words=80, min_words=8, min_content_words=3,
                           term_docs=segs["text"].tolist(), embeddings=backend.embed(segs["text"].tolist()),
                           embed=backend.embed)
    path = tmp_path_factory.mktemp("determinism") / "windows.npz"
    np.savez(path, texts=np.array(units.texts), vectors=units.vectors)
    return path


def _fit(path, cpu: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CPU", "OPENBLAS_", "OMP_", "MKL_"))}
    out = subprocess.run([sys.executable, "-c", FIT, str(path), cpu], capture_output=True, text=True, timeout=600,
                         env={**clean, **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_same_topics_whatever_the_threads_and_the_cpu_generation(windows):
    runs = {
        "1 thread": _fit(windows, "host", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1"),
        "2 threads": _fit(windows, "host", OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", NUMBA_NUM_THREADS="2"),
        "older cpu": _fit(windows, "older-cpu"),
    }
    name, features = numba_target()
    assert all(r["cpu"] == [name, features] for r in runs.values())  # numba never compiled for the host
    assert len({r["digest"] for r in runs.values()}) == 1, runs
    assert runs["1 thread"]["n_topics"] >= 2


def test_numba_compiles_for_the_pinned_cpu_once_topics_are_imported():
    import narratif.topics.bertopic_backend  # noqa: F401
    from numba.core.registry import cpu_target

    _triple, cpu, features = cpu_target.target_context.codegen().magic_tuple()
    assert (cpu, features) == numba_target()
    if os.environ.get("NUMBA_CPU_NAME") in (None, PINNED_CPU):
        assert cpu in (PINNED_CPU, "generic")


def test_a_fit_runs_single_threaded_and_leaves_the_process_as_it_found_it():
    from threadpoolctl import threadpool_info

    before_threads = numba.get_num_threads()
    random.seed(7)
    np.random.seed(7)
    expected = (random.random(), np.random.random())
    random.seed(7)
    np.random.seed(7)
    with single_threaded(42):
        assert numba.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info())
        inside = (random.random(), np.random.random())
    assert numba.get_num_threads() == before_threads
    assert (random.random(), np.random.random()) == expected  # the caller's generators continue untouched
    random.seed(42)
    np.random.seed(42)
    assert inside == (random.random(), np.random.random())  # seeded inside

