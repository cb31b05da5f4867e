"""The transactional loader: one document's ``stg_cells`` into the star schema, in one transaction.

``load_document`` replaces a document's facts (delete, then insert with bound parameters);
dimensions are get-or-create on their natural keys, in bulk (one SELECT per dimension, one
multi-row INSERT for the missing members, one SELECT for their new keys). ``record_document``
books a document that is not loaded (failed / quarantined / skipped) and removes anything it
had in the star.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from extract.models import Document, DocumentFacts, TableSummary
from transform.stg_cells import STG_CELLS_COLUMNS, check_stg_cells
from warehouse.db import SQLITE_BEGIN_OPTION
from warehouse.errors import LoadError
from warehouse.models import (
    ECONOMIC_LEVELS,
    FUNCTIONAL_LEVELS,
    Base,
    economic_level,
    functional_level,
    parent_code,
)

NOT_LOADED_STATUSES: tuple[str, ...] = ("failed", "quarantined", "skipped")

_T = Base.metadata.tables
DIM_DEPARTMENT: Table = _T["dim_department"]
DIM_FUNCTIONAL: Table = _T["dim_functional_subject"]
DIM_ECONOMIC: Table = _T["dim_economic_subject"]
DIM_MEASURE: Table = _T["dim_measure"]
DIM_LINE_ITEM: Table = _T["dim_line_item"]
DIM_DOCUMENT: Table = _T["dim_document"]
FCT_AMOUNT: Table = _T["fct_amount"]
ETL_DOCUMENT: Table = _T["etl_document"]
ETL_TABLE: Table = _T["etl_table"]

_FEN = Decimal("0.01")
_MAX_AMOUNT_DIGITS = 16  # Numeric(20, 4): 16 digits before the point
_MAX_YUAN_DIGITS = 18  # Numeric(20, 2)


@dataclass(frozen=True)
class LoadResult:
    """What ``load_document`` did: the document, how many facts it now has, how long it took."""

    sha256: str
    facts_loaded: int
    seconds: float


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
) -> LoadResult:
    """Load one document's staged cells into the star schema in one transaction and book it as 'loaded'.

    Parameters
    ----------
    engine
        Warehouse engine (from ``warehouse.db.make_engine``), schema at head.
    document, facts, pages
        The received file, what it says about itself, and its page count.
    stg_cells
        The document's cells, satisfying the ``transform.stg_cells`` contract (an optional
        ``dq_flag`` column is stored as is).
    tables
        What was found of each standard table; replaces the document's ``etl_table`` rows.
    pipeline_version
        Version of the pipeline that produced ``stg_cells``.
    reasons
        Notes to keep with a loaded document (e.g. validation warnings); usually empty.

    Returns
    -------
    LoadResult
        The sha256, the number of facts the document now has, the seconds spent.

    Raises
    ------
    LoadError
        The document lacks department or fiscal year, or a cell cannot be stored exactly
        (nothing is written).
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
    cells = _prepare_cells(sha256, stg_cells)
    summaries = _check_tables(sha256, tables)
    now = datetime.now(UTC)
    with _write_transaction(engine) as conn:
        _upsert_etl_document(
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
        department_key = _get_or_create(
            conn,
            DIM_DEPARTMENT,
            "department_key",
            ("name",),
            {
                (facts.department,): {
                    "name": facts.department,
                    "department_id": facts.department,
                    "valid_from": facts.fiscal_year,
                    "is_current": True,
                }
            },
        )[(facts.department,)]
        document_key = _upsert_dim_document(
            conn,
            document=document,
            facts=facts,
            pages=pages,
            department_key=department_key,
            pipeline_version=pipeline_version,
            now=now,
        )
        keys = _dimension_keys(conn, cells)
        rows = _fact_rows(
            cells, keys, document_key=document_key, department_key=department_key, year=facts.fiscal_year
        )
        old_keys = _delete_facts(conn, document_key)
        _insert_facts(conn, rows, old_keys)
        _replace_etl_tables(conn, sha256, summaries)
    return LoadResult(sha256=sha256, facts_loaded=len(cells), seconds=time.perf_counter() - started)


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
) -> int:
    """Book a document that is not loaded (failed / quarantined / skipped) and remove its facts.

    One transaction: upsert ``etl_document`` (``facts_loaded`` 0), replace its ``etl_table``
    rows, delete whatever ``fct_amount`` and ``dim_document`` rows an earlier load left for this
    sha256. Returns the number of facts removed.
    """
    if status not in NOT_LOADED_STATUSES:
        raise ValueError(f"status must be one of {', '.join(NOT_LOADED_STATUSES)}, not {status!r}")
    summaries = _check_tables(document.sha256, tables)
    now = datetime.now(UTC)
    with _write_transaction(engine) as conn:
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
            now=now,
        )
        document_keys = select(DIM_DOCUMENT.c.document_key).where(DIM_DOCUMENT.c.sha256 == document.sha256)
        removed = conn.execute(
            delete(FCT_AMOUNT).where(FCT_AMOUNT.c.document_key.in_(document_keys))
        ).rowcount
        conn.execute(delete(DIM_DOCUMENT).where(DIM_DOCUMENT.c.sha256 == document.sha256))
        _replace_etl_tables(conn, document.sha256, summaries)
    return max(int(removed), 0)


