"""Evaluate turning-point detection against the gold annotations.

Gold lives in ``tests/data/turning_points/``:

* ``parisstories/<story>.tsv`` — ``line  type  polarity  note``; line = 1-based line of
  ``../shared/corpora/parisstories/<story>.txt`` (one sentence per line);
* ``parisstories-2/``, ``parisstories-3/`` — two more independent passes over the same
  stories, and ``parisstories-consensus/`` their majority with the first (splits
  ``ps-pass2``, ``ps-pass3``, ``ps-consensus``: all 36 stories each);
* ``extra/cfpp2000-passages/`` — 95 CFPP2000 passages, one turn per line (split
  ``cfpp-passages``; the rules were never tuned on them, the type classifier trains on them);
* ``cfpp2000/<interview>.tsv`` — ``line  quote  type  polarity  note``; the gold sentence
  is the one holding the quote inside that line; ``cfpp2000/SCOPE.tsv`` (when present)
  says which lines of which file were annotated, and predictions are counted there only.

A prediction matches a gold turning point when it lies within ±1 unit (a line for
ParisStories, a sentence for CFPP2000); matching is one-to-one, nearest first. Reports
precision, recall, F1, type agreement (share of matched pairs with the gold type),
polarity agreement, and turning points per 100 sentences, per split: ``tune`` (stories
2019–2021), ``heldout`` (2022 stories) and ``cfpp`` (CFPP2000), for the shipped detector
(the learned model in ``src/narratif/data/tp_model.json`` when it ships; note that it was
trained on all of these files, so these splits are training data for it) and, with
``--rules``, for the hand-written detector alone. ``--cv`` adds the honest figure: the
grouped cross-validation of ``scripts/train_turning_points.py`` (leave-files-out over the
independent gold, folds always trained on the extra training data too). ``--speed`` times
the turning-point step against the spaCy parse on one long CFPP2000 interview.

``--baseline`` adds a keyword baseline (one turning point per line holding a narrative cue or a
first-person event verb) on the line-unit splits, to set the figures against the issue's
keyword baseline.

    .venv/bin/python benchmarks/eval_turning_points.py [--shared ../shared] [--details] [--rules] [--cv] [--speed]
                                                       [--baseline]
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "turning_points"


@dataclass
class Unit:
    """One gold or predicted turning point, located by a unit index (line or sentence)."""

    doc: str
    unit: int
    type: str
    polarity: str | None = None
    text: str = ""


@dataclass
class Split:
    name: str
    gold: list[Unit] = field(default_factory=list)
    pred: list[Unit] = field(default_factory=list)
    n_units: int = 0
    seconds: float = 0.0
    words: int = 0


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def _pol(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if value in ("obstacle", "levier") else None


def match(gold: list[Unit], pred: list[Unit], tolerance: int = 1) -> list[tuple[Unit, Unit]]:
    """One-to-one matching within the tolerance, nearest pairs first."""
    pairs = sorted(((abs(g.unit - p.unit), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred)
                    if g.doc == p.doc and abs(g.unit - p.unit) <= tolerance))
    used_g, used_p, out = set(), set(), []
    for _, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gold[gi], pred[pi]))
    return out


def scores(split: Split) -> dict:
    pairs = match(split.gold, split.pred)
    tp = len(pairs)
    p = tp / len(split.pred) if split.pred else 0.0
    r = tp / len(split.gold) if split.gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    type_ok = sum(g.type == q.type for g, q in pairs)
    # a detector that gives no polarity (the keyword baseline) has no polarity agreement to report
    pol_pairs = [(g, q) for g, q in pairs if g.polarity] if any(q.polarity for q in split.pred) else []
    return {
        "split": split.name, "gold": len(split.gold), "pred": len(split.pred), "matched": tp,
        "P": round(p, 3), "R": round(r, 3), "F1": round(f1, 3),
        "type_agreement": round(type_ok / tp, 3) if tp else 0.0,
        "polarity_agreement": round(sum(g.polarity == q.polarity for g, q in pol_pairs) / len(pol_pairs), 3)
        if pol_pairs else None,
        "tp_per_100_units": round(100 * len(split.pred) / split.n_units, 1) if split.n_units else 0.0,
        "gold_per_100_units": round(100 * len(split.gold) / split.n_units, 1) if split.n_units else 0.0,
        "words_per_s": round(split.words / split.seconds) if split.seconds else None,
    }


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


#: A keyword baseline, for scale (the issue quotes one at F1 0.45 on its own stories): every narrator
#: line holding one of the issue's narrative cues or a first-person event verb is a turning point,
#: typed by the cue. Not narratif's detector; ``--baseline`` reports it.
KEYWORD_CUES: list[tuple[str, re.Pattern]] = [(t, re.compile(p, re.IGNORECASE)) for t, p in [
    ("rencontre", r"\bj'ai rencontré\b"),
    ("decision", r"\b(?:j'ai|on a) décidé\b"),
    ("revelation", r"\bj'ai (?:appris|découvert|compris)\b|\bje me suis rendu compte\b"),
    ("mobilite", r"\bquand je suis arrivée?\b|\bj'ai déménagé\b|\bje suis partie?\b"),
    ("rupture", r"\bsauf que\b|\bdu jour au lendemain\b|\btout à coup\b|\bsoudain|\bd'un coup\b"),
    ("resolution", r"\bet là\b|\bc'est là que\b|\bà partir de (?:ce moment|là)\b|\bun jour\b|\bfinalement\b"),
]]


def keyword_picks(name: str, text: str) -> list[Unit]:
    """The keyword baseline's turning points: one per narrator line holding a cue (ENQ lines skipped)."""
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if re.match(r"\s*(?:ENQ|enquêteu?r(?:ice)?)\s*:", line, re.IGNORECASE):
            continue
        t = next((t for t, rx in KEYWORD_CUES if rx.search(line)), None)
        if t is not None:
            out.append(Unit(name, n, t, None, line.strip()))
    return out


