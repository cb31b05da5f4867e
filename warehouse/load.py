"""The transactional loader: one document's ``stg_cells`` into the star schema, in one transaction.

``load_document`` replaces a document's facts (delete, then insert with bound parameters; COPY on
PostgreSQL); dimensions are get-or-create on their natural keys, in bulk (one SELECT per
dimension, one multi-row INSERT for the missing members, one SELECT for their new keys).
``record_document`` books a document that is not loaded (failed / quarantined / skipped) and
removes anything it had in the star.

Currency: of the documents of one (department_id, fiscal_year, phase, scope) the one *first
loaded* last is current; the others are 'superseded' (facts kept as history) or 'retracted' by a
steward. Reloading an older sha256 keeps its first load time, so reruns over a folder holding
both versions never flip which one is current; to go back to an older version, retract the newer.

Concurrency: SQLite serialises writers (BEGIN IMMEDIATE). On PostgreSQL a load takes a
transaction-scoped advisory lock on its department before writing, dimension members are inserted
in one global order with ON CONFLICT DO NOTHING, and a transaction that still meets a unique
violation, deadlock or serialization failure is retried from the start (``_RETRIES`` times).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, TypeVar

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from extract.models import Document, DocumentFacts, TableSummary
from transform.stg_cells import STG_CELLS_COLUMNS, check_stg_cells
from warehouse.db import SQLITE_BEGIN_OPTION
from warehouse.errors import LoadError
from warehouse.models import (
    ECONOMIC_LEVELS,
    FINDING_OUTCOMES,
    FINDING_SEVERITIES,
    FUNCTIONAL_LEVELS,
    Base,
    economic_level,
    functional_level,
    measure_fund_type,
    measure_stage,
    parent_code,
)

NOT_LOADED_STATUSES: tuple[str, ...] = ("failed", "quarantined", "skipped")
DQ_FLAGS: tuple[str, ...] = ("accepted",)

_T = Base.metadata.tables
DIM_DEPARTMENT: Table = _T["dim_department"]
DIM_DEPARTMENT_ALIAS: Table = _T["dim_department_alias"]
DIM_FUNCTIONAL: Table = _T["dim_functional_subject"]
DIM_ECONOMIC: Table = _T["dim_economic_subject"]
DIM_MEASURE: Table = _T["dim_measure"]
DIM_LINE_ITEM: Table = _T["dim_line_item"]
DIM_DOCUMENT: Table = _T["dim_document"]
FCT_AMOUNT: Table = _T["fct_amount"]
ETL_DOCUMENT: Table = _T["etl_document"]
ETL_TABLE: Table = _T["etl_table"]
ETL_FINDING: Table = _T["etl_finding"]

_FEN = Decimal("0.01")
_MAX_AMOUNT_DIGITS = 16  # Numeric(20, 4): 16 digits before the point
_MAX_YUAN_DIGITS = 18  # Numeric(20, 2)
_RETRIES = 5
#: SQLSTATEs worth a retry: unique violation (a concurrent writer won), serialization failure, deadlock.
_RETRY_SQLSTATES = frozenset({"23505", "40001", "40P01"})
_ADVISORY_NAMESPACE = 0x46495343  # "FISC": first key of pg_advisory_xact_lock(int, int)
_FACT_COLUMNS: tuple[str, ...] = (
    "amount_key",
    "document_key",
    "department_key",
    "fiscal_year",
    "table_code",
    "functional_key",
    "economic_key",
    "line_item_key",
    "measure_key",
    "amount",
    "amount_text",
    "unit",
    "amount_yuan",
    "is_total",
    "page",
    "row_index",
    "col_index",
    "dq_flag",
    "cell_x0",
    "cell_top",
    "cell_x1",
    "cell_bottom",
)

_R = TypeVar("_R")


@dataclass(frozen=True)
class LoadResult:
    """What ``load_document`` did: the document, its facts, the time taken, and its currency."""

    sha256: str
    facts_loaded: int
    seconds: float
    is_current: bool = True
    #: sha256 of the documents this load made superseded (a corrected republication replaced them).
    superseded: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One validation finding of a document, as stored in ``etl_finding`` (plain values, no expectations types)."""

    rule: str
    severity: str  # 'error' | 'warn'
    outcome: str  # 'note' | 'warning' | 'failure'
    table_code: str | None = None
    row_label: str | None = None
    measure: str | None = None
    expected: str | None = None
    found: str | None = None
    difference: str | None = None
    page: int | None = None
    accepted: bool = False


FindingLike = Finding | Mapping[str, Any]


class _Cell(NamedTuple):
    """One stg_cells row, checked and converted to plain Python values (a NamedTuple: cheap to build)."""

    table_code: str
    page: int
    row_index: int
    col_index: int
    functional: tuple[str, str] | None
    economic: tuple[str, str] | None
    line_item: tuple[str, str, str] | None
    measure: tuple[str, str]
    amount: Decimal
    amount_text: str
    unit: str
    amount_yuan: Decimal
    is_total: bool
    dq_flag: str | None
    #: the cell's box (x0, top, x1, bottom) in points on the displayed page, or None when unknown
    box: tuple[float, float, float, float] | None

    @property
    def position(self) -> tuple[str, int, int, int]:
        """The cell's place in the document: (table_code, page, row_index, col_index)."""
        return (self.table_code, self.page, self.row_index, self.col_index)


