"""Header inference from the grid: context rows, overflowed fragments, code columns by content, label rows."""

from __future__ import annotations

from decimal import Decimal

from extract.models import EDGES_ALL, CellGrid, RawTable
from transform.normalize import (
    column_spec,
    context_rows,
    has_label_signal,
    header_row_count,
    join_overflow_rows,
    stage_table,
)


def make_grid(rows: list[list[str]], page: int = 1) -> CellGrid:
    cells = tuple(tuple(r) for r in rows)
    edges = tuple(tuple(EDGES_ALL for _ in r) for r in rows)
    return CellGrid(page=page, cells=cells, edges=edges)


def test_subtitle_row_inside_the_grid_is_page_context() -> None:
    grid = make_grid(
        [
            ["部门：长沙市政务服务中心", "2020年度", "金额单位：万元"],
            ["项目", "本年收入合计", "财政拨款收入"],
            ["合计", "2,846.52", "2,846.52"],
        ]
    )
    assert context_rows(grid) == 1
    staged = stage_table(RawTable("02", "收入决算表", (1,), (grid,), "万元"), "万元")
    assert set(staged.cells["measure"]) == {"本年收入合计", "财政拨款收入"}
    assert list(staged.cells["row_index"]) == [2, 2]  # lineage keeps the printed row number


def test_header_row_is_not_context() -> None:
    grid = make_grid([["项目", "本年收入合计"], ["合计", "1.00"]])
    assert context_rows(grid) == 0


def test_fragment_alone_in_its_row_joins_the_header_cell_above() -> None:
    grid = make_grid(
        [
            ["功能分类科目编", "科目名称", "本年支出合计"],
            ["码", "", ""],
            ["201", "一般公共服务支出", "2.00"],
        ]
    )
    n = header_row_count(grid)
    assert n == 2
    joined = join_overflow_rows(grid, n)
    assert joined.cells[0][0] == "功能分类科目编\n码"
    spec = column_spec(joined, n)
    assert spec.roles == ("code", "name", "amount")
    assert spec.paths[2] == ("本年支出合计",)


def test_standalone_header_words_are_not_fragments() -> None:
    grid = make_grid([["项目", "决算数"], ["类", ""], ["201", "2.00"]])
    assert join_overflow_rows(grid, 2).cells == grid.cells


def test_code_column_is_recognised_by_content_when_its_header_is_missing() -> None:
    grid = make_grid([["", "科目名称", "合计"], ["201", "一般公共服务支出", "3.00"], ["20101", "人大事务", "3.00"]])
    spec = column_spec(grid, 1)
    assert spec.roles[0] == "code"
    staged = stage_table(RawTable("03", "支出决算表", (1,), (grid,), "万元"), "万元")
    assert set(staged.cells["functional_code"]) == {"201", "20101"}
    assert set(staged.cells["amount"]) == {Decimal("3.00")}


def test_a_total_beside_other_header_words_is_a_header() -> None:
    assert not has_label_signal(["合计", "", "因公出国（境）费", "", "公务接待费"])
    assert has_label_signal(["合计", "", "", ""])
    assert has_label_signal(["小计", "", "", ""])
    assert has_label_signal(["一、一般公共预算财政拨款", "1", ""])
