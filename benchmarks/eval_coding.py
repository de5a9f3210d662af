"""Theme coding quality on real paragraphs annotated blind, and coding speed.

The figures come from the external theme set (``--external``, default
``tests/data/external/themes``): paragraphs of the study's documents (seeds 000, 001, 003
and parts 2-3 of 002) that two annotators labelled blind (``gold.tsv``; agreed or
resolved by a third pass), split once into a ``dev`` part (tuning allowed) and a frozen
``test`` part, read only with ``--test``.

Each paragraph is run as its own document (segmented like an ingested text file); its
predicted theme is the theme with the highest summed ``codings.score`` over the
document's rows, as the external check does. Top-theme accuracy is counted on items
whose gold primary label is a theme; items labelled ``none`` are reported apart (how
often a theme row is given, and how often ``cooperation``).

- zero-shot: the shipped coder, by source;
- after ``narratif train`` on 5 paragraphs a theme (the real ``train_classifier`` path on a
  CSV of accepted codings): on dev, cross-validated (the examples are drawn from the other
  folds) and leave-one-source-out (examples from the other sources); on test, examples
  drawn from dev. Figures are means over ``--draws`` random draws.
- baseline: TF-IDF + logistic regression, trained on the codebook's descriptions and
  examples (zero-shot) or on the same few paragraphs.
- ``--ablations``: the same figures with each change of the coder turned off.

    .venv/bin/python benchmarks/eval_coding.py [--test] [--ablations] [--draws 10] [--speed-files 3]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "data" / "devset" / "themes.tsv"
EXTERNAL = ROOT / "tests" / "data" / "external" / "themes"
_LOC = re.compile(r"^@shared:(?P<path>[^#]+)#(?P<s>\d+)-(?P<e>\d+)$")
GOLD_OK = ("agreed", "resolved-by-C")
N_SHOT = 5


def _text_at(ref: str, shared: Path, cache: dict[str, str]) -> str:
    m = _LOC.match(ref)
    if not m:
        return ref
    if m["path"] not in cache:
        cache[m["path"]] = (shared / m["path"]).read_text(encoding="utf-8")
    return cache[m["path"]][int(m["s"]):int(m["e"])]


def load_devset(path: Path = DEVSET, shared: Path = ROOT.parent / "shared") -> list[dict]:
    """The team's dev set (half of it written by the team: for unit tests and training only)."""
    cache: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        return [{**row, "text": _text_at(row["text"], shared, cache)} for row in csv.DictReader(fh, delimiter="\t")]


def load_external(folder: Path, shared: Path, *, with_test: bool) -> list[dict]:
    """Paragraphs with their adjudicated gold; test items only when asked for."""
    def read(name: str) -> list[dict]:
        with open(folder / name, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter="\t"))

    split = {r["id"]: r["split"] for r in read("split.tsv")}
    gold = {r["id"]: r for r in read("gold.tsv")}
    seen = {r["id"] for r in read("contamination.tsv")} if (folder / "contamination.tsv").is_file() else set()
    cache: dict[str, str] = {}
    items = []
    for r in read("paragraphs.tsv"):
        if split[r["id"]] == "test" and not with_test:
            continue
        g = gold.get(r["id"], {})
        ok = g.get("status") in GOLD_OK
        items.append({"id": r["id"], "source": r["source"], "split": split[r["id"]],
                      "text": _text_at(r["ref"], shared, cache), "gold": g.get("primary") if ok else None,
                      "status": g.get("status", "missing"), "seen": r["id"] in seen})
    return items


def parse_paragraphs(nlp, texts: list[str]):
    """One Document per paragraph, segmented like an ingested .txt file, then parsed."""
    from narratif.ingest import structure
    from narratif.ingest.base import Extracted
    from narratif.models import Document
    from narratif.nlp.parse import parse_document

    out = []
    for i, text in enumerate(texts):
        _, segs = structure(f"p{i}", Extracted(text=text), "txt")
        doc = Document(doc_id=f"p{i}", path="", sha256="", kind="document", format="txt", text=text, segments=segs)
        out.append(parse_document(nlp, doc))
    return out


def predict_themes(coder, parsed_docs) -> list[str | None]:
    """Per document: the theme with the highest summed coding score (None: no theme row)."""
    themes = coder.codebook_.theme_ids
    preds = []
    for parsed in parsed_docs:
        totals = dict.fromkeys(themes, 0.0)
        for c in coder.code(parsed):
            if c.code in totals:
                totals[c.code] += c.score
        best = max(totals, key=totals.get)
        preds.append(best if totals[best] > 0 else None)
    return preds


