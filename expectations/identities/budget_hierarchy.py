"""Subject hierarchy of a 预算's classified tables: 合计 = Σ 类, 类 = Σ 款, 款 = Σ 项.

Which code a table's rows carry comes from its ``table_type`` (``extract.table_types.table_kind``):
功能分类 (类/款/项) or 经济分类 (类/款). A table of a classified kind that prints no code at all is read as
line items (Jiangsu prints its income table that way) and has no hierarchy to check.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import BUDGET, Rule, RuleSet, of_types, types_of
from expectations.identities.hierarchy import parents_vs_children, totals_vs_classes
from extract.table_types import TABLE_TYPES

BUDGET_HIERARCHY = RuleSet(BUDGET)

#: the code column of each classification
CODE_COLUMNS = {"functional": "functional_code", "economic": "economic_code"}


def classified_types(classification: str) -> tuple[str, ...]:
    """The ``table_type`` keys whose rows are coded by ``classification`` ("functional" or "economic")."""
    return tuple(dict.fromkeys(kind.key for _, kind in TABLE_TYPES if kind.classification == classification))


@BUDGET_HIERARCHY.rule("budget.hierarchy.total_eq_sum_of_classes")
def check_total_equals_sum_of_classes(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """合计 = Σ 类 per amount column: 功能分类 类 in the functional tables, 经济分类 类 in the economic ones."""
    for classification, column in CODE_COLUMNS.items():
        yield from totals_vs_classes(rule, of_types(cells, classified_types(classification)), column, coded_tables_only=True)


@BUDGET_HIERARCHY.rule("budget.hierarchy.parent_eq_sum_of_children")
def check_parent_equals_sum_of_children(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """类 = Σ 款 and 款 = Σ 项 (功能分类), 类 = Σ 款 (经济分类), per table and amount column."""
    yield from parents_vs_children(rule, cells[types_of(cells).notna()])