def _evaluate_lines(nlp, name: str, src: Path, targets: list[tuple[Split, Path]], settings=None,
                    baseline: bool = False) -> None:
    """One story whose unit is the line: gold of each ``(split, tsv)`` target, and the detector's
    picks (or the keyword baseline's) added to every target; the first target also gets the
    timing and word count."""
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document
    from narratif.turning_points.detect import detect_turning_points

    for target, path in targets:
        for row in read_tsv(path):
            if (row.get("line") or "").strip().isdigit():
                target.gold.append(Unit(name, int(row["line"]), row["type"].strip(), _pol(row.get("polarity"))))
    if baseline:
        text = src.read_text(encoding="utf-8")
        for target, _ in targets:
            target.n_units += text.rstrip("\n").count("\n") + 1
            target.pred.extend(keyword_picks(name, text))
        return
    doc = ingest_file(src)
    parsed = parse_document(nlp, doc)
    t0 = time.perf_counter()
    tps = detect_turning_points(doc, parsed, settings=settings)
    first = targets[0][0]
    first.seconds += time.perf_counter() - t0
    first.words += doc.n_words
    preds = [Unit(name, line_of(doc.text, tp.start), tp.type, tp.polarity, tp.text) for tp in tps]
    for target, _ in targets:
        target.n_units += doc.text.rstrip("\n").count("\n") + 1
        target.pred.extend(preds)


def evaluate_parisstories(nlp, shared: Path, splits: dict[str, Split], settings=None, baseline: bool = False) -> None:
    for gold_path in sorted((GOLD / "parisstories").glob("*.tsv")):
        story = gold_path.stem
        src = shared / "corpora" / "parisstories" / f"{story}.txt"
        if not src.is_file():
            print(f"warning: no story file for {gold_path.name}", file=sys.stderr)
            continue
        split = splits["heldout"] if story.startswith("2022") else splits["tune"]
        others = [(splits[name], GOLD / folder / gold_path.name) for name, folder in OTHER_PASSES.items()
                  if name in splits and (GOLD / folder / gold_path.name).is_file()]
        _evaluate_lines(nlp, story, src, [(split, gold_path), *others], settings, baseline)


def evaluate_passages(nlp, shared: Path, split: Split, settings=None, baseline: bool = False) -> None:
    """The CFPP2000 passages (one turn per line, rebuilt from ../shared): real oral life
    stories in the format of the turning-point check, never used to write the rules."""
    import tempfile

    sys.path.insert(0, str(ROOT / "scripts"))
    import cfpp_passages

    folder = GOLD / "extra" / "cfpp2000-passages"
    with tempfile.TemporaryDirectory() as tmp:
        for src in cfpp_passages.materialise(shared, Path(tmp)):
            _evaluate_lines(nlp, src.stem, src, [(split, folder / f"{src.stem}.tsv")], settings, baseline)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\[[^\]]*\]", " ", s)).strip().lower()


