
import pickle
from narratif.nlp import ParsedSegment
def load():
    ser = pickle.load(open("/tmp/tp/parsed.pkl", "rb"))
    return {k: (d, [ParsedSegment(seg, doc, sents, [doc[a:b] for a, b in sp]) for seg, doc, sents, sp in ps]) for k, (d, ps) in ser.items()}