def load_document(
    engine: Engine,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    stg_cells: pd.DataFrame,
    tables: Sequence[TableSummary],
    pipeline_version: str,
    reasons: Sequence[str] = (),
    findings: Sequence[FindingLike] = (),
    dq_flag: str | None = None,
    accept_reason: str | None = None,
    source_url: str | None = None,
    fetched_at: datetime | None = None,
    region: str | None = None,
    city: str | None = None,
) -> LoadResult:
    """Load one document's staged cells into the star schema in one transaction.

    Parameters
    ----------
    engine
        Warehouse engine (from ``warehouse.db.make_engine``), schema at head.
    document, facts, pages
        The received file, what it says about itself (``facts.scope`` included), and its page count.
    stg_cells
        The document's cells, satisfying the ``transform.stg_cells`` contract (an optional
        ``dq_flag`` column is stored as is and wins over the ``dq_flag`` argument).
    tables
        What was found of each standard table; replaces the document's ``etl_table`` rows.
    pipeline_version
        Version of the pipeline that produced ``stg_cells``.
    reasons
        Notes to keep with a loaded document (e.g. validation warnings); usually empty.
    findings
        Validation findings (``Finding`` or dicts with its field names); replace the document's
        ``etl_finding`` rows.
    dq_flag
        None, or 'accepted' when a steward accepted the document despite failed rules: every fact
        without a flag of its own gets it, failure findings are stored accepted, and
        ``etl_document.accepted_at`` / ``accept_reason`` are set (kept when already set).
    accept_reason
        Why the document was accepted (with ``dq_flag='accepted'``; ``mark_accepted`` stores it too).
    source_url, fetched_at
        Where and when the harvester fetched the file (None for local files).
    region, city
        Where the department sits (from settings or source hints); stored when given.

    Returns
    -------
    LoadResult
        The sha256, its number of facts, the seconds spent, whether it is now current and which
        documents it superseded.

    Raises
    ------
    LoadError
        The document lacks department or fiscal year, a cell cannot be stored exactly, a finding
        is malformed, or ``dq_flag`` is unknown (nothing is written).
    transform.stg_cells.StgCellsContractError
        ``stg_cells`` does not satisfy its contract (nothing is written).

    Notes
    -----
    Loading the same input again leaves every table identical except timestamps: dimension
    members are found by natural key, ``document_key`` is kept by the upsert, and a cell that
    was loaded before keeps its ``amount_key``. Any exception rolls the whole transaction back.

    """
    started = time.perf_counter()
    sha256 = document.sha256
    if not facts.department:
        raise LoadError(f"document {sha256[:12]}: no department was read, it cannot be loaded")
    if facts.fiscal_year is None:
        raise LoadError(f"document {sha256[:12]}: no fiscal year was read, it cannot be loaded")
    if dq_flag is not None and dq_flag not in DQ_FLAGS:
        raise LoadError(f"document {sha256[:12]}: dq_flag must be None or one of {', '.join(DQ_FLAGS)}")
    cells = _prepare_cells(sha256, stg_cells)
    summaries = _check_tables(sha256, tables)
    finding_rows = _finding_rows(sha256, findings, accept_failures=dq_flag == "accepted")
    department, year = facts.department, facts.fiscal_year

    def attempt(conn: Connection) -> tuple[bool, tuple[str, ...]]:
        """The whole load, on one connection inside one transaction (retried as a unit)."""
        now = datetime.now(UTC)
        department_id = _resolve_and_lock(conn, department)
        postgres = conn.dialect.name == "postgresql"
        # PostgreSQL: the etl_document upsert itself returns the group and whether it inserted
        previous_group, known = (None, False) if postgres else _document_state(conn, sha256)
        inserted, group = _upsert_etl_document(
            conn,
            document=document,
            facts=facts,
            pages=pages,
            status="loaded",
            reasons=reasons,
            tables=summaries,
            facts_loaded=len(cells),
            pipeline_version=pipeline_version,
            now=now,
        )
        # a document etl_document did not know has no facts, findings or etl_table rows to replace
        if postgres:
            previous_group = group
        fresh = not known if inserted is None else inserted
        if dq_flag == "accepted":
            _record_acceptance(conn, sha256, accept_reason, now)
        department_key = _department_version(conn, department, department_id, year, region, city)
        document_key = _upsert_dim_document(
            conn,
            document=document,
            facts=facts,
            pages=pages,
            department_key=department_key,
            pipeline_version=pipeline_version,
            now=now,
            source_url=source_url,
            fetched_at=fetched_at,
        )
        keys = _dimension_keys(conn, cells, year)
        rows = _fact_rows(
            cells, keys, document_key=document_key, department_key=department_key, year=year, dq_flag=dq_flag
        )
        old_keys = {} if fresh else _delete_facts(conn, document_key)
        _insert_facts(conn, rows, old_keys)
        _replace_findings(conn, sha256, finding_rows, fresh=fresh)
        _replace_etl_tables(conn, sha256, summaries, fresh=fresh)
        superseded: list[str] = []
        if previous_group is not None and previous_group != (department_id, year, facts.phase, facts.scope):
            superseded += _refresh_currency(conn, *previous_group)[0]
        newly, current_key = _refresh_currency(conn, department_id, year, facts.phase, facts.scope)
        superseded += newly
        return current_key == document_key, tuple(s for s in superseded if s != sha256)

    is_current, superseded = run_in_transaction(engine, attempt)
    return LoadResult(
        sha256=sha256,
        facts_loaded=len(cells),
        seconds=time.perf_counter() - started,
        is_current=is_current,
        superseded=superseded,
    )


def record_document(
    engine: Engine,
    *,
    document: Document,
    facts: DocumentFacts | None,
    pages: int | None,
    status: str,
    reasons: Sequence[str],
    tables: Sequence[TableSummary],
    pipeline_version: str,
    findings: Sequence[FindingLike] = (),
) -> int:
    """Book a document that is not loaded (failed / quarantined / skipped) and remove its facts.

    One transaction: upsert ``etl_document`` (``facts_loaded`` 0), replace its ``etl_table`` and
    ``etl_finding`` rows, delete whatever ``fct_amount`` and ``dim_document`` rows an earlier load
    left for this sha256 (the version it had superseded becomes current again). Returns the
    number of facts removed.
    """
    if status not in NOT_LOADED_STATUSES:
        raise ValueError(f"status must be one of {', '.join(NOT_LOADED_STATUSES)}, not {status!r}")
    summaries = _check_tables(document.sha256, tables)
    finding_rows = _finding_rows(document.sha256, findings, accept_failures=False)

    def attempt(conn: Connection) -> int:
        """Book the document and clear its star rows, inside one transaction."""
        group = document_group(conn, document.sha256)
        if group is not None:
            lock_department(conn, group[0])
        _upsert_etl_document(
            conn,
            document=document,
            facts=facts,
            pages=pages,
            status=status,
            reasons=reasons,
            tables=summaries,
            facts_loaded=0,
            pipeline_version=pipeline_version,
            now=datetime.now(UTC),
        )
        document_keys = select(DIM_DOCUMENT.c.document_key).where(DIM_DOCUMENT.c.sha256 == document.sha256)
        removed = conn.execute(
            delete(FCT_AMOUNT).where(FCT_AMOUNT.c.document_key.in_(document_keys))
        ).rowcount
        conn.execute(
            update(DIM_DOCUMENT)
            .where(DIM_DOCUMENT.c.superseded_by.in_(document_keys))
            .values(superseded_by=None)
        )
        conn.execute(delete(DIM_DOCUMENT).where(DIM_DOCUMENT.c.sha256 == document.sha256))
        _replace_findings(conn, document.sha256, finding_rows)
        _replace_etl_tables(conn, document.sha256, summaries)
        if group is not None:
            refresh_currency(conn, *group)
        return max(int(removed), 0)

    return run_in_transaction(engine, attempt)


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


