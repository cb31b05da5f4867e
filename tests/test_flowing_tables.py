"""Tables that flow from page to page (Word, WPS, a browser's print of an HTML export): a page that ends one table
and begins the next, and a list of the tables (目录, sheet index) printed before the tables themselves."""

from __future__ import annotations

from extract.cells import PageChar
from extract.identify import identify_tables, titles_over_grids
from extract.models import CellGrid
from extract.pdf import PageInfo, reading_order_text

LINE = 12.0  # points per printed line


def chars(lines: list[tuple[float, str]]) -> tuple[PageChar, ...]:
    """One PageChar per character, each line at its top (10 pt wide characters)."""
    return tuple(
        PageChar(ch, 50 + 10 * i, top, 60 + 10 * i, top + 10) for top, text in lines for i, ch in enumerate(text)
    )


def page(number: int, lines: list[tuple[float, str]], n_paths: int = 40) -> PageInfo:
    printed = chars(lines)
    return PageInfo(number, reading_order_text(printed), 595, 842, 0, n_paths, 0.0, printed)


def grid(number: int, top: float, rows: list[tuple[str, ...]]) -> CellGrid:
    """A grid whose rows are LINE points tall from ``top``."""
    boxes = tuple(
        tuple((50 + 100 * c, top + LINE * r, 150 + 100 * c, top + LINE * (r + 1)) for c in range(len(row)))
        for r, row in enumerate(rows)
    )
    return CellGrid(page=number, cells=tuple(rows), boxes=boxes)


HEAD02 = [("项目", "", "本年收入合计", "财政拨款收入"), ("功能分类科目编码", "科目名称", "", "")]
HEAD03 = [("项目", "", "本年支出合计", "基本支出"), ("功能分类科目编码", "科目名称", "", "")]


def test_a_page_ending_one_table_and_starting_the_next_gives_each_its_own_grids() -> None:
    first = page(1, [(40, "公开02表"), (60, "收入决算表"), (80, "部门：某局 2020年度 金额单位：万元")])
    second = page(2, [(320, "公开03表"), (340, "支出决算表"), (360, "部门：某局 2020年度 金额单位：万元")])
    grids = [
        grid(1, 100, [*HEAD02, ("201", "一般公共服务支出", "10.00", "10.00")]),
        grid(2, 40, [("208", "社会保障和就业支出", "5.00", "5.00"), ("合计", "", "15.00", "15.00")]),
        grid(2, 380, [*HEAD03, ("201", "一般公共服务支出", "15.00", "15.00")]),
    ]
    tables, issues = identify_tables([first, second], grids)
    by_code = {t.table_code: t for t in tables}
    assert by_code["02"].grids == (grids[0], grids[1]) and by_code["02"].pages == (1, 2)
    assert by_code["03"].grids == (grids[2],) and by_code["03"].pages == (2,)
    assert not issues


def test_a_grid_above_the_first_title_of_a_page_with_no_table_before_stays_with_that_title() -> None:
    lone = page(3, [(320, "支出决算表")])
    grids = [grid(3, 40, [*HEAD03, ("201", "一般公共服务支出", "15.00", "15.00")])]
    tables, _ = identify_tables([lone], grids)
    assert [(t.table_code, t.grids) for t in tables] == [("03", (grids[0],))]


def test_a_list_of_the_tables_before_them_does_not_take_their_place() -> None:
    contents = page(1, [(40, "目录"), (60, "一、收入决算表"), (72, "二、支出决算表")], n_paths=20)
    tables_page = page(2, [(40, "收入决算表"), (60, "金额单位：万元")])
    grids = [grid(2, 80, [*HEAD02, ("201", "一般公共服务支出", "10.00", "10.00")])]
    tables, issues = identify_tables([contents, tables_page], grids)
    by_code = {t.table_code: t for t in tables}
    assert by_code["02"].grids == (grids[0],) and by_code["02"].pages == (2,) and by_code["02"].unit == "万元"
    assert not [i for i in issues if "printed again" in i.message]


def test_a_marker_before_the_title_is_not_part_of_the_title() -> None:
    marked = page(1, [(40, "公开02表收入决算表")])
    grids = [grid(1, 80, [*HEAD02, ("201", "一般公共服务支出", "10.00", "10.00")])]
    tables, _ = identify_tables([marked], grids)
    assert [(t.table_code, t.title) for t in tables] == [("02", "收入决算表")]


def test_a_title_printed_alone_under_the_end_of_another_table_starts_its_table() -> None:
    # the page opens with 20 rows of the table before (more text than a page's head), then a title of its own
    rows = [(f"2010{k:03d}", "一般行政管理事务", "1.00", "1.00") for k in range(20)]
    first = page(1, [(40, "收入决算表"), (60, "金额单位：万元")])
    body_lines = [(40 + LINE * k, " ".join(r)) for k, r in enumerate(rows)]
    second = page(2, [*body_lines, (400, "长沙市政务服务中心2020年度支出决算表"), (420, "金额单位：万元")])
    grids = [
        grid(1, 80, [*HEAD02, ("201", "一般公共服务支出", "10.00", "10.00")]),
        grid(2, 40, rows),
        grid(2, 440, [*HEAD03, ("201", "一般公共服务支出", "15.00", "15.00")]),
    ]
    tables, _ = identify_tables([first, second], grids)
    by_code = {t.table_code: t for t in tables}
    assert by_code["02"].grids == (grids[0], grids[1])
    assert by_code["03"].grids == (grids[2],) and by_code["03"].pages == (2,)


def test_contents_entries_above_a_grid_are_not_titles() -> None:
    contents = page(
        1, [(40, "一、收入决算表"), (52, "二、支出决算表……3"), (64, "三、财政拨款收入支出决算总表"), (80, "收入决算表")]
    )
    grids = [grid(1, 100, [*HEAD02, ("201", "一般公共服务支出", "10.00", "10.00")])]
    assert [(code, title) for _, code, title in titles_over_grids(contents, grids)] == [("02", "收入决算表")]
