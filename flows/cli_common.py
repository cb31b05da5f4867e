"""Shared pieces of the `fiscal` CLI modules: console, options, settings, engine and output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from flows.settings import Settings

if TYPE_CHECKING:
    from flows.pipeline import DocumentOutcome

err = Console(stderr=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option("--warehouse", "-w", help="Warehouse URL (default: FISCAL_WAREHOUSE_URL or sqlite:///data/warehouse.sqlite)."),
]


def settings_for(warehouse: str | None) -> Settings:
    """Settings from the environment, with the warehouse URL overridden by the option."""
    settings = Settings()
    return settings.model_copy(update={"warehouse_url": warehouse}) if warehouse else settings


def engine_for(warehouse: str | None) -> Engine:
    """A migrated engine for the chosen warehouse."""
    from flows.flow import warehouse_engine

    return warehouse_engine(settings_for(warehouse).warehouse_url)


def collect_pdfs(paths: list[Path]) -> list[Path]:
    """Expand folders to the PDF files inside them (sorted); files given by name are kept as they are."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
        elif path.exists():
            found.append(path)
        else:
            raise typer.BadParameter(f"no such file or folder: {path}")
    seen: set[Path] = set()
    return [p for p in found if not (p.resolve() in seen or seen.add(p.resolve()))]  # type: ignore[func-returns-value]


def write_frame(frame: pd.DataFrame, fmt: str, output: Path | None) -> None:
    """Write a frame as CSV (or a rich table on a terminal) to stdout or a file."""
    if fmt == "csv" or output is not None:
        text = frame.to_csv(index=False)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    table = Table(show_lines=False)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else str(v) for v in row])
    Console().print(table)


def print_outcome(console: Console, outcome: DocumentOutcome, label: str, max_reasons: int = 5) -> None:
    """One coloured line per processed document (status, label, department, year, facts), then its first reasons."""
    colour = {"loaded": "green", "skipped": "cyan"}.get(outcome.status, "red")
    console.print(
        f"[{colour}]{outcome.status:11}[/{colour}] {label}  "
        f"{outcome.department or ''} {outcome.fiscal_year or ''}  facts={outcome.facts_loaded}"
    )
    for reason in outcome.reasons[:max_reasons]:
        console.print(f"            [dim]{reason}[/dim]")


def resolve_or_exit(engine: Engine, document: str) -> str:
    """The full sha256 of a document given by a unique prefix; exit 2 with the lookup error otherwise."""
    from warehouse.errors import DocumentLookupError
    from warehouse.export import resolve_document

    try:
        return resolve_document(engine, document)
    except DocumentLookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
