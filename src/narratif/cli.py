"""Command line: thin typer commands that check arguments and call library functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

app = typer.Typer(
    name="narratif",
    help="Quantified narrative analysis of French monographs and life-story interviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# never break a file path across lines; ":name:" in a file name stays text, not an emoji
console = Console(stderr=True, soft_wrap=True, emoji=False)
out_console = Console(emoji=False)


def _line(*parts: str | tuple[str, str]) -> Text:
    """A console line from plain pieces and (text, style) pairs: paths and user text are never
    read as rich markup (a file named ``notes[/]x.txt`` prints as it is)."""
    return Text.assemble(*parts)


def _fail(message: str, code: int = 2) -> None:
    console.print(_line(("error:", "bold red"), " ", str(message)))
    raise typer.Exit(code)


def print_summary(summary) -> None:
    """The closing summary: documents ok / quarantined, words, seconds, warnings."""
    ok = summary.n_documents - summary.n_quarantined
    console.print(_line(
        ("narratif", "bold"), f": {summary.n_documents} documents — ", (f"{ok} ok", "green"), ", ",
        (f"{summary.n_quarantined} quarantined", "yellow"), f"; {summary.n_processed} analysed, "
        f"{summary.n_skipped} unchanged; {summary.n_words:,} words; {summary.seconds:.1f} s → {summary.out}"))
    if summary.n_documents == 0:
        console.print(_line(("warning:", "yellow"), " no supported input files were found"))
    if summary.quarantined:
        table = Table(title="Quarantined documents", show_lines=False, title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("reason", overflow="fold")
        for path, error in summary.quarantined:
            table.add_row(Text(str(path)), Text(str(error)))
        console.print(table)
    for w in summary.warnings:
        console.print(_line(("warning:", "yellow"), f" {w}"))
    for e in getattr(summary, "errors", []):
        console.print(_line(("error:", "bold red"), f" {e} (per-document results are stored; see the log above)"))
    topics = getattr(summary, "topics", None)
    if topics is not None and getattr(topics, "message", None):
        console.print(f"topics: {topics.message}", markup=False)


@app.command()
def run(
    inputs: List[Path] = typer.Argument(..., help="Files or folders to analyse."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (store, tables, reports)."),
    meta: Optional[Path] = typer.Option(None, "--meta", help="CSV/YAML sidecar of case attributes."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (.yaml or REFI-QDA .qdc)."),
    no_topics: bool = typer.Option(False, "--no-topics", help="Skip topic modelling."),
    refit_topics: bool = typer.Option(False, "--refit-topics", help="Refit the topic model (ids are mapped)."),
    pseudonymise: bool = typer.Option(False, "--pseudonymise", help="Pseudonymise persons in outputs."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Address of a Dask scheduler for analysis."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait if another run holds --out."),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir", help="Fitted models (default OUT/models)."),
    workers: int = typer.Option(0, "--workers", min=0, help="Analysis processes (0: one per core, up to 4; "
                                "1: in the run's own process)."),
    prefect: bool = typer.Option(False, "--prefect", help="Run as a Prefect flow run even without "
                                 "PREFECT_API_URL (starts a temporary local server)."),
) -> None:
    """Ingest, code and analyse INPUT files; write the store, tables and reports to --out."""
    from narratif.api import ConfigurationError, run as run_api
    from narratif.pipeline.steps import RunLockedError

    try:
        result = run_api(inputs, out, meta=meta, codebook=codebook, topics=not no_topics,
                         refit_topics=refit_topics, pseudonymise=pseudonymise, dask=dask, wait=wait,
                         models_dir=models_dir, progress=sys.stderr.isatty(), workers=workers,
                         prefect=prefect)
    except RunLockedError as exc:
        _fail(str(exc), code=3)
    except (ConfigurationError, ValueError) as exc:  # CodebookError, AttributeFileError are ValueErrors
        _fail(str(exc))
    print_summary(result.summary)
    if result.summary.errors:
        raise typer.Exit(1)


@app.command()
def topics(
    out: Path = typer.Argument(..., help="Output directory of a previous run."),
    refit: bool = typer.Option(False, "--refit", help="Refit and map old topic ids to new ones."),
    codebook: Optional[Path] = typer.Option(None, "--codebook"),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir"),
) -> None:
    """(Re)compute topics from the store without re-analysing documents."""
    from narratif.codebook import load_codebook
    from narratif.pipeline.steps import run_lock
    from narratif.store import Store
    from narratif.topics import update_topics

    if not (out / "narratif.duckdb").exists():
        _fail(f"no narratif store in {out}; run `narratif run ... --out {out}` first")
    from narratif.outdir import run_codebook

    codebook = run_codebook(out, codebook)  # the runs' own codebook unless another is given
    with run_lock(out), Store(out) as store:
        result = update_topics(store, models_dir or out / "models", codebook=load_codebook(codebook), refit=refit)
        store.export_parquet(["topics", "segment_topics", "topics_by_attribute"])
    console.print(str(getattr(result, "message", result)), markup=False)


@app.command()
def serve(
    watch: Path = typer.Option(..., "--watch", help="Folder where new interviews are dropped."),
    out: Path = typer.Option(..., "--out", "-o"),
    cron: Optional[str] = typer.Option(None, "--cron", help='Cron schedule, e.g. "0 2 * * *".'),
    interval: Optional[float] = typer.Option(None, "--interval", help="Run every N seconds instead of cron."),
    meta: Optional[Path] = typer.Option(None, "--meta"),
    codebook: Optional[Path] = typer.Option(None, "--codebook"),
    no_topics: bool = typer.Option(False, "--no-topics"),
    name: str = typer.Option("nightly", "--name", help="Deployment name."),
    port: int = typer.Option(0, "--port", help="Port of the local Prefect server and its UI (0: a free port); "
                             "unused when PREFECT_API_URL names a server."),
) -> None:
    """Serve a scheduled deployment that processes what is new in --watch (Prefect serve).

    Stops within seconds on SIGTERM or Ctrl-C (the run in flight is abandoned; the store stays whole)."""
    from narratif.pipeline.serve import serve_watch

    if not watch.is_dir():
        _fail(f"--watch must be an existing folder: {watch}")
    if (cron is None) == (interval is None):
        _fail("give exactly one of --cron or --interval")
    if not 0 <= port <= 65535:
        _fail(f"--port must be between 0 and 65535, not {port}")
    try:
        code = serve_watch(watch, out, cron=cron, interval=interval, meta=meta, codebook=codebook,
                           topics=not no_topics, name=name, port=port)
    except RuntimeError as exc:  # the local Prefect server did not start (e.g. its port is taken)
        _fail(str(exc), code=1)
    raise typer.Exit(code)


@app.command()
def code(
    text: str = typer.Argument(..., help="A text to code, or the path of a file."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (.yaml)."),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir", help="Where `narratif train` saved its model."),
) -> None:
    """Print the codes applied to a text (or file), with their score and evidence."""
    from narratif.coding import code_text

    try:
        df = code_text(text, codebook=codebook, models_dir=models_dir)  # a path or the text itself
    except (ValueError, OSError) as exc:  # CodebookError is a ValueError
        _fail(str(exc))
    if df.empty:
        console.print("no code applied")
        return
    table = Table(show_lines=False)
    for col in ("seg_id", "code", "score", "evidence"):
        table.add_column(col, overflow="fold")
    for row in df.itertuples():
        table.add_row(str(row.seg_id), Text(str(row.code)), f"{row.score:.2f}", Text(str(row.evidence or "")))
    out_console.print(table)


@app.command()
def prepare(
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to write (default: the environment's "
                                             "cache, <venv>/share/narratif/cache, read by every process)."),
) -> None:
    """Compile the French tokenizer's pattern and fit the default coder once, so quick checks start fast.

    Run by the setup step; run it again after an upgrade (a stale cache is only ignored)."""
    from narratif.api import prepare as prepare_api

    try:
        written = prepare_api(cache_dir)
    except (ValueError, OSError) as exc:
        _fail(f"cannot prepare the cache: {exc}")
    console.print(f"narratif: cache ready in {written}", markup=False)


@app.command("turning-points")
def turning_points(
    inputs: List[Path] = typer.Argument(..., help="Story or interview files or folders (.txt: one sentence or turn "
                                        "per line, `Speaker : text` when the speaker is known)."),
    tsv: bool = typer.Option(False, "--tsv", help="Tab-separated rows (file, line, type, polarity, score, year, "
                             "text) instead of a table."),
) -> None:
    """Print the turning points of each file with their line, type, year and evidence (no store written)."""
    from narratif.ingest import iter_input_files
    from narratif.nlp.parse import load_nlp
    from narratif.turning_points.story import story_turning_points

    nlp = load_nlp()
    files = list(iter_input_files(inputs))
    failed = 0
    if tsv:
        typer.echo("file\tline\ttype\tpolarity\tscore\tyear\ttext")
    for path in files:
        try:
            df = story_turning_points(path, nlp=nlp)
        except (ValueError, OSError) as exc:
            console.print(f"{exc}" if str(path) in str(exc) else f"{path}: {exc}", style="red", markup=False)
            failed += 1
            continue
        df = df.assign(year=df["year"].astype("string").fillna(""), polarity=df["polarity"].fillna(""))
        if tsv:
            for row in df.itertuples():
                text = " ".join(row.text.split())
                typer.echo(f"{path}\t{row.line}\t{row.type}\t{row.polarity}\t{row.score:.2f}\t{row.year}\t{text}")
            continue
        table = Table(title=Text(f"{path} — {len(df)} turning points"), show_lines=False)
        for col in ("line", "type", "polarity", "year", "score", "text", "evidence"):
            table.add_column(col, overflow="fold")
        for row in df.itertuples():
            table.add_row(str(row.line), row.type, row.polarity, row.year, f"{row.score:.2f}", Text(str(row.text)),
                          Text(str(row.evidence or "")))
        out_console.print(table)
    if failed:
        raise typer.Exit(1)


@app.command()
def train(
    codings: Path = typer.Argument(..., help="Validated codings: CSV (text, code, accepted) or a reviewed .qdpx."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory whose runs use the model "
                                       "(saved in OUT/models)."),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir", help="Save under this models directory instead."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (.yaml or .qdc)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="For a .qdpx: the narratif export (or output "
                                            "directory) it was reviewed from, so removed codings count as rejected."),
) -> None:
    """Fit the coding classifier on a team's validated codings; later runs use it."""
    import tempfile

    from narratif.codebook import load_codebook
    from narratif.coding import train_classifier

    if not codings.is_file():
        _fail(f"no such file: {codings}")
    if (out is None) == (models_dir is None):
        _fail("give exactly one of --out (the output directory whose runs should use the model) or --models-dir")
    target = models_dir or out / "models"
    if out is not None:
        from narratif.outdir import run_codebook

        codebook = run_codebook(out, codebook)  # the runs' own codebook unless another is given
    try:
        if codings.suffix.lower() == ".qdpx":
            from narratif.refi import write_training_csv

            with tempfile.TemporaryDirectory() as tmp:  # RefiError (a ValueError) when nothing in it matches
                csv = write_training_csv(codings, Path(tmp) / "codings.csv", baseline=baseline, codebook=codebook)
                path = train_classifier(csv, codebook=load_codebook(codebook), models_dir=target)
        else:
            path = train_classifier(codings, codebook=load_codebook(codebook), models_dir=target)
    except (ValueError, OSError) as exc:  # RefiError, CodebookError: ValueErrors naming their file
        _fail(str(exc))
    console.print(f"coding classifier saved to {path}", markup=False)


