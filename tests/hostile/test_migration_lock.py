"""Several first runs at once on a new warehouse all succeed: the migration is serialised between processes.

Before the lock, two processes migrating one new SQLite file at once failed in 38 of 40 rounds with
"database is locked" (a deferred transaction that had read could not take the write lock), and on
PostgreSQL in 16 of 20 rounds with a duplicate-key error on ``pg_type`` (both created the tables).
Each round here starts its processes together on a barrier, as those measurements did.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from warehouse.db import current_revision, ensure_schema, make_engine, stored_revision

PROCESSES = 4
ROUNDS = 5


def _first_run(url: str, barrier: mp.synchronize.Barrier, results: mp.Queue[str | None]) -> None:
    """One process's first run: an engine on the new warehouse, then ensure_schema, all started at once."""
    engine = make_engine(url)
    barrier.wait()
    try:
        ensure_schema(engine)
        results.put(None)
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}")
    finally:
        engine.dispose()


def _concurrent_first_runs(url: str) -> list[str]:
    """Run ``PROCESSES`` first runs on ``url`` at once; the errors they raised."""
    ctx = mp.get_context("fork")  # the children start in milliseconds, so they really migrate together
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    processes = [ctx.Process(target=_first_run, args=(url, barrier, results)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    errors = [error for error in (results.get(timeout=120) for _ in processes) if error]
    for process in processes:
        process.join(timeout=60)
    return errors


def _assert_at_head_once(url: str) -> None:
    engine = make_engine(url)
    try:
        assert stored_revision(engine) == current_revision(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()


def test_concurrent_first_runs_on_a_new_sqlite_file_all_succeed(tmp_path: Path) -> None:
    for round_ in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'round{round_}' / 'warehouse.sqlite'}"
        assert _concurrent_first_runs(url) == []
        _assert_at_head_once(url)


@pytest.fixture
def new_database(postgres_admin_engine: Engine) -> Iterator[object]:
    """A factory of fresh PostgreSQL databases (dropped afterwards)."""
    names: list[str] = []

    def create() -> str:
        name = f"fiscal_lock_{uuid.uuid4().hex[:10]}"
        with postgres_admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        return postgres_admin_engine.url.set(database=name).render_as_string(hide_password=False)

    yield create
    with postgres_admin_engine.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_concurrent_first_runs_on_a_new_postgresql_database_all_succeed(new_database: object) -> None:
    for _ in range(ROUNDS):
        url = new_database()  # type: ignore[operator]
        assert _concurrent_first_runs(url) == []
        _assert_at_head_once(url)


def test_the_process_that_waited_does_not_migrate_again(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found not at head before the lock, at head after it: Alembic is not run a second time."""
    from warehouse import db

    engine = make_engine(sqlite_url)
    try:
        ensure_schema(engine)  # "the other process" migrated while this one waited for the lock
        monkeypatch.setattr(db, "stored_revision", lambda _engine: None)  # what this one read before the lock

        def no_alembic(*_: object) -> None:
            raise AssertionError("Alembic ran on a warehouse at head")

        monkeypatch.setattr("alembic.command.upgrade", no_alembic)
        ensure_schema(engine)
        assert current_revision(engine) is not None
    finally:
        engine.dispose()

