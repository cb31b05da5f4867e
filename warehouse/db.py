"""Engines and schema migrations for the warehouse (SQLite or PostgreSQL).

Alembic (0.13 s to import) is imported only to migrate: :func:`ensure_schema` reads the
``alembic_version`` table with plain SQL and upgrades only when it is not at :data:`HEAD_REVISION`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: The newest migration (``warehouse/migrations/versions``); tests/test_warehouse_db.py keeps it equal to
#: Alembic's head. A warehouse whose ``alembic_version`` holds exactly this is not migrated again.
HEAD_REVISION = "0006"

#: Execution option read by the SQLite ``begin`` hook: "IMMEDIATE" takes the write lock at BEGIN.
SQLITE_BEGIN_OPTION = "fiscal_sqlite_begin"
_SQLITE_BEGIN: dict[str, str] = {
    "DEFERRED": "BEGIN DEFERRED",
    "IMMEDIATE": "BEGIN IMMEDIATE",
    "EXCLUSIVE": "BEGIN EXCLUSIVE",
}
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` / ``postgres://`` URLs get the psycopg (3) driver."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``; SQLite gets its folder, foreign keys, WAL and a 30 s busy timeout."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    _install_sqlite_hooks(engine)
    return engine


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
    """Apply the warehouse migrations up to ``revision`` (default: head) in one transaction."""
    if isinstance(url_or_engine, Engine):
        _upgrade_with_engine(url_or_engine, revision)
        return
    engine = make_engine(url_or_engine)
    try:
        _upgrade_with_engine(engine, revision)
    finally:
        engine.dispose()


def _upgrade_with_engine(engine: Engine, revision: str) -> None:
    """Run ``alembic upgrade`` on one connection of ``engine`` and commit."""
    from alembic import command

    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


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


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run one Alembic command on one connection in one transaction.

    SQLite rebuilds altered tables (create new, copy, drop old, rename); with foreign keys on,
    dropping a referenced table counts violations that the rename never clears. So foreign keys
    are off during the migration (the pragma only works outside a transaction) and
    ``PRAGMA foreign_key_check`` must come back empty before COMMIT.
    """
    cfg = alembic_config()
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                run(cfg)
                if is_sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        finally:
            if is_sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


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
        upgrade(engine)