@app.command()
def review(
    reviewed: Path = typer.Argument(..., help="A .qdpx exported by `narratif export qdpx` and reviewed in QDA "
                                    "software (turning points kept, retyped, deleted or added)."),
    out: Path = typer.Option(..., "--out", "-o", help="The output directory it was exported from."),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir", help="Where runs read fitted models "
                                              "(default: the last run's, else OUT/models): the adapted "
                                              "turning-point typing goes there."),
) -> None:
    """Record analysts' verdicts on turning points; every later run applies them, and types
    turning points with a classifier adapted to the moments they kept, retyped or added."""
    from narratif.refi import RefiError
    from narratif.refi.reviews import turning_point_reviews
    from narratif.outdir import recorded_models_dir
    from narratif.store import Store, StoreLockedError
    from narratif.turning_points.adapt import adapt_to_reviews

    if not reviewed.is_file():
        _fail(f"no such file: {reviewed}")
    if not (out / "narratif.duckdb").is_file():
        _fail(f"no narratif store in {out}; give the output directory the project was exported from")
    try:
        with Store(out) as store:
            result = turning_point_reviews(reviewed, store)
            store.write_reviews(result.reviews)
            try:  # the verdicts are recorded: a failure here only leaves the typing as it was
                # where the runs on this store read models, within the OUT given (a copy keeps its own)
                target = models_dir or recorded_models_dir(store)
                adaptation = adapt_to_reviews(store, target)
            except Exception as exc:
                adaptation = None
                console.print(f"turning-point typing not adapted: {exc}", style="yellow", markup=False)
    except (RefiError, ValueError, OSError) as exc:
        _fail(f"{reviewed}: {exc}" if str(reviewed) not in str(exc) else str(exc))
    except StoreLockedError as exc:
        _fail(str(exc), 3)
    for w in result.warnings:
        console.print(w, style="yellow", markup=False)
    counts = result.counts()
    adapted = adaptation is not None and adaptation.path is not None
    rerun = "every document re-typed" if adapted else f"{len({r.doc_id for r in result.reviews})} documents re-analysed"
    console.print(f"{result.documents} documents reviewed: " + ", ".join(f"{n} {c}" for c, n in counts.items())
                  + f". The next `narratif run ... --out {out}` applies them ({rerun}).", markup=False)
    if adaptation is not None:
        console.print(adaptation.message(), markup=False)