def lock_department(conn: Connection, department_id: str) -> None:
    """Serialise writers of one department on PostgreSQL (transaction-scoped advisory lock); no-op on SQLite."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the database's only write lock
    # the key is hashtext(department_id), computed by the server, so that ``_resolve_and_lock``
    # can resolve the identity and lock it in one statement
    conn.execute(_LOCK, {"ns": _ADVISORY_NAMESPACE, "id": department_id})


_LOCK = text("SELECT pg_advisory_xact_lock(:ns, hashtext(:id))")
_RESOLVE_AND_LOCK = text(
    "SELECT r.id, pg_advisory_xact_lock(:ns, hashtext(r.id)) FROM (SELECT COALESCE("
    "(SELECT department_id FROM dim_department_alias WHERE alias_name = :name),"
    " (SELECT department_id FROM dim_department WHERE name = :name), :name) AS id) AS r"
)


def _resolve_and_lock(conn: Connection, name: str) -> str:
    """``resolve_department_id`` then ``lock_department``; on PostgreSQL in one statement (one round trip)."""
    if conn.dialect.name != "postgresql":
        department_id = resolve_department_id(conn, name)
        lock_department(conn, department_id)
        return department_id
    return str(conn.execute(_RESOLVE_AND_LOCK, {"ns": _ADVISORY_NAMESPACE, "name": name}).one()[0])


_RESOLVE = select(
    select(DIM_DEPARTMENT_ALIAS.c.department_id)
    .where(DIM_DEPARTMENT_ALIAS.c.alias_name == bindparam("name"))
    .scalar_subquery(),
    select(DIM_DEPARTMENT.c.department_id).where(DIM_DEPARTMENT.c.name == bindparam("name")).scalar_subquery(),
)


def resolve_department_id(conn: Connection, name: str) -> str:
    """Return the department identity of a printed name: its alias, else its version row, else the name."""
    alias, known = conn.execute(_RESOLVE, {"name": name}).one()  # one round trip for both lookups
    if alias is not None:
        return str(alias)
    return str(known) if known is not None else name


_DEPARTMENT_ROWS = (
    select(
        DIM_DEPARTMENT.c.department_key,
        DIM_DEPARTMENT.c.name,
        DIM_DEPARTMENT.c.department_id,
        DIM_DEPARTMENT.c.valid_from,
        DIM_DEPARTMENT.c.valid_to,
        DIM_DEPARTMENT.c.is_current,
        DIM_DEPARTMENT.c.region,
        DIM_DEPARTMENT.c.city,
    )
    .where((DIM_DEPARTMENT.c.name == bindparam("name")) | (DIM_DEPARTMENT.c.department_id == bindparam("department_id")))
    .order_by(DIM_DEPARTMENT.c.valid_from, DIM_DEPARTMENT.c.department_key)
)


def _department_version(
    conn: Connection, name: str, department_id: str, year: int, region: str | None, city: str | None
) -> int:
    """Get or create the version row of the printed ``name``; widen its validity; return its key.

    One SELECT reads the name's row and the department's versions together; they are written
    only when something changed.
    """
    d = DIM_DEPARTMENT.c
    rows = conn.execute(_DEPARTMENT_ROWS, {"name": name, "department_id": department_id}).all()
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        key = _get_or_create(
            conn,
            DIM_DEPARTMENT,
            "department_key",
            ("name",),
            ("name", "department_id", "region", "city", "valid_from", "valid_to", "is_current"),
            {(name,): (name, department_id, region, city, year, None, True)},
        )[(name,)][0]
        refresh_department_versions(conn, department_id)
        return key
    key = int(row.department_key)
    changes: dict[str, Any] = {}
    if row.department_id != department_id:
        changes["department_id"] = department_id  # an alias added since the version was created
    if year < row.valid_from:
        changes["valid_from"] = year
    if region is not None and region != row.region:
        changes["region"] = region
    if city is not None and city != row.city:
        changes["city"] = city
    if changes:
        conn.execute(update(DIM_DEPARTMENT).where(d.department_key == key).values(**changes))
        refresh_department_versions(conn, department_id)
    else:  # the rows read are the department's versions as they stand
        _apply_department_versions(conn, [r for r in rows if r.department_id == department_id])
    return key


def refresh_department_versions(conn: Connection, department_id: str) -> None:
    """Recompute valid_to / is_current of a department's versions (ordered by valid_from, then key)."""
    d = DIM_DEPARTMENT.c
    rows = conn.execute(
        select(d.department_key, d.valid_from, d.valid_to, d.is_current)
        .where(d.department_id == department_id)
        .order_by(d.valid_from, d.department_key)
    ).all()
    _apply_department_versions(conn, rows)


def _apply_department_versions(conn: Connection, rows: Sequence[Any]) -> None:
    """Write valid_to / is_current of version rows given in (valid_from, department_key) order, where they differ."""
    d = DIM_DEPARTMENT.c
    for number, row in enumerate(rows):
        last = number == len(rows) - 1
        valid_to = None if last else rows[number + 1].valid_from
        if row.valid_to != valid_to or bool(row.is_current) != last:
            conn.execute(
                update(DIM_DEPARTMENT)
                .where(d.department_key == row.department_key)
                .values(valid_to=valid_to, is_current=last)
            )


def document_group(conn: Connection, sha256: str) -> tuple[str, int, str | None, str | None] | None:
    """Return the (department_id, fiscal_year, phase, scope) of a document in dim_document, or None."""
    doc, dep = DIM_DOCUMENT.c, DIM_DEPARTMENT.c
    row = conn.execute(
        select(dep.department_id, doc.fiscal_year, doc.phase, doc.scope)
        .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
        .where(doc.sha256 == sha256)
    ).one_or_none()
    return None if row is None else (str(row[0]), int(row[1]), row[2], row[3])


_DOCUMENT_STATE = (
    select(DIM_DEPARTMENT.c.department_id, DIM_DOCUMENT.c.fiscal_year, DIM_DOCUMENT.c.phase, DIM_DOCUMENT.c.scope)
    .select_from(ETL_DOCUMENT)
    .outerjoin(DIM_DOCUMENT, DIM_DOCUMENT.c.sha256 == ETL_DOCUMENT.c.sha256)
    .outerjoin(DIM_DEPARTMENT, DIM_DEPARTMENT.c.department_key == DIM_DOCUMENT.c.department_key)
    .where(ETL_DOCUMENT.c.sha256 == bindparam("sha256"))
)


def _document_state(conn: Connection, sha256: str) -> tuple[tuple[str, int, str | None, str | None] | None, bool]:
    """Return the document's group (as ``document_group``) and whether etl_document knows it, in one SELECT."""
    row = conn.execute(_DOCUMENT_STATE, {"sha256": sha256}).one_or_none()
    if row is None:
        return None, False
    if row[0] is None:
        return None, True
    return (str(row[0]), int(row[1]), row[2], row[3]), True


def refresh_currency(
    conn: Connection, department_id: str, fiscal_year: int, phase: str | None, scope: str | None
) -> list[str]:
    """Make the first-loaded-last, unretracted document of the group current; return the sha256s newly superseded.

    The others get ``is_current`` false and ``superseded_by`` the current one (retracted ones
    keep NULL); ``etl_document.status`` follows: 'loaded', 'superseded' or 'retracted'.
    """
    return _refresh_currency(conn, department_id, fiscal_year, phase, scope)[0]


