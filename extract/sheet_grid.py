"""A sheet laid out as a page: printed characters with their boxes, and the ruled grids of its tables.

PDF extraction hands identification a page (its characters, in printed reading order) and the ruled grids
on it. A sheet becomes the same: each visible row and column gets a place on a virtual page, every
visible cell's displayed text becomes characters inside its (merged) cell's box, and each block of
ruled rows becomes a ``CellGrid`` whose merged cells come from the sheet's merge list. From there on a
spreadsheet is read by the code that reads PDFs: titles, 目录, units, header inference, staging.

Hidden rows and columns are not laid out (they are not printed); hidden sheets are not read at all. A
sheet without any ruling gets its grid from its content: from the first row with two or more cells that
is not the 部门/年度/单位 line to the last row before the notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from extract.cells import PageChar, reading_order_text
from extract.kinds import cell_name
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, EDGES_ALL, CellGrid, SheetOrigin
from extract.pdf import MIN_RULING_PATHS, PageInfo
from extract.workbook import SheetCell, SheetData

#: Geometry of the virtual page, in points: margins, row and character sizes.
MARGIN = 20.0
LINE_HEIGHT = 16.0
CHAR_HEIGHT = 12.0
ROW_PADDING = 4.0
CELL_PADDING = 5.0  # each side: two cells' texts are always a word break apart (> 0.6 of a character's height)
WIDE_CHAR, NARROW_CHAR, SPACE = 12.0, 7.0, 8.0
MIN_COL_WIDTH, MAX_COL_WIDTH = 40.0, 420.0

_META_ROW = re.compile(r"(?:金额)?单位\s*[:：]|^(?:部门|编制单位|编制部门|填报单位|单位名称|预算单位)\s*[:：]|^(?:19|20)\d{2}\s*年")
_NOTE_ROW = re.compile(r"^\s*(?:注|说明|备注)\s*\d*\s*[:：.．、]")


@dataclass(frozen=True)
class SheetPage:
    """One sheet as a page: its PageInfo, the grids on it, where its cells come from, and what was not read."""

    page: PageInfo
    grids: tuple[CellGrid, ...]
    origin: SheetOrigin
    notes: tuple[str, ...]


def _char_width(ch: str) -> float:
    """Advance of one character on the virtual page (full-width CJK twice as wide as Latin digits)."""
    return WIDE_CHAR if unicodedata.east_asian_width(ch) in ("W", "F") else NARROW_CHAR


def _text_width(text: str) -> float:
    """Width of the widest line of a text laid out on the virtual page."""
    return max((sum(SPACE if ch.isspace() else _char_width(ch) for ch in line) for line in text.split("\n")), default=0.0)


def _merge_map(sheet: SheetData) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Each merged cell's position → its merge range (row0, col0, row1, col1)."""
    members: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for merge in sheet.merges:
        r0, c0, r1, c1 = merge
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                members[(r, c)] = merge
    return members


def lay_out_sheet(sheet: SheetData) -> SheetPage:
    """Lay a visible sheet out as a page with its grids (see the module docstring).

    Parameters
    ----------
    sheet
        What ``extract.workbook`` read of the sheet.

    Returns
    -------
    SheetPage
        The page (number = the sheet's position in the workbook), its grids and origin, and notes on
        hidden rows and columns that held content.

    """
    used = set(sheet.cells) | set(sheet.rulings)
    merges = _merge_map(sheet)
    rows = sorted({r for r, _ in used} - sheet.hidden_rows)
    cols = sorted({c for _, c in used} - sheet.hidden_cols)
    notes = _hidden_notes(sheet)
    visible_rows, visible_cols = set(rows), set(cols)
    # column widths from their own (unmerged) texts; merged texts are squeezed into their span
    widths = dict.fromkeys(cols, MIN_COL_WIDTH)
    for (r, c), cell in sheet.cells.items():
        if c in widths and r in visible_rows and (r, c) not in merges:
            widths[c] = max(widths[c], min(MAX_COL_WIDTH, _text_width(cell.text) + 2 * CELL_PADDING))
    lefts: list[float] = []
    x = MARGIN
    for c in cols:
        lefts.append(round(x, 2))
        x += widths[c]
    right_edge = x
    line_counts = dict.fromkeys(rows, 1)
    for (r, c), cell in sheet.cells.items():
        if r in line_counts and c in visible_cols:
            line_counts[r] = max(line_counts[r], cell.text.count("\n") + 1)
    tops: list[float] = []
    y = MARGIN
    for r in rows:
        tops.append(round(y, 2))
        y += LINE_HEIGHT * line_counts[r] + ROW_PADDING
    bottom_edge = y
    col_x = {c: (lefts[i], lefts[i + 1] if i + 1 < len(lefts) else round(right_edge, 2)) for i, c in enumerate(cols)}
    row_y = {r: (tops[i], tops[i + 1] if i + 1 < len(tops) else round(bottom_edge, 2)) for i, r in enumerate(rows)}

    def span_box(r: int, c: int) -> tuple[float, float, float, float]:
        r0, c0, r1, c1 = merges.get((r, c), (r, c, r, c))
        span_cols = [k for k in cols if c0 <= k <= c1]
        span_rows = [k for k in rows if r0 <= k <= r1]
        return col_x[span_cols[0]][0], row_y[span_rows[0]][0], col_x[span_cols[-1]][1], row_y[span_rows[-1]][1]

    chars: list[PageChar] = []
    for (r, c), cell in sorted(sheet.cells.items()):
        anchor = _visible_anchor(r, c, merges, visible_rows, visible_cols)
        if anchor is None:
            continue
        chars.extend(_cell_chars(cell.text, span_box(*anchor)))
    grids = tuple(
        _grid(sheet, block_rows, block_cols, merges, span_box)
        for block_rows, block_cols in _blocks(sheet, rows, cols, merges)
    )
    page = PageInfo(
        number=sheet.index,
        text=reading_order_text(chars),
        width=right_edge + MARGIN,
        height=bottom_edge + MARGIN,
        rotation=0,
        n_paths=MIN_RULING_PATHS if grids else 0,
        image_share=0.0,
        chars=tuple(chars),
    )
    stored = {
        key: str(cell.stored)
        for key, cell in sheet.cells.items()
        if cell.stored is not None and cell.shown is not None and cell.stored != cell.shown
    }
    origin = SheetOrigin(sheet.index, sheet.name, tuple(lefts), tuple(cols), tuple(tops), tuple(rows), stored)
    return SheetPage(page, grids, origin, tuple(notes))


