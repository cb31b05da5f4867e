"""Ruled grids of one standard table → stg_cells rows (one per published amount cell).

One generic normaliser reads every table shape from its own header: the header rows give each
column a role (code, name, row number, amount) and, for amounts, a measure path. Amount columns
take their row identity from the nearest code/name columns to their left, which covers coded
tables (02, 03, 05, 08, 09), two-sided tables (01, 04), the side-by-side economic table (06) and
the label-less 三公 table (07) alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

import pandas as pd

from extract.models import CODED_TABLES, EDGE_LEFT, EDGE_TOP, CellGrid, ExtractionIssue, RawTable
from extract.table_types import table_kind
from transform.parsers import (
    NONE_MARKS,
    CellParseError,
    clean_header,
    clean_label,
    is_code,
    is_column_number_row,
    join_code,
    looks_like_amount,
    parse_amount,
    squash,
)
from transform.stg_cells import STG_CELLS_COLUMNS, UNIT_FACTORS, empty_stg_cells

Role = Literal["code", "name", "rowno", "amount", "blank"]

ECONOMIC_TABLES = frozenset(code for code, kind in CODED_TABLES.items() if kind == "economic")
#: Headers of procurement columns that say how an item is bought, not what it is.
_HOW_BOUGHT = re.compile(r"组织形式|采购方式|形式$")
_NAME_HEADERS = ("科目名称", "项目", "项目名称", "名称", "单位名称", "支出项目", "收入项目")
_TOTAL_LABEL = re.compile(r"(合计|总计|小计)")
#: How complete row labels end; a label cut by a page break usually does not ("…国债安", "…生产补").
_COMPLETE_LABEL = re.compile(
    r"(合计|总计|小计|支出|收入|结余|分配|拨款|费用|经费|费|补助|补贴|资金|事务|管理|其他|款|金|税)$"
)
_ORDINAL_TAIL = re.compile(r"\s+([一二三四五六七八九十]+)$")
_LABEL_ROW = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


@dataclass(frozen=True)
class ColumnSpec:
    """The role and measure path of every column of a grid, read from its header rows."""

    roles: tuple[Role, ...]
    paths: tuple[tuple[str, ...], ...]

    def measure(self, col: int) -> str:
        """The measure of an amount column: its header path joined with '/'."""
        return "/".join(self.paths[col])


@dataclass
class _Row:
    page: int
    index: int
    cells: list[str]
    spec: ColumnSpec
    continuation_start: bool = False
    boxes: tuple[tuple[float, float, float, float], ...] = ()


@dataclass
class StagedTable:
    """The staged cells of one table plus what went wrong reading it."""

    cells: pd.DataFrame
    body_rows: int
    issues: list[ExtractionIssue] = field(default_factory=list)


def has_data_signal(cells: Sequence[str]) -> bool:
    """True when a grid row carries data: a printed amount or a subject code in its first filled cell."""
    texts = [squash(c) for c in cells]
    if is_column_number_row(list(cells)):
        return False
    if any(looks_like_amount(t) for t in texts):
        return True
    first = next((t for t in texts if t), "")
    return bool(re.fullmatch(r"\d{3}(?:\d{2}){0,2}", first))


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
        if len(body) >= 2 and all(re.fullmatch(r"\d{3}(?:\d{2}){0,2}", t) for t in body):
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


def _fill_merged_names(cells: list[str], above: list[str], grid: CellGrid, r: int, spec: ColumnSpec) -> list[str]:
    """A name cell merged with the one above it (no ruling between them) reads as that cell's text."""
    if not grid.edges or r >= len(grid.edges):
        return cells
    filled = list(cells)
    for c, role in enumerate(spec.roles):
        if role == "name" and not squash(cells[c]) and c < len(grid.edges[r]) and not grid.edges[r][c] & EDGE_TOP:
            filled[c] = above[c]
    return filled


def _column_spans(grid: CellGrid) -> list[tuple[float, float]] | None:
    """Each column's left and right edge on the page (from the cell boxes of its widest rows), None without boxes."""
    if not grid.boxes:
        return None
    spans: list[tuple[float, float]] = []
    for c in range(grid.n_cols):
        lefts = [row[c][0] for row in grid.boxes if c < len(row)]
        rights = [row[c][2] for row in grid.boxes if c < len(row)]
        if not lefts:
            return None
        spans.append((min(lefts), min(rights)))  # merged cells reach further right: the narrowest is the column
    return spans


