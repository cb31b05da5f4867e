"""Shared by the site tests (no tests here): a site built from a warehouse holding the two samples, plus the rotated-page seed layout as a quarantined document.

The rotated layout (``tests/data/seed_layouts/rotated.pdf``:
portrait pages turned with /Rotate 90) is booked as quarantined with one failure on its table 02 total,
its staged cells kept in the quarantine as the pipeline keeps them: its page shows the quarantine, and
its cells are outlined from the quarantine's boxes.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import Engine

from extract.models import Document
from extract.store import QuarantineStore
from tests.extraction import stage_pdf
from tests.sample_loads import SAMPLE_PDFS, load_samples
from warehouse.bookkeeping import FindingRow
from warehouse.db import make_engine, upgrade
from warehouse.load import record_document
from warehouse.site import SiteResult, build_site

ROOT = Path(__file__).resolve().parents[1]
ROTATED_PDF = ROOT / "tests" / "data" / "seed_layouts" / "rotated.pdf"


@dataclass(frozen=True)
class BuiltSite:
    """A built site and what it was built from."""

    folder: Path
    url: str
    engine: Engine
    raw_dir: Path
    quarantine_dir: Path
    result: SiteResult
    #: sha256 → the PDF (samples, then the rotated layout)
    pdfs: dict[str, Path]
    rotated_sha: str
    rotated_cells: int


@functools.cache
def _rotated_staged() -> tuple[object, object]:
    return stage_pdf(ROTATED_PDF)


def build_sample_site(folder: Path) -> BuiltSite:
    """Load the samples (and book the rotated layout as quarantined) into a SQLite warehouse in ``folder``; build its site."""
    url = f"sqlite:///{folder / 'warehouse.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    load_samples(engine)
    raw_dir, quarantine_dir = folder / "data" / "raw", folder / "data" / "quarantine"
    raw_dir.mkdir(parents=True)
    pdfs: dict[str, Path] = {}
    for path in (*SAMPLE_PDFS, ROTATED_PDF):
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        (raw_dir / f"{sha}.pdf").write_bytes(data)
        pdfs[sha] = path
    rotated_sha = hashlib.sha256(ROTATED_PDF.read_bytes()).hexdigest()
    facts, staged = _rotated_staged()
    cells = staged.cells  # type: ignore[attr-defined]
    total = cells[(cells["table_code"] == "02") & (cells["line_item"] == "合计")].iloc[0]
    reason = f"{ROTATED_PDF.name}: hierarchy.total_eq_sum_of_classes failed on table 02"
    QuarantineStore(quarantine_dir).put(rotated_sha, ROTATED_PDF.name, cells, [reason])
    record_document(
        engine,
        document=Document(rotated_sha, f"tests/data/seed_layouts/{ROTATED_PDF.name}", ROTATED_PDF.name, ROTATED_PDF,
                          ROTATED_PDF.stat().st_size),  # fmt: skip
        facts=facts,  # type: ignore[arg-type]
        pages=13,
        status="quarantined",
        reasons=[reason],
        tables=staged.tables,  # type: ignore[attr-defined]
        pipeline_version="test",
        findings=[
            FindingRow(
                rule="hierarchy.total_eq_sum_of_classes", severity="error", outcome="failure", table_code="02",
                row_label="合计", measure=str(total["measure"]), expected="0.00", found=str(total["amount"]),
                difference=str(total["amount"]), page=int(total["page"]),
            )
        ],  # fmt: skip
    )
    result = build_site(engine, folder / "site", raw_dir, quarantine_dir)
    return BuiltSite(folder / "site", url, engine, raw_dir, quarantine_dir, result, pdfs, rotated_sha, len(cells))


def copy_site(built: BuiltSite, folder: Path) -> BuiltSite:
    """A copy of a built site and its warehouse that a test may change."""
    shutil.copytree(built.folder.parent, folder, dirs_exist_ok=True, symlinks=True)
    url = f"sqlite:///{folder / 'warehouse.sqlite'}"
    return BuiltSite(
        folder / "site", url, make_engine(url), folder / "data" / "raw", folder / "data" / "quarantine",
        built.result, built.pdfs, built.rotated_sha, built.rotated_cells,
    )  # fmt: skip


class AmountCells(HTMLParser):
    """Collects the attributes of every amount cell (``td.amt``) and of every element with a ``data-bbox``."""

    def __init__(self) -> None:
        super().__init__()
        self.amounts: list[dict[str, str]] = []
        self.boxed: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "data-bbox" in values:
            self.boxed.append(values)
        if tag == "td" and "amt" in values.get("class", "").split():
            self.amounts.append(values)


def amount_cells(page: Path) -> AmountCells:
    """The amount cells of a site page."""
    parser = AmountCells()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser
