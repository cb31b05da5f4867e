"""Read side of the warehouse: facts export, document and table listings, document lookup.

The read-only commands use the row functions (:func:`fact_rows`, :func:`document_rows`,
:func:`table_rows`: SQLAlchemy Core, no pandas, no ORM models); their :meth:`~warehouse.rows.Rows.to_csv`
is byte for byte the CSV of the DataFrame functions (:func:`export_facts`, :func:`list_documents`,
:func:`list_tables`), which the Parquet and Fiscal Data Package exports and the library keep using.
pandas and pyarrow are imported inside the functions that need them.

This module lists the received documents and what was found of their tables, and is where callers find
the rest of the read side: the facts export (:mod:`warehouse.facts_export`), its Parquet form
(:mod:`warehouse.facts_parquet`), the lookup of a document by sha256 prefix
(:mod:`warehouse.document_lookup`) and the Core table handles (:mod:`warehouse.read_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, select

# the whole read side is importable from here (the CLI, the FDP export, the comparison and the tests do)
from warehouse.document_lookup import resolve_document
from warehouse.facts_export import FACT_COLUMNS, export_facts, fact_rows, table_counts  # noqa: F401
from warehouse.facts_parquet import facts_arrow_table, write_facts_parquet  # noqa: F401
from warehouse.read_schema import (  # noqa: F401
    CORE_TABLES,
    DIM_DEPARTMENT,
    DIM_DOCUMENT,
    DIM_ECONOMIC,
    DIM_FUNCTIONAL,
    DIM_LINE_ITEM,
    DIM_MEASURE,
    ETL_DOCUMENT,
    ETL_FETCH,
    ETL_FINDING,
    ETL_TABLE,
    FCT_AMOUNT,
)
from warehouse.rows import Dtype, Rows, converted, fetch, float_or_none
from warehouse.vocabulary import ETL_STATUSES

if TYPE_CHECKING:
    import pandas as pd

DOCUMENT_COLUMNS: tuple[str, ...] = (
    "sha256",
    "source",
    "department",
    "fiscal_year",
    "phase",
    "status",
    "reasons",
    "pages",
    "tables_found",
    "facts_loaded",
    "scope",
)

TABLE_COLUMNS: tuple[str, ...] = (
    "sha256",
    "table_code",
    "title",
    "pages",
    "present",
    "is_empty",
    "rows",
    "cells",
    "unit",
    "accuracy",
    "whitespace",
    "note",
    "outside_chars_pct",
    "ocr_confidence",
)

_DOCUMENT_INTS: tuple[str, ...] = ("fiscal_year", "pages", "tables_found", "facts_loaded")
_DOCUMENT_DTYPES: dict[str, Dtype] = dict.fromkeys(_DOCUMENT_INTS, "Int64")


def _documents_query(status: str | None, source: str | None = None) -> Select[Any]:
    """The SELECT of ``DOCUMENT_COLUMNS``, sorted by sha256; raise ValueError for an unknown status.

    ``source``: only documents some URL of that sources.yaml source delivered (etl_fetch.source).
    """
    if status is not None and status not in ETL_STATUSES:
        raise ValueError(f"status must be one of {', '.join(ETL_STATUSES)}, not {status!r}")
    e, d = ETL_DOCUMENT.c, DIM_DOCUMENT.c  # scope (部门 / 单位) is known once a document is read
    columns = [d.scope if c == "scope" else e[c] for c in DOCUMENT_COLUMNS]
    stmt: Select[Any] = (
        select(*columns).select_from(ETL_DOCUMENT.outerjoin(DIM_DOCUMENT, d.sha256 == e.sha256)).order_by(e.sha256)
    )
    if status is not None:
        stmt = stmt.where(e.status == status)
    if source is not None:
        f = ETL_FETCH.c
        stmt = stmt.where(select(f.url).where(f.sha256 == e.sha256, f.source == source).exists())
    return stmt


def document_rows(engine: Engine, status: str | None = None, source: str | None = None) -> Rows:
    """The received documents as rows (``DOCUMENT_COLUMNS``): what :func:`list_documents` returns, without pandas.

    ``source`` is a sources.yaml name (its documents only); the rows' ``source`` stays the URL or path.
    """
    rows = converted(fetch(engine, _documents_query(status, source)), DOCUMENT_COLUMNS, {"reasons": _join_reasons})
    return Rows(DOCUMENT_COLUMNS, rows, _DOCUMENT_DTYPES)


def list_documents(engine: Engine, status: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Return the received documents (``DOCUMENT_COLUMNS``), optionally one status or source only, sorted by sha256.

    ``reasons`` is the list of reasons joined with "; " ('' when there are none).
    """
    import pandas as pd

    rows = fetch(engine, _documents_query(status, source))
    frame = pd.DataFrame.from_records(rows, columns=list(DOCUMENT_COLUMNS))
    frame["reasons"] = [_join_reasons(r) for r in frame["reasons"]]
    for column_ in _DOCUMENT_INTS:
        frame[column_] = frame[column_].astype("Int64")
    return frame


