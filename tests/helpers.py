"""Test helpers shared by several test modules."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

PER_DOC = ["documents", "segments", "sentences", "codings", "turning_points", "timeline"]


def store_snapshot(out: Path) -> dict[str, pd.DataFrame]:
    """Per-document tables of a store, order-independent, without run-specific columns."""
    from narratif.store import Store

    snap = {}
    with Store(out, read_only=True) as store:
        for t in PER_DOC:
            df = store.documents(with_text=True, status=None) if t == "documents" else store.table(t)
            df = df.drop(columns=[c for c in ("processed_at",) if c in df.columns])
            snap[t] = df.sort_values(list(df.columns)).reset_index(drop=True).astype(str)
    return snap


def assert_same_store(a: Path, b: Path) -> None:
    sa, sb = store_snapshot(a), store_snapshot(b)
    for t in PER_DOC:
        pd.testing.assert_frame_equal(sa[t], sb[t], obj=t)


def rewrite_qdpx(src: Path, target: Path, edit) -> Path:
    """A copy of a .qdpx whose project.qde went through ``edit(root)``: an analyst's changes."""
    from lxml import etree

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "project.qde":
                root = etree.fromstring(data)
                edit(root)
                data = etree.tostring(root, xml_declaration=True, encoding="utf-8")
            zout.writestr(info, data)
    return target
