"""Ruled grids of one standard table → stg_cells rows (one per published amount cell).

One generic normaliser reads every table shape from its own header: the header rows give each
column a role (code, name, row number, amount) and, for amounts, a measure path
(:mod:`transform.headers`). Amount columns take their row identity from the nearest code/name columns
to their left (:mod:`transform.body_rows`), which covers coded tables (02, 03, 05, 08, 09), two-sided
tables (01, 04), the side-by-side economic table (06) and the label-less 三公 table (07) alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from extract.models import CODED_TABLES, CellGrid, ExtractionIssue, RawTable
from extract.table_types import table_kind
from transform.body_rows import (
    BodyRow,
    RowIdentities,
    fill_merged_names,
    fix_ordinal_spill,
    group_keys,
    merge_split_rows,
)

# the header reading is importable from here too, where callers have always found it
from transform.headers import (  # noqa: F401
    ColumnSpec,
    Role,
    column_spec,
    context_rows,
    has_data_signal,
    has_label_signal,
    header_row_count,
    join_overflow_rows,
    spec_by_position,
    spec_from_content,
    text_columns_by_content,
    with_header_above,
    without_rows,
)
from transform.parsers import CellParseError, clean_header, looks_like_amount, parse_amount, squash
from transform.stg_cells import BOX_COLUMNS, STG_CELLS_COLUMNS, UNIT_FACTORS, empty_stg_cells

ECONOMIC_TABLES = frozenset(code for code, kind in CODED_TABLES.items() if kind == "economic")
_TOTAL_LABEL = re.compile(r"(合计|总计|小计)")


@dataclass
class StagedTable:
    """The staged cells of one table plus what went wrong reading it."""

    cells: pd.DataFrame
    body_rows: int
    issues: list[ExtractionIssue] = field(default_factory=list)


def stage_table(table: RawTable, unit: str | None) -> StagedTable:
    """Stage one standard table: every published amount cell with identity, measure and lineage."""
    issues: list[ExtractionIssue] = []
    code = table.table_code
    if not table.grids:
        return StagedTable(empty_stg_cells(), 0, issues)
    if unit is None:
        issues.append(ExtractionIssue("no amount unit printed (金额单位)", table.pages[0], code))
        return StagedTable(empty_stg_cells(), 0, issues)
    rows: list[BodyRow] = []
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
        if n == start and n_header == grid.n_rows and n + 1 < len(table.grids) and (
            table.table_type or _opens_with_header(table.grids[n + 1])
        ):
            prefix, start = (grid, column_spec(grid, n_header)), n + 1
            continue
        if n_header and (n == start or n_header < grid.n_rows):
            spec, spec_grid = column_spec(grid, n_header), grid
            if prefix is not None and n == start:
                spec = with_header_above(spec, grid, *prefix)
        elif n > 0 and n == start and prefix is not None:
            # a header alone at a page's foot over a body on the next page: the body's columns are the header's
            spec, spec_grid = spec_from_content(grid, prefix[1]) or spec_by_position(grid, *prefix), prefix[0]
        elif n > 0:
            previous = spec
            spec = spec_from_content(grid, spec)
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
                cells = fill_merged_names(cells, above, grid, r, spec)
            above = cells
            if not any(squash(c) for c in cells):
                continue
            boxes = grid.boxes[r] if grid.boxes else ()
            rows.append(BodyRow(grid.page, r + skip, cells, spec, continuation_start=first and n > start, boxes=boxes))
            first = False
    fix_ordinal_spill(rows)
    rows = merge_split_rows(rows)
    records = _emit(table, rows, unit, issues)
    # object columns keep None as None (pandas 3 would turn text columns with gaps into str + NaN)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in STG_CELLS_COLUMNS})
    if len(frame):
        frame = _mark_parent_codes(frame)
    return StagedTable(frame, len(rows), issues)


def _opens_with_header(grid: CellGrid) -> bool:
    """True when a grid begins with header rows: the rest of a header a page break cut (决算: 预算数 | 决算数 above)."""
    return header_row_count(without_rows(grid, context_rows(grid))) > 0


def _emit(table: RawTable, rows: list[BodyRow], unit: str, issues: list[ExtractionIssue]) -> list[dict[str, object]]:
    """Turn body rows into stg_cells records."""
    code = table.table_code
    factor = UNIT_FACTORS[unit]
    # a 预算 table's number says nothing of its rows: its kind does (决算 tables go by the standard code)
    kind = table_kind(table.table_type) if table.table_type else None
    economic = kind.classification == "economic" if kind else code in ECONOMIC_TABLES
    # a 预算 row printed with several descriptions (category | item, 专项 | 经济科目 | 品目) is named by its
    # most specific one, as the document's own totals group them
    identities = RowIdentities(most_specific=kind is not None)
    records: list[dict[str, object]] = []
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
            keys = tuple(group_keys(spec, col))
            subject, label = identities.identify(row, keys)
            subject_code, subject_name = (subject.split("|", 1) + [""])[:2] if subject else (None, None)
            parent = identities.parent(keys, label)
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


def _box_columns(row: BodyRow, col: int) -> dict[str, float | None]:
    """The cell's box on the displayed page (lineage for outlining it on a page image)."""
    box = row.boxes[col] if col < len(row.boxes) else None
    return dict(zip(BOX_COLUMNS, box, strict=True)) if box else dict.fromkeys(BOX_COLUMNS)


def _mark_parent_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Flag subject rows that have children in the same table (类/款 subtotals) as totals."""
    frame = frame.copy()
    for column in ("functional_code", "economic_code"):
        codes = {c for c in frame[column].dropna().unique()}
        has_child = {c for c in codes if any(o != c and o.startswith(c) for o in codes)}
        mask = frame[column].isin(has_child)
        frame.loc[mask, "is_total"] = True
    return frame
