"""What a ruled grid's header says about its columns: where the header ends, and each column's role and measure.

The header rows give each column a role (code, name, row number, amount) and, for amounts, a measure
path (outer→inner header texts). Page context printed inside the ruling, header words that overflowed
their cell, and columns whose header wrapped away are told apart here; a continuation grid without a
header takes its columns from the header grid, by count or by place on the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from extract.models import EDGE_LEFT, EDGE_TOP, CellGrid
from transform.parsers import NONE_MARKS, clean_header, is_column_number_row, looks_like_amount, squash

Role = Literal["code", "name", "rowno", "amount", "blank"]

_NAME_HEADERS = ("科目名称", "项目", "项目名称", "名称", "单位名称", "支出项目", "收入项目")
_LABEL_ROW = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")
#: A full 功能/经济分类 subject code as printed: 3, 5 or 7 digits.
_SUBJECT_CODE = re.compile(r"\d{3}(?:\d{2}){0,2}")


@dataclass(frozen=True)
class ColumnSpec:
    """The role and measure path of every column of a grid, read from its header rows."""

    roles: tuple[Role, ...]
    paths: tuple[tuple[str, ...], ...]

    def measure(self, col: int) -> str:
        """The measure of an amount column: its header path joined with '/'."""
        return "/".join(self.paths[col])

def has_data_signal(cells: Sequence[str]) -> bool:
    """True when a grid row carries data: a printed amount or a subject code in its first filled cell."""
    texts = [squash(c) for c in cells]
    if is_column_number_row(list(cells)):
        return False
    if any(looks_like_amount(t) for t in texts):
        return True
    first = next((t for t in texts if t), "")
    return bool(_SUBJECT_CODE.fullmatch(first))


def has_label_signal(cells: Sequence[str]) -> bool:
    """True when a row is a body row printed without amounts: a total (合计/总计) or ordinal label (一、…) alone.

    The rest of the row is blank or numbers; a "合计" beside other header words ("合计 | 因公出国（境）费")
    is a column header.
    """
    texts = [squash(c) for c in cells if squash(c)]
    first = texts[0] if texts else ""
    if not (first.endswith(("合计", "总计", "小计")) or _LABEL_ROW.match(first)):
        return False
    return all(looks_like_amount(t) or t.isdigit() or t in NONE_MARKS for t in texts[1:])


def header_row_count(grid: CellGrid, header_texts: frozenset[str] | None = None) -> int:
    """Number of header rows at the top of a grid.

    For the first grid of a table the header ends at the first body row: a row with data (an amount or a
    code) or a total or ordinal label row printed without amounts. For a
    continuation grid, only leading rows that repeat the first grid's header texts are header.
    """
    if header_texts is not None:
        n = 0
        for row in grid.cells:
            texts = [clean_header(c) for c in row if clean_header(c)]
            if not texts or has_data_signal(row) or sum(t in header_texts for t in texts) * 2 < len(texts):
                if texts or n == 0:
                    break
            n += 1
        return n
    # the header ends at the first body row: one with data, or a total/ordinal label printed without amounts
    return next((i for i, row in enumerate(grid.cells) if has_data_signal(row) or has_label_signal(row)), grid.n_rows)


def _filled_header(grid: CellGrid, n: int) -> list[list[str]]:
    """Header texts with merged cells filled from their span's top-left cell (by missing rulings)."""
    filled: list[list[str]] = []
    for r in range(n):
        row: list[str] = []
        raw = grid.cells[r]
        for c in range(grid.n_cols):
            text = clean_header(raw[c])
            if not text and grid.edges:
                edges = grid.edges[r][c]
                if c > 0 and not edges & EDGE_LEFT:
                    text = row[c - 1]
                elif r > 0 and not edges & EDGE_TOP:
                    text = filled[r - 1][c]
            row.append(text)
        filled.append(row)
    return filled


def _role(path: Sequence[str]) -> Role:
    """A column's role from its header path."""
    if not path:
        return "blank"
    inner = path[-1]
    if any(p in ("行次", "栏次") for p in path):
        return "rowno"
    if any("编码" in p or "代码" in p for p in path) or inner in ("类", "款", "项"):
        return "code"
    if any(p in _NAME_HEADERS or p.endswith("科目名称") for p in path):
        return "name"
    return "amount"


