"""Read side of the warehouse: facts export, document and table listings, document lookup.

The read-only commands use the row functions (:func:`fact_rows`, :func:`document_rows`,
:func:`table_rows`: SQLAlchemy Core, no pandas, no ORM models); their :meth:`~warehouse.rows.Rows.to_csv`
is byte for byte the CSV of the DataFrame functions (:func:`export_facts`, :func:`list_documents`,
:func:`list_tables`), which the Parquet and Fiscal Data Package exports and the library keep using.
pandas and pyarrow are imported inside the functions that need them.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Engine,
    Float,
    Integer,
    Numeric,
    Select,
    Text,
    case,
    column,
    func,
    select,
    table,
)

from extract.models import TABLE_CODES
from warehouse.errors import AmbiguousDocumentError, DocumentNotFoundError
from warehouse.rows import Dtype, Rows

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: ``warehouse.models.ETL_STATUSES`` (a test keeps them equal; the models cost 0.1 s to import)
ETL_STATUSES: tuple[str, ...] = ("loaded", "failed", "quarantined", "skipped", "superseded", "retracted")

# The columns this module reads, typed as in ``warehouse.models`` (a test compares them): Core handles
# that need neither the ORM nor the models' metadata. The types decide what comes back (Numeric(20, 2) →
# Decimal with 2 places, Boolean → bool on SQLite too).
ETL_DOCUMENT = table(
    "etl_document",
    column("sha256", Text),
    column("source", Text),
    column("status", Text),
    column("reasons", Text),
    column("department", Text),
    column("fiscal_year", Integer),
    column("phase", Text),
    column("pages", Integer),
    column("tables_found", Integer),
    column("facts_loaded", Integer),
)
ETL_TABLE = table(
    "etl_table",
    column("sha256", Text),
    column("table_code", Text),
    column("title", Text),
    column("pages", Text),
    column("present", Boolean),
    column("is_empty", Boolean),
    column("rows", Integer),
    column("cells", Integer),
    column("unit", Text),
    column("accuracy", Float),
    column("whitespace", Float),
    column("note", Text),
    column("outside_chars_pct", Float),
    column("ocr_confidence", Float),
    column("table_type", Text),
)
DIM_DOCUMENT = table(
    "dim_document",
    column("document_key", Integer),
    column("sha256", Text),
    column("source_file", Text),
    column("phase", Text),
    column("scope", Text),
)
DIM_DEPARTMENT = table("dim_department", column("department_key", Integer), column("name", Text))
DIM_MEASURE = table("dim_measure", column("measure_key", Integer), column("header_path", Text))
DIM_FUNCTIONAL = table(
    "dim_functional_subject", column("functional_key", Integer), column("code", Text), column("name", Text)
)
DIM_ECONOMIC = table("dim_economic_subject", column("economic_key", Integer), column("code", Text), column("name", Text))
DIM_LINE_ITEM = table(
    "dim_line_item", column("line_item_key", Integer), column("line_item", Text), column("parent_line_item", Text)
)
FCT_AMOUNT = table(
    "fct_amount",
    column("document_key", Integer),
    column("department_key", Integer),
    column("measure_key", Integer),
    column("functional_key", Integer),
    column("economic_key", Integer),
    column("line_item_key", Integer),
    column("fiscal_year", Integer),
    column("table_code", Text),
    column("amount_text", Text),
    column("unit", Text),
    column("amount_yuan", Numeric(20, 2)),
    column("page", Integer),
    column("row_index", Integer),
    column("col_index", Integer),
    column("is_total", Boolean),
    column("cell_x0", Float),
    column("cell_top", Float),
    column("cell_x1", Float),
    column("cell_bottom", Float),
    column("extraction_method", Text),
    column("sheet", Text),
    column("sheet_row", Integer),
    column("sheet_col", Integer),
    column("amount_stored", Text),
    column("ocr_confidence", Float),
)
# the URLs a document was fetched from, and the sources.yaml name of each (0006)
ETL_FETCH = table("etl_fetch", column("url", Text), column("sha256", Text), column("source", Text))
CORE_TABLES = (ETL_DOCUMENT, ETL_TABLE, DIM_DOCUMENT, DIM_DEPARTMENT, DIM_MEASURE, DIM_FUNCTIONAL, DIM_ECONOMIC, DIM_LINE_ITEM, FCT_AMOUNT, ETL_FETCH)

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
    "table_title",
    "table_type",
    "sheet",
    "row",
    "col",
    "extraction_method",
    "amount_stored",
    "ocr_confidence",
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


def _facts_query(engine: Engine, document: str | None) -> Select[Any]:
    """The SELECT of the facts export (``FACT_COLUMNS``); ``document`` is resolved as a sha256 prefix."""
    f, d, e = FCT_AMOUNT.c, DIM_DOCUMENT.c, ETL_DOCUMENT.c
    fs, es, li, me, dep, tb = DIM_FUNCTIONAL.c, DIM_ECONOMIC.c, DIM_LINE_ITEM.c, DIM_MEASURE.c, DIM_DEPARTMENT.c, ETL_TABLE.c
    source = (
        FCT_AMOUNT.join(DIM_DOCUMENT, d.document_key == f.document_key)
        .join(ETL_DOCUMENT, e.sha256 == d.sha256)
        .join(DIM_DEPARTMENT, dep.department_key == f.department_key)
        .join(DIM_MEASURE, me.measure_key == f.measure_key)
        .outerjoin(DIM_FUNCTIONAL, fs.functional_key == f.functional_key)
        .outerjoin(DIM_ECONOMIC, es.economic_key == f.economic_key)
        .outerjoin(DIM_LINE_ITEM, li.line_item_key == f.line_item_key)
        .outerjoin(ETL_TABLE, (tb.sha256 == d.sha256) & (tb.table_code == f.table_code))
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
            case((f.extraction_method == "sheet", None), else_=f.page).label("page"),  # a sheet has no page
            f.row_index,
            f.col_index,
            f.is_total,
            f.cell_x0,
            f.cell_top,
            f.cell_x1,
            f.cell_bottom,
            tb.title.label("table_title"),
            tb.table_type,
            f.sheet,
            f.sheet_row.label("row"),
            f.sheet_col.label("col"),
            f.extraction_method,
            f.amount_stored,
            f.ocr_confidence,
        )
        .select_from(source)
        .where(e.status == "loaded")
        .order_by(d.sha256, f.table_code, f.page, f.row_index, f.col_index)
    )
    if document is not None:
        stmt = stmt.where(d.sha256 == resolve_document(engine, document))
    return stmt


def _fetch(engine: Engine, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Run ``stmt``; its rows as tuples."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


#: ``FACT_COLUMNS`` names whose '' stands for "none" inside the natural keys (given back as None)
_NONE_IF_EMPTY: tuple[str, ...] = ("functional_name", "economic_name", "parent_line_item")
#: float columns of the export: the cell box (points) and the OCR confidence (0–1)
_FLOAT_COLUMNS: tuple[str, ...] = (*_BOX_COLUMNS, "ocr_confidence")
_FACT_DTYPES: dict[str, Dtype] = dict.fromkeys(_FLOAT_COLUMNS, "float64")


def fact_rows(engine: Engine, document: str | None = None) -> Rows:
    """The facts export as rows (``FACT_COLUMNS``): what :func:`export_facts` returns, without pandas.

    ``amount_yuan`` is a Decimal, the box columns floats or None, the names of ``_NONE_IF_EMPTY``
    None where the warehouse stores ''; ``to_csv`` is the CSV of :func:`export_facts`.
    """
    boxes = {FACT_COLUMNS.index(c) for c in _FLOAT_COLUMNS}
    nullable = {FACT_COLUMNS.index(c) for c in _NONE_IF_EMPTY}
    rows = []
    for raw in _fetch(engine, _facts_query(engine, document)):
        row = list(raw)
        for i in boxes:
            row[i] = None if row[i] is None else float(row[i])
        for i in nullable:
            row[i] = None if row[i] == "" else row[i]
        rows.append(tuple(row))
    return Rows(FACT_COLUMNS, rows, _FACT_DTYPES)


def export_facts(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return the facts of loaded documents (or of one, by sha256 prefix), one row per published cell.

    Columns are ``FACT_COLUMNS``. ``amount`` is the published decimal string ("2846.52", "0.00"),
    in ``unit``; ``amount_yuan`` is a Decimal in 元; ``cell_x0`` … ``cell_bottom`` are the cell's box in
    PDF points on the displayed page (origin top-left), NaN when unknown. Rows are sorted by sha256, table_code, page,
    row_index, col_index. Only documents whose ``etl_document.status`` is 'loaded' appear.
    """
    import pandas as pd

    rows = _fetch(engine, _facts_query(engine, document))
    frame = pd.DataFrame.from_records(rows, columns=list(FACT_COLUMNS))
    for column_ in _FLOAT_COLUMNS:
        frame[column_] = frame[column_].astype("float64")
    for column_ in _NONE_IF_EMPTY:
        # '' stands for "none" inside the natural keys; give back None like stg_cells has it.
        frame[column_] = frame[column_].where(frame[column_].fillna("") != "", None)
    return frame


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
    reasons = DOCUMENT_COLUMNS.index("reasons")
    rows = [
        (*row[:reasons], _join_reasons(row[reasons]), *row[reasons + 1 :])
        for row in _fetch(engine, _documents_query(status, source))
    ]
    return Rows(DOCUMENT_COLUMNS, rows, _DOCUMENT_DTYPES)