# -- the simple baseline -----------------------------------------------------------------------------
def baseline_predict(train_texts: list[str], train_labels: list[str], texts: list[str]) -> list[str]:
    """TF-IDF + logistic regression (the simple baseline of issue #20)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(sublinear_tf=True, strip_accents=None, lowercase=True),
                          LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced"))
    return list(model.fit(train_texts, train_labels).predict(texts))


def codebook_texts(book) -> tuple[list[str], list[str]]:
    """Each theme's description and examples (sub-codes' included): the baseline's zero-shot training."""
    texts, labels = [], []
    for code in book.codes:
        if code.category == "themes":
            for t in (f"{code.label}. {code.description}", *code.examples):
                texts.append(t)
                labels.append(book.top_level(code.id))
    return texts, labels


# -- scoring ---------------------------------------------------------------------------------------------
def score(items: list[dict], pred: list[str | None]) -> dict:
    """Top-theme accuracy on theme items (overall, by source, on unseen items); none items apart."""
    by_src: dict[str, list[bool]] = defaultdict(list)
    hits, unseen, none_given, none_coop = [], [], [], []
    for it, p in zip(items, pred):
        if it["gold"] is None:
            continue
        if it["gold"] == "none":
            none_given.append(p is not None)
            none_coop.append(p == "cooperation")
            continue
        hits.append(p == it["gold"])
        by_src[it["source"]].append(p == it["gold"])
        if not it["seen"]:
            unseen.append(p == it["gold"])
    mean = lambda v: float(np.mean(v)) if v else float("nan")  # noqa: E731
    return {"acc": mean(hits), "n": len(hits), "by_source": {s: (mean(v), len(v)) for s, v in sorted(by_src.items())},
            "unseen": (mean(unseen), len(unseen)), "none_n": len(none_given),
            "none_themed": mean(none_given), "none_coop": mean(none_coop)}


def fmt(name: str, r: dict, *, sd: float | None = None) -> str:
    src = " ".join(f"{s[4:]}={a:.2f}/{n}" for s, (a, n) in r["by_source"].items())
    spread = f"±{sd:.2f}" if sd is not None else "     "
    return (f"  {name:44s} {r['acc']:.3f}{spread} n={r['n']:<3d} {src:36s} unseen={r['unseen'][0]:.2f}/"
            f"{r['unseen'][1]:<3d} none→theme={r['none_themed']:.2f} none→coop={r['none_coop']:.2f}")


def average(results: list[dict]) -> tuple[dict, float]:
    """Mean of per-draw results (accuracy spread as the standard deviation over draws)."""
    out = dict(results[0])
    accs = [r["acc"] for r in results]
    out["acc"] = float(np.nanmean(accs))
    out["by_source"] = {s: (float(np.nanmean([r["by_source"][s][0] for r in results if s in r["by_source"]])),
                            results[0]["by_source"][s][1]) for s in results[0]["by_source"]}
    out["unseen"] = (float(np.nanmean([r["unseen"][0] for r in results])), results[0]["unseen"][1])
    for k in ("none_themed", "none_coop"):
        out[k] = float(np.nanmean([r[k] for r in results]))
    return out, float(np.std(accs))


# -- few-shot training ---------------------------------------------------------------------------------------
def draw_examples(pool: list[dict], rng: np.random.Generator, n: int = N_SHOT) -> list[dict]:
    """Up to ``n`` theme paragraphs a theme, drawn at random from ``pool``."""
    by_theme: dict[str, list[dict]] = defaultdict(list)
    for it in pool:
        if it["gold"] not in (None, "none"):
            by_theme[it["gold"]].append(it)
    out = []
    for theme in sorted(by_theme):
        items = by_theme[theme]
        out += [items[i] for i in rng.permutation(len(items))[:n]]
    return out


def trained_coder(examples: list[dict], *, book, nlp, params: dict, tmp: Path):
    """``narratif train`` on the examples (accepted codings), then the coder a run would build."""
    from narratif.coding import CoderSettings, build_coder, train_classifier

    csv_path = tmp / "codings.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "code", "accepted"])
        for it in examples:
            w.writerow([it["text"], it["gold"], 1])
    models = tmp / "models"
    train_classifier(csv_path, codebook=book, nlp=nlp, models_dir=models, settings=CoderSettings(**params))
    return build_coder(book, nlp=nlp, models_dir=models, settings=CoderSettings(**params), cache_dir=None)


