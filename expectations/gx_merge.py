r"""Merge per-table-type GX suites into one document suite over one wide frame (one checkpoint run per document).

GX 1.24 costs ≈ 15 ms per checkpoint run and ≈ 5 ms per expectation before it looks at the data, so nine
per-table suites run one by one cost ≈ 0.2 s per document while one suite of six expectations costs ≈ 0.04 s.
The reviewed definitions stay the per-table suites; the document suite is generated from them here, so
there is one source of truth, and it is built so that a row of table ``t`` passes a merged expectation
exactly when it passes the expectation of ``t``'s own suite:

- a row-wise expectation held with the same arguments by several table suites becomes one expectation on a
  column populated for those tables' rows only (NaN elsewhere: GX column-map expectations skip nulls);
- ``ExpectColumnValuesToBeInSet`` / ``…ToMatchRegex`` whose arguments differ per table, and
  ``ExpectColumnValuesToBeUnique`` (unique *within* a table), become one expectation on a ``"table|value"``
  key column: ``value_set`` = ∪ {``"t|v"``}, ``regex`` = an alternation of ``^(?:t1|t2)\|(?:regex)`` (for regexes anchored by ``^``, without ``|``);
- anything else (another expectation type, ``mostly`` < 1, a ``row_condition``) gets one wide column per
  table (``column__03``) and its own expectation — still exact, only less compact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: separates the table code from the value in a key column ("03|本年支出合计")
SEPARATOR = "|"
#: expectations that judge each row on its own, so pooling rows of several tables changes nothing
_ROW_WISE = frozenset(
    {"expect_column_values_to_match_regex", "expect_column_values_to_be_in_set", "expect_column_value_lengths_to_be_between"}
)
#: fields that name or describe an expectation rather than define what it checks
_NOT_ARGUMENTS = frozenset({"id", "meta", "notes", "column", "description", "rendered_content", "batch_id"})


@dataclass(frozen=True)
class MergedColumn:
    """A column of the document frame: ``source`` for the rows of ``tables``, NaN for every other row."""

    name: str
    source: str
    tables: tuple[str, ...]
    keyed: bool  # values are "table|value"
    #: every table suite holds the expectation: rows of a table code without a suite are checked too
    every_row: bool = False


@dataclass(frozen=True)
class MergedExpectation:
    """One expectation of the document suite and the table suites it stands for."""

    expectation: Any  # its meta carries "rule" and "tables" (the table codes, space-separated)
    rule: str
    tables: tuple[str, ...]
    column: MergedColumn


@dataclass(frozen=True)
class MergedSuite:
    """The document suite's expectations and how to build the frame they read."""

    expectations: tuple[MergedExpectation, ...]
    columns: tuple[MergedColumn, ...]

    def frame(self, helper: pd.DataFrame, tables: Sequence[str]) -> pd.DataFrame:
        """The wide frame of one document: ``helper`` holds the per-table suites' columns, ``tables`` each row's table."""
        sources = {name: helper[name].tolist() for name in {c.source for c in self.columns}}
        data: dict[str, list[str | None]] = {}
        for column in self.columns:
            values = sources[column.source]
            if column.every_row:
                keep = [_present(v) for v in values]
            else:
                wanted = frozenset(column.tables)
                keep = [t in wanted and _present(v) for t, v in zip(tables, values, strict=True)]
            if column.keyed:
                data[column.name] = [f"{t}{SEPARATOR}{v}" if k else None for t, v, k in zip(tables, values, keep, strict=True)]
            else:
                data[column.name] = [v if k else None for v, k in zip(values, keep, strict=True)]
        return pd.DataFrame(data)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _arguments(expectation: Any) -> dict[str, Any]:
    """What an expectation checks, without its name, notes or column."""
    return dict(expectation.dict(exclude=set(_NOT_ARGUMENTS)))


def _keyed_regex(by_regex: Mapping[str, list[str]]) -> str | None:
    """One regex over "table|value" keys from each table's regex, or None when a regex cannot be prefixed exactly.

    Only a regex anchored at the start with no alternation and no other anchor keeps its meaning once the
    ``^`` moves in front of the table prefix (``^a|b`` would not); the others get wide columns.
    """
    branches = []
    for regex, tables in by_regex.items():
        body = regex[1:]
        if not regex.startswith("^") or "|" in body or "^" in body.replace("[^", "").replace("\\^", ""):
            return None
        branches.append(f"^(?:{'|'.join(re.escape(t) for t in tables)}){re.escape(SEPARATOR)}(?:{body})")
    return "|".join(branches)