def list_documents(engine: Engine, status: str | None = None, source: str | None = None) -> pd.DataFrame:
    """Return the received documents (``DOCUMENT_COLUMNS``), optionally one status or source only, sorted by sha256.

    ``reasons`` is the list of reasons joined with "; " ('' when there are none).
    """
    import pandas as pd

    rows = _fetch(engine, _documents_query(status, source))
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


def _tables_query(engine: Engine, document: str | None) -> Select[Any]:
    """The SELECT of ``TABLE_COLUMNS`` sorted by sha256 and table_code; ``document`` is a sha256 prefix."""
    t = ETL_TABLE.c
    stmt: Select[Any] = select(*(t[c] for c in TABLE_COLUMNS)).order_by(t.sha256, t.table_code)
    if document is not None:
        stmt = stmt.where(t.sha256 == resolve_document(engine, document))
    return stmt


ETL_FINDING = table(
    "etl_finding", column("sha256", Text), column("finding_no", Integer), column("rule", Text), column("table_code", Text),
    column("row_label", Text), column("measure", Text), column("expected", Text), column("found", Text), column("page", Integer),
)


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


def table_rows(engine: Engine, document: str | None = None) -> Rows:
    """What was found of each standard table as rows (``TABLE_COLUMNS``): :func:`list_tables` without pandas.

    ``present`` and ``is_empty`` are bools, the quality figures floats or None.
    """
    bools = {TABLE_COLUMNS.index(c) for c in _TABLE_BOOLS}
    floats = {TABLE_COLUMNS.index(c) for c in _TABLE_FLOATS}
    rows = []
    for raw in _fetch(engine, _tables_query(engine, document)):
        row = list(raw)
        for i in bools:
            row[i] = bool(row[i])
        for i in floats:
            row[i] = None if row[i] is None else float(row[i])
        rows.append(tuple(row))
    return Rows(TABLE_COLUMNS, rows, _TABLE_DTYPES)


