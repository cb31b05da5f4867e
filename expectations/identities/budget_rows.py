"""Row totals of a 预算's classified tables: 支出 = 基本 + 项目, 收入 = Σ sources, 基本支出 = 人员经费 + 公用经费.

The tables are chosen by ``table_type`` (never by code: a 预算 numbers its tables as it prints them).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    BUDGET,
    EXPENDITURE_PARTS,
    Rule,
    RuleSet,
    compare,
    header_prefix,
    last_token,
    measures_of,
    of_types,
    row_label,
)
from expectations.identities.rows import expenditure_rows, income_rows, printed_rows

BUDGET_ROWS = RuleSet(BUDGET)

#: the 功能分类 tables whose columns split expenditure (every functional table but the income table)
EXPENDITURE_TYPES = (
    "expenditure", "general_budget_functional", "government_fund", "state_capital", "appropriation_expenditure", "carryover",
)
#: the parts of a 预算 expenditure total: the 决算 ones, and 单位预留机动经费 (Jiangsu), 结转下年
BUDGET_EXPENDITURE_PARTS = (*EXPENDITURE_PARTS, "单位预留机动经费", "结转下年")
#: the last header of an income table's total column
INCOME_TOTALS = ("合计", "本年收入合计", "收入合计", "小计")
#: the 经济分类 tables of 基本支出, whose columns split into 人员经费 and 公用经费
BASIC_ECONOMIC_TYPES = ("general_budget_basic_economic", "appropriation_basic_economic")
BASIC_PARTS = ("人员经费", "公用经费")


@BUDGET_ROWS.rule("budget.row.expenditure_total")
def check_expenditure_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per row of the expenditure tables: 合计 = 基本支出 + 项目支出 (+ 单位预留机动经费, 结转下年 … where printed)."""
    yield from expenditure_rows(rule, of_types(cells, EXPENDITURE_TYPES), BUDGET_EXPENDITURE_PARTS)


@BUDGET_ROWS.rule("budget.row.income_total")
def check_income_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per row of the income table: 合计 = Σ its sources (财政拨款收入 + 事业收入 + 事业单位经营收入 + 其他收入 …)."""
    income = of_types(cells, ("income",))
    for table, group in income.groupby("table_code", sort=True):
        yield from income_rows(rule, group, str(table), INCOME_TOTALS)


@BUDGET_ROWS.rule("budget.row.basic_personnel_public")
def check_basic_personnel_public(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per row of the 基本支出 经济分类 tables: 合计 = 人员经费 + 公用经费."""
    for table, group in of_types(cells, BASIC_ECONOMIC_TYPES).groupby("table_code", sort=True):
        measures = measures_of(group)
        for total in (m for m in measures if last_token(m) == "合计"):
            parts = {m for m in measures if header_prefix(m) == header_prefix(total) and last_token(m) in BASIC_PARTS}
            if not parts:
                continue
            for row in printed_rows(group):
                printed = next((c for c in row if c["measure"] == total), None)
                if printed is not None:
                    summed = [Decimal(c["amount"]) for c in row if c["measure"] in parts]
                    yield compare(rule, str(table), row_label(printed), total, printed, summed)
