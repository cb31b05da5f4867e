"""预算 table sets of both families found by their printed titles, numbered as the documents number them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.budget_tables import (
    FINAL_TABLE_TYPES,
    clean_title,
    contents_order,
    identify_budget_tables,
    parse_number,
    table_type,
)
from extract.identify import classify_title
from extract.isolation import read_pdf
from extract.limits import Limits
from extract.models import TABLE_TITLES

REAL = Path(__file__).resolve().parent / "data" / "real"

SHANGHAI_TYPES = [
    ("财务收支预算总表", "income_expenditure_summary"),
    ("收入预算总表", "income"),
    ("支出预算总表", "expenditure"),
    ("财政拨款收支预算总表", "appropriation_summary"),
    ("一般公共预算支出功能分类预算表", "general_budget_functional"),
    ("政府性基金预算支出功能分类预算表", "government_fund"),
    ("国有资本经营预算支出功能分类预算表", "state_capital"),
    ("一般公共预算基本支出部门预算经济分类预算表", "general_budget_basic_economic"),
    ("三公经费和机关运行经费预算表", "three_public"),
]
#: Jiangsu 2017 order (tables 07–11 move in 2018–2019: see JIANGSU_LATER)
JIANGSU_2017 = [
    "income_expenditure_summary", "income", "expenditure", "appropriation_summary", "appropriation_expenditure",
    "appropriation_basic_economic", "government_fund", "general_budget_functional", "general_budget_basic_economic",
    "operating_costs", "three_public", "procurement",
]
JIANGSU_LATER = [
    "income_expenditure_summary", "income", "expenditure", "appropriation_summary", "appropriation_expenditure",
    "appropriation_basic_economic", "general_budget_functional", "general_budget_basic_economic", "three_public",
    "government_fund", "operating_costs", "procurement",
]

# (document, expected table types in order, first page of table 01)
EXPECTED = [
    *(
        (name, [t for _, t in SHANGHAI_TYPES], first)
        for name, first in (
            ("shanghai-putuo_commerce-commission_2025_yusuan_dept.pdf", 9),
            ("shanghai-putuo_commerce-commission_2025_yusuan_unit.pdf", 9),
            ("shanghai-putuo_finance-bureau_2025_yusuan_dept.pdf", 9),
            ("shanghai-putuo_govt-office_2025_yusuan_dept.pdf", 8),
            ("shanghai-putuo_govt-office_2025_yusuan_unit.pdf", 8),
            ("shanghai-putuo_justice-bureau_2026_yusuan_dept.pdf", 10),
            ("shanghai-putuo_justice-bureau_2026_yusuan_unit.pdf", 8),
            ("shanghai-putuo_social-welfare-institute_2024_yusuan_unit.pdf", 7),
            ("shanghai-putuo_wanli-subdistrict_2024_yusuan_dept.pdf", 10),
            ("shanghai-putuo_wanli-subdistrict_2025_yusuan_dept.pdf", 9),
            ("shanghai-putuo_wanli-subdistrict_2025_yusuan_draft-preview-1_LIBREOFFICE.pdf", 9),
            ("shanghai-putuo_wanli-subdistrict_2025_yusuan_draft-preview-2_LIBREOFFICE.pdf", 11),
        )
    ),
    ("jiangsu_cpc-provincial-committee-office_2017_yusuan_tables.pdf", JIANGSU_2017, 1),
    ("jiangsu_cppcc-office_2017_yusuan_tables.pdf", JIANGSU_2017, 1),
    ("jiangsu_high-court_2017_yusuan.pdf", [*JIANGSU_2017[:6], "government_fund", *JIANGSU_2017[7:]], 11),
    ("jiangsu_procuratorate_2017_yusuan.pdf", JIANGSU_2017, 10),  # its 三公 title wraps as "…支出预" / "算表"
    ("jiangsu_cpc-provincial-committee-office_2019_yusuan_tables.pdf", JIANGSU_LATER, 1),
    ("jiangsu_cppcc-office_2018_yusuan_tables.pdf", JIANGSU_LATER, 1),
    ("jiangsu_high-court_2018_yusuan.pdf", JIANGSU_LATER, 9),
    ("jiangsu_npc-standing-committee-office_2018_yusuan.pdf", JIANGSU_LATER, 8),
    ("jiangsu_npc-standing-committee-office_2019_yusuan_tables.pdf", JIANGSU_LATER, 1),
    ("jiangsu_procuratorate_2019_yusuan.pdf", JIANGSU_LATER, 14),
]


@pytest.mark.parametrize(("name", "types", "first_page"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_every_table_of_a_real_budget_is_found_numbered_typed_and_united(name: str, types: list[str], first_page: int) -> None:
    read = read_pdf(REAL / name, name, False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    assert [t.table_type for t in tables] == types
    assert [t.table_code for t in tables] == [f"{n:02d}" for n in range(1, len(types) + 1)]
    assert tables[0].pages[0] == first_page
    # pages never go back, and every table with data has a grid
    assert all(a.pages[0] <= b.pages[0] for a, b in zip(tables, tables[1:], strict=False))
    assert sum(1 for t in tables if t.grids) >= len(tables) - 2  # Shanghai prints empty fund tables without a grid
    if name.startswith("shanghai"):
        assert [t.title for t in tables] == [title for title, _ in SHANGHAI_TYPES]
        assert [t.unit for t in tables] == ["元"] * 8 + ["万元"]  # the 三公 page prints its own unit
    else:
        assert {t.unit for t in tables} == {"万元"}


@pytest.mark.parametrize(
    "name", ["jiangsu_cppcc-office_2017_yusuan_text.pdf", "jiangsu_npc-standing-committee-office_2019_yusuan_text.pdf"]
)
def test_a_narrative_companion_has_no_tables_but_its_contents_lists_them(name: str) -> None:
    read = read_pdf(REAL / name, name, False, Limits())
    assert identify_budget_tables(read.pages, read.grids) == []
    assert len(contents_order(read.pages)) == 12


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), ("05", 5), ("五", 5), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23), ("x", None), ("一二", None)],
)
def test_table_numbers_in_arabic_and_chinese_numerals(text: str, value: int | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("printed", "clean"),
    [
        ("2025年部门财务收支预算总表", "财务收支预算总表"),
        ("2024年预算单位一般公共预算支出功能分类预算表", "一般公共预算支出功能分类预算表"),
        ("2018年度江苏省高级人民法院收支预算总表", "收支预算总表"),
        ("七、一般公共预算支出预算表", "一般公共预算支出预算表"),
        ("2019年政府采购预算表", "政府采购预算表"),
        ("2025年部门 “三公” 经费和机关运行经费预算表", "三公经费和机关运行经费预算表"),
    ],
)
def test_titles_lose_their_ordinal_year_and_department(printed: str, clean: str) -> None:
    assert clean_title(printed) == clean


def test_the_standard_final_tables_share_their_types_with_budget_tables() -> None:
    # a 决算 title classifies to the table_type its standard code maps to: one query compares both phases
    for code, title in TABLE_TITLES.items():
        kind = table_type(title)
        assert classify_title(title) == code and kind is not None and kind.key == FINAL_TABLE_TYPES[code], title


@given(st.integers(min_value=1000, max_value=10**12), st.booleans(), st.booleans())
def test_separators_drawn_below_their_digits_are_put_back(value: int, cents: bool, spaced: bool) -> None:
    from transform.parsers import parse_amount

    printed = f"{value:,}" + (".25" if cents else "")
    if spaced:  # "19 604 064.25" over ", , ."
        digits = printed.replace(",", " ").replace(".", " ")
        marks = " ".join(c for c in printed if c in ",.")
    else:  # "19604064" over ", ," (the digits ran together)
        if cents:
            return
        digits, marks = str(value), " ".join("," * printed.count(","))
    expected = Decimal(printed.replace(",", ""))
    assert parse_amount(f"{digits}\n{marks}") == expected
    assert parse_amount(f"{marks}\n{digits}") == expected


@pytest.mark.parametrize("text", ["19 604 064\n,", "1 2\n, ,", "12604173\n,", "abc\n, ,"])
def test_separators_that_do_not_fit_their_digits_are_refused(text: str) -> None:
    from transform.parsers import AmountParseError, parse_amount

    with pytest.raises(AmountParseError):
        parse_amount(text)


def test_a_title_orphaned_at_a_page_foot_is_its_table_and_numbers_stay_unique() -> None:
    # npc 2017 prints 财政拨款基本支出预算表 and 政府性基金 at page 11's foot, their tables on page 12 on
    name = "jiangsu_npc-standing-committee-office_2017_yusuan.pdf"
    read = read_pdf(REAL / name, name, False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    assert [t.table_code for t in tables] == ["01", "02", "03", "05", "04", "06", "07", "08", "09", "10", "11", "12"]
    assert [t.table_type for t in tables][3:7] == [
        "appropriation_expenditure", "appropriation_summary", "appropriation_basic_economic", "government_fund"
    ]
    assert all(t.grids for t in tables)


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("jiangsu_*_yusuan_tables.pdf")))
def test_a_tables_file_without_its_contents_must_carry_its_familys_tables(name: str) -> None:
    from expectations.config import check_listed_tables
    from extract.budget_tables import FAMILY_TABLES, budget_family, required_tables

    read = read_pdf(REAL / name, name, False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    assert contents_order(read.pages) == [] and budget_family(tables) == "jiangsu"
    required = required_tables(read.pages, tables)
    assert required == FAMILY_TABLES["jiangsu"]
    assert all(f.verdict == "pass" for f in check_listed_tables(required, tables))
    without_procurement = [t for t in tables if t.table_type != "procurement"]
    failed = [f for f in check_listed_tables(required, without_procurement) if f.verdict == "fail"]
    assert [f.expected for f in failed] == ["table 政府采购预算表 (required table 12: its 目录, else its family) in the document"]


def test_a_document_with_contents_is_held_to_them() -> None:
    from extract.budget_tables import required_tables

    name = "shanghai-putuo_finance-bureau_2025_yusuan_dept.pdf"
    read = read_pdf(REAL / name, name, False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    assert required_tables(read.pages, tables) == tuple(title for title, _ in SHANGHAI_TYPES)
