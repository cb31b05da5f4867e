"""Equalities between a 预算's tables, each compared only when both tables are present (chosen by ``table_type``).

- the 收支总表's income / expenditure total = the income / expenditure table's 合计;
- each fund's functional table (一般公共预算, 政府性基金, 国有资本经营) 合计 = the 财政拨款收支总表's total in
  that fund's expenditure column;
- each 类 of the expenditure table / general-budget table = the summary line of the same name;
- the 基本支出 经济分类 table's 合计 = the 基本支出 of the functional table (or of the 财政拨款 summary).

Tables of one document may print different units (元 on most pages, 万元 on the 三公 page): two figures in
different units are compared in 元, to the cent of the coarser unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    BUDGET,
    TOLERANCE_PER_SUMMAND,
    Cell,
    Rule,
    RuleSet,
    finding,
    is_total_label,
    labels_of,
    last_token,
    measures_of,
    of_types,
    top_level,
)
from expectations.identities.budget_rows import INCOME_TOTALS
from expectations.identities.budget_two_sided import SideLine, reference_total, side_columns
from expectations.identities.cross import classes_vs_lines
from transform.stg_cells import UNIT_FACTORS

BUDGET_CROSS = RuleSet(BUDGET)

#: each fund's functional table and the header of its column in the 财政拨款 summary
FUND_TABLES = (("general_budget_functional", "一般公共预算"), ("government_fund", "政府性基金"), ("state_capital", "国有资本经营"))
#: the last header of a classified table's total column
TABLE_TOTALS = ("合计", "小计", "本年支出合计", *INCOME_TOTALS)
#: 功能分类 类 renamed in 2019 (财政部 政府收支分类科目): a summary table may still print the old name beside
#: the coded tables' new one (Putuo social-welfare institute 2024: 医疗卫生与计划生育支出 / 210 卫生健康支出)
RENAMED_CLASSES = {
    "医疗卫生与计划生育支出": "卫生健康支出",
    "文化体育与传媒支出": "文化旅游体育与传媒支出",
    "国土海洋气象等支出": "自然资源海洋气象等支出",
}


def class_name(name: object) -> str:
    """A 类 name as compared across a 预算's tables: its current name when it was renamed."""
    return RENAMED_CLASSES.get(str(name), str(name))


def first_table(cells: pd.DataFrame, table_type: str) -> str | None:
    """The code of the document's first table of a type (by code), or None."""
    codes = sorted(set(of_types(cells, (table_type,))["table_code"].astype(str)))
    return codes[0] if codes else None


def total_row(cells: pd.DataFrame, table: str | None, measure: Callable[[str], bool] | None = None) -> Cell | None:
    """A table's 合计 / 总计 row, in the column ``measure`` accepts (default: its total column, else its first)."""
    if table is None:
        return None
    frame = cells[cells["table_code"] == table]
    totals = frame[labels_of(frame).map(is_total_label) & top_level(frame)]
    measures = measures_of(totals)
    if measure is not None:
        chosen = [m for m in measures if measure(m)]
    else:
        chosen = [m for m in measures if last_token(m) in TABLE_TOTALS] or measures[:1]
    if not chosen:
        return None
    return totals[totals["measure"] == chosen[0]].iloc[0]


def _side_total(cells: pd.DataFrame, table: str | None, side: str, column: str | None = None) -> tuple[str, SideLine] | None:
    """The first total of a summary side: of its whole-side column, or of the column whose header holds ``column``."""
    if table is None:
        return None
    columns = side_columns(cells, table, side)
    if column is not None:
        columns = {m: lines for m, lines in columns.items() if column in m}
        if not columns:
            return None
        measure = next(iter(columns))
        totals = [line for line in columns[measure] if line.kind == "total"]
        return (measure, totals[0]) if totals else None
    return reference_total(columns)


