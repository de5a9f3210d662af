"""Dask workers standing in for other machines: their own working directory, home and
temporary folder, and no access to the flow's output folder, models, codebook or inputs.
They analyse with what the flow sends them (settings, codebook, team models, file bytes)
and the store holds what a one-process run stores."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import assert_same_store

pytestmark = pytest.mark.slow  # runs the pipeline (make test-fast skips it)

NARRATIF = [sys.executable, "-m", "narratif.cli"]

#: Preloaded by each worker: any attempt to open or list a path under the folders it is told are
#: not its own is written to its log and refused (what another machine's missing disk would do).
GUARD = '''
import json, os, sys

_FORBIDDEN = [os.path.realpath(p) for p in json.loads(os.environ["NARRATIF_TEST_FORBIDDEN"])]
_LOG = os.environ["NARRATIF_TEST_GUARD_LOG"]

def _guard(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args or isinstance(args[0], int) or args[0] is None:
        return
    try:
        path = os.path.realpath(os.fsdecode(args[0]))
    except Exception:
        return
    if any(path == root or path.startswith(root + os.sep) for root in _FORBIDDEN):
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{event} {path}\\n")
        raise PermissionError(f"this worker may not read {path}")

sys.addaudithook(_guard)
'''


def _codebook_with_a_team_keyword(target: Path) -> Path:
    from narratif.codebook import default_codebook_path

    text = default_codebook_path().read_text(encoding="utf-8")
    target.write_text(re.sub(r"strong_keywords: \[", "strong_keywords: [quartier, ", text, count=1), encoding="utf-8")
    return target


def _start(args, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def test_dask_workers_without_the_output_folder_store_what_one_process_stores(shared_dir, nlp, tmp_path):
    distributed = pytest.importorskip("distributed")
    from narratif.codebook import load_codebook
    from narratif.coding import train_classifier

    flow_side = tmp_path / "flow"  # everything the flow reads: never the workers'
    corpus = flow_side / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(shared_dir / "corpora" / "parisstories" / "2021_nouvelleCollegue.txt", corpus)
    for name in ("Mira_F_88_14e-v2.txt", "Younes_Belkacem_H_59_Mo-v2.txt"):
        lines = (shared_dir / "corpora" / "cfpp2000" / name).read_text(encoding="utf-8").splitlines()[:100]
        (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    codebook = _codebook_with_a_team_keyword(flow_side / "team_codebook.yaml")
    models = flow_side / "models"
    csv = flow_side / "codings.csv"
    csv.write_text(
        "text,code,accepted\n"
        "\"On a monté l'association avec les voisins du quartier.\",cooperation,1\n"
        "\"Les commerçants se sont regroupés pour acheter ensemble.\",cooperation,1\n"
        "\"La mairie a refusé la subvention.\",pouvoirs_publics,1\n"
        "\"Le conseil municipal a voté le projet.\",pouvoirs_publics,1\n"
        "\"Il pleuvait ce jour-là.\",habitants,0\n", encoding="utf-8")
    train_classifier(csv, codebook=load_codebook(codebook), nlp=nlp, models_dir=models)
    common = ["--codebook", str(codebook), "--models-dir", str(models), "--no-topics"]

    ref = tmp_path / "one-process" / "out"
    res = subprocess.run(NARRATIF + ["run", str(corpus), "--out", str(ref), "--workers", "1", *common],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]

    guard = tmp_path / "guard" / "narratif_test_guard.py"
    guard.parent.mkdir()
    guard.write_text(GUARD, encoding="utf-8")
    sched_file = tmp_path / "scheduler" / "scheduler.json"
    procs = [_start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file", str(sched_file),
                     "--port", "0", "--no-dashboard", "--host", "127.0.0.1"], sched_file.parent, dict(os.environ),
                    tmp_path / "scheduler.log")]
    workers = [tmp_path / f"worker{i}" for i in (1, 2)]
    try:
        for w in workers:
            (w / "home").mkdir(parents=True)
            (w / "tmp").mkdir()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NARRATIF_"))}
            env.update(HOME=str(w / "home"), TMPDIR=str(w / "tmp"), PREFECT_HOME=str(w / "prefect"),
                       NARRATIF_TEST_FORBIDDEN=json.dumps([str(flow_side), str(ref.parent)]),
                       NARRATIF_TEST_GUARD_LOG=str(w / "guard.log"),
                       PYTHONPATH=os.pathsep.join([str(guard.parent), os.environ.get("PYTHONPATH", "")]))
            deadline = time.time() + 120
            while not sched_file.is_file() and time.time() < deadline:
                time.sleep(0.2)
            procs.append(_start([sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                 str(sched_file), "--nthreads", "1", "--no-nanny", "--local-directory",
                                 str(w / "dask"), "--preload", "narratif_test_guard", "--no-dashboard"],
                                w, env, w / "worker.log"))
        with distributed.Client(scheduler_file=str(sched_file), timeout=120) as client:
            client.wait_for_workers(2, timeout=600)
            out = flow_side / "out"
            res = subprocess.run(NARRATIF + ["run", str(corpus), "--out", str(out), "--dask", client.scheduler.address,
                                             *common], capture_output=True, text=True, timeout=1200)
            assert res.returncode == 0, res.stderr[-3000:]
            from narratif.pipeline.bundle import worker_state

            states = list(client.run(worker_state).values())
            with pytest.raises(PermissionError):  # the guard is on: the flow's files are out of reach
                client.run(open, str(codebook))
            for w in workers:
                (w / "guard.log").unlink(missing_ok=True)  # that attempt was the check's own
    finally:
        _stop(procs[1:] + procs[:1])

    for w in workers:
        assert not (w / "guard.log").exists(), (w / "guard.log").read_text()
    assert {Path(s["cwd"]) for s in states} == set(workers)
    from narratif.store import Store

    with Store(out, read_only=True) as store:
        meta = store.table("meta")
    expected = set(meta.loc[meta["key"].str.startswith("signature:"), "value"])
    used = [a for s in states for a in s["analyzers"].values()]
    assert used, ("no worker analysed a document: " + res.stderr[-2000:]
                  + "".join((w / "worker.log").read_text()[-1500:] for w in workers))
    for state in states:
        for a in state["analyzers"].values():
            assert a["signature"] in expected  # the team's models and codebook, not the shipped ones
            assert Path(state["cwd"]) in Path(a["models_dir"]).parents  # in the worker's own folder
            assert str(flow_side) not in a["models_dir"] + a["codebook"]
    assert_same_store(ref, out)
