import pickle, sys, time
from pathlib import Path
sys.path.insert(0, "/work/main/benchmarks")
from narratif.nlp import load_nlp, parse_document
from narratif.ingest import ingest_file
shared = Path("/work/shared/corpora")
nlp = load_nlp()
out = {}
t0 = time.time()
for p in sorted((shared / "parisstories").glob("*.txt")):
    d = ingest_file(p); out[("ps", p.stem)] = (d, parse_document(nlp, d))
for stem in ["Mira_F_88_14e-v2", "Younes_Belkacem_H_59_Mo-v2", "Louise_Liotard_F_85_et_Jeanne_Mallet_F_75_SO-1-v2", "Jacqueline_Pelletier_F_65_Ivry-v2"]:
    d = ingest_file(shared / "cfpp2000" / f"{stem}.txt"); t = time.time(); out[("cfpp", stem)] = (d, parse_document(nlp, d)); print(stem, time.time()-t, d.n_words)
print(time.time() - t0)

ser = {}
for k, (d, parsed) in out.items():
    ser[k] = (d, [(p.segment, p.doc, p.sentences, [(sp.start, sp.end) for sp in p.spans]) for p in parsed])
pickle.dump(ser, open("/tmp/tp/parsed.pkl", "wb"))
