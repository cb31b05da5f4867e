"""The reportlab layouts' model: which table rows sit on which page, and the ruled cells of each grid.

``--layout`` chooses how tables sit on pages (``LAYOUTS``): every table on one portrait page; the
wide tables on landscape pages (or portrait pages with ``/Rotate 90``); tables 02, 03, 04, 06
continued on a second page with or without the repeated header.  A page's grid is a list of
``Cell`` (merged cells span slots), as the page's ``Style`` prints the seed's header and body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .fonts import FONT
from .seed import (
    AMOUNT,
    WIDE,
    SeedTable,
    alignment,
    amount_text,
    body_spans,
    header_spans,
    joined_body,
    meta_align,
    scaled_amount,
    split_title,
    table_title,
    unwrap,
)
from .style import PLAIN, Style

LAYOUTS = ("one-per-page", "landscape", "rotated", "continued-repeat-header", "continued-no-header")
CONTINUED = {"02", "03", "04", "06"}  # tables the continued layouts spread over two pages
SPLIT_AFTER = {"02": "2081199", "03": "208"}  # their break (04, 06 break where the seed's page did)

NARROW_PAD = 0.5  # narrow-columns: the widest amount leaves this much space to each rule
NARROW_HEADER_PAD = 1.0
OVERFLOW_TABLES = {"02", "03", "05"}  # header-overflow: their 功能分类科目编码 cell
OVERFLOW_TEXT = "功能分类科目编码"


@dataclass
class Cell:
    """A ruled cell; a merged cell covers rowspan x colspan slots of the grid."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    align: str = "c"
    header: bool = False
    lines: list[str] = field(default_factory=list)
    font: str = FONT
    pad: float | None = None  # horizontal padding; None: padding(size)
    overflow: bool = False  # the last wrapped line is printed below the cell's bottom rule
    segments: list[tuple[str, str]] = field(default_factory=list)  # (text, align) on one line instead


@dataclass
class TablePage:
    """One page of a table: which body rows it shows and what is printed around the grid."""

    table: SeedTable
    body: list[list[str]]
    heading: bool  # title, 公开 marker, 部门/年度/单位 line
    header: bool  # the header rows of the grid
    notes: bool  # 注：/说明： below the grid
    orientation: str  # portrait | landscape | rotated
    style: Style = PLAIN

    def subtitle_row(self) -> bool:
        """Tell whether the grid's first ruled row carries the 部门/年度/单位 line."""
        return self.heading and self.style.subtitle == "grid"

    def cells(self) -> list[Cell]:
        """Return the cells of this page's grid."""
        cells: list[Cell] = []
        if self.subtitle_row():
            ncols = len(self.table.body[0])
            segments = [(line, meta_align(line)) for line in meta_lines(self.table, self.style)]
            cells.append(Cell(0, 0, "", 1, ncols, "c", header=True, segments=segments))
        head, nhead = grid_header(self.table, self.style) if self.header else ([], 0)
        for cell in head:
            cell.row += len(cells)
        return cells + head + body_cells(self.body, len(cells) + nhead, self.style)

    def nrows(self) -> int:
        """Return the number of grid rows on this page."""
        return max(cell.row + cell.rowspan for cell in self.cells())


def split_body(table: SeedTable) -> tuple[list[list[str]], list[list[str]]]:
    """Return the body rows of the two pages of a continued table."""
    if table.continued:
        cut = table.continued[0]
    else:
        cut = 1 + next(i for i, row in enumerate(table.body) if row[0] == SPLIT_AFTER[table.number])
    return table.body[:cut], table.body[cut:]


def table_pages(tables: list[SeedTable], layout: str, style: Style = PLAIN) -> list[list[TablePage]]:
    """Return the pages of each table in a layout."""
    groups = []
    for table in tables:
        wide = layout in ("landscape", "rotated") and table.number in WIDE
        orientation = layout if wide else "portrait"
        if layout.startswith("continued") and table.number in CONTINUED:
            head, tail = split_body(table)
            repeat = layout == "continued-repeat-header"
            if repeat and head[0][0] == "栏次":  # repeated like Excel print titles: header and 栏次 rows
                tail = [head[0], *tail]
            groups.append(
                [
                    TablePage(table, head, True, True, False, orientation, style),
                    TablePage(table, tail, False, repeat, True, orientation, style),
                ]
            )
        else:
            body = joined_body(table)
            groups.append([TablePage(table, body, True, True, True, orientation, style)])
    return groups


def header_cells(rows: list[list[str]]) -> list[Cell]:
    """The header rows as drawn cells, merged as header_spans says."""
    return [Cell(r, c, unwrap(text), rs, cs, "c", header=True) for r, c, text, rs, cs in header_spans(rows)]


def grid_header(table: SeedTable, style: Style = PLAIN) -> tuple[list[Cell], int]:
    """Return the header cells of a table's grid as a style prints them, and its header row count."""
    cells, nrows = header_cells(table.header), len(table.header)
    if style.merged_headers and nrows == 2 and table.header[0][:2] == ["项目", ""]:
        cells, nrows = three_row_header(cells), 3
    for cell in cells:
        cell.font = style.header_font
        if style.narrow:
            cell.pad = NARROW_HEADER_PAD
        if style.header_overflow and table.number in OVERFLOW_TABLES and cell.text == OVERFLOW_TEXT:
            cell.overflow, cell.align = True, "l"
    return cells, nrows


def three_row_header(cells: list[Cell]) -> list[Cell]:
    """Turn a 项目-headed two-row header into three rows, as many producers print it.

    项目 keeps the first row; the code and name cells under it span the second and third; a column
    group (本年支出) spans the first two rows over its leaves (小计, 基本支出, 项目支出) in the third;
    a column without sub-headers (本年收入合计, 年初结转和结余) spans all three rows.
    """
    for cell in cells:
        if cell.row == 0 and cell.text != "项目":
            cell.rowspan = 3 if cell.rowspan == 2 else 2
        elif cell.row == 1 and cell.col < 2:
            cell.rowspan = 2
        elif cell.row == 1:
            cell.row = 2
    return cells


def body_cells(rows: list[list[str]], first_row: int, style: Style = PLAIN) -> list[Cell]:
    """Return one cell per seed cell; a 合计 label spans the blank cells after it."""
    cells = []
    for r, c, seed_text, cs in body_spans(rows):
        text = printed_amount(seed_text, style)
        cell = Cell(first_row + r, c, unwrap(text, "\n"), 1, cs, alignment(text))
        if style.narrow and cell.align == "r":
            cell.pad = NARROW_PAD
        cells.append(cell)
    return cells


def printed_amount(text: str, style: Style) -> str:
    """Print a seed amount (万元, thousands separators) in the style's unit and format."""
    if style == PLAIN or not AMOUNT.fullmatch(text):
        return text
    return amount_text(scaled_amount(text, style.scale), style.thousands)


def meta_lines(table: SeedTable, style: Style) -> list[str]:
    """Return the 部门/年度/金额单位 lines of a table in the style's unit."""
    return [f"金额单位：{style.unit}" if line.startswith("金额单位") else line for line in table.meta]


def title_lines(table: SeedTable, style: Style) -> list[str]:
    """Return the lines of a table's title as the style prints it."""
    title = table_title(table, style.t09_income)
    return split_title(title) if style.title_lines else [title]
