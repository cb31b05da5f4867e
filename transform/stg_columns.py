"""The column names of the ``stg_cells`` contract (documented in :mod:`transform.stg_cells`), without pandas.

They live apart from the contract's checks because the warehouse's read side names the same columns
in its exports and must not import pandas (the read-only commands answer without it).
"""

from __future__ import annotations

#: What a published figure is: the row it stands in (功能/经济分类 subject or printed label), its column's
#: header path, and its amount as printed and in 元. ``stg_cells`` and the facts export list them in this order.
FIGURE_COLUMNS: tuple[str, ...] = (
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
)

#: the cell box columns, in STG_CELLS_COLUMNS order (x0, top, x1, bottom)
BOX_COLUMNS: tuple[str, ...] = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")

STG_CELLS_COLUMNS: tuple[str, ...] = (
    "table_code",
    "page",
    "row_index",
    "col_index",
    *FIGURE_COLUMNS,
    "is_total",
    "raw_text",
    *BOX_COLUMNS,
)
