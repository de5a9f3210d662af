import sys, pickle, time
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__))
from exp import *
from narratif.turning_points import TurningPointScorer
from load import load
data = load()
sc = TurningPointScorer()
# oracle-budget ranking quality
def oracle(get_p):
    tot = np.zeros(4)
    for d in docs:
        p = get_p(d); k = select(p, 0, d["units"], -1e9, len(d["gold"]), 0)
        tot += doc_eval(d, k)
    return prf(tot)
print("legacy oracle", oracle(lambda d: d["legacy"]))
_, allp = cv(docs, kind="lr", C=0.05, use_bow=False, nested=False, thr=0.0)
print("lr oracle", oracle(lambda d: allp[docs.index(d)]))
