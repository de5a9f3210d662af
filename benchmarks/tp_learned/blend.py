import sys, pickle
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
import exp
from exp import *
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
def oof_probs(dd, cfg, k=6):
    allp = [None]*len(dd)
    for test in folds(dd, k):
        m = train([dd[i] for i in range(len(dd)) if i not in test], **cfg)
        for i in test: allp[i] = probs(m, dd[i])
    return allp
def oracle(dd, ps):
    tot = np.zeros(4)
    for d, p in zip(dd, ps): tot += doc_eval(d, select(p, 0, d["units"], -1e9, len(d["gold"]), 0))
    return prf(tot)
P = oof_probs(docs, dict(kind="lr", C=0.02, use_bow=False))
for lam in [0, 0.1, 0.2, 0.3, 0.5, 1.0, 100]:
    ps = [d["legacy"] + lam*np.log(p/(1-p)) for d, p in zip(docs, P)]
    print(lam, oracle(docs, ps))
# heldout: train on 2019-2021
tr = [d for d in docs if not d["stem"].startswith("2022")]; te = [d for d in docs if d["stem"].startswith("2022")]
m = train(tr, kind="lr", C=0.02, use_bow=False)
for lam in [0, 0.1, 0.2, 0.3, 0.5]:
    ps = [d["legacy"] + lam*np.log((q:=probs(m, d))/(1-q)) for d in te]
    print("HO", lam, oracle(te, ps))
