"""One entry point: validate a document's stg_cells and say whether it may load."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from expectations.identities import RULES, Finding, Rule, evaluate


@dataclass(frozen=True)
class ValidationReport:
    """All findings of one document, split into failures (block the load), notes and passes."""

    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> list[Finding]:
        """Error-level findings beyond tolerance: the document must not load."""
        return [f for f in self.findings if f.outcome == "fail" and f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Warn-level findings beyond tolerance: recorded, the document still loads."""
        return [f for f in self.findings if f.outcome == "fail" and f.severity == "warn"]

    @property
    def notes(self) -> list[Finding]:
        """Gaps within the rounding tolerance the reports warn about."""
        return [f for f in self.findings if f.outcome == "rounding"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the load."""
        return not self.failures


def validate(stg_cells: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> ValidationReport:
    """Run every accounting identity over one document's staged cells."""
    return ValidationReport(tuple(evaluate(stg_cells, rules)))
