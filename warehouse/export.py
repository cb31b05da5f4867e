"""Read side of the warehouse: facts export, document and table listings, document lookup."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, Select, func, select

from extract.models import TABLE_CODES
from warehouse.errors import AmbiguousDocumentError, DocumentNotFoundError
from warehouse.models import ETL_STATUSES
from warehouse.tables import (
    DIM_DEPARTMENT,
    DIM_DOCUMENT,
    DIM_ECONOMIC,
    DIM_FUNCTIONAL,
    DIM_LINE_ITEM,
    DIM_MEASURE,
    ETL_DOCUMENT,
    ETL_TABLE,
    FCT_AMOUNT,
)

#: The columns of ``export_facts``, in order: the public export contract first, lineage after.
FACT_COLUMNS: tuple[str, ...] = (
    "document_sha256",
    "source_file",
    "department",
    "fiscal_year",
    "phase",
    "table_code",
    "functional_code",
    "functional_name",
    "economic_code",
    "economic_name",
    "line_item",
    "parent_line_item",
    "measure",
    "amount",
    "unit",
    "amount_yuan",
    "page",
    "row_index",
    "col_index",
    "is_total",
    "cell_x0",
    "cell_top",
    "cell_x1",
    "cell_bottom",
)

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
)

_BOX_COLUMNS: tuple[str, ...] = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")

_HEX = re.compile(r"[0-9a-f]{1,64}")
_AMBIGUOUS_SHOWN = 5


def resolve_document(engine: Engine, prefix: str) -> str:
    """Return the sha256 of the one received document whose sha256 starts with ``prefix``.

    Raises
    ------
    DocumentNotFoundError
        ``prefix`` is not hexadecimal, or no document matches it.
    AmbiguousDocumentError
        Several documents match; the message lists some of them.

    """
    wanted = prefix.strip().lower()
    if not _HEX.fullmatch(wanted):
        raise DocumentNotFoundError(f"{prefix!r} is not a sha256 or sha256 prefix (1-64 hex digits)")
    stmt = (
        select(ETL_DOCUMENT.c.sha256)
        .where(ETL_DOCUMENT.c.sha256.startswith(wanted, autoescape=True))
        .order_by(ETL_DOCUMENT.c.sha256)
        .limit(_AMBIGUOUS_SHOWN + 1)
    )
    with engine.connect() as conn:
        matches = list(conn.execute(stmt).scalars())
    if not matches:
        raise DocumentNotFoundError(f"no document has a sha256 starting with {wanted!r}")
    if len(matches) > 1:
        shown = ", ".join(m[:16] for m in matches[:_AMBIGUOUS_SHOWN])
        more = " and more" if len(matches) > _AMBIGUOUS_SHOWN else ""
        raise AmbiguousDocumentError(
            f"sha256 prefix {wanted!r} matches several documents ({shown}{more}); give more digits"
        )
    return str(matches[0])


def export_facts(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return the facts of loaded documents (or of one, by sha256 prefix), one row per published cell.

    Columns are ``FACT_COLUMNS``. ``amount`` is the published decimal string ("2846.52", "0.00"),
    in ``unit``; ``amount_yuan`` is a Decimal in 元; ``cell_x0`` … ``cell_bottom`` are the cell's box in
    PDF points on the displayed page (origin top-left), NaN when unknown. Rows are sorted by sha256, table_code, page,
    row_index, col_index. Only documents whose ``etl_document.status`` is 'loaded' appear.
    """
    f, d, e = FCT_AMOUNT.c, DIM_DOCUMENT.c, ETL_DOCUMENT.c
    fs, es, li, me, dep = DIM_FUNCTIONAL.c, DIM_ECONOMIC.c, DIM_LINE_ITEM.c, DIM_MEASURE.c, DIM_DEPARTMENT.c
    source = (
        FCT_AMOUNT.join(DIM_DOCUMENT, d.document_key == f.document_key)
        .join(ETL_DOCUMENT, e.sha256 == d.sha256)
        .join(DIM_DEPARTMENT, dep.department_key == f.department_key)
        .join(DIM_MEASURE, me.measure_key == f.measure_key)
        .outerjoin(DIM_FUNCTIONAL, fs.functional_key == f.functional_key)
        .outerjoin(DIM_ECONOMIC, es.economic_key == f.economic_key)
        .outerjoin(DIM_LINE_ITEM, li.line_item_key == f.line_item_key)
    )
    stmt: Select[Any] = (
        select(
            d.sha256.label("document_sha256"),
            d.source_file,
            dep.name.label("department"),
            f.fiscal_year,
            d.phase,
            f.table_code,
            fs.code.label("functional_code"),
            fs.name.label("functional_name"),
            es.code.label("economic_code"),
            es.name.label("economic_name"),
            li.line_item,
            li.parent_line_item,
            me.header_path.label("measure"),
            f.amount_text.label("amount"),
            f.unit,
            f.amount_yuan,
            f.page,
            f.row_index,
            f.col_index,
            f.is_total,
            f.cell_x0,
            f.cell_top,
            f.cell_x1,
            f.cell_bottom,
        )
        .select_from(source)
        .where(e.status == "loaded")
        .order_by(d.sha256, f.table_code, f.page, f.row_index, f.col_index)
    )
    if document is not None:
        stmt = stmt.where(d.sha256 == resolve_document(engine, document))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    frame = pd.DataFrame.from_records(rows, columns=list(FACT_COLUMNS))
    for column in _BOX_COLUMNS:
        frame[column] = frame[column].astype("float64")
    for column in ("functional_name", "economic_name", "parent_line_item"):
        # '' stands for "none" inside the natural keys; give back None like stg_cells has it.
        frame[column] = frame[column].where(frame[column].fillna("") != "", None)
    return frame


