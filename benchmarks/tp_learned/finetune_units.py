"""Dump the turning-point training units for ``finetune_probe.py`` (run in the project venv).

One JSON record per gold or training document, built by ``scripts/train_turning_points.py``'s own
loader: each narrative unit's text, its evaluation key (line or sentence), whether it is in the
annotated scope, its labels in each ParisStories pass, the gold keys per pass and the rule score::

    .venv/bin/python benchmarks/tp_learned/finetune_units.py --out /tmp/tp/units.json --cache /tmp/tp/cache
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]


def main() -> int:
    import train_turning_points as T

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    out = []
    for d in T.load_docs(args.shared, args.cache):
        spans = [sp for p in d.extra["parsed"] if p.segment.role != "interviewer" for sp in p.spans]
        views = d.extra.get("views", {})
        out.append({
            "name": d.src.name, "kind": d.src.kind, "split": d.src.split, "indep": d.src.independent,
            "texts": [" ".join(" ".join(spans[i].text.split()) for i in u) for u in d.rows.units],
            "keys": [int(k) for k in d.keys], "in_scope": [bool(x) for x in d.in_scope],
            "y": [bool(x) for x in d.y], "views": {k: [bool(x) for x in v[1]] for k, v in views.items()},
            "gold": [g.unit for g in d.gold], "gold_views": {k: [g.unit for g in v[0]] for k, v in views.items()},
            "rule": [float(x) for x in d.rows.rule_scores]})
    args.out.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(len(out), "documents,", sum(sum(o["in_scope"]) for o in out), "units in scope")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
