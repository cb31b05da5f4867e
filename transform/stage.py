"""A document's identified tables → one stg_cells frame plus a summary per standard table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from extract.models import TABLE_CODES, TABLE_TITLES, ExtractionIssue, RawTable, TableSummary
from transform.normalize import stage_table
from transform.stg_cells import check_stg_cells, empty_stg_cells


@dataclass(frozen=True)
class StagedDocument:
    """stg_cells of a whole document, what was found of each table, and what went wrong."""

    cells: pd.DataFrame
    tables: tuple[TableSummary, ...]
    issues: tuple[ExtractionIssue, ...]


def _report_value(table: RawTable, key: str, worst: str) -> float | None:
    """The worst value of one camelot parsing-report figure over a table's grids."""
    values = [g.parsing_report[key] for g in table.grids if key in g.parsing_report]
    if not values:
        return None
    return min(values) if worst == "min" else max(values)


def stage_document(tables: Sequence[RawTable], default_unit: str | None) -> StagedDocument:
    """Stage every identified table; tables not found get a summary saying so."""
    frames: list[pd.DataFrame] = []
    summaries: list[TableSummary] = []
    issues: list[ExtractionIssue] = []
    by_code = {t.table_code: t for t in tables}
    for code in TABLE_CODES:
        table = by_code.get(code)
        if table is None:
            summaries.append(
                TableSummary(code, TABLE_TITLES[code], (), False, False, 0, 0, None, None, None, "not found in the document")
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
                title=table.title or TABLE_TITLES[code],
                pages=table.pages,
                present=True,
                is_empty=is_empty,
                rows=staged.body_rows,
                cells=len(staged.cells),
                unit=unit,
                accuracy=_report_value(table, "accuracy", "min"),
                whitespace=_report_value(table, "whitespace", "max"),
                note=note,
            )
        )
    non_empty = [f for f in frames if len(f)]
    cells = pd.concat(non_empty, ignore_index=True) if non_empty else empty_stg_cells()
    return StagedDocument(check_stg_cells(cells), tuple(summaries), tuple(issues))
