"""Turning-point typing against blind annotations that follow the six definitions (issue #20).

Gold: ``tests/data/external/tp_types/gold.tsv`` — two independent annotators typed the 115
consensus turning points of the 36 ParisStories stories following ``GUIDE.md`` (raw
agreement 0.957, kappa 0.947); only the ``agreed`` lines count (110). ``split.tsv`` freezes
16 ``dev`` and 20 ``test`` stories: tune on dev, evaluate on test once per kept change.

For every gold line it reports, by split and by year:

* ``team``: the type the team gave that line (``parisstories-consensus``), i.e. how far the
  team's own reading is from the definitions;
* ``rules``: the hand-written lexicon's type of the line;
* ``classifier``: the learned type classifier applied to the line (one unit: the line);
* ``detector``: the detector's own type where it picks that exact line, the classifier's
  on the line otherwise (what a user of a run would read on that line);
* ``matched``: type agreement of the detector's picks matched ±1 line to a gold line, one to
  one — the shape of the held-back check's figure (0.43).

Which classifier: ``shipped`` (``data/tp_model.json``; trained on all 36 stories, so
in-sample here), and honest ones fitted by ``train_turning_points.py``'s data, with the
shipped regularisation: ``loso`` (no ParisStories at all: only the CFPP2000 material and
the project-written stories — leave one source out), ``dev`` (``loso`` plus the dev
stories: the figure on ``test`` is the honest held-out one; on ``dev`` it is in-sample) and
``devcv`` (for the dev figure: each dev story typed by a classifier fitted without it, in 4
folds, never with a test story). ``--labels`` picks how the training examples are
labelled: ``team`` (as annotated) or ``definitions`` (relabelled by
:func:`narratif.turning_points.relabel.relabel`, and the dev stories' lines taking the new
gold's type where it has one).

    .venv/bin/python benchmarks/eval_tp_types.py [--cache DIR] [--labels team|definitions] [--confusion]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "tests" / "data" / "external" / "tp_types"
CONSENSUS = ROOT / "tests" / "data" / "turning_points" / "parisstories-consensus"
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]

from narratif.turning_points.lexicon import TYPES  # noqa: E402


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def external_gold(path: Path = EXT / "gold.tsv") -> dict[str, dict[int, tuple[str, str, str]]]:
    """``story -> line -> (type, polarity, split)`` for the lines both annotators typed alike."""
    out: dict[str, dict[int, tuple[str, str, str]]] = {}
    for r in read_tsv(path):
        if r["type_status"] == "agreed":
            out.setdefault(r["story"], {})[int(r["line"])] = (r["type"], r["polarity"], r["split"])
    return out


def story_split(path: Path = EXT / "split.tsv") -> dict[str, str]:
    return {r["story"]: r["split"] for r in read_tsv(path)}


def team_types(story: str) -> dict[int, str]:
    path = CONSENSUS / f"{story}.tsv"
    return {int(r["line"]): r["type"] for r in read_tsv(path) if r["line"].strip().isdigit()} if path.is_file() else {}


class LineTyper:
    """Types whole lines of one analysed story with a given classifier: the line is one unit."""

    def __init__(self, d):
        from narratif.turning_points.detect import TurningPointScorer
        from narratif.turning_points.features import narrative_units

        self.d = d
        parsed = d.extra["parsed"]
        rows = [(p, s, sp) for p in parsed if p.segment.role != "interviewer" for s, sp in zip(p.sentences, p.spans)]
        self.spans = [r[2] for r in rows]
        self.speakers = [r[0].segment.speaker for r in rows]
        self.line = [d.extra["sent_key"][r[1].sent_id][0] for r in rows]
        self.scorer = TurningPointScorer()
        self.base_units = narrative_units(self.spans)

    def rows_for(self, lines: list[int]):
        """Unit rows where every sentence of each given line forms one unit; ``{line: unit}``."""
        from narratif.turning_points.classifier import unit_rows

        want = set(lines)
        units: list[list[int]] = []
        for u in self.base_units:
            ln = self.line[u[0]]
            if ln in want and units and self.line[units[-1][0]] == ln:
                units[-1].extend(u)
            else:
                units.append(list(u))
        where = {self.line[u[0]]: j for j, u in enumerate(units) if self.line[u[0]] in want}
        ur = unit_rows(self.spans, self.speakers, self.scorer, units=units, needed=set(where.values()))
        return ur, where


def classify(typer, ur, idx: list[int]) -> list[str]:
    if not idx:
        return []
    return [typer.classes[j] for j in typer.decision(ur.dense[idx], ur.vectors[idx]).argmax(1)]


def detector_lines(d, model) -> list[tuple[int, str]]:
    """(line, type) of the detector's picks on one story, with ``model``."""
    from narratif.turning_points.detect import detect_turning_points

    return [(d.extra["sent_key"][tp.sent_id][0], tp.type)
            for tp in detect_turning_points(d.extra["document"], d.extra["parsed"], model=model)]


class Tally:
    """Agreement counts per group (``all``, ``dev``, ``test``, years) and a confusion matrix."""

    def __init__(self):
        self.ok: Counter = Counter()
        self.n: Counter = Counter()
        self.confusion: Counter = Counter()

    def add(self, groups: list[str], gold: str, pred: str | None) -> None:
        for g in groups:
            self.n[g] += 1
            self.ok[g] += gold == pred
        self.confusion[(gold, pred)] += 1

    def rate(self, g: str) -> str:
        return f"{self.ok[g] / self.n[g]:.3f} ({self.ok[g]}/{self.n[g]})" if self.n[g] else "-"