def _visible_anchor(
    r: int, c: int, merges: dict[tuple[int, int], tuple[int, int, int, int]], rows: set[int], cols: set[int]
) -> tuple[int, int] | None:
    """Where a cell's text is printed: itself, or the first visible cell of its merge range (None: hidden)."""
    if (r, c) not in merges:
        return (r, c) if r in rows and c in cols else None
    r0, c0, r1, c1 = merges[(r, c)]
    if (r, c) != (r0, c0):
        return None  # only a merge's top-left cell holds its value
    first_row = next((k for k in range(r0, r1 + 1) if k in rows), None)
    first_col = next((k for k in range(c0, c1 + 1) if k in cols), None)
    return (first_row, first_col) if first_row is not None and first_col is not None else None


def _cell_chars(text: str, box: tuple[float, float, float, float]) -> list[PageChar]:
    """The characters of a cell's text inside its box: lines top to bottom, squeezed to the box's width."""
    x0, top, x1, _ = box
    room = max(x1 - x0 - 2 * CELL_PADDING, 1.0)
    out: list[PageChar] = []
    for n, line in enumerate(text.split("\n")):
        line = line.strip()
        if not line:
            continue
        width = _text_width(line)
        scale = min(1.0, room / width) if width else 1.0
        x = x0 + CELL_PADDING
        y = top + ROW_PADDING / 2 + n * LINE_HEIGHT
        for ch in line:
            if ch.isspace():
                x += SPACE  # never squeezed: a space stays a word break
                continue
            advance = _char_width(ch) * scale
            out.append(PageChar(ch, round(x, 2), round(y, 2), round(x + advance, 2), round(y + CHAR_HEIGHT, 2)))
            x += advance
    return out


def _ruled(sheet: SheetData, r: int, c: int) -> bool:
    """True when a vertical ruling bounds the cell: its own left or right border, or a neighbour's shared side.

    Vertical rules separate a table's columns; a title or a 单位 line above a table touches only the
    table's top rule, and is not part of it.
    """
    rulings = sheet.rulings
    return bool(
        rulings.get((r, c), 0) & (EDGE_LEFT | EDGE_RIGHT)
        or rulings.get((r, c - 1), 0) & EDGE_RIGHT
        or rulings.get((r, c + 1), 0) & EDGE_LEFT
    )


def _blocks(
    sheet: SheetData, rows: list[int], cols: list[int], merges: dict[tuple[int, int], tuple[int, int, int, int]]
) -> Iterable[tuple[list[int], list[int]]]:
    """The tables of a sheet: runs of rows with two or more ruled cells (by content when nothing is ruled)."""
    if not any(flags & (EDGE_LEFT | EDGE_RIGHT) for flags in sheet.rulings.values()):
        block = _content_block(sheet, rows, cols)
        if block is not None:
            yield block
        return
    run: list[int] = []
    for r in [*rows, None]:
        ruled = [c for c in cols if _ruled(sheet, r, c)] if r is not None else []
        if len(ruled) >= 2 or (r is not None and run and _spans_ruled_merge(r, cols, merges, sheet)):
            run.append(r)  # type: ignore[arg-type]
            continue
        if len(run) >= 2:
            block_cols = sorted({c for k in run for c in cols if _ruled(sheet, k, c)})
            yield run, [c for c in cols if block_cols[0] <= c <= block_cols[-1]]
        run = []