def spec_by_position(grid: CellGrid, spec_grid: CellGrid, spec: ColumnSpec) -> ColumnSpec | None:
    """The spec of a header-less grid whose columns differ: each column takes the header column its centre lies in."""
    mine, theirs = _column_spans(grid), _column_spans(spec_grid)
    if mine is None or theirs is None or len(theirs) != len(spec.roles):
        return None
    roles: list[Role] = []
    paths: list[tuple[str, ...]] = []
    for x0, x1 in mine:
        centre = (x0 + x1) / 2
        match = next((i for i, (a, b) in enumerate(theirs) if a - 1 <= centre <= b + 1), None)
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
    for (x0, x1), path in zip(mine, spec.paths, strict=True):
        centre = (x0 + x1) / 2
        match = next((i for i, (a, b) in enumerate(theirs) if a - 1 <= centre <= b + 1), None)
        outer = above_spec.paths[match] if match is not None else ()
        paths.append(tuple(dict.fromkeys((*outer, *path))))
    return replace(spec, paths=tuple(paths))


def _spec_from_content(grid: CellGrid, previous: ColumnSpec | None) -> ColumnSpec | None:
    """Column spec for a header-less continuation grid: reuse the previous one if the columns line up."""
    if previous is not None and len(previous.roles) == grid.n_cols:
        return previous
    return None


def _fix_ordinal_spill(rows: list[_Row]) -> None:
    """Move an ordinal that slipped to the end of the previous row ("…支出 八" / "、社会…") back."""
    for prev, row in zip(rows, rows[1:], strict=False):
        if prev.spec is not row.spec:
            continue
        for c, text in enumerate(row.cells):
            if text.startswith("、") and c < len(prev.cells):
                m = _ORDINAL_TAIL.search(prev.cells[c])
                if m:
                    prev.cells[c] = prev.cells[c][: m.start()]
                    row.cells[c] = m.group(1) + text


def _merge_split_rows(rows: list[_Row]) -> list[_Row]:
    """Join a label fragment that a page break pushed onto the next page back into its row."""
    merged: list[_Row] = []
    for row in rows:
        fragment = (
            row.continuation_start
            and merged
            and not any(looks_like_amount(c) or is_code(c) for c in row.cells)
            and any(squash(c) for c in row.cells)
            and len(merged[-1].cells) == len(row.cells)
            and any(
                squash(merged[-1].cells[c]) and not _COMPLETE_LABEL.search(squash(merged[-1].cells[c]))
                for c, text in enumerate(row.cells)
                if squash(text)
            )
        )
        if fragment:
            prev = merged[-1]
            prev.cells = [a + b if b else a for a, b in zip(prev.cells, row.cells, strict=True)]
            continue
        merged.append(row)
    return merged


def _group_keys(spec: ColumnSpec, col: int) -> list[int]:
    """Key columns (code/name/row number) that identify the rows of amount column ``col``."""
    keys: list[int] = []
    c = col - 1
    while c >= 0 and spec.roles[c] in ("amount", "blank"):
        c -= 1
    while c >= 0 and spec.roles[c] in ("code", "name", "rowno"):
        keys.append(c)
        c -= 1
    return sorted(keys)


def without_rows(grid: CellGrid, skip: int) -> CellGrid:
    """The grid without its first ``skip`` rows (page context printed inside the ruling)."""
    if not skip:
        return grid
    return replace(
        grid, cells=grid.cells[skip:], edges=grid.edges[skip:], boxes=grid.boxes[skip:] if grid.boxes else ()
    )