#: Page context that some producers print inside the grid's first ruled row(s): department, year, unit, title.
_CONTEXT = re.compile(
    r"(?:部门|单位|编制单位|编制部门|填报单位|预算单位|单位名称)[:：]|^(?:19|20)\d{2}年度?$|(?:19|20)\d{2}年度"
    r"|(?:决算|预算)总?表$|公开\d{1,2}表"
)


def context_rows(grid: CellGrid) -> int:
    """Number of leading grid rows that hold only page context (部门：…, 2020年度, 金额单位：万元, a title)."""
    n = 0
    for row in grid.cells:
        texts = [t for t in (c.strip() for c in row) if t]
        if not texts or not all(_CONTEXT.search(squash(t)) for t in texts):
            break
        n += 1
    return n


def _is_fragment(text: str) -> bool:
    """A short piece of header text (a wrapped tail such as "码"), not a word that stands alone."""
    t = clean_header(text)
    return 0 < len(t) <= 3 and not looks_like_amount(t) and not t.isdigit() and t not in _STANDALONE_HEADERS


_STANDALONE_HEADERS = frozenset({"类", "款", "项", "栏次", "行次", "合计", "小计", "总计", "金额", "预算数", "决算数", "项目"})


def join_overflow_rows(grid: CellGrid, n_header: int) -> CellGrid:
    """Join a header fragment that overflowed its cell back to the cell above.

    The fragment stands alone in its header row (every other cell is empty, no amount), directly below
    a filled header cell of the same column, and continues that cell's text ("功能分类科目编" / "码").
    The emptied row stays (row numbers are lineage) and no longer adds to any column's measure path.
    """
    cells = [list(row) for row in grid.cells]
    changed = False
    for r in range(1, n_header):
        filled = [c for c, text in enumerate(cells[r]) if text.strip()]
        if len(filled) != 1 or not _is_fragment(cells[r][filled[0]]):
            continue
        c = filled[0]
        above = _anchor_above(grid, r, c)
        if above is None or not cells[above[0]][above[1]].strip():
            continue
        cells[above[0]][above[1]] = cells[above[0]][above[1]] + "\n" + cells[r][c].strip()
        cells[r][c] = ""
        changed = True
    if not changed:
        return grid
    return replace(grid, cells=tuple(tuple(row) for row in cells))


def _anchor_above(grid: CellGrid, r: int, c: int) -> tuple[int, int] | None:
    """The top-left cell of the (merged) cell directly above cell (r, c), by the grid's rulings."""
    row, col = r - 1, c
    if not grid.edges:
        return row, col
    while row > 0 and not grid.edges[row][col] & EDGE_TOP:
        row -= 1
    while col > 0 and not grid.edges[row][col] & EDGE_LEFT:
        col -= 1
    return row, col


def _codes_by_content(grid: CellGrid, n_header: int, roles: list[Role]) -> None:
    """Mark columns whose body cells are all full subject codes as code columns (header wrapped or missing)."""
    for c, role in enumerate(roles):
        if role not in ("amount", "blank"):
            continue
        body = [squash(row[c]) for row in grid.cells[n_header:] if squash(row[c])]
        if len(body) >= 2 and all(_SUBJECT_CODE.fullmatch(t) for t in body):
            roles[c] = "code"


def column_spec(grid: CellGrid, n_header: int) -> ColumnSpec:
    """Read column roles and measure paths from the first ``n_header`` rows of a grid."""
    filled = _filled_header(grid, n_header)
    paths: list[tuple[str, ...]] = []
    for c in range(grid.n_cols):
        path: list[str] = []
        for r in range(n_header):
            if is_column_number_row(list(grid.cells[r])):
                continue
            text = filled[r][c]
            if text and (not path or path[-1] != text):
                path.append(text)
        paths.append(tuple(path))
    roles = [_role(p) for p in paths]
    _codes_by_content(grid, n_header, roles)
    return ColumnSpec(roles=tuple(roles), paths=tuple(paths))


