"""Small immutable types that cross folder boundaries (extract → transform → expectations → warehouse)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Phase = Literal["决算", "预算"]
DocumentStatus = Literal["loaded", "failed", "quarantined", "skipped"]

TABLE_CODES: tuple[str, ...] = ("01", "02", "03", "04", "05", "06", "07", "08", "09")

Classification = Literal["functional", "economic"]

#: The tables whose rows are identified by a subject code, and the classification of that code:
#: 功能分类 (类/款/项: 3/5/7 digits) or 经济分类 (类/款: 3/5 digits, 06). 01, 04 and 07 are not coded.
CODED_TABLES: Mapping[str, Classification] = {
    "02": "functional",
    "03": "functional",
    "05": "functional",
    "06": "economic",
    "08": "functional",
    "09": "functional",
}

#: Canonical titles of the nine standard 决算 tables, in the standard order.
TABLE_TITLES: dict[str, str] = {
    "01": "收入支出决算总表",
    "02": "收入决算表",
    "03": "支出决算表",
    "04": "财政拨款收入支出决算总表",
    "05": "一般公共预算财政拨款支出决算表",
    "06": "一般公共预算财政拨款基本支出决算表",
    "07": "一般公共预算财政拨款“三公”经费支出决算表",
    "08": "政府性基金预算财政拨款收入支出决算表",
    "09": "国有资本经营预算财政拨款支出决算表",
}


@dataclass(frozen=True)
class Document:
    """A received file, identified by the sha256 of its bytes."""

    sha256: str
    source: str  # URL or local path as received
    source_file: str  # file name as received (never used to build paths)
    path: Path  # where the bytes are on disk now
    size: int


@dataclass(frozen=True)
class DocumentFacts:
    """What the document says about itself: who, which year, which phase, which unit."""

    department: str | None
    fiscal_year: int | None
    phase: Phase | None
    unit: str | None  # the document's prevailing unit (元 / 万元); tables may differ
    title: str | None
    scope: Literal["部门", "单位"] | None = None


EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, EDGE_BOTTOM = 1, 2, 4, 8
EDGES_ALL = EDGE_LEFT | EDGE_RIGHT | EDGE_TOP | EDGE_BOTTOM


@dataclass(frozen=True)
class CellGrid:
    """One ruled grid as read from one page: text cells, row-major, with their PDF page."""

    page: int  # 1-based
    cells: tuple[tuple[str, ...], ...]
    #: ruling around each cell as bit flags (EDGE_LEFT | EDGE_RIGHT | EDGE_TOP | EDGE_BOTTOM);
    #: a missing edge between two cells means they are one merged cell.
    edges: tuple[tuple[int, ...], ...] = ()
    #: parsing report: ``accuracy`` (100 less the % of characters whose word a ruling cuts), ``whitespace``
    #: (% of empty cells), ``order`` and ``outside_chars_pct``: the share (0–100)
    #: of the characters inside the grid's bounding box that fell in no cell
    parsing_report: dict[str, float] = field(default_factory=dict)
    #: each cell's box (x0, top, x1, bottom) in PDF points on the page as displayed (after /Rotate),
    #: origin top-left; row-major like ``cells`` (empty when the grid was built without geometry)
    boxes: tuple[tuple[tuple[float, float, float, float], ...], ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of rows in the grid."""
        return len(self.cells)

    @property
    def n_cols(self) -> int:
        """Number of columns in the grid."""
        return len(self.cells[0]) if self.cells else 0

    @property
    def top(self) -> float:
        """The top of the grid on its page (its first row's cells; 0 without boxes)."""
        return min((box[1] for row in self.boxes for box in row), default=0.0)

    @property
    def bottom(self) -> float:
        """The bottom of the grid on its page (its last row's cells; 0 without boxes)."""
        return max((box[3] for row in self.boxes for box in row), default=0.0)


@dataclass(frozen=True)
class OcrCell:
    """What OCR read in one (merged) cell of a scanned page: where, as what, the reading and how sure it is."""

    page: int
    box: tuple[float, float, float, float]  # points, upright page, top-left origin: the box of its grid's cell
    kind: Literal["amount", "code", "text"]
    text: str
    confidence: float  # 0–1: the engine's confidence in the whole reading
    char_confidences: tuple[float, ...] = ()  # one per character of ``text`` where the engine gives them
    alternatives: tuple[tuple[str, float], ...] = ()  # other readings with their confidence, best first

    @property
    def lowest(self) -> float:
        """The lowest confidence of its characters (the reading's when there are none)."""
        return min(self.char_confidences, default=self.confidence)


