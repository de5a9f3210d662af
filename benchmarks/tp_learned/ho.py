import sys, pickle
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
import exp
from exp import *
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
for d in docs:
    d["X"] = np.hstack([d["X"][:, :N_DENSE], d["legacy"][:, None], d["X"][:, N_DENSE:]])
exp.N_DENSE = N_DENSE + 1
tr = [d for d in docs if not d["stem"].startswith("2022")]
te = [d for d in docs if d["stem"].startswith("2022")]
a, b = fit_budget(tr); print("budget a b", a, b)
for cfg in [dict(kind="lr", C=0.02, use_bow=False), dict(kind="lr", C=0.02, use_bow=True)]:
    oof = [None]*len(tr)
    for itest in folds(tr, 5, 1):
        m = train([tr[i] for i in range(len(tr)) if i not in itest], **cfg)
        for i in itest: oof[i] = probs(m, tr[i])
    f, thr, sc = tune_selection(tr, oof, a, b)
    m = train(tr, **cfg)
    tot = np.zeros(4)
    for d in te: tot += doc_eval(d, select(probs(m, d), n_of(d), d["units"], thr, a*sc, b))
    print(cfg, "train-oof F1", f, thr, sc, "heldout", prf(tot), flush=True)
# legacy with its own selection approx
tot = np.zeros(4)
for d in te: tot += doc_eval(d, select(d["legacy"], n_of(d), d["units"], 0.9, 0.6, 0.5))
print("legacy heldout", prf(tot))
