"""A long-lived ``narratif serve`` keeps its analysis workers, models loaded, between runs."""

from __future__ import annotations

import shutil

import pytest
from helpers import assert_same_store

pytestmark = pytest.mark.slow  # runs the pipeline (make test-fast skips it)


def test_runs_share_the_warm_workers_and_store_what_one_process_stores(shared_dir, tmp_path):
    from narratif.api import run
    from narratif.pipeline.warm import ENV, warm_workers

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    stories = shared_dir / "corpora" / "parisstories"
    for name in ("2021_nouvelleCollegue.txt", "2022_rencontreALiege.txt"):
        shutil.copy(stories / name, inbox / name)
    out = tmp_path / "out"
    with warm_workers(2) as service:
        first = run([inbox], out, topics=False, report=False).summary
        assert first.n_processed == 2 and first.n_quarantined == 0
        assert service.stats() == {"n_workers": 2, "loads": 1, "documents": 2}
        shutil.copy(stories / "2019_histoireDeBanlieue.txt", inbox)
        second = run([inbox], out, topics=False, report=False).summary
        assert second.n_processed == 1 and second.n_skipped == 2
        assert service.stats() == {"n_workers": 2, "loads": 1, "documents": 3}  # no model loaded again
    import os

    assert ENV not in os.environ
    ref = tmp_path / "one-process"
    run([inbox], ref, topics=False, report=False, workers=1)
    assert_same_store(ref, out)
