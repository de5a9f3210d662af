import sys, pickle
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
from exp import folds, TYPES
from tp_features import N_DENSE, VECTOR_DIM, SENT_NAMES
from sklearn.linear_model import LogisticRegression
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
def gather(dd):
    X, y, g = [], [], []
    for j, d in enumerate(dd):
        for i in np.where(d["y"])[0]:
            X.append(d["X"][i]); y.append(d["types"][i]); g.append(j)
    return np.array(X), np.array(y), np.array(g)
X, y, g = gather(docs)
print(len(y))
lexcols = [SENT_NAMES.index(f"lex_{t}") for t in TYPES]; patcols = [SENT_NAMES.index(f"pat_{t}") for t in TYPES]
leg = np.array(TYPES)[np.argmax(X[:, lexcols] + X[:, patcols], 1)]
print("legacy-lex type acc", (leg == y).mean())
def design(X, st, vs, bow):
    D = (X[:, :N_DENSE] - st["mu"]) / st["sd"]; V = X[:, N_DENSE:N_DENSE+VECTOR_DIM]
    parts = [D, V @ st["P"].T * vs]
    if bow: parts.append((X[:, N_DENSE+VECTOR_DIM:][:, st["vocab"]] > 0) * bow)
    return np.hstack(parts)
for C in []:
  for vs in [0, 3, 10]:
    for bow in [0, 0.5]:
        pred = np.empty(len(y), dtype=object)
        for test in folds(docs, 6):
            te = np.isin(g, test); tr = ~te
            mu, sd = X[tr, :N_DENSE].mean(0), X[tr, :N_DENSE].std(0) + 1e-6
            V = X[tr, N_DENSE:N_DENSE+VECTOR_DIM]
            P = np.vstack([V[y[tr] == t].mean(0) for t in TYPES]); P /= np.linalg.norm(P, axis=1, keepdims=True)
            vocab = np.where((X[tr, N_DENSE+VECTOR_DIM:] > 0).sum(0) >= 2)[0]
            st = dict(mu=mu, sd=sd, P=P, vocab=vocab)
            m = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(design(X[tr], st, vs, bow), y[tr])
            pred[te] = m.predict(design(X[te], st, vs, bow))
        print(C, vs, bow, round((pred == y).mean(), 3), flush=True)
print("---- heldout")
ho = np.array([docs[j]["stem"].startswith("2022") for j in g])
for C in [0.02, 0.05, 0.1]:
  for vs in [0, 3]:
    tr = ~ho
    mu, sd = X[tr, :N_DENSE].mean(0), X[tr, :N_DENSE].std(0) + 1e-6
    V = X[tr, N_DENSE:N_DENSE+VECTOR_DIM]
    P = np.vstack([V[y[tr] == t].mean(0) for t in TYPES]); P /= np.linalg.norm(P, axis=1, keepdims=True)
    st = dict(mu=mu, sd=sd, P=P, vocab=None)
    m = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(design(X[tr], st, vs, 0), y[tr])
    print(C, vs, "HO acc", round((m.predict(design(X[ho], st, vs, 0)) == y[ho]).mean(), 3), "legacy-lex HO", round((leg[ho] == y[ho]).mean(), 3))
