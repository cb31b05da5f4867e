"""Engines and schema migrations for the warehouse (SQLite or PostgreSQL).

Alembic (0.13 s to import) is imported only to migrate: :func:`ensure_schema` reads the
``alembic_version`` table with plain SQL and upgrades only when it is not at :data:`HEAD_REVISION`.
Migrations are serialised between processes (a lock file beside a SQLite file, an advisory lock on
PostgreSQL), so that two first runs on a new warehouse both succeed.

A URL that names no usable warehouse (unparseable, another database than SQLite or PostgreSQL, a
server that does not answer or refuses the password, a file that is not a SQLite database, a folder
that cannot be written) raises :class:`WarehouseUnavailableError`, whose message names the URL with
its password masked (:func:`display_url`) and says what was expected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, ProgrammingError

from warehouse.errors import WarehouseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: The newest migration (``warehouse/migrations/versions``); tests/test_warehouse_db.py keeps it equal to
#: Alembic's head. A warehouse whose ``alembic_version`` holds exactly this is not migrated again.
HEAD_REVISION = "0011"

#: Execution option read by the SQLite ``begin`` hook: "IMMEDIATE" takes the write lock at BEGIN.
SQLITE_BEGIN_OPTION = "fiscal_sqlite_begin"
_SQLITE_BEGIN: dict[str, str] = {
    "DEFERRED": "BEGIN DEFERRED",
    "IMMEDIATE": "BEGIN IMMEDIATE",
    "EXCLUSIVE": "BEGIN EXCLUSIVE",
}
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Databases the warehouse runs on (its SQL has a dialect for each: upserts, COPY, advisory locks)
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_EXAMPLES = "sqlite:///data/warehouse.sqlite or postgresql://user@host/database (password in the URL or PGPASSWORD)"

#: The PostgreSQL advisory lock that serialises migrations; its first key is not the loader's
#: ("FISC", warehouse.transactions), so no department's lock is ever this one
_MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(:ns, 0)").bindparams(ns=0x4649534D)  # "FISM"

#: Passwords of the URLs parsed in this process: masked wherever a message might quote them
_PASSWORDS: set[str] = set()
# user:password@ inside any URL-looking text (a URL SQLAlchemy could not parse, a driver's message)
_URL_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")


class WarehouseUnavailableError(WarehouseError):
    """The warehouse URL names no database this process can use; the message names it (password masked) and why."""


def display_url(url: str | URL) -> str:
    """The URL as it may be printed or logged: its password replaced by ``***``.

    Parameters
    ----------
    url : str or URL
        Any SQLAlchemy URL, or a string SQLAlchemy cannot parse (then ``user:password@`` is masked
        by pattern).

    Returns
    -------
    str
        The URL without its password.

    """
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _URL_PASSWORD.sub(r"\1***@", url)


def mask_secrets(message: str) -> str:
    """``message`` with the passwords of every warehouse URL this process parsed (and any ``user:password@``) masked.

    Parameters
    ----------
    message : str
        Text that may quote a URL or a password: an exception's message, a log line.

    Returns
    -------
    str
        The text with each such password replaced by ``***``.

    """
    masked = _URL_PASSWORD.sub(r"\1***@", message)
    # a password of one or two characters would mask letters of every word: those are left to the pattern
    for password in sorted(_PASSWORDS, key=len, reverse=True):
        for form in {password, quote(password, safe=""), quote_plus(password)}:
            if len(form) > 2:
                masked = masked.replace(form, "***")
    return masked


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` / ``postgres://`` URLs get the psycopg (3) driver.

    Raises :class:`WarehouseUnavailableError` for a string that is not a URL.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise WarehouseUnavailableError(
            f"warehouse URL {display_url(str(url))!r} is not a database URL ({exc}): expected e.g. {_EXAMPLES}"
        ) from None
    if parsed.password:
        _PASSWORDS.add(str(parsed.password))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``; SQLite gets its folder, foreign keys, WAL and a 30 s busy timeout.

    Raises :class:`WarehouseUnavailableError` for a URL that is not one, names another database than
    SQLite or PostgreSQL or a driver that is not installed, or a SQLite file whose folder cannot be made.
    """
    parsed = normalize_url(url)
    shown = display_url(parsed)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise WarehouseUnavailableError(
            f"warehouse URL {shown!r}: {backend!r} is not a database the warehouse runs on: "
            f"expected SQLite or PostgreSQL, e.g. {_EXAMPLES}"
        )
    try:
        if backend != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
        database = _sqlite_file(parsed)
        if database is not None:
            try:
                database.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseUnavailableError(
                    f"warehouse {shown!r}: cannot make its folder {str(database.parent)!r} "
                    f"({_os_reason(exc)}): expected a folder that exists or can be created"
                ) from exc
        engine = create_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:  # a driver not installed, or not known to SQLAlchemy
        raise WarehouseUnavailableError(
            f"warehouse URL {shown!r}: driver {parsed.drivername!r} is not available ({exc}): "
            f"expected e.g. {_EXAMPLES}"
        ) from exc
    _install_sqlite_hooks(engine)
    return engine


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or a ``file:`` URI."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database).expanduser()


