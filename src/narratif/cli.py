"""Command line: thin typer commands that check arguments and call library functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="narratif",
    help="Quantified narrative analysis of French monographs and life-story interviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)  # never break a file path across lines
out_console = Console()


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def print_summary(summary) -> None:
    """The closing summary: documents ok / quarantined, words, seconds, warnings."""
    ok = summary.n_documents - summary.n_quarantined
    console.print(
        f"[bold]narratif[/]: {summary.n_documents} documents — [green]{ok} ok[/], "
        f"[yellow]{summary.n_quarantined} quarantined[/]; {summary.n_processed} analysed, "
        f"{summary.n_skipped} unchanged; {summary.n_words:,} words; {summary.seconds:.1f} s → {summary.out}"
    )
    if summary.n_documents == 0:
        console.print("[yellow]warning:[/] no supported input files were found")
    if summary.quarantined:
        table = Table(title="Quarantined documents", show_lines=False, title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("reason", overflow="fold")
        for path, error in summary.quarantined:
            table.add_row(path, error)
        console.print(table)
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    for e in getattr(summary, "errors", []):
        console.print(f"[bold red]error:[/] {e} (per-document results are stored; see the log above)")
    topics = getattr(summary, "topics", None)
    if topics is not None and getattr(topics, "message", None):
        console.print(f"topics: {topics.message}")


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
        if getattr(result, "refitted", False):
            from narratif.topics.drift import record_fit

            record_fit(store)  # later runs measure drift from this fit
        store.export_parquet(["topics", "segment_topics", "topics_by_attribute"])
    console.print(getattr(result, "message", result))


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
) -> None:
    """Serve a scheduled deployment that processes what is new in --watch (Prefect serve)."""
    from narratif.pipeline.serve import serve_watch

    if not watch.is_dir():
        _fail(f"--watch must be an existing folder: {watch}")
    if (cron is None) == (interval is None):
        _fail("give exactly one of --cron or --interval")
    serve_watch(watch, out, cron=cron, interval=interval, meta=meta, codebook=codebook, topics=not no_topics,
                name=name)


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
        table.add_row(str(row.seg_id), row.code, f"{row.score:.2f}", row.evidence)
    out_console.print(table)


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
    from narratif.turning_points.detect import story_turning_points

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
        table = Table(title=f"{path} — {len(df)} turning points", show_lines=False)
        for col in ("line", "type", "polarity", "year", "score", "text", "evidence"):
            table.add_column(col, overflow="fold")
        for row in df.itertuples():
            table.add_row(str(row.line), row.type, row.polarity, row.year, f"{row.score:.2f}", row.text, row.evidence)
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
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"coding classifier saved to {path}")


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
    except (RefiError, ValueError) as exc:
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
    console.print(f"REFI-QDA project written to {path}")


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
    console.print(f"REFI-QDA codebook written to {path}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
