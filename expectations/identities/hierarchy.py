"""Subject hierarchy of the coded tables: 合计 = Σ 类, parent = Σ children; and the rounding step of the tolerance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import TOLERANCE_PER_SUMMAND, Cell, Rule, RuleSet, compare, finding, records
from expectations.tables import FUNCTIONAL_TABLES

HIERARCHY = RuleSet()


@HIERARCHY.rule("hierarchy.total_eq_sum_of_classes")
def check_total_equals_sum_of_classes(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """合计 = Σ 类 for every amount column of the 功能分类 tables (02, 03, 05, 08, 09)."""
    coded = cells[cells["table_code"].isin(FUNCTIONAL_TABLES)]
    # one pass in plain Python: (table, measure) → printed 合计 cells and 类 amounts
    totals: dict[tuple[str, str], list[Cell]] = {}
    classes: dict[tuple[str, str], list[Decimal]] = {}
    for cell in records(coded):
        key = (str(cell["table_code"]), str(cell["measure"]))
        if cell["line_item"] == "合计":
            totals.setdefault(key, []).append(cell)
        code = cell["functional_code"]
        if isinstance(code, str) and len(code) == 3:
            classes.setdefault(key, []).append(Decimal(cell["amount"]))
    for (table, measure), printed in sorted(totals.items()):
        for total in printed:
            yield compare(rule, table, "合计", measure, total, classes.get((table, measure), []))


@HIERARCHY.rule("hierarchy.parent_eq_sum_of_children")
def check_parent_equals_sum_of_children(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """类 = Σ 款 and 款 = Σ 项 per amount column (functional codes), and 类 = Σ 款 for economic codes."""
    for column in ("functional_code", "economic_code"):
        coded = cells[cells[column].notna()]
        keys = zip(coded["table_code"], coded["measure"], coded[column], coded["amount"], coded["page"], strict=True)
        # (table, measure) → code → (amount, page); children are found by code prefix, one pass per group
        groups: dict[tuple[str, str], dict[str, tuple[Decimal, int]]] = {}
        for table, measure, code, amount, page in keys:
            groups.setdefault((str(table), str(measure)), {}).setdefault(str(code), (Decimal(amount), int(page)))
        for (table, measure), members in groups.items():
            children_of: dict[str, list[Decimal]] = {}
            for code, (amount, _) in members.items():
                if len(code) in (5, 7):
                    children_of.setdefault(code[:-2], []).append(amount)
            for code, (amount, page) in members.items():
                children = children_of.get(code)
                if not children:
                    continue
                yield finding(
                    rule,
                    table,
                    f"{ {3: '类', 5: '款'}.get(len(code), '?')} {code}",
                    measure,
                    expected=sum(children, Decimal(0)),
                    found=amount,
                    tolerance=TOLERANCE_PER_SUMMAND * len(children),
                    page=page,
                )


# --- the rounding step: the tolerance of documents printed coarser than the cent ----------------------------

#: A document that prints 元 figures converted from 万元 ones (every amount a multiple of 100.00) carries the
#: 万元 rounding: its tolerance per summand is its rounding step, found from the amounts, at most 0.01 万元.
_STEPS = tuple(Decimal(s) for s in ("100", "10", "1", "0.1"))
_STEP_CAP_YUAN = Decimal(100)
_STEP_MIN_AMOUNTS = 20
_UNIT_YUAN = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}


def rounding_steps(cells: pd.DataFrame) -> dict[str, Decimal]:
    """The rounding step of the printed amounts per unit: 0.01, or coarser when every amount is a multiple of it.

    A step coarser than 0.01 needs at least 20 non-zero amounts in that unit and never exceeds 100 元.
    """
    steps: dict[str, Decimal] = {}
    for unit, group in cells.groupby("unit"):
        amounts = [Decimal(a) for a in group["amount"] if Decimal(a) != 0]
        factor = _UNIT_YUAN.get(str(unit), Decimal(10000))
        step = TOLERANCE_PER_SUMMAND
        if len(amounts) >= _STEP_MIN_AMOUNTS:
            for candidate in _STEPS:
                if candidate * factor <= _STEP_CAP_YUAN and all(a % candidate == 0 for a in amounts):
                    step = candidate
                    break
        steps[str(unit)] = step
    return steps


def scale_to_rounding_steps(cells: pd.DataFrame, findings: list[Finding]) -> list[Finding]:
    """The findings with each tolerance scaled from 0.01 to the rounding step of its table's unit."""
    steps = rounding_steps(cells)
    if all(step == TOLERANCE_PER_SUMMAND for step in steps.values()):
        return findings
    unit_of = dict(zip(cells["table_code"], cells["unit"], strict=False))
    scaled = []
    for found in findings:
        step = steps.get(str(unit_of.get(found.table_code)), TOLERANCE_PER_SUMMAND)
        if found.tolerance is not None and step != TOLERANCE_PER_SUMMAND:
            found = replace(found, tolerance=found.tolerance / TOLERANCE_PER_SUMMAND * step)
        scaled.append(found)
    return scaled