def _same_except(arguments: Sequence[dict[str, Any]], varying: str) -> bool:
    """Whether the tables' expectations differ in nothing but ``varying`` (else folding them would lose a difference)."""
    rest = [{k: v for k, v in a.items() if k != varying} for a in arguments]
    return all(r == rest[0] for r in rest)


def merge_expectations(suites: Mapping[str, Sequence[Any]], rule_of: Any = None) -> MergedSuite:
    """Merge table code → that table suite's GX expectations into one suite over one wide frame.

    ``rule_of(expectation)`` names the rule an expectation implements (default: ``meta["rule"]``); expectations
    of one type, rule and column across tables are merged.
    """
    rule_of = rule_of or (lambda e: str((e.meta or {}).get("rule")))
    groups: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}
    for table, expectations in suites.items():
        for expectation in expectations:
            groups.setdefault((expectation.expectation_type, rule_of(expectation), expectation.column), []).append(
                (table, expectation)
            )
    merged: list[MergedExpectation] = []
    for (kind, rule, source), members in groups.items():
        tables = tuple(t for t, _ in members)
        everywhere = len(tables) == len(suites)
        arguments = [_arguments(e) for _, e in members]
        # one expectation per table (two on a column would need an intersection), all-or-nothing, unconditional
        exact = len(set(tables)) == len(tables) and all(a.get("mostly", 1) == 1 and not a.get("row_condition") for a in arguments)
        template = members[0][1]
        # a string, not a list: GX re-serialises each expectation's meta hundreds of times per run (≈ 10 % of it)
        meta = {**(template.meta or {}), "rule": rule, "tables": " ".join(tables)}
        notes = f"merged from the suites of tables {', '.join(tables)}" + (f": {template.notes}" if template.notes else "")
        if exact and kind in _ROW_WISE and all(a == arguments[0] for a in arguments):
            column = MergedColumn(source if everywhere else f"{source}__{'_'.join(tables)}", source, tables, False, everywhere)
            merged.append(MergedExpectation(_copy(template, column.name, meta, notes), rule, tables, column))
            continue
        keyed = MergedColumn(f"{source}__table", source, tables, True, everywhere)
        if exact and kind == "expect_column_values_to_be_unique" and _same_except(arguments, ""):
            merged.append(MergedExpectation(_copy(template, keyed.name, meta, notes), rule, tables, keyed))
            continue
        if (
            exact
            and kind == "expect_column_values_to_be_in_set"
            and _same_except(arguments, "value_set")
            and all(all(isinstance(v, str) for v in e.value_set) for _, e in members)
        ):
            value_set = sorted({f"{t}{SEPARATOR}{v}" for t, e in members for v in e.value_set})
            expectation = _copy(template, keyed.name, meta, notes, value_set=value_set)
            merged.append(MergedExpectation(expectation, rule, tables, keyed))
            continue
        if exact and kind == "expect_column_values_to_match_regex" and _same_except(arguments, "regex"):
            by_regex: dict[str, list[str]] = {}
            for t, e in members:
                by_regex.setdefault(e.regex, []).append(t)
            regex = _keyed_regex(by_regex)
            if regex is not None:
                merged.append(MergedExpectation(_copy(template, keyed.name, meta, notes, regex=regex), rule, tables, keyed))
                continue
        for t, e in members:  # exact whatever the expectation: one wide column per table
            wide = MergedColumn(f"{source}__{t}", source, (t,), False)
            merged.append(MergedExpectation(_copy(e, wide.name, {**meta, "tables": t}, e.notes), rule, (t,), wide))
    columns = tuple({m.column.name: m.column for m in merged}.values())
    return MergedSuite(tuple(merged), columns)


def _copy(expectation: Any, column: str, meta: dict[str, Any], notes: str | None, **changes: Any) -> Any:
    """A new expectation of the same type and arguments on another column (a fresh id: suites own their ids)."""
    fields = expectation.dict(exclude={"id", "rendered_content", "batch_id"})
    return type(expectation)(**{**fields, "column": column, "meta": meta, "notes": notes, **changes})
