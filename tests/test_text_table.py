"""The terminal table renderer: every line as wide as the table, numbers whole, folded text complete."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from flows.cli_common import print_table
from flows.text_table import ASCII_BOX, MIN_TEXT_WIDTH, UNICODE_BOX, column_widths, render_table

TEXT = st.text(alphabet=st.sampled_from("ab公共预算支出（）/ 1"), max_size=30)
NUMBER = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False).map(lambda d: format(d, "f"))


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], list[bool], int]:
    """A header, rows of text and number columns, which columns are numbers, and a terminal width."""
    numeric = draw(st.lists(st.booleans(), min_size=1, max_size=7))
    header = [draw(st.text(alphabet="abcdefghij_部门", min_size=1, max_size=14)) for _ in numeric]
    rows = draw(st.lists(st.tuples(*[NUMBER if n else TEXT for n in numeric]).map(list), max_size=12))
    width = draw(st.integers(min_value=20, max_value=220))
    return header, rows, numeric, width


def _body_cells(lines: list[str], columns: int) -> list[list[str]]:
    """Split the body lines (between the header rule and the foot) into their cells."""
    start = next(n for n, line in enumerate(lines) if line.startswith("┡"))
    body = [line for line in lines[start + 1 :] if line.startswith("│")]
    cells = [[cell.strip() for cell in line[1:-1].split("│")] for line in body]
    assert all(len(row) == columns for row in cells)
    return cells


@settings(max_examples=150, deadline=None)
@given(tables())
def test_every_line_is_as_wide_as_the_table_and_fits_when_it_can(table: tuple[list[str], list[list[str]], list[bool], int]) -> None:
    header, rows, numeric, width = table
    lines = list(render_table(header, rows, numeric, width))
    ruled = [line for line in lines if line[:1] in "┏┃┡│└"]
    widths = {cell_len(line) for line in ruled}
    assert len(widths) == 1
    table_width = widths.pop()
    widths_used = column_widths(header, rows, numeric, width)
    floor = sum(
        max([cell_len(v) for v in [h, *(r[n] for r in rows)]]) if numeric[n] else min(MIN_TEXT_WIDTH, max(1, *(cell_len(v) for v in [h, *(r[n] for r in rows)])))
        for n, h in enumerate(header)
    ) + 3 * len(header) + 1
    # the table fits the terminal unless even its narrowest layout does not; then it is exactly that narrowest
    assert table_width <= max(width, floor)
    assert table_width == sum(widths_used) + 3 * len(header) + 1


@settings(max_examples=150, deadline=None)
@given(tables())
def test_numbers_are_never_cut_and_folded_text_reads_back_whole(table: tuple[list[str], list[list[str]], list[bool], int]) -> None:
    header, rows, numeric, width = table
    lines = list(render_table(header, rows, numeric, width))
    cells = _body_cells(lines, len(header))
    # consecutive lines belong to one row until its cells are used up: rebuild each row by reading lines in order
    position = 0
    for row in rows:
        height = max(
            1,
            *(
                len(_folds(value, w))
                for value, w in zip(row, column_widths(header, rows, numeric, width), strict=True)
            ),
        )
        block = cells[position : position + height]
        position += height
        for n, value in enumerate(row):
            column = [line[n] for line in block]
            if numeric[n]:
                assert column[0] == value.strip() and not any(column[1:])
            else:
                assert "".join(column).replace(" ", "") == value.replace(" ", "")
    assert position == len(cells)


def _folds(value: str, width: int) -> list[str]:
    """How many lines a text cell takes (the renderer's own rule, restated: fold at ``width`` cells)."""
    from rich.cells import chop_cells

    return chop_cells(value, width) if cell_len(value) > width else [value]


def test_a_cjk_title_is_centred_by_terminal_cells() -> None:
    lines = list(render_table(["a"], [["1"]], [True], 80, title="三公", caption="1 rows"))
    table_width = cell_len(lines[1])
    assert lines[0] == " " * ((table_width - 4) // 2) + "三公"
    assert lines[-1].strip() == "1 rows"


def test_print_table_falls_back_to_ascii_rules_where_stdout_cannot_show_box_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    for encoding, box in (("utf-8", UNICODE_BOX), ("ascii", ASCII_BOX)):
        out = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
        monkeypatch.setattr(sys, "stdout", out)
        print_table(["name", "amount"], [["x", "1.00"]], [False, True])
        out.seek(0)
        text = out.read()
        assert text.splitlines()[0][0] == box.head_top[0]
        assert "1.00" in text


def test_a_table_wider_than_the_terminal_shrinks_its_widest_text_column_first() -> None:
    header = ["code", "name", "amount"]
    rows = [["2010101", "行政运行" * 6, "12.00"], ["2010102", "一般行政管理事务", "3.00"]]
    widths = column_widths(header, rows, [False, False, True], width=40)
    assert widths[0] == 7 and widths[2] == 6  # the short text column and the number keep their width
    assert sum(widths) + 3 * 3 + 1 == 40
