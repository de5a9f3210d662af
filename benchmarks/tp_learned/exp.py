import sys, pickle, itertools, time
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import HistGradientBoostingClassifier
from tp_features import N_DENSE, VECTOR_DIM, N_HASH
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
TYPES = ("rencontre", "rupture", "decision", "revelation", "resolution", "mobilite")

def design(X, state):
    D = X[:, :N_DENSE]; V = X[:, N_DENSE:N_DENSE+VECTOR_DIM]; H = (X[:, N_DENSE+VECTOR_DIM:] > 0).astype(np.float32)
    parts = [(D - state["mu"]) / state["sd"], V @ state["protos"].T * state["vs"]]
    if state["use_bow"]: parts.append(H[:, state["vocab"]] * state["bs"])
    return np.hstack(parts)

def fit_state(X, y, use_bow=True, min_df=3, vs=3.0, bs=0.5):
    D = X[:, :N_DENSE]; V = X[:, N_DENSE:N_DENSE+VECTOR_DIM]; H = X[:, N_DENSE+VECTOR_DIM:] > 0
    mu, sd = D.mean(0), D.std(0); sd[sd == 0] = 1
    protos = np.vstack([V[y].mean(0), V[~y].mean(0)])
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    vocab = np.where(H.sum(0) >= min_df)[0]
    return dict(mu=mu, sd=sd, protos=protos, vocab=vocab, use_bow=use_bow, vs=vs, bs=bs)

def make(kind, C):
    if kind == "lr": return LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0, min_samples_leaf=20, random_state=0)

def train(dd, kind="lr", C=0.05, **kw):
    X = np.vstack([d["X"][d["scope"]] for d in dd]); y = np.concatenate([d["y"][d["scope"]] for d in dd])
    st = fit_state(X, y, **kw)
    m = make(kind, C).fit(design(X, st), y)
    return st, m

def probs(model, d):
    st, m = model
    return m.predict_proba(design(d["X"], st))[:, 1]

def select(p, n, units, thr, a, b, gap=1):
    budget = max(1, int(round(a * n ** b)))
    order = np.argsort(-p, kind="stable")
    kept = []
    for i in order:
        if p[i] < thr or len(kept) >= budget: break
        if any(abs(i - k) <= gap or units[i] == units[k] for k in kept): continue
        kept.append(i)
    return sorted(kept)

def doc_eval(d, kept, ptypes=None):
    pu = [d["units"][i] for i in kept if d["scope"][i]]
    pt = [ptypes[i] if ptypes is not None else None for i in kept if d["scope"][i]]
    gold = d["gold"]
    pairs = sorted((abs(g - u), g, j) for g in gold for j, u in enumerate(pu) if abs(g - u) <= 1)
    ug, up, m, tok = set(), set(), 0, 0
    for _, g, j in pairs:
        if g in ug or j in up: continue
        ug.add(g); up.add(j); m += 1; tok += (pt[j] == gold[g])
    return len(pu), len(gold), m, tok

def n_of(d): return int(d["scope"].sum())

def fit_budget(dd):
    ns = np.array([n_of(d) for d in dd]); cs = np.array([len(d["gold"]) for d in dd])
    ok = cs > 0
    b, la = np.polyfit(np.log(ns[ok]), np.log(cs[ok]), 1)
    return np.exp(la), b

def prf(tot):
    P = tot[2]/tot[0] if tot[0] else 0; R = tot[2]/tot[1]; F = 2*P*R/(P+R) if P+R else 0
    return round(P,3), round(R,3), round(F,3), round(tot[3]/tot[2],3) if tot[2] else 0

def tune_selection(dd, oof, a, b):
    best = None
    for thr in [0.1,0.2,0.3,0.4,0.5,0.6,0.7]:
        for sc in [0.6,0.8,1.0,1.2,1.5,2.0]:
            tot = np.zeros(4)
            for d, p in zip(dd, oof):
                k = select(p, n_of(d), d["units"], thr, a*sc, b)
                tot += doc_eval(d, k)
            f = prf(tot)[2]
            if best is None or f > best[0]: best = (f, thr, sc)
    return best

def folds(dd, k, seed=0):
    rng = np.random.RandomState(seed); idx = rng.permutation(len(dd))
    return [sorted(idx[i::k]) for i in range(k)]

def cv(dd, k=6, nested=True, **kw):
    tot = np.zeros(4); allp = [None]*len(dd)
    for test in folds(dd, k):
        tr = [dd[i] for i in range(len(dd)) if i not in test]
        a, b = fit_budget(tr)
        if nested:
            oof = [None]*len(tr)
            for itest in folds(tr, 4, 1):
                m = train([tr[i] for i in range(len(tr)) if i not in itest], **kw)
                for i in itest: oof[i] = probs(m, tr[i])
            _, thr, sc = tune_selection(tr, oof, a, b)
        else:
            thr, sc = kw.pop("thr", 0.5), 1.0
        m = train(tr, **kw)
        for i in test:
            p = probs(m, dd[i]); allp[i] = p
            tot += doc_eval(dd[i], select(p, n_of(dd[i]), dd[i]["units"], thr, a*sc, b))
    return prf(tot), allp

if __name__ == "__main__":
    ps = [d for d in docs]
    for cfg in [dict(kind="lr", C=0.02), dict(kind="lr", C=0.05), dict(kind="lr", C=0.2), dict(kind="lr", C=0.05, use_bow=False), dict(kind="hgb", use_bow=False)]:
        t = time.time()
        r, _ = cv(ps, **cfg)
        print(cfg, r, round(time.time()-t,1), flush=True)
