"""A re-ranker learned from a team's review verdicts, by simulation (issue #20, detection).

``narratif review`` records, for each proposed moment, whether the team kept or rejected it,
and the moments it added. Simulation: the stories are split in two random halves; on the
*reviewed* half the detector's picks matched (±1 line, one to one) to a gold moment stand for
kept moments, the others for rejected ones, and the gold moments it missed for added ones. A
logistic regression on the detector's own unit features (the learned type classifier's dense
cues, rule columns and vector prototypes; :func:`narratif.turning_points.classifier.fit_linear`)
learns kept/added against rejected; on the *other* half the detector's shortlist (its picks
with twice the budget) is re-ranked by ``score + λ·logit`` and the usual budget is kept, never
two adjacent sentences. Reported: F1 of the unreviewed half, shipped against re-ranked, mean
over ``--reps`` halvings, for the ParisStories stories (gold: three-pass consensus) and the
CFPP2000 passages (halves by interview).

    .venv/bin/python benchmarks/eval_tp_rerank.py [--cache DIR] [--reps 10]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]

LAMBDAS = (0.0, 0.1, 0.25, 0.5, 1.0)


class Story:
    """One document's shortlist, its shipped picks and the features of its units."""

    def __init__(self, d, gold, model):
        import eval_turning_points as ev

        from narratif.turning_points.detect import TurningPointSettings, detect_turning_points

        self.d, self.gold = d, gold
        parsed = d.extra["parsed"]
        sids = [s.sent_id for p in parsed if p.segment.role != "interviewer" for s in p.sentences]
        self.index = {sid: i for i, sid in enumerate(sids)}
        self.unit_of = {i: j for j, u in enumerate(d.rows.units) for i in u}
        key = lambda tp: d.extra["sent_key"][tp.sent_id]  # noqa: E731
        shipped = detect_turning_points(d.extra["document"], parsed, model=model)
        wide = detect_turning_points(d.extra["document"], parsed, model=model,
                                     settings=TurningPointSettings(budget_per_sqrt=1.2, min_budget=2))
        self.budget = len(shipped)
        # (sentence index, score, line, in scope) of the shortlist, best first
        self.shortlist = sorted(((self.index[tp.sent_id], tp.score, *key(tp)) for tp in wide), key=lambda c: -c[1])
        self.picks = [ev.Unit(d.src.name, key(tp)[0], tp.type) for tp in shipped if key(tp)[1]]

    def verdicts(self) -> tuple[list[int], list[int]]:
        """(unit indices, 1 kept or added / 0 rejected) as a review of the shipped picks gives them."""
        import eval_turning_points as ev

        pairs = ev.match(self.gold, self.picks)
        kept_lines = {p.unit for _, p in pairs}
        found = {id(g) for g, _ in pairs}
        units, labels = [], []
        line_units = {}
        for i, u in enumerate(self.d.rows.units):
            line_units.setdefault(self.d.keys[i], i)
        for p in self.picks:
            j = line_units.get(p.unit)
            if j is not None:
                units.append(j)
                labels.append(int(p.unit in kept_lines))
        for g in self.gold:  # added by the team: the moments the detector missed
            if id(g) not in found and g.unit in line_units:
                units.append(line_units[g.unit])
                labels.append(1)
        return units, labels

    def rerank(self, ranker, lam: float) -> list:
        import eval_turning_points as ev

        units = [self.unit_of[c[0]] for c in self.shortlist]
        logit = ranker.decision(self.d.rows.dense[units], self.d.rows.vectors[units])[:, 0] if units else []
        order = sorted(range(len(units)), key=lambda k: -(self.shortlist[k][1] + lam * float(logit[k])))
        kept: list[int] = []
        for k in order:
            if len(kept) >= self.budget:
                break
            if any(abs(self.shortlist[k][0] - self.shortlist[m][0]) <= 1 for m in kept):
                continue
            kept.append(k)
        return [ev.Unit(self.d.src.name, self.shortlist[k][2], "") for k in kept if self.shortlist[k][3]]


def simulate(stories: list[Story], group_of, reps: int, C: float) -> dict:
    import train_turning_points as T

    from narratif.turning_points.classifier import fit_linear

    groups = sorted({group_of(s) for s in stories})
    out = {"shipped": np.zeros(6), **{lam: np.zeros(6) for lam in LAMBDAS}}
    for rep in range(reps):
        order = groups[:]
        random.Random(rep).shuffle(order)
        reviewed = set(order[:len(order) // 2])
        dense, vec, y = [], [], []
        for s in stories:
            if group_of(s) in reviewed:
                units, labels = s.verdicts()
                dense += [s.d.rows.dense[j] for j in units]
                vec += [s.d.rows.vectors[j] for j in units]
                y += labels
        ranker = fit_linear(np.array(dense), np.array(vec), np.array(y), [0, 1], C=C, vector_weight=1.0)
        for s in stories:
            if group_of(s) in reviewed:
                continue
            out["shipped"] += T.tally(s.gold, s.picks)
            for lam in LAMBDAS:
                out[lam] += T.tally(s.gold, s.rerank(ranker, lam))
    return {k: T.prf(v) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    import train_turning_points as T

    from narratif.turning_points.classifier import load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--C", type=float, default=0.02)
    args = ap.parse_args(argv)
    docs = T.load_docs(args.shared, args.cache)
    model = load_model()
    corpora = {
        "ParisStories (consensus)": ([Story(d, d.extra["views"]["consensus"][0], model) for d in docs
                                      if d.src.kind == "ps" and d.src.independent], lambda s: s.d.src.name),
        "CFPP2000 passages": ([Story(d, d.gold, model) for d in docs if d.src.name.startswith("p:")],
                              lambda s: s.d.src.name.split(":", 1)[1].split("__")[0]),
    }
    for name, (stories, group_of) in corpora.items():
        res = simulate(stories, group_of, args.reps, args.C)
        print(f"## {name}: {len(stories)} documents, {args.reps} halvings, re-ranker C={args.C}")
        for k, r in res.items():
            label = "shipped" if k == "shipped" else f"shipped + {k}·logit"
            print(f"  {label:24s} {T._fmt(r)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
