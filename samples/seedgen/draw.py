"""Drawing the reportlab pages: cover, narrative, ruled grids, cell texts, row runs, table pages.

A table page is printed as its ``Style`` says (see ``seedgen.style``): row runs write a whole row as
one text object, Excel's order writes the title after the grid's texts.
"""

from __future__ import annotations

import math

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .cells import Cell, TablePage
from .fonts import FONT, FONT_FILES
from .layout import (
    CJK_ASCENT,
    FOOTER_H,
    LEADING,
    MARGIN,
    NOTE_LEAD,
    NOTE_SIZE,
    Printed,
    cell_pad,
    heading,
    notes_lines,
    page_size,
    row_heights,
    width_of,
    wrap,
)
from .seed import Seed, narrative_kind
from .style import PLAIN, Style

# narrative styles: font size, leading, alignment, indent of every line (characters), space before
STYLES = {
    "part": (18.0, 32.0, "c", 0, 0.0),
    "title": (15.0, 28.0, "c", 0, 0.0),
    "head": (11.5, 20.0, "l", 0, 6.0),
    "text": (10.5, 18.0, "l", 0, 0.0),
    "toc-part": (11.5, 21.0, "l", 0, 6.0),
    "toc-item": (10.5, 18.0, "l", 2, 0.0),
}


def start_page(canvas: Canvas, orientation: str) -> tuple[float, float]:
    """Begin a page; return the drawing area, which a rotated page turns to landscape."""
    # reportlab takes the displayed size and swaps the MediaBox of a /Rotate 90 page: portrait here
    canvas.setPageSize(A4 if orientation == "portrait" else landscape(A4))
    canvas.setPageRotation(90 if orientation == "rotated" else 0)
    if orientation == "rotated":  # /Rotate 90 shows the page turned clockwise: draw turned back
        canvas.translate(A4[0], 0)
        canvas.rotate(90)
    return page_size(orientation)


def finish_page(canvas: Canvas, width: float, number: int, margin: float) -> None:
    """Print the page number and close the page."""
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(width / 2, margin - 12, f"- {number} -")
    canvas.showPage()


def draw_cover(canvas: Canvas, seed: Seed) -> None:
    """Draw the cover: department and 部门决算 year in big type."""
    width, height = start_page(canvas, "portrait")
    canvas.setFont(FONT, 26)
    canvas.drawCentredString(width / 2, height * 0.62, seed.department)
    canvas.setFont(FONT, 30)
    canvas.drawCentredString(width / 2, height * 0.62 - 64, f"{seed.year}部门决算")
    canvas.showPage()


def narrative(lines: list[str], toc: bool = False) -> list[tuple[str, str]]:
    """Tag each narrative line with its style (the kinds of seed.narrative_kind; toc-part, toc-item)."""
    items: list[tuple[str, str]] = []
    for line in lines:
        kind = narrative_kind(line, items[-1][0] if items else None)
        if toc and kind in ("head", "text"):
            kind = "toc-part" if line.startswith("第") else "toc-item"
            line = line.removeprefix("- ")
        elif kind == "text":
            line = "\u3000\u3000" + line  # first-line indent, as printed
        items.append((kind, line))
    return items


def draw_narrative(canvas: Canvas, items: list[tuple[str, str]], width: float, height: float) -> int:
    """Flow styled paragraphs down the page; return how many fitted."""
    margin = MARGIN["portrait"]
    y = height - margin
    for k, (kind, text) in enumerate(items):
        size, lead, align, indent, before = STYLES[kind]
        left = margin + indent * size
        lines = wrap(text, width - margin - left, size)
        if y - before - len(lines) * lead < margin + FOOTER_H:
            return k
        y -= before
        canvas.setFont(FONT, size)
        for line in lines:
            y -= lead
            if align == "c":
                canvas.drawCentredString(width / 2, y + (lead - size) / 2, line)
            else:
                canvas.drawString(left, y + (lead - size) / 2, line)
    return len(items)


def runs(slots: list[int]) -> list[tuple[int, int]]:
    """Group sorted slot indexes into (first, last) runs of neighbours."""
    groups: list[tuple[int, int]] = []
    for s in slots:
        if groups and groups[-1][1] == s - 1:
            groups[-1] = (groups[-1][0], s)
        else:
            groups.append((s, s))
    return groups


