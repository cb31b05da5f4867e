"""Shared pieces of the `fiscal` CLI modules: console, options, settings, engine and output.

Nothing heavy at import time: `fiscal --help` and the read-only commands must not pay for pandas,
Alembic, pydantic, Prefect, Great Expectations or camelot (tests/test_cli_imports.py); they print rows
(``warehouse.rows.Rows``), never DataFrames.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Engine

    from flows.pipeline import DocumentOutcome
    from flows.settings import Settings
    from warehouse.rows import Rows

err = Console(stderr=True)

WarehouseOption = Annotated[
    str | None,
    typer.Option("--warehouse", "-w", help="Warehouse URL (default: FISCAL_WAREHOUSE_URL or sqlite:///data/warehouse.sqlite)."),
]

#: printed by the flow commands when no Prefect server runs (Prefect then starts a temporary one per command)
TEMPORARY_SERVER_NOTE = (
    "[dim]no `fiscal server start` server and no PREFECT_API_URL: Prefect starts a temporary server "
    "for this command (10-25 s); `fiscal server start` once makes every run start at once[/dim]"
)


def settings_for(warehouse: str | None) -> Settings:
    """Settings from the environment, with the warehouse URL overridden by the option.

    Parameters
    ----------
    warehouse : str or None
        The ``--warehouse`` option.

    Returns
    -------
    Settings
        ``FISCAL_*`` variables and ``.env``, ``warehouse_url`` replaced when the option is given.

    """
    from flows.settings import Settings

    settings = Settings()
    return settings.model_copy(update={"warehouse_url": warehouse}) if warehouse else settings


def engine_for(warehouse: str | None) -> Engine:
    """A migrated engine for the chosen warehouse, without importing Prefect (nor pydantic, mostly).

    Parameters
    ----------
    warehouse : str or None
        The ``--warehouse`` option (else ``FISCAL_WAREHOUSE_URL``, ``.env`` or the default).

    Returns
    -------
    Engine
        The process's engine for that URL (``flows.engine.warehouse_engine``), schema at head.

    """
    from flows.engine import warehouse_engine, warehouse_url

    return warehouse_engine(warehouse_url(warehouse))


def collect_pdfs(paths: list[Path]) -> list[Path]:
    """Expand folders to the PDF files inside them (sorted); files given by name are kept as they are.

    Parameters
    ----------
    paths : list of Path
        Files and folders from the command line.

    Returns
    -------
    list of Path
        Each file once (by resolved path), in the order given.

    Raises
    ------
    typer.BadParameter
        A path that does not exist.

    """
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


def write_rows(rows: Rows, fmt: str, output: Path | None) -> None:
    """Write rows as CSV (or a ruled table on a terminal) to stdout or a file.

    Parameters
    ----------
    rows : Rows
        What to write (``warehouse.export`` / ``warehouse.report`` row functions); the CSV is byte for
        byte what pandas wrote for the same rows (``Rows.to_csv``).
    fmt : str
        ``csv``, or anything else for a ruled table on stdout.
    output : Path or None
        Write CSV to this file instead of stdout (always CSV).

    """
    if fmt == "csv" or output is not None:
        text = rows.to_csv()
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    print_table(list(rows.columns), list(rows.text_rows()), [False] * len(rows.columns))


def print_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Print a ruled table to stdout, as wide as the terminal (``COLUMNS``; 80 when not a terminal).

    Parameters
    ----------
    header : sequence of str
        Column headers.
    rows : sequence of sequences of str
        Cells as text.
    numeric : sequence of bool
        Which columns are numbers (right-aligned, never folded or cut).
    title, caption : str, optional
        Centred above and below the table.

    """
    from flows.text_table import ASCII_BOX, UNICODE_BOX, render_table

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    box = UNICODE_BOX if encoding.startswith("utf") else ASCII_BOX
    lines = render_table(header, rows, numeric, Console().width, title=title, caption=caption, box=box)
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def print_outcome(console: Console, outcome: DocumentOutcome, label: str, max_reasons: int = 5) -> None:
    """One coloured line per processed document (status, label, department, year, facts), then its first reasons.

    Parameters
    ----------
    console : Console
        Where to print (the progress bar's console, so the bar stays below).
    outcome : DocumentOutcome
        What the pipeline did with the document.
    label : str
        How to name the document (file name, or short sha and file name).
    max_reasons : int
        Reasons printed under the line.

    """
    colour = {"loaded": "green", "skipped": "cyan"}.get(outcome.status, "red")
    console.print(
        f"[{colour}]{outcome.status:11}[/{colour}] {label}  "
        f"{outcome.department or ''} {outcome.fiscal_year or ''}  facts={outcome.facts_loaded}"
    )
    for reason in outcome.reasons[:max_reasons]:
        console.print(f"            [dim]{reason}[/dim]")


def resolve_or_exit(engine: Engine, document: str) -> str:
    """The full sha256 of a document given by a unique prefix; exit 2 with the lookup error otherwise.

    Parameters
    ----------
    engine : Engine
        The warehouse.
    document : str
        A sha256 or a unique prefix of one.

    Returns
    -------
    str
        The full sha256.

    Raises
    ------
    typer.Exit
        Code 2 when no document or more than one matches (the message on stderr).

    """
    from warehouse.errors import DocumentLookupError
    from warehouse.export import resolve_document

    try:
        return resolve_document(engine, document)
    except DocumentLookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
