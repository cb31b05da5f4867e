"""Grid reading and header inference on every ruled table of real 预算 PDFs from many producers.

The documents (tests/data/real/, copied byte for byte from ../shared/corpus/real/) come from WPS 表格/文字,
Excel 2007/2010, Word 2007/2010, ONLYOFFICE, LibreOffice Calc and Acrobat Distiller, and share the 决算 header
grammar. No table identification: every grid's header is read as the pipeline reads it, and
- no page context (部门：, 单位：, 年度, 金额单位) may end up inside a column's measure path;
- no column that prints amounts may be left without a header.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extract.grids import read_grids, triage
from extract.models import CellGrid
from extract.pdf import read_pages
from transform.normalize import (
    ColumnSpec,
    column_spec,
    context_rows,
    header_row_count,
    join_overflow_rows,
    without_rows,
)
from transform.parsers import clean_header, looks_like_amount

REAL = Path(__file__).parent / "data" / "real"
DOCUMENTS = sorted(REAL.glob("*.pdf"))
CONTEXT = re.compile(r"部门[:：]|单位[:：]|年度|金额单位")


def header_specs(grids: list[CellGrid]) -> list[tuple[CellGrid, int, ColumnSpec]]:
    """Each grid that prints a header, with its header row count and column spec (continuations skipped)."""
    out: list[tuple[CellGrid, int, ColumnSpec]] = []
    previous: tuple[int, frozenset[str]] | None = None
    for printed in grids:
        grid = without_rows(printed, context_rows(printed))
        if previous is not None and previous[0] == grid.n_cols and header_row_count(grid, previous[1]) == 0:
            continue  # a continuation grid without a header: the pipeline reuses the previous spec
        n = header_row_count(grid)
        if n == 0 or n >= grid.n_rows:
            continue
        grid = join_overflow_rows(grid, n)
        previous = (grid.n_cols, frozenset(clean_header(c) for row in grid.cells[:n] for c in row if clean_header(c)))
        out.append((grid, n, column_spec(grid, n)))
    return out


def test_the_corpus_is_here_and_varied() -> None:
    assert len(DOCUMENTS) >= 20


@pytest.mark.parametrize("pdf", DOCUMENTS, ids=[p.stem for p in DOCUMENTS])
def test_headers_hold_no_page_context_and_every_amount_column_has_one(pdf: Path) -> None:
    pages = read_pages(pdf, pdf.name)
    vector, raster = triage(pages)
    grids, _ = read_grids(pdf, vector, raster, parallel=False, pages=pages)
    problems: list[str] = []
    for grid, n, spec in header_specs(grids):
        for c, (role, path) in enumerate(zip(spec.roles, spec.paths, strict=True)):
            if any(CONTEXT.search(token) for token in path):
                problems.append(f"page {grid.page}, column {c + 1}: page context in the header {path}")
            if role == "blank" and any(looks_like_amount(row[c]) for row in grid.cells[n:]):
                problems.append(f"page {grid.page}, column {c + 1}: amounts under no column header")
    assert not problems, problems