def _refresh_currency(
    conn: Connection, department_id: str, fiscal_year: int, phase: str | None, scope: str | None
) -> tuple[list[str], int | None]:
    """``refresh_currency``, also returning the document_key now current in the group (None if none)."""
    doc, etl = DIM_DOCUMENT.c, ETL_DOCUMENT.c
    key = ("currency", phase is None, scope is None)
    stmt = _STATEMENTS.get(key)
    if stmt is None:  # built once per NULL pattern of (phase, scope)
        dep = DIM_DEPARTMENT.c
        stmt = _STATEMENTS[key] = (
            select(doc.document_key, doc.sha256, doc.retracted_at, doc.is_current, doc.superseded_by, etl.status)
            .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
            .join(ETL_DOCUMENT, etl.sha256 == doc.sha256)
            .where(
                dep.department_id == bindparam("department_id"),
                doc.fiscal_year == bindparam("fiscal_year"),
                doc.phase.is_(None) if phase is None else doc.phase == bindparam("phase"),
                doc.scope.is_(None) if scope is None else doc.scope == bindparam("scope"),
            )
            .order_by(doc.first_loaded_at.desc(), doc.document_key.desc())
        )
    params = {"department_id": department_id, "fiscal_year": fiscal_year, "phase": phase, "scope": scope}
    rows = conn.execute(stmt, params).all()
    live = [r for r in rows if r.retracted_at is None]
    current_key = live[0].document_key if live else None
    newly_superseded: list[str] = []
    for row in rows:
        if row.retracted_at is not None:
            values: dict[str, Any] = {"is_current": False, "superseded_by": None}
            status = "retracted"
        elif row.document_key == current_key:
            values = {"is_current": True, "superseded_by": None}
            status = "loaded"
        else:
            values = {"is_current": False, "superseded_by": current_key}
            status = "superseded"
            if row.status != "superseded":
                newly_superseded.append(str(row.sha256))
        if (bool(row.is_current), row.superseded_by) != (values["is_current"], values["superseded_by"]):
            conn.execute(update(DIM_DOCUMENT).where(doc.document_key == row.document_key).values(**values))
        if row.status != status:
            conn.execute(update(ETL_DOCUMENT).where(etl.sha256 == row.sha256).values(status=status))
    return newly_superseded, (None if current_key is None else int(current_key))


def _insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts with the same keys); on PostgreSQL one INSERT … SELECT FROM unnest(arrays).

    One constant statement (prepared after a few uses) instead of an executemany's pipeline.
    """
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), [dict(row) for row in rows])
        return
    columns = tuple(rows[0])
    cache_key = (table.name, columns, ("insert",))
    sql = _PG_GET_OR_CREATE.get(cache_key)
    if sql is None:
        types = _pg_array_types(table, columns)
        arrays = ", ".join(f"%({c})s::{types[c]}[]" for c in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"  # noqa: S608
        _PG_GET_OR_CREATE[cache_key] = sql
    conn.exec_driver_sql(sql, {c: [row[c] for row in rows] for c in columns})


def _record_acceptance(conn: Connection, sha256: str, reason: str | None, now: datetime) -> None:
    """Set accepted_at (unless already set) and the reason (when given) of an accepted document."""
    e = ETL_DOCUMENT.c
    conn.execute(
        update(ETL_DOCUMENT)
        .where(e.sha256 == sha256)
        .values(
            accepted_at=func.coalesce(e.accepted_at, now),
            accept_reason=func.coalesce(reason, e.accept_reason),
        )
    )


def _finding_rows(sha256: str, findings: Sequence[FindingLike], *, accept_failures: bool) -> list[dict[str, Any]]:
    """Check the findings and turn them into etl_finding rows; raise LoadError on a malformed one."""
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(findings):
        try:
            finding = raw if isinstance(raw, Finding) else Finding(**dict(raw))
        except TypeError as exc:
            raise LoadError(f"document {sha256[:12]}: finding {number} is malformed ({exc})") from None
        if finding.severity not in FINDING_SEVERITIES:
            raise LoadError(f"document {sha256[:12]}: finding {number} severity {finding.severity!r} is not error/warn")
        if finding.outcome not in FINDING_OUTCOMES:
            raise LoadError(
                f"document {sha256[:12]}: finding {number} outcome {finding.outcome!r} is not note/warning/failure"
            )
        row: dict[str, Any] = {k: (None if v is None else str(v)) for k, v in asdict(finding).items()}
        row["page"] = None if finding.page is None else int(finding.page)
        row["accepted"] = bool(finding.accepted) or (accept_failures and finding.outcome == "failure")
        row["sha256"] = sha256
        row["finding_no"] = number
        rows.append(row)
    return rows


def _replace_findings(conn: Connection, sha256: str, rows: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
    """Replace the document's etl_finding rows (``fresh``: it has none yet, nothing to delete)."""
    if not fresh:
        conn.execute(delete(ETL_FINDING).where(ETL_FINDING.c.sha256 == sha256))
    if rows:
        _insert_rows(conn, ETL_FINDING, rows)


def _text(value: Any) -> str | None:
    """Return ``value`` as text, or None when missing (None, NaN, pd.NA, '')."""
    if type(value) is str:
        return value or None
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value)
    return text or None


def _integer(value: Any) -> int:
    """Return ``value`` as an int; raise ValueError unless it is an integral number."""
    if type(value) is int:
        return value
    number = int(value)
    if number != value:
        raise ValueError(value)
    return number


def _amount_problem(value: Decimal, *, max_digits: int, max_scale: int) -> str | None:
    """Say why ``value`` does not fit Numeric(max_digits + max_scale, max_scale) exactly, or None."""
    if not value.is_finite():
        return f"is not a finite number ({value})"
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -max_scale
        and value != value.quantize(Decimal(1).scaleb(-max_scale))
    ):
        return f"{value} has more than {max_scale} decimals"
    if value and value.adjusted() >= max_digits:
        return f"{value} has more than {max_digits} digits before the point"
    return None


def _prepare_cells(sha256: str, frame: pd.DataFrame) -> list[_Cell]:
    """Check the stg_cells contract and convert every row to a _Cell; raise LoadError on a bad cell."""
    checked = check_stg_cells(frame)
    columns = [checked[c].tolist() for c in STG_CELLS_COLUMNS]  # column-wise: far faster than itertuples
    columns.append(frame["dq_flag"].tolist() if "dq_flag" in frame.columns else [None] * len(checked))
    cells: list[_Cell] = []
    seen: dict[tuple[str, int, int, int], int] = {}
    for number, record in enumerate(zip(*columns, strict=True)):
        cell = _to_cell(sha256, number, record)
        previous = seen.setdefault(cell.position, number)
        if previous != number:
            raise LoadError(
                f"document {sha256[:12]} table {cell.table_code} page {cell.page}: two stg_cells rows "
                f"({previous} and {number}) for row {cell.row_index} column {cell.col_index}"
            )
        cells.append(cell)
    return cells


