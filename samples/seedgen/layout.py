"""Geometry of the reportlab table pages: text widths and wrapping, column widths, row heights, headings.

``fit_table`` finds the largest font size (and the column widths) at which every page of a table
fits its page: the heading above the grid, the notes below it and the page number take their room.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics

from .cells import NARROW_PAD, Cell, TablePage, meta_lines, title_lines
from .fonts import FONT
from .seed import meta_align
from .style import PLAIN, Style

MARGIN = {"portrait": 42.0, "landscape": 26.0, "rotated": 26.0}  # landscape prints use thin margins
FOOTER_H = 22.0  # page number
NOTE_SIZE, NOTE_LEAD = 8.0, 11.0
MAX_SIZE = {"portrait": 9.0, "landscape": 10.0, "rotated": 10.0}
MIN_SIZE = 5.5
LEADING = 1.2  # line height / font size inside cells
LABEL_CHARS = 12  # body labels longer than this may wrap inside their cell
HEADER_CHARS = 4  # header texts may wrap down to this many characters a line
OVERFLOW_CHARS = 7.3  # that column holds 7 CJK characters a line: "功能分类科目编" + "码" below the rule
CJK_DESCENT = 0.094  # WenQuanYi ideographs reach this far (em) below the baseline
CJK_ASCENT = 0.82  # and this far above it
TIGHT_GAP = 1.5  # subtitle-tight: points between the subtitle's lowest ink and the top rule
NO_LINE_START = set("，。、；：）》”％")


def width_of(text: str, size: float, font: str = FONT) -> float:
    """Return the printed width of one line of text."""
    return pdfmetrics.stringWidth(text, font, size)


def wrap(text: str, width: float, size: float, balance: bool = False, font: str = FONT) -> list[str]:
    """Break text into lines no wider than width, between any CJK characters, not inside numbers.

    With balance, a CJK text that needs n lines gets lines of even length (功能分类/科目编码).
    """
    lines = []
    for part in text.split("\n"):
        if balance and part and not part.isascii() and width_of(part, size, font) > width:
            n = len(wrap(part, width, size, font=font))
            step = -(-len(part) // n)
            chunks = [part[i : i + step] for i in range(0, len(part), step)]
            if all(width_of(chunk, size, font) <= width for chunk in chunks):
                lines += chunks
                continue
        line = ""
        for ch in part:
            if line and ch not in NO_LINE_START and width_of(line + ch, size, font) > width:
                tail = ""
                word = re.search(r"[\x21-\x7e]+$", line)
                if ch.isascii() and not ch.isspace() and word and word.start() > 0:
                    line, tail = line[: word.start()], word.group()
                lines.append(line.rstrip())
                line = tail + ch
            else:
                line += ch
        lines.append(line)
    return lines


def padding(size: float) -> float:
    """Return the horizontal cell padding (wide enough that neighbour cells' texts stay apart)."""
    return max(3.0, 0.7 * size)


def cell_pad(cell: Cell, size: float) -> float:
    """Return a cell's horizontal padding."""
    return padding(size) if cell.pad is None else cell.pad


def column_widths(
    cells: list[Cell], ncols: int, size: float, width: float, style: Style = PLAIN
) -> list[float] | None:
    """Return column widths filling width, or None if the columns do not fit at this size.

    Narrow amount columns (all as wide as the widest amount) and the header-overflow column keep
    their exact width; the others share
    what is left (a table with no other column is narrower than the page).
    """
    pad = padding(size)
    need = [2 * pad] * ncols
    fixed: dict[int, float] = {}
    amounts = [c for c in cells if style.narrow and c.align == "r" and not c.header and c.colspan == 1]
    for cell in amounts:  # every amount column as wide as the table's widest amount, no wider
        fixed[cell.col] = max(width_of(c.text, size, c.font) for c in amounts) + 2 * NARROW_PAD
    for cell in cells:
        if cell.overflow:
            fixed[cell.col] = OVERFLOW_CHARS * size + 2 * cell_pad(cell, size)
    for c, w in fixed.items():
        need[c] = w

    def wanted(cell: Cell) -> float:
        text = max((width_of(line, size, cell.font) for line in cell.text.split("\n")), default=0.0)
        if cell.header:
            text = min(text, HEADER_CHARS * size)
        elif cell.align == "l" and not cell.text.isdigit():
            text = min(text, LABEL_CHARS * size)
        return text + 2 * cell_pad(cell, size)

    for cell in sorted(cells, key=lambda cell: cell.colspan):
        span = slice(cell.col, cell.col + cell.colspan)
        free = [c for c in range(span.start, span.stop) if c not in fixed]
        short = wanted(cell) - sum(need[span])
        if short > 0 and free:
            for c in free:
                need[c] += short / len(free)
    if sum(need) > width:
        return None
    if not fixed:
        return [n * width / sum(need) for n in need]
    free_need = sum(n for c, n in enumerate(need) if c not in fixed)
    if not free_need:
        return need
    rest = width - sum(fixed.values())
    return [fixed[c] if c in fixed else n * rest / free_need for c, n in enumerate(need)]


def row_heights(cells: list[Cell], nrows: int, widths: list[float], size: float) -> list[float]:
    """Wrap every cell's text into its width and return the row heights that hold it."""
    vpad = 0.25 * size + 0.8
    heights = [size * LEADING + 2 * vpad] * nrows
    for cell in sorted(cells, key=lambda cell: cell.rowspan):
        inner = sum(widths[cell.col : cell.col + cell.colspan]) - 2 * cell_pad(cell, size)
        cell.lines = wrap(cell.text, inner, size, balance=not cell.overflow, font=cell.font)
        inside = len(cell.lines) - 1 if cell.overflow and len(cell.lines) > 1 else len(cell.lines)
        need = inside * size * LEADING + 2 * vpad
        rows = range(cell.row, cell.row + cell.rowspan)
        short = need - sum(heights[r] for r in rows)
        if short > 0:
            heights[rows[-1]] += short
    return heights


def page_size(orientation: str) -> tuple[float, float]:
    """Return the width and height of the drawing area (landscape for rotated pages)."""
    return A4 if orientation == "portrait" else landscape(A4)


def notes_lines(page: TablePage, width: float) -> list[str]:
    """Return the wrapped 注：/说明： lines printed below the grid."""
    if not page.notes:
        return []
    return [line for note in page.table.notes for line in wrap(note, width, NOTE_SIZE)]


@dataclass
class Printed:
    """One line printed around a grid: title, 公开 marker or a 部门/年度/单位 line."""

    role: str  # title | marker | meta | unit (a meta line printed above the title)
    text: str
    font: str
    size: float
    align: str  # l | c | r
    y: float  # baseline, points below the top margin


def heading(page: TablePage) -> tuple[list[Printed], float]:
    """Return what a table page prints above its grid and the height it takes.

    By default: the title, the 公开 marker below it on the right, then the 部门 / 年度 / 金额单位 line
    (HEADING_H).  Excel's order puts the marker and the unit line above the title.  subtitle-tight
    lowers the 部门 line onto the top rule; subtitle-in-grid moves it into the grid.
    """
    if not page.heading:
        return [], 0.0
    style, table = page.style, page.table
    marker = f"公开 {table.number} 表"
    meta = [] if page.subtitle_row() else meta_lines(table, style)
    items: list[Printed] = []
    y = 0.0
    if style.excel_order:
        items.append(Printed("marker", marker, style.title_font, 9, "r", 12.0))
        items += [Printed("unit", line, FONT, 9, "r", 26.0) for line in meta if line.startswith("金额单位")]
        meta = [line for line in meta if not line.startswith("金额单位")]
        y = 30.0
    for k, line in enumerate(title_lines(table, style)):
        y += 16.0 if k == 0 else 20.0
        items.append(Printed("title", line, style.title_font, 16, "c", y))
    if not style.excel_order:
        y += 18.0
        items.append(Printed("marker", marker, style.title_font, 9, "r", y))
    if meta:
        y += 16.0
        items += [Printed("meta", line, FONT, 9, meta_align(line), y) for line in meta]
    if style.subtitle == "tight" and meta:  # the grid starts TIGHT_GAP below the line's lowest ink
        return items, y + CJK_DESCENT * 9 + TIGHT_GAP
    return items, y + 10.0


def grid_area(page: TablePage) -> tuple[float, float, float]:
    """Return the width, top and bottom of the space left for the grid on a table page."""
    (w, h), margin = page_size(page.orientation), MARGIN[page.orientation]
    top = h - margin - heading(page)[1]
    notes = len(notes_lines(page, w - 2 * margin)) * NOTE_LEAD + (6.0 if page.notes else 0.0)
    return w - 2 * margin, top, margin + FOOTER_H + notes


def fit_table(pages: list[TablePage]) -> tuple[float, list[float]]:
    """Return the largest font size and the column widths at which all pages of a table fit."""
    width = grid_area(pages[0])[0]
    first = pages[0]
    whole = TablePage(
        first.table,
        [row for page in pages for row in page.body],
        first.heading,
        True,
        True,
        first.orientation,
        first.style,
    )
    everything = whole.cells()
    ncols = len(pages[0].table.body[0])
    size = MAX_SIZE[pages[0].orientation]
    while size >= MIN_SIZE:
        widths = column_widths(everything, ncols, size, width, first.style)
        if widths and all(fits(page, widths, size) for page in pages):
            return size, widths
        size -= 0.25
    raise ValueError(f"table {pages[0].table.number} does not fit on its page(s)")


def fits(page: TablePage, widths: list[float], size: float) -> bool:
    """Tell whether the page's grid fits its space at this size."""
    _, top, bottom = grid_area(page)
    return sum(row_heights(page.cells(), page.nrows(), widths, size)) <= top - bottom
