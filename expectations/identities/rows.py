"""Row totals of the coded tables: 03/05/08/09 支出 total = Σ its parts, 02 本年收入合计 = Σ its sources."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    EXPENDITURE_PARTS,
    EXPENDITURE_TOTALS,
    Cell,
    Rule,
    RuleSet,
    compare,
    header_prefix,
    last_token,
    measures_of,
    records,
    row_label,
)
from expectations.tables import FUNCTIONAL_TABLES

ROWS = RuleSet()

#: the coded tables whose columns split expenditure (every 功能分类 table but 02, the income table)
EXPENDITURE_TABLES = tuple(code for code in FUNCTIONAL_TABLES if code != "02")


def printed_rows(frame: pd.DataFrame) -> list[list[Cell]]:
    """The cells of a table grouped by printed row (page, grid row), in reading order."""
    rows: dict[tuple[int, int], list[Cell]] = {}
    for cell in records(frame):
        if cell["row_index"] is None or cell["row_index"] != cell["row_index"]:
            continue  # no grid row: not part of a printed row
        rows.setdefault((int(cell["page"]), int(cell["row_index"])), []).append(cell)
    return [rows[key] for key in sorted(rows)]


def _row_sum(rule: Rule, table: str, row: list[Cell], total_measure: str, part_measures: Collection[str]) -> Iterator[Finding]:
    """Compare a row's printed total with the sum of its printed parts (blank parts are absent: 0)."""
    total = next((c for c in row if c["measure"] == total_measure), None)
    if total is None:
        return
    parts = [Decimal(c["amount"]) for c in row if c["measure"] in part_measures]
    yield compare(rule, table, row_label(total), total_measure, total, parts)


@ROWS.rule("row.expenditure_total")
def check_row_expenditure_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per row: 本年支出合计 / 小计 / 合计 = 基本支出 + 项目支出 (+ 上缴上级支出 + 经营支出 + 对附属单位补助支出)."""
    yield from expenditure_rows(rule, cells[cells["table_code"].isin(EXPENDITURE_TABLES)], EXPENDITURE_PARTS)


def expenditure_rows(rule: Rule, tables: pd.DataFrame, part_tokens: Collection[str]) -> Iterator[Finding]:
    """Per table and printed row: the total column (合计 / 小计 …) = Σ the columns of ``part_tokens`` under its header."""
    for table, group in tables.groupby("table_code", sort=True):
        measures = measures_of(group)
        parts_by_prefix: dict[str, list[str]] = {}
        for m in measures:
            if last_token(m) in part_tokens:
                parts_by_prefix.setdefault(header_prefix(m), []).append(m)
        rows = printed_rows(group)
        for prefix, part_measures in parts_by_prefix.items():
            totals = [m for m in measures if header_prefix(m) == prefix and last_token(m) in EXPENDITURE_TOTALS]
            if not totals:
                continue
            for row in rows:
                yield from _row_sum(rule, str(table), row, totals[0], set(part_measures))


@ROWS.rule("row.income_total")
def check_row_income_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Per row of 02: 本年收入合计 = Σ the other amount columns (no 其中 columns, no sub-columns twice)."""
    yield from income_rows(rule, cells[cells["table_code"] == "02"], "02", ("本年收入合计",))


def income_rows(rule: Rule, group: pd.DataFrame, table: str, total_tokens: Collection[str]) -> Iterator[Finding]:
    """Per row of one income table: its total column = Σ the other amount columns (no 其中, no sub-columns twice)."""
    measures = measures_of(group)
    totals = [m for m in measures if last_token(m) in total_tokens]
    if not totals:
        return
    total_measure = totals[0]
    others = [m for m in measures if m != total_measure and "其中" not in m]
    parts_measures = {m for m in others if not any(m.startswith(o + "/") for o in others if o != m)}
    for row in printed_rows(group):
        yield from _row_sum(rule, table, row, total_measure, parts_measures)
