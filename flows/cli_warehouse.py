"""Warehouse commands of `fiscal`: report, export formats, department aliases, retract, accept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from flows.cli_common import WarehouseOption, engine_for, err, write_frame


def report_cmd(
    name: Annotated[str, typer.Argument(help="facts, expenditure-by-function, basic-by-economic, three-public, yoy or data-quality.")],
    warehouse: WarehouseOption = None,
    department: Annotated[
        str | None, typer.Option(help="Department name or part of it (current or any printed name).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Fiscal year.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table (terminal) or csv (every column).")] = "table",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
) -> None:
    """Print a reporting view (see docs/reporting.md) as a table or as CSV."""
    from warehouse.report import REPORTS, UnknownReportError, report_frame, report_spec

    if fmt not in ("table", "csv"):
        raise typer.BadParameter(f"{fmt!r} is not one of table, csv", param_hint="--format")
    try:
        spec = report_spec(name)
    except UnknownReportError as exc:
        err.print(f"[red]{exc}[/red]")
        for known, other in REPORTS.items():
            err.print(f"  {known:24} {other.description}")
        raise typer.Exit(2) from exc
    frame = report_frame(engine_for(warehouse), name, department=department, year=year, limit=limit)
    if fmt == "csv":
        write_frame(frame, "csv", None)
        return
    _print_table(frame, spec.table_columns or list(frame.columns), spec.numeric, title=f"{name}: {spec.description}")


def _print_table(frame: pd.DataFrame, columns: Sequence[str], numeric: set[str], title: str) -> None:
    """Print a rich table: numbers right-aligned, Decimals as they are (never through float)."""
    from rich.console import Console
    from rich.table import Table

    from warehouse.report import format_value

    table = Table(title=title, caption=f"{len(frame)} rows", show_lines=False)
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left", overflow="fold")
    for record in frame[list(columns)].itertuples(index=False):
        table.add_row(*(format_value(v) for v in record))
    Console().print(table)


def export_fdp_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder to write datapackage.json and facts.csv into.")],
    warehouse: WarehouseOption = None,
    document: Annotated[str | None, typer.Option(help="Only this document (sha256 or a unique prefix).")] = None,
) -> None:
    """A Fiscal Data Package (datapackage.json + facts.csv, amounts in CNY) of the loaded documents."""
    from warehouse.errors import DocumentLookupError
    from warehouse.export import resolve_document
    from warehouse.fdp import export_fdp

    engine = engine_for(warehouse)
    try:
        sha = resolve_document(engine, document) if document else None
    except DocumentLookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    path = export_fdp(engine, directory, sha)
    err.print(f"Fiscal Data Package written: {path}")


def register(app: typer.Typer, *sub_apps: typer.Typer) -> None:
    """Add this module's commands to the `fiscal` app (and its sub-apps)."""
    app.command("report")(report_cmd)
    export_app = sub_apps[0]
    export_app.command("fdp")(export_fdp_cmd)