@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a connection and a transaction that holds SQLite's write lock from BEGIN; commit or roll back."""
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


def _text(value: Any) -> str | None:
    """Return ``value`` as text, or None when missing (None, NaN, pd.NA, '')."""
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
    """Convert one stg_cells record (STG_CELLS_COLUMNS order, then dq_flag) to a _Cell."""
    (table_code, page, row_index, col_index, f_code, f_name, e_code, e_name, line_item, parent, measure) = (
        record[:11]
    )
    amount, unit, amount_yuan, is_total, _raw_text, flag = record[11:17]
    table = str(table_code)

    def fail(problem: str) -> LoadError:
        """Build a LoadError naming the cell as precisely as it is known."""
        where = f"document {sha256[:12]} table {table}"
        where += f" page {page} row {row_index} column {col_index} (stg_cells row {number})"
        return LoadError(f"{where}: {problem}")

    position = []
    for what, value in (("page", page), ("row_index", row_index), ("col_index", col_index)):
        try:
            position.append(_integer(value))
        except (TypeError, ValueError, OverflowError):
            raise fail(f"{what} must be an integer, got {value!r}") from None
    functional = economic = None
    code = _text(f_code)
    if code is not None:
        if len(code) not in FUNCTIONAL_LEVELS:
            raise fail(f"functional code {code!r} is not 3, 5 or 7 digits long")
        functional = (code, _text(f_name) or "")
    code = _text(e_code)
    if code is not None:
        if len(code) not in ECONOMIC_LEVELS:
            raise fail(f"economic code {code!r} is not 3 or 5 digits long")
        economic = (code, _text(e_name) or "")
    problem = _amount_problem(amount, max_digits=_MAX_AMOUNT_DIGITS, max_scale=4)
    if problem:
        raise fail(f"amount {problem}")
    if amount_yuan.is_finite() and amount_yuan.adjusted() < _MAX_YUAN_DIGITS:
        amount_yuan = amount_yuan.quantize(_FEN, rounding=ROUND_HALF_UP)
    problem = _amount_problem(amount_yuan, max_digits=_MAX_YUAN_DIGITS, max_scale=2)
    if problem:
        raise fail(f"amount_yuan {problem}")
    label = _text(line_item)
    return _Cell(
        table_code=table,
        page=position[0],
        row_index=position[1],
        col_index=position[2],
        functional=functional,
        economic=economic,
        line_item=(table, label, _text(parent) or "") if label is not None else None,
        measure=(table, str(measure)),
        amount=amount,
        amount_text=format(amount, "f"),
        unit=str(unit),
        amount_yuan=amount_yuan,
        is_total=is_total is True or (is_total is not None and not pd.isna(is_total) and bool(is_total)),
        dq_flag=_text(flag),
    )


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


