"""`fiscal`: a thin Typer layer over the library. Data goes to stdout, logs and progress to stderr.

Importing this module (and so `fiscal --help`) loads no Prefect, Great Expectations or camelot, nor
pandas: commands import what they need when they run. The read-only commands (`documents`, `show`,
`export facts` as CSV, `report`) print rows (``warehouse.rows.Rows``) and import neither pandas nor
Alembic (tests/test_cli_imports.py).
"""

from __future__ import annotations

import atexit
import gc
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli_common import FiscalGroup

if TYPE_CHECKING:
    from rich.console import Console

    from flows.pipeline import DocumentOutcome
    from warehouse.rows import Rows

# A `fiscal` process ends when its command does: skip the interpreter's last garbage collection over
# everything imported (0.2 s after pandas, 1.3 s after Prefect and GX). Registered first, so it runs
# after every other exit handler (Prefect's included); objects still in reference cycles then simply
# go with the process instead of being finalized one by one.
atexit.register(gc.freeze)

app = typer.Typer(
    help="Chinese government budget disclosures (部门决算 PDFs) into a fiscal data warehouse.",
    no_args_is_help=True,
    add_completion=False,
    cls=FiscalGroup,  # known input and environment errors: one line, exit code 2 (not a traceback)
)
export_app = typer.Typer(help="Export warehouse contents (public reporting contract).", no_args_is_help=True)
db_app = typer.Typer(help="Warehouse schema management.", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(db_app, name="db")

from flows.cli_common import (  # noqa: E402
    TEMPORARY_SERVER_NOTE,
    DocumentStatus,
    FactsFormat,
    ListFormat,
    OutputOption,
    WarehouseOption,
    engine_for,
    err,
    print_outcome,
    require_data_dir,
    resolve_or_exit,
    settings_for,
    write_rows,
)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    warehouse: WarehouseOption = None,
    data_docs: Annotated[
        bool, typer.Option("--data-docs", help="Write Great Expectations Data Docs (HTML) under <data dir>/docs.")
    ] = False,
) -> None:
    """Process PDFs (extract → normalise → validate → load) through the Prefect flow.

    With `fiscal server start` running, its worker runs the flow: this command then imports no Prefect,
    pipeline or Great Expectations (flows/remote.py).
    """
    from importlib import import_module
    from typing import cast

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.paths import collect_inputs
    from flows.remote import (
        OutcomeRecord,
        WorkerRunFailed,
        WorkerRunSummary,
        WorkerUnavailable,
        find_worker,
        run_on_worker,
    )
    from flows.server import flow_api

    if TYPE_CHECKING:
        from flows.flow import RunSummary

    settings = settings_for(warehouse)
    pdfs, missing, problems = collect_inputs(paths)
    if missing:
        raise typer.BadParameter(f"no such file or folder: {', '.join(missing)}", param_hint="PATHS")
    for problem in problems:  # a folder that cannot be listed: said, and the rest goes on
        err.print(problem, style="yellow", markup=False, soft_wrap=True)
    if not pdfs:
        err.print("[yellow]no PDF files found[/yellow]")
        raise typer.Exit(0)
    # before Prefect starts (10-25 s) and before any document: a data dir that cannot be written or a
    # warehouse that cannot be opened ends the command here, in one line
    require_data_dir(settings)
    engine_for(warehouse)
    with flow_api(settings.data_dir) as api:  # before Prefect is imported: it reads PREFECT_API_URL then
        worker, note = find_worker(settings.data_dir, api, settings.warehouse_url)
        if note:
            err.print(f"[dim]{note}[/dim]", soft_wrap=True)
        if api is None:
            err.print(TEMPORARY_SERVER_NOTE, soft_wrap=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            bar = progress.add_task("documents", total=len(pdfs))

            def advance(outcome: DocumentOutcome | OutcomeRecord) -> None:
                # print_outcome reads status, department, fiscal_year, facts_loaded and reasons: a record has them
                print_outcome(progress.console, cast("DocumentOutcome", outcome), outcome.source_file)
                progress.advance(bar)

            summary: RunSummary | WorkerRunSummary | None = None
            if worker is not None:
                try:  # imports what the summary needs while the worker works
                    summary = run_on_worker(
                        worker, pdfs, settings, advance, data_docs, meanwhile=lambda: import_module("warehouse.export")
                    )
                except WorkerUnavailable as exc:
                    err.print(f"[dim]{exc}[/dim]", soft_wrap=True)
                except WorkerRunFailed as exc:
                    err.print(str(exc), style="red", markup=False, soft_wrap=True)
                    raise typer.Exit(1) from exc
                except KeyboardInterrupt as exc:
                    err.print(f"cancelled flow run {exc}; the worker stops it before its next step", style="yellow")
                    raise typer.Exit(130) from exc
            if summary is None:
                from flows.flow import run as run_flow

                summary = run_flow(pdfs, settings, progress=advance, data_docs=data_docs)
    from warehouse.export import table_counts

    counts = table_counts(engine_for(warehouse))
    err.print(
        f"documents: {summary.documents}  loaded: {summary.count('loaded')}  "
        f"quarantined: {summary.count('quarantined')}  failed: {summary.count('failed')}  "
        f"skipped: {summary.count('skipped')}  "
        + (f"duplicates: {summary.count('duplicate')}  " if summary.count("duplicate") else "")
        + f"facts loaded: {summary.facts_loaded}  "
        f"seconds: {summary.seconds:.1f}"
    )
    err.print("facts per table in the warehouse: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if data_docs:
        err.print(f"Data Docs: {settings.docs_dir / 'index.html'}")
    if not summary.ok:
        raise typer.Exit(1)


@export_app.command("facts")
def export_facts_cmd(
    warehouse: WarehouseOption = None,
    document: Annotated[str | None, typer.Option(help="Only this document (sha256 or a unique prefix).")] = None,
    fmt: Annotated[
        FactsFormat, typer.Option("--format", help="csv, or parquet (amounts as decimal128; needs --output).")
    ] = FactsFormat.csv,
    output: OutputOption = None,
) -> None:
    """One row per published amount cell of the current loaded documents."""
    if fmt == "parquet" and output is None:
        raise typer.BadParameter("parquet is binary: give a file with --output", param_hint="--output")
    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document) if document else None
    if fmt == "parquet" and output is not None:
        from warehouse.export import export_facts, write_facts_parquet  # pandas and pyarrow: Parquet only

        frame = export_facts(engine, sha)
        write_facts_parquet(frame, output)
        err.print(f"{len(frame)} facts written to {output}")
        return
    from warehouse.export import fact_rows

    write_rows(fact_rows(engine, sha), "csv", output)


@app.command()
def documents(
    warehouse: WarehouseOption = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="csv or table")] = ListFormat.csv,
    status: Annotated[DocumentStatus | None, typer.Option(help="Only documents with this status.")] = None,
    tables: Annotated[bool, typer.Option("--tables", help="One row per (document, table) instead.")] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Only documents fetched by this source of sources.yaml (its name).")
    ] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="--format table: every column (reasons counted, pages, tables), never cut.")
    ] = False,
) -> None:
    """One row per processed document (or per document table with --tables)."""
    from warehouse.export import document_rows, table_rows

    engine = engine_for(warehouse)
    if tables and source:
        raise typer.BadParameter("lists documents, not their tables", param_hint="--source")
    rows = table_rows(engine) if tables else document_rows(engine, status=status and status.value, source=source)
    if fmt == "table" and not tables:
        print_documents_table(rows, wide=wide)
        return
    write_rows(rows, fmt, None)


