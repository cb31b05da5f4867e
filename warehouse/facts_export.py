"""The facts export: one row per published cell of the loaded documents, with its names and lineage.

:func:`fact_rows` (SQLAlchemy Core, no pandas: the CLI's CSV) and :func:`export_facts` (a DataFrame: the
Parquet and Fiscal Data Package exports, the library) read the same SELECT; the CSV of the rows is byte
for byte the frame's. :func:`table_counts` counts the facts per standard table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Select, case, func, select

from extract.models import TABLE_CODES
from transform.stg_columns import BOX_COLUMNS, FIGURE_COLUMNS
from warehouse.document_lookup import resolve_document
from warehouse.read_schema import (
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
from warehouse.rows import Dtype, Rows, converted, fetch, float_or_none

if TYPE_CHECKING:
    import pandas as pd

#: The columns of ``export_facts``, in order: the public export contract first, lineage after. What a cell
#: says is named as in ``stg_cells``.
FACT_COLUMNS: tuple[str, ...] = (
    "document_sha256",
    "source_file",
    "department",
    "fiscal_year",
    "phase",
    "table_code",
    *FIGURE_COLUMNS,
    "page",
    "row_index",
    "col_index",
    "is_total",
    *BOX_COLUMNS,
    "table_title",
    "table_type",
    "sheet",
    "row",
    "col",
    "extraction_method",
    "amount_stored",
    "ocr_confidence",
)


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


#: ``FACT_COLUMNS`` names whose '' stands for "none" inside the natural keys (given back as None)
_NONE_IF_EMPTY: tuple[str, ...] = ("functional_name", "economic_name", "parent_line_item")
#: float columns of the export: the cell box (points) and the OCR confidence (0–1)
_FLOAT_COLUMNS: tuple[str, ...] = (*BOX_COLUMNS, "ocr_confidence")
_FACT_DTYPES: dict[str, Dtype] = dict.fromkeys(_FLOAT_COLUMNS, "float64")


def _none_if_empty(value: Any) -> Any:
    """None for '' (a natural key's "none"), any other value as it is."""
    return None if value == "" else value


_FACT_CONVERT: dict[str, Callable[[Any], Any]] = {**dict.fromkeys(_FLOAT_COLUMNS, float_or_none), **dict.fromkeys(_NONE_IF_EMPTY, _none_if_empty)}


def fact_rows(engine: Engine, document: str | None = None) -> Rows:
    """The facts export as rows (``FACT_COLUMNS``): what :func:`export_facts` returns, without pandas.

    ``amount_yuan`` is a Decimal, the box columns floats or None, the names of ``_NONE_IF_EMPTY``
    None where the warehouse stores ''; ``to_csv`` is the CSV of :func:`export_facts`.
    """
    rows = converted(fetch(engine, _facts_query(engine, document)), FACT_COLUMNS, _FACT_CONVERT)
    return Rows(FACT_COLUMNS, rows, _FACT_DTYPES)


def export_facts(engine: Engine, document: str | None = None) -> pd.DataFrame:
    """Return the facts of loaded documents (or of one, by sha256 prefix), one row per published cell.

    Columns are ``FACT_COLUMNS``. ``amount`` is the published decimal string ("2846.52", "0.00"),
    in ``unit``; ``amount_yuan`` is a Decimal in 元; ``cell_x0`` … ``cell_bottom`` are the cell's box in
    PDF points on the displayed page (origin top-left), NaN when unknown. Rows are sorted by sha256, table_code, page,
    row_index, col_index. Only documents whose ``etl_document.status`` is 'loaded' appear.
    """
    import pandas as pd

    rows = fetch(engine, _facts_query(engine, document))
    frame = pd.DataFrame.from_records(rows, columns=list(FACT_COLUMNS))
    for column_ in _FLOAT_COLUMNS:
        frame[column_] = frame[column_].astype("float64")
    for column_ in _NONE_IF_EMPTY:
        # '' stands for "none" inside the natural keys; give back None like stg_cells has it.
        frame[column_] = frame[column_].where(frame[column_].fillna("") != "", None)
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