def list_tables(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return what was found of each standard table (``TABLE_COLUMNS``), one row per (document, table)."""
    import pandas as pd

    rows = _fetch(engine, _tables_query(engine, document))
    frame = pd.DataFrame.from_records(rows, columns=list(TABLE_COLUMNS))
    for column_ in _TABLE_INTS:
        frame[column_] = frame[column_].astype("Int64")
    for column_ in _TABLE_BOOLS:
        frame[column_] = frame[column_].astype(bool)
    for column_ in _TABLE_FLOATS:
        frame[column_] = frame[column_].astype("float64")
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


def _arrow_types() -> dict[str, Any]:
    """Arrow types of the export columns; amounts are exact decimals (the warehouse's Numeric scales)."""
    import pyarrow as pa

    return {
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
        "row": pa.int32(),
        "col": pa.int32(),
        "ocr_confidence": pa.float64(),
    }


def facts_arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Return the facts export as an Arrow table: amounts ``decimal128`` (never float), other columns typed.

    ``amount`` (the published number, a decimal string in the CSV export) becomes
    ``decimal128(20, 4)`` and ``amount_yuan`` ``decimal128(20, 2)``, the scales of the warehouse
    columns (the cell box columns are float64 points); pyarrow refuses a value it could only store by rounding. Columns this function does not
    know are written as strings.
    """
    import pandas as pd
    import pyarrow as pa

    types = _arrow_types()
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for name in frame.columns:
        kind = types.get(str(name), pa.string())
        values = [None if _missing(v, pd.NA) else v for v in frame[name].tolist()]
        if kind == pa.decimal128(20, 4):
            values = [None if v is None else Decimal(str(v)) for v in values]
        elif kind == pa.bool_():
            values = [None if v is None else bool(v) for v in values]
        elif kind == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(str(name), kind, nullable=True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_facts_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write the facts export to a Parquet file (see ``facts_arrow_table`` for the column types)."""
    import pyarrow.parquet as pq

    pq.write_table(facts_arrow_table(frame), path)


def _missing(value: Any, na: Any) -> bool:
    """True for None, NaN and ``na`` (``pd.NA``: what a frame column holds for "no value")."""
    if value is None or value is na:
        return True
    return isinstance(value, float) and value != value
