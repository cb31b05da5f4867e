"""Warehouse commands of `fiscal`: report, export formats, department aliases, retract, accept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from flows.cli_common import WarehouseOption, engine_for, err, resolve_or_exit, write_rows


def report_cmd(
    name: Annotated[str, typer.Argument(help="facts, expenditure-by-function, basic-by-economic, three-public, yoy or data-quality.")],
    warehouse: WarehouseOption = None,
    department: Annotated[
        str | None, typer.Option(help="Department name or part of it (current or any printed name).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Fiscal year.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table (terminal) or csv (every column).")] = "table",
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    history: Annotated[
        bool, typer.Option("--history", help="facts: include superseded and retracted documents too.")
    ] = False,
) -> None:
    """Print a reporting view (see docs/reporting.md) as a table or as CSV."""
    from warehouse.report import REPORTS, UnknownReportError, report_rows, report_spec

    if fmt not in ("table", "csv"):
        raise typer.BadParameter(f"{fmt!r} is not one of table, csv", param_hint="--format")
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
    """Print a rich table of ``values`` (rows of ``columns``): numbers right-aligned, Decimals as they are (never through float)."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    from warehouse.report import format_value

    table = Table(title=title, caption=f"{len(values)} rows", show_lines=False)
    rendered = [[format_value(v) for v in record] for record in values]
    needed = 1
    for number, column in enumerate(columns):
        widest = max([cell_len(row[number]) for row in rendered] + [1])
        if column in numeric:
            # never wrap or cut a number: the column is as wide as its widest value (or header)
            widest = max(widest, cell_len(column))
            table.add_column(column, justify="right", no_wrap=True, min_width=widest)
            needed += widest + 3
        else:
            # folded text needs room for at least a few CJK characters (2 cells each)
            table.add_column(column, overflow="fold", min_width=min(widest, 8))
            needed += min(widest, 8) + 3
    for row in rendered:
        table.add_row(*row)
    console = Console()
    needed = max(needed, Measurement.get(console, console.options.update(max_width=10_000), table).minimum)
    if needed > console.width:
        # rich crops what does not fit: widen the canvas instead (the terminal wraps, no digit is lost)
        console = Console(width=needed)
    console.print(table)


def export_fdp_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder to write datapackage.json and facts.csv into.")],
    warehouse: WarehouseOption = None,
    document: Annotated[str | None, typer.Option(help="Only this document (sha256 or a unique prefix).")] = None,
) -> None:
    """A Fiscal Data Package (datapackage.json + facts.csv, amounts in CNY) of the loaded documents."""
    from warehouse.fdp import export_fdp

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document) if document else None
    path = export_fdp(engine, directory, sha)
    err.print(f"Fiscal Data Package written: {path}")


def register(app: typer.Typer, *sub_apps: typer.Typer) -> None:
    """Add this module's commands to the `fiscal` app (and its sub-apps).

    Parameters
    ----------
    app : typer.Typer
        The `fiscal` app.
    *sub_apps : typer.Typer
        Its sub-apps, in the order `flows.cli` passes them (``export``).

    """
    app.command("report")(report_cmd)
    export_app = sub_apps[0]
    export_app.command("fdp")(export_fdp_cmd)