def stage_table(table: RawTable, unit: str | None) -> StagedTable:
    """Stage one standard table: every published amount cell with identity, measure and lineage."""
    issues: list[ExtractionIssue] = []
    code = table.table_code
    if not table.grids:
        return StagedTable(empty_stg_cells(), 0, issues)
    if unit is None:
        issues.append(ExtractionIssue("no amount unit printed (金额单位)", table.pages[0], code))
        return StagedTable(empty_stg_cells(), 0, issues)
    rows: list[_Row] = []
    spec: ColumnSpec | None = None
    spec_grid: CellGrid | None = None
    header_texts: frozenset[str] | None = None
    prefix: tuple[CellGrid, ColumnSpec] | None = None  # a 预算 header ruled as a grid of its own, above the table
    start = 0  # the grid where the table's own header is read (after a header-only grid)
    for n, printed in enumerate(table.grids):
        skip = context_rows(printed)
        grid = without_rows(printed, skip)
        n_header = header_row_count(grid, header_texts if n > start else None)
        grid = join_overflow_rows(grid, n_header)
        if n == start:
            header_texts = frozenset(clean_header(c) for row in grid.cells[:n_header] for c in row if clean_header(c))
        if table.table_type and n == start and n_header == grid.n_rows and n + 1 < len(table.grids):
            prefix, start = (grid, column_spec(grid, n_header)), n + 1
            continue
        if n_header and (n == start or n_header < grid.n_rows):
            spec, spec_grid = column_spec(grid, n_header), grid
            if prefix is not None and n == start:
                spec = with_header_above(spec, grid, *prefix)
        elif n > 0:
            previous = spec
            spec = _spec_from_content(grid, spec)
            if spec is None and table.table_type and previous is not None and spec_grid is not None:
                # a 预算 continuation ruled with other columns: each column takes the header above its place
                spec = spec_by_position(grid, spec_grid, previous)
        if table.table_type and spec is not None and len(spec.roles) == grid.n_cols:
            # 预算 tables name their rows in columns of any header (采购物品名称, 采购组织形式), on every page
            spec = text_columns_by_content(grid, n_header, spec)
        if spec is None or len(spec.roles) != grid.n_cols:
            issues.append(ExtractionIssue("cannot tell the columns of this grid (no header, columns differ)", grid.page, code))
            continue
        first = True
        above: list[str] | None = None
        for r in range(n_header, grid.n_rows):
            cells = list(grid.cells[r])
            if table.table_type and above is not None:
                cells = _fill_merged_names(cells, above, grid, r, spec)
            above = cells
            if not any(squash(c) for c in cells):
                continue
            boxes = grid.boxes[r] if grid.boxes else ()
            rows.append(_Row(grid.page, r + skip, cells, spec, continuation_start=first and n > start, boxes=boxes))
            first = False
    _fix_ordinal_spill(rows)
    rows = _merge_split_rows(rows)
    records = _emit(table, rows, unit, issues)
    # object columns keep None as None (pandas 3 would turn text columns with gaps into str + NaN)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in STG_CELLS_COLUMNS})
    if len(frame):
        frame = _mark_parent_codes(frame)
    return StagedTable(frame, len(rows), issues)


def _emit(table: RawTable, rows: list[_Row], unit: str, issues: list[ExtractionIssue]) -> list[dict[str, object]]:
    """Turn body rows into stg_cells records."""
    code = table.table_code
    factor = UNIT_FACTORS[unit]
    # a 预算 table's number says nothing of its rows: its kind does (决算 tables go by the standard code)
    kind = table_kind(table.table_type) if table.table_type else None
    economic = kind.classification == "economic" if kind else code in ECONOMIC_TABLES
    # a 预算 row printed with several descriptions (category | item, 专项 | 经济科目 | 品目) is named by its
    # most specific one, as the document's own totals group them
    items = kind is not None
    records: list[dict[str, object]] = []
    last_codes: dict[tuple[int, ...], list[str]] = {}
    seen_labels: dict[tuple[int, ...], list[str]] = {}
    block_parent: dict[tuple[int, ...], str | None] = {}
    row_labels: dict[tuple[int, tuple[int, ...]], tuple[str | None, str | None]] = {}
    for row in rows:
        spec = row.spec
        for col, role in enumerate(spec.roles):
            raw = row.cells[col]
            if role == "blank" and looks_like_amount(raw):
                issues.append(ExtractionIssue(f"row {row.index + 1}, column {col + 1}: amount {raw!r} under no column header", row.page, code))
            if role != "amount":
                continue
            try:
                amount = parse_amount(raw)
            except CellParseError as exc:
                issues.append(ExtractionIssue(f"row {row.index + 1}, column {col + 1}: {exc}", row.page, code, "warn"))
                continue
            if amount is None:
                continue
            keys = tuple(_group_keys(spec, col))
            identity = row_labels.get((id(row), keys))
            if identity is None:
                identity = _identify(row, keys, last_codes, seen_labels, block_parent, most_specific=items)
                row_labels[(id(row), keys)] = identity
            subject, label = identity
            subject_code, subject_name = (subject.split("|", 1) + [""])[:2] if subject else (None, None)
            parent = block_parent.get(keys) if label and label in seen_labels.get(keys, [])[:-1] else None
            if not subject and not label and spec.roles.count("code") + spec.roles.count("name") > 0:
                issues.append(ExtractionIssue(f"row {row.index + 1}: amount {raw!r} has no row label", row.page, code, "warn"))
            records.append(
                {
                    "table_code": code,
                    "page": row.page,
                    "row_index": row.index,
                    "col_index": col,
                    "functional_code": subject_code if subject and not economic else None,
                    "functional_name": subject_name if subject and not economic else None,
                    "economic_code": subject_code if subject and economic else None,
                    "economic_name": subject_name if subject and economic else None,
                    "line_item": label,
                    "parent_line_item": parent,
                    "measure": spec.measure(col),
                    "amount": amount,
                    "unit": unit,
                    "amount_yuan": (amount * factor).quantize(Decimal("0.01")),
                    "is_total": bool(label and _TOTAL_LABEL.search(label)),
                    "raw_text": raw,
                    **_box_columns(row, col),
                }
            )
    return records


