"""Two-sided totals (01 收入支出决算总表, 04 财政拨款收入支出决算总表): income and expenditure sides and their 总计."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    Cell,
    Rule,
    RuleSet,
    compare,
    first_row,
    is_total_label,
    labels_of,
    lines_named,
    reading_order,
    records,
    side_measures,
    top_level,
)

TWO_SIDED = RuleSet()

#: the tables printed as an income side beside an expenditure side
TWO_SIDED_TABLES = ("01", "04")


@dataclass(frozen=True)
class _Line:
    """One cell of a two-sided table as the two-sided checks read it."""

    label: str
    top_level: bool
    position: int
    cell: Cell


def _two_sided_columns(cells: pd.DataFrame, table: str, side: str) -> dict[str, list[_Line]]:
    """The cells of one side of a two-sided table, per measure, in frame order (plain Python: one pass)."""
    frame = cells[cells["table_code"] == table]
    measures = side_measures(frame, side)
    columns: dict[str, list[_Line]] = {m: [] for m in measures}
    if not measures:
        return columns
    labels, top, position = labels_of(frame).tolist(), top_level(frame).tolist(), reading_order(frame).tolist()
    for cell, label, is_top, pos in zip(records(frame), labels, top, position, strict=True):
        column = columns.get(str(cell["measure"]))
        if column is not None:
            column.append(_Line(label, bool(is_top), int(pos), cell))
    return columns


def _first_line(column: list[_Line], token: str) -> _Line | None:
    """The first top-level line whose label contains ``token``."""
    return next((line for line in column if line.top_level and token in line.label), None)


@TWO_SIDED.rule("two_sided.income_total")
def check_two_sided_income_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """本年收入合计 = Σ income lines above it that are not totals (top-level rows only), per income measure."""
    for table in TWO_SIDED_TABLES:
        for measure, column in _two_sided_columns(cells, table, "收入").items():
            total = _first_line(column, "本年收入合计")
            if total is None:
                continue
            above = [
                Decimal(line.cell["amount"])
                for line in column
                if line.position < total.position and line.top_level and line.label and not is_total_label(line.label)
            ]
            yield compare(rule, table, "本年收入合计", measure, total.cell, above)


def _grand_total_of(
    cells: pd.DataFrame, rule: Rule, table: str, side: str, base: str, extra: Callable[[str], bool]
) -> Iterator[Finding]:
    """总计 = the side's 本年…合计 + the top-level lines ``extra`` accepts, per measure of the side."""
    for measure, column in _two_sided_columns(cells, table, side).items():
        top = [line for line in column if line.top_level]
        total = _first_line(top, "总计")
        if total is None:
            continue
        first_base = _first_line(top, base)
        parts = [Decimal(first_base.cell["amount"])] if first_base is not None else []
        parts += [Decimal(line.cell["amount"]) for line in top if extra(line.label)]
        yield compare(rule, table, "总计", measure, total.cell, parts)


@TWO_SIDED.rule("two_sided.grand_total_income")
def check_two_sided_grand_total_income(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Income 总计 = 本年收入合计 + 年初(财政拨款)结转和结余 (+ 使用非财政拨款结余 / 用事业基金弥补收支差额)."""

    def extra(label: str) -> bool:
        return ("年初" in label and "结余" in label) or "使用非财政拨款结余" in label or "用事业基金弥补" in label

    for table in TWO_SIDED_TABLES:
        yield from _grand_total_of(cells, rule, table, "收入", "本年收入合计", extra)


@TWO_SIDED.rule("two_sided.grand_total_expenditure")
def check_two_sided_grand_total_expenditure(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Expenditure 总计 = 本年支出合计 + 结余分配 + 年末(财政拨款)结转和结余, per expenditure measure."""

    def extra(label: str) -> bool:
        return ("年末" in label and "结余" in label) or "结余分配" in label

    for table in TWO_SIDED_TABLES:
        yield from _grand_total_of(cells, rule, table, "支出", "本年支出合计", extra)


@TWO_SIDED.rule("two_sided.both_totals_equal")
def check_two_sided_both_totals_equal(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Income 总计 = expenditure 总计 (first expenditure measure)."""
    for table in TWO_SIDED_TABLES:
        frame = cells[cells["table_code"] == table]
        income, expenditure = side_measures(frame, "收入"), side_measures(frame, "支出")
        if not income or not expenditure:
            continue
        income_total = first_row(lines_named(frame[frame["measure"] == income[0]], "总计"))
        expenditure_total = first_row(lines_named(frame[frame["measure"] == expenditure[0]], "总计"))
        if income_total is None or expenditure_total is None:
            continue
        yield compare(
            rule, table, "总计", f"{income[0]} = {expenditure[0]}", income_total, [Decimal(expenditure_total["amount"])]
        )


@TWO_SIDED.rule("two_sided.carry_over_sub_rows")
def check_carry_over_sub_rows(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """04: 年初(年末)财政拨款结转和结余 = Σ its fund sub-rows (一般公共预算 / 政府性基金 / 国有资本经营), per measure."""
    frame = cells[cells["table_code"] == "04"]
    if frame.empty:
        return
    parents = [None if top else str(p) for p, top in zip(frame["parent_line_item"], top_level(frame), strict=True)]
    by_measure: dict[str, list[tuple[str, str | None, Cell]]] = {}
    for cell, label, parent in zip(records(frame), labels_of(frame).tolist(), parents, strict=True):
        by_measure.setdefault(str(cell["measure"]), []).append((label, parent, cell))
    for measure, column in by_measure.items():
        for label, parent, line in column:
            if parent is not None or "结转和结余" not in label:
                continue
            sub_rows = [Decimal(c["amount"]) for _, p, c in column if p == label]
            if sub_rows:
                yield compare(rule, "04", label, measure, line, sub_rows)