def draw_grid(
    canvas: Canvas,
    cells: list[Cell],
    widths: list[float],
    heights: list[float],
    left: float,
    top: float,
    rules: str = "all",
) -> None:
    """Rule every cell with thin vector lines, leaving no rule inside a merged cell.

    ``rules``: ``all``; ``open-sides`` (no outer vertical borders, as Word's open table styles print);
    ``horizontal`` (row rules only, no vertical rule at all); ``three-line`` (a 三线表: the top rule, one
    under the header and the foot, nothing else).
    """
    xs = [left + sum(widths[:i]) for i in range(len(widths) + 1)]
    ys = [top - sum(heights[:i]) for i in range(len(heights) + 1)]
    nrows, ncols = len(heights), len(widths)
    owner = {}
    for k, cell in enumerate(cells):
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                owner[r, c] = k
    canvas.setLineWidth(0.5)
    if rules == "three-line":
        header_rows = 1 + max((cell.row + cell.rowspan - 1 for cell in cells if cell.header), default=0)
        for r in (0, header_rows, nrows):
            canvas.line(xs[0], ys[r], xs[-1], ys[r])
        return
    for r in range(nrows + 1):
        cut = [c for c in range(ncols) if r in (0, nrows) or owner[r - 1, c] != owner[r, c]]
        for first, last in runs(cut):
            canvas.line(xs[first], ys[r], xs[last + 1], ys[r])
    for c in range(ncols + 1):
        if rules == "horizontal" or (rules == "open-sides" and c in (0, ncols)):
            continue
        cut = [r for r in range(nrows) if c in (0, ncols) or owner[r, c - 1] != owner[r, c]]
        for first, last in runs(cut):
            canvas.line(xs[c], ys[first], xs[c], ys[last + 1])


def draw_cell_texts(
    canvas: Canvas,
    cells: list[Cell],
    widths: list[float],
    heights: list[float],
    corner: tuple[float, float],
    size: float,
    style: Style = PLAIN,
    run_font: str | None = None,
) -> None:
    """Print every cell's wrapped lines, centred vertically in the cell.

    An overflow cell prints its last line just below its bottom rule; with row runs, a row whose
    cells are all one line is written as one text object.
    """
    lead = size * LEADING
    x0, top = corner
    canvas.setFont(FONT, size)
    current = FONT
    run_rows = whole_rows(cells) if style.row_runs else {}
    for cell in cells:
        if cell.row in run_rows:
            continue
        if cell.font != current:
            canvas.setFont(cell.font, size)
            current = cell.font
        pad = cell_pad(cell, size)
        left = x0 + sum(widths[: cell.col])
        right = left + sum(widths[cell.col : cell.col + cell.colspan])
        height = sum(heights[cell.row : cell.row + cell.rowspan])
        if cell.segments:
            base = (
                top - sum(heights[: cell.row]) - (height - lead) / 2 - lead + (lead - size) / 2 + 0.14 * size
            )
            draw_segments(canvas, cell.segments, left + pad, right - pad, base)
            continue
        inside = cell.lines[:-1] if cell.overflow and len(cell.lines) > 1 else cell.lines
        y = top - sum(heights[: cell.row]) - (height - len(inside) * lead) / 2
        for k, line in enumerate(cell.lines):
            y -= lead
            base = y + (lead - size) / 2 + 0.14 * size
            if k == len(inside):  # the overflowing line: its ink just below the bottom rule
                base = top - sum(heights[: cell.row + cell.rowspan]) - 1.2 - CJK_ASCENT * size
            if cell.align == "l":
                canvas.drawString(left + pad, base, line)
            elif cell.align == "r":
                canvas.drawRightString(right - pad, base, line)
            else:
                canvas.drawCentredString((left + right) / 2, base, line)
    for members in run_rows.values():
        draw_row_run(canvas, members, widths, heights, corner, size, style.row_runs, run_font or FONT)


def draw_segments(
    canvas: Canvas, segments: list[tuple[str, str]], left: float, right: float, base: float
) -> None:
    """Print texts on one line of a cell: left, centred and right-aligned ones."""
    for text, align in segments:
        if align == "l":
            canvas.drawString(left, base, text)
        elif align == "r":
            canvas.drawRightString(right, base, text)
        else:
            canvas.drawCentredString((left + right) / 2, base, text)