def list_documents(engine: Engine, status: str | None = None) -> pd.DataFrame:
    """Return the received documents (``DOCUMENT_COLUMNS``), optionally one status only, sorted by sha256.

    ``reasons`` is the list of reasons joined with "; " ('' when there are none).
    """
    if status is not None and status not in ETL_STATUSES:
        raise ValueError(f"status must be one of {', '.join(ETL_STATUSES)}, not {status!r}")
    e = ETL_DOCUMENT.c
    stmt: Select[Any] = select(*(e[c] for c in DOCUMENT_COLUMNS)).order_by(e.sha256)
    if status is not None:
        stmt = stmt.where(e.status == status)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    frame = pd.DataFrame.from_records(rows, columns=list(DOCUMENT_COLUMNS))
    frame["reasons"] = [_join_reasons(r) for r in frame["reasons"]]
    for column in ("fiscal_year", "pages", "tables_found", "facts_loaded"):
        frame[column] = frame[column].astype("Int64")
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


def list_tables(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return what was found of each standard table (``TABLE_COLUMNS``), one row per (document, table)."""
    t = ETL_TABLE.c
    stmt: Select[Any] = select(*(t[c] for c in TABLE_COLUMNS)).order_by(t.sha256, t.table_code)
    if document is not None:
        stmt = stmt.where(t.sha256 == resolve_document(engine, document))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    frame = pd.DataFrame.from_records(rows, columns=list(TABLE_COLUMNS))
    for column in ("rows", "cells"):
        frame[column] = frame[column].astype("Int64")
    for column in ("present", "is_empty"):
        frame[column] = frame[column].astype(bool)
    for column in ("accuracy", "whitespace", "outside_chars_pct"):
        frame[column] = frame[column].astype("float64")
    return frame


def table_counts(engine: Engine) -> dict[str, int]:
    """Return the number of facts per table_code over loaded documents (every standard code, 0 when none)."""
    f = FCT_AMOUNT.c
    stmt = (
        select(f.table_code, func.count())
        .select_from(
            FCT_AMOUNT.join(DIM_DOCUMENT, DIM_DOCUMENT.c.document_key == f.document_key).join(
                ETL_DOCUMENT, ETL_DOCUMENT.c.sha256 == DIM_DOCUMENT.c.sha256
            )
        )
        .where(ETL_DOCUMENT.c.status == "loaded")
        .group_by(f.table_code)
    )
    counts = dict.fromkeys(TABLE_CODES, 0)
    with engine.connect() as conn:
        for code, count in conn.execute(stmt):
            counts[str(code)] = int(count)
    return dict(sorted(counts.items()))


#: Arrow types of the export columns; amounts are exact decimals (the warehouse's Numeric scales).
_ARROW_TYPES: dict[str, Any] = {
    "fiscal_year": pa.int32(),
    "amount": pa.decimal128(20, 4),
    "amount_yuan": pa.decimal128(20, 2),
    "page": pa.int32(),
    "row_index": pa.int32(),
    "col_index": pa.int32(),
    "is_total": pa.bool_(),
    "cell_x0": pa.float64(),
    "cell_top": pa.float64(),
    "cell_x1": pa.float64(),
    "cell_bottom": pa.float64(),
}


def facts_arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Return the facts export as an Arrow table: amounts ``decimal128`` (never float), other columns typed.

    ``amount`` (the published number, a decimal string in the CSV export) becomes
    ``decimal128(20, 4)`` and ``amount_yuan`` ``decimal128(20, 2)``, the scales of the warehouse
    columns (the cell box columns are float64 points); pyarrow refuses a value it could only store by rounding. Columns this function does not
    know are written as strings.
    """
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for column in frame.columns:
        kind = _ARROW_TYPES.get(str(column), pa.string())
        values = [None if _missing(v) else v for v in frame[column].tolist()]
        if kind == pa.decimal128(20, 4):
            values = [None if v is None else Decimal(str(v)) for v in values]
        elif kind == pa.bool_():
            values = [None if v is None else bool(v) for v in values]
        elif kind == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(str(column), kind, nullable=True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_facts_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write the facts export to a Parquet file (see ``facts_arrow_table`` for the column types)."""
    pq.write_table(facts_arrow_table(frame), path)


def _missing(value: Any) -> bool:
    """True for None, NaN and pd.NA (what a frame column holds for "no value")."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and value != value
