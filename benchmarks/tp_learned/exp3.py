import sys, pickle, time
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
import exp
from exp import *
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
def augment(d, legacy=True, rel=True):
    X = d["X"]; extra = []
    if legacy: extra.append(d["legacy"][:, None])
    if rel:
        D = X[:, :N_DENSE]
        z = (D - D.mean(0)) / (D.std(0) + 1e-3)
        extra.append(z[:, :80])
        if legacy:
            l = d["legacy"]; extra.append(((l - l.mean())/(l.std()+1e-3))[:, None])
            # local rank within window ±2
            r = np.array([float(l[i] >= l[max(0,i-2):i+3].max()) for i in range(len(l))]); extra.append(r[:, None])
    return np.hstack([X[:, :N_DENSE]] + extra + [X[:, N_DENSE:]])
def run(label, ignore_nb=False, **aug):
    nd = N_DENSE + (1 if aug.get("legacy", True) else 0) + (80 + (2 if aug.get("legacy", True) else 0) if aug.get("rel", True) else 0)
    exp.N_DENSE = nd
    dd = []
    for d in docs:
        e = dict(d); e["X"] = augment(d, **aug)
        if ignore_nb:
            y = d["y"]; nb = np.zeros_like(y)
            nb[1:] |= y[:-1]; nb[:-1] |= y[1:]
            e["scope"] = d["scope"] & ~(nb & ~y)
            e["eval_scope"] = d["scope"]
        dd.append(e)
    return dd
def cv2(dd, **kw):
    # training scope may differ from eval scope
    tot = np.zeros(4); allp = [None]*len(dd)
    for test in folds(dd, 6):
        tr = [dd[i] for i in range(len(dd)) if i not in test]
        m = train(tr, **kw)
        for i in test: allp[i] = probs(m, dd[i])
    for d, p in zip(dd, allp):
        d2 = dict(d); d2["scope"] = d.get("eval_scope", d["scope"])
        tot += doc_eval(d2, select(p, 0, d["units"], -1e9, len(d["gold"]), 0))
    return prf(tot), allp
for lab, aug, nb in [("legacy only", dict(legacy=True, rel=False), False), ("legacy+rel", dict(legacy=True, rel=True), False), ("legacy+rel+ignore_nb", dict(legacy=True, rel=True), True), ("rel+nb", dict(legacy=False, rel=True), True)]:
    dd = run(lab, ignore_nb=nb, **aug)
    for C in [0.01, 0.05]:
        print(lab, C, cv2(dd, kind="lr", C=C, use_bow=False)[0], flush=True)
    print(lab, "hgb", cv2(dd, kind="hgb", use_bow=False)[0], flush=True)