def _equal(rule: Rule, found: Cell | None, expected: Cell | None, row: str, measure: str) -> Iterator[Finding]:
    """One printed figure = another table's printed figure (in 元 when their units differ)."""
    if found is None or expected is None:
        return
    found_amount, expected_amount, tolerance = Decimal(found["amount"]), Decimal(expected["amount"]), TOLERANCE_PER_SUMMAND
    if found["unit"] != expected["unit"]:
        found_amount, expected_amount = Decimal(found["amount_yuan"]), Decimal(expected["amount_yuan"])
        tolerance *= max(UNIT_FACTORS.get(str(found["unit"]), Decimal(1)), UNIT_FACTORS.get(str(expected["unit"]), Decimal(1)))
        measure += " (元)"
    yield finding(rule, str(found["table_code"]), row, measure, expected_amount, found_amount, tolerance, int(found["page"]))


def _summary_vs_table(cells: pd.DataFrame, rule: Rule, side: str, table_type: str) -> Iterator[Finding]:
    summary = first_table(cells, "income_expenditure_summary")
    total = _side_total(cells, summary, side)
    table = first_table(cells, table_type)
    other = total_row(cells, table)
    if total is None or other is None:
        return
    measure, line = total
    yield from _equal(rule, line.cell, other, line.label, f"{measure} vs {table} {other['line_item']}/{other['measure']}")


@BUDGET_CROSS.rule("budget.cross.summary_income_eq_income_table")
def check_summary_income(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """收支总表 income total (its first: 本年 / 当年 where printed) = the income table's 合计."""
    yield from _summary_vs_table(cells, rule, "收入", "income")


@BUDGET_CROSS.rule("budget.cross.summary_expenditure_eq_expenditure_table")
def check_summary_expenditure(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """收支总表 expenditure total = the expenditure table's 合计."""
    yield from _summary_vs_table(cells, rule, "支出", "expenditure")


@BUDGET_CROSS.rule("budget.cross.fund_tables_eq_appropriation_summary")
def check_fund_tables(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each fund's functional table 合计 = the 财政拨款收支总表 expenditure total in that fund's column."""
    summary = first_table(cells, "appropriation_summary")
    for table_type, fund in FUND_TABLES:
        table = first_table(cells, table_type)
        printed = total_row(cells, table)
        total = _side_total(cells, summary, "支出", column=fund)
        if printed is None or total is None:
            continue
        measure, line = total
        yield from _equal(rule, printed, line.cell, "合计", f"{printed['measure']} vs {summary} {line.label}/{measure}")


@BUDGET_CROSS.rule("budget.cross.classes_eq_summary_lines")
def check_classes_eq_summary_lines(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each 类 of the expenditure (general-budget) table = the 收支总表 (财政拨款 一般公共预算) line of its name.

    A line or a 类 printed on one side only counts as 0 on the other.
    """
    pairs = (
        ("expenditure", "income_expenditure_summary", lambda m: True),
        ("general_budget_functional", "appropriation_summary", lambda m: "一般公共预算" in m),
    )
    for coded_type, summary_type, line_measure in pairs:
        coded, summary = first_table(cells, coded_type), first_table(cells, summary_type)
        if coded is None or summary is None:
            continue
        yield from classes_vs_lines(
            rule, cells, coded, lambda m: last_token(m) in TABLE_TOTALS, summary, line_measure, name_key=class_name
        )


@BUDGET_CROSS.rule("budget.cross.basic_economic_eq_basic_expenditure")
def check_basic_economic(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """The 基本支出 经济分类 tables' 合计 = the 基本支出 the functional tables print.

    一般公共预算基本支出 合计 = the general-budget table's 合计 基本支出; 财政拨款基本支出 合计 (Jiangsu) = the
    财政拨款收支总表's 基本支出 line.
    """
    economic = first_table(cells, "general_budget_basic_economic")
    functional = first_table(cells, "general_budget_functional")
    basic = total_row(cells, functional, lambda m: last_token(m) == "基本支出")
    yield from _equal(rule, total_row(cells, economic), basic, "合计", f"{economic} 合计 vs {functional} 合计/基本支出")
    appropriation = first_table(cells, "appropriation_basic_economic")
    summary = first_table(cells, "appropriation_summary")
    if appropriation is None or summary is None:
        return
    for measure, column in side_columns(cells, summary, "支出").items():
        line = next((line for line in column if line.kind == "line" and line.label == "基本支出"), None)
        if line is not None:
            yield from _equal(rule, total_row(cells, appropriation), line.cell, "合计", f"{appropriation} 合计 vs {summary} 基本支出/{measure}")
            break
