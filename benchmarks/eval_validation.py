"""Do the corrected shares cover the truth? Simulated analysts on real labelled data.

For each data set, every unit has the coder's prediction (run here, as narratif runs it) and
a label given by people, never by narratif. Each seed plays an analyst: draw a validation
sample of ``--n`` units exactly as ``narratif validate draw`` does (same strata, same
allocation, same code), answer every code of every drawn unit from the labels, estimate as
``narratif validate import`` does, and check whether the 95 % interval holds the true share
(the labels' share over all units). Prints, per code and overall: the interval coverage, the
mean absolute error of the corrected and of the raw share, and the mean interval width.
Variants: the same n drawn in two steps (a second sample added to the first), and an
estimation sample drawn after a training sample (whose verdicts must not bias anything).

Data sets:

* ``turning points``: the 36 ParisStories oral stories (``../shared/corpora/parisstories``),
  one unit per sentence (line), the label is the majority of three blind annotation passes
  (``tests/data/turning_points/parisstories-consensus``); the coder is the hand-written
  detector (``use_model=False``: the shipped learned ranker was trained on these stories).
* ``themes``: the dev-set paragraphs taken from the study documents in ``../shared/seeds``
  (``tests/data/devset/themes.tsv``, rows whose text is a pointer into the seeds; the rows the
  team wrote are left out), one unit per paragraph, one theme label per paragraph; the coder
  is narratif's default theme coder.

    .venv/bin/python benchmarks/eval_validation.py [--shared ../shared] [--seeds 500] [--n 60]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
GOLD = ROOT / "tests" / "data" / "turning_points" / "parisstories-consensus"


def make_frame(unit: str, ids: list[str], scores: pd.DataFrame, families: dict[str, str]):
    """A UnitFrame from plain scores, as ``narratif.validation.units.build_frame`` makes it."""
    from narratif.validation.units import NONE_STRATUM, UnitFrame, _levels, _uncertainty

    levels = _levels(scores.reset_index(drop=True), families)
    codes = list(families)
    top = np.where(levels.max(axis=1) == 3, levels.idxmax(axis=1), NONE_STRATUM)
    units = pd.DataFrame({"unit_id": ids, "doc_id": ids, "path": ids, "label": ids, "seg_id": 0,
                          "sent_id": pd.NA, "text": "", "top": top,
                          "uncertainty": _uncertainty(scores.reset_index(drop=True), codes)})
    return UnitFrame(unit=unit, units=units, levels=levels, codes=codes, families=families, attributes=[],
                     segments=pd.DataFrame())


def turning_point_data(shared: Path, nlp):
    """Sentences of the 36 stories: the rules detector's type scores and the consensus type."""
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document
    from narratif.turning_points.detect import TYPES, TurningPointSettings, detect_turning_points

    from eval_turning_points import line_of, read_tsv

    ids, rows, gold = [], [], []
    for gold_path in sorted(GOLD.glob("*.tsv")):
        src = shared / "corpora" / "parisstories" / f"{gold_path.stem}.txt"
        doc = ingest_file(src)
        parsed = parse_document(nlp, doc)
        tps = detect_turning_points(doc, parsed, settings=TurningPointSettings(use_model=False))
        n_lines = doc.text.rstrip("\n").count("\n") + 1
        pred = {}
        for tp in tps:
            line = line_of(doc.text, tp.start)
            pred.setdefault(line, {})[tp.type] = max(tp.score, 1e-6, pred.get(line, {}).get(tp.type, 0))
        labels = {int(r["line"]): r["type"].strip() for r in read_tsv(gold_path) if r.get("line", "").isdigit()}
        for line in range(1, n_lines + 1):
            ids.append(f"{gold_path.stem}:{line}")
            rows.append({t: pred.get(line, {}).get(t, 0.0) for t in TYPES})
            gold.append(labels.get(line))
    families = {t: "turning_points" for t in TYPES}
    truth = pd.DataFrame({t: [int(g == t) for g in gold] for t in TYPES})
    return make_frame("sentence", ids, pd.DataFrame(rows, columns=list(TYPES)), families), truth


def theme_data(shared: Path, nlp):
    """Dev-set paragraphs from the study documents: coder scores per theme (sub-codes count) and label."""
    from eval_coding import DEVSET, load_devset, parse_paragraphs

    from narratif.codebook import load_codebook
    from narratif.coding import build_coder

    book = load_codebook()
    rows = [r for r in load_devset(DEVSET, shared) if r["source"].startswith("seed")]
    parsed = parse_paragraphs(nlp, [r["text"] for r in rows])
    coder = build_coder(book, nlp=nlp)
    themes = book.theme_ids
    scores = []
    for p in parsed:
        s = dict.fromkeys(themes, 0.0)
        for c in coder.code(p):
            top = book.top_level(c.code) if c.code in book else None
            if top in s:
                s[top] = max(s[top], c.score)
        scores.append(s)
    truth = pd.DataFrame({t: [int(r["theme"] == t) for r in rows] for t in themes})
    return make_frame("segment", [r["id"] for r in rows], pd.DataFrame(scores, columns=themes),
                      {t: "themes" for t in themes}), truth


