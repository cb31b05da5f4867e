"""The tables the read side reads, as SQLAlchemy Core handles: no ORM, no models' metadata.

The read-only commands build their SELECTs on these (the models cost 0.1 s to import). Each handle lists
the columns read, typed as in ``warehouse.models`` (``tests/test_rows_csv.py`` compares them): the types
decide what comes back (Numeric(20, 2) → Decimal with 2 places, Boolean → bool on SQLite too).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, Numeric, Text, column, table

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
#: a document's validation findings (read by ``fiscal show``)
ETL_FINDING = table(
    "etl_finding", column("sha256", Text), column("finding_no", Integer), column("rule", Text), column("table_code", Text),
    column("row_label", Text), column("measure", Text), column("expected", Text), column("found", Text), column("page", Integer),
)
