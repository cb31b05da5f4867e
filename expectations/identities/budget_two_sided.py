"""预算 收支总表 tables (``income_expenditure_summary``, ``appropriation_summary``): both sides' totals.

A 预算's summary tables print an income side beside an expenditure side, each a column of lines closed by
total lines (Shanghai: 收入总计 / 支出总计; Jiangsu: 当年收入小计 then 收入合计). Lines are read in printed order:

- a total line is labelled 合计 / 总计 / 小计 (or 当年收入 / 本年支出 … alone);
- the fund lines printed right under a 财政拨款 line (1. 一般公共预算资金, 2. 政府性基金, 3. 国有资本经营预算)
  are its sub-lines, not income of their own; in the 财政拨款 summary, where no 财政拨款 line heads them, the
  same fund lines are the income lines;
- 其中 lines and rows under a parent line are never summed.

An expenditure side may print several columns: a whole-side column (合计, or one 预算数 / 金额 column) and
its parts (基本支出/人员经费, 项目支出; 一般公共预算, 政府性基金预算 …), or (Jiangsu) the same expenditure by
功能分类 and by 支出用途, where only the 支出用途 column prints the totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    BUDGET,
    Cell,
    Rule,
    RuleSet,
    compare,
    header_prefix,
    is_total_label,
    labels_of,
    last_token,
    of_types,
    reading_order,
    records,
    side_measures,
    top_level,
)
from expectations.identities.rows import printed_rows

BUDGET_TWO_SIDED = RuleSet(BUDGET)

#: the 预算 tables printed as an income side beside an expenditure side
SUMMARY_TYPES = ("income_expenditure_summary", "appropriation_summary")
#: the funds of a 财政拨款: lines named after them, printed under a 财政拨款 line, are its sub-lines
FUNDS = ("一般公共预算", "政府性基金", "国有资本经营")
#: the last header of a column holding a whole side (the others are its parts)
WHOLE_SIDE = ("合计", "小计", "总计", "预算数", "本年预算数", "金额")
#: the last header of a column that totals the columns beside it
COLUMN_TOTALS = ("合计", "小计")


@dataclass(frozen=True)
class SideLine:
    """One printed line of one column of a side: total, line (summed), fund (a 财政拨款 sub-line) or other."""

    label: str
    kind: str
    position: int
    cell: Cell


#: lines that name the year's side as a whole: a total whose 小计 / 合计 a page break cut off (Jiangsu's
#: "当年收入 | 小计" printed across two pages)
_YEAR_TOTALS = ("当年收入", "本年收入", "当年支出", "本年支出")


def is_side_total(label: str) -> bool:
    """Whether a line of a side is one of its totals (合计 / 总计 / 小计, or 当年收入 / 本年支出 … alone)."""
    return is_total_label(label) or "小计" in label or label in _YEAR_TOTALS


def _classify(column: list[tuple[str, bool, int, Cell]]) -> list[SideLine]:
    lines: list[SideLine] = []
    under_appropriation = False
    for label, is_top, position, cell in sorted(column, key=lambda line: line[2]):
        if not is_top or not label or label.startswith("其中"):
            kind = "other"
        elif is_side_total(label):
            kind, under_appropriation = "total", False
        elif under_appropriation and any(fund in label for fund in FUNDS):
            kind = "fund"
        else:
            kind, under_appropriation = "line", "财政拨款" in label
        lines.append(SideLine(label, kind, position, cell))
    return lines


def side_columns(cells: pd.DataFrame, table: str, side: str) -> dict[str, list[SideLine]]:
    """The lines of each column of one side ("收入" / "支出") of a summary table, in printed order."""
    frame = cells[cells["table_code"] == table]
    measures = side_measures(frame, side)
    columns: dict[str, list[tuple[str, bool, int, Cell]]] = {m: [] for m in measures}
    if not measures:
        return {}
    labels, top, position = labels_of(frame).tolist(), top_level(frame).tolist(), reading_order(frame).tolist()
    for cell, label, is_top, pos in zip(records(frame), labels, top, position, strict=True):
        column = columns.get(str(cell["measure"]))
        if column is not None:
            column.append((label, bool(is_top), int(pos), cell))
    return {measure: _classify(column) for measure, column in columns.items()}


def whole_side(columns: dict[str, list[SideLine]]) -> list[str]:
    """The columns of a side that hold the whole side (not one of its parts), in printed order."""
    if len(columns) == 1:
        return list(columns)
    return [m for m in columns if last_token(m) in WHOLE_SIDE]


def reference_total(columns: dict[str, list[SideLine]], *, last: bool = False) -> tuple[str, SideLine] | None:
    """The side's total: the first (or ``last``) total line of its first whole-side column that prints one."""
    for measure in whole_side(columns):
        totals = [line for line in columns[measure] if line.kind == "total"]
        if totals:
            return measure, totals[-1 if last else 0]
    return None


