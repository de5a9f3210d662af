"""Does adapting turning-point typing to a team's reviews help on the documents it did not review?

Simulation of ``narratif review`` followed by :func:`narratif.turning_points.adapt.adapt_model` on a genre
the base model never saw. Base: the shipped configuration with its type classifier fitted on
the stories only (ParisStories passes + the project-written stories). Team: CFPP2000 material,
split by interview in two random halves; the gold moments of one half stand for the analysts'
verdicts (kept, retyped and added moments all carry a type), the other half is scored. For
each of ``--reps`` halvings it reports, on the unreviewed half, the type accuracy on the gold
moments themselves and the detector's F1 / type agreement (the adapted classifier also ranks
by type clarity), base against adapted, for two team corpora: the 95 one-turn-per-line
passages (``passages``) and the annotated stretches of long interviews (``interviews``).

    .venv/bin/python benchmarks/eval_tp_adaptation.py [--cache DIR] [--reps 10]
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


def interview(name: str) -> str:
    """The interview a document comes from (a passage ``p:X__1`` or an excerpt ``x:X``)."""
    return name.split(":", 1)[-1].split("__")[0]


def main(argv: list[str] | None = None) -> int:
    import train_turning_points as T

    from narratif.turning_points.adapt import adapt_model
    from narratif.turning_points.classifier import fit_typer, load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=None, help="directory caching parses (DocBin)")
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args(argv)
    docs = T.load_docs(args.shared, args.cache)
    shipped = load_model()
    params = shipped.meta["config_params"]
    stories = [d for d in docs if d.src.kind == "ps" and not d.src.name.startswith("p:")]
    corpora = {"passages": [d for d in docs if d.src.name.startswith("p:")],
               "interviews": [d for d in docs if d.src.kind == "cfpp"]}
    base_examples = T.typer_examples(stories)
    base = replace(shipped, typer=fit_typer(base_examples, C=params["tC"], vector_weight=params["tvw"]))
    print(f"base: {len(base_examples)} typed examples from {len(stories)} stories")
    for name, team_docs in corpora.items():
        groups = sorted({interview(d.src.name) for d in team_docs})
        acc = {"base": [], "adapted": []}
        tallies = {"base": np.zeros(6), "adapted": np.zeros(6)}
        n_team = []
        for rep in range(args.reps):
            rng = random.Random(rep)
            order = groups[:]
            rng.shuffle(order)
            reviewed = set(order[:len(order) // 2])
            team = T.typer_examples([d for d in team_docs if interview(d.src.name) in reviewed])
            n_team.append(len(team))
            adapted = adapt_model(base, base_examples, team)
            test = [d for d in team_docs if interview(d.src.name) not in reviewed]
            held = T.typer_examples(test)
            for label, model in (("base", base), ("adapted", adapted)):
                typer = model.typer
                pred = np.array(typer.classes)[typer.decision(held.dense, held.vectors).argmax(1)]
                acc[label].append(float((pred == held.labels).mean()))
                for d in test:
                    tallies[label] += T.tally(*T.evaluate(model, d))
        print(f"{name}: {len(team_docs)} documents from {len(groups)} interviews; "
              f"{np.mean(n_team):.0f} typed moments reviewed on average")
        for label in ("base", "adapted"):
            r = T.prf(tallies[label])
            print(f"  {label:8s} type accuracy on the unreviewed gold moments {np.mean(acc[label]):.3f} "
                  f"(sd {np.std(acc[label]):.3f}) | detector {T._fmt(r)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
