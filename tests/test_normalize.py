"""The generic normaliser on tiny grids: each test names the business rule it pins down."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from extract.models import EDGE_LEFT, EDGE_TOP, EDGES_ALL, CellGrid, RawTable
from transform.normalize import stage_table


def grid(page: int, rows: list[list[str]], no_left: set[tuple[int, int]] = frozenset(), no_top: set[tuple[int, int]] = frozenset()) -> CellGrid:  # type: ignore[assignment]
    edges = tuple(
        tuple(EDGES_ALL & ~(EDGE_LEFT if (r, c) in no_left else 0) & ~(EDGE_TOP if (r, c) in no_top else 0) for c in range(len(row)))
        for r, row in enumerate(rows)
    )
    return CellGrid(page=page, cells=tuple(tuple(r) for r in rows), edges=edges)


def table(code: str, *grids: CellGrid, unit: str = "万元") -> RawTable:
    return RawTable(table_code=code, title="", pages=tuple(g.page for g in grids), grids=grids, unit=unit)


def records(t: RawTable) -> list[dict]:
    staged = stage_table(t, t.unit)
    assert not [i for i in staged.issues if i.severity == "error"], staged.issues
    return staged.cells.to_dict("records")


CODED_HEADER = [
    ["项目", "", "本年支出", "", ""],
    ["功能分类科目编码", "科目名称", "小计", "基本支出", "项目支出"],
    ["栏次", "", "1", "2", "3"],
]
CODED_MERGES = {(0, 1), (0, 3), (0, 4)}


def test_merged_header_cells_give_outer_to_inner_measure_paths() -> None:
    g = grid(5, CODED_HEADER + [["合计", "", "2,847.27", "1,203.82", "1,643.45"]], no_left=CODED_MERGES)
    cells = records(table("05", g))
    assert [c["measure"] for c in cells] == ["本年支出/小计", "本年支出/基本支出", "本年支出/项目支出"]
    assert [c["amount"] for c in cells] == [Decimal("2847.27"), Decimal("1203.82"), Decimal("1643.45")]
    assert all(c["line_item"] == "合计" and c["is_total"] for c in cells)
    assert cells[0]["amount_yuan"] == Decimal("28472700.00")


def test_vertically_merged_header_is_one_path_element() -> None:
    rows = [
        ["项目", "", "本年收入合\n计", "财政拨款收\n入"],
        ["功能分类科目编码", "科目名称", "", ""],
        ["201", "一般公共服务支出", "2,833.35", "2,833.35"],
    ]
    g = grid(8, rows, no_left={(0, 1)}, no_top={(1, 2), (1, 3)})
    cells = records(table("02", g))
    assert [c["measure"] for c in cells] == ["本年收入合计", "财政拨款收入"]
    assert cells[0]["functional_code"] == "201" and cells[0]["functional_name"] == "一般公共服务支出"


def test_three_code_columns_join_and_inherit_the_class_on_later_rows() -> None:
    rows = [
        ["项目", "", "", "", "合计"],
        ["科目编码", "", "", "科目名称", ""],
        ["类", "款", "项", "", ""],
        ["201", "", "", "一般公共服务支出", "10.00"],
        ["", "06", "", "财政事务", "10.00"],
        ["", "06", "01", "行政运行", "10.00"],
    ]
    g = grid(3, rows, no_left={(0, 1), (0, 2), (0, 3), (1, 1), (1, 2)}, no_top={(1, 4), (2, 4), (2, 3)})
    cells = records(table("03", g))
    assert [c["functional_code"] for c in cells] == ["201", "20106", "2010601"]
    assert [c["is_total"] for c in cells] == [True, True, False]


def test_two_sided_table_takes_labels_from_its_own_side_and_skips_row_numbers() -> None:
    rows = [
        ["收入", "", "", "支出", "", ""],
        ["项目", "行次", "金额", "项目", "行次", "金额"],
        ["栏次", "", "1", "栏次", "", "2"],
        ["一、一般公共预算财政拨款收入", "1", "2,846.52", "一、一般公共服务支出", "32", "2,834.09"],
        ["", "9", "", "九、卫生健康支出", "40", "0.00"],
    ]
    g = grid(6, rows, no_left={(0, 1), (0, 2), (0, 4), (0, 5)})
    cells = records(table("01", g))
    assert [(c["line_item"], c["measure"], str(c["amount"])) for c in cells] == [
        ("一般公共预算财政拨款收入", "收入/金额", "2846.52"),
        ("一般公共服务支出", "支出/金额", "2834.09"),
        ("卫生健康支出", "支出/金额", "0.00"),
    ]


def test_repeated_label_in_04_belongs_to_the_block_that_opened_it() -> None:
    rows = [
        ["收入", "", "支出", ""],
        ["项目", "金额", "项目", "合计"],
        ["一、一般公共预算财政拨款", "2,846.52", "一、一般公共服务支出", "2,834.09"],
        ["年初财政拨款结转和结余", "0.74", "年末财政拨款结转和结余", "0.00"],
        ["一般公共预算财政拨款", "0.74", "", ""],
    ]
    g = grid(12, rows, no_left={(0, 1), (0, 3)})
    cells = records(table("04", g))
    last = cells[-1]
    assert last["line_item"] == "一般公共预算财政拨款" and last["parent_line_item"] == "年初财政拨款结转和结余"
    assert cells[0]["parent_line_item"] is None


def test_label_split_by_a_page_break_is_joined_back() -> None:
    header = [["收入", "", "支出", ""], ["项目", "金额", "项目", "金额"]]
    first = grid(12, header + [["", "", "二十六、抗疫特别国债安", "0.00"]], no_left={(0, 1), (0, 3)})
    second = grid(13, [["", "", "排的支出", ""], ["本年收入合计", "1.00", "本年支出合计", "1.00"]])
    cells = records(table("04", first, second))
    assert cells[0]["line_item"] == "抗疫特别国债安排的支出"
    assert [c["line_item"] for c in cells[1:]] == ["本年收入合计", "本年支出合计"]


def test_a_complete_label_on_a_continuation_page_is_its_own_row() -> None:
    header = [["收入", "", "支出", ""], ["项目", "决算数", "项目", "决算数"]]
    first = grid(6, header + [["本年收入合计", "2,946.25", "本年支出合计", "2,940.05"]], no_left={(0, 1), (0, 3)})
    second = grid(7, [["使用非财政拨款结余", "", "结余分配", ""], ["年初结转和结余", "49.14", "年末结转和结余", "55.34"]])
    labels = [c["line_item"] for c in records(table("01", first, second))]
    assert labels == ["本年收入合计", "本年支出合计", "年初结转和结余", "年末结转和结余"]


def test_ordinal_that_slipped_to_the_row_above_is_moved_back() -> None:
    rows = [
        ["项目", "金额"],
        ["六、科学技术支出", "1.00"],
        ["七、文化旅游体育与传媒支\n出 八", ""],
        ["、社会保障和就业支出", "326.71"],
    ]
    cells = records(table("01", grid(12, rows)))
    assert cells[1]["line_item"] == "社会保障和就业支出"


def test_side_by_side_economic_groups_and_a_merged_total_label() -> None:
    rows = [
        ["人员经费", "", "", "公用经费", "", "", "", "", ""],
        ["科目编码", "科目名称", "决算数", "科目编码", "科目名称", "决算数", "科目编码", "科目名称", "决算数"],
        ["301", "工资福利支出", "1,014.41", "302", "商品和服务支出", "166.76", "307", "债务利息及费用支出", "0.00"],
        ["人员经费合计", "", "1,037.06", "公用经费合计", "", "", "", "", "166.76"],
    ]
    no_left = {(0, 1), (0, 2), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (3, 1), (3, 4), (3, 5), (3, 6), (3, 7)}
    cells = records(table("06", grid(16, rows, no_left=no_left)))
    got = [(c["economic_code"], c["line_item"], c["measure"], str(c["amount"])) for c in cells]
    assert got == [
        ("301", None, "人员经费/决算数", "1014.41"),
        ("302", None, "公用经费/决算数", "166.76"),
        ("307", None, "公用经费/决算数", "0.00"),
        (None, "人员经费合计", "人员经费/决算数", "1037.06"),
        (None, "公用经费合计", "公用经费/决算数", "166.76"),
    ]
    assert cells[0]["functional_code"] is None and cells[0]["economic_name"] == "工资福利支出"


def test_three_level_header_of_the_three_public_table_and_column_numbers_ignored() -> None:
    rows = [
        ["预算数", "", "", "", "", "", "决算数", "", "", "", "", ""],
        ["合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费"] * 2,
        ["", "", "小计", "公务用车购置费", "公务用车运行费", ""] * 2,
        [str(i) for i in range(1, 13)],
        ["9.70", "0.00", "6.50", "0.00", "6.50", "3.20", "3.55", "0.00", "3.25", "0.00", "3.25", "0.30"],
    ]
    no_left = {(0, c) for c in range(1, 12) if c != 6} | {(1, 3), (1, 4), (1, 9), (1, 10)}
    no_top = {(2, 0), (2, 1), (2, 5), (2, 6), (2, 7), (2, 11)}
    cells = records(table("07", grid(18, rows, no_left=no_left, no_top=no_top)))
    assert len(cells) == 12
    assert cells[2]["measure"] == "预算数/公务用车购置及运行费/小计"
    assert cells[11]["measure"] == "决算数/公务接待费"
    assert all(c["line_item"] is None and c["functional_code"] is None for c in cells)


def test_empty_table_with_header_only_stages_no_cells_without_error() -> None:
    rows = [["项目", "", "本年支出", "", ""], ["功能分类科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
    staged = stage_table(table("09", grid(20, rows, no_left={(0, 1), (0, 3), (0, 4)})), "万元")
    assert staged.cells.empty and not staged.issues


def test_missing_unit_is_an_error_naming_table_and_page() -> None:
    rows = [["项目", "金额"], ["合计", "1.00"]]
    staged = stage_table(table("02", grid(8, rows)), None)
    assert staged.cells.empty
    assert "table 02, page 8" in str(staged.issues[0]) and "unit" in str(staged.issues[0])


def test_amounts_in_yuan_tables_convert_with_factor_one() -> None:
    rows = [["项目", "金额"], ["合计", "1,234.50"]]
    cells = records(table("02", grid(8, rows), unit="元"))
    assert cells[0]["amount_yuan"] == Decimal("1234.50") and cells[0]["unit"] == "元"


def test_a_header_alone_at_a_pages_foot_names_the_body_on_the_next_page() -> None:
    head = grid(3, CODED_HEADER[:2], no_left=CODED_MERGES)
    body = grid(4, [["合计", "", "12.00", "10.00", "2.00"], ["201", "一般公共服务支出", "12.00", "10.00", "2.00"]])
    # a 预算 table (its kind known): its header-only grid is a header of its own over the next grid
    budget = replace(table("05", head, body), table_type="general_budget_functional")
    rows = records(budget)
    assert {(r["functional_code"], r["measure"], r["page"]) for r in rows if r["functional_code"]} == {
        ("201", "本年支出/小计", 4), ("201", "本年支出/基本支出", 4), ("201", "本年支出/项目支出", 4)
    }


def test_a_header_cut_by_a_page_break_joins_the_rest_of_it_on_the_next_page() -> None:
    # 预算数 | 决算数 above the break; the column headers and the body on the next page
    top = grid(7, [["预算数", "决算数"]])
    rest = grid(8, [["合计", "公务接待费", "合计", "公务接待费"], ["9.70", "6.50", "8.00", "5.00"]])
    top_boxes = ((0.0, 0.0, 200.0, 10.0), (200.0, 0.0, 400.0, 10.0))
    rest_boxes = tuple((100.0 * c, 10.0 * r, 100.0 * (c + 1), 10.0 * (r + 1)) for c in range(4) for r in (0,))
    top = CellGrid(page=7, cells=top.cells, edges=top.edges, boxes=(top_boxes,))
    rest = CellGrid(
        page=8, cells=rest.cells, edges=rest.edges,
        boxes=(rest_boxes, tuple((100.0 * c, 10.0, 100.0 * (c + 1), 20.0) for c in range(4))),
    )  # fmt: skip
    rows = records(table("07", top, rest))
    assert sorted((r["measure"], str(r["amount"])) for r in rows) == [
        ("决算数/公务接待费", "5.00"), ("决算数/合计", "8.00"), ("预算数/公务接待费", "6.50"), ("预算数/合计", "9.70")
    ]