def _upsert(
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


def _select_keys(
    conn: Connection, table: Table, key: str, natural: Sequence[str], wanted: Collection[tuple[Any, ...]]
) -> dict[tuple[Any, ...], int]:
    """Return {natural key: surrogate key} for the wanted members that exist (one SELECT)."""
    if not wanted:
        return {}
    first = sorted({k[0] for k in wanted})
    columns = [table.c[name] for name in natural]
    stmt = select(table.c[key], *columns).where(columns[0].in_(first))
    found: dict[tuple[Any, ...], int] = {}
    for row in conn.execute(stmt):
        natural_key = tuple(row[1:])
        if natural_key in wanted:
            found[natural_key] = int(row[0])
    return found


def _get_or_create(
    conn: Connection,
    table: Table,
    key: str,
    natural: Sequence[str],
    members: Mapping[tuple[Any, ...], Mapping[str, Any]],
) -> dict[tuple[Any, ...], int]:
    """Return surrogate keys of ``members`` (natural key → row), inserting the missing ones in bulk."""
    wanted = set(members)
    found = _select_keys(conn, table, key, natural, wanted)
    missing = sorted(k for k in members if k not in found)  # one order for all writers: no deadlocks on PG
    if missing:
        stmt = _dialect_insert(conn, table)
        if isinstance(stmt, postgresql.Insert | sqlite.Insert):
            stmt = stmt.on_conflict_do_nothing(index_elements=list(natural))
        conn.execute(stmt, [dict(members[k]) for k in missing])
        found.update(_select_keys(conn, table, key, natural, set(missing)))
    return found


@dataclass(frozen=True)
class _Keys:
    """Surrogate keys of the dimension members the cells refer to."""

    functional: dict[tuple[Any, ...], int]
    economic: dict[tuple[Any, ...], int]
    line_item: dict[tuple[Any, ...], int]
    measure: dict[tuple[Any, ...], int]


def _dimension_keys(conn: Connection, cells: Iterable[_Cell]) -> _Keys:
    """Get or create every dimension member the cells refer to (a few statements per dimension)."""
    functional: dict[tuple[Any, ...], dict[str, Any]] = {}
    economic: dict[tuple[Any, ...], dict[str, Any]] = {}
    line_items: dict[tuple[Any, ...], dict[str, Any]] = {}
    measures: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cell in cells:
        if cell.functional is not None and cell.functional not in functional:
            code, name = cell.functional
            functional[cell.functional] = {
                "code": code,
                "name": name,
                "level": functional_level(code),
                "parent_code": parent_code(code),
            }
        if cell.economic is not None and cell.economic not in economic:
            code, name = cell.economic
            economic[cell.economic] = {
                "code": code,
                "name": name,
                "level": economic_level(code),
                "parent_code": parent_code(code),
            }
        if cell.line_item is not None and cell.line_item not in line_items:
            table, label, parent = cell.line_item
            line_items[cell.line_item] = {"table_code": table, "line_item": label, "parent_line_item": parent}
        if cell.measure not in measures:
            measures[cell.measure] = {"table_code": cell.measure[0], "header_path": cell.measure[1]}
    return _Keys(
        functional=_get_or_create(conn, DIM_FUNCTIONAL, "functional_key", ("code", "name"), functional),
        economic=_get_or_create(conn, DIM_ECONOMIC, "economic_key", ("code", "name"), economic),
        line_item=_get_or_create(
            conn,
            DIM_LINE_ITEM,
            "line_item_key",
            ("line_item", "table_code", "parent_line_item"),
            _reorder(line_items),
        ),
        measure=_get_or_create(
            conn, DIM_MEASURE, "measure_key", ("header_path", "table_code"), _reorder(measures)
        ),
    )


def _reorder(members: dict[tuple[Any, ...], dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Key (table_code, x, …) members by (x, table_code, …) so the SELECT filters on the selective column."""
    return {(k[1], k[0], *k[2:]): v for k, v in members.items()}


def _fact_rows(
    cells: Sequence[_Cell], keys: _Keys, *, document_key: int, department_key: int, year: int
) -> list[dict[str, Any]]:
    """Build the fct_amount parameter rows (bound parameters for one executemany)."""
    rows: list[dict[str, Any]] = []
    for cell in cells:
        line_item_key = None
        if cell.line_item is not None:
            table, label, parent = cell.line_item
            line_item_key = keys.line_item[(label, table, parent)]
        rows.append(
            {
                "document_key": document_key,
                "department_key": department_key,
                "fiscal_year": year,
                "table_code": cell.table_code,
                "functional_key": keys.functional[cell.functional] if cell.functional is not None else None,
                "economic_key": keys.economic[cell.economic] if cell.economic is not None else None,
                "line_item_key": line_item_key,
                "measure_key": keys.measure[(cell.measure[1], cell.measure[0])],
                "amount": cell.amount,
                "amount_text": cell.amount_text,
                "unit": cell.unit,
                "amount_yuan": cell.amount_yuan,
                "is_total": cell.is_total,
                "page": cell.page,
                "row_index": cell.row_index,
                "col_index": cell.col_index,
                "dq_flag": cell.dq_flag,
            }
        )
    return rows


def _delete_facts(conn: Connection, document_key: int) -> dict[tuple[str, int, int, int], int]:
    """Delete the document's facts; return {(table_code, page, row_index, col_index): amount_key} of them."""
    f = FCT_AMOUNT.c
    stmt = (
        delete(FCT_AMOUNT)
        .where(f.document_key == document_key)
        .returning(f.amount_key, f.table_code, f.page, f.row_index, f.col_index)
    )
    return {(table, page, row, col): key for key, table, page, row, col in conn.execute(stmt).tuples()}


def _insert_facts(
    conn: Connection, rows: Sequence[dict[str, Any]], old_keys: Mapping[tuple[str, int, int, int], int]
) -> None:
    """Insert the fact rows (executemany); a cell loaded before gets its old amount_key back."""
    kept: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for row in rows:
        old = old_keys.get((row["table_code"], row["page"], row["row_index"], row["col_index"]))
        if old is None:
            new.append(row)
        else:
            kept.append({**row, "amount_key": old})
    for batch in (kept, new):
        if batch:
            conn.execute(insert(FCT_AMOUNT), batch)


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
) -> None:
    """Insert or update the document's etl_document row."""
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
    }
    conn.execute(_upsert(conn, ETL_DOCUMENT, values, ("sha256",)))


def _upsert_dim_document(
    conn: Connection,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    department_key: int,
    pipeline_version: str,
    now: datetime,
) -> int:
    """Insert or update the document's dim_document row; return its (stable) document_key."""
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
        "is_current": True,
    }
    stmt = _upsert(conn, DIM_DOCUMENT, values, ("sha256",), insert_only=("first_loaded_at",)).returning(DIM_DOCUMENT.c.document_key)
    return int(conn.execute(stmt).scalar_one())


def _replace_etl_tables(conn: Connection, sha256: str, tables: Sequence[TableSummary]) -> None:
    """Replace the document's etl_table rows with ``tables``."""
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
        }
        for t in tables
    ]
    if rows:
        conn.execute(insert(ETL_TABLE), rows)
