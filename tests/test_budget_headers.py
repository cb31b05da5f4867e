"""预算 tables printed without a title: the kinds a header allows, where a title-less grid starts a table, 目录 order.

The headers are those real releases print (Shanghai 2025 Putuo, Jiangsu 2017–2019, as read from tests/data/real);
the producer matrix's ``calc-js-untitled`` and ``calc-sh-untitled-dash`` read whole documents this way
(tests/test_budget_producers.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.budget_headers import TableOrder, header_kinds, header_rows, starts_table
from extract.budget_tables import FAMILY_TABLES
from extract.models import CellGrid
from extract.table_types import table_type


def grid(*rows: tuple[str, ...]) -> CellGrid:
    return CellGrid(page=1, cells=tuple(rows))


#: (title, header rows as printed, the first body row): one of each kind of both families
HEADERS: list[tuple[str, list[tuple[str, ...]], tuple[str, ...]]] = [
    ("财务收支预算总表", [("本年收入", "", "本年支出", ""), ("项目", "预算数", "项目", "预算数")], ("一、财政拨款收入", "1,000.00", "一、一般公共服务支出", "1,000.00")),
    ("收入预算总表", [("项目", "", "", "", "收入预算", "", ""), ("功能分类科目编码", "", "", "功能分类科目名称", "合计", "财政拨款收入", "事业收入"), ("类", "款", "项", "", "", "", "")], ("201", "", "", "一般公共服务支出", "1,000.00", "1,000.00", "")),
    ("支出预算总表", [("项目", "", "", "", "支出预算", "", ""), ("功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"), ("类", "款", "项", "", "", "", "")], ("201", "", "", "一般公共服务支出", "1,000.00", "1,000.00", "")),
    ("财政拨款收支预算总表", [("财政拨款收入", "", "财政拨款支出", "", ""), ("项目", "预算数", "项目", "合计", "一般公共预算")], ("一、一般公共预算资金", "1,000.00", "一、一般公共服务支出", "1,000.00", "1,000.00")),
    ("一般公共预算支出功能分类预算表", [("项目", "", "", "", "一般公共预算支出", "", ""), ("功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"), ("类", "款", "项", "", "", "", "")], ("201", "", "", "一般公共服务支出", "1,000.00", "", "1,000.00")),
    ("政府性基金预算支出功能分类预算表", [("项目", "", "", "", "政府性基金预算支出", "", ""), ("功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"), ("类", "款", "项", "", "", "", "")], ("合计", "", "", "", "", "", "")),
    ("国有资本经营预算支出功能分类预算表", [("项目", "", "", "", "国有资本经营预算支出", "", ""), ("功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"), ("类", "款", "项", "", "", "", "")], ("合计", "", "", "", "", "", "")),
    ("一般公共预算基本支出部门预算经济分类预算表", [("项目", "", "", "一般公共预算基本支出", "", ""), ("部门预算经济分类科目编码", "", "经济分类科目名称", "合计", "人员经费", "公用经费"), ("类", "款", "", "", "", "")], ("301", "", "工资福利支出", "10.00", "10.00", "0.00")),
    ("三公经费和机关运行经费预算表", [("“三公”经费预算数", "", "", "", "", "", "机关运行经费预算数"), ("合计", "因公出国(境)费", "公务用车购置及运行费", "", "", "公务接待费", ""), ("", "", "小计", "购置费", "运行费", "", "")], ("9.70", "0.00", "6.50", "0.00", "6.50", "3.20", "134.02")),
    ("收支预算总表", [("收入", "", "支出", "", "", ""), ("项目名称", "金额", "功能分类", "", "支出用途", ""), ("", "", "功能科目名称", "金额", "项目名称", "金额")], ("一、财政拨款", "24, 169.74", "一、一般公共服务支出", "", "一、基本支出", "15,844.04")),
    ("收入预算总表", [("项目名称", "", "金额")], ("收入总计", "", "24169.74")),
    ("支出预算总表", [("合计", "基本支出", "项目支出", "单位预留机动经费", "结转下年资金")], ("24169.74", "15844.04", "4335.30", "3990.4", "")),
    ("财政拨款收支预算总表", [("收入", "", "支出", ""), ("项目名称", "金额", "支出用途", ""), ("", "", "项目名称", "金额")], ("一、一般公共预算", "24169.74", "一、基本支出", "15844.04")),
    ("财政拨款支出预算表", [("功能科目代码", "功能科目名称", "金额")], ("合 计", "", "24,169.74")),
    ("财政拨款基本支出预算表", [("科目编码", "科目名称", "金额")], ("合计", "", "15,844.04")),
    ("一般公共预算支出预算表", [("科目代码", "功能科目名称", "金额")], ("", "合计", "24,169.74")),
    ("一般公共预算基本支出预算表", [("科目编码", "科目名称", "金额")], ("合 计", "", "15,844.04")),
    ("一般公共预算三公经费、会议费、培训费支出预算表", [("合计", "“三公” 经费", "", "", "", "", "", "会议费", "培训费"), ("", "小计", "因公出国（境）费", "公务用车购置及运行维护费", "", "", "公务接待费", "", ""), ("", "", "", "小计", "公务用车购置费", "公务用车运行维护费", "", "", "")], ("1276.7", "418.26", "80", "237", "", "237", "101.26", "158.44", "700")),
    ("政府性基金支出预算表", [("功能科目编码", "功能科目名称", "金 额")], ("合 计", "", "")),
    ("一般公共预算机关运行经费支出预算表", [("科目编码", "科目名称", "机关运行经费支出")], ("合计", "", "2,391.92")),
    ("政府采购支出预算表", [("采购品目大类", "专项名称", "经济科目", "采购物品名称", "采购组织形式", "总计")], ("合 计", "", "", "", "", "2,744.84")),
    ("动用上年结转和结余资金支出预算总表", [("功能科目编码", "功能科目名称", "合计", "基本支出", "项目支出")], ("合计", "", "", "", "")),
]


@pytest.mark.parametrize(("title", "header", "first"), HEADERS, ids=[f"{k:02d}-{h[0]}" for k, h in enumerate(HEADERS)])
def test_a_header_allows_the_kind_of_its_table(title: str, header: list[tuple[str, ...]], first: tuple[str, ...]) -> None:
    g = grid(*header, first)
    assert header_rows(g) == len(header)
    kind = table_type(title)
    assert kind is not None and kind.key in header_kinds(g)
    assert starts_table(g, ())


def test_jiangsus_shared_headers_allow_every_kind_that_prints_them() -> None:
    functional = header_kinds(grid(("功能科目编码", "功能科目名称", "金额"), ("合计", "", "1.00")))
    economic = header_kinds(grid(("科目编码", "科目名称", "金额"), ("合计", "", "1.00")))
    assert {"appropriation_expenditure", "general_budget_functional", "government_fund"} <= set(functional)
    assert {"appropriation_basic_economic", "general_budget_basic_economic"} <= set(economic)


HEAD = ("科目编码", "科目名称", "金额")


def test_a_grid_without_header_continues_its_table() -> None:
    before = [grid(HEAD, ("合计", "", "10.00"), ("301", "工资福利支出", "10.00"))]
    assert not starts_table(grid(("30101", "基本工资", "4.00"), ("30102", "津贴补贴", "6.00")), before)


def test_a_repeated_header_over_rows_that_go_on_continues_its_table() -> None:
    # Jiangsu prints 合计 first: the table is still open, and the continuation does not open with a total
    before = [grid(HEAD, ("合计", "", "10.00"))]
    assert not starts_table(grid(HEAD, ("301", "工资福利支出", "10.00")), before)
    # Shanghai prints 合计 last: a table cut before it is still open
    before = [grid(HEAD, ("301", "工资福利支出", "10.00"))]
    assert not starts_table(grid(HEAD, ("30101", "基本工资", "10.00"), ("合计", "", "10.00")), before)


def test_the_same_header_after_a_closed_table_or_over_a_total_starts_a_table() -> None:
    closed = [grid(HEAD, ("301", "工资福利支出", "10.00"), ("合计", "", "10.00"))]
    assert starts_table(grid(HEAD, ("301", "工资福利支出", "10.00")), closed)
    opened = [grid(HEAD, ("合计", "", "10.00"), ("301", "工资福利支出", "10.00"))]
    assert starts_table(grid(HEAD, ("合计", "", "8.00"), ("302", "商品和服务支出", "8.00")), opened)


def test_a_header_repeated_over_the_closing_total_alone_continues_a_table_that_prints_its_total_last() -> None:
    # a browser repeats the header on every page: the last page of a Shanghai table can hold only its 合计
    before = [grid(HEAD, ("301", "工资福利支出", "10.00"), ("302", "商品和服务支出", "2.00"))]
    assert not starts_table(grid(HEAD, ("合计", "", "12.00")), before)
    # a total with rows under it is another table that prints its total first
    assert starts_table(grid(HEAD, ("合计", "", "8.00"), ("302", "商品和服务支出", "8.00")), before)


def test_a_continuations_blank_labelled_rows_are_no_header() -> None:
    # jiangsu npc 2017 p.10: 收入预算总表 goes on with labels whose amounts are blank
    rows = grid(("", "其他非税收入", ""), ("其他资金", "小计", ""), ("", "事业收入", ""))
    assert not starts_table(rows, [grid(("项目名称", "", "金额"), ("收入总计", "", "1.00"))])


def test_a_header_of_another_table_starts_one_even_when_the_table_before_is_open() -> None:
    before = [grid(("功能科目编码", "功能科目名称", "金额"), ("合计", "", "10.00"))]
    assert starts_table(grid(HEAD, ("合计", "", "10.00")), before)


# --- 目录 order ------------------------------------------------------------------------------------------------

#: the kinds a title-less table's header allows, per kind (as ``header_kinds`` reads the headers above)
ALLOWED = {table_type(t).key: header_kinds(grid(*h, f)) for t, h, f in HEADERS}  # type: ignore[union-attr]

JIANGSU_2017 = (
    "收支预算总表", "收入预算总表", "支出预算总表", "财政拨款收支预算总表", "财政拨款支出预算表", "财政拨款基本支出预算表",
    "财政拨款政府性基金支出预算表", "一般公共预算支出预算表", "一般公共预算基本支出预算表", "一般公共预算机关运行经费支出预算表",
    "一般公共预算三公经费、会议费、培训费支出预算表", "政府采购预算表",
)
ORDERS = [FAMILY_TABLES["shanghai"], FAMILY_TABLES["jiangsu"], JIANGSU_2017, (*JIANGSU_2017, "动用上年结转和结余资金支出预算总表")]


@settings(max_examples=300, deadline=None)
@given(order=st.sampled_from(ORDERS), data=st.data())
def test_title_less_tables_are_the_next_listed_tables_their_headers_allow(order: tuple[str, ...], data: st.DataObject) -> None:
    """Whichever tables of a listed set lose their titles, 目录 order names each of them rightly."""
    untitled = data.draw(st.sets(st.integers(0, len(order) - 1)))
    listing = TableOrder(order)
    for index, title in enumerate(order):
        if index in untitled:
            kind = table_type(title)
            assert kind is not None
            assert listing.pick(ALLOWED[kind.key]) == title
        else:
            listing.take(title)
    assert listing.used == set(range(len(order)))


@settings(deadline=None)
@given(data=st.data())
def test_a_table_listed_nowhere_takes_no_title(data: st.DataObject) -> None:
    listing = TableOrder(FAMILY_TABLES["jiangsu"])
    for title in FAMILY_TABLES["jiangsu"]:
        listing.take(title)
    kinds = data.draw(st.sampled_from(sorted(ALLOWED.values())))
    assert listing.pick(kinds) is None
