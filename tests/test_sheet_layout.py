"""Spreadsheet parts without a warehouse: number formats, a sheet laid out as a page, what a file is."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.kinds import cell_name, document_kind, kind_problem
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, EDGES_ALL
from extract.number_format import display
from extract.sheet_grid import lay_out_sheet
from extract.workbook import SheetCell, SheetData
from transform.parsers import parse_amount

ACCOUNTING = '_ * #,##0.00_ ;_ * -#,##0.00_ ;_ * "-"??_ ;_ @_ '

# --------------------------------------------------------------------------- number formats


@pytest.mark.parametrize(
    ("value", "code", "text", "shown"),
    [
        (1234.5, "#,##0.00", "1,234.50", "1234.50"),
        (2846.52, None, "2846.52", "2846.52"),
        (3, "General", "3", "3"),
        (1195.6449, "0.00", "1195.64", "1195.64"),
        (2.5, "0", "3", "3"),  # half away from zero, as Excel rounds
        (-2.5, "0", "-3", "-3"),
        (0, ACCOUNTING, "-", "0"),  # the accounting format prints a zero as a dash
        (-5.5, ACCOUNTING, "-5.50", "-5.50"),
        (-12.345, "#,##0.00_);(#,##0.00)", "(12.35)", "-12.35"),
        (-12.345, "#,##0.00;[Red]-#,##0.00", "-12.35", "-12.35"),
        (0.1234, "0.0%", "12.3%", "0.123"),
        (5, '0.00"万元"', "5.00万元", "5.00"),
        (45000, "yyyy-mm-dd", "45000", "45000"),  # a date format: shown as stored
    ],
)
def test_a_number_is_shown_as_its_format_prints_it(value: float, code: str | None, text: str, shown: str) -> None:
    assert display(value, code) == (text, Decimal(shown))


_cents = st.decimals(min_value=Decimal("-1e11"), max_value=Decimal("1e11"), places=4, allow_nan=False, allow_infinity=False)


@given(value=_cents, places=st.integers(0, 4), thousands=st.booleans())
def test_a_shown_amount_reads_back_as_the_number_rounded_to_the_formats_places(value: Decimal, places: int, thousands: bool) -> None:
    code = ("#,##0" if thousands else "0") + ("." + "0" * places if places else "")
    text, shown = display(float(value), code)
    expected = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert shown == expected
    assert parse_amount(text) == expected  # what staging reads from the text is the amount shown


# --------------------------------------------------------------------------- a sheet as a page


def _sheet(rows: dict[int, list[str | float | None]], **kw: object) -> SheetData:
    sheet = SheetData(index=3, name="公开05表", **kw)  # type: ignore[arg-type]
    for r, values in rows.items():
        for c, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, float):
                text, shown = display(value, "#,##0.00")
                sheet.cells[(r, c)] = SheetCell(text, shown, Decimal(repr(value)))
            else:
                sheet.cells[(r, c)] = SheetCell(value, is_text=True)
    return sheet


TABLE = {
    1: ["一般公共预算财政拨款支出决算表", None, None, None],
    2: ["部门：某局", "2020年度", None, "金额单位：万元"],
    3: ["科目编码", "科目名称", "本年支出", None],
    4: [None, None, "基本支出", "项目支出"],
    5: ["201", "一般公共服务支出", 12.5, 3.25],
    6: ["注：本表数据为空时以0列示。", None, None, None],
}


def _ruled(sheet: SheetData, rows: range, cols: range) -> SheetData:
    for r in rows:
        for c in cols:
            sheet.rulings[(r, c)] = EDGES_ALL
    return sheet


def test_a_ruled_block_becomes_the_grid_and_the_rest_is_page_text() -> None:
    sheet = _ruled(_sheet(TABLE, merges=[(1, 1, 1, 4), (3, 3, 3, 4), (3, 1, 4, 1), (3, 2, 4, 2)]), range(3, 6), range(1, 5))
    laid = lay_out_sheet(sheet)
    [grid] = laid.grids
    assert grid.page == 3 and grid.cells == (
        ("科目编码", "科目名称", "本年支出", ""),
        ("", "", "基本支出", "项目支出"),
        ("201", "一般公共服务支出", "12.50", "3.25"),
    )
    # merged cells lack their inner rulings, as a PDF grid's do
    assert not grid.edges[0][2] & EDGE_RIGHT and not grid.edges[0][3] & EDGE_LEFT
    assert not grid.edges[0][0] & EDGE_BOTTOM and not grid.edges[1][0] & EDGE_TOP and grid.edges[2][2] == EDGES_ALL
    lines = laid.page.text.splitlines()
    assert lines[0] == "一般公共预算财政拨款支出决算表" and "金额单位：万元" in lines[1] and lines[-1].startswith("注")
    assert laid.page.is_ruled
    # each cell's box names its sheet row and column again
    x0, top, _, _ = grid.boxes[2][3]
    assert laid.origin.locate(x0, top) == (5, 4) and laid.origin.sheet == "公开05表"
    x0, top, _, _ = grid.boxes[1][0]  # the lower half of a merged cell: the merge's top-left cell
    assert laid.origin.locate(x0, top) == (3, 1)


def test_a_sheet_without_rulings_gets_its_grid_from_its_content() -> None:
    laid = lay_out_sheet(_sheet(TABLE))
    [grid] = laid.grids
    assert grid.cells[0][:3] == ("科目编码", "科目名称", "本年支出") and grid.cells[-1][0] == "201"  # not the 注 line


def test_hidden_rows_and_columns_are_neither_laid_out_nor_lost_silently() -> None:
    rows = {**TABLE, 5: ["201", "一般公共服务支出", 12.5, 3.25, 999.0], 7: ["20101", "人大事务", 1.0, 2.0]}
    sheet = _ruled(_sheet(rows, hidden_rows={7}, hidden_cols={5}), range(3, 8), range(1, 6))
    laid = lay_out_sheet(sheet)
    [grid] = laid.grids
    assert grid.n_cols == 4 and all("999" not in text for row in grid.cells for text in row)
    assert all(row[0] != "20101" for row in grid.cells) and "人大事务" not in laid.page.text
    assert laid.notes == (
        "sheet 公开05表: hidden rows 7 hold values; not read (they are not printed)",
        "sheet 公开05表: hidden columns E hold values; not read (they are not printed)",
    )


def test_a_title_row_above_the_table_is_not_part_of_its_grid() -> None:
    sheet = _ruled(_sheet(TABLE), range(3, 6), range(1, 5))
    for c in range(1, 5):
        sheet.rulings[(2, c)] = EDGE_BOTTOM  # the 部门 line's bottom rule is the table's top rule
    [grid] = lay_out_sheet(sheet).grids
    assert grid.cells[0][0] == "科目编码"


# --------------------------------------------------------------------------- what a file is


def test_a_file_is_told_by_its_bytes() -> None:
    assert document_kind(b"%PDF-1.7\n") == "pdf" and document_kind(b"PK\x03\x04rest") == "xlsx"
    assert document_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") == "xls" and document_kind(b"<html>") is None
    assert kind_problem(b"PK\x03\x04 word/document.xml") == "a ZIP archive that is not an Excel workbook (no xl/workbook.xml)"
    assert kind_problem(b"PK\x03\x04 xl/workbook.xml") is None
    assert kind_problem(b"%PDF-1.4 no end") == "truncated PDF (no %%EOF marker at the end)"
    assert (cell_name(10, 4), cell_name(1, 26), cell_name(1, 27), cell_name(7, 16384)) == ("D10", "Z1", "AA1", "XFD7")
