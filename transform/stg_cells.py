"""The staging contract: ``stg_cells``, one row per published amount cell, with lineage.

Columns (all present, in this order):

=================  ==========================================================================
table_code         "01" … "09" in the standard order
page               1-based PDF page where the amount is printed
row_index          row of the cell in that page's ruled grid (0-based, top row 0)
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
cell_x0            left edge of the cell's box, PDF points on the page as displayed (after /Rotate),
                   origin top-left, rounded to 0.01; None when the geometry is unknown
cell_top           top edge of the cell's box (same frame; top < bottom), or None
cell_x1            right edge of the cell's box (x0 < x1), or None
cell_bottom        bottom edge of the cell's box, or None
=================  ==========================================================================

The four box columns are lineage only (where on the page to look); they are all set or all None.
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Real

import pandas as pd

# the column names are defined without pandas (the warehouse's read side uses them); importable from here too
from transform.stg_columns import BOX_COLUMNS, FIGURE_COLUMNS, STG_CELLS_COLUMNS  # noqa: F401

UNIT_FACTORS: dict[str, Decimal] = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}


class StgCellsContractError(ValueError):
    """stg_cells does not satisfy its documented contract."""


def empty_stg_cells() -> pd.DataFrame:
    """Return an stg_cells frame with no rows and every column."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in STG_CELLS_COLUMNS})


def check_stg_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Raise StgCellsContractError unless ``frame`` has the stg_cells columns and types; return it."""
    absent_boxes = [c for c in BOX_COLUMNS if c not in frame.columns]
    if absent_boxes and len(absent_boxes) < len(BOX_COLUMNS):
        raise StgCellsContractError(f"stg_cells lacks columns: {', '.join(absent_boxes)}")
    if absent_boxes:  # frames staged without geometry: the box is unknown
        frame = frame.assign(**{c: pd.Series([None] * len(frame), index=frame.index, dtype=object) for c in BOX_COLUMNS})
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
    checked = frame[list(STG_CELLS_COLUMNS)]
    boxes = _checked_boxes(checked)
    return checked.assign(**{c: pd.Series(v, index=checked.index, dtype=object) for c, v in zip(BOX_COLUMNS, boxes, strict=True)})


def box_value(value: object) -> float | None:
    """One box coordinate as a float rounded to 0.01, None when unknown (None / NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise StgCellsContractError(f"stg_cells box coordinates must be numbers, found {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise StgCellsContractError(f"stg_cells box coordinates must be finite, found {number}")
    return round(number, 2)


def _checked_boxes(frame: pd.DataFrame) -> list[list[float | None]]:
    """The box columns as floats rounded to 0.01 or None; raise StgCellsContractError on a bad box.

    A box is all None (unknown) or four numbers with x0 < x1 and top < bottom.
    """
    out: list[list[float | None]] = [[], [], [], []]
    for n, box in enumerate(zip(*(frame[c].tolist() for c in BOX_COLUMNS), strict=True)):
        x0, top, x1, bottom = values = [box_value(v) for v in box]
        if x0 is None and top is None and x1 is None and bottom is None:
            pass
        elif x0 is None or top is None or x1 is None or bottom is None:
            raise StgCellsContractError(f"stg_cells row {n}: cell box {box} is partly unknown (all four or none)")
        elif not (x0 < x1 and top < bottom):
            raise StgCellsContractError(f"stg_cells row {n}: cell box {box} needs x0 < x1 and top < bottom")
        for column, value in zip(out, values, strict=True):
            column.append(value)
    return out