def _to_cell(sha256: str, number: int, record: tuple[Any, ...]) -> _Cell:
    """Convert one stg_cells record (STG_CELLS_COLUMNS order, then dq_flag) to a _Cell.

    Written for speed (it runs once per fact): plain values take fast paths, anything unusual
    goes through the general checks, which name the cell in the error.
    """
    (table_code, page, row_index, col_index, f_code, f_name, e_code, e_name, line_item, parent, measure) = (
        record[:11]
    )
    amount, unit, amount_yuan, is_total, _raw_text, x0, top, x1, bottom, flag = record[11:21]
    table = table_code if type(table_code) is str else str(table_code)
    if type(page) is not int or type(row_index) is not int or type(col_index) is not int:
        position = []
        for what, value in (("page", page), ("row_index", row_index), ("col_index", col_index)):
            try:
                position.append(_integer(value))
            except (TypeError, ValueError, OverflowError):
                raise _cell_error(
                    sha256, number, table, page, row_index, col_index, f"{what} must be an integer, got {value!r}"
                ) from None
        page, row_index, col_index = position
    functional = economic = None
    code = _text(f_code)
    if code is not None:
        if len(code) not in FUNCTIONAL_LEVELS:
            raise _cell_error(
                sha256, number, table, page, row_index, col_index, f"functional code {code!r} is not 3, 5 or 7 digits long"
            )
        functional = (code, _text(f_name) or "")
    code = _text(e_code)
    if code is not None:
        if len(code) not in ECONOMIC_LEVELS:
            raise _cell_error(
                sha256, number, table, page, row_index, col_index, f"economic code {code!r} is not 3 or 5 digits long"
            )
        economic = (code, _text(e_name) or "")
    amount_text = format(amount, "f")
    if not _plain_decimal(amount_text, max_digits=_MAX_AMOUNT_DIGITS, max_scale=4):
        problem = _amount_problem(amount, max_digits=_MAX_AMOUNT_DIGITS, max_scale=4)
        if problem:
            raise _cell_error(sha256, number, table, page, row_index, col_index, f"amount {problem}")
    if amount_yuan.is_finite() and amount_yuan.adjusted() < _MAX_YUAN_DIGITS:
        amount_yuan = amount_yuan.quantize(_FEN, rounding=ROUND_HALF_UP)
    if not (amount_yuan.is_finite() and amount_yuan.adjusted() < _MAX_YUAN_DIGITS):  # 0 → adjusted() <= 0
        problem = _amount_problem(amount_yuan, max_digits=_MAX_YUAN_DIGITS, max_scale=2)
        if problem:
            raise _cell_error(sha256, number, table, page, row_index, col_index, f"amount_yuan {problem}")
    label = _text(line_item)
    if is_total is not True and is_total is not False:
        is_total = is_total is not None and not pd.isna(is_total) and bool(is_total)
    return _Cell(
        table,
        page,
        row_index,
        col_index,
        functional,
        economic,
        (table, label, _text(parent) or "") if label is not None else None,
        (table, measure if type(measure) is str else str(measure)),
        amount,
        amount_text,
        unit if type(unit) is str else str(unit),
        amount_yuan,
        is_total,
        _text(flag),
        None if x0 is None else (x0, top, x1, bottom),  # check_stg_cells: floats, all four or none
    )


def _plain_decimal(text: str, *, max_digits: int, max_scale: int) -> bool:
    """True when the 'f'-formatted decimal ``text`` has at most max_digits before and max_scale after the point.

    A fast sufficient test: False only sends the value to ``_amount_problem`` for the exact verdict.
    """
    point = text.find(".")
    sign = 1 if text[:1] == "-" else 0
    if point < 0:
        return text[sign:].isdigit() and len(text) - sign <= max_digits
    return point - sign <= max_digits and len(text) - point - 1 <= max_scale and text[sign:point].isdigit()


def _cell_error(
    sha256: str, number: int, table: str, page: Any, row_index: Any, col_index: Any, problem: str
) -> LoadError:
    """Build a LoadError naming the cell as precisely as it is known."""
    where = f"document {sha256[:12]} table {table}"
    where += f" page {page} row {row_index} column {col_index} (stg_cells row {number})"
    return LoadError(f"{where}: {problem}")


def _check_tables(sha256: str, tables: Sequence[TableSummary]) -> list[TableSummary]:
    """Return ``tables`` as a list; raise LoadError when a table code appears twice."""
    codes = [t.table_code for t in tables]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise LoadError(f"document {sha256[:12]}: table summaries repeat table {', '.join(twice)}")
    return list(tables)


def _dialect_insert(conn: Connection, table: Table) -> Insert:
    """Return the dialect's INSERT construct (with ON CONFLICT support on SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    return insert(table)


def upsert(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    insert_only: Collection[str] = (),
) -> Insert:
    """Build INSERT … ON CONFLICT (conflict) DO UPDATE SET every other column except ``insert_only``."""
    updates = {k: v for k, v in values.items() if k not in conflict and k not in insert_only}
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(**values)
        return pg.on_conflict_do_update(index_elements=list(conflict), set_=updates)
    if conn.dialect.name == "sqlite":
        lite = sqlite.insert(table).values(**values)
        return lite.on_conflict_do_update(index_elements=list(conflict), set_=updates)
    raise NotImplementedError(f"upsert is implemented for SQLite and PostgreSQL, not {conn.dialect.name}")


_SUBJECT_COLUMNS: tuple[str, ...] = ("code", "name", "level", "parent_code", "valid_from_year", "valid_to_year")
_SUBJECT_EXTRA: tuple[str, ...] = ("valid_from_year", "valid_to_year")
#: PostgreSQL get-or-create statements, built once per (table, columns) and prepared by psycopg.
_PG_GET_OR_CREATE: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def _select_keys(
    conn: Connection,
    table: Table,
    key: str,
    natural: Sequence[str],
    wanted: Collection[tuple[Any, ...]],
    *,
    extra: Sequence[str] = (),
    filter_on: int = 0,
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Return {natural key: (surrogate key, *extra)} for the wanted members that exist (one SELECT).

    The SELECT filters on natural column ``filter_on`` (the selective one) and keeps exact matches.
    """
    if not wanted:
        return {}
    values = sorted({k[filter_on] for k in wanted})
    columns = [table.c[name] for name in natural]
    stmt = select(table.c[key], *columns, *(table.c[name] for name in extra)).where(columns[filter_on].in_(values))
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    width = 1 + len(natural)
    for row in conn.execute(stmt):
        natural_key = tuple(row[1:width])
        if natural_key in wanted:
            found[natural_key] = (int(row[0]), *row[width:])
    return found


def _pg_get_or_create_sql(table: Table, key: str, natural: Sequence[str], columns: Sequence[str], extra: Sequence[str]) -> str:
    """One statement: insert the members not there yet (in natural-key order), return the keys of all of them.

    The final SELECT reads the statement's snapshot, so a member a concurrent transaction committed
    meanwhile (its INSERT here did nothing) is missing from the answer; the caller selects those again.
    """
    cache_key = (table.name, tuple(columns), tuple(extra))
    sql = _PG_GET_OR_CREATE.get(cache_key)
    if sql is None:
        dialect = postgresql.dialect()
        types = {c: table.c[c].type.compile(dialect=dialect).lower() for c in columns}
        arrays = ", ".join(f"%({c})s::{types[c]}[]" for c in columns)
        match = " AND ".join(f"t.{n} = i.{n}" for n in natural)
        out = [key, *natural, *extra]
        sql = (
            f"WITH i ({', '.join(columns)}) AS (SELECT * FROM unnest({arrays})), "  # noqa: S608 - names from the models
            f"ins AS (INSERT INTO {table.name} ({', '.join(columns)}) "
            f"SELECT {', '.join('i.' + c for c in columns)} FROM i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {match}) "
            f"ORDER BY {', '.join('i.' + n for n in natural)} "  # one insertion order for all writers
            f"ON CONFLICT DO NOTHING RETURNING {', '.join(out)}) "
            f"SELECT {', '.join(out)} FROM ins "
            f"UNION ALL SELECT {', '.join('t.' + c for c in out)} FROM {table.name} t JOIN i ON {match}"
        )
        _PG_GET_OR_CREATE[cache_key] = sql
    return sql


class _Dimension(NamedTuple):
    """How to get or create members of one dimension table."""

    table: Table
    key: str
    natural: tuple[str, ...]
    columns: tuple[str, ...]
    extra: tuple[str, ...] = ()
    filter_on: int = 0


