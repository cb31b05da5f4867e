"""Data-steward commands of `fiscal`: accept a quarantined document, retract or restore one, alias a department."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli_common import WarehouseOption, engine_for, err, resolve_or_exit, settings_for

department_app = typer.Typer(help="Department identities (aliases for renamed or merged departments).", no_args_is_help=True)

ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept with the document, shown in v_data_quality).")]


def accept_cmd(
    document: Annotated[str, typer.Argument(help="sha256 or a unique prefix of a quarantined document.")],
    reason: ReasonOption,
    warehouse: WarehouseOption = None,
) -> None:
    """Load a quarantined document anyway: its facts carry dq_flag 'accepted', its failures stay queryable."""
    from flows.pipeline import process_document
    from warehouse.export import list_documents
    from warehouse.steward import StewardError, mark_accepted

    settings = settings_for(warehouse)
    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    docs = list_documents(engine)
    status = str(docs.loc[docs["sha256"] == sha, "status"].iloc[0])
    if status != "quarantined":
        err.print(f"[red]document {sha[:12]} is {status}, not quarantined: nothing to accept[/red]")
        raise typer.Exit(2)
    raw = settings.raw_dir / f"{sha}.pdf"
    if not raw.is_file():
        err.print(f"[red]raw bytes of {sha[:12]} are not in {settings.raw_dir}: cannot reprocess[/red]")
        raise typer.Exit(2)
    try:
        mark_accepted(engine, sha, reason)
    except StewardError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    source = docs.loc[docs["sha256"] == sha, "source"].iloc[0]
    outcome = process_document(raw, settings, engine, source=str(source) if source else None)
    if outcome.status != "loaded":
        err.print(f"[red]{sha[:12]} is still {outcome.status}: structural problems cannot be accepted[/red]")
        for line in outcome.reasons:
            err.print(f"  - {line}")
        raise typer.Exit(1)
    err.print(f"[green]accepted[/green] {sha[:12]}: {outcome.facts_loaded} facts loaded with dq_flag 'accepted'")


def retract_cmd(
    document: Annotated[str, typer.Argument(help="sha256 or a unique prefix of a loaded document.")],
    reason: ReasonOption,
    warehouse: WarehouseOption = None,
) -> None:
    """Withdraw a loaded document: its facts stay as history, the version it replaced becomes current."""
    from warehouse.errors import WarehouseError
    from warehouse.steward import retract_document

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    try:
        current = retract_document(engine, sha, reason)
    except WarehouseError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"retracted {sha[:12]}; current now: {current[:12] if current else 'none'}")


def restore_cmd(
    document: Annotated[str, typer.Argument(help="sha256 or a unique prefix of a retracted document.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Undo a retraction."""
    from warehouse.errors import WarehouseError
    from warehouse.steward import restore_document

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    try:
        current = restore_document(engine, sha)
    except WarehouseError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"restored {sha[:12]}; current now: {current[:12] if current else 'none'}")


@department_app.command("alias")
def alias_cmd(
    old: Annotated[str, typer.Argument(help="The name printed on older (or merged) documents.")],
    new: Annotated[str, typer.Argument(help="The department (printed name or id) it belongs to.")],
    note: Annotated[str | None, typer.Option(help="Why, e.g. the reorganisation notice.")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Make a renamed or merged department keep one history."""
    from warehouse.errors import WarehouseError
    from warehouse.steward import add_department_alias

    try:
        department_id = add_department_alias(engine_for(warehouse), old, new, note)
    except (WarehouseError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"{old!r} now belongs to department {department_id!r}")


def register(app: typer.Typer, *sub_apps: typer.Typer) -> None:
    """Add the steward commands to the `fiscal` app.

    Parameters
    ----------
    app : typer.Typer
        The `fiscal` app.
    *sub_apps : typer.Typer
        Its sub-apps, in the order `flows.cli` passes them (``export``).

    """
    app.command("accept")(accept_cmd)
    app.command("retract")(retract_cmd)
    app.command("restore")(restore_cmd)
    app.add_typer(department_app, name="department")
