import sys, pickle, itertools
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
from load import load
from narratif.turning_points import TurningPointScorer, TYPES
from tp_features import document_matrix, doc_span, _content_tokens
docs = pickle.load(open("/tmp/tp/docs.pkl", "rb"))
data = load(); sc = TurningPointScorer()
rows = []  # (split, gold type, scores dict)
for d in docs:
    dd, parsed = data[(d["kind"], d["stem"])]
    spans = [sp for p in parsed if p.segment.role != "interviewer" for sp in p.spans]
    M = document_matrix(spans, [None]*len(spans))
    for i in np.where(d["y"])[0]:
        c = sc(doc_span(spans, M.units[i]))
        split = "cfpp" if d["kind"] == "cfpp" else ("ho" if d["stem"].startswith("2022") else "tune")
        rows.append((split, d["types"][i], (c or {}).get("scores", {}), (c or {}).get("type")))
ORDER = ["rupture", "mobilite", "rencontre", "revelation", "decision", "resolution"]
def dl(scores, th):
    if not scores: return "resolution"
    for t in ORDER:
        if scores.get(t, 0) >= th[t]: return t
    return max(scores, key=scores.get)
def acc(rs, f): return round(np.mean([f(r) == r[1] for r in rs]), 3), len(rs)
for split in ["tune", "ho", "cfpp"]:
    rs = [r for r in rows if r[0] == split]
    print(split, "argmax", acc(rs, lambda r: r[3]))
tune = [r for r in rows if r[0] != "ho"]
grid = [0.6, 0.9, 1.2, 1.5, 99]
best = None
import random
random.seed(0)
for _ in range(3000):
    th = {t: random.choice(grid) for t in ORDER}
    a = acc(tune, lambda r: dl(r[2], th))[0]
    if best is None or a > best[0]: best = (a, th)
print(best)
for split in ["tune", "ho", "cfpp"]:
    rs = [r for r in rows if r[0] == split]
    print(split, "DL", acc(rs, lambda r: dl(r[2], best[1])))
