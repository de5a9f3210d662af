"""Peak memory of a run whose inbox holds a zip bomb with lying headers (issue 24).

Builds the issue's file in a temporary folder: a ~4 MB ``.docx`` whose
``word/document.xml`` claims 4 KB in both its local and central zip headers but
inflates to ~1.1 GB. Runs ``narratif run`` on the sample corpus
(``corpora/sample``, ``--meta corpora/sample/metadata.csv --no-topics``) without
and with that file, each in a fresh process, and prints the peak memory of both
runs and their difference against the target (≤ 1 GiB more with the bomb).

Peak memory is measured two ways: the kernel's maximum resident set size of the run
(``wait4``: the largest single process of its tree) and the largest sum of the RSS
of the whole process tree, sampled every 20 ms with psutil.

    python benchmarks/bench_hostile_zip.py [--inflate-mib 1100] [--json out.json] [--src OTHER/src]

The builder functions are reused by ``tests/ingest/test_hostile_input.py`` with small sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpora" / "sample"
TARGET_EXTRA = 1 << 30  # bytes: issue 24's bound on the extra peak memory of a run with the bomb
_DATE = (1980, 1, 1, 0, 0, 0)
_BLOCK = 64 * 1024


def _filler(out, size: int, noise: int, seed: int = 24) -> None:
    """``size`` bytes of zeros, with ``noise`` random bytes per 64 KiB block (sets the compressed size)."""
    rng = random.Random(seed)
    zeros = bytes(_BLOCK)
    left = size
    while left > 0:
        n = min(_BLOCK, left)
        if noise:
            block = bytearray(zeros[:n])
            for _ in range(min(noise, n)):
                block[rng.randrange(n)] = rng.randrange(256)
            out.write(bytes(block))
        else:
            out.write(zeros[:n])
        left -= n


def patch_headers(path: Path, member: str, *, size: int | None = None, crc: int | None = None) -> None:
    """Overwrite the uncompressed size and/or CRC-32 ``member`` declares, in its local and central headers."""
    with open(path, "r+b") as fh:
        data = fh.read()
        end = data.rfind(b"PK\x05\x06")
        n_entries, _, cd_offset = struct.unpack("<HII", data[end + 10:end + 20])
        pos = cd_offset
        for _ in range(n_entries):
            if data[pos:pos + 4] != b"PK\x01\x02":
                raise ValueError(f"{path}: unexpected central directory layout")
            n, m, k = struct.unpack("<HHH", data[pos + 28:pos + 34])
            local = struct.unpack("<I", data[pos + 42:pos + 46])[0]
            if data[pos + 46:pos + 46 + n].decode("utf-8") == member:
                # (central offset, local offset) of each field
                for value, central_at, local_at in ((size, 24, 22), (crc, 16, 14)):
                    if value is not None:
                        for at in (pos + central_at, local + local_at):
                            fh.seek(at)
                            fh.write(struct.pack("<I", value))
                return
            pos += 46 + n + m + k
    raise KeyError(f"{path}: no member {member!r}")


def lying_zip(target: Path, members: dict[str, bytes], bomb: str, *, head: bytes = b"", inflated: int,
              claimed: int = 4096, noise: int = 0) -> Path:
    """A zip holding ``members`` and member ``bomb`` (``head`` then zeros up to ``inflated`` bytes)
    whose headers claim ``claimed`` bytes. Written in a stream: building it needs little memory."""
    if inflated >= zipfile.ZIP64_LIMIT:
        raise ValueError("keep the bomb under 2 GiB: zip64 headers would need patching too")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name != bomb:
                zf.writestr(zipfile.ZipInfo(name, _DATE), data, compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo(bomb, _DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as out:
            out.write(head)
            _filler(out, inflated - len(head), noise)
    patch_headers(target, bomb, size=claimed)
    return target


def lying_docx(source: Path, target: Path, *, inflated: int, claimed: int = 4096, noise: int = 0) -> Path:
    """A copy of the Word file ``source`` whose ``word/document.xml`` is a lying bomb: its real XML
    followed by zeros up to ``inflated`` bytes, declared as ``claimed`` bytes."""
    with zipfile.ZipFile(source) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    return lying_zip(target, members, "word/document.xml", head=members["word/document.xml"],
                     inflated=inflated, claimed=claimed, noise=noise)


# -- measuring ----------------------------------------------------------------------------
def _tree_rss(proc) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measured_run(args: list[str], env: dict[str, str]) -> dict:
    """Run ``args`` to the end; its exit code, seconds, kernel max RSS and sampled tree peak."""
    import psutil

    t0 = time.perf_counter()
    popen = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    proc = psutil.Process(popen.pid)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(proc))
            except psutil.Error:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = popen.stdout.read()
    _, status, usage = os.wait4(popen.pid, 0)
    done.set()
    sampler.join()
    popen.returncode = os.waitstatus_to_exitcode(status)
    return {"exit_code": popen.returncode, "seconds": round(time.perf_counter() - t0, 1),
            "max_rss_mib": usage.ru_maxrss / 1024, "tree_peak_mib": peak[0] / (1 << 20),
            "output": output.decode("utf-8", "replace")}


def _run_sample(corpus: Path, out: Path, env: dict[str, str]) -> dict:
    return measured_run([sys.executable, "-m", "narratif.cli", "run", str(corpus), "--out", str(out),
                         "--meta", str(SAMPLE / "metadata.csv"), "--no-topics"], env)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inflate-mib", type=int, default=1100, help="real inflated size of the bomb (MiB)")
    ap.add_argument("--noise", type=int, default=40, help="random bytes per 64 KiB (sets the file size)")
    ap.add_argument("--src", type=Path, default=ROOT / "src",
                    help="the narratif sources to run (another checkout's src/ to compare, e.g. before a fix)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(args.src.resolve()), str(args.src.resolve().parent),
                                                        os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        tmp = Path(tmp)
        plain, bombed = tmp / "plain", tmp / "bombed"
        ignore = shutil.ignore_patterns("metadata.csv")
        shutil.copytree(SAMPLE, plain, ignore=ignore)
        shutil.copytree(SAMPLE, bombed, ignore=ignore)
        bomb = lying_docx(SAMPLE / "dromette_elue_helene_marchal.docx", bombed / "bombe_entretien.docx",
                          inflated=args.inflate_mib << 20, noise=args.noise)
        with zipfile.ZipFile(bomb) as zf:
            claimed = zf.getinfo("word/document.xml").file_size
        res = {"bomb": {"file_bytes": bomb.stat().st_size, "claimed_bytes": claimed,
                        "inflated_bytes": args.inflate_mib << 20}}
        res["without"] = _run_sample(plain, tmp / "out-plain", env)
        res["with"] = _run_sample(bombed, tmp / "out-bombed", env)
        res["bomb"]["quarantine"] = _quarantine_reason(tmp / "out-bombed", bomb.name)
    for key in ("without", "with"):
        if res[key]["exit_code"] != 0:
            print(res[key]["output"], file=sys.stderr)
        res[key]["output"] = res[key]["output"][-2000:]
    for measure in ("max_rss_mib", "tree_peak_mib"):
        res[f"extra_{measure}"] = res["with"][measure] - res["without"][measure]
    _print(res)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    return res


def _quarantine_reason(out: Path, name: str) -> str | None:
    sys.path.insert(0, str(ROOT / "src"))
    from narratif.store import Store

    with Store(out, read_only=True) as store:
        docs = store.documents(status=None)
    hit = docs[docs["path"].str.endswith(name)]
    return None if hit.empty else f"{hit['status'].iloc[0]}: {hit['error'].iloc[0]}"


def _print(res: dict) -> None:
    b = res["bomb"]
    print(f"lying bomb: {b['file_bytes'] / 1e6:.1f} MB file, member claims {b['claimed_bytes']} bytes, "
          f"inflates to {b['inflated_bytes'] / (1 << 30):.2f} GiB")
    print(f"  -> {b['quarantine']}")
    for key in ("without", "with"):
        r = res[key]
        print(f"run {key:7} the bomb: exit {r['exit_code']}, {r['seconds']:.1f} s, max RSS {r['max_rss_mib']:,.0f} MiB,"
              f" process-tree peak {r['tree_peak_mib']:,.0f} MiB")
    limit = TARGET_EXTRA / (1 << 20)
    for measure, label in (("max_rss_mib", "max RSS"), ("tree_peak_mib", "process-tree peak")):
        extra = res[f"extra_{measure}"]
        print(f"extra {label} with the bomb: {extra:+,.0f} MiB (target ≤ {limit:,.0f} MiB): "
              f"{'ok' if extra <= limit else 'OVER'}")


if __name__ == "__main__":
    main()
