"""Subject hierarchy of the coded tables: 合计 = Σ 类, parent = Σ children; and the rounding step of the tolerance."""

from __future__ import annotations

import re
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
    yield from totals_vs_classes(rule, cells[cells["table_code"].isin(FUNCTIONAL_TABLES)], "functional_code")


def totals_vs_classes(rule: Rule, coded: pd.DataFrame, column: str, *, coded_tables_only: bool = False) -> Iterator[Finding]:
    """Each printed 合计 = Σ the 类 (3-digit codes in ``column``) of its table and measure.

    With ``coded_tables_only``, a table that prints no code at all in ``column`` is skipped: it lists its
    rows another way (a 预算 family prints some tables as plain line items).
    """
    # one pass in plain Python: (table, measure) → printed 合计 cells and 类 amounts
    totals: dict[tuple[str, str], list[Cell]] = {}
    classes: dict[tuple[str, str], list[Decimal]] = {}
    coded_tables: set[str] = set()
    for cell in records(coded):
        key = (str(cell["table_code"]), str(cell["measure"]))
        if cell["line_item"] == "合计":
            totals.setdefault(key, []).append(cell)
        code = cell[column]
        if isinstance(code, str) and code:
            coded_tables.add(key[0])
            if len(code) == 3:
                classes.setdefault(key, []).append(Decimal(cell["amount"]))
    for (table, measure), printed in sorted(totals.items()):
        if coded_tables_only and table not in coded_tables:
            continue
        for total in printed:
            yield compare(rule, table, "合计", measure, total, classes.get((table, measure), []))


@HIERARCHY.rule("hierarchy.parent_eq_sum_of_children")
def check_parent_equals_sum_of_children(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """类 = Σ 款 and 款 = Σ 项 per amount column (functional codes), and 类 = Σ 款 for economic codes."""
    yield from parents_vs_children(rule, cells)


def parents_vs_children(rule: Rule, cells: pd.DataFrame) -> Iterator[Finding]:
    """Every coded row with children (by code prefix) = Σ its children, per table and amount column."""
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


def _step_of(amounts: list[Decimal], unit: str) -> Decimal:
    """The coarsest step (at most 100 元) every amount is a multiple of, given at least 20 amounts; else 0.01."""
    factor = _UNIT_YUAN.get(unit, Decimal(10000))
    if len(amounts) >= _STEP_MIN_AMOUNTS:
        for candidate in _STEPS:
            if candidate * factor <= _STEP_CAP_YUAN and all(a % candidate == 0 for a in amounts):
                return candidate
    return TOLERANCE_PER_SUMMAND


def _non_zero(group: pd.DataFrame) -> list[Decimal]:
    return [Decimal(a) for a in group["amount"] if Decimal(a) != 0]


def rounding_steps(cells: pd.DataFrame) -> dict[str, Decimal]:
    """The rounding step of the printed amounts per unit: 0.01, or coarser when every amount is a multiple of it.

    A step coarser than 0.01 needs at least 20 non-zero amounts in that unit and never exceeds 100 元.
    """
    return {str(unit): _step_of(_non_zero(group), str(unit)) for unit, group in cells.groupby("unit")}


def _printed_decimals(raw: object) -> int:
    """How many decimals a printed amount shows ("2,642,448.00" → 2, "94,995,790" → 0)."""
    text = str(raw or "")
    return len(re.sub(r"\D", "", text.rsplit(".", 1)[1])) if "." in text else 0


def table_rounding_steps(cells: pd.DataFrame) -> dict[str, Decimal]:
    """The rounding step of each table of a 预算, from the precision its amounts are printed with.

    A 预算's tables are exported one by one, each rounded its own way (a preview prints whole 元 in its
    classified tables and one total with its cents in its 财政拨款 summary). A table that prints cents on
    any non-zero amount ("2,642,448.00") is exact to the cent: 0.01. A table printed in whole 元 (or
    tenths) carries that rounding, or the coarser step ``rounding_steps`` finds in its amounts; never more
    than 100 元 per summand.
    """
    steps: dict[str, Decimal] = {}
    for table, group in cells.groupby("table_code"):
        unit = str(group["unit"].iloc[-1])
        printed = [raw for raw, amount in zip(group["raw_text"], group["amount"], strict=True) if Decimal(amount) != 0]
        decimals = max((_printed_decimals(raw) for raw in printed), default=2)
        step = TOLERANCE_PER_SUMMAND
        if decimals < 2:
            finest = Decimal(1).scaleb(-decimals)
            candidate = max(finest, _step_of(_non_zero(group), unit))
            if candidate * _UNIT_YUAN.get(unit, Decimal(10000)) <= _STEP_CAP_YUAN:
                step = candidate
        steps[str(table)] = step
    return steps


def scale_to_rounding_steps(cells: pd.DataFrame, findings: list[Finding], *, per_table: bool = False) -> list[Finding]:
    """The findings with each tolerance scaled from 0.01 to the rounding step of its table's unit.

    ``per_table`` (a 预算): to the rounding step of its table (``table_rounding_steps``).
    """
    if per_table:
        table_steps = table_rounding_steps(cells)
        return [_scaled(found, table_steps.get(str(found.table_code), TOLERANCE_PER_SUMMAND)) for found in findings]
    steps = rounding_steps(cells)
    if all(step == TOLERANCE_PER_SUMMAND for step in steps.values()):
        return findings
    unit_of = dict(zip(cells["table_code"], cells["unit"], strict=False))
    return [_scaled(found, steps.get(str(unit_of.get(found.table_code)), TOLERANCE_PER_SUMMAND)) for found in findings]


def _scaled(found: Finding, step: Decimal) -> Finding:
    if found.tolerance is not None and step != TOLERANCE_PER_SUMMAND:
        return replace(found, tolerance=found.tolerance / TOLERANCE_PER_SUMMAND * step)
    return found
