"""Data-steward commands of `fiscal`: accept a quarantined document, retract or restore one, alias a department."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli_common import Commands, WarehouseOption, engine_for, err, fail, resolve_or_exit, settings_for

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
    from warehouse.steward import mark_accepted

    settings = settings_for(warehouse)
    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    docs = list_documents(engine)
    status = str(docs.loc[docs["sha256"] == sha, "status"].iloc[0])
    if status != "quarantined":
        fail(f"document {sha[:12]} is {status}, not quarantined: nothing to accept")
    raw = settings.raw_dir / f"{sha}.pdf"
    if not raw.is_file():
        fail(f"raw bytes of {sha[:12]} are not in {settings.raw_dir}: cannot reprocess")
    mark_accepted(engine, sha, reason)  # a StewardError (no reason given) ends the command in one line
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
    from warehouse.steward import retract_document

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    current = retract_document(engine, sha, reason)  # StewardError, never loaded: one line, exit 2
    err.print(f"retracted {sha[:12]}; current now: {current[:12] if current else 'none'}")


def restore_cmd(
    document: Annotated[str, typer.Argument(help="sha256 or a unique prefix of a retracted document.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Undo a retraction (a document that is not retracted is refused)."""
    from warehouse.steward import restore_document

    engine = engine_for(warehouse)
    sha = resolve_or_exit(engine, document)
    current = restore_document(engine, sha)  # StewardError (not retracted), never loaded: one line, exit 2
    err.print(f"restored {sha[:12]}; current now: {current[:12] if current else 'none'}")


@department_app.command("alias")
def alias_cmd(
    old: Annotated[str, typer.Argument(help="The name printed on older (or merged) documents.")],
    new: Annotated[str, typer.Argument(help="The department it belongs to: a printed name, alias or id in the warehouse.")],
    note: Annotated[str | None, typer.Option(help="Why, e.g. the reorganisation notice.")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Make a renamed or merged department keep one history (NEW must be a department the warehouse knows)."""
    from warehouse.steward import add_department_alias

    department_id = add_department_alias(engine_for(warehouse), old, new, note)  # StewardError: one line, exit 2
    err.print(f"{old!r} now belongs to department {department_id!r}")


#: registered by flows/cli.py
COMMANDS = Commands(
    {"accept": accept_cmd, "retract": retract_cmd, "restore": restore_cmd}, groups={"department": department_app}
)
