"""Cell-by-cell comparison of two documents (``fiscal compare``): a PDF and the spreadsheet it was printed from.

Two documents are compared by what each cell means, not where it stands: table, subject (功能分类 or
经济分类 code, or the printed label of a label-identified row), measure, and the occurrence of that key
in the document (a label can repeat). Amounts are compared in 元, so a table printed in 万元 matches its
twin in 元. A loaded document's cells come from ``fct_amount`` (whatever its status now: superseded
documents keep their facts); a quarantined one's from the cells its quarantine kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from extract.kinds import cell_name
from warehouse.export import (
    DIM_DOCUMENT,
    DIM_ECONOMIC,
    DIM_FUNCTIONAL,
    DIM_LINE_ITEM,
    DIM_MEASURE,
    FCT_AMOUNT,
)
from warehouse.rows import Rows

#: What a cell means: two documents' cells with the same key (and occurrence) are the same published figure.
KEY_COLUMNS: tuple[str, ...] = ("table_code", "functional_code", "economic_code", "line_item", "parent_line_item", "measure")

#: The columns of ``compare_cells``'s rows.
COMPARE_COLUMNS: tuple[str, ...] = (
    "difference",
    "table_code",
    "row",
    "measure",
    "amount_a",
    "unit_a",
    "amount_b",
    "unit_b",
    "difference_yuan",
    "where_a",
    "where_b",
)


@dataclass(frozen=True)
class ComparedCell:
    """One cell of a document, as compared: its key, amount (as printed and in 元) and where it stands."""

    key: tuple[str, ...]
    amount: str
    unit: str
    amount_yuan: Decimal
    where: str


def _text(value: Any) -> str:
    """A key part as text ('' for none: None, NaN, '')."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def where_printed(record: Mapping[str, Any]) -> str:
    """Where a cell stands: "sheet 公开05表 C12" for a spreadsheet's cell, "page 7 row 3 col 2" for a PDF's."""
    sheet, row, col = (_text(record.get(name)) for name in ("sheet", "sheet_row", "sheet_col"))
    if sheet and row and col:
        return f"sheet {sheet} {cell_name(int(float(row)), int(float(col)))}"
    return f"page {int(float(record['page']))} row {int(float(record['row_index']))} col {int(float(record['col_index']))}"


def cells_of(records: Iterable[Mapping[str, Any]]) -> list[ComparedCell]:
    """Cells to compare from stg_cells-like records (``fct_amount`` facts or a quarantine's cells)."""
    return [
        ComparedCell(
            key=tuple(_text(r.get(c)) for c in KEY_COLUMNS),
            amount=_text(r.get("amount")),
            unit=_text(r.get("unit")),
            amount_yuan=Decimal(str(r["amount_yuan"])),
            where=where_printed(r),
        )
        for r in records
    ]


def document_facts(engine: Engine, sha256: str) -> list[dict[str, Any]]:
    """The facts a document loaded, in printed order (empty when it loaded none), as stg_cells-like records."""
    f, d = FCT_AMOUNT.c, DIM_DOCUMENT.c
    fs, es, li, me = DIM_FUNCTIONAL.c, DIM_ECONOMIC.c, DIM_LINE_ITEM.c, DIM_MEASURE.c
    stmt = (
        select(
            f.table_code, fs.code.label("functional_code"), es.code.label("economic_code"), li.line_item,
            li.parent_line_item, me.header_path.label("measure"), f.amount_text.label("amount"), f.unit, f.amount_yuan,
            f.page, f.row_index, f.col_index, f.sheet, f.sheet_row, f.sheet_col,
        )
        .select_from(
            FCT_AMOUNT.join(DIM_DOCUMENT, d.document_key == f.document_key)
            .join(DIM_MEASURE, me.measure_key == f.measure_key)
            .outerjoin(DIM_FUNCTIONAL, fs.functional_key == f.functional_key)
            .outerjoin(DIM_ECONOMIC, es.economic_key == f.economic_key)
            .outerjoin(DIM_LINE_ITEM, li.line_item_key == f.line_item_key)
        )
        .where(d.sha256 == sha256)
        .order_by(f.table_code, f.page, f.row_index, f.col_index)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def _numbered(cells: Sequence[ComparedCell]) -> dict[tuple[tuple[str, ...], int], ComparedCell]:
    """Cells by (key, occurrence of that key in printed order)."""
    seen: dict[tuple[str, ...], int] = {}
    out = {}
    for cell in cells:
        n = seen.get(cell.key, 0)
        seen[cell.key] = n + 1
        out[(cell.key, n)] = cell
    return out


def _row_label(key: tuple[str, ...]) -> str:
    """The printed row a key names: its subject code, else its label (with the block it belongs to)."""
    _, functional, economic, line_item, parent, _ = key
    if functional or economic:
        return functional or economic
    return f"{parent} / {line_item}" if parent else line_item


def compare_cells(a: Sequence[ComparedCell], b: Sequence[ComparedCell]) -> Rows:
    """The cells that differ between two documents (``COMPARE_COLUMNS``; none when they print the same figures).

    ``difference`` is ``amount`` (both print the cell, with different amounts in 元), ``only in A`` or
    ``only in B``; ``difference_yuan`` is B − A.
    """
    left, right = _numbered(a), _numbered(b)
    rows: list[tuple[Any, ...]] = []
    order = list(left) + [k for k in right if k not in left]
    for key in order:
        x, y = left.get(key), right.get(key)
        if x is not None and y is not None and x.amount_yuan == y.amount_yuan:
            continue
        kind = "amount" if x is not None and y is not None else "only in A" if x is not None else "only in B"
        table, measure = key[0][0], key[0][5]
        difference = y.amount_yuan - x.amount_yuan if x is not None and y is not None else None
        rows.append((
            kind, table, _row_label(key[0]), measure,
            x.amount if x else None, x.unit if x else None, y.amount if y else None, y.unit if y else None,
            difference, x.where if x else None, y.where if y else None,
        ))
    return Rows(COMPARE_COLUMNS, rows, {})
