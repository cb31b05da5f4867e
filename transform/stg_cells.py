"""The staging contract: ``stg_cells``, one row per published amount cell, with lineage.

Columns (all present, in this order):

=================  ==========================================================================
table_code         "01" … "09" in the standard order
page               1-based PDF page where the amount is printed
row_index          row of the cell in that page's ruled grid (0-based, as camelot returns it)
col_index          column of the cell in that page's ruled grid (0-based)
functional_code    full 3/5/7-digit 功能分类 code, or None
functional_name    printed subject name for functional_code, or None
economic_code      full 3/5-digit 经济分类 code, or None
economic_name      printed subject name for economic_code, or None
line_item          label of label-identified rows (01/04 lines, 合计/总计, 人员经费合计), else None
parent_line_item   the row a repeated sub-row belongs to (04 年初财政拨款结转和结余), else None
measure            column header path outer→inner joined with "/", whitespace removed
amount             Decimal, exactly as published, in ``unit``
unit               "元" or "万元", read from the table's page
amount_yuan        Decimal, amount converted to 元
is_total           True for subtotal/total rows (合计, 总计, 类/款 rows that have children)
raw_text           the cell text as printed
=================  ==========================================================================
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

STG_CELLS_COLUMNS: tuple[str, ...] = (
    "table_code",
    "page",
    "row_index",
    "col_index",
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
    "is_total",
    "raw_text",
)

UNIT_FACTORS: dict[str, Decimal] = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}


class StgCellsContractError(ValueError):
    """stg_cells does not satisfy its documented contract."""


def empty_stg_cells() -> pd.DataFrame:
    """Return an stg_cells frame with no rows and every column."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in STG_CELLS_COLUMNS})


def check_stg_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Raise StgCellsContractError unless ``frame`` has the stg_cells columns and types; return it."""
    missing = [c for c in STG_CELLS_COLUMNS if c not in frame.columns]
    if missing:
        raise StgCellsContractError(f"stg_cells lacks columns: {', '.join(missing)}")
    for col in ("amount", "amount_yuan"):
        bad = [v for v in frame[col] if not isinstance(v, Decimal)]
        if bad:
            raise StgCellsContractError(f"stg_cells.{col} must hold Decimal values, found {type(bad[0]).__name__}")
    bad_units = set(frame["unit"]) - set(UNIT_FACTORS)
    if bad_units:
        raise StgCellsContractError(f"stg_cells.unit has unknown units: {sorted(map(str, bad_units))}")
    if frame["table_code"].isna().any() or frame["measure"].isna().any():
        raise StgCellsContractError("stg_cells.table_code and stg_cells.measure must be present on every row")
    return frame[list(STG_CELLS_COLUMNS)]
