"""One finding type for every rule (accounting identities, GX expectations, completeness)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

Severity = Literal["error", "warn"]
#: pass: the rule holds; rounding: a numeric gap within the tolerance (a note); fail: beyond it / violated.
Outcome = Literal["pass", "rounding", "fail"]
#: What a finding compares: amounts as Decimal, anything else (a code, a header, a unit) as text.
Value = Decimal | str | None

SEVERITIES: tuple[Severity, ...] = ("error", "warn")


@dataclass(frozen=True)
class Finding:
    """One evaluated rule at one place: where, what was expected, what was printed, and the verdict."""

    rule: str
    severity: Severity
    table_code: str | None
    row: str  # the row checked, e.g. "合计", "类 201", "一般公共服务支出"
    measure: str
    expected: Value  # numeric rules: the sum of the parts / the other figure
    found: Value  # numeric rules: the printed figure
    tolerance: Decimal | None = None  # numeric rules only
    page: int | None = None
    #: non-numeric rules give their verdict; numeric ones derive it from the gap and the tolerance
    verdict: Outcome | None = None

    @property
    def difference(self) -> Decimal | None:
        """Printed minus computed, or None when the rule does not compare two amounts."""
        if isinstance(self.found, Decimal) and isinstance(self.expected, Decimal):
            return self.found - self.expected
        return None

    @property
    def outcome(self) -> Outcome:
        """Pass when equal, rounding when within tolerance, fail beyond it (or the check's own verdict)."""
        if self.verdict is not None:
            return self.verdict
        difference = self.difference
        if difference is None:
            return "fail"
        gap = abs(difference)
        if gap == 0:
            return "pass"
        return "rounding" if self.tolerance is not None and gap <= self.tolerance else "fail"

    def with_severity(self, severity: Severity) -> Finding:
        """The same finding under another severity (from the rules file)."""
        return self if severity == self.severity else replace(self, severity=severity)

    def describe(self) -> str:
        """Human-readable line naming rule, table, row, measure, expected, found and difference."""
        where = f"table {self.table_code}" if self.table_code else "document"
        page = f", page {self.page}" if self.page else ""
        row = f", row {self.row}" if self.row else ""
        measure = f", {self.measure}" if self.measure else ""
        head = f"{self.rule}: {where}{page}{row}{measure}"
        difference = self.difference
        if difference is not None:
            return f"{head}: printed {self.found} but parts sum to {self.expected} (difference {difference:+})"
        if self.outcome == "pass":
            return f"{head}: holds ({self.expected})"
        return f"{head}: expected {self.expected}, found {self.found}"


_RECORD_OUTCOME = {"pass": "pass", "rounding": "note", "fail": "failure"}


def record_outcome(finding: Finding) -> str:
    """'note' (rounding), 'warning' (warn-level fail), 'failure' (error-level fail) or 'pass'."""
    if finding.outcome == "fail" and finding.severity == "warn":
        return "warning"
    return _RECORD_OUTCOME[finding.outcome]


def _text(value: Value) -> str | None:
    return None if value is None else str(value)


def finding_record(finding: Finding) -> dict[str, str | int | None]:
    """A finding as the flat record the warehouse stores in ``etl_finding`` (amounts as exact strings)."""
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "outcome": record_outcome(finding),
        "table_code": finding.table_code,
        "row_label": finding.row,
        "measure": finding.measure,
        "expected": _text(finding.expected),
        "found": _text(finding.found),
        "difference": _text(finding.difference),
        "page": finding.page,
    }
