"""Warehouse commands of `fiscal`: report, export formats, department aliases, retract, accept."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli_common import WarehouseOption, engine_for, err


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
    export_app = sub_apps[0]
    export_app.command("fdp")(export_fdp_cmd)