def evaluate_cfpp(nlp, shared: Path, split: Split, settings=None) -> None:
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document
    from narratif.turning_points.detect import detect_turning_points

    folder = GOLD / "cfpp2000"
    scope_path = folder / "SCOPE.tsv"
    scope: dict[str, tuple[int, int]] = {}
    if scope_path.is_file():
        for row in read_tsv(scope_path):
            keys = {k.lower(): v for k, v in row.items() if k}
            name = (keys.get("file") or keys.get("doc") or keys.get("interview") or "").strip()
            first = (keys.get("first_line") or keys.get("start_line") or keys.get("from") or "1").strip()
            last = (keys.get("last_line") or keys.get("end_line") or keys.get("to") or "").strip()
            if name:
                scope[Path(name).stem] = (int(first or 1), int(last) if last.isdigit() else 10**9)
    for gold_path in sorted(folder.glob("*.tsv")):
        if gold_path.name == "SCOPE.tsv":
            continue
        name = gold_path.stem
        src = shared / "corpora" / "cfpp2000" / f"{name}.txt"
        if not src.is_file():
            continue
        doc = ingest_file(src)
        parsed = parse_document(nlp, doc)
        lo, hi = scope.get(name, (1, max((int(r["line"]) for r in read_tsv(gold_path)
                                          if r["line"].strip().isdigit()), default=0)))
        sents = [s for p in parsed for s in p.sentences]
        lines = doc.text.split("\n")
        line_start = [0]
        for ln in lines:
            line_start.append(line_start[-1] + len(ln) + 1)
        for row in read_tsv(gold_path):
            if not row["line"].strip().isdigit():
                continue
            ln = int(row["line"])
            line_text = lines[ln - 1] if ln - 1 < len(lines) else ""
            pos = _locate(line_text, row["quote"])
            if pos is None:
                print(f"warning: quote not found {name}:{ln}: {row['quote'][:60]!r}", file=sys.stderr)
                pos = 0
            off = line_start[ln - 1] + pos
            sid = next((s.sent_id for s in sents if s.start <= off < s.end + 1), None)
            if sid is None:  # quote starts in whitespace between sentences: take the next one
                sid = next((s.sent_id for s in sents if s.start >= off), sents[-1].sent_id)
            split.gold.append(Unit(name, sid, row["type"].strip(), _pol(row.get("polarity")), row["quote"]))
        t0 = time.perf_counter()
        tps = detect_turning_points(doc, parsed, settings=settings)
        split.seconds += time.perf_counter() - t0
        in_scope = {s.sent_id for s in sents if lo <= line_of(doc.text, s.start) <= hi}
        narr = {s.sent_id for p in parsed if p.segment.role != "interviewer" for s in p.sentences}
        split.n_units += len(in_scope & narr)
        split.words += doc.n_words
        for tp in tps:
            if tp.sent_id in in_scope:
                split.pred.append(Unit(name, tp.sent_id, tp.type, tp.polarity, tp.text))


def _locate(line: str, quote: str) -> int | None:
    """Character position of ``quote`` in ``line``, tolerant of markup and spacing."""
    i = line.find(quote)
    if i >= 0:
        return i
    words = _norm(quote).split()
    low = line.lower()
    for k in range(min(len(words), 6), 1, -1):  # first few words of the quote
        probe = " ".join(words[:k])
        i = _norm(low).find(probe)
        if i >= 0:  # map position in the normalised line back approximately
            head = words[0]
            j = low.find(head)
            return j if j >= 0 else 0
    return None


def measure_speed(nlp, shared: Path, name: str = "Younes_Belkacem_H_59_Mo-v2", repeat: int = 3) -> dict:
    """Seconds of spaCy parse vs turning-point detection (best of ``repeat``) on one interview."""
    from narratif.ingest import ingest_file
    from narratif.nlp.parse import parse_document
    from narratif.turning_points.detect import TurningPointSettings, detect_turning_points

    doc = ingest_file(shared / "corpora" / "cfpp2000" / f"{name}.txt")
    t0 = time.perf_counter()
    parsed = parse_document(nlp, doc)
    parse_s = time.perf_counter() - t0
    out = {"file": name, "words": doc.n_words, "parse_s": round(parse_s, 2)}
    for label, settings in (("shipped", None), ("rules", TurningPointSettings(use_model=False))):
        best = math.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            detect_turning_points(doc, parsed, settings=settings)
            best = min(best, time.perf_counter() - t0)
        out[f"{label}_s"] = round(best, 3)
        out[f"{label}_share_of_parse"] = round(best / parse_s, 3)
    return out


