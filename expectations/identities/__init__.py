"""Accounting identities as named rules over stg_cells, compared as Decimal with a rounding tolerance.

One module per table family declares its rules (each rule's name is written once, in its ``@….rule(name)``
decorator; ``base.RuleSet``):

- ``hierarchy``: 合计 = Σ 类 and parent = Σ children in the coded tables, and the rounding step of the tolerance;
- ``rows``: row totals of 02/03/05/08/09;
- ``two_sided``: 01/04 totals, 总计 and 04's carry-over sub-rows;
- ``economic``: 06 人员经费合计 / 公用经费合计;
- ``three_public``: 07 小计 and 合计;
- ``cross``: equalities between tables.

This module assembles them into ``RULES`` (the order findings come out in) and evaluates them.
"""

from __future__ import annotations

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import TOLERANCE_PER_SUMMAND, Rule, RuleSet, prepare
from expectations.identities.cross import CROSS
from expectations.identities.economic import ECONOMIC
from expectations.identities.hierarchy import HIERARCHY, rounding_steps, scale_to_rounding_steps
from expectations.identities.rows import ROWS
from expectations.identities.three_public import THREE_PUBLIC
from expectations.identities.two_sided import TWO_SIDED
from expectations.tables import CODED_TABLES

__all__ = [
    "CODED_TABLES",
    "RULES",
    "TOLERANCE_PER_SUMMAND",
    "Finding",
    "Rule",
    "evaluate",
    "prepare",
    "rounding_steps",
]

FAMILIES: tuple[RuleSet, ...] = (HIERARCHY, ROWS, TWO_SIDED, ECONOMIC, THREE_PUBLIC, CROSS)

#: every identity, family by family in declaration order
RULES: tuple[Rule, ...] = tuple(rule for family in FAMILIES for rule in family.rules)

_duplicates = sorted({r.name for r in RULES if sum(o.name == r.name for o in RULES) > 1})
if _duplicates:
    raise ValueError(f"identities registered in two families: {', '.join(_duplicates)}")


def evaluate(cells: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Evaluate accounting identities over one document's staged cells.

    Parameters
    ----------
    cells
        The document's ``stg_cells`` (contract in ``transform/stg_cells.py``), every table together:
        cross-table rules compare figures of different tables.
    rules
        The identities to evaluate, each with the severity its findings carry (all of ``RULES``, at
        their registered severity, by default; ``validate`` passes them with the rules file's severities).

    Returns
    -------
    list[Finding]
        Every finding of every rule, rule by rule in the order of ``rules``: ``pass``, ``rounding`` (a gap
        within the tolerance of 0.01 per summand, or the document's coarser rounding step) or ``fail``.
        Empty when ``cells`` is empty.

    """
    if cells.empty:
        return []
    prepared = prepare(cells)
    findings = [finding for rule in rules for finding in rule.findings(prepared)]
    return scale_to_rounding_steps(cells, findings)