def few_shot(items, parsed, *, book, nlp, params_for, draws, protocol, pool=None):
    """Per draw: train on examples drawn outside the evaluated items, score the rest.

    ``protocol``: "cv" (dev: 3 folds, examples from the other folds), "loso" (dev: examples
    from the other sources, and the study vocabulary counted without the held source), "test"
    (examples drawn from ``pool``, the dev items). ``params_for(source)`` gives the coder
    parameters when ``source`` is held out (None: nothing held out)."""
    results, base = [], []
    srcs = np.array([it["source"] for it in items])
    for d in range(draws):
        rng = np.random.default_rng(1000 + d)
        if protocol == "cv":
            fold = rng.permutation(len(items)) % 3
            groups = [(np.flatnonzero(fold == k), np.flatnonzero(fold != k), None) for k in range(3)]
        elif protocol == "loso":
            groups = [(np.flatnonzero(srcs == s), np.flatnonzero(srcs != s), s) for s in sorted(set(srcs))]
        else:
            groups = [(np.arange(len(items)), None, None)]
        pred: list = [None] * len(items)
        bpred: list = [None] * len(items)
        for evaluate, train_idx, held in groups:
            train_pool = pool if train_idx is None else [items[i] for i in train_idx]
            examples = draw_examples(train_pool, rng)
            with tempfile.TemporaryDirectory() as tmp:
                coder = trained_coder(examples, book=book, nlp=nlp, params=params_for(held), tmp=Path(tmp))
                for i, p in zip(evaluate, predict_themes(coder, [parsed[i] for i in evaluate])):
                    pred[i] = p
            bp = baseline_predict([e["text"] for e in examples], [e["gold"] for e in examples],
                                  [items[i]["text"] for i in evaluate])
            for i, p in zip(evaluate, bp):
                bpred[i] = p
        results.append(score(items, pred))
        base.append(score(items, bpred))
    return average(results), average(base)


# -- the report ------------------------------------------------------------------------------------------------
#: each change of issue #20, turned off (parameters of SegmentCoder / CoderSettings)
ABLATIONS: dict[str, dict] = {
    "- study vocabulary (keywords unweighted)": {"vocabulary": None},
    "- relative classifier features": {"features": "absolute"},
    "- new method weights (.45/.15/.40)": {"weights": {"lexicon": 0.45, "semantic": 0.15, "classifier": 0.40}},
    "- theme floor 0.25 (0.2)": {"theme_floor": 0.2},
    "former coder (all four off)": {"vocabulary": None, "features": "absolute", "theme_floor": 0.2,
                                    "weights": {"lexicon": 0.45, "semantic": 0.15, "classifier": 0.40}},
}


def variants(ablations: bool) -> dict[str, dict]:
    """Coder parameters of the shipped coder, and of each ablation (one change turned off)."""
    from dataclasses import fields

    from narratif.coding import CoderSettings

    shipped = {f.name: getattr(CoderSettings(), f.name) for f in fields(CoderSettings)}
    out = {"narratif (shipped)": shipped}
    if ablations:
        for name, change in ABLATIONS.items():
            out[name] = {**shipped, **change}
    return out


class HeldOutVocabulary:
    """The study vocabulary counted without one source (and never on test paragraphs)."""

    def __init__(self, args, nlp):
        sys.path.insert(0, str(ROOT / "scripts"))
        from build_study_vocabulary import build

        self._build, self._args, self._nlp, self._done = build, args, nlp, {}

    def params(self, params: dict, source: str | None) -> dict:
        if source is None or params.get("vocabulary") != "study":
            return params
        if source not in self._done:
            self._done[source] = self._build(self._args.shared, self._args.external, nlp=self._nlp,
                                             sources_out=(source,))
        return {**params, "vocabulary": self._done[source]}


def zero_shot(items, parsed, *, book, nlp, params, held: HeldOutVocabulary) -> tuple[list, list]:
    """Predictions of the coder as shipped, and with the vocabulary counted without each item's source."""
    from narratif.coding import CoderSettings, build_coder

    pooled = predict_themes(build_coder(book, nlp=nlp, settings=CoderSettings(**params), cache_dir=None), parsed)
    loso: list = [None] * len(items)
    for src in sorted({it["source"] for it in items}):
        idx = [i for i, it in enumerate(items) if it["source"] == src]
        coder = build_coder(book, nlp=nlp, settings=CoderSettings(**held.params(params, src)), cache_dir=None)
        for i, p in zip(idx, predict_themes(coder, [parsed[i] for i in idx])):
            loso[i] = p
    return pooled, loso