def whole_rows(cells: list[Cell]) -> dict[int, list[Cell]]:
    """Return the grid rows whose own cells are all one-line, one-row cells (at least two texts)."""
    rows: dict[int, list[Cell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    return {
        row: sorted(members, key=lambda cell: cell.col)
        for row, members in rows.items()
        if all(c.rowspan == 1 and len(c.lines) <= 1 and not c.segments and not c.overflow for c in members)
        and sum(1 for c in members if c.text) >= 2
    }


def draw_row_run(
    canvas: Canvas,
    members: list[Cell],
    widths: list[float],
    heights: list[float],
    corner: tuple[float, float],
    size: float,
    mode: str,
    font: str,
) -> None:
    """Write one grid row as a single text object, each cell's text placed at its column.

    tj: one BT … ET with one TJ array that moves the pen between cells by numeric offsets (as report
    engines do); spaces: one string whose cells are separated by as many spaces as reach the column.
    font is the page's run font (see run_font), so a row's glyphs share one font subset and the
    row is one text-showing operator.
    """
    lead = size * LEADING
    x0, top = corner
    row = members[0].row
    base = top - sum(heights[: row + 1]) + (heights[row] - lead) / 2 + (lead - size) / 2 + 0.14 * size
    placed: list[tuple[float, str, str, str]] = []  # x, text, font, align
    for cell in members:
        if not cell.lines or not cell.lines[0]:
            continue
        text, pad = cell.lines[0], cell_pad(cell, size)
        left = x0 + sum(widths[: cell.col])
        right = left + sum(widths[cell.col : cell.col + cell.colspan])
        w = width_of(text, size, font)
        x = {"l": left + pad, "r": right - pad - w, "c": (left + right) / 2 - w / 2}[cell.align]
        placed.append((x, text, font, cell.align))
    if mode == "spaces":
        font = placed[0][2]
        space = width_of(" ", size, font)
        line, now = placed[0][1], placed[0][0] + width_of(placed[0][1], size, font)
        for x, text, _, align in placed[1:]:
            gap = (x - now) / space
            n = max(1, math.floor(gap) if align == "r" else math.ceil(gap))
            line += " " * n + text
            now += n * space + width_of(text, size, font)
        canvas.setFont(font, size)
        canvas.drawString(placed[0][0], base, line)
        return
    code = ["BT", f"1 0 0 1 {fp_str(placed[0][0])} {fp_str(base)} Tm"]
    array: list[str] = []
    current: tuple[str, int] | None = None
    now = placed[0][0]

    def flush() -> None:
        if array:
            code.append(f"[{' '.join(array)}] TJ")
            array.clear()

    for x, text, fontname, _ in placed:
        font = pdfmetrics.getFont(fontname)
        if abs(x - now) > 1e-6:
            array.append(fp_str(-(x - now) * 1000 / size))
        for subset, chunk in font.splitString(text, canvas._doc):
            if (fontname, subset) != current:
                flush()
                code.append(f"{font.getSubsetInternalName(subset, canvas._doc)} {fp_str(size)} Tf")
                current = (fontname, subset)
            array.append(f"({canvas._escape(chunk)})")
        now = x + width_of(text, size, fontname)
    flush()
    code.append("ET")
    canvas._code.append(" ".join(code))


def run_font(page: TablePage) -> str | None:
    """Register and return the font a row-runs page writes its rows in, or None.

    reportlab embeds a TrueType font as subsets of 256 glyphs numbered in order of first use, so a
    row's characters would fall into several subsets (a Tf switch, a new text-showing operator) in
    the middle of a row.  A fresh instance of the same font per table, without reportlab's ASCII
    reservation, keeps every character of a table (at most about 200) in one subset.
    """
    if not page.style.row_runs:
        return None
    name = f"{FONT}Runs{page.table.number}"
    if name not in pdfmetrics.getRegisteredFontNames():
        font = TTFont(name, str(FONT_FILES[FONT][0]), asciiReadable=False)
        font.face.name += f"-Runs{page.table.number}".encode()  # reportlab keeps one font per face name
        pdfmetrics.registerFont(font)
    return name


def draw_printed(canvas: Canvas, items: list[Printed], width: float, margin: float, top: float) -> None:
    """Print heading lines at their places."""
    for item in items:
        canvas.setFont(item.font, item.size)
        if item.align == "l":
            canvas.drawString(margin, top - item.y, item.text)
        elif item.align == "r":
            canvas.drawRightString(width - margin, top - item.y, item.text)
        else:
            canvas.drawCentredString(width / 2, top - item.y, item.text)


def draw_table_page(canvas: Canvas, page: TablePage, size: float, widths: list[float], number: int) -> None:
    """Draw one table page: heading, ruled grid, notes.

    Excel's order writes the grid, the header texts, the marker and unit line, the body, the notes and
    only then the title and 部门 line.
    """
    width, height = start_page(canvas, page.orientation)
    margin = MARGIN[page.orientation]
    top = height - margin
    style = page.style
    items, heading_h = heading(page)
    if not style.excel_order:
        draw_printed(canvas, items, width, margin, top)
    grid_top = top - heading_h
    cells = page.cells()
    heights = row_heights(cells, page.nrows(), widths, size)
    left = margin + max(0.0, (width - 2 * margin - sum(widths)) / 2)  # a narrow grid is centred
    draw_grid(canvas, cells, widths, heights, left, grid_top, style.rules)
    if style.excel_order:
        head = [cell for cell in cells if cell.header]
        draw_cell_texts(canvas, head, widths, heights, (left, grid_top), size, style, run_font(page))
        draw_printed(canvas, [i for i in items if i.role in ("marker", "unit")], width, margin, top)
        body = [cell for cell in cells if not cell.header]
        draw_cell_texts(canvas, body, widths, heights, (left, grid_top), size, style, run_font(page))
    else:
        draw_cell_texts(canvas, cells, widths, heights, (left, grid_top), size, style, run_font(page))
    y = grid_top - sum(heights) - 6
    canvas.setFont(FONT, NOTE_SIZE)
    for line in notes_lines(page, width - 2 * margin):
        y -= NOTE_LEAD
        canvas.drawString(margin, y, line)
    if style.excel_order:
        draw_printed(canvas, [i for i in items if i.role in ("title", "meta")], width, margin, top)
    finish_page(canvas, width, number, margin)