def resampled(frame, truth: pd.DataFrame, size: int, seed: int = 123):
    """A larger corpus drawn with replacement from the labelled units (same joint law of
    prediction and label), to see the estimator at the size of the issue's expert check."""
    from narratif.validation.units import UnitFrame

    idx = np.random.default_rng(seed).choice(len(frame.units), size=size, replace=True)
    units = frame.units.iloc[idx].reset_index(drop=True).assign(unit_id=[f"r{i}" for i in range(size)])
    big = UnitFrame(unit=frame.unit, units=units, levels=frame.levels.iloc[idx].reset_index(drop=True),
                    codes=frame.codes, families=frame.families, attributes=[], segments=frame.segments)
    return big, truth.iloc[idx].reset_index(drop=True)


def analyst(frame, truth: pd.DataFrame, n: int, seed: int, *, steps: int = 1, training: int = 0) -> pd.DataFrame:
    """One simulated analyst: draw(s), verdicts from the labels, the estimates table."""
    from narratif.validation.sample import ESTIMATION, TRAINING, draw
    from narratif.validation.shares import frame_estimates

    samples, units = [], []
    taken: dict[str, set[str]] = {ESTIMATION: set(), TRAINING: set()}
    plan = ([(TRAINING, training)] if training else []) + [(ESTIMATION, n // steps + (i < n % steps))
                                                           for i in range(steps)]
    for k, (purpose, size) in enumerate(plan):
        # as draw_sample does: training avoids every sampled unit, estimation only estimation ones
        already = taken[ESTIMATION] | taken[TRAINING] if purpose == TRAINING else taken[ESTIMATION]
        d = draw(frame, size, sample_id=f"s{k}", purpose=purpose, seed=seed * 100 + k, already=already)
        d.sample["drawn_at"] = f"2026-01-0{k + 1}"
        samples.append(d.sample)
        units.append(d.units)
        taken[purpose] |= set(d.units["unit_id"])
    all_units = pd.concat(units, ignore_index=True)
    pos = pd.Series(range(len(frame.units)), index=frame.units["unit_id"])
    rows = [{"unit_id": u, "code": c, "verdict": int(truth.at[pos[u], c])}
            for u in all_units["unit_id"].unique() for c in frame.codes]
    return frame_estimates(frame, pd.DataFrame(samples), all_units, pd.DataFrame(rows))


def simulate(name: str, frame, truth: pd.DataFrame, n: int, seeds: int, **kw) -> dict:
    true_share = truth.mean()
    cover = {c: 0 for c in frame.codes}
    err, raw_err, width, all_but_one = [], [], [], 0
    for seed in range(seeds):
        est = analyst(frame, truth, n, seed, **kw).set_index("code")
        held = 0
        for c in frame.codes:
            r = est.loc[c]
            ok = bool(r["ci_low"] <= true_share[c] <= r["ci_high"])
            cover[c] += ok
            held += ok
            err.append(abs(r["share"] - true_share[c]))
            raw_err.append(abs(r["raw_share"] - true_share[c]))
            width.append(r["ci_high"] - r["ci_low"])
        all_but_one += held >= len(frame.codes) - 1
    k = len(frame.codes)
    print(f"\n{name}: {len(frame.units)} units, n = {n}, {seeds} analysts "
          + ", ".join(f"{a}={b}" for a, b in kw.items()))
    print(f"  {'code':26s} {'true':>6s} {'raw':>6s} {'coverage':>9s}")
    raw = frame.predicted.mean()
    for c in frame.codes:
        print(f"  {c:26s} {true_share[c]:6.3f} {raw[c]:6.3f} {cover[c] / seeds:9.3f}")
    overall = sum(cover.values()) / (seeds * k)
    mae, mae_raw = float(np.mean(err)), float(np.mean(raw_err))
    print(f"  overall coverage {overall:.3f}; MAE corrected {mae:.4f} vs raw {mae_raw:.4f} "
          f"(ratio {mae / mae_raw:.2f}); mean 95 % interval width {np.mean(width):.3f}; "
          f"analysts whose intervals hold all codes but at most one: {all_but_one / seeds:.3f}")
    return {"coverage": overall, "mae": mae, "mae_raw": mae_raw}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--only", choices=("turning_points", "themes"), default=None)
    args = ap.parse_args(argv)

    from narratif.nlp.parse import load_nlp

    nlp = load_nlp()
    if args.only in (None, "turning_points"):
        frame, truth = turning_point_data(args.shared, nlp)
        simulate("turning points (ParisStories sentences)", frame, truth, args.n, args.seeds)
        simulate("turning points, two samples of n/2", frame, truth, args.n, args.seeds, steps=2)
        simulate("turning points, after a training sample of 30", frame, truth, args.n, args.seeds, training=30)
        simulate("turning points, n = 300", frame, truth, 300, max(50, args.seeds // 2))
    if args.only in (None, "themes"):
        frame, truth = theme_data(args.shared, nlp)
        simulate("themes (dev-set paragraphs of the study documents)", frame, truth, args.n, args.seeds)
        simulate("themes, n = 30", frame, truth, 30, args.seeds)
        simulate("themes, two samples of n/2", frame, truth, args.n, args.seeds, steps=2)
        big, big_truth = resampled(frame, truth, 249)
        simulate("themes, the paragraphs resampled into a corpus of 249", big, big_truth, args.n, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
