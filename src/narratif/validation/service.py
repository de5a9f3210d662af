"""What ``narratif validate`` does: draw, import, plan — each on an output directory."""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from narratif.validation.estimate import Estimate, units_for_width
from narratif.validation.review_files import write_review_files
from narratif.validation.sample import ESTIMATION, TRAINING, draw
from narratif.validation.shares import ALL, estimates_table
from narratif.validation.units import SEGMENT, load_frame
from narratif.validation.verdicts import read_verdicts

TRAINING_CSV = Path("validation") / "training.csv"


def _store(out: Path, *, read_only: bool = False):
    from narratif.store import Store

    if not (Path(out) / "narratif.duckdb").is_file():
        raise FileNotFoundError(f"no narratif store in {out}; run `narratif run ... --out {out}` first")
    return Store(out, read_only=read_only)


def _codebook(store, codebook=None):
    """The codebook given, else the one of the last run on the store."""
    from narratif.codebook import Codebook, load_codebook

    if isinstance(codebook, Codebook):
        return codebook
    return load_codebook(codebook if codebook is not None else store.last_run_settings().get("codebook"))


@dataclass
class DrawResult:
    sample_id: str
    n: int
    purpose: str
    unit: str
    seed: int
    n_strata: int
    files: dict[str, Path] = field(default_factory=dict)


def draw_sample(out: str | Path, n: int, *, by: str | None = None, seed: int | None = None,
                purpose: str = ESTIMATION, unit: str = SEGMENT, codebook=None) -> DrawResult:
    """Draw ``n`` units of the analysed corpus in ``out``, record them, write the review files."""
    from narratif.store import attribute_column

    if n <= 0:
        raise ValueError(f"--n must be positive, not {n}")
    seed = int(seed) if seed is not None else secrets.randbelow(2 ** 31)
    with _store(out) as store:
        book = _codebook(store, codebook)
        frame = load_frame(store, book, unit)
        if not len(frame):
            raise ValueError(f"{out}: no analysed {unit} to sample")
        col = attribute_column(by) if by else None
        samples = store.validation_table("validation_samples")
        units = store.validation_table("validation_units")
        if purpose == ESTIMATION:  # a new estimation sample adds to the earlier ones; training units stay eligible
            est_ids = samples.loc[samples["purpose"] == ESTIMATION, "sample_id"]
            already = set(units.loc[units["sample_id"].isin(est_ids), "unit_id"])
        else:
            already = set(units["unit_id"])
        k = int((samples["purpose"] == purpose).sum()) + 1
        sample_id = f"{'validation' if purpose == ESTIMATION else 'training'}-{k:03d}"
        result = draw(frame, n, sample_id=sample_id, purpose=purpose, by=col, seed=seed, already=already,
                      codebook_fingerprint=book.fingerprint())
        if result.units.empty:
            raise ValueError(f"{out}: every {unit} is already in a {purpose} sample")
        files = write_review_files(result.units, frame, book, Path(out), sample_id)
        store.add_validation_sample(result.sample, result.units)
    n_strata = result.units["stratum"].nunique()
    return DrawResult(sample_id, len(result.units), purpose, unit, seed, n_strata, files)


@dataclass
class ImportResult:
    path: Path
    n_verdicts: int
    n_blank: int
    n_units: int
    samples: list[str]
    estimates: pd.DataFrame
    training_csv: Path | None = None
    reports: dict[str, Path] = field(default_factory=dict)
    report_error: str | None = None


def import_verdicts(out: str | Path, reviewed: str | Path, *, codebook=None, reports: bool = True) -> ImportResult:
    """Record the verdicts of a reviewed file (all or nothing), then refresh the estimates,
    the training file and the reports."""
    with _store(out) as store:
        book = _codebook(store, codebook)
        found = read_verdicts(reviewed, store, book)
        store.write_verdicts(found.verdicts)
        est = estimates_table(store, book)
        store.replace_table("estimates", est)
        training = write_training_csv(store, Path(out))
        result = ImportResult(Path(reviewed), len(found.verdicts), found.n_blank,
                              found.verdicts["unit_id"].nunique(), found.samples, est, training)
        if reports:
            try:
                result.reports = refresh_reports(store, Path(out), book)
            except Exception as exc:  # the verdicts are recorded: the next run writes the reports
                result.report_error = f"{type(exc).__name__}: {exc}"
    return result


def refresh_reports(store, out: Path, codebook) -> dict[str, Path]:
    """Rewrite report.html, summary.md, analysis.xlsx and the Parquet copies as the last run would."""
    from narratif.report import write_reports

    settings = store.last_run_settings()
    paths = write_reports(store, out, codebook=codebook, pseudonymise=bool(settings.get("pseudonymise")))
    store.export_parquet()
    return paths


def write_training_csv(store, out: Path) -> Path | None:
    """``OUT/validation/training.csv`` (text, code, accepted) from the *training* samples' verdicts
    only, for ``narratif train``: the estimation samples stay out of the coder's learning."""
    samples = store.validation_table("validation_samples")
    units = store.validation_table("validation_units")
    verdicts = store.validation_table("validation_verdicts")
    train_ids = set(samples.loc[samples["purpose"] == TRAINING, "sample_id"])
    est_ids = set(samples.loc[samples["purpose"] == ESTIMATION, "sample_id"])
    u = units[units["sample_id"].isin(train_ids) & ~units["unit_id"].isin(
        units.loc[units["sample_id"].isin(est_ids), "unit_id"])].drop_duplicates("unit_id")
    v = verdicts.merge(u[["unit_id", "text", "unit"]], on="unit_id")
    v = v[v["unit"] == SEGMENT]
    if v.empty:
        return None
    path = out / TRAINING_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "code", "accepted"])
        for r in v.sort_values(["unit_id", "code"]).itertuples(index=False):
            w.writerow([r.text, r.code, int(r.verdict)])
    return path


@dataclass
class PlanLine:
    code: str
    unit: str
    width: float | None
    n_reviewed: int
    needed: int | None

    @property
    def more(self) -> int | None:
        return None if self.needed is None else max(0, self.needed - self.n_reviewed)


def plan(out: str | Path, width: float, *, codebook=None, categories: tuple[str, ...] = ("themes",)) -> list[PlanLine]:
    """For each code of ``categories`` (corpus level): the current interval width and how many
    reviewed units in all would bring it to ``width``."""
    if not 0 < width < 1:
        raise ValueError(f"--width must be between 0 and 1 (e.g. 0.10 for ±5 points), not {width}")
    with _store(out, read_only=True) as store:
        est = estimates_table(store, _codebook(store, codebook))
    rows = est[(est["attribute"] == ALL) & est["category"].isin(categories)]
    lines = []
    for r in rows.itertuples(index=False):
        se = (r.ci_high - r.ci_low) / (2 * 1.959963984540054) if pd.notna(r.share) else None
        e = Estimate(r.share, r.ci_low, r.ci_high, se, int(r.n_units), int(r.n_reviewed))
        lines.append(PlanLine(r.code, r.unit, None if se is None else r.ci_high - r.ci_low, int(r.n_reviewed),
                              units_for_width(e, width, int(r.n_units), r.raw_share)))
    return lines
