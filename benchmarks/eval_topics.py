"""Topic quality and speed on the 61 CFPP2000 transcripts, per variant (backend + settings).

    .venv/bin/python benchmarks/eval_topics.py [--variants default segments-spacy ...] [--docs N] [--json out.json]

Builds a scratch store (segments + spaCy vectors, as the pipeline would), runs
``update_topics`` once per variant in a fresh models folder and reports: topics,
outlier shares, largest topic share, topic diversity, NPMI coherence, seconds,
and the ten largest topics with their top terms and two quotes. NPMI always uses
the same reference for every variant: narrator segments of 3+ words as
co-occurrence windows, markup stripped (lemmatised when the terms are lemmas).
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


#: name -> (embedding backend, TopicSettings overrides). "default" is TopicSettings() as shipped.
VARIANTS = {
    "default": (None, {}),  # sif, windows of 80 words, leaf clusters
    "segments-spacy": ("spacy", dict(window_words=1, remove_components=0, cluster_selection="eom",
                                     outlier_threshold=0.45)),  # the previous default
    "segments-sif": ("sif", dict(window_words=1, cluster_selection="eom")),
    "windows60-spacy": ("spacy", dict(window_words=60, cluster_selection="eom")),
    "windows60-sif": ("sif", dict(window_words=60, cluster_selection="eom")),
    "windows60-sif-leaf": ("sif", dict(window_words=60)),
    "windows60-sif-mcs20": ("sif", dict(window_words=60, min_topic_size=20, cluster_selection="eom")),
    "windows80-sif-eom": ("sif", dict(cluster_selection="eom")),
    "windows80-sif-pc0": ("sif", dict(remove_components=0)),
    "windows80-sif-bm25": ("sif", dict(bm25_weighting=True)),
    "windows80-sif-mmr": ("sif", dict(mmr_diversity=0.3)),
    "windows80-sif-nn30": ("sif", dict(n_neighbors=30)),
    "windows80-sif-thr45": ("sif", dict(outlier_threshold=0.45)),
    "windows80-sif-lemmas": ("sif", dict(lemmatize=True)),
    "windows120-sif": ("sif", dict(window_words=120)),
    "segments-lsa": ("lsa", dict(window_words=1, remove_components=0, cluster_selection="eom",
                                 outlier_threshold=0.45)),
}


def evaluate(store, backend, models_dir: Path, codebook, embed_seconds: float, settings=None, nlp=None) -> dict:
    from narratif.topics import coherence_npmi, topic_diversity, update_topics
    from narratif.topics.corpus import load_segments
    from narratif.topics.vocabulary import strip_markup

    t0 = time.perf_counter()
    res = update_topics(store, models_dir, codebook=codebook, backend=backend, settings=settings)
    seconds = time.perf_counter() - t0
    topics = store.table("topics")
    terms = [list(t) for t in topics["top_terms"]]
    segs = load_segments(store, min_assign_words=3)
    reference = [strip_markup(t) for t in segs["text"]]
    if settings is not None and settings.lemmatize:
        from narratif.topics.vocabulary import lemmatise

        reference = lemmatise(reference, nlp)
    npmi, per_topic = coherence_npmi(terms, reference)
    top10 = []
    for _, row in topics.head(10).iterrows():
        top10.append({"topic_id": int(row["topic_id"]), "size": int(row["size"]), "terms": list(row["top_terms"]),
                      "best_code": row["best_code"], "best_code_similarity": row["best_code_similarity"],
                      "emergent": None if row["emergent"] is None else bool(row["emergent"]),
                      "quotes": [t[:220] for t in list(row["representative_texts"])[:2]]})
    largest = float(topics["share"].max()) if len(topics) else 0.0
    return {"backend": res.backend, "n_topics": res.n_topics, "n_segments": res.n_segments,
            "largest_share": round(largest, 4),
            "n_fitted": res.n_fitted, "outlier_share": res.outlier_share,
            "outlier_share_fitted": res.outlier_share_fitted, "diversity": round(topic_diversity(terms), 4),
            "npmi": round(npmi, 4), "npmi_top10": round(sum(per_topic[:10]) / max(1, len(per_topic[:10])), 4),
            "n_emergent": int(topics["emergent"].fillna(False).sum()), "topic_seconds": round(seconds, 1),
            "embed_seconds": round(embed_seconds, 1), "top10": top10,
            "all_topics": [[int(i), int(n), list(t)] for i, n, t in zip(topics["topic_id"], topics["size"],
                                                                         topics["top_terms"])]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=["default", "segments-spacy", "segments-sif", "windows60-spacy",
                                                        "windows80-sif-eom", "segments-lsa"], choices=sorted(VARIANTS))
    ap.add_argument("--docs", type=int, default=0, help="first N transcripts only (0 = all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from narratif.embeddings import select_backend
    from narratif.nlp.parse import load_nlp

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
        from dataclasses import replace

        from narratif.topics import TopicSettings

        for name in args.variants:
            spec, overrides = VARIANTS[name]
            settings = replace(TopicSettings(), **overrides)
            spec = spec or settings.embedding
            backend = spacy_backend if spec == "spacy" else select_backend(spec, nlp)
            # corpus-fitted backends (SIF, LSA) learn and embed inside the topic stage: its seconds include them
            embed_seconds = spacy_seconds if spec == "spacy" else 0.0
            r = evaluate(store, backend, Path(tmp) / f"models-{name}", codebook, embed_seconds, settings, nlp)
            r["name"] = name
            results.append(r)
            print(f"\n== {name}: {r['n_topics']} topics, outliers {r['outlier_share_fitted']:.1%} of fitted "
                  f"({r['outlier_share']:.1%} of all {r['n_segments']}), largest {r['largest_share']:.1%}, "
                  f"diversity {r['diversity']:.3f}, "
                  f"NPMI {r['npmi']:.3f} (top-10 topics {r['npmi_top10']:.3f}), emergent {r['n_emergent']}, "
                  f"embed {r['embed_seconds']}s, topics {r['topic_seconds']}s", flush=True)
            for t in r["top10"]:
                print(f"  [{t['topic_id']}] n={t['size']} {', '.join(t['terms'])}  -> {t['best_code']} "
                      f"({t['best_code_similarity']}) {'EMERGENT' if t['emergent'] else ''}")
                for q in t["quotes"]:
                    print(f"      « {q} »")
        store.close()
    print("\n| variant | topics | outliers (all) | largest | diversity | NPMI | NPMI top-10 | topic s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {r['n_topics']} | {r['outlier_share']:.1%} | {r['largest_share']:.1%} | "
              f"{r['diversity']:.3f} | {r['npmi']:.3f} | {r['npmi_top10']:.3f} | {r['topic_seconds']} |")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
