"""The sample PDFs' real staged cells, staged once per session, and a helper that loads them into a warehouse."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from extract.models import Document, DocumentFacts
from extract.pdf import read_pages
from tests.extraction import stage_pdf
from transform.stage import StagedDocument
from warehouse.load import LoadResult, load_document

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PDFS: tuple[Path, ...] = (
    ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf",
    ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf",
)


@dataclass(frozen=True)
class StagedSample:
    """One sample PDF as the flow would hand it to the loader."""

    document: Document
    facts: DocumentFacts
    pages: int
    staged: StagedDocument


@functools.cache
def staged_samples() -> tuple[StagedSample, ...]:
    """Extract and stage every sample PDF once (camelot takes about a second per PDF)."""
    out = []
    for path in SAMPLE_PDFS:
        data = path.read_bytes()
        document = Document(
            sha256=hashlib.sha256(data).hexdigest(),
            source=f"samples/{path.name}",
            source_file=path.name,
            path=path,
            size=len(data),
        )
        facts, staged = stage_pdf(path)
        out.append(StagedSample(document, facts, len(read_pages(path, path.name)), staged))
    return tuple(out)


def load_samples(engine: Engine) -> list[LoadResult]:
    """Load every sample's staged cells into ``engine`` (migrated), one transaction per document."""
    return [
        load_document(
            engine,
            document=s.document,
            facts=s.facts,
            pages=s.pages,
            stg_cells=s.staged.cells,
            tables=s.staged.tables,
            pipeline_version="test",
        )
        for s in staged_samples()
    ]