@dataclass(frozen=True)
class SheetOrigin:
    """Where a spreadsheet's page comes from: its sheet, and which sheet row and column each laid-out one is.

    A sheet is laid out as a page (``extract.sheet_grid``) so that it is read as PDFs are; a cell's box on
    that page names its sheet row and column again (``locate``), for lineage.
    """

    page: int
    sheet: str
    col_lefts: tuple[float, ...]  # left edge of each laid-out column, ascending
    cols: tuple[int, ...]  # its sheet column (1-based)
    row_tops: tuple[float, ...]  # top edge of each laid-out row, ascending
    rows: tuple[int, ...]  # its sheet row (1-based)
    #: (sheet row, sheet column) → the number stored, for cells whose format shows it rounded
    stored: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def locate(self, x0: float, top: float) -> tuple[int, int] | None:
        """The sheet (row, column) of the cell whose box starts at (x0, top) on the page, None when off the grid."""
        try:
            col = self.cols[_index_of(self.col_lefts, x0)]
            row = self.rows[_index_of(self.row_tops, top)]
        except (ValueError, IndexError):
            return None
        return row, col


def _index_of(edges: tuple[float, ...], value: float) -> int:
    """The index of the edge within 0.05 of ``value`` (boxes are rounded to 0.01); ValueError when none is."""
    index = bisect.bisect_left(edges, value - 0.05)
    if index < len(edges) and abs(edges[index] - value) < 0.05:
        return index
    raise ValueError(value)


@dataclass(frozen=True)
class RawTable:
    """One of the nine standard tables: its grids over one or more pages plus what its pages say."""

    table_code: str
    title: str
    pages: tuple[int, ...]
    grids: tuple[CellGrid, ...]
    unit: str | None
    empty_note: str | None = None  # "本表无数据" etc. when the table is present but has no data
    #: the kind of table (``extract.budget_tables.TABLE_TYPES``), shared by 预算 and 决算 of every family
    table_type: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when the table is printed without any grid we could read, or declared empty."""
        return not self.grids


@dataclass(frozen=True)
class ExtractionIssue:
    """A problem found while reading a document, located as precisely as we know."""

    message: str
    page: int | None = None
    table_code: str | None = None
    severity: Literal["error", "warn"] = "error"

    def __str__(self) -> str:
        """Render as 'table 03, page 10: message'."""
        where = []
        if self.table_code:
            where.append(f"table {self.table_code}")
        if self.page:
            where.append(f"page {self.page}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class ExtractedDocument:
    """Everything extraction learnt from one PDF."""

    document: Document
    facts: DocumentFacts
    pages: int
    tables: tuple[RawTable, ...]
    issues: tuple[ExtractionIssue, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class TableSummary:
    """What was found of one standard table in one document (for `fiscal show` / `documents --tables`)."""

    table_code: str
    title: str | None
    pages: tuple[int, ...]
    present: bool  # the table (title, header or note) is printed in the document
    is_empty: bool  # present, but carries no amounts ("本表无数据", header-only grid)
    rows: int  # body rows read from its grids
    cells: int  # published amount cells staged from it
    unit: str | None
    accuracy: float | None  # parsing report, worst page
    whitespace: float | None  # parsing report, worst page
    note: str | None = None  # empty-table note or why the table is not handled
    outside_chars_pct: float | None = None  # worst page: % of characters in the grid's box that fell in no cell
    table_type: str | None = None  # the kind of table (extract.table_types), shared by 预算 and 决算
    ocr_confidence: float | None = None  # lowest confidence of its OCR'd cells (0–1); None when no page was OCR'd


#: What happened to one document URL. ``new``: content never seen before; ``changed``: new content
#: under a URL that had other content; ``duplicate``: content already known under another URL;
#: ``unchanged``: 304 or the same bytes again; everything else is an error kind.
FetchOutcome = Literal[
    "new",
    "changed",
    "duplicate",
    "unchanged",
    "http_error",
    "timeout",
    "transport_error",
    "truncated",
    "not_pdf",
    "too_large",
    "redirect_blocked",
    "address_blocked",
]
OK_OUTCOMES: frozenset[str] = frozenset({"new", "changed", "duplicate", "unchanged"})


@dataclass(frozen=True)
class PreviousFetch:
    """What the manifest remembers of a URL: validators for a conditional request and the last content."""

    sha256: str | None
    etag: str | None = None
    last_modified: str | None = None
    file_name: str | None = None  # the name it was published under (a 304 carries no Content-Disposition)


@dataclass(frozen=True)
class FetchResult:
    """The result of fetching one document URL (also what the manifest records)."""

    url: str
    source: str
    outcome: FetchOutcome
    sha256: str | None = None
    http_status: int | None = None
    bytes: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    hint: str | None = None
    attempts: int = 1
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: the name the document is published under (Content-Disposition, a filename= query parameter, the
    #: URL or the link text: extract.links.published_name); a label, never a path
    file_name: str | None = None
    #: consecutive failures of this URL before this fetch (0: not known to be broken)
    known_failures: int = 0

    @property
    def ok(self) -> bool:
        """True when the URL yielded a stored document (new, changed, duplicate or unchanged)."""
        return self.outcome in OK_OUTCOMES