def _pg_array_types(table: Table, columns: Sequence[str]) -> dict[str, str]:
    """PostgreSQL type names of ``columns`` (for the array casts of unnest parameters)."""
    dialect = postgresql.dialect()
    return {c: table.c[c].type.compile(dialect=dialect).lower() for c in columns}


def _pg_get_or_create_many_sql(dimensions: Sequence[_Dimension]) -> str:
    """One statement getting or creating the members of several dimensions (see ``_pg_get_or_create_sql``).

    Rows come back as (dimension number, key, natural key padded to 3 texts, extra padded to 2 ints).
    """
    cache_key = ("*", tuple((d.table.name, d.columns, d.extra) for d in dimensions), ())
    sql = _PG_GET_OR_CREATE.get(cache_key)  # type: ignore[arg-type]
    if sql is not None:
        return sql
    ctes: list[str] = []
    selects: list[str] = []
    for number, d in enumerate(dimensions):
        types = _pg_array_types(d.table, d.columns)
        name = d.table.name
        arrays = ", ".join(f"%(d{number}_{c})s::{types[c]}[]" for c in d.columns)
        match = " AND ".join(f"t.{n} = i.{n}" for n in d.natural)
        out = [d.key, *d.natural, *d.extra]
        # every name below comes from the models, every value is a bound array: no injection
        ctes.append(f"i{number} ({', '.join(d.columns)}) AS (SELECT * FROM unnest({arrays}))")  # noqa: S608
        ctes.append(
            f"ins{number} AS (INSERT INTO {name} ({', '.join(d.columns)}) "  # noqa: S608
            f"SELECT {', '.join('i.' + c for c in d.columns)} FROM i{number} i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {match}) "
            f"ORDER BY {', '.join('i.' + n for n in d.natural)} "
            f"ON CONFLICT DO NOTHING RETURNING {', '.join(out)})"
        )
        naturals = [f"{{p}}{n}::text" for n in d.natural] + ["NULL::text"] * (3 - len(d.natural))
        extras = [f"{{p}}{e}::integer" for e in d.extra] + ["NULL::integer"] * (2 - len(d.extra))
        columns = ", ".join([f"{number}", f"{{p}}{d.key}", *naturals, *extras])
        selects.append(f"SELECT {columns.format(p='')} FROM ins{number}")  # noqa: S608
        selects.append(f"SELECT {columns.format(p='t.')} FROM {name} t JOIN i{number} i ON {match}")  # noqa: S608
    sql = f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}"
    _PG_GET_OR_CREATE[cache_key] = sql  # type: ignore[index]
    return sql


def _pg_get_or_create_many(
    conn: Connection, wanted: Sequence[tuple[_Dimension, Mapping[tuple[Any, ...], tuple[Any, ...]]]]
) -> list[dict[tuple[Any, ...], tuple[Any, ...]]]:
    """PostgreSQL: ``_get_or_create`` for several dimensions in one round trip.

    Members a concurrent writer committed after the statement's snapshot are selected afterwards.
    """
    params: dict[str, list[Any]] = {}
    for number, (d, members) in enumerate(wanted):
        for i, c in enumerate(d.columns):
            params[f"d{number}_{c}"] = [row[i] for row in members.values()]
    found: list[dict[tuple[Any, ...], tuple[Any, ...]]] = [{} for _ in wanted]
    sql = _pg_get_or_create_many_sql([d for d, _ in wanted])
    for row in conn.exec_driver_sql(sql, params):
        d = wanted[row[0]][0]
        found[row[0]][tuple(row[2 : 2 + len(d.natural)])] = (int(row[1]), *row[5 : 5 + len(d.extra)])
    for (d, members), got in zip(wanted, found, strict=True):
        missing = {k for k in members if k not in got}
        if missing:
            got.update(
                _select_keys(conn, d.table, d.key, d.natural, missing, extra=d.extra, filter_on=d.filter_on)
            )
    return found


