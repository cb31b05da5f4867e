"""What every identity shares: the Rule and its registration, the tolerance, and how checks read stg_cells.

A rule's name is written once, where its check is declared::

    HIERARCHY = RuleSet()

    @HIERARCHY.rule("hierarchy.total_eq_sum_of_classes")
    def check_total_equals_sum_of_classes(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
        ...
        yield compare(rule, table, "合计", measure, total, parts)

The check receives its own ``Rule`` and names every finding after it (``compare`` and ``finding`` read
``rule.name`` and ``rule.severity``), so the rules file's severity and the registered name reach the
findings without being repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

import pandas as pd

from expectations.findings import Finding, Severity, Value
from extract.table_types import FINAL_TABLE_TYPES

#: The phases of a disclosure: 决算 (final accounts, the standard tables 01–09) and 预算 (budget).
FINAL, BUDGET = "决算", "预算"

#: The reports warn "金额单位转换时可能存在尾数误差": allow one cent per summand in the published unit.
TOLERANCE_PER_SUMMAND = Decimal("0.01")

#: one stg_cells row: a pandas row, or a plain record where a check loops in Python for speed
Cell: TypeAlias = pd.Series | Mapping[str, Any]

#: a check: the document's prepared cells and its own rule (name, severity) → its findings
Check: TypeAlias = Callable[[pd.DataFrame, "Rule"], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    """A named accounting identity with a severity; ``check`` names its findings after this rule.

    ``phase`` is the kind of document it applies to: 决算 identities read the standard tables by their codes
    01–09, 预算 identities read tables by their ``table_type`` (``prepare``); a rule never runs on the other phase.
    """

    name: str
    severity: Severity
    check: Check
    phase: str = FINAL

    def findings(self, cells: pd.DataFrame) -> Iterator[Finding]:
        """Run the check over a document's prepared cells (``prepare``)."""
        return self.check(cells, self)