#: `fiscal documents --format table`: (heading, column of document_rows) that fit 80 terminal columns
NARROW_COLUMNS = (
    ("sha256", "sha256"), ("file", "source"), ("department", "department"), ("year", "fiscal_year"),
    ("phase", "phase"), ("scope", "scope"), ("status", "status"), ("facts", "facts_loaded"),
)
_NUMERIC = {"fiscal_year", "pages", "tables_found", "facts_loaded", "reasons"}
_WRAPPED = {"source", "department"}


def print_documents_table(rows: Rows, wide: bool = False, width: int | None = None) -> None:
    """Print ``fiscal documents`` as a terminal table whose values are never cut.

    Parameters
    ----------
    rows : Rows
        ``warehouse.export.document_rows``.
    wide : bool
        Every column (sha256, source, department, fiscal_year, phase, status, how many reasons, pages,
        tables_found, facts_loaded) on one line per document, the table as wide as it needs; otherwise
        short sha (12), file name, department, year, phase, status and facts, with file name and
        department folded onto more lines when the terminal is narrow (80 columns fit).
    width : int or None
        Console width (default: the terminal's, or ``COLUMNS``).

    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from warehouse.rows import is_missing

    shown = [
        {
            **record,
            "sha256": str(record["sha256"])[:12],
            "source": Path(str(record["source"])).name,
            "reasons": len([x for x in str(record["reasons"] or "").split("; ") if x]),
        }
        for record in rows.records()
    ]
    columns = [(name, name) for name in rows.columns] if wide else list(NARROW_COLUMNS)
    # no frame, one space between columns, each heading underlined: the most room for the values
    compact = box.Box("    \n    \n ─  \n    \n    \n    \n    \n    \n")
    table = Table(box=compact, show_edge=False, padding=(0, 0))
    for heading, column in columns:
        if column in _WRAPPED and not wide:
            table.add_column(heading, overflow="fold")
        else:
            table.add_column(heading, no_wrap=True, justify="right" if column in _NUMERIC else "left")
    for record in shown:
        table.add_row(*["" if is_missing(record[column]) else str(record[column]) for _, column in columns])
    console = Console(width=width) if width else Console()
    if wide:
        from rich.measure import Measurement

        needed = Measurement.get(console, console.options.update(max_width=10_000), table).maximum
        if needed > console.width:
            console = Console(width=needed)  # the terminal wraps long lines; nothing is cropped
    console.print(table)


@app.command()
def show(
    document: Annotated[str, typer.Argument(help="sha256 or a unique prefix.")],
    warehouse: WarehouseOption = None,
) -> None:
    """A document's status, reasons and the tables found with pages, rows, cells and quality signals."""
    from rich.console import Console

    from warehouse.document_names import document_names
    from warehouse.export import document_rows, findings_of_rule, table_rows

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    docs = document_rows(engine)
    row = _as_pandas_gave(docs, ("department", "phase"))[docs.column("sha256").index(sha)]
    console = Console()
    print_document(
        console, row, document_names(engine, sha), _as_pandas_gave(table_rows(engine, sha), ("title", "unit", "note"))
    )
    corrections = findings_of_rule(engine, sha, "ocr.corrected")
    if corrections:
        console.print("[bold]OCR corrections[/bold] (read → corrected, proven by the identities):")
        for c in corrections:
            console.print(
                f"  - table {c['table_code']}, page {c['page']}, row {c['row_label']}, {c['measure']}: {c['found']} → {c['expected']}",
                markup=False,
            )