def _join_reasons(stored: Any) -> str:
    """Render the stored JSON list of reasons as one '; '-joined string."""
    if stored is None or stored == "":
        return ""
    try:
        reasons = json.loads(stored)
    except (TypeError, ValueError):
        return str(stored)
    if isinstance(reasons, list):
        return "; ".join(str(r) for r in reasons)
    return str(reasons)


_TABLE_INTS: tuple[str, ...] = ("rows", "cells")
_TABLE_BOOLS: tuple[str, ...] = ("present", "is_empty")
_TABLE_FLOATS: tuple[str, ...] = ("accuracy", "whitespace", "outside_chars_pct", "ocr_confidence")
_TABLE_DTYPES: dict[str, Dtype] = {
    **dict.fromkeys(_TABLE_INTS, "Int64"),
    **dict.fromkeys(_TABLE_BOOLS, "bool"),
    **dict.fromkeys(_TABLE_FLOATS, "float64"),
}
_TABLE_CONVERT: dict[str, Callable[[Any], Any]] = {**dict.fromkeys(_TABLE_BOOLS, bool), **dict.fromkeys(_TABLE_FLOATS, float_or_none)}


def _tables_query(engine: Engine, document: str | None) -> Select[Any]:
    """The SELECT of ``TABLE_COLUMNS`` sorted by sha256 and table_code; ``document`` is a sha256 prefix."""
    t = ETL_TABLE.c
    stmt: Select[Any] = select(*(t[c] for c in TABLE_COLUMNS)).order_by(t.sha256, t.table_code)
    if document is not None:
        stmt = stmt.where(t.sha256 == resolve_document(engine, document))
    return stmt


def table_rows(engine: Engine, document: str | None = None) -> Rows:
    """What was found of each standard table as rows (``TABLE_COLUMNS``): :func:`list_tables` without pandas.

    ``present`` and ``is_empty`` are bools, the quality figures floats or None.
    """
    rows = converted(fetch(engine, _tables_query(engine, document)), TABLE_COLUMNS, _TABLE_CONVERT)
    return Rows(TABLE_COLUMNS, rows, _TABLE_DTYPES)


def list_tables(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return what was found of each standard table (``TABLE_COLUMNS``), one row per (document, table)."""
    import pandas as pd

    rows = fetch(engine, _tables_query(engine, document))
    frame = pd.DataFrame.from_records(rows, columns=list(TABLE_COLUMNS))
    for column_ in _TABLE_INTS:
        frame[column_] = frame[column_].astype("Int64")
    for column_ in _TABLE_BOOLS:
        frame[column_] = frame[column_].astype(bool)
    for column_ in _TABLE_FLOATS:
        frame[column_] = frame[column_].astype("float64")
    return frame


def findings_of_rule(engine: Engine, sha256: str, rule: str) -> list[dict[str, Any]]:
    """A document's findings of one rule (``etl_finding``), in finding order."""
    f = ETL_FINDING.c
    stmt = (
        select(f.table_code, f.row_label, f.measure, f.expected, f.found, f.page)
        .where((f.sha256 == sha256) & (f.rule == rule))
        .order_by(f.finding_no)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]
