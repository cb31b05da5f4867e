"""Column rulings from the text, for tables ruled between their rows only (extract/text_columns.py)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from extract.cells import PageChar, display_size, page_chars, reading_turns
from extract.rulings import PageRulings, grids_of, page_rulings
from extract.text_columns import with_text_columns

ROOT = Path(__file__).resolve().parents[1]
RULED = [
    ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf",
    ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf",
    *sorted(p for p in (ROOT / "tests" / "data" / "producers").glob("calc-*.pdf") if "horizontal" not in p.name),
    *sorted(p for p in (ROOT / "tests" / "data" / "producers").glob("writer-*.pdf") if "horizontal" not in p.name),
    *sorted((ROOT / "tests" / "data" / "real").glob("*.pdf"))[:8],
]
HORIZONTAL = ROOT / "tests" / "data" / "producers" / "reportlab-horizontal-rules.pdf"


def _chars_and_rulings(path: Path) -> list[tuple[int, list[PageChar], PageRulings, float]]:
    pdf = pdfium.PdfDocument(path)
    try:
        out = []
        for index in range(len(pdf)):
            page = pdf[index]
            turns = reading_turns(page)
            out.append((index + 1, page_chars(page, turns), page_rulings(page, turns), display_size(page, turns)[1]))
            page.close()
        return out
    finally:
        pdf.close()


@pytest.mark.parametrize("path", RULED, ids=[p.stem[:40] for p in RULED])
def test_fully_ruled_pages_are_left_as_they_are(path: Path) -> None:
    for number, chars, rulings, height in _chars_and_rulings(path):
        assert with_text_columns(rulings, chars, height) is rulings, f"page {number}"


def test_each_table_page_ruled_between_rows_gets_the_columns_of_the_same_table_fully_ruled() -> None:
    ruled = {number: grids_of(rulings) for number, _, rulings, _ in _chars_and_rulings(RULED[0])}
    pages = 0
    for number, chars, rulings, height in _chars_and_rulings(HORIZONTAL):
        if not rulings.horizontal:
            continue
        assert not grids_of(rulings), f"page {number} draws no vertical rule"
        [table] = grids_of(with_text_columns(rulings, chars, height))
        [same] = ruled[number]
        assert (len(table.cols), len(table.rows)) == (len(same.cols), len(same.rows)), f"page {number}"
        pages += 1
    assert pages == 9


def _line_of_text(text: str, x: float, top: float, size: float = 9.0) -> list[PageChar]:
    return [PageChar(ch, x + i * size, top, x + (i + 1) * size - 0.5, top + size) for i, ch in enumerate(text)]


def test_bands_of_several_lines_are_left_alone() -> None:
    # rules every three lines of text (a ruled-off narrative, or a 三线表's body): rows cannot be told apart
    height, ys = 800.0, [700.0, 660.0, 620.0, 580.0, 540.0]
    rulings = PageRulings([(50.0, y, 500.0, y) for y in ys], [])
    chars: list[PageChar] = []
    for top in ys[:-1]:
        for line in range(3):
            line_top = height - top + 3 + line * 12
            chars += _line_of_text("一般公共服务支出", 55, line_top) + _line_of_text("12.50", 300, line_top)
    assert with_text_columns(rulings, chars, height) is rulings


def test_a_label_spanning_two_columns_in_one_row_keeps_them_one_cell_there() -> None:
    height, ys = 800.0, [700.0, 680.0, 660.0, 640.0, 620.0, 600.0, 580.0, 560.0, 540.0, 520.0, 500.0, 480.0]
    rulings = PageRulings([(50.0, y, 400.0, y) for y in ys], [])
    chars: list[PageChar] = []
    for k, top in enumerate(ys[:-1]):
        line_top = height - top + 5
        if k == len(ys) - 2:
            chars += _line_of_text("人员经费支出合计合计", 55, line_top) + _line_of_text("12.50", 350, line_top)
        else:
            chars += _line_of_text(f"3010{k}", 55, line_top) + _line_of_text("工资", 130, line_top)
            chars += _line_of_text("12.50", 350, line_top)
    added = with_text_columns(rulings, chars, height).vertical
    between_code_and_name = [seg for seg in added if 100 < seg[0] < 130]
    assert between_code_and_name, added
    spanning_row = (ys[-1], ys[-2])
    assert all((seg[1], seg[3]) != spanning_row for seg in between_code_and_name)  # the 合计 row stays merged


def test_a_stack_of_rules_without_a_body_row_is_left_alone() -> None:
    # a header-only table (or rules around headings): no amount or code in any band; this once raised
    # StopIteration in the reader and failed the whole document
    height, ys = 800.0, [700.0, 680.0, 660.0, 640.0]
    rulings = PageRulings([(50.0, y, 400.0, y) for y in ys], [])
    chars = [c for k, top in enumerate(ys[:-1]) for c in _line_of_text(["项目", "科目名称", "金额"][k], 60, height - top + 5)]
    assert with_text_columns(rulings, chars, height) is rulings
    assert with_text_columns(rulings, [], height) is rulings