def print_document(
    console: Console, row: Mapping[str, Any], names: Sequence[tuple[str, str]], tables: Iterable[Mapping[str, Any]]
) -> None:
    """Print a document's fields, the names it was received as, its reasons and its tables, as `fiscal show` does.

    Parameters
    ----------
    console : Console
        Where to print.
    row : mapping
        The document's record (``warehouse.export.document_rows``).
    names : sequence of (source, file name)
        ``warehouse.document_names.document_names`` (listed when more than one).
    tables : iterable of mappings
        The document's table records (``warehouse.export.table_rows``).

    """
    for key in ("sha256", "source", "department", "fiscal_year", "phase", "status", "pages", "tables_found", "facts_loaded"):
        console.print(f"[bold]{key}[/bold]: {row.get(key)}")
    if len(names) > 1:
        console.print("[bold]received as[/bold]:")
        for source, name in names:
            console.print(f"  - {name} from {source}", markup=False)
    reasons = [r for r in str(row.get("reasons") or "").split("; ") if r]
    if reasons:
        console.print("[bold]reasons / notes[/bold]:")
        for reason in reasons:
            console.print(f"  - {reason}")
    console.print("[bold]tables[/bold]:")
    for t in tables:
        state = "missing" if not t["present"] else ("empty" if t["is_empty"] else f"{t['rows']} rows, {t['cells']} cells")
        quality = _quality(t)
        note = f" — {t['note']}" if isinstance(t.get("note"), str) and t["note"] else ""
        console.print(f"  {t['table_code']} {t['title']}: pages {t['pages'] or '-'}, {state}, unit {t['unit'] or '-'}{quality}{note}")


def _quality(table: Mapping[str, object]) -> str:
    """The table's extraction quality signals (worst page) as ', accuracy …, whitespace …, outside cells …%'."""
    figures = (("accuracy", "accuracy", ""), ("whitespace", "whitespace", ""), ("outside_chars_pct", "outside cells", "%"))
    shown = [
        f"{label} {value:.2f}{suffix}"
        for key, label, suffix in figures
        if isinstance(value := table.get(key), (int, float)) and not math.isnan(value)
    ]
    confidence = table.get("ocr_confidence")
    if isinstance(confidence, (int, float)) and not math.isnan(confidence):
        shown.append(f"read by OCR (lowest cell confidence {confidence:.2f})")
    return "".join(f", {text}" for text in shown)


def _as_pandas_gave(rows: Rows, text_columns: Sequence[str]) -> list[dict[str, Any]]:
    """The records, a missing value of ``text_columns`` as the DataFrame records of these rows had it.

    ``show`` printed ``to_dict`` records of a frame: a text column holding some string is pandas'
    ``str`` dtype, whose missing value is NaN (printed ``nan``, and true for ``or``); a column holding no
    string at all stays ``object`` with None. Kept so that ``fiscal show`` prints what it printed.
    """
    records = rows.records()
    for name in text_columns:
        values = [r[name] for r in records if r[name] is not None]
        if values and all(isinstance(v, str) for v in values):
            for record in records:
                if record[name] is None:
                    record[name] = math.nan
    return records


@db_app.command("upgrade")
def db_upgrade(warehouse: WarehouseOption = None) -> None:
    """Apply the Alembic migrations to the warehouse (SQLite file or an existing PostgreSQL)."""
    from warehouse.db import display_url, make_engine, upgrade

    url = settings_for(warehouse).warehouse_url
    upgrade(make_engine(url))
    err.print(f"warehouse at head: {json.dumps(display_url(url))}", markup=False, soft_wrap=True)


# Commands of the warehouse (issue 5), harvest (issue 6), steward and site (issue 16) areas live in their
# own modules; registered in this order, which is that of `fiscal --help`.
from flows import cli_harvest, cli_site, cli_steward, cli_warehouse  # noqa: E402

for _module in (cli_warehouse, cli_harvest, cli_steward, cli_site):
    _module.COMMANDS.register(app, export_app)

if __name__ == "__main__":  # pragma: no cover
    app()
