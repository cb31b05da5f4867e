"""The table registry: SQLAlchemy handles of the warehouse tables, and how each dimension is keyed.

Handles come from the models' metadata (no reflection): the loader, the steward and the read side
all write and read through these objects.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Table

from warehouse.models import Base

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


class Dimension(NamedTuple):
    """How to get or create members of one dimension table."""

    table: Table
    #: the surrogate key column
    key: str
    #: the natural key columns (a member is found by these)
    natural: tuple[str, ...]
    #: the columns a new member is inserted with (the natural key first)
    columns: tuple[str, ...]
    #: columns returned with the surrogate key (subjects: their validity years)
    extra: tuple[str, ...] = ()
    #: which natural column a lookup filters on (the selective one)
    filter_on: int = 0


_SUBJECT_COLUMNS: tuple[str, ...] = ("code", "name", "level", "parent_code", "valid_from_year", "valid_to_year")
_SUBJECT_EXTRA: tuple[str, ...] = ("valid_from_year", "valid_to_year")

FUNCTIONAL = Dimension(DIM_FUNCTIONAL, "functional_key", ("code", "name"), _SUBJECT_COLUMNS, _SUBJECT_EXTRA)
ECONOMIC = Dimension(DIM_ECONOMIC, "economic_key", ("code", "name"), _SUBJECT_COLUMNS, _SUBJECT_EXTRA)
LINE_ITEM = Dimension(
    DIM_LINE_ITEM,
    "line_item_key",
    ("table_code", "line_item", "parent_line_item"),
    ("table_code", "line_item", "parent_line_item"),
    filter_on=1,
)
#: A column of a table in a kind of document: the same printed table number and header are another column
#: in a 预算 than in a 决算, and in a Shanghai than in a Jiangsu 预算 (0009).
MEASURE = Dimension(
    DIM_MEASURE,
    "measure_key",
    ("table_code", "header_path", "phase", "table_type"),
    ("table_code", "header_path", "phase", "table_type", "stage", "fund_type"),
    filter_on=1,
)
#: A department version row by its printed name (SCD 2; ``warehouse.dimensions`` keeps the rest).
DEPARTMENT = Dimension(
    DIM_DEPARTMENT,
    "department_key",
    ("name",),
    ("name", "department_id", "region", "city", "valid_from", "valid_to", "is_current"),
)