def summary_tables(cells: pd.DataFrame) -> list[str]:
    """The codes of a document's summary tables, in code order."""
    return sorted(set(of_types(cells, SUMMARY_TYPES)["table_code"].astype(str)))


def _side_totals(cells: pd.DataFrame, rule: Rule, side: str) -> Iterator[Finding]:
    for table in summary_tables(cells):
        columns = side_columns(cells, table, side)
        reference = reference_total(columns)
        for measure, column in columns.items():
            summed: list[Decimal] = []
            totals = 0
            for line in column:
                if line.kind == "line":
                    summed.append(Decimal(line.cell["amount"]))
                elif line.kind == "total":
                    totals += 1
                    yield compare(rule, table, line.label, measure, line.cell, list(summed))
            if totals or not summed or reference is None or measure not in whole_side(columns):
                continue
            # a whole-side column without totals of its own (Jiangsu's 功能分类 column): the side's total
            other, total = reference
            yield compare(rule, table, f"{total.label} ({other})", measure, total.cell, summed)


@BUDGET_TWO_SIDED.rule("budget.two_sided.income_total")
def check_income_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each income total (收入总计, 当年收入小计, 收入合计) = Σ the income lines above it, per column."""
    yield from _side_totals(cells, rule, "收入")


@BUDGET_TWO_SIDED.rule("budget.two_sided.expenditure_total")
def check_expenditure_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each expenditure total = Σ the expenditure lines above it, per column.

    A whole-side column without totals of its own (Jiangsu's 功能分类 column) is compared with the side's first total.
    """
    yield from _side_totals(cells, rule, "支出")


@BUDGET_TWO_SIDED.rule("budget.two_sided.appropriation_funds")
def check_appropriation_funds(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """财政拨款(收入) = Σ its fund sub-lines (一般公共预算资金 + 政府性基金 + 国有资本经营预算), where printed."""
    for table in summary_tables(cells):
        for measure, column in side_columns(cells, table, "收入").items():
            for index, line in enumerate(column):
                if line.kind != "line" or "财政拨款" not in line.label:
                    continue
                funds = []
                for following in column[index + 1 :]:
                    if following.kind == "other":
                        continue
                    if following.kind != "fund":
                        break
                    funds.append(Decimal(following.cell["amount"]))
                if funds:
                    yield compare(rule, table, line.label, measure, line.cell, funds)


@BUDGET_TWO_SIDED.rule("budget.two_sided.both_totals_equal")
def check_both_totals_equal(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Income 总计 (the side's last total) = expenditure 总计 (last total of the first whole-side column)."""
    for table in summary_tables(cells):
        income = reference_total(side_columns(cells, table, "收入"), last=True)
        expenditure = reference_total(side_columns(cells, table, "支出"), last=True)
        if income is None or expenditure is None:
            continue
        (income_measure, income_total), (expenditure_measure, expenditure_total) = income, expenditure
        yield compare(
            rule, table, f"{income_total.label} = {expenditure_total.label}", f"{income_measure} = {expenditure_measure}",
            income_total.cell, [Decimal(expenditure_total.cell["amount"])],
        )


@BUDGET_TWO_SIDED.rule("budget.two_sided.expenditure_row_total")
def check_expenditure_row_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per expenditure line: the 合计 column = Σ the columns under its header.

    Shanghai's 单位 收支总表: 人员经费 + 公用经费 + 项目支出; the 财政拨款 summary: 一般公共预算 + 政府性基金预算 +
    国有资本经营预算.
    """
    for table in summary_tables(cells):
        frame = cells[cells["table_code"] == table]
        measures = side_measures(frame, "支出")
        for total in (m for m in measures if last_token(m) in COLUMN_TOTALS):
            prefix = header_prefix(total) + "/"
            under = [m for m in measures if m.startswith(prefix) and m != total and last_token(m) not in COLUMN_TOTALS]
            parts = {m for m in under if not any(o.startswith(m + "/") for o in under)}
            if not parts:
                continue
            for row in printed_rows(frame):
                printed = next((c for c in row if c["measure"] == total), None)
                if printed is None:
                    continue
                label = str(printed["line_item"] or f"row {printed['row_index']}")
                summed = [Decimal(c["amount"]) for c in row if c["measure"] in parts]
                yield compare(rule, table, label, total, printed, summed)