def _spans_ruled_merge(r: int, cols: list[int], merges: dict[tuple[int, int], tuple[int, int, int, int]], sheet: SheetData) -> bool:
    """True when the row lies inside a merged cell that is ruled (a header cell two rows high)."""
    for c in cols:
        merge = merges.get((r, c))
        if merge is not None and merge[0] < r and _ruled(sheet, merge[0], merge[1]):
            return True
    return False


def _row_text(sheet: SheetData, r: int, cols: list[int]) -> list[str]:
    """The non-empty displayed texts of a row's visible cells."""
    return [cell.text for c in cols if (cell := sheet.cells.get((r, c))) is not None and cell.text.strip()]


def _content_block(sheet: SheetData, rows: list[int], cols: list[int]) -> tuple[list[int], list[int]] | None:
    """The table of a sheet without rulings: from its first header-like row to its last row before the notes."""
    start = None
    for index, r in enumerate(rows):
        texts = _row_text(sheet, r, cols)
        if len(texts) >= 2 and not any(_META_ROW.search(t.strip()) for t in texts):
            start = index
            break
    if start is None:
        return None
    block: list[int] = []
    for r in rows[start:]:
        texts = _row_text(sheet, r, cols)
        if len(texts) == 1 and _NOTE_ROW.match(texts[0]):
            break
        block.append(r)
    while block and not _row_text(sheet, block[-1], cols):
        block.pop()
    if len(block) < 2:
        return None
    used = sorted({c for r in block for c in cols if (r, c) in sheet.cells})
    return block, [c for c in cols if used[0] <= c <= used[-1]]


def _grid(
    sheet: SheetData,
    rows: list[int],
    cols: list[int],
    merges: dict[tuple[int, int], tuple[int, int, int, int]],
    span_box: object,
) -> CellGrid:
    """One block of rows and columns as a CellGrid: texts at merge anchors, merged cells without inner edges."""
    box_of = span_box  # (row, col) → the cell's (merged) box on the page
    row_set, col_set = set(rows), set(cols)
    cells: list[tuple[str, ...]] = []
    edges: list[tuple[int, ...]] = []
    boxes: list[tuple[tuple[float, float, float, float], ...]] = []
    for r in rows:
        texts, flags, row_boxes = [], [], []
        for c in cols:
            merge = merges.get((r, c))
            anchor = _visible_anchor(*(merge[:2] if merge else (r, c)), merges, row_set, col_set)
            cell: SheetCell | None = sheet.cells.get(merge[:2] if merge else (r, c))
            texts.append(cell.text if cell is not None and anchor == (r, c) else "")
            edge = EDGES_ALL
            if merge is not None:
                r0, c0, r1, c1 = merge
                if c > c0:
                    edge &= ~EDGE_LEFT
                if c < c1:
                    edge &= ~EDGE_RIGHT
                if r > r0:
                    edge &= ~EDGE_TOP
                if r < r1:
                    edge &= ~EDGE_BOTTOM
            flags.append(edge)
            row_boxes.append(box_of(r, c))  # type: ignore[operator]
        cells.append(tuple(texts))
        edges.append(tuple(flags))
        boxes.append(tuple(row_boxes))
    n_cells = len(rows) * len(cols)
    empty = sum(1 for row in cells for text in row if not text.strip())
    report = {
        "accuracy": 100.0,
        "whitespace": round(100.0 * empty / n_cells, 2) if n_cells else 100.0,
        "page": float(sheet.index),
        "outside_chars_pct": 0.0,
    }
    return CellGrid(page=sheet.index, cells=tuple(cells), edges=tuple(edges), parsing_report=report, boxes=tuple(boxes))


def _hidden_notes(sheet: SheetData) -> list[str]:
    """What hidden rows and columns held (not read, as they are not printed)."""
    notes = []
    rows = sorted({r for r, _ in sheet.cells if r in sheet.hidden_rows})
    cols = sorted({c for _, c in sheet.cells if c in sheet.hidden_cols})
    if rows:
        notes.append(f"sheet {sheet.name}: hidden rows {_ranges(rows)} hold values; not read (they are not printed)")
    if cols:
        names = ", ".join(cell_name(1, c)[:-1] for c in cols)
        notes.append(f"sheet {sheet.name}: hidden columns {names} hold values; not read (they are not printed)")
    return notes


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 7 → "1–3, 7"."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"{start}–{prev}" if prev != start else str(start))
        if n is not None:
            start = prev = n
    return ", ".join(out)


_PAGE = re.compile(r"\bpage (\d+)\b")


def sheet_names(message: str, origins: Iterable[SheetOrigin]) -> str:
    """A message about a spreadsheet with its sheets named: "page 7" becomes "sheet 公开05表"."""
    names = {origin.page: origin.sheet for origin in origins}
    return _PAGE.sub(lambda m: f"sheet {names[int(m.group(1))]}" if int(m.group(1)) in names else m.group(0), message)