GROUPS = ("all", "dev", "test", "2019", "2020", "2021", "2022")


def evaluate(stories: list, gold: dict, typers: dict, shipped) -> dict[str, Tally]:
    """Every measure for every named classifier; ``typers``: name -> ``f(story, split)`` giving the
    classifier that types that story."""
    import eval_turning_points as ev

    out: dict[str, Tally] = {"team": Tally(), "rules": Tally()}
    for d in stories:
        g = gold.get(d.src.name, {})
        if not g:
            continue
        lt = LineTyper(d)
        lines = sorted(g)
        ur, where = lt.rows_for(lines)
        team = team_types(d.src.name)
        split = next(iter(g.values()))[2]
        groups = ["all", split, d.src.name[:4]]
        for ln in lines:
            out["team"].add(groups, g[ln][0], team.get(ln))
            cand = ur.rule_cands[where[ln]]
            out["rules"].add(groups, g[ln][0], cand["type"] if cand else None)
        for name, typer_for in typers.items():
            typer = typer_for(d.src.name, split)
            types = dict(zip(lines, classify(typer, ur, [where[ln] for ln in lines])))
            model = replace(shipped, typer=typer)
            picks = detector_lines(d, model)
            picked = dict(picks)
            for ln in lines:
                if ln in picked:
                    out.setdefault(f"{name}/picked-exactly", Tally()).add(groups, g[ln][0], picked[ln])
                out.setdefault(f"{name}/classifier", Tally()).add(groups, g[ln][0], types[ln])
                out.setdefault(f"{name}/detector", Tally()).add(groups, g[ln][0], picked.get(ln, types[ln]))
            gu = [ev.Unit(d.src.name, ln, g[ln][0]) for ln in lines]
            pu = [ev.Unit(d.src.name, ln, t) for ln, t in picks]
            tm = out.setdefault(f"{name}/matched", Tally())
            for gg, pp in ev.match(gu, pu):
                tm.add(groups, gg.type, pp.type)
    return out


def print_tallies(out: dict[str, Tally], confusion: bool) -> None:
    print("measure\t" + "\t".join(GROUPS))
    for name, t in out.items():
        print(name + "\t" + "\t".join(t.rate(g) for g in GROUPS))
    if not confusion:
        return
    for name, t in out.items():
        print(f"\n{name}: gold (rows) by prediction (columns)")
        cols = list(TYPES) + ([None] if any(p is None for _, p in t.confusion) else [])
        print("gold\\pred\t" + "\t".join(str(c)[:8] for c in cols))
        for a in TYPES:
            print(a[:10] + "\t" + "\t".join(str(t.confusion[(a, b)] or "·") for b in cols))


def main(argv: list[str] | None = None) -> int:
    import train_turning_points as T

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching parses (DocBin)")
    ap.add_argument("--labels", choices=("team", "definitions"), default="definitions")
    ap.add_argument("--confusion", action="store_true")
    args = ap.parse_args(argv)
    docs = T.load_docs(args.shared, args.cache)
    gold = external_gold()
    splits = story_split()
    shipped = base_model()
    stories = [d for d in docs if d.src.kind == "ps" and d.src.independent]
    others = [d for d in docs if not (d.src.kind == "ps" and d.src.independent)]
    dev = [d for d in stories if splits.get(d.src.name) == "dev"]
    params = shipped.meta["config_params"]
    fit = lambda dd: T.fit_typer(dd, C=params["tC"], vector_weight=params["tvw"], labels=args.labels)  # noqa: E731
    loso = fit(others)
    with_dev = fit(others + dev)
    devcv = dev_cv(dev, others, fit)
    typers = {**({"shipped": lambda story, split: shipped.typer} if shipped.typer is not None else {}),
              "loso": lambda story, split: loso,
              "dev": lambda story, split: with_dev,
              "devcv": lambda story, split: devcv.get(story, with_dev)}
    print(f"gold: {sum(len(v) for v in gold.values())} agreed lines; training labels: {args.labels}")
    print_tallies(evaluate(stories, gold, typers, shipped), args.confusion)
    return 0


def base_model():
    """The shipped model; when its weights predate the current features (while retraining), the
    shipped configuration without weights: rule ranking, learned typing, type clarity 0.4."""
    from narratif.turning_points.classifier import TurningPointModel, load_model

    try:
        return load_model()
    except ValueError:
        return TurningPointModel("rules", "learned", type_margin=0.4,
                                 meta={"config_params": {"tC": 0.01, "tvw": 1.0}})


def dev_cv(dev: list, others: list, fit, k: int = 4) -> dict:
    """``story -> classifier`` for the dev figure: each dev story typed by a classifier fitted
    without it (``k`` folds over the dev stories, always with the other sources; never a test story)."""
    import train_turning_points as T

    out = {}
    for fold in T.folds([d.src.name for d in dev], k, T.SEED):
        typer = fit(others + [d for i, d in enumerate(dev) if i not in fold])
        out.update({dev[i].src.name: typer for i in fold})
    return out


if __name__ == "__main__":
    raise SystemExit(main())
