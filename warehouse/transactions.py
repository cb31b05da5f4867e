"""Write transactions: one per unit of work, retried on concurrency errors, with per-department locks.

SQLite serialises writers: the transaction takes the database's write lock at BEGIN IMMEDIATE.
On PostgreSQL a writer takes a transaction-scoped advisory lock on the department it changes
before writing, and a transaction that still meets a unique violation, deadlock or serialization
failure (or SQLite's "database is locked") is retried from the start (``_RETRIES`` times).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from warehouse.db import SQLITE_BEGIN_OPTION
from warehouse.dimensions import resolve_department_id

_RETRIES = 5
#: SQLSTATEs worth a retry: unique violation (a concurrent writer won), serialization failure, deadlock.
_RETRY_SQLSTATES = frozenset({"23505", "40001", "40P01"})
_ADVISORY_NAMESPACE = 0x46495343  # "FISC": first key of pg_advisory_xact_lock(int, int)

_R = TypeVar("_R")


def run_in_transaction(engine: Engine, work: Callable[[Connection], _R]) -> _R:
    """Run ``work(conn)`` in one write transaction; retry the whole transaction on concurrency errors."""
    for attempt in range(_RETRIES):
        try:
            with _write_transaction(engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt == _RETRIES - 1 or not _is_retryable(exc):
                raise
        time.sleep(0.02 * (2**attempt) * (1 + random.random()))  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")  # pragma: no cover


def _is_retryable(exc: DBAPIError) -> bool:
    """True for errors a concurrent writer causes (unique violation, deadlock, serialization, SQLite busy)."""
    state = getattr(exc.orig, "sqlstate", None)
    if state in _RETRY_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a connection and a transaction that holds SQLite's write lock from BEGIN; commit or roll back."""
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


_LOCK = text("SELECT pg_advisory_xact_lock(:ns, hashtext(:id))")
_RESOLVE_AND_LOCK = text(
    "SELECT r.id, pg_advisory_xact_lock(:ns, hashtext(r.id)) FROM (SELECT COALESCE("
    "(SELECT department_id FROM dim_department_alias WHERE alias_name = :name),"
    " (SELECT department_id FROM dim_department WHERE name = :name), :name) AS id) AS r"
)


def lock_department(conn: Connection, department_id: str) -> None:
    """Serialise writers of one department on PostgreSQL (transaction-scoped advisory lock); no-op on SQLite."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the database's only write lock
    # the key is hashtext(department_id), computed by the server, so that ``resolve_and_lock``
    # can resolve the identity and lock it in one statement
    conn.execute(_LOCK, {"ns": _ADVISORY_NAMESPACE, "id": department_id})


def resolve_and_lock(conn: Connection, name: str) -> str:
    """``resolve_department_id`` then ``lock_department``; on PostgreSQL in one statement (one round trip)."""
    if conn.dialect.name != "postgresql":
        return resolve_department_id(conn, name)  # SQLite: BEGIN IMMEDIATE holds the only write lock
    return str(conn.execute(_RESOLVE_AND_LOCK, {"ns": _ADVISORY_NAMESPACE, "name": name}).one()[0])