export_app = typer.Typer(help="Export to REFI-QDA (NVivo, ATLAS.ti, MAXQDA, QualCoder).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("qdpx")
def export_qdpx_cmd(
    out: Path = typer.Argument(..., help="Output directory of a previous run."),
    target: Path = typer.Argument(..., help="The .qdpx file to write."),
    pseudonymise: bool = typer.Option(False, "--pseudonymise", help="Pseudonymise persons and documents."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (.yaml or REFI-QDA .qdc)."),
) -> None:
    """Write codings, turning points, cases and topics as a REFI-QDA project."""
    from narratif.refi import RefiError, export_qdpx

    if not (out / "narratif.duckdb").is_file():
        _fail(f"no narratif store in {out}; run `narratif run ... --out {out}` first")
    if target.suffix.lower() != ".qdpx":
        _fail(f"the project file must end in .qdpx: {target}")
    from narratif.outdir import run_codebook

    try:
        path = export_qdpx(out, target, codebook=run_codebook(out, codebook), pseudonymise=pseudonymise)
    except (RefiError, ValueError) as exc:  # CodebookError is a ValueError
        _fail(str(exc))
    console.print(f"REFI-QDA project written to {path}", markup=False)


@export_app.command("qdc")
def export_qdc_cmd(
    target: Path = typer.Argument(..., help="The .qdc file to write."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (.yaml or REFI-QDA .qdc)."),
) -> None:
    """Write the codebook as a REFI-QDA codebook."""
    from narratif.refi import export_qdc

    if target.suffix.lower() != ".qdc":
        _fail(f"the codebook file must end in .qdc: {target}")
    try:
        path = export_qdc(codebook, target)
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"REFI-QDA codebook written to {path}", markup=False)


validate_app = typer.Typer(help="Validation samples, analysts' verdicts and bias-corrected shares.",
                           no_args_is_help=True)
app.add_typer(validate_app, name="validate")


def _need_store(out: Path) -> None:
    if not (out / "narratif.duckdb").is_file():
        _fail(f"no narratif store in {out}; run `narratif run ... --out {out}` first")


@validate_app.command("draw")
def validate_draw(
    out: Path = typer.Argument(..., help="Output directory of a previous run."),
    n: int = typer.Option(..., "--n", help="Number of units to sample."),
    by: Optional[str] = typer.Option(None, "--by", help="Also stratify by this document attribute (e.g. collectif)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (recorded; default: a fresh one)."),
    purpose: str = typer.Option("estimation", "--purpose", help="estimation (a probability sample) or training "
                                "(the units the coder is least sure of, for `narratif train`; never in estimates)."),
    unit: str = typer.Option("segment", "--unit", help="segment (themes and MIAOU) or sentence (turning points)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (default: the last run's)."),
) -> None:
    """Draw a validation sample; write OUT/validation/<sample>.csv, .xlsx and .qdpx for review."""
    from narratif.store import StoreLockedError
    from narratif.validation import draw_sample

    _need_store(out)
    if purpose not in ("estimation", "training") or unit not in ("segment", "sentence"):
        _fail("--purpose is estimation or training; --unit is segment or sentence")
    try:
        r = draw_sample(out, n, by=by, seed=seed, purpose=purpose, unit=unit, codebook=codebook)
    except StoreLockedError as exc:
        _fail(str(exc), 3)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    console.print(f"sample {r.sample_id}: {r.n} {r.unit}s ({r.purpose}, {r.n_strata} strata, seed {r.seed}). "
                  f"Fill the verdict column (1 = the code applies, 0 = it does not, blank = not reviewed) of "
                  f"{r.files['csv']} (or .xlsx / .qdpx), then `narratif validate import {out} FILE`.", markup=False)


@validate_app.command("import")
def validate_import(
    out: Path = typer.Argument(..., help="Output directory the sample was drawn from."),
    reviewed: Path = typer.Argument(..., help="The reviewed .csv, .xlsx or .qdpx."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (default: the last run's)."),
) -> None:
    """Record analysts' verdicts (all or nothing), then refresh estimates and reports."""
    from narratif.store import StoreLockedError
    from narratif.validation import import_verdicts

    _need_store(out)
    try:
        r = import_verdicts(out, reviewed, codebook=codebook)
    except StoreLockedError as exc:
        _fail(str(exc), 3)
    except (ValueError, OSError) as exc:  # VerdictFileError names file, row and column
        _fail(str(exc))
    console.print(f"{r.n_verdicts} verdicts on {r.n_units} units recorded from {reviewed} "
                  f"({r.n_blank} left blank: not reviewed).", markup=False)
    themes = r.estimates[(r.estimates["attribute"] == "all") & (r.estimates["n_reviewed"] > 0)]
    for row in themes.itertuples(index=False):
        console.print(f"  {row.code}: {100 * row.share:.1f} % [{100 * row.ci_low:.1f}–{100 * row.ci_high:.1f}] "
                      f"(brut {100 * row.raw_share:.1f} %, n = {row.n_reviewed})", markup=False)
    if r.training_csv is not None:
        console.print(f"training verdicts: {r.training_csv} (`narratif train {r.training_csv} --out {out}`)",
                      markup=False)
    if r.report_error:
        console.print(f"reports not refreshed ({r.report_error}); the next run writes them", style="yellow",
                      markup=False)


@validate_app.command("plan")
def validate_plan(
    out: Path = typer.Argument(..., help="Output directory of a previous run."),
    width: float = typer.Option(0.10, "--width", help="Wanted width of the 95 % interval (0.10 = ±5 points)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook (default: the last run's)."),
) -> None:
    """How many more reviewed units bring each theme's interval to --width."""
    from narratif.validation import plan

    _need_store(out)
    try:
        lines = plan(out, width, codebook=codebook)
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    table = Table(title=f"Units to review for a 95 % interval of width {width:.2f}", title_justify="left")
    for col in ("code", "reviewed", "width now", "reviewed needed", "more"):
        table.add_column(col)
    for ln in lines:
        table.add_row(ln.code, str(ln.n_reviewed), "—" if ln.width is None else f"{ln.width:.3f}",
                      str(ln.needed), str(ln.more))
    out_console.print(table)
    more = max((ln.more or 0 for ln in lines), default=0)
    out_console.print(f"{more} more units (`narratif validate draw {out} --n {more}`) give every theme that width."
                      if more else "every theme already has that width.")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
