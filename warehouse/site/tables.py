"""Printed tables rebuilt from their amount cells: header rows from the measure paths, code and label columns, amounts.

The warehouse keeps one row per amount with its grid position (page, row, column), its row identity
(功能分类 / 经济分类 code and name, or the line label) and its column's header path. A page of a table is
laid out again from those: rows in grid order, the amount columns in grid order, and before each run of
amount columns that share their rows' identity (a *side*: the two halves of 01/04, the side-by-side
economic table 06) the code and name columns those rows print. Header paths become header rows, equal
neighbouring prefixes merged as the printed header merges them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from warehouse.site.cells import Cell, TableInfo


@dataclass(frozen=True)
class HeaderCell:
    """A header cell: its text and how many columns and header rows it spans."""

    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class BodyCell:
    """A body cell: a label (code or name) or an amount."""

    text: str
    cell: Cell | None = None
    kind: str = "label"  # label | code | amount | empty


@dataclass
class PrintedPage:
    """One page of a table as printed."""

    page: int
    header: list[list[HeaderCell]] = field(default_factory=list)
    rows: list[list[BodyCell]] = field(default_factory=list)


@dataclass
class PrintedTable:
    """A standard table: its code, title, unit and pages."""

    table_code: str
    title: str
    unit: str | None
    pages: list[PrintedPage]
    cells: int
    note: str | None = None
    empty: bool = False


def _identity(cell: Cell) -> tuple[str | None, ...]:
    return (cell.functional_code, cell.economic_code, cell.line_item, cell.parent_line_item)


def _sides(columns: Sequence[int], grid: dict[tuple[int, int], Cell]) -> list[list[int]]:
    """Split the amount columns into runs whose cells share each row's identity."""
    sides: list[list[int]] = []
    rows_of: dict[int, dict[int, Cell]] = defaultdict(dict)
    for (row, col), cell in grid.items():
        rows_of[col][row] = cell
    for col in columns:
        if not sides:
            sides.append([col])
            continue
        previous = rows_of[sides[-1][-1]]
        current = rows_of[col]
        # a new side when some row's cell here names another row than its cell in the column before
        clash = any(_identity(previous[r]) != _identity(cell) for r, cell in current.items() if r in previous)
        if clash:
            sides.append([col])
        else:
            sides[-1].append(col)
    return sides


def _header(paths: Sequence[list[str]], label_columns: Sequence[str], depth: int) -> list[list[HeaderCell]]:
    """Header rows for one side: label columns spanning every row, then the measure paths merged by prefix."""
    rows: list[list[HeaderCell]] = [[] for _ in range(depth)]
    for label in label_columns:
        rows[0].append(HeaderCell(label, 1, depth))
    for level in range(depth):
        index = 0
        while index < len(paths):
            path = paths[index]
            if len(path) <= level:
                index += 1
                continue
            if len(path) - 1 == level:  # the last part: spans the remaining header rows
                rows[level].append(HeaderCell(path[level], 1, depth - level))
                index += 1
                continue
            span = 1
            while (
                index + span < len(paths)
                and len(paths[index + span]) > level + 1
                and paths[index + span][: level + 1] == path[: level + 1]
            ):
                span += 1
            rows[level].append(HeaderCell(path[level], span, 1))
            index += span
    return rows


def _row_labels(cells: Sequence[Cell]) -> tuple[str, str]:
    """The code and the name a row prints on one side."""
    for cell in cells:
        code = cell.functional_code or cell.economic_code
        name = cell.functional_name if cell.functional_code else cell.economic_name if cell.economic_code else None
        if cell.line_item:
            label = cell.line_item if not cell.parent_line_item else f"{cell.parent_line_item} · {cell.line_item}"
            return code or "", label
        if code:
            return code, name or ""
    return "", ""


def printed_page(page: int, cells: Sequence[Cell]) -> PrintedPage:
    """Lay out the cells of one table on one page as the printed grid."""
    grid = {(c.row_index, c.col_index): c for c in cells}
    columns = sorted({c.col_index for c in cells})
    sides = _sides(columns, grid)
    measure_of = {
        col: Counter(c.measure for c in cells if c.col_index == col).most_common(1)[0][0] for col in columns
    }
    paths_by_side = [[measure_of[col].split("/") for col in side] for side in sides]
    depth = max((len(p) for paths in paths_by_side for p in paths), default=1)
    result = PrintedPage(page, header=[[] for _ in range(depth)])
    side_labels: list[list[str]] = []
    for side in sides:
        side_cells = [c for c in cells if c.col_index in side]
        has_code = any(c.functional_code or c.economic_code for c in side_cells)
        coded_names = any(not c.line_item for c in side_cells)
        labels = (["科目编码"] if has_code else []) + ["科目名称" if coded_names and has_code else "项目"]
        side_labels.append(labels)
    for paths, labels in zip(paths_by_side, side_labels, strict=True):
        for level, row in enumerate(_header(paths, labels, depth)):
            result.header[level].extend(row)
    for row_index in sorted({c.row_index for c in cells}):
        body: list[BodyCell] = []
        for side, labels in zip(sides, side_labels, strict=True):
            in_row = [grid[(row_index, col)] for col in side if (row_index, col) in grid]
            code, name = _row_labels(in_row)
            if "科目编码" in labels:
                body.append(BodyCell(code, kind="code"))
            body.append(BodyCell(name, kind="label"))
            for col in side:
                cell = grid.get((row_index, col))
                body.append(BodyCell(cell.amount_text, cell, "amount") if cell else BodyCell("", kind="empty"))
        result.rows.append(body)
    return result


def printed_tables(cells: Sequence[Cell], tables: Sequence[TableInfo]) -> list[PrintedTable]:
    """Every table of a document, recorded ones first in table order, each page laid out as printed."""
    by_table: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_table[cell.table_code].append(cell)
    info = {t.table_code: t for t in tables}
    out = []
    for code in sorted(set(by_table) | {t.table_code for t in tables if t.present}):
        table_cells = by_table.get(code, [])
        pages: dict[int, list[Cell]] = defaultdict(list)
        for cell in table_cells:
            pages[cell.page].append(cell)
        meta = info.get(code)
        units = Counter(c.unit for c in table_cells)
        out.append(
            PrintedTable(
                table_code=code,
                title=(meta.title if meta and meta.title else f"表 {code}"),
                unit=(meta.unit if meta and meta.unit else units.most_common(1)[0][0] if units else None),
                pages=[printed_page(page, pages[page]) for page in sorted(pages)],
                cells=len(table_cells),
                note=meta.note if meta else None,
                empty=bool(meta and meta.is_empty) or not table_cells,
            )
        )
    return out
