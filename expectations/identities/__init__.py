"""Accounting identities as named rules over stg_cells, compared as Decimal with a rounding tolerance.

One module per table family declares its rules (each rule's name is written once, in its ``@….rule(name)``
decorator; ``base.RuleSet``):

- ``hierarchy``: 合计 = Σ 类 and parent = Σ children in the coded tables, and the rounding step of the tolerance;
- ``rows``: row totals of 02/03/05/08/09;
- ``two_sided``: 01/04 totals, 总计 and 04's carry-over sub-rows;
- ``economic``: 06 人员经费合计 / 公用经费合计;
- ``three_public``: 07 小计 and 合计;
- ``cross``: equalities between tables.

Those read the standard 决算 tables by their codes 01–09. A 预算 (budget) numbers its tables as it prints them,
so its identities choose tables by ``table_type`` (``extract/table_types.py``), in modules of their own:

- ``budget_two_sided``: the 收支总表 tables' income and expenditure totals, 财政拨款 = Σ funds, row totals;
- ``budget_rows``: 支出 = 基本 + 项目, 收入 = Σ sources, 基本支出 = 人员经费 + 公用经费, per row;
- ``budget_hierarchy``: 合计 = Σ 类 and parent = Σ children, by each table's classification;
- ``budget_three_public``: 公务用车 小计, the 三公 total, and 合计 with 会议费 / 培训费;
- ``budget_cross``: equalities between a 预算's tables.

This module assembles them into ``RULES`` (the order findings come out in) and evaluates those of a document's
phase (``rules_for``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import BUDGET, FINAL, TOLERANCE_PER_SUMMAND, Rule, RuleSet, prepare
from expectations.identities.budget_cross import BUDGET_CROSS
from expectations.identities.budget_hierarchy import BUDGET_HIERARCHY
from expectations.identities.budget_rows import BUDGET_ROWS
from expectations.identities.budget_three_public import BUDGET_THREE_PUBLIC
from expectations.identities.budget_two_sided import BUDGET_TWO_SIDED
from expectations.identities.cross import CROSS
from expectations.identities.economic import ECONOMIC
from expectations.identities.hierarchy import HIERARCHY, rounding_steps, scale_to_rounding_steps
from expectations.identities.rows import ROWS
from expectations.identities.three_public import THREE_PUBLIC
from expectations.identities.two_sided import TWO_SIDED
from expectations.tables import CODED_TABLES

__all__ = [
    "BUDGET",
    "CODED_TABLES",
    "FINAL",
    "RULES",
    "TOLERANCE_PER_SUMMAND",
    "Finding",
    "Rule",
    "evaluate",
    "prepare",
    "rounding_steps",
    "rules_for",
]

FAMILIES: tuple[RuleSet, ...] = (
    HIERARCHY, ROWS, TWO_SIDED, ECONOMIC, THREE_PUBLIC, CROSS,
    BUDGET_HIERARCHY, BUDGET_ROWS, BUDGET_TWO_SIDED, BUDGET_THREE_PUBLIC, BUDGET_CROSS,
)

#: every identity, family by family in declaration order
RULES: tuple[Rule, ...] = tuple(rule for family in FAMILIES for rule in family.rules)

_duplicates = sorted({r.name for r in RULES if sum(o.name == r.name for o in RULES) > 1})
if _duplicates:
    raise ValueError(f"identities registered in two families: {', '.join(_duplicates)}")


def rules_for(phase: str | None, rules: tuple[Rule, ...] = RULES) -> tuple[Rule, ...]:
    """The identities of ``rules`` that apply to a document of ``phase`` (决算 when not known)."""
    wanted = phase or FINAL
    return tuple(rule for rule in rules if rule.phase == wanted)


def evaluate(
    cells: pd.DataFrame,
    rules: tuple[Rule, ...] | None = None,
    *,
    phase: str | None = None,
    table_types: Mapping[str, str | None] | None = None,
) -> list[Finding]:
    """Evaluate accounting identities over one document's staged cells.

    Parameters
    ----------
    cells
        The document's ``stg_cells`` (contract in ``transform/stg_cells.py``), every table together:
        cross-table rules compare figures of different tables.
    rules
        The identities to evaluate, each with the severity its findings carry: by default those of
        ``phase`` in ``RULES`` at their registered severity (``validate`` passes them with the rules file's
        severities). Rules given are evaluated as given, whatever their phase.
    phase
        The document's phase (决算 / 预算), which chooses the default rules; 决算 when not known. A 预算's
        rounding step is found table by table (``hierarchy.table_rounding_steps``), a 决算's unit by unit.
    table_types
        Each table code's ``table_type``: how the 预算 identities find their tables. By default the type of
        the standard 决算 code (``extract.table_types.FINAL_TABLE_TYPES``).

    Returns
    -------
    list[Finding]
        Every finding of every rule, rule by rule in the order of ``rules``: ``pass``, ``rounding`` (a gap
        within the tolerance of 0.01 per summand, or the document's coarser rounding step) or ``fail``.
        Empty when ``cells`` is empty.

    """
    if cells.empty:
        return []
    prepared = prepare(cells, table_types)
    chosen = rules_for(phase) if rules is None else rules
    findings = [finding for rule in chosen for finding in rule.findings(prepared)]
    return scale_to_rounding_steps(cells, findings, per_table=(phase or FINAL) == BUDGET)