class RuleSet:
    """The identities of one table family of one phase, in the order they are declared."""

    def __init__(self, phase: str = FINAL) -> None:
        """Start an empty family of identities of ``phase`` (决算 or 预算)."""
        self.phase = phase
        self._rules: list[Rule] = []

    def rule(self, name: str, severity: Severity = "error") -> Callable[[Check], Check]:
        """Decorator: register the decorated check as the identity ``name`` (the one place the name is written)."""

        def register(check: Check) -> Check:
            if any(r.name == name for r in self._rules):
                raise ValueError(f"identity {name!r} is registered twice")
            self._rules.append(Rule(name, severity, check, self.phase))
            return check

        return register

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The registered rules, in declaration order."""
        return tuple(self._rules)


# --- reading stg_cells -----------------------------------------------------------------------------------

_RECORD_COLUMNS = (
    "table_code", "page", "row_index", "functional_code", "economic_code", "line_item", "measure", "amount", "unit", "amount_yuan",
)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The cells of a frame as plain dicts (the columns the checks read), in frame order."""
    columns = [frame[c].tolist() for c in _RECORD_COLUMNS]
    return [dict(zip(_RECORD_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)]


#: The parts of an expenditure total (03 prints all five; 05, 08 and 09 print the first two).
EXPENDITURE_PARTS = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
#: Header tokens of an expenditure total column.
EXPENDITURE_TOTALS = ("本年支出合计", "小计", "合计")


def header_tokens(measure: object) -> list[str]:
    """The header path of a measure, outer → inner."""
    return str(measure).split("/")


def last_token(measure: object) -> str:
    """The innermost header of a measure."""
    return header_tokens(measure)[-1]


def header_prefix(measure: object) -> str:
    """The header path above the innermost header."""
    return "/".join(header_tokens(measure)[:-1])


def measures_of(frame: pd.DataFrame) -> list[str]:
    """Measures in order of first appearance (the printed column order)."""
    return [str(m) for m in dict.fromkeys(frame["measure"])]


# evaluate() adds these derived columns once per document: the checks filter small frames many times,
# and recomputing labels / positions on every filter dominated their cost (pandas overhead, not data).
_LABEL, _NO_PARENT, _POSITION, _TYPE = "_label", "_no_parent", "_position", "_table_type"


def labels_of(frame: pd.DataFrame) -> pd.Series:
    """The row label of each cell as text ("" when none)."""
    if _LABEL in frame.columns:
        return frame[_LABEL]
    return frame["line_item"].fillna("").astype(str)


def top_level(frame: pd.DataFrame) -> pd.Series:
    """Whether each cell's row is a top-level line (no parent line item)."""
    if _NO_PARENT in frame.columns:
        return frame[_NO_PARENT]
    return frame["parent_line_item"].isna() | (frame["parent_line_item"].astype(str) == "")


def reading_order(frame: pd.DataFrame) -> pd.Series:
    """Reading order of a row in the document (page, then grid row)."""
    if _POSITION in frame.columns:
        return frame[_POSITION]
    return frame["page"].astype(int) * 100000 + frame["row_index"].fillna(0).astype(int)


def types_of(frame: pd.DataFrame) -> pd.Series:
    """The ``table_type`` of each cell's table (``prepare``'s mapping; else the standard 决算 code's type)."""
    if _TYPE in frame.columns:
        return frame[_TYPE]
    return frame["table_code"].map(lambda code: FINAL_TABLE_TYPES.get(str(code))).astype(object)


def of_types(frame: pd.DataFrame, types: Collection[str]) -> pd.DataFrame:
    """The cells of the tables whose ``table_type`` is one of ``types``."""
    return frame[types_of(frame).isin(list(types))]


def prepare(cells: pd.DataFrame, table_types: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """A copy of stg_cells with the derived columns the checks use (label text, top-level flag, reading order, type).

    ``table_types`` maps each table code to its ``table_type`` (a 预算's tables); by default a table's type is
    the one of its standard 决算 code (``FINAL_TABLE_TYPES``).
    """
    prepared = cells.copy()
    prepared[_LABEL] = labels_of(cells)
    prepared[_NO_PARENT] = top_level(cells)
    prepared[_POSITION] = reading_order(cells)
    kinds = FINAL_TABLE_TYPES if table_types is None else table_types
    prepared[_TYPE] = pd.Series([kinds.get(str(code)) for code in cells["table_code"]], index=cells.index, dtype=object)
    return prepared


def row_label(cell: Cell) -> str:
    """How a finding names a cell's row: its label, else its code, else its grid row."""
    for column in ("line_item", "functional_code", "economic_code"):
        value = cell.get(column)
        if isinstance(value, str) and value:
            return value
    return f"row {cell.get('row_index')}"


def amounts_of(frame: pd.DataFrame) -> list[Decimal]:
    """The amounts of a frame's cells."""
    return [Decimal(a) for a in frame["amount"]]


def side_measures(frame: pd.DataFrame, side: str) -> list[str]:
    """Measures of the income ("收入") or expenditure ("支出") side of a two-sided table (01, 04)."""
    return [m for m in measures_of(frame) if side in header_tokens(m)[0]]


def lines_named(frame: pd.DataFrame, token: str) -> pd.DataFrame:
    """Top-level rows whose label contains ``token``."""
    return frame[labels_of(frame).str.contains(token, regex=False) & top_level(frame)]


def first_row(frame: pd.DataFrame) -> pd.Series | None:
    """The first row of a frame, or None when it is empty."""
    return None if frame.empty else frame.iloc[0]


def is_total_label(label: str) -> bool:
    """Whether a row label is a total (合计 / 总计)."""
    return "合计" in label or "总计" in label


# --- findings ----------------------------------------------------------------------------------------------


def compare(rule: Rule, table: str, row: str, measure: str, total: Cell, parts: list[Decimal]) -> Finding:
    """Compare one printed figure with the sum of printed parts (blank parts are simply absent: 0)."""
    expected = sum(parts, Decimal(0))
    tolerance = TOLERANCE_PER_SUMMAND * max(len(parts), 1)
    return finding(rule, table, row, measure, expected, Decimal(total["amount"]), tolerance, int(total["page"]))


def finding(
    rule: Rule, table: str, row: str, measure: str, expected: Value, found: Value, tolerance: Decimal, page: int
) -> Finding:
    """A finding of ``rule`` for a comparison ``compare`` does not express (its own tolerance)."""
    return Finding(
        rule=rule.name,
        severity=rule.severity,
        table_code=table,
        row=row,
        measure=measure,
        expected=expected,
        found=found,
        tolerance=tolerance,
        page=page,
    )