def run_external(args, nlp, book) -> None:
    items = load_external(args.external, args.shared, with_test=args.test)
    gold_n = Counter(it["status"] for it in items)
    print(f"external set {args.external}: {len(items)} paragraphs read ({'dev + test' if args.test else 'dev only'}); "
          f"gold status: {dict(gold_n)}")
    t0 = time.perf_counter()
    parsed = parse_paragraphs(nlp, [it["text"] for it in items])
    print(f"parsed in {time.perf_counter() - t0:.1f}s")
    splits = ["dev", "test"] if args.test else ["dev"]
    cb_texts, cb_labels = codebook_texts(book)
    held = HeldOutVocabulary(args, nlp)
    dev = [i for i, it in enumerate(items) if it["split"] == "dev"]
    dev_items, dev_parsed = [items[i] for i in dev], [parsed[i] for i in dev]
    for name, params in variants(args.ablations).items():
        print(f"\n== {name}")
        pooled, loso = zero_shot(items, parsed, book=book, nlp=nlp, params=params, held=held)
        for sp in splits:
            idx = [i for i, it in enumerate(items) if it["split"] == sp]
            sub = [items[i] for i in idx]
            print(f"[{sp}] zero-shot")
            print(fmt("coder", score(sub, [pooled[i] for i in idx])))
            print(fmt("coder, vocabulary without the source", score(sub, [loso[i] for i in idx])))
            if name == "narratif (shipped)":
                print(fmt("baseline TF-IDF+LR (codebook texts)",
                          score(sub, baseline_predict(cb_texts, cb_labels, [it["text"] for it in sub]))))
        for protocol in ("cv", "loso"):
            (r, sd), (b, bsd) = few_shot(dev_items, dev_parsed, book=book, nlp=nlp,
                                         params_for=lambda src, p=params: held.params(p, src),
                                         draws=args.draws, protocol=protocol)
            print(f"[dev] after train on up to {N_SHOT} dev paragraphs a theme ({protocol}, {args.draws} draws)")
            print(fmt("coder", r, sd=sd))
            if name == "narratif (shipped)":
                print(fmt("baseline TF-IDF+LR (same examples)", b, sd=bsd))
        if args.test:
            test = [i for i, it in enumerate(items) if it["split"] == "test"]
            (r, sd), (b, bsd) = few_shot([items[i] for i in test], [parsed[i] for i in test], book=book, nlp=nlp,
                                         params_for=lambda src, p=params: p, draws=args.draws, protocol="test",
                                         pool=dev_items)
            print(f"[test] after train on up to {N_SHOT} dev paragraphs a theme ({args.draws} draws)")
            print(fmt("coder", r, sd=sd))
            if name == "narratif (shipped)":
                print(fmt("baseline TF-IDF+LR (same examples)", b, sd=bsd))


def run_speed(args, nlp, book) -> None:
    from narratif.coding import build_coder
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document

    files = sorted((args.shared / "corpora" / "cfpp2000").glob("*.txt"))[: args.speed_files]
    coder = build_coder(book, nlp=nlp, cache_dir=None)
    themes = book.theme_ids
    t_parse = t_code = 0.0
    n_seg = n_rows = n_theme_seg = n_analysed = 0
    for f in files:
        doc = ingest_file(f)
        t = time.perf_counter()
        parsed_doc = parse_document(nlp, doc)
        t_parse += time.perf_counter() - t
        t = time.perf_counter()
        codings = coder.code(parsed_doc)
        t_code += time.perf_counter() - t
        n_seg += len(parsed_doc)
        n_analysed += sum(p.segment.role != "interviewer" for p in parsed_doc)
        n_rows += len(codings)
        n_theme_seg += len({c.seg_id for c in codings if c.code in themes})
    if files:
        print(f"\nspeed on {len(files)} CFPP transcripts: {n_seg} segments ({n_analysed} coded); parse "
              f"{t_parse:.1f}s, coding {t_code:.2f}s = {n_analysed / max(t_code, 1e-9):.0f} segments/s, "
              f"{100 * t_code / max(t_parse, 1e-9):.1f}% of parse time; {n_rows} rows, "
              f"{n_theme_seg / max(n_analysed, 1):.1%} of coded turns get a theme row")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--external", type=Path, default=EXTERNAL, help="the external theme set (with gold.tsv)")
    ap.add_argument("--test", action="store_true", help="also evaluate on the frozen test split (once per change)")
    ap.add_argument("--ablations", action="store_true", help="also run each change of the coder turned off")
    ap.add_argument("--draws", type=int, default=10, help="random draws of the few-shot examples")
    ap.add_argument("--speed-files", type=int, default=3, help="CFPP transcripts used for the speed test")
    args = ap.parse_args(argv)

    from narratif.codebook import load_codebook
    from narratif.nlp.parse import load_nlp

    nlp = load_nlp()
    book = load_codebook()
    if (args.external / "gold.tsv").is_file():
        run_external(args, nlp, book)
    else:
        print(f"no gold.tsv in {args.external}: no quality figure (the team's dev set is for development only)")
    if args.speed_files:
        run_speed(args, nlp, book)
    return 0


if __name__ == "__main__":
    sys.exit(main())
