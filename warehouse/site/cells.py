"""A document's printed amounts (cells), its tables and its findings, and which cells a finding names.

A loaded document's cells come from ``fct_amount``; a document that did not load shows the staged cells
the quarantine kept (``<sha256>.cells.csv``). Both become :class:`Cell` with the box the cell is printed
in, so a page image can outline it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

from warehouse.site.data import WAN, DocumentInfo, to_decimal

#: a printed amount cell: the stg_cells columns the pages need, from fct_amount or a quarantine CSV
CELL_FIELDS = (
    "amount_key", "table_code", "page", "row_index", "col_index", "functional_code", "functional_name",
    "economic_code", "economic_name", "line_item", "parent_line_item", "measure", "amount", "unit",
    "amount_text", "is_total", "cell_x0", "cell_top", "cell_x1", "cell_bottom",
)  # fmt: skip


@dataclass
class Cell:
    """One printed amount and where it sits on its page."""

    key: str
    table_code: str
    page: int
    row_index: int
    col_index: int
    functional_code: str | None
    functional_name: str | None
    economic_code: str | None
    economic_name: str | None
    line_item: str | None
    parent_line_item: str | None
    measure: str
    amount: Decimal
    unit: str
    amount_text: str
    is_total: bool
    bbox: tuple[float, float, float, float] | None

    @property
    def amount_wan(self) -> Decimal:
        """The amount in 万元 (converted from 元 or 千元/亿元 when the table prints another unit)."""
        factor = {"元": Decimal(1), "千元": Decimal(1000), "万元": WAN, "亿元": Decimal(100000000)}.get(self.unit, WAN)
        return (self.amount * factor / WAN).normalize() if self.amount else Decimal(0)


def _bbox(values: Sequence[Any]) -> tuple[float, float, float, float] | None:
    numbers = []
    for value in values:
        if value is None or value == "":
            return None
        number = float(value)
        if number != number:
            return None
        numbers.append(round(number, 2))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def document_cells(engine: Engine, sha256: str) -> list[Cell]:
    """Every amount of a loaded document (any currency), in page and grid order."""
    stmt = text(
        "SELECT a.amount_key, a.table_code, a.page, a.row_index, a.col_index, fs.code, fs.name, es.code, es.name,"
        " li.line_item, li.parent_line_item, m.header_path, a.amount, a.unit, a.amount_text, a.is_total,"
        " a.cell_x0, a.cell_top, a.cell_x1, a.cell_bottom"
        " FROM fct_amount a JOIN dim_document d ON d.document_key = a.document_key"
        " JOIN dim_measure m ON m.measure_key = a.measure_key"
        " LEFT JOIN dim_functional_subject fs ON fs.functional_key = a.functional_key"
        " LEFT JOIN dim_economic_subject es ON es.economic_key = a.economic_key"
        " LEFT JOIN dim_line_item li ON li.line_item_key = a.line_item_key"
        " WHERE d.sha256 = :sha ORDER BY a.table_code, a.page, a.row_index, a.col_index"
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt, {"sha": sha256}).all()
    cells = []
    for r in rows:
        cells.append(
            Cell(
                key=f"a{r[0]}",
                table_code=r[1],
                page=int(r[2]),
                row_index=int(r[3]),
                col_index=int(r[4]),
                functional_code=r[5],
                functional_name=r[6],
                economic_code=r[7],
                economic_name=r[8],
                line_item=r[9] or None,
                parent_line_item=r[10] or None,
                measure=r[11],
                amount=to_decimal(r[12]) or Decimal(0),
                unit=r[13],
                amount_text=r[14],
                is_total=bool(r[15]),
                bbox=_bbox(r[16:20]),
            )
        )
    return cells


def quarantined_cells(quarantine_dir: Path, sha256: str) -> list[Cell] | None:
    """The staged cells kept for a document that did not load (``<sha256>.cells.csv``), or None when absent."""
    path = quarantine_dir / f"{sha256}.cells.csv"
    if not path.is_file():
        return None
    cells = []
    with path.open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            if not row.get("amount"):
                continue

            def text_of(name: str, row: Mapping[str, str] = row) -> str | None:
                value = row.get(name)
                return value if value not in (None, "", "nan", "None") else None

            amount = to_decimal(row["amount"])
            if amount is None:
                continue
            code = text_of("table_code") or ""
            cells.append(
                Cell(
                    key=f"q{n}",
                    table_code=code.zfill(2) if code.isdigit() else code,
                    page=int(float(row["page"])),
                    row_index=int(float(row["row_index"])),
                    col_index=int(float(row["col_index"])),
                    functional_code=text_of("functional_code"),
                    functional_name=text_of("functional_name"),
                    economic_code=text_of("economic_code"),
                    economic_name=text_of("economic_name"),
                    line_item=text_of("line_item"),
                    parent_line_item=text_of("parent_line_item"),
                    measure=text_of("measure") or "",
                    amount=amount,
                    unit=text_of("unit") or "万元",
                    amount_text=text_of("raw_text") or row["amount"],
                    is_total=str(row.get("is_total")).lower() in ("true", "1"),
                    bbox=_bbox([row.get(c) for c in ("cell_x0", "cell_top", "cell_x1", "cell_bottom")]),
                )
            )
    cells.sort(key=lambda c: (c.table_code, c.page, c.row_index, c.col_index))
    return cells


@dataclass(frozen=True)
class TableInfo:
    """A standard table of a document as ``etl_table`` records it."""

    table_code: str
    title: str | None
    pages: str
    present: bool
    is_empty: bool
    unit: str | None
    note: str | None


def document_tables(engine: Engine, sha256: str) -> list[TableInfo]:
    """The tables found in a document, in table order."""
    stmt = text(
        "SELECT table_code, title, pages, present, is_empty, unit, note FROM etl_table WHERE sha256 = :sha"
        " ORDER BY table_code"
    )
    with engine.connect() as conn:
        return [
            TableInfo(r[0], r[1], r[2] or "", bool(r[3]), bool(r[4]), r[5], r[6])
            for r in conn.execute(stmt, {"sha": sha256})
        ]


@dataclass(frozen=True)
class Finding:
    """One validation finding of a document (``etl_finding``)."""

    sha256: str
    number: int
    rule: str
    severity: str
    outcome: str
    table_code: str | None
    row_label: str | None
    measure: str | None
    expected: str | None
    found: str | None
    difference: str | None
    page: int | None
    accepted: bool


def findings_of(engine: Engine, shas: Iterable[str] | None = None) -> dict[str, list[Finding]]:
    """The findings of the given documents (all when None), per sha256 in finding order."""
    sql = (
        "SELECT sha256, finding_no, rule, severity, outcome, table_code, row_label, measure, expected, found,"
        " difference, page, accepted FROM etl_finding"
    )
    params: dict[str, Any] = {}
    stmt = text(sql + " ORDER BY sha256, finding_no")
    if shas is not None:
        params["shas"] = list(shas)
        if not params["shas"]:
            return {}
        stmt = text(sql + " WHERE sha256 IN :shas ORDER BY sha256, finding_no").bindparams(
            bindparam("shas", expanding=True)
        )
    out: dict[str, list[Finding]] = defaultdict(list)
    with engine.connect() as conn:
        for r in conn.execute(stmt, params):
            out[r[0]].append(
                Finding(r[0], int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                        None if r[11] is None else int(r[11]), bool(r[12]))
            )  # fmt: skip
    return out


def cells_of_finding(finding: Finding, cells: Sequence[Cell]) -> list[Cell]:
    """The cells a finding names: its table, its row label (label, code or ``row N``) and its measure.

    A finding's row is named as ``expectations`` names rows (line item, else functional code, else
    economic code, else ``row N``), sometimes with a level or name around it (``类 302``); a cross-table
    measure reads ``A vs 03 B`` and concerns the cell of ``A``. The page, when given, is preferred.
    """
    if not finding.table_code:
        return []
    measure = (finding.measure or "").split(" vs ")[0].strip()
    tokens = set((finding.row_label or "").split())
    hits = []
    for cell in cells:
        if cell.table_code != finding.table_code:
            continue
        if measure and cell.measure != measure:
            continue
        names = {cell.line_item, cell.functional_code, cell.economic_code, f"row {cell.row_index}"}
        label = finding.row_label or ""
        if tokens & {n for n in names if n} or (cell.line_item and cell.line_item == label):
            hits.append(cell)
    if finding.page is not None and any(c.page == finding.page for c in hits):
        hits = [c for c in hits if c.page == finding.page]
    return hits


def shown_cells(engine: Engine, quarantine_dir: Path, doc: DocumentInfo) -> list[Cell] | None:
    """The cells a document's pages show: its loaded amounts, or the quarantine's cells when it did not load.

    None when the document did not load and the quarantine kept no cells for it.
    """
    if doc.status in ("quarantined", "failed", "skipped") or not doc.facts_loaded:
        return quarantined_cells(quarantine_dir, doc.sha256)
    return document_cells(engine, doc.sha256)
