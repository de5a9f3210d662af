"""Topic quality and speed on the 61 CFPP2000 transcripts, per embedding backend.

    .venv/bin/python benchmarks/eval_topics.py [--backends spacy lsa] [--docs N] [--json out.json]

Builds a scratch store (segments + spaCy vectors, as the pipeline would), runs
``update_topics`` once per backend in a fresh models folder and reports: topics,
outlier shares, topic diversity, NPMI coherence (segments as windows), seconds,
and the ten largest topics with their top terms and two quotes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def attributes_of(path: Path) -> dict:
    """Gender and age from CFPP2000 file names (``Prenom_Nom_F_46_11e-v2.txt``)."""
    m = re.search(r"_([HF])_(\d{2})_", path.name)
    return {"genre": m.group(1), "age": int(m.group(2))} if m else {}


def build_store(out: Path, files: list[Path], nlp):
    from narratif.embeddings import SpacyVectors
    from narratif.ingest import ingest_file
    from narratif.models import Analysis
    from narratif.store import Store

    backend = SpacyVectors(nlp)
    store = Store(out)
    t0 = time.perf_counter()
    for f in files:
        doc = ingest_file(f, attributes_of(f))
        spoken = [s for s in doc.segments if s.role != "interviewer"]
        vecs = backend.embed([s.text for s in spoken])
        store.write_document(doc, Analysis(embeddings=[(s.seg_id, v.tolist()) for s, v in zip(spoken, vecs)],
                                           embeddings_backend=backend.signature()), analysis_key="bench")
    return store, backend, time.perf_counter() - t0


def evaluate(store, backend, models_dir: Path, codebook, embed_seconds: float) -> dict:
    from narratif.topics import coherence_npmi, topic_diversity, update_topics
    from narratif.topics.corpus import load_segments
    from narratif.topics.vocabulary import strip_markup

    t0 = time.perf_counter()
    res = update_topics(store, models_dir, codebook=codebook, backend=backend)
    seconds = time.perf_counter() - t0
    topics = store.table("topics")
    terms = [list(t) for t in topics["top_terms"]]
    segs = load_segments(store, min_assign_words=3)
    npmi, per_topic = coherence_npmi(terms, [strip_markup(t) for t in segs["text"]])
    top10 = []
    for _, row in topics.head(10).iterrows():
        top10.append({"topic_id": int(row["topic_id"]), "size": int(row["size"]), "terms": list(row["top_terms"]),
                      "best_code": row["best_code"], "best_code_similarity": row["best_code_similarity"],
                      "emergent": None if row["emergent"] is None else bool(row["emergent"]),
                      "quotes": [t[:220] for t in list(row["representative_texts"])[:2]]})
    return {"backend": res.backend, "n_topics": res.n_topics, "n_segments": res.n_segments,
            "n_fitted": res.n_fitted, "outlier_share": res.outlier_share,
            "outlier_share_fitted": res.outlier_share_fitted, "diversity": round(topic_diversity(terms), 4),
            "npmi": round(npmi, 4), "npmi_top10": round(sum(per_topic[:10]) / max(1, len(per_topic[:10])), 4),
            "n_emergent": int(topics["emergent"].fillna(False).sum()), "topic_seconds": round(seconds, 1),
            "embed_seconds": round(embed_seconds, 1), "top10": top10}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", nargs="+", default=["spacy", "lsa"])
    ap.add_argument("--docs", type=int, default=0, help="first N transcripts only (0 = all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from narratif.embeddings import select_backend
    from narratif.nlp import load_nlp

    try:
        from narratif.codebook import load_codebook

        codebook = load_codebook(None)
    except ImportError:
        codebook = None
    nlp = load_nlp()
    files = sorted((SHARED / "corpora" / "cfpp2000").glob("*.txt"))
    if args.docs:
        files = files[: args.docs]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store, spacy_backend, spacy_seconds = build_store(Path(tmp) / "out", files, nlp)
        for name in args.backends:
            backend = spacy_backend if name == "spacy" else select_backend(name, nlp)
            t0 = time.perf_counter()
            if hasattr(backend, "fit") and not getattr(backend, "fitted", True):
                from narratif.topics.corpus import load_segments

                backend.fit(load_segments(store, min_assign_words=3)["text"].tolist())
            fit_seconds = time.perf_counter() - t0
            embed_seconds = spacy_seconds if name == "spacy" else fit_seconds  # LSA embeds inside the stage
            r = evaluate(store, backend, Path(tmp) / f"models-{name}", codebook, embed_seconds)
            r["name"] = name
            results.append(r)
            print(f"\n== {name}: {r['n_topics']} topics, outliers {r['outlier_share_fitted']:.1%} of fitted "
                  f"({r['outlier_share']:.1%} of all {r['n_segments']}), diversity {r['diversity']:.3f}, "
                  f"NPMI {r['npmi']:.3f} (top-10 topics {r['npmi_top10']:.3f}), emergent {r['n_emergent']}, "
                  f"embed {r['embed_seconds']}s, topics {r['topic_seconds']}s", flush=True)
            for t in r["top10"]:
                print(f"  [{t['topic_id']}] n={t['size']} {', '.join(t['terms'])}  -> {t['best_code']} "
                      f"({t['best_code_similarity']}) {'EMERGENT' if t['emergent'] else ''}")
                for q in t["quotes"]:
                    print(f"      « {q} »")
        store.close()
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
