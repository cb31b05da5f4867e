"""Accounting identities as named rules over stg_cells, compared as Decimal with a rounding tolerance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd

Severity = Literal["error", "warn"]
Outcome = Literal["pass", "rounding", "fail"]

#: The reports warn "金额单位转换时可能存在尾数误差": allow one cent per summand in the published unit.
TOLERANCE_PER_SUMMAND = Decimal("0.01")

CODED_TABLES = ("02", "03", "05", "08", "09")


@dataclass(frozen=True)
class Finding:
    """One evaluated identity: where, what was printed, what the parts add up to."""

    rule: str
    severity: Severity
    table_code: str
    row: str  # the row checked, e.g. "合计" or "类 201"
    measure: str
    expected: Decimal  # sum of the parts
    found: Decimal  # printed total
    tolerance: Decimal
    page: int | None

    @property
    def difference(self) -> Decimal:
        """Printed minus computed."""
        return self.found - self.expected

    @property
    def outcome(self) -> Outcome:
        """Pass when equal, rounding when within tolerance, fail beyond it."""
        gap = abs(self.difference)
        if gap == 0:
            return "pass"
        return "rounding" if gap <= self.tolerance else "fail"

    def describe(self) -> str:
        """Human-readable line naming rule, table, row, expected, found and difference."""
        page = f", page {self.page}" if self.page else ""
        return (
            f"{self.rule}: table {self.table_code}{page}, row {self.row}, {self.measure}: "
            f"printed {self.found} but parts sum to {self.expected} (difference {self.difference:+})"
        )


@dataclass(frozen=True)
class Rule:
    """A named accounting identity with a severity."""

    name: str
    severity: Severity
    check: Callable[[pd.DataFrame, Severity], Iterator[Finding]]


def _sum_check(
    rule: str, severity: Severity, table: str, row: str, measure: str, total: pd.Series, parts: pd.DataFrame
) -> Finding:
    """Compare one printed total with the sum of its printed parts."""
    expected = sum((Decimal(a) for a in parts["amount"]), Decimal(0))
    return Finding(
        rule=rule,
        severity=severity,
        table_code=table,
        row=row,
        measure=measure,
        expected=expected,
        found=Decimal(total["amount"]),
        tolerance=TOLERANCE_PER_SUMMAND * max(len(parts), 1),
        page=int(total["page"]),
    )


def check_total_equals_sum_of_classes(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """合计 = Σ 类 for every amount column of the coded tables (02, 03, 05, 08, 09)."""
    for (table, measure), group in cells[cells["table_code"].isin(CODED_TABLES)].groupby(["table_code", "measure"]):
        totals = group[group["line_item"] == "合计"]
        classes = group[group["functional_code"].fillna("").str.len() == 3]
        for _, total in totals.iterrows():
            yield _sum_check("hierarchy.total_eq_sum_of_classes", severity, str(table), "合计", str(measure), total, classes)


def check_parent_equals_sum_of_children(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """类 = Σ 款 and 款 = Σ 项 per amount column (functional codes), and 类 = Σ 款 for economic codes."""
    for column in ("functional_code", "economic_code"):
        coded = cells[cells[column].notna()]
        for (table, measure), group in coded.groupby(["table_code", "measure"]):
            codes = group[column]
            for _, parent in group.iterrows():
                code = str(parent[column])
                children = group[(codes.str.len() == len(code) + 2) & codes.str.startswith(code)]
                if len(children):
                    level = {3: "类", 5: "款"}.get(len(code), "?")
                    yield _sum_check(
                        "hierarchy.parent_eq_sum_of_children", severity, str(table), f"{level} {code}", str(measure), parent, children
                    )


RULES: tuple[Rule, ...] = (
    Rule("hierarchy.total_eq_sum_of_classes", "error", check_total_equals_sum_of_classes),
    Rule("hierarchy.parent_eq_sum_of_children", "error", check_parent_equals_sum_of_children),
)


def evaluate(cells: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Evaluate every rule over a document's stg_cells; return all findings (pass, rounding, fail)."""
    if cells.empty:
        return []
    return [finding for rule in rules for finding in rule.check(cells, rule.severity)]
