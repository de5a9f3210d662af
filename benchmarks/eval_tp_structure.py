"""Story structure as a ranking signal for turning points (issue #20, detection).

Adds ``TurningPointSettings.evaluated_bonus`` / ``present_shift_bonus`` / ``reaction_bonus``
(:mod:`narratif.turning_points.structure`: what the narrator and the listener do right after a
moment) to the shipped detector and scores F1 (±1 line) against the three-pass consensus of
the ParisStories stories, by the frozen split of ``tests/data/external/tp_types/split.tsv``
(``dev``: tune; ``test``: check once), and on the 95 CFPP2000 passages (another source, never
tuned on: does a change hold there?).

    .venv/bin/python benchmarks/eval_tp_structure.py [--cache DIR] [--grid] [--weights E S R]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]


def groups(docs, splits: dict[str, str]) -> dict[str, list]:
    """The documents of each evaluation group, with the gold each is scored against."""
    out = {"dev": [], "test": [], "passages": []}
    for d in docs:
        if d.src.kind == "ps" and d.src.independent:
            out[splits[d.src.name]].append((d, d.extra["views"]["consensus"][0]))
        elif d.src.name.startswith("p:"):
            out["passages"].append((d, d.gold))
    return out


def score(group: list, settings, model) -> dict:
    import eval_turning_points as ev
    import train_turning_points as T

    from narratif.turning_points.detect import detect_turning_points

    t = np.zeros(6)
    for d, gold in group:
        pred = []
        for tp in detect_turning_points(d.extra["document"], d.extra["parsed"], settings=settings, model=model):
            key, in_scope = d.extra["sent_key"][tp.sent_id]
            if in_scope:
                pred.append(ev.Unit(d.src.name, key, tp.type, tp.polarity))
        t += T.tally(gold, pred)
    return T.prf(t)


def main(argv: list[str] | None = None) -> int:
    import train_turning_points as T
    from eval_tp_types import story_split

    from narratif.turning_points.classifier import load_model
    from narratif.turning_points.detect import TurningPointSettings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--grid", action="store_true", help="every weight in {0, 0.2, 0.4} for each signal (dev + passages)")
    ap.add_argument("--weights", type=float, nargs=3, metavar=("EVALUATED", "SHIFT", "REACTION"), action="append",
                    default=[], help="a setting to score on every group, test included")
    args = ap.parse_args(argv)
    docs = T.load_docs(args.shared, args.cache)
    by = groups(docs, story_split())
    model = load_model()
    grid = list(itertools.product((0.0, 0.2, 0.4), repeat=3)) if args.grid else []
    for w in grid:
        s = TurningPointSettings(evaluated_bonus=w[0], present_shift_bonus=w[1], reaction_bonus=w[2])
        dev, pas = score(by["dev"], s, model), score(by["passages"], s, model)
        print(f"e={w[0]} s={w[1]} r={w[2]}\tdev F1 {dev['F1']:.3f} ({dev['matched']}/{dev['pred']}/{dev['gold']})"
              f"\tpassages F1 {pas['F1']:.3f} ({pas['matched']}/{pas['pred']}/{pas['gold']})", flush=True)
    for w in [(0.0, 0.0, 0.0)] + [tuple(x) for x in args.weights]:
        s = TurningPointSettings(evaluated_bonus=w[0], present_shift_bonus=w[1], reaction_bonus=w[2])
        print(f"e={w[0]} s={w[1]} r={w[2]}\t" + "\t".join(
            f"{g} F1 {r['F1']:.3f} P {r['P']:.3f} R {r['R']:.3f} type {r['type']:.3f} ({r['matched']}/{r['pred']}/{r['gold']})"
            for g, r in ((g, score(by[g], s, model)) for g in ("dev", "test", "passages"))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
