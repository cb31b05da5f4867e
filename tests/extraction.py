"""Run the extraction + staging path on a PDF without a warehouse (shared by golden tests)."""

from __future__ import annotations

from pathlib import Path

from extract.grids import read_grids, triage
from extract.identify import identify_tables, read_facts
from extract.models import DocumentFacts
from extract.pdf import read_pages, readable_copy
from transform.stage import StagedDocument, stage_document


def stage_pdf(path: Path) -> tuple[DocumentFacts, StagedDocument]:
    pages = read_pages(path, path.name)
    vector, raster = triage(pages)
    with readable_copy(path) as readable:
        grids, _ = read_grids(readable, vector, raster, parallel=False, pages=pages)
    tables, _ = identify_tables(pages, grids)
    facts = read_facts(pages, tables)
    return facts, stage_document(tables, facts.unit)