def _box_columns(row: _Row, col: int) -> dict[str, float | None]:
    """The cell's box on the displayed page (lineage for outlining it on a page image)."""
    box = row.boxes[col] if col < len(row.boxes) else None
    keys = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")
    return dict(zip(keys, box, strict=True)) if box else dict.fromkeys(keys)


def _identify(
    row: _Row,
    keys: tuple[int, ...],
    last_codes: dict[tuple[int, ...], list[str]],
    seen_labels: dict[tuple[int, ...], list[str]],
    block_parent: dict[tuple[int, ...], str | None],
    most_specific: bool = False,
) -> tuple[str | None, str | None]:
    """Row identity for one column group: ("code|name", None) for coded rows, (None, label) otherwise.

    ``most_specific``: the label is the last description the row prints (an item, not its category or
    project), leaving out how it is bought (采购组织形式, 采购方式).
    """
    spec = row.spec
    code_cols = [c for c in keys if spec.roles[c] == "code"]
    name_cols = [c for c in keys if spec.roles[c] == "name"]
    # a 款/项 printed as one digit ("2" for 02: seen where a producer drops the leading zero) is that part
    parts = [row.cells[c] for c in code_cols]
    parts = [("0" + squash(p)) if i > 0 and re.fullmatch(r"\d", squash(p)) else p for i, p in enumerate(parts)]
    name = "".join(squash(row.cells[c]) for c in name_cols)
    if parts and all(is_code(p) or not squash(p) for p in parts) and any(squash(p) for p in parts):
        previous = last_codes.get(keys, [])
        filled = [squash(p) for p in parts]
        # codes inherited from the row above when only the 款/项 parts are printed
        for i, part in enumerate(filled):
            if part:
                break
            if i < len(previous):
                filled[i] = previous[i]
        try:
            subject = join_code(filled)
        except CellParseError:
            subject = None
        if subject:
            last_codes[keys] = filled
            return f"{subject}|{clean_label(name) if name else ''}", None
    if most_specific:
        name_cols = [c for c in name_cols if not _HOW_BOUGHT.search("".join(spec.paths[c]))][::-1]
    texts = [squash(row.cells[c]) for c in name_cols if squash(row.cells[c])]
    texts += [squash(row.cells[c]) for c in code_cols if squash(row.cells[c])]
    label = clean_label(texts[0]) if texts else None
    if label is None:
        # the label of a merged total row sits further left (e.g. 06 "公用经费合计 | … | 166.76")
        for c in range(min(keys) - 1 if keys else len(row.cells) - 1, -1, -1):
            text = squash(row.cells[c])
            if text and not looks_like_amount(text) and not text.isdigit():
                label = clean_label(text)
                break
    if label:
        seen = seen_labels.setdefault(keys, [])
        if label in seen:
            pass  # a repeated label is a sub-row of the block opened by the last new label
        else:
            block_parent[keys] = label
        seen.append(label)
    return None, label


def _mark_parent_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Flag subject rows that have children in the same table (类/款 subtotals) as totals."""
    frame = frame.copy()
    for column in ("functional_code", "economic_code"):
        codes = {c for c in frame[column].dropna().unique()}
        has_child = {c for c in codes if any(o != c and o.startswith(c) for o in codes)}
        mask = frame[column].isin(has_child)
        frame.loc[mask, "is_total"] = True
    return frame
