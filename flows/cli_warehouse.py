"""Warehouse commands of `fiscal`: report, export formats, department aliases, retract, accept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from flows.cli_common import (
    Commands,
    ReportFormat,
    WarehouseOption,
    engine_for,
    err,
    print_table,
    resolve_or_exit,
    write_rows,
)


def report_cmd(
    name: Annotated[str, typer.Argument(help="facts, expenditure-by-function, basic-by-economic, three-public, yoy, budget-execution or data-quality.")],
    warehouse: WarehouseOption = None,
    department: Annotated[
        str | None, typer.Option(help="Department name or part of it (current or any printed name).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Fiscal year.")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table (terminal) or csv (every column).")] = ReportFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    history: Annotated[
        bool, typer.Option("--history", help="facts: include superseded and retracted documents too.")
    ] = False,
) -> None:
    """Print a reporting view (see docs/reporting.md) as a table or as CSV."""
    from warehouse.report import REPORTS, UnknownReportError, report_rows, report_spec

    try:
        spec = report_spec(name)
    except UnknownReportError as exc:
        err.print(f"[red]{exc}[/red]")
        for known, other in REPORTS.items():
            err.print(f"  {known:24} {other.description}")
        raise typer.Exit(2) from exc
    rows = report_rows(
        engine_for(warehouse), name, department=department, year=year, limit=limit, current_only=not history
    )
    if fmt == "csv":
        write_rows(rows, "csv", None)
        return
    records = rows.records()
    if name == "facts":
        # one "row" column for the terminal: the code or label that identifies the printed row
        for record in records:
            record["row"] = next(
                (v for v in (record["functional_code"], record["economic_code"], record["line_item"]) if v is not None),
                None,
            )
    columns = spec.table_columns or rows.columns
    _print_table([[r[c] for c in columns] for r in records], columns, spec.numeric, title=f"{name}: {spec.description}")


def _print_table(values: list[list[object]], columns: Sequence[str], numeric: set[str], title: str) -> None:
    """Print report rows as a ruled table: numbers right-aligned and whole, Decimals as they are (never through float)."""
    from warehouse.report import format_value

    rendered = [[format_value(v) for v in record] for record in values]
    print_table(columns, rendered, [c in numeric for c in columns], title=title, caption=f"{len(values)} rows")


def export_fdp_cmd(
    directory: Annotated[
        Path, typer.Argument(file_okay=False, help="Folder to write datapackage.json and facts.csv into (made if missing).")
    ],
    warehouse: WarehouseOption = None,
    document: Annotated[str | None, typer.Option(help="Only this document (sha256 or a unique prefix).")] = None,
) -> None:
    """A Fiscal Data Package (datapackage.json + facts.csv, amounts in CNY) of the loaded documents."""
    from warehouse.fdp import export_fdp

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document) if document else None
    path = export_fdp(engine, directory, sha)
    err.print(f"Fiscal Data Package written: {path}")


def compare_cmd(
    document_a: Annotated[str, typer.Argument(help="A document: sha256 or a unique prefix (the PDF, say).")],
    document_b: Annotated[str, typer.Argument(help="Another document (the spreadsheet it was printed from, say).")],
    warehouse: WarehouseOption = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table (terminal) or csv.")] = ReportFormat.table,
) -> None:
    """List the cells whose amounts differ between two documents (by table, subject and measure, in 元).

    Exit code 0 when they print the same figures, 1 when a cell differs or is printed in one only. A
    quarantined document is compared through the cells its quarantine kept.
    """
    from flows.settings import Settings
    from warehouse.compare import cells_of, compare_cells, document_facts

    engine = engine_for(warehouse)
    sides = []
    for given in (document_a, document_b):
        sha = resolve_or_exit(engine, given)
        records = document_facts(engine, sha)
        if not records:
            kept = Settings().quarantine_dir / f"{sha}.cells.csv"
            if not kept.is_file():
                err.print(f"[red]{sha[:12]}: no cells to compare (neither loaded nor quarantined with its cells)[/red]")
                raise typer.Exit(2)
            import pandas as pd

            records = pd.read_csv(kept, dtype=str, keep_default_na=False).to_dict("records")
        sides.append(cells_of(records))
    rows = compare_cells(sides[0], sides[1])
    if fmt == "csv":
        write_rows(rows, "csv", None)
    elif rows.rows:
        numeric = {"amount_a", "amount_b", "difference_yuan"}
        print_table(
            rows.columns,
            [["" if v is None else str(v) for v in row] for row in rows.rows],
            [c in numeric for c in rows.columns],
            title=f"{len(rows.rows)} cells differ: A = {document_a}, B = {document_b}",
        )
    else:
        typer.echo(f"no difference: {len(sides[0])} cells of A, {len(sides[1])} of B, the same amounts")
    if rows.rows:
        raise typer.Exit(1)


#: registered by flows/cli.py
COMMANDS = Commands({"report": report_cmd, "compare": compare_cmd}, export={"fdp": export_fdp_cmd})