#: The other independent passes over ParisStories, each scored as its own split (all 36 stories).
OTHER_PASSES = {"ps-pass2": "parisstories-2", "ps-pass3": "parisstories-3", "ps-consensus": "parisstories-consensus"}


def run_splits(nlp, shared: Path, settings=None, skip_cfpp: bool = False, baseline: bool = False) -> dict[str, Split]:
    """Every split; ``baseline``: the keyword baseline on the line-unit splits instead of narratif."""
    splits = {"tune": Split("tune"), "heldout": Split("heldout"), "cfpp": Split("cfpp"),
              **{name: Split(name) for name in OTHER_PASSES}, "cfpp-passages": Split("cfpp-passages")}
    evaluate_parisstories(nlp, shared, splits, settings, baseline)
    if not skip_cfpp:
        if not baseline:
            evaluate_cfpp(nlp, shared, splits["cfpp"], settings)
        evaluate_passages(nlp, shared, splits["cfpp-passages"], settings, baseline)
    return splits


HEADER = ["split", "gold", "pred", "matched", "P", "R", "F1", "type_agreement", "polarity_agreement",
          "tp_per_100_units", "gold_per_100_units", "words_per_s"]


def print_table(title: str, splits: dict[str, Split], details: bool = False) -> None:
    print(f"## {title}")
    print("\t".join(HEADER))
    for split in splits.values():
        if not split.gold and not split.pred:
            continue
        sc = scores(split)
        print("\t".join(str(sc[h]) for h in HEADER))
    for split in splits.values():
        pairs = match(split.gold, split.pred)
        conf = Counter((g.type, p.type) for g, p in pairs if g.type != p.type)
        if conf:
            print(f"{split.name} type confusions (gold→pred): "
                  + ", ".join(f"{g}→{p}:{n}" for (g, p), n in conf.most_common(8)))
        if details:
            mg = {id(g) for g, _ in pairs}
            mp = {id(p) for _, p in pairs}
            for g in split.gold:
                if id(g) not in mg:
                    print(f"  MISS {split.name} {g.doc}:{g.unit} {g.type}")
            for p in split.pred:
                if id(p) not in mp:
                    print(f"  FA   {split.name} {p.doc}:{p.unit} {p.type} | {p.text[:90]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--details", action="store_true", help="print misses and false alarms")
    ap.add_argument("--skip-cfpp", action="store_true")
    ap.add_argument("--rules", action="store_true", help="also report the hand-written detector alone")
    ap.add_argument("--cv", action="store_true", help="grouped cross-validation of the shipped configuration")
    ap.add_argument("--speed", action="store_true", help="time the TP step against the parse")
    ap.add_argument("--baseline", action="store_true", help="also report a keyword baseline, for scale")
    args = ap.parse_args(argv)
    from narratif.nlp.parse import load_nlp
    from narratif.turning_points.classifier import load_model, weights_hash
    from narratif.turning_points.detect import TurningPointSettings

    nlp = load_nlp()
    model = load_model()
    shipped = (f"learned model {weights_hash()}: ranking={model.ranking} typing={model.typing}"
               if model else "rules (no learned model ships)")
    print_table(f"shipped detector — {shipped}", run_splits(nlp, args.shared, None, args.skip_cfpp), args.details)
    if args.rules and model:
        print_table("hand-written rules only", run_splits(nlp, args.shared, TurningPointSettings(use_model=False),
                                                         args.skip_cfpp), args.details)
    if args.baseline:
        print_table("keyword baseline (issue cues + first-person event verbs, one per line)",
                    run_splits(nlp, args.shared, None, args.skip_cfpp, baseline=True), args.details)
    if args.cv:
        sys.path.insert(0, str(ROOT / "scripts"))
        import train_turning_points as tr

        docs = tr.load_docs(args.shared, None)
        configs = [tr.Config("rules", "rules")]
        if model:
            configs.append(tr.Config.from_model(model))
        for cfg in configs:
            cv = tr.cross_validate(cfg, docs)
            print(f"## grouped CV ({tr.K_FOLDS} folds by file, independent gold only) {cfg.label()}")
            for k in ("all", "ps", "cfpp", *(f"ps-{v}" for v in tr.PS_VIEWS)):
                if k in cv:
                    print(f"{k}\t{tr._fmt(cv[k])}")
            print(f"held-out 2022 (trained on all but 2022)\t{tr._fmt(tr.heldout(cfg, docs))}")
    if args.speed:
        print("## speed", measure_speed(nlp, args.shared))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
