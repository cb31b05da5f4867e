"""Fact writers: how each backend writes a load's rows in bulk, behind one Protocol chosen once per engine.

``FactWriter`` is what the loader needs from a backend: its INSERT construct (for upserts), a
get-or-create of dimension members, a bulk insert of bookkeeping rows and the fact insert.
``SqliteWriter`` binds plain tuples in one DBAPI ``executemany``; ``PostgresWriter`` sends one
``INSERT … SELECT FROM unnest(arrays)`` per statement and the facts by ``COPY``. ``fact_writer``
picks the writer of an engine's (or connection's) dialect; the warehouse writes to these two only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from warehouse.cells import FACT_COLUMNS, FactRow, Position, split_kept
from warehouse.tables import FCT_AMOUNT, Dimension

#: Dimension members wanted: natural key → the row to insert (in ``Dimension.columns`` order).
Members = Mapping[tuple[Any, ...], tuple[Any, ...]]
#: Dimension members found: natural key → (surrogate key, *extra).
Found = dict[tuple[Any, ...], tuple[Any, ...]]
#: An INSERT construct with ON CONFLICT clauses (SQLite's and PostgreSQL's have the same interface).
DialectInsert = postgresql.Insert | sqlite.Insert


class FactWriter(Protocol):
    """How one backend writes: INSERT construct, dimension members, bookkeeping rows, facts."""

    #: whether an upsert can return whether it inserted and what it read (``RETURNING xmax = 0``)
    upsert_returns_state: bool

    def insert(self, table: Table) -> DialectInsert:
        """Return the dialect's INSERT construct (with ON CONFLICT)."""
        ...

    def get_or_create(self, conn: Connection, wanted: Sequence[tuple[Dimension, Members]]) -> list[Found]:
        """Return, per dimension, {natural key: (surrogate key, *extra)} of its members, creating the missing ones."""
        ...

    def insert_rows(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows (dicts with the same keys, at least one) into ``table``."""
        ...

    def write_facts(self, conn: Connection, kept: Sequence[FactRow], new: Sequence[FactRow]) -> None:
        """Insert fact rows: ``kept`` lead with their amount_key, ``new`` get one from the sequence."""
        ...


class SqliteWriter:
    """SQLite: SELECT / INSERT … ON CONFLICT DO NOTHING / SELECT for members, executemany for rows and facts."""

    # SQLite has no xmax; its writer holds the database's write lock, so a read before the upsert tells
    upsert_returns_state = False

    def insert(self, table: Table) -> DialectInsert:
        """Return SQLite's INSERT construct."""
        return sqlite.insert(table)

    def get_or_create(self, conn: Connection, wanted: Sequence[tuple[Dimension, Members]]) -> list[Found]:
        """Get or create each dimension's members: one SELECT, one multi-row INSERT of the missing, one SELECT."""
        return [self._get_or_create(conn, dimension, members) for dimension, members in wanted]

    def _get_or_create(self, conn: Connection, d: Dimension, members: Members) -> Found:
        """One dimension; a member another writer inserted meanwhile is selected afterwards."""
        if not members:
            return {}
        found = select_keys(conn, d, set(members))
        missing = sorted(k for k in members if k not in found)  # one order for all writers: no deadlocks
        if missing:
            stmt = sqlite.insert(d.table).on_conflict_do_nothing(index_elements=list(d.natural))
            conn.execute(stmt, [dict(zip(d.columns, members[k], strict=True)) for k in missing])
            found.update(select_keys(conn, d, set(missing)))
        return found

    def insert_rows(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany of the rows."""
        conn.execute(table.insert(), [dict(row) for row in rows])

    def write_facts(self, conn: Connection, kept: Sequence[FactRow], new: Sequence[FactRow]) -> None:
        """One DBAPI executemany of plain tuples (SQLAlchemy's per-row parameter processing is the cost).

        Values are bound as SQLAlchemy would bind them: Decimal as float (SQLite has no decimal type;
        ``Numeric`` reads them back as Decimal at the column's scale), booleans as 0/1.
        """
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for batch, names in ((kept, FACT_COLUMNS), (new, FACT_COLUMNS[1:])):  # new rows: amount_key by SQLite
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


#: The widest natural key of a dimension (dim_measure: table_code, header_path, phase, table_type): the
#: PostgreSQL get-or-create returns every dimension's natural key padded to this many columns.
_NATURAL_WIDTH = 4


class PostgresWriter:
    """PostgreSQL: one statement per get-or-create and per bulk insert (arrays through unnest), COPY for facts.

    The statements are built once per (table, columns) and prepared by psycopg after a few uses.
    """

    upsert_returns_state = True

    def __init__(self) -> None:
        self._sql: dict[Any, str] = {}

    def insert(self, table: Table) -> DialectInsert:
        """Return PostgreSQL's INSERT construct."""
        return postgresql.insert(table)

    def get_or_create(self, conn: Connection, wanted: Sequence[tuple[Dimension, Members]]) -> list[Found]:
        """Get or create the members of every dimension in one round trip.

        The final SELECT reads the statement's snapshot, so a member a concurrent transaction
        committed meanwhile (its INSERT here did nothing) is missing from the answer: those are
        selected afterwards.
        """
        params: dict[str, list[Any]] = {}
        for number, (d, members) in enumerate(wanted):
            for i, c in enumerate(d.columns):
                params[f"d{number}_{c}"] = [row[i] for row in members.values()]
        found: list[Found] = [{} for _ in wanted]
        sql = self._get_or_create_sql([d for d, _ in wanted])
        extra = 2 + _NATURAL_WIDTH  # where the extra columns start in a returned row
        for row in conn.exec_driver_sql(sql, params):
            d = wanted[row[0]][0]
            found[row[0]][tuple(row[2 : 2 + len(d.natural)])] = (int(row[1]), *row[extra : extra + len(d.extra)])
        for (d, members), got in zip(wanted, found, strict=True):
            missing = {k for k in members if k not in got}
            if missing:
                got.update(select_keys(conn, d, missing))
        return found

    def _get_or_create_sql(self, dimensions: Sequence[Dimension]) -> str:
        """One statement: per dimension insert the members not there yet (in natural-key order), return all keys.

        Rows come back as (dimension number, key, natural key padded to ``_NATURAL_WIDTH`` texts, extra
        padded to 2 ints).
        """
        cache_key = ("*", tuple((d.table.name, d.columns, d.extra) for d in dimensions))
        sql = self._sql.get(cache_key)
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
                f"ORDER BY {', '.join('i.' + n for n in d.natural)} "  # one insertion order for all writers
                f"ON CONFLICT DO NOTHING RETURNING {', '.join(out)})"
            )
            naturals = [f"{{p}}{n}::text" for n in d.natural] + ["NULL::text"] * (_NATURAL_WIDTH - len(d.natural))
            extras = [f"{{p}}{e}::integer" for e in d.extra] + ["NULL::integer"] * (2 - len(d.extra))
            columns = ", ".join([f"{number}", f"{{p}}{d.key}", *naturals, *extras])
            selects.append(f"SELECT {columns.format(p='')} FROM ins{number}")  # noqa: S608
            selects.append(f"SELECT {columns.format(p='t.')} FROM {name} t JOIN i{number} i ON {match}")  # noqa: S608
        sql = f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}"
        self._sql[cache_key] = sql
        return sql

    def insert_rows(self, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """One INSERT … SELECT FROM unnest(arrays): a constant statement instead of an executemany's pipeline."""
        columns = tuple(rows[0])
        cache_key = (table.name, columns)
        sql = self._sql.get(cache_key)
        if sql is None:
            types = _pg_array_types(table, columns)
            arrays = ", ".join(f"%({c})s::{types[c]}[]" for c in columns)
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"  # noqa: S608
            self._sql[cache_key] = sql
        conn.exec_driver_sql(sql, {c: [row[c] for row in rows] for c in columns})

    def write_facts(self, conn: Connection, kept: Sequence[FactRow], new: Sequence[FactRow]) -> None:
        """COPY the rows in text format (lines formatted directly, no per-value dispatch).

        Kept rows carry their old amount_key; new rows go in a COPY without the column, so its
        default (the sequence) numbers them on the server, in document order, with no extra round trip.
        """
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for batch, names, lead in ((kept, FACT_COLUMNS, 1), (new, FACT_COLUMNS[1:], 0)):
                if batch:
                    lines = [_copy_line(row[lead:], f"{row[0]}\t" if lead else "") for row in batch]
                    with cursor.copy(f"COPY fct_amount ({', '.join(names)}) FROM STDIN") as copy:
                        copy.write("".join(lines))
        finally:
            cursor.close()


def _pg_array_types(table: Table, columns: Sequence[str]) -> dict[str, str]:
    """PostgreSQL type names of ``columns`` (for the array casts of unnest parameters)."""
    dialect = postgresql.dialect()
    return {c: table.c[c].type.compile(dialect=dialect).lower() for c in columns}


#: COPY text format escapes (backslash, tab, newline, carriage return).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"  # COPY text format


def _copy_line(row: FactRow, lead: str) -> str:
    """One fact row (``fact_rows`` order) as a COPY text line; NULL is backslash-N."""
    (document, department, year, table, f_key, e_key, l_key, m_key, amount, amount_text, unit, yuan, total) = row[:13]
    page, row_index, col_index, flag, x0, top, x1, bottom, method, sheet, sheet_row, sheet_col, stored, confidence = row[13:]
    box = f"{_NULL}\t{_NULL}\t{_NULL}\t{_NULL}" if x0 is None else f"{x0!r}\t{top!r}\t{x1!r}\t{bottom!r}"
    where = (
        f"{_NULL}\t{_NULL}\t{_NULL}\t{_NULL}" if sheet is None
        else f"{sheet.translate(_COPY_ESCAPES)}\t{_NULL if sheet_row is None else sheet_row}\t"
        f"{_NULL if sheet_col is None else sheet_col}\t{_NULL if stored is None else stored.translate(_COPY_ESCAPES)}"
    )
    return (
        f"{lead}{document}\t{department}\t{year}\t{table.translate(_COPY_ESCAPES)}\t"
        f"{_NULL if f_key is None else f_key}\t{_NULL if e_key is None else e_key}\t"
        f"{_NULL if l_key is None else l_key}\t{m_key}\t{format(amount, 'f')}\t"
        f"{amount_text.translate(_COPY_ESCAPES)}\t{unit.translate(_COPY_ESCAPES)}\t{format(yuan, 'f')}\t"
        f"{'t' if total else 'f'}\t{page}\t{row_index}\t{col_index}\t"
        f"{_NULL if flag is None else flag.translate(_COPY_ESCAPES)}\t{box}\t{method}\t{where}\t"
        f"{_NULL if confidence is None else repr(confidence)}\n"
    )


_WRITERS: dict[str, FactWriter] = {"sqlite": SqliteWriter(), "postgresql": PostgresWriter()}


def fact_writer(bind: Engine | Connection) -> FactWriter:
    """Return the writer of ``bind``'s dialect; raise NotImplementedError for a dialect other than SQLite / PostgreSQL."""
    name = bind.dialect.name
    writer = _WRITERS.get(name)
    if writer is None:
        raise NotImplementedError(f"the warehouse writes to SQLite and PostgreSQL, not {name}")
    return writer


def select_keys(conn: Connection, d: Dimension, wanted: Collection[tuple[Any, ...]]) -> Found:
    """Return {natural key: (surrogate key, *extra)} for the wanted members that exist (one SELECT).

    The SELECT filters on the dimension's selective natural column and keeps exact matches.
    """
    values = sorted({k[d.filter_on] for k in wanted})
    columns = [d.table.c[name] for name in d.natural]
    stmt = select(d.table.c[d.key], *columns, *(d.table.c[name] for name in d.extra)).where(
        columns[d.filter_on].in_(values)
    )
    found: Found = {}
    width = 1 + len(d.natural)
    for row in conn.execute(stmt):
        natural_key = tuple(row[1:width])
        if natural_key in wanted:
            found[natural_key] = (int(row[0]), *row[width:])
    return found


def delete_facts(conn: Connection, document_key: int) -> dict[Position, int]:
    """Delete the document's facts; return {(table_code, page, row_index, col_index): amount_key} of them."""
    f = FCT_AMOUNT.c
    stmt = (
        delete(FCT_AMOUNT)
        .where(f.document_key == document_key)
        .returning(f.amount_key, f.table_code, f.page, f.row_index, f.col_index)
    )
    return {(table, page, row, col): key for key, table, page, row, col in conn.execute(stmt).tuples()}


def insert_facts(
    conn: Connection, writer: FactWriter, rows: Sequence[FactRow], old_keys: Mapping[Position, int]
) -> None:
    """Insert the fact rows; a cell loaded before gets its old amount_key back."""
    if not rows:
        return
    kept, new = split_kept(rows, old_keys)
    writer.write_facts(conn, kept, new)


def upsert(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    insert_only: Collection[str] = (),
) -> Insert:
    """Build INSERT … ON CONFLICT (conflict) DO UPDATE SET every other column except ``insert_only``."""
    return _upsert(fact_writer(conn), table, values, conflict, insert_only)


def _upsert(
    writer: FactWriter, table: Table, values: Mapping[str, Any], conflict: Sequence[str], insert_only: Collection[str]
) -> Insert:
    """``upsert`` with the writer already chosen."""
    updates = {k: v for k, v in values.items() if k not in conflict and k not in insert_only}
    stmt = writer.insert(table).values(**values)
    return stmt.on_conflict_do_update(index_elements=list(conflict), set_=updates)


#: Upserts built once per process with named bind parameters (building a big upsert per call
#: costs more than running it; SQLAlchemy then finds the compiled form in its cache at once).
_UPSERTS: dict[tuple[Any, ...], Insert] = {}


def cached_upsert(
    writer: FactWriter,
    table: Table,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    insert_only: Collection[str],
    *returning: Any,
) -> Insert:
    """``upsert`` with a bind parameter per column of ``values``, built once per (writer, table, columns)."""
    key = (id(writer), table.name, tuple(values), tuple(conflict), tuple(insert_only), len(returning))
    stmt = _UPSERTS.get(key)
    if stmt is None:
        params = {c: bindparam(c, type_=table.c[c].type) for c in values}
        stmt = _upsert(writer, table, params, conflict, insert_only)
        if returning:
            stmt = stmt.returning(*returning)
        _UPSERTS[key] = stmt
    return stmt
