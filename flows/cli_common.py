"""Shared pieces of the `fiscal` CLI modules: console, options, settings, engine and output.

Nothing heavy at import time: `fiscal --help` and the read-only commands must not pay for pandas,
Alembic, pydantic, Prefect, Great Expectations or camelot (tests/test_cli_imports.py); they print rows
(``warehouse.rows.Rows``), never DataFrames.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

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


@dataclass(frozen=True)
class Commands:
    """The commands a CLI module adds to `fiscal` by name: its own, its sub-apps, and those under ``export``."""

    top: Mapping[str, Callable[..., Any]]
    groups: Mapping[str, typer.Typer] = field(default_factory=dict)
    export: Mapping[str, Callable[..., Any]] = field(default_factory=dict)

    def register(self, app: typer.Typer, export_app: typer.Typer) -> None:
        """Add them to the `fiscal` app and its ``export`` sub-app, in the order given (that of `fiscal --help`)."""
        for name, command in self.top.items():
            app.command(name)(command)
        for name, group in self.groups.items():
            app.add_typer(group, name=name)
        for name, command in self.export.items():
            export_app.command(name)(command)


class DocumentStatus(StrEnum):
    """``etl_document.status`` values (``warehouse.export.ETL_STATUSES``; a test keeps them equal)."""

    loaded = "loaded"
    failed = "failed"
    quarantined = "quarantined"
    skipped = "skipped"
    superseded = "superseded"
    retracted = "retracted"


class ListFormat(StrEnum):
    """`fiscal documents --format`: CSV on stdout, or a table for the terminal."""

    csv = "csv"
    table = "table"


class FactsFormat(StrEnum):
    """`fiscal export facts --format`."""

    csv = "csv"
    parquet = "parquet"


class ReportFormat(StrEnum):
    """`fiscal report --format`."""

    table = "table"
    csv = "csv"


#: ``--output FILE``: a folder (or a file that may not be written) is refused before any work
OutputOption = Annotated[
    Path | None, typer.Option(dir_okay=False, writable=True, help="Write to this file instead of stdout.")
]


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
    colour = {"loaded": "green", "skipped": "cyan", "duplicate": "cyan"}.get(outcome.status, "red")
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
        fail(str(exc))


def fail(message: str) -> NoReturn:
    """Print ``message`` as one line on stderr (passwords masked) and exit with code 2.

    Parameters
    ----------
    message : str
        What is wrong, naming the value and what was expected.

    Raises
    ------
    typer.Exit
        Always, with code 2 (click's code for a usage error).

    """
    from warehouse.db import mask_secrets  # SQLAlchemy: on the way out only

    err.print(f"error: {mask_secrets(message)}", style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


#: the library's typed errors whose message is the one line to print: (module, class names)
_TYPED_ERRORS = (
    ("warehouse.errors", ("DocumentLookupError",)),
    ("warehouse.steward", ("StewardError",)),
    ("warehouse.db", ("WarehouseUnavailableError",)),
)


def explain_error(exc: BaseException) -> str | None:
    """The one-line message for an error that is the input's or the environment's fault, not the program's.

    Parameters
    ----------
    exc : BaseException
        An exception a command raised.

    Returns
    -------
    str or None
        The message (naming the value, passwords masked) for: a warehouse that cannot be used
        (``WarehouseUnavailableError``, and SQLAlchemy's errors for a bad URL, a server that does not answer,
        a file that is not a database), a steward's request that cannot be applied, an unknown document,
        a path that cannot be read or written (permission denied, a file where a folder should be, a folder
        where a file should be, a read-only or full disk). None for anything else: a bug, whose traceback
        is shown.

    """
    if isinstance(exc, typer.Exit | KeyboardInterrupt) or not isinstance(exc, Exception):
        return None
    # each family is looked up only when its module was loaded: else the error cannot be one of them
    for module, names in _TYPED_ERRORS:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, tuple(getattr(loaded, name) for name in names)):
            return str(exc)
    sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_errors is not None and isinstance(exc, sqlalchemy_errors.SQLAlchemyError):
        from warehouse.db import unavailable_reason

        if isinstance(exc, sqlalchemy_errors.ArgumentError | sqlalchemy_errors.NoSuchModuleError):
            return f"not a usable database URL: {exc}"
        reason = unavailable_reason(exc) if isinstance(exc, sqlalchemy_errors.DBAPIError) else None
        return None if reason is None else f"warehouse: {reason}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return _os_error_line(exc)
    return None


def _os_error_line(exc: OSError) -> str | None:
    """One line for an OS error on a named path; None for OS errors that are not about the path."""
    name = repr(str(exc.filename))
    if exc.filename2 is not None:
        name += f" -> {str(exc.filename2)!r}"
    if isinstance(exc, PermissionError):
        return f"{name}: {exc.strerror}: expected a path this user may read and write"
    if isinstance(exc, IsADirectoryError):
        return f"{name} is a folder: expected a file"
    if isinstance(exc, NotADirectoryError):
        return f"{name}: part of it is a file: expected folders"
    if isinstance(exc, FileExistsError):
        return f"{name} already exists: expected a path where it can be made"
    if isinstance(exc, FileNotFoundError):
        return f"{name}: no such file or folder"
    if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG):
        return f"{name}: {exc.strerror}"
    return None


class FiscalGroup(TyperGroup):
    """The `fiscal` command group: known input and environment errors end as one line and exit code 2.

    Any command's :func:`explain_error` exception is printed as one line (``error: ...``) instead of a
    traceback; everything else (a bug) keeps its traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # Any: typer's vendored click.Context, not a public name
        """Run the command; turn an explained error into one line and exit code 2."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = explain_error(exc)
            if message is None:
                raise
            fail(message)


def require_data_dir(settings: Settings) -> None:
    """Make the data dir's raw store and quarantine folder if needed and check they can be written; else exit 2.

    Parameters
    ----------
    settings : Settings
        ``data_dir`` (``FISCAL_DATA_DIR``): ``raw/`` and ``quarantine/`` are written by every processed document.

    Raises
    ------
    typer.Exit
        Code 2, naming the data dir and the path at fault: a file where a folder should be, or a folder
        this user may not write.

    """
    import tempfile

    data_dir = settings.data_dir
    what = f"data dir {str(data_dir)!r} (FISCAL_DATA_DIR)"
    in_the_way = next((p for p in (data_dir, *data_dir.parents) if p.exists() and not p.is_dir()), None)
    if in_the_way is not None:
        where = "is a file" if in_the_way == data_dir else f"is inside {str(in_the_way)!r}, a file"
        fail(f"{what} {where}: expected a folder")
    for folder in (settings.raw_dir, settings.quarantine_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            fail(f"{what}: cannot write {str(folder)!r}: {exc.strerror}: expected a folder this user may write")


def require_rerun_matches(engine: Engine, document: str | None, department: str | None, year: int | None) -> None:
    """Exit 2 naming the option when `fiscal rerun`'s selection matches no received document.

    Parameters
    ----------
    engine : Engine
        The warehouse.
    document, department, year : str, str, int or None
        ``--document`` (sha256 prefix), ``--department`` (part of the name), ``--year``, as
        ``warehouse.manifest.rerun_selection`` matches them.

    Raises
    ------
    typer.Exit
        Code 2 when nothing matches: the message names the option whose value matches no document,
        or the options that match nothing together.

    """
    from warehouse.manifest import rerun_selection

    if rerun_selection(engine, document=document, department=department, year=year):
        return
    given = {"document": document, "department": department, "year": year}
    chosen = {name: value for name, value in given.items() if value is not None and value != ""}
    for name, value in chosen.items():
        if not rerun_selection(engine, **{name: value}):  # type: ignore[arg-type]
            what = {"document": "sha256 starts with", "department": "department contains", "year": "fiscal year is"}[name]
            fail(f"--{name} {value!r}: no received document's {what} it (see `fiscal documents`)")
    together = " and ".join(f"--{name} {value!r}" for name, value in chosen.items())
    fail(f"no received document matches {together} together (see `fiscal documents`)")
