"""The stg_cells contract: the cell box columns (lineage on the page)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from transform.stg_cells import (
    BOX_COLUMNS,
    STG_CELLS_COLUMNS,
    StgCellsContractError,
    check_stg_cells,
    empty_stg_cells,
)


def _row(**box: object) -> dict[str, object]:
    """One valid stg_cells record; ``box`` overrides the box columns."""
    row: dict[str, object] = {
        "table_code": "03",
        "page": 5,
        "row_index": 3,
        "col_index": 2,
        "functional_code": "2010101",
        "functional_name": "行政运行",
        "economic_code": None,
        "economic_name": None,
        "line_item": None,
        "parent_line_item": None,
        "measure": "合计",
        "amount": Decimal("12.50"),
        "unit": "万元",
        "amount_yuan": Decimal("125000.00"),
        "is_total": False,
        "raw_text": "12.50",
        "cell_x0": None,
        "cell_top": None,
        "cell_x1": None,
        "cell_bottom": None,
    }
    row.update(box)
    return row


def _frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in rows[0]})


def test_box_columns_are_appended_after_the_existing_ones() -> None:
    assert STG_CELLS_COLUMNS[-4:] == BOX_COLUMNS == ("cell_x0", "cell_top", "cell_x1", "cell_bottom")
    assert STG_CELLS_COLUMNS[:16][-1] == "raw_text"
    assert list(empty_stg_cells().columns) == list(STG_CELLS_COLUMNS)
    assert list(check_stg_cells(empty_stg_cells()).columns) == list(STG_CELLS_COLUMNS)


def test_boxes_are_rounded_floats_or_none() -> None:
    frame = _frame(
        _row(cell_x0=Decimal("56.701"), cell_top=np.float64(100.0), cell_x1=120, cell_bottom=118.456),
        _row(row_index=4),
        _row(row_index=5, cell_x0=float("nan"), cell_top=float("nan"), cell_x1=float("nan"), cell_bottom=float("nan")),
    )
    checked = check_stg_cells(frame)
    assert checked.loc[0, list(BOX_COLUMNS)].tolist() == [56.7, 100.0, 120.0, 118.46]
    assert all(type(v) is float for v in checked.loc[0, list(BOX_COLUMNS)])
    assert checked.loc[1, list(BOX_COLUMNS)].tolist() == [None] * 4
    assert checked.loc[2, list(BOX_COLUMNS)].tolist() == [None] * 4


def test_a_frame_without_box_columns_gets_unknown_boxes() -> None:
    frame = _frame(_row()).drop(columns=list(BOX_COLUMNS))
    checked = check_stg_cells(frame)
    assert list(checked.columns) == list(STG_CELLS_COLUMNS)
    assert checked.loc[0, list(BOX_COLUMNS)].tolist() == [None] * 4


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ({"cell_x0": 10.0, "cell_top": 5.0, "cell_x1": 10.0, "cell_bottom": 9.0}, "x0 < x1"),
        ({"cell_x0": 10.0, "cell_top": 9.0, "cell_x1": 20.0, "cell_bottom": 5.0}, "top < bottom"),
        ({"cell_x0": 10.0, "cell_top": None, "cell_x1": 20.0, "cell_bottom": 30.0}, "partly unknown"),
        ({"cell_x0": "10", "cell_top": 1.0, "cell_x1": 20.0, "cell_bottom": 30.0}, "must be numbers"),
        ({"cell_x0": True, "cell_top": 1.0, "cell_x1": 20.0, "cell_bottom": 30.0}, "must be numbers"),
        ({"cell_x0": 1.0, "cell_top": 1.0, "cell_x1": float("inf"), "cell_bottom": 30.0}, "must be finite"),
    ],
)
def test_bad_boxes_break_the_contract(box: dict[str, object], message: str) -> None:
    with pytest.raises(StgCellsContractError, match=message):
        check_stg_cells(_frame(_row(**box)))


def test_only_some_box_columns_is_a_missing_column() -> None:
    frame = _frame(_row()).drop(columns=["cell_bottom"])
    with pytest.raises(StgCellsContractError, match="lacks columns: cell_bottom"):
        check_stg_cells(frame)
