"""Deployment entry point: the nightly run over a watched folder.

Thin by design: the flow itself is ``narratif.pipeline.watch.watch_folder`` (the same one
``narratif serve`` schedules). Deploy it to an existing Prefect server with
``prefect deploy flows/nightly.py:watch_folder``, or serve it from this file::

    python flows/nightly.py INBOX/ OUT/ --cron "0 2 * * *"
"""

from __future__ import annotations

import argparse
from pathlib import Path

from narratif.pipeline.serve import serve_watch
from narratif.pipeline.watch import watch_folder

__all__ = ["watch_folder"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve narratif's nightly run over a folder.")
    parser.add_argument("watch", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cron", default="0 2 * * *")
    parser.add_argument("--meta", type=Path)
    parser.add_argument("--codebook", type=Path)
    args = parser.parse_args()
    serve_watch(args.watch, args.out, cron=args.cron, meta=args.meta, codebook=args.codebook)