def _get_or_create(
    conn: Connection,
    table: Table,
    key: str,
    natural: Sequence[str],
    columns: Sequence[str],
    members: Mapping[tuple[Any, ...], tuple[Any, ...]],
    *,
    extra: Sequence[str] = (),
    filter_on: int = 0,
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Return {natural key: (surrogate key, *extra)} of ``members`` (natural key → row in ``columns`` order).

    PostgreSQL: one INSERT … SELECT FROM unnest(…) … RETURNING statement. Elsewhere: one SELECT,
    one multi-row INSERT of the missing members in natural-key order, one SELECT of their keys.
    Either way a member another writer inserted concurrently is selected afterwards.
    """
    if not members:
        return {}
    if conn.dialect.name == "postgresql":
        params = {c: [row[i] for row in members.values()] for i, c in enumerate(columns)}
        width = 1 + len(natural)
        found = {
            tuple(row[1:width]): (int(row[0]), *row[width:])
            for row in conn.exec_driver_sql(_pg_get_or_create_sql(table, key, natural, columns, extra), params)
        }
        missing_keys = {k for k in members if k not in found}
        if missing_keys:  # committed by a concurrent writer after this statement's snapshot
            found.update(_select_keys(conn, table, key, natural, missing_keys, extra=extra, filter_on=filter_on))
        return found
    found = _select_keys(conn, table, key, natural, set(members), extra=extra, filter_on=filter_on)
    missing = sorted(k for k in members if k not in found)  # one order for all writers: no deadlocks
    if missing:
        stmt = _dialect_insert(conn, table)
        if isinstance(stmt, postgresql.Insert | sqlite.Insert):
            stmt = stmt.on_conflict_do_nothing(index_elements=list(natural))
        conn.execute(stmt, [dict(zip(columns, members[k], strict=True)) for k in missing])
        found.update(_select_keys(conn, table, key, natural, set(missing), extra=extra, filter_on=filter_on))
    return found


_FUNCTIONAL = _Dimension(DIM_FUNCTIONAL, "functional_key", ("code", "name"), _SUBJECT_COLUMNS, _SUBJECT_EXTRA)
_ECONOMIC = _Dimension(DIM_ECONOMIC, "economic_key", ("code", "name"), _SUBJECT_COLUMNS, _SUBJECT_EXTRA)
_LINE_ITEM = _Dimension(
    DIM_LINE_ITEM,
    "line_item_key",
    ("table_code", "line_item", "parent_line_item"),
    ("table_code", "line_item", "parent_line_item"),
    filter_on=1,
)
_MEASURE = _Dimension(
    DIM_MEASURE,
    "measure_key",
    ("table_code", "header_path"),
    ("table_code", "header_path", "stage", "fund_type"),
    filter_on=1,
)


@dataclass(frozen=True)
class _Keys:
    """Surrogate keys of the dimension members the cells refer to, by the cells' own natural-key tuples."""

    functional: dict[tuple[str, str], int]
    economic: dict[tuple[str, str], int]
    line_item: dict[tuple[str, str, str], int]
    measure: dict[tuple[str, str], int]


def _dimension_keys(conn: Connection, cells: Iterable[_Cell], year: int) -> _Keys:
    """Get or create every dimension member the cells refer to (one statement per dimension on PostgreSQL).

    Subjects printed in ``year`` have their validity widened to include it (an UPDATE only when needed).
    """
    functional: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    economic: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    line_items: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    measures: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for cell in cells:
        subject = cell.functional
        if subject is not None and subject not in functional:
            code = subject[0]
            functional[subject] = (*subject, functional_level(code), parent_code(code), year, year)
        subject = cell.economic
        if subject is not None and subject not in economic:
            code = subject[0]
            economic[subject] = (*subject, economic_level(code), parent_code(code), year, year)
        if cell.line_item is not None and cell.line_item not in line_items:
            line_items[cell.line_item] = cell.line_item
        if cell.measure not in measures:
            table, path = cell.measure
            measures[cell.measure] = (table, path, measure_stage(table, path), measure_fund_type(table, path))
    wanted = [
        (_FUNCTIONAL, functional),
        (_ECONOMIC, economic),
        (_LINE_ITEM, line_items),
        (_MEASURE, measures),
    ]
    if conn.dialect.name == "postgresql":
        functional_rows, economic_rows, line_item_rows, measure_rows = _pg_get_or_create_many(conn, wanted)
    else:
        functional_rows, economic_rows, line_item_rows, measure_rows = (
            _get_or_create(conn, *d[:4], members, extra=d.extra, filter_on=d.filter_on) for d, members in wanted
        )
    _widen_years(conn, DIM_FUNCTIONAL, "functional_key", functional_rows.values(), year)
    _widen_years(conn, DIM_ECONOMIC, "economic_key", economic_rows.values(), year)
    return _Keys(
        functional={k: v[0] for k, v in functional_rows.items()},
        economic={k: v[0] for k, v in economic_rows.items()},
        line_item={k: v[0] for k, v in line_item_rows.items()},
        measure={k: v[0] for k, v in measure_rows.items()},
    )


def _widen_years(conn: Connection, table: Table, key: str, members: Iterable[tuple[Any, ...]], year: int) -> None:
    """Extend valid_from_year / valid_to_year of members (key, valid_from_year, valid_to_year) to include ``year``.

    Validity only ever widens, so a member seen valid for ``year`` stays so; the UPDATE computes
    the new bounds from the row itself (a concurrent writer may have widened it meanwhile).
    """
    stale = sorted(
        member
        for member, low, high in members
        if low is None or high is None or low > year or high < year
    )
    if not stale:
        return
    c = table.c
    first, last = c.valid_from_year, c.valid_to_year
    # one statement; on PostgreSQL the rows are locked first in key order (one lock order for all
    # writers: no deadlock between two loads widening overlapping subjects)
    locked = select(c[key]).where(c[key].in_(stale)).order_by(c[key]).with_for_update().subquery()
    conn.execute(
        update(table)
        .where(c[key] == locked.c[key])
        .values(
            valid_from_year=case((first.is_(None) | (first > year), year), else_=first),
            valid_to_year=case((last.is_(None) | (last < year), year), else_=last),
        )
    )


def _delete_facts(conn: Connection, document_key: int) -> dict[tuple[str, int, int, int], int]:
    """Delete the document's facts; return {(table_code, page, row_index, col_index): amount_key} of them."""
    f = FCT_AMOUNT.c
    stmt = (
        delete(FCT_AMOUNT)
        .where(f.document_key == document_key)
        .returning(f.amount_key, f.table_code, f.page, f.row_index, f.col_index)
    )
    return {(table, page, row, col): key for key, table, page, row, col in conn.execute(stmt).tuples()}


_NO_BOX: tuple[None, None, None, None] = (None, None, None, None)

#: Where a fact row (``_fact_rows``: _FACT_COLUMNS without amount_key) holds the cell's position.
_POSITION = (_FACT_COLUMNS.index("table_code") - 1, _FACT_COLUMNS.index("page") - 1)


def _fact_rows(
    cells: Sequence[_Cell],
    keys: _Keys,
    *,
    document_key: int,
    department_key: int,
    year: int,
    dq_flag: str | None = None,
) -> list[tuple[Any, ...]]:
    """Build the fct_amount rows as plain tuples in ``_FACT_COLUMNS`` order, amount_key left out."""
    functional, economic, line_item, measure = keys.functional, keys.economic, keys.line_item, keys.measure
    return [
        (
            document_key,
            department_key,
            year,
            cell.table_code,
            None if cell.functional is None else functional[cell.functional],
            None if cell.economic is None else economic[cell.economic],
            None if cell.line_item is None else line_item[cell.line_item],
            measure[cell.measure],
            cell.amount,
            cell.amount_text,
            cell.unit,
            cell.amount_yuan,
            cell.is_total,
            cell.page,
            cell.row_index,
            cell.col_index,
            cell.dq_flag if cell.dq_flag is not None else dq_flag,
            *(cell.box or _NO_BOX),
        )
        for cell in cells
    ]


def _insert_facts(
    conn: Connection, rows: Sequence[tuple[Any, ...]], old_keys: Mapping[tuple[str, int, int, int], int]
) -> None:
    """Insert the fact rows; a cell loaded before gets its old amount_key back (COPY on PostgreSQL)."""
    if not rows:
        return
    kept: list[tuple[Any, ...]] = []
    new: list[tuple[Any, ...]] = []
    table_at, page_at = _POSITION
    for row in rows:
        old = old_keys.get((row[table_at], *row[page_at : page_at + 3]))
        if old is None:
            new.append(row)
        else:
            kept.append((old, *row))
    if conn.dialect.name == "postgresql":
        _copy_facts(conn, kept, new)
    elif conn.dialect.name == "sqlite":
        _sqlite_insert_facts(conn, kept, new)
    else:
        for batch, names in ((kept, _FACT_COLUMNS), (new, _FACT_COLUMNS[1:])):
            if batch:
                conn.execute(insert(FCT_AMOUNT), [dict(zip(names, row, strict=True)) for row in batch])


def _sqlite_insert_facts(conn: Connection, kept: list[tuple[Any, ...]], new: list[tuple[Any, ...]]) -> None:
    """SQLite: one DBAPI executemany of plain tuples (SQLAlchemy's per-row parameter processing is the cost).

    Values are bound as SQLAlchemy would bind them: Decimal as float (SQLite has no decimal type;
    ``Numeric`` reads them back as Decimal at the column's scale), booleans as 0/1.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for batch, names in ((kept, _FACT_COLUMNS), (new, _FACT_COLUMNS[1:])):  # new rows: amount_key by SQLite
            if batch:
                sql = f"INSERT INTO fct_amount ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
                cursor.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in batch])
    finally:
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    """Bind a fact value for sqlite3: Decimal → float (as SQLAlchemy's Numeric does), bool → int."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


#: COPY text format escapes (backslash, tab, newline, carriage return).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_facts(conn: Connection, kept: list[tuple[Any, ...]], new: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the rows in text format (lines formatted directly, no per-value dispatch).

    Kept rows carry their old amount_key; new rows go in a COPY without the column, so its
    default (the sequence) numbers them on the server, in document order, with no extra round trip.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for batch, names, lead in ((kept, _FACT_COLUMNS, 1), (new, _FACT_COLUMNS[1:], 0)):
            if batch:
                lines = [_copy_line(row[lead:], f"{row[0]}\t" if lead else "") for row in batch]
                with cursor.copy(f"COPY fct_amount ({', '.join(names)}) FROM STDIN") as copy:
                    copy.write("".join(lines))
    finally:
        cursor.close()


_NULL = "\\N"  # COPY text format


def _copy_line(row: tuple[Any, ...], lead: str) -> str:
    """One fact row (``_fact_rows`` order) as a COPY text line; NULL is backslash-N."""
    (document, department, year, table, f_key, e_key, l_key, m_key, amount, amount_text, unit, yuan, total) = row[:13]
    page, row_index, col_index, flag, x0, top, x1, bottom = row[13:]
    box = f"{_NULL}\t{_NULL}\t{_NULL}\t{_NULL}" if x0 is None else f"{x0!r}\t{top!r}\t{x1!r}\t{bottom!r}"
    return (
        f"{lead}{document}\t{department}\t{year}\t{table.translate(_COPY_ESCAPES)}\t"
        f"{_NULL if f_key is None else f_key}\t{_NULL if e_key is None else e_key}\t"
        f"{_NULL if l_key is None else l_key}\t{m_key}\t{format(amount, 'f')}\t"
        f"{amount_text.translate(_COPY_ESCAPES)}\t{unit.translate(_COPY_ESCAPES)}\t{format(yuan, 'f')}\t"
        f"{'t' if total else 'f'}\t{page}\t{row_index}\t{col_index}\t"
        f"{_NULL if flag is None else flag.translate(_COPY_ESCAPES)}\t{box}\n"
    )


#: Statements built once per process with named bind parameters (building a big upsert per call
#: costs more than running it; SQLAlchemy then finds the compiled form in its cache at once).
_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _cached_upsert(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    insert_only: Collection[str],
    *returning: Any,
) -> Insert:
    """``upsert`` with a bind parameter per column of ``values``, built once per (dialect, table, columns)."""
    key = (conn.dialect.name, table.name, tuple(values), tuple(conflict), tuple(insert_only), len(returning))
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        params = {c: bindparam(c, type_=table.c[c].type) for c in values}
        stmt = upsert(conn, table, params, conflict, insert_only=insert_only)
        if returning:
            stmt = stmt.returning(*returning)
        _STATEMENTS[key] = stmt
    return stmt


def _group_column(column: str) -> Any:
    """A RETURNING column of the etl_document upsert: ``column`` of the document's group (scalar subquery)."""
    return literal_column(
        f"(SELECT {column} FROM dim_document d JOIN dim_department p ON p.department_key = d.department_key"  # noqa: S608 - fixed column names
        " WHERE d.sha256 = etl_document.sha256)"
    )


#: PostgreSQL: what the etl_document upsert returns (inserted?, then the group as ``document_group``).
_ETL_RETURNING: tuple[Any, ...] = (
    literal_column("xmax = 0"),
    _group_column("p.department_id"),
    _group_column("d.fiscal_year"),
    _group_column("d.phase"),
    _group_column("d.scope"),
)


def _upsert_etl_document(
    conn: Connection,
    *,
    document: Document,
    facts: DocumentFacts | None,
    pages: int | None,
    status: str,
    reasons: Sequence[str],
    tables: Sequence[TableSummary],
    facts_loaded: int,
    pipeline_version: str,
    now: datetime,
) -> tuple[bool | None, tuple[str, int, str | None, str | None] | None]:
    """Insert or update the document's etl_document row; on PostgreSQL return (inserted, group).

    PostgreSQL says both in the same statement: ``xmax = 0`` only on a row this INSERT created,
    and the group (as ``document_group``) read by the statement, after the department lock.
    Elsewhere (None, None): SQLite's writer holds the database's write lock, so a read before tells.
    """
    values = {
        "sha256": document.sha256,
        "source": document.source,
        "source_file": document.source_file,
        "status": status,
        "reasons": json.dumps([str(r) for r in reasons], ensure_ascii=False),
        "department": facts.department if facts else None,
        "fiscal_year": facts.fiscal_year if facts else None,
        "phase": facts.phase if facts else None,
        "pages": pages,
        "tables_found": sum(1 for t in tables if t.present),
        "facts_loaded": facts_loaded,
        "pipeline_version": pipeline_version,
        "updated_at": now,
        "accepted_at": None,
        "accept_reason": None,
    }
    # acceptance is a steward's decision: a reload must not clear it
    postgres = conn.dialect.name == "postgresql"
    stmt = _cached_upsert(
        conn,
        ETL_DOCUMENT,
        values,
        ("sha256",),
        ("accepted_at", "accept_reason"),
        *(_ETL_RETURNING if postgres else ()),
    )
    if not postgres:
        conn.execute(stmt, values)
        return None, None
    inserted, department_id, year, phase, scope = conn.execute(stmt, values).one()
    group = None if department_id is None else (str(department_id), int(year), phase, scope)
    return bool(inserted), group


def _upsert_dim_document(
    conn: Connection,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    department_key: int,
    pipeline_version: str,
    now: datetime,
    source_url: str | None = None,
    fetched_at: datetime | None = None,
) -> int:
    """Insert or update the document's dim_document row; return its (stable) document_key.

    Currency columns are only set on insert (``refresh_currency`` owns them afterwards); the
    first load time is kept, so a reload does not make an older version current again.
    """
    values = {
        "sha256": document.sha256,
        "source": document.source,
        "source_file": document.source_file,
        "title": facts.title,
        "pages": pages,
        "phase": facts.phase,
        "unit": facts.unit,
        "fiscal_year": facts.fiscal_year,
        "department_key": department_key,
        "pipeline_version": pipeline_version,
        "loaded_at": now,
        "first_loaded_at": now,
        "scope": facts.scope,
        "source_url": source_url,
        "fetched_at": fetched_at,
        "is_current": True,
        "superseded_by": None,
        "retracted_at": None,
        "retract_reason": None,
    }
    keep = ("first_loaded_at", "is_current", "superseded_by", "retracted_at", "retract_reason")
    stmt = _cached_upsert(conn, DIM_DOCUMENT, values, ("sha256",), keep, DIM_DOCUMENT.c.document_key)
    return int(conn.execute(stmt, values).scalar_one())


def _replace_etl_tables(
    conn: Connection, sha256: str, tables: Sequence[TableSummary], *, fresh: bool = False
) -> None:
    """Replace the document's etl_table rows with ``tables`` (``fresh``: it has none yet, nothing to delete)."""
    if not fresh:
        conn.execute(delete(ETL_TABLE).where(ETL_TABLE.c.sha256 == sha256))
    rows = [
        {
            "sha256": sha256,
            "table_code": t.table_code,
            "title": t.title,
            "pages": ",".join(str(p) for p in t.pages),
            "present": bool(t.present),
            "is_empty": bool(t.is_empty),
            "rows": int(t.rows),
            "cells": int(t.cells),
            "unit": t.unit,
            "accuracy": t.accuracy,
            "whitespace": t.whitespace,
            "note": t.note,
            "outside_chars_pct": t.outside_chars_pct,
        }
        for t in tables
    ]
    if rows:
        _insert_rows(conn, ETL_TABLE, rows)
