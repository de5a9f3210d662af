import sys, time, csv, re
import numpy as np
sys.path.insert(0, "/tmp/tp"); sys.path.insert(0, __import__("os").path.dirname(__file__)); sys.path.insert(0, "/work/main/benchmarks")
from load import load
import eval_turning_points as ev
from tp_features import document_matrix
from pathlib import Path
GOLD = Path("/work/main/tests/data/turning_points")

def build():
    data = load()
    docs = []
    t0 = time.time()
    for (kind, stem), (d, parsed) in data.items():
        if stem == "LICENSE": continue
        rows = [(p, s, sp) for p in parsed if p.segment.role != "interviewer" for s, sp in zip(p.sentences, p.spans)]
        M = document_matrix([r[2] for r in rows], [r[0].segment.speaker for r in rows])
        from tp_features import _content_tokens
        rep = [max(u, key=lambda i: _content_tokens(rows[i][2])) for u in M.units]
        allrows = rows
        from tp_features import doc_span
        from narratif.turning_points import TurningPointScorer
        _sc = TurningPointScorer()
        legacy = np.array([(c["score"] if (c := _sc(doc_span([r[2] for r in rows], u))) else 0.0) for u in M.units])
        rows = [rows[i] for i in rep]
        if kind == "ps":
            units = [ev.line_of(d.text, s.start) for _, s, _ in rows]
            gold = {int(r["line"]): r["type"] for r in ev.read_tsv(GOLD / "parisstories" / f"{stem}.tsv") if r["line"].strip().isdigit()}
            scope = np.ones(len(rows), bool)
        else:
            sents = [s for p in parsed for s in p.sentences]
            lines = d.text.split("\n"); ls = [0]
            for ln in lines: ls.append(ls[-1] + len(ln) + 1)
            gold = {}
            for r in ev.read_tsv(GOLD / "cfpp2000" / f"{stem}.tsv"):
                ln = int(r["line"]); pos = ev._locate(lines[ln-1], r["quote"]) or 0
                off = ls[ln-1] + pos
                sid = next((s.sent_id for s in sents if s.start <= off < s.end + 1), None)
                if sid is None: sid = next((s.sent_id for s in sents if s.start >= off), sents[-1].sent_id)
                gold.setdefault(sid, r["type"])
            units = [s.sent_id for _, s, _ in rows]
            scope = np.array([ev.line_of(d.text, s.start) <= 120 for _, s, _ in rows])
        if kind == "ps":
            y = np.array([u in gold for u in units]); types = [gold.get(u) for u in units]
        else:
            members = [[allrows[i][1].sent_id for i in u] for u in M.units]
            types = [next((gold[m] for m in ms if m in gold), None) for ms in members]
            y = np.array([t is not None for t in types])
        docs.append(dict(kind=kind, stem=stem, X=M.X, y=y, types=types, units=np.array(units), scope=scope, gold=gold, legacy=legacy, texts=[s.text for _, s, _ in rows]))
    print("features", time.time() - t0, file=sys.stderr)
    return docs
if __name__ == "__main__":
    import pickle
    docs = build()
    pickle.dump(docs, open("/tmp/tp/docs.pkl", "wb"))
    print(sum(d["y"].sum() for d in docs), sum(len(d["gold"]) for d in docs))
