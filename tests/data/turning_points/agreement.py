"""Agreement between two turning-point annotation passes (standard library only).

Usage: python agreement.py PASS_A_DIR PASS_B_DIR [--tolerance 1]
       python agreement.py --consensus OUT_DIR DIR1 DIR2 DIR3 [...]

Compares every ``<stem>.tsv`` present in both directories (header
``line\ttype\tpolarity\tnote``). Lines are matched one-to-one, exact matches
first, then within ±tolerance lines, so a turning point placed on the
neighbouring sentence of a multi-sentence event still counts. Reports
precision/recall/F1 of B against A, type agreement and Cohen's kappa on the
matched pairs, and polarity agreement on the matched pairs.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path


def read_tsv(path: Path) -> dict[int, tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {int(r["line"]): (r["type"], r["polarity"] or "") for r in rows}


def match(a: list[int], b: list[int], tolerance: int) -> list[tuple[int, int]]:
    """One-to-one matching: exact line first, then nearest within tolerance."""
    pairs: list[tuple[int, int]] = []
    free_b = set(b)
    rest_a = []
    for line in sorted(a):
        if line in free_b:
            pairs.append((line, line))
            free_b.discard(line)
        else:
            rest_a.append(line)
    for distance in range(1, tolerance + 1):
        still = []
        for line in rest_a:
            hit = next((c for c in (line - distance, line + distance) if c in free_b), None)
            if hit is None:
                still.append(line)
            else:
                pairs.append((line, hit))
                free_b.discard(hit)
        rest_a = still
    return pairs


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    if not pairs:
        return float("nan")
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    left, right = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(left[k] * right[k] for k in left) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def compare(dir_a: Path, dir_b: Path, tolerance: int = 1) -> dict:
    stems = sorted({p.stem for p in dir_a.glob("*.tsv")} & {p.stem for p in dir_b.glob("*.tsv")})
    n_a = n_b = n_match = 0
    types: list[tuple[str, str]] = []
    polarities: list[tuple[str, str]] = []
    per_story = {}
    for stem in stems:
        a, b = read_tsv(dir_a / f"{stem}.tsv"), read_tsv(dir_b / f"{stem}.tsv")
        pairs = match(list(a), list(b), tolerance)
        n_a, n_b, n_match = n_a + len(a), n_b + len(b), n_match + len(pairs)
        types += [(a[x][0], b[y][0]) for x, y in pairs]
        polarities += [(a[x][1], b[y][1]) for x, y in pairs]
        per_story[stem] = (len(a), len(b), len(pairs))
    precision = n_match / n_b if n_b else 0.0
    recall = n_match / n_a if n_a else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "stories": len(stems),
        "tp_a": n_a,
        "tp_b": n_b,
        "matched": n_match,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "type_agreement": sum(x == y for x, y in types) / len(types) if types else float("nan"),
        "type_kappa": cohen_kappa(types),
        "polarity_agreement": (
            sum(x == y for x, y in polarities) / len(polarities) if polarities else float("nan")
        ),
        "per_story": per_story,
    }


def consensus(annotations: list[dict[int, tuple[str, str]]], tolerance: int = 1,
              min_votes: int | None = None) -> dict[int, tuple[str, str]]:
    """Majority turning points of several independent passes over one story.

    Marks are grouped greedily around the most-voted line (each pass contributes at most
    one mark within ±tolerance of it); a group backed by at least ``min_votes`` passes
    (default: a strict majority) becomes one consensus turning point on its most-voted
    line (ties: the earliest), with the majority type and polarity (ties: the first pass).
    """
    need = min_votes or len(annotations) // 2 + 1
    free = [dict(a) for a in annotations]
    out: dict[int, tuple[str, str]] = {}
    while True:
        votes = Counter(line for a in free for line in a)
        if not votes:
            break
        best = None
        for line in sorted(votes):
            members = []
            for k, a in enumerate(free):
                near = [x for x in a if abs(x - line) <= tolerance]
                if near:
                    members.append((k, min(near, key=lambda x: (abs(x - line), x))))
            key = (len(members), votes[line], -line)
            if best is None or key > best[0]:
                best = (key, line, members)
        (_, _, _), line, members = best
        if len(members) < need:
            break
        types = Counter(free[k][x][0] for k, x in members)
        pols = Counter(free[k][x][1] for k, x in members)
        first_type = free[members[0][0]][members[0][1]][0]
        first_pol = free[members[0][0]][members[0][1]][1]
        top_t = max(types.values())
        top_p = max(pols.values())
        out[line] = (first_type if types[first_type] == top_t else types.most_common(1)[0][0],
                     first_pol if pols[first_pol] == top_p else pols.most_common(1)[0][0])
        for k, x in members:
            del free[k][x]
    return dict(sorted(out.items()))


def write_tsv(path: Path, rows: dict[int, tuple[str, str]], note: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("line\ttype\tpolarity\tnote\n")
        for line, (tp_type, polarity) in rows.items():
            fh.write(f"{line}\t{tp_type}\t{polarity}\t{note}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pass_a", type=Path)
    parser.add_argument("pass_b", type=Path, nargs="+")
    parser.add_argument("--tolerance", type=int, default=1)
    parser.add_argument("--consensus", action="store_true",
                        help="write the majority of the passes PASS_B... into the folder PASS_A")
    args = parser.parse_args()
    if args.consensus:
        args.pass_a.mkdir(parents=True, exist_ok=True)
        stems = sorted(set.intersection(*({p.stem for p in d.glob("*.tsv")} for d in args.pass_b)))
        total = 0
        for stem in stems:
            rows = consensus([read_tsv(d / f"{stem}.tsv") for d in args.pass_b], args.tolerance)
            write_tsv(args.pass_a / f"{stem}.tsv", rows, f"majority of {len(args.pass_b)} passes")
            total += len(rows)
        print(f"{len(stems)} stories, {total} consensus turning points -> {args.pass_a}")
        return
    args.pass_b = args.pass_b[0]
    result = compare(args.pass_a, args.pass_b, args.tolerance)
    for stem, (a, b, m) in result.pop("per_story").items():
        print(f"{stem}\tA={a}\tB={b}\tmatched={m}")
    for key, value in result.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
