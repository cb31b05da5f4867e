"""A document's identified tables → one stg_cells frame plus a summary per standard table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from extract.models import TABLE_CODES, TABLE_TITLES, ExtractionIssue, RawTable, TableSummary
from extract.table_types import FINAL_TABLE_TYPES, clean_title
from transform.normalize import stage_table
from transform.stg_cells import check_stg_cells, empty_stg_cells


@dataclass(frozen=True)
class StagedDocument:
    """stg_cells of a whole document, what was found of each table, and what went wrong."""

    cells: pd.DataFrame
    tables: tuple[TableSummary, ...]
    issues: tuple[ExtractionIssue, ...]


#: parsing-report figures where lower is worse (accuracy); for the others (whitespace,
#: outside_chars_pct) higher is worse
LOWER_IS_WORSE: frozenset[str] = frozenset({"accuracy", "ocr_confidence"})


def worst_report_figure(table: RawTable, key: str) -> tuple[float, int] | None:
    """The worst value of one parsing-report figure over a table's grids and its page (the first on a tie), or None."""
    found = [
        (float(value), grid.page)
        for grid in table.grids
        if (value := grid.parsing_report.get(key)) is not None and not math.isnan(value)
    ]
    if not found:
        return None
    sign = 1.0 if key in LOWER_IS_WORSE else -1.0
    return min(found, key=lambda figure: (sign * figure[0], figure[1]))


def _report_value(table: RawTable, key: str) -> float | None:
    """The worst value of one parsing-report figure over a table's grids (``worst_report_figure`` without the page)."""
    worst = worst_report_figure(table, key)
    return None if worst is None else worst[0]


def stage_document(tables: Sequence[RawTable], default_unit: str | None) -> StagedDocument:
    """Stage every identified table; tables not found get a summary saying so.

    Parameters
    ----------
    tables
        The document's tables as identified: the standard 决算 tables (``extract.identify.identify_tables``),
        or a 预算 set as printed (``extract.budget_tables.identify_budget_tables``, each with its
        ``table_type``: staged in the document's order, nothing reported missing).
    default_unit
        The document's prevailing amount unit, for tables that print none.

    Returns
    -------
    StagedDocument
        ``cells`` (stg_cells, checked against its contract), one ``TableSummary`` per standard table
        (found or not) and the issues met while reading the tables.

    """
    frames: list[pd.DataFrame] = []
    summaries: list[TableSummary] = []
    issues: list[ExtractionIssue] = []
    by_code = {t.table_code: t for t in tables}
    # a 预算 set is what the document prints (extract.budget_tables); a 决算 set is the nine standard tables
    budget = any(t.table_type for t in tables)
    for code in [t.table_code for t in tables] if budget else TABLE_CODES:
        table = by_code.get(code)
        if table is None:
            summaries.append(
                TableSummary(
                    code, TABLE_TITLES[code], (), False, False, 0, 0, None, None, None, "not found in the document",
                    table_type=FINAL_TABLE_TYPES.get(code),
                )
            )
            continue
        unit = table.unit or default_unit
        staged = stage_table(table, unit)
        issues.extend(staged.issues)
        frames.append(staged.cells)
        is_empty = staged.cells.empty
        note = table.empty_note if is_empty else None
        if is_empty and not note and table.grids:
            note = "grid printed without amounts"
        summaries.append(
            TableSummary(
                table_code=code,
                title=clean_title(table.title) if table.title else TABLE_TITLES.get(code),
                pages=table.pages,
                present=True,
                is_empty=is_empty,
                rows=staged.body_rows,
                cells=len(staged.cells),
                unit=unit,
                accuracy=_report_value(table, "accuracy"),
                whitespace=_report_value(table, "whitespace"),
                note=note,
                outside_chars_pct=_report_value(table, "outside_chars_pct"),
                table_type=table.table_type or FINAL_TABLE_TYPES.get(code),
                ocr_confidence=_report_value(table, "ocr_confidence"),
            )
        )
    non_empty = [f for f in frames if len(f)]
    cells = pd.concat(non_empty, ignore_index=True) if non_empty else empty_stg_cells()
    return StagedDocument(check_stg_cells(cells), tuple(summaries), tuple(issues))