def _os_reason(exc: OSError) -> str:
    """Why an OS call failed, in words: 'a file is in the way', 'permission denied', ..."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return f"{exc.strerror}: a file is where a folder should be"
    return exc.strerror or str(exc)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Set the connection pragmas and let SQLAlchemy, not pysqlite, emit BEGIN (so SELECTs are inside it)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite: no implicit BEGIN/COMMIT of its own
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN_OPTION, "DEFERRED")).upper()
        conn.exec_driver_sql(_SQLITE_BEGIN.get(mode, "BEGIN DEFERRED"))


def alembic_config(url: str | URL | None = None) -> Config:
    """Build the Alembic configuration in code; ``script_location`` points into this package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Apply the warehouse migrations up to ``revision`` (default: head) in one transaction.

    One process at a time migrates a warehouse (:func:`migration_lock`). Raises
    :class:`WarehouseUnavailableError` when the database cannot be reached, opened or written.
    """
    if isinstance(url_or_engine, Engine):
        _upgrade_with_engine(url_or_engine, revision)
        return
    engine = make_engine(url_or_engine)
    try:
        _upgrade_with_engine(engine, revision)
    finally:
        engine.dispose()


def _upgrade_with_engine(engine: Engine, revision: str, unless_at: str | None = None) -> None:
    """Run ``alembic upgrade`` on one connection of ``engine`` and commit (nothing when already at ``unless_at``)."""
    from alembic import command

    _migrate(engine, lambda cfg: command.upgrade(cfg, revision), unless_at=unless_at)


def downgrade(url_or_engine: str | URL | Engine, revision: str) -> None:
    """Revert the warehouse migrations down to ``revision`` ("base": nothing) in one transaction."""
    from alembic import command

    if isinstance(url_or_engine, Engine):
        _migrate(url_or_engine, lambda cfg: command.downgrade(cfg, revision))
        return
    engine = make_engine(url_or_engine)
    try:
        _migrate(engine, lambda cfg: command.downgrade(cfg, revision))
    finally:
        engine.dispose()


def _migrate(engine: Engine, run: Callable[[Config], None], unless_at: str | None = None) -> None:
    """Run one Alembic command on one connection in one transaction, one process at a time.

    SQLite rebuilds altered tables (create new, copy, drop old, rename); with foreign keys on,
    dropping a referenced table counts violations that the rename never clears. So foreign keys
    are off during the migration (the pragma only works outside a transaction) and
    ``PRAGMA foreign_key_check`` must come back empty before COMMIT.

    Two processes migrating one new warehouse at once both failed ("database is locked" on SQLite,
    duplicate tables on PostgreSQL): the migration holds :func:`migration_lock`, and with
    ``unless_at`` re-reads the revision once it has the lock, so the second process, having waited
    for the first, does nothing.
    """
    from alembic.runtime.migration import MigrationContext

    cfg = alembic_config()
    with _unavailable_as_error(engine), migration_lock(engine), engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
            # the write lock at BEGIN (waiting up to the busy timeout): a deferred transaction that has
            # read cannot take it later while another connection writes
            connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            with connection.begin():
                if not is_sqlite:
                    connection.execute(_MIGRATION_LOCK)  # released at COMMIT, or when the session ends
                if unless_at is not None and MigrationContext.configure(connection).get_current_revision() == unless_at:
                    return
                cfg.attributes["connection"] = connection
                run(cfg)
                if is_sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        finally:
            if is_sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the lock that lets one process at a time migrate the warehouse of ``engine``.

    Parameters
    ----------
    engine : Engine
        The warehouse. A SQLite file is locked with ``flock`` on ``<file>-migrate.lock`` beside it
        (kept: removing a lock file races with the next process opening it); PostgreSQL takes a
        transaction-scoped advisory lock inside the migration itself (:func:`_migrate`), so nothing
        here; an in-memory database belongs to one process.

    Yields
    ------
    None
        While the lock is held; it is released on exit, or by the OS when the process dies.

    """
    database = _sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if database is None:
        yield
        return
    import fcntl

    lock_file = database.with_name(f"{database.name}-migrate.lock")
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WarehouseUnavailableError(
            f"warehouse {display_url(engine.url)!r}: cannot write {str(lock_file)!r} beside it "
            f"({_os_reason(exc)}): expected a folder this user may write"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for the process migrating now, however long it takes
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _unavailable_as_error(engine: Engine) -> Iterator[None]:
    """Turn errors that mean "this database cannot be used" into :class:`WarehouseUnavailableError` naming the URL."""
    try:
        yield
    except DBAPIError as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise WarehouseUnavailableError(f"warehouse {display_url(engine.url)!r}: {reason}") from exc
    except Exception as exc:
        from alembic.util import CommandError  # imported already: only migrations come here

        if not isinstance(exc, CommandError) or "Can't locate revision" not in str(exc):
            raise
        raise WarehouseUnavailableError(
            f"warehouse {display_url(engine.url)!r}: {mask_secrets(str(exc))}: its schema was made by another "
            f"version of fiscal-etl (this one knows revisions up to {HEAD_REVISION})"
        ) from exc


def unavailable_reason(exc: DBAPIError) -> str | None:
    """Why a database error means the warehouse cannot be used at all, in one line; None for other errors (bugs).

    Parameters
    ----------
    exc : DBAPIError
        An error raised by SQLAlchemy.

    Returns
    -------
    str or None
        The driver's message on one line, passwords masked, with what was expected: for a server that
        does not answer, refuses the login or has no such database, a file that is not a SQLite database,
        a database that cannot be opened, is locked or read-only, or a missing privilege. None for
        integrity errors, SQL errors and the like, which are bugs to show with their traceback.

    """
    lines = str(exc.orig if exc.orig is not None else exc).splitlines()
    message = "; ".join(" ".join(line.split()) for line in lines if line.strip())  # one line, the driver's hints kept
    lowered = message.lower()
    if isinstance(exc, IntegrityError) or lowered.startswith(("no such ", "near ")) or "syntax error" in lowered:
        return None
    if isinstance(exc, ProgrammingError) and getattr(exc.orig, "sqlstate", None) != "42501":  # insufficient privilege
        return None
    if "file is not a database" in lowered:
        return f"{message}: expected a SQLite warehouse file, or a path where a new one can be made"
    if "unable to open database file" in lowered:
        return f"{message}: expected a SQLite file path in a folder this user may read and write"
    if "readonly database" in lowered or "read-only" in lowered:
        return f"{message}: expected a warehouse this user may write"
    if exc.connection_invalidated or "connection" in lowered or "password" in lowered:
        return f"cannot connect: {mask_secrets(message)}: expected a PostgreSQL server that answers and accepts this login"
    return f"{mask_secrets(message)}"


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a pragma on the raw pysqlite connection, outside any transaction (autocommit mode)."""
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a connection checked out from the pool always has one
        raise RuntimeError("no DBAPI connection")
    dbapi.execute(pragma)


def current_revision(engine: Engine) -> str | None:
    """Return the Alembic revision the database is at, or None when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stored_revision(engine: Engine) -> str | None:
    """The revision in the warehouse's ``alembic_version`` table, read without Alembic.

    Returns
    -------
    str or None
        The one stored revision; None when the table is missing (no schema yet), empty, or holds
        several rows (branches: left to Alembic).

    """
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no such table (a new warehouse), or no database at all: the upgrade says which
        return None
    return str(rows[0]) if len(rows) == 1 else None


def ensure_schema(engine: Engine) -> None:
    """Bring the warehouse to the latest schema, importing Alembic only when it is not there already.

    Parameters
    ----------
    engine : Engine
        The warehouse; :func:`upgrade` runs unless ``alembic_version`` holds :data:`HEAD_REVISION`
        (a new warehouse, an older schema, or one Alembic must judge: it raises for a revision it does
        not know, as it always did).

    """
    if stored_revision(engine) != HEAD_REVISION:
        # several processes may find a new warehouse at once: the migration's lock lets one migrate, and
        # the others find it at head once they have the lock
        _upgrade_with_engine(engine, "head", unless_at=HEAD_REVISION)
