"""GX results read back as findings: a fail per offending cell, a pass per (rule, table present) with none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from expectations.findings import Finding
from expectations.gx_suites.suites import (
    AMOUNT_DECIMAL,
    BUDGET_SCOPES,
    CODE_PATTERN,
    MEASURE_VOCABULARY,
    NAME_PRESENT,
    UNIQUE_CELL,
    UNIT_KNOWN,
    text_or_none,
)
from expectations.measures import Vocabulary
from expectations.tables import BUDGET_SCOPE_PREFIX, budget_scope, scope_classification
from extract.models import TABLE_CODES
from transform.stg_cells import UNIT_FACTORS


@dataclass(frozen=True)
class _Check:
    """How one GX rule reads back: what it expects, and the printed value of an offending row."""

    expected: str
    found: Callable[[pd.Series, pd.Series], str]


def _checks(vocabulary: Vocabulary) -> dict[str, dict[str, _Check]]:
    """Per suite (决算 table code, 预算 scope): what each rule expects, in words, and the value an offending row printed."""
    checks: dict[str, dict[str, _Check]] = {}
    for code in (*TABLE_CODES, *BUDGET_SCOPES):
        digits = "3/5 digits (经济分类 类/款)" if scope_classification(code) == "economic" else "3/5/7 digits (功能分类 类/款/项)"
        checks[code] = {
            CODE_PATTERN: _Check(f"a code of {digits}", lambda h, c: str(h["subject_code"])),
            NAME_PRESENT: _Check("the subject name printed beside its code", lambda h, c: f"no name for code {h['subject_code']}"),
            AMOUNT_DECIMAL: _Check("an exact decimal amount", lambda h, c: str(h["amount_text"])),
            MEASURE_VOCABULARY: _Check(
                f"a header of table {code}: {' | '.join(vocabulary.canonical.get(code, ()))}", lambda h, c: str(c["measure"])
            ),
            UNIT_KNOWN: _Check(f"a unit in {' / '.join(sorted(UNIT_FACTORS))}", lambda h, c: str(h["unit"])),
            UNIQUE_CELL: _Check("one amount per (subject, parent row, measure)", lambda h, c: f"{c['amount']} (repeated)"),
        }
    return checks


def row_label(cell: pd.Series) -> str:
    """How a finding names the row of a cell: its code and name, else its label, else its grid row."""
    for code_column, name_column in (("functional_code", "functional_name"), ("economic_code", "economic_name")):
        code = text_or_none(cell.get(code_column))
        if code:
            name = text_or_none(cell.get(name_column))
            return f"{code} {name}" if name else code
    label = text_or_none(cell.get("line_item"))
    if label:
        parent = text_or_none(cell.get("parent_line_item"))
        return f"{parent} / {label}" if parent else label
    return f"grid row {cell.get('row_index')}"


def _outcome_tables(outcome: Any, default: str) -> list[str]:
    """The table suites a result stands for: the merged expectation's ``meta["tables"]``, else the one table run."""
    tables = (outcome.expectation_config.meta or {}).get("tables")
    return str(tables).split() if tables else [default]


class FindingReader:
    """Reads the results of the table suites (or the document suite merged from them) back as findings."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        """What each rule expects per table type, in the words of this vocabulary."""
        self.checks: Mapping[str, Mapping[str, _Check]] = _checks(vocabulary)
        # a row of a table code without a suite is still checked by the rules every suite holds
        self.unknown_table: Mapping[str, _Check] = {
            **self.checks["01"],
            MEASURE_VOCABULARY: _Check(f"a table type with a suite ({' '.join(TABLE_CODES)})", lambda h, c: str(c["measure"])),
        }
        types = " ".join(s.removeprefix(BUDGET_SCOPE_PREFIX) for s in BUDGET_SCOPES)
        self.unknown_budget_table: Mapping[str, _Check] = {
            **self.checks[budget_scope("income_expenditure_summary")],
            MEASURE_VOCABULARY: _Check(f"a 预算 table of a known table_type ({types})", lambda h, c: str(c["measure"])),
        }

    def _check(self, scope: str, rule: str) -> _Check:
        if scope in self.checks:
            return self.checks[scope][rule]
        return (self.unknown_budget_table if scope.startswith(BUDGET_SCOPE_PREFIX) else self.unknown_table)[rule]

    def findings(self, outcomes: Iterable[Any], helper: pd.DataFrame, cells: pd.DataFrame, scope: str) -> Iterator[Finding]:
        """A fail finding per offending cell, a pass finding per (rule, table present) with none.

        Findings name the document's table (its code); a suite's scope is the code itself for a 决算, the
        table's type for a 预算 (a pass per table of that type).
        """
        counts = Counter(helper["table_code"].tolist())
        tables_of: dict[str, list[str]] = {}
        for table_scope, table in dict.fromkeys(zip(helper["scope"].tolist(), helper["table_code"].tolist(), strict=True)):
            tables_of.setdefault(str(table_scope), []).append(str(table))
        for outcome in outcomes:
            rule = str(outcome.expectation_config.meta.get("rule"))
            failed: set[str] = set()
            if not outcome.success:
                for index in outcome.result.get("unexpected_index_list") or []:
                    position = int(index["index"] if isinstance(index, dict) else index)
                    cell = cells.iloc[position]
                    table = str(cell["table_code"])
                    failed.add(table)
                    check = self._check(str(helper["scope"].iloc[position]), rule)
                    yield Finding(
                        rule=rule,
                        severity="error",
                        table_code=table,
                        row=row_label(cell),
                        measure=str(cell["measure"]),
                        expected=check.expected,
                        found=check.found(helper.iloc[position], cell),
                        page=int(cell["page"]) if text_or_none(cell.get("page")) else None,
                        verdict="fail",
                    )
            for suite in _outcome_tables(outcome, scope):
                for table in tables_of.get(suite, []):
                    if counts.get(table) and table not in failed:
                        yield Finding(
                            rule=rule,
                            severity="error",
                            table_code=table,
                            row="",
                            measure="",
                            expected=self.checks[suite][rule].expected,
                            found=f"all {counts[table]} cells",
                            verdict="pass",
                        )