def text_columns_by_content(grid: CellGrid, n_header: int, spec: ColumnSpec) -> ColumnSpec:
    """Columns headed like amounts, or not headed, whose body is words and no amounts become name columns."""
    roles = list(spec.roles)
    for c, role in enumerate(roles):
        if role not in ("amount", "blank"):
            continue
        body = [squash(grid.cells[r][c]) for r in range(n_header, grid.n_rows)]
        words = [t for t in body if t and not looks_like_amount(t) and not t.isdigit() and t not in NONE_MARKS]
        if words and not any(looks_like_amount(t) for t in body if t):
            roles[c] = "name"
    return replace(spec, roles=tuple(roles)) if roles != list(spec.roles) else spec


def _column_spans(grid: CellGrid) -> list[tuple[float, float]] | None:
    """Each column's left and right edge on the page (from the cell boxes of its widest rows), None without boxes."""
    if not grid.boxes:
        return None
    spans: list[tuple[float, float]] = []
    for c in range(grid.n_cols):
        boxes = [(row[c][0], row[c][2]) for row in grid.boxes if c < len(row)]
        if not boxes:
            return None
        spans.append(min(boxes, key=lambda box: box[1] - box[0]))  # merged cells reach further: the narrowest is the column
    return spans


def _column_under(spans: Sequence[tuple[float, float]], x0: float, x1: float) -> int | None:
    """The column of ``spans`` whose span (give or take a point) holds the centre of ``x0``…``x1``, or None."""
    centre = (x0 + x1) / 2
    return next((i for i, (a, b) in enumerate(spans) if a - 1 <= centre <= b + 1), None)


def spec_by_position(grid: CellGrid, spec_grid: CellGrid, spec: ColumnSpec) -> ColumnSpec | None:
    """The spec of a header-less grid whose columns differ: each column takes the header column its centre lies in."""
    mine, theirs = _column_spans(grid), _column_spans(spec_grid)
    if mine is None or theirs is None or len(theirs) != len(spec.roles):
        return None
    roles: list[Role] = []
    paths: list[tuple[str, ...]] = []
    for x0, x1 in mine:
        match = _column_under(theirs, x0, x1)
        if match is None:
            return None
        roles.append(spec.roles[match])
        paths.append(spec.paths[match])
    if roles.count("amount") and len({p for p, r in zip(paths, roles, strict=True) if r == "amount"}) < roles.count("amount"):
        return None  # two columns under one amount header: the place says nothing safe
    return ColumnSpec(roles=tuple(roles), paths=tuple(paths))


def with_header_above(spec: ColumnSpec, grid: CellGrid, above: CellGrid, above_spec: ColumnSpec) -> ColumnSpec:
    """``spec`` with the header printed in a grid of its own above ``grid`` put before each column's path, by place."""
    mine, theirs = _column_spans(grid), _column_spans(above)
    if mine is None or theirs is None:
        return spec
    paths = []
    roles = list(spec.roles)
    for index, ((x0, x1), path) in enumerate(zip(mine, spec.paths, strict=True)):
        match = _column_under(theirs, x0, x1)
        outer = above_spec.paths[match] if match is not None else ()
        if roles[index] == "blank" and match is not None and above_spec.roles[match] != "blank":
            # a header cut by a page break: the column is named above the break only (合计 over 类/款/项)
            roles[index] = above_spec.roles[match]
        paths.append(tuple(dict.fromkeys((*outer, *path))))
    return replace(spec, roles=tuple(roles), paths=tuple(paths))


def spec_from_content(grid: CellGrid, previous: ColumnSpec | None) -> ColumnSpec | None:
    """Column spec for a header-less continuation grid: reuse the previous one if the columns line up."""
    if previous is not None and len(previous.roles) == grid.n_cols:
        return previous
    return None


def without_rows(grid: CellGrid, skip: int) -> CellGrid:
    """The grid without its first ``skip`` rows (page context printed inside the ruling)."""
    if not skip:
        return grid
    return replace(
        grid, cells=grid.cells[skip:], edges=grid.edges[skip:], boxes=grid.boxes[skip:] if grid.boxes else ()
    )
