"""Engines and migrations, on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from warehouse import db
from warehouse.db import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    ensure_schema,
    make_engine,
    normalize_url,
    stored_revision,
    upgrade,
)
from warehouse.models import Base

STAR_TABLES = {
    "dim_department",
    "dim_functional_subject",
    "dim_economic_subject",
    "dim_measure",
    "dim_line_item",
    "dim_document",
    "fct_amount",
    "etl_document",
    "etl_table",
    "dim_department_alias",
    "etl_run",
    "etl_finding",
    "etl_fetch",
    "etl_fetch_history",
    "etl_broken_link",
    "etl_document_name",
}


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def test_migrations_match_the_models_exactly(warehouse_engine: Engine) -> None:
    with warehouse_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert tables == STAR_TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == STAR_TABLES
    assert current_revision(warehouse_engine) == head() == HEAD_REVISION


def test_upgrade_twice_is_a_no_op(warehouse_engine: Engine) -> None:
    upgrade(warehouse_engine)
    assert current_revision(warehouse_engine) == head()


def test_downgrade_to_base_and_back(warehouse_engine: Engine) -> None:
    cfg = alembic_config()
    with warehouse_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with warehouse_engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    assert current_revision(warehouse_engine) is None
    upgrade(warehouse_engine)
    assert current_revision(warehouse_engine) == head()


def test_upgrade_by_url_from_any_working_directory(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    upgrade(warehouse_url)
    engine = make_engine(warehouse_url)
    try:
        assert current_revision(engine) == head()
    finally:
        engine.dispose()
    assert MIGRATIONS_DIR.is_absolute() and (MIGRATIONS_DIR / "versions" / "0001_star_schema_v1.py").exists()


def test_head_revision_is_alembics_head() -> None:
    assert HEAD_REVISION == head()


def test_ensure_schema_migrates_only_when_not_at_head(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(warehouse_url)
    try:
        assert stored_revision(engine) is None  # no alembic_version table yet
        ensure_schema(engine)
        assert stored_revision(engine) == current_revision(engine) == HEAD_REVISION
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert stored_revision(engine) == "0004"
        ensure_schema(engine)  # an older schema is brought to head
        assert stored_revision(engine) == HEAD_REVISION

        def no_upgrade(*_: object) -> None:
            raise AssertionError("upgrade ran on a warehouse at head")

        monkeypatch.setattr(db, "upgrade", no_upgrade)
        ensure_schema(engine)  # at head: no Alembic
    finally:
        engine.dispose()


def test_ensure_schema_leaves_an_unknown_revision_to_alembic(warehouse_engine: Engine) -> None:
    with warehouse_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert stored_revision(warehouse_engine) == "9999"
    with pytest.raises(Exception, match="9999"):  # as before: Alembic does not know it
        ensure_schema(warehouse_engine)


def test_foreign_keys_are_enforced(warehouse_engine: Engine) -> None:
    with pytest.raises(IntegrityError), warehouse_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dim_document (sha256, source, source_file, pages, fiscal_year, department_key,"
                " pipeline_version, loaded_at) VALUES ('x', 's', 'f', 1, 2020, 999, 'v', CURRENT_TIMESTAMP)"
            )
        )


def test_check_constraints_guard_the_vocabularies(warehouse_engine: Engine) -> None:
    with pytest.raises(IntegrityError), warehouse_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dim_functional_subject (code, name, level) VALUES ('201', '一般公共服务支出', '目')"
            )
        )


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "w.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_sqlite_select_runs_inside_the_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            assert conn.connection.dbapi_connection is not None
            assert conn.connection.dbapi_connection.in_transaction  # BEGIN was emitted before the SELECT
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@localhost/db", "postgresql+psycopg"),
        ("postgres://u@localhost/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@localhost/db", "postgresql+psycopg"),
        ("sqlite:///data/warehouse.sqlite", "sqlite"),
    ],
)
def test_postgresql_urls_get_the_psycopg_driver(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


def _definitions(sql: str) -> list[str]:
    """A CREATE statement split into lines and, inside its outer parentheses, at commas.

    ALTER TABLE ADD COLUMN (0005) appends ``, cell_x0 FLOAT`` to the last column's line.
    """
    parts: list[str] = []
    depth, start = 0, 0
    for at, char in enumerate(sql):
        depth += (char == "(") - (char == ")")
        if char == "\n" or (char == "," and depth == 1):
            parts.append(sql[start:at])
            start = at + 1
    parts.append(sql[start:])
    return parts


def _ddl_lines(engine: Engine) -> dict[str, set[str]]:
    """CREATE statements of the star tables, as sets of definitions (constraint and column order do not matter)."""
    query = text("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL")
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        # SQLite quotes a table name it renamed (batch migrations rebuild tables): not a difference
        name: {part.strip().replace(f'"{name}"', name) for part in _definitions(sql)} - {""}
        for name, sql in rows
        if name != "alembic_version"
    }


def test_sqlite_migration_ddl_equals_create_all(tmp_path: Path) -> None:
    """What compare_metadata does not see (CHECK constraints, AUTOINCREMENT) matches too."""
    migrated = make_engine(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    created = make_engine(f"sqlite:///{tmp_path / 'created.sqlite'}")
    try:
        upgrade(migrated)
        Base.metadata.create_all(created)
        assert _ddl_lines(migrated) == _ddl_lines(created)
    finally:
        migrated.dispose()
        created.dispose()
