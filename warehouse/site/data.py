"""What the report site reads from the warehouse: departments, documents, cells, findings and view rows.

Plain SQL through SQLAlchemy Core, the same text on SQLite and PostgreSQL. Money comes back as
``Decimal`` whatever the backend handed over (SQLite gives NUMERIC values as int/float/str): floats
go through ``repr``, the shortest text that reads back the same, never through binary arithmetic.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, text

#: 元 per 万元: the site shows every amount in 万元
WAN = Decimal(10000)
_FEN = Decimal("0.01")


def to_decimal(value: Any) -> Decimal | None:
    """A NUMERIC value of either backend as a Decimal (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if value != value:
            return None
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def yuan_to_wan(value: Any) -> Decimal | None:
    """An amount in 元 as 万元 (exact: 元 carry two places, so 万元 carry six at most)."""
    number = to_decimal(value)
    return None if number is None else (number / WAN).normalize() if number else Decimal(0)


def fmt_wan(value: Decimal | None) -> str:
    """A 万元 amount as the tables print it: two places (more only when the value has them), thousands commas."""
    if value is None:
        return ""
    two = value.quantize(_FEN)
    shown = two if two == value else value.normalize()
    return f"{shown:,f}"


def department_slug(department_id: str) -> str:
    """A file-system-safe, stable name for a department's page (its id may be any printed name)."""
    return "d-" + hashlib.sha1(department_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def document_slug(sha256: str) -> str:
    """The document page's file stem (a sha256 prefix: unique in any real warehouse)."""
    return sha256[:16]


@dataclass
class DocumentInfo:
    """One received document, whatever its status, with what its pages need."""

    sha256: str
    source: str
    source_file: str
    status: str
    reasons: list[str]
    department: str | None
    department_id: str | None
    fiscal_year: int | None
    phase: str | None
    scope: str | None
    pages: int | None
    facts_loaded: int
    updated_at: str
    accepted_at: str | None
    accept_reason: str | None
    title: str | None = None
    source_url: str | None = None
    fetched_at: str | None = None
    is_current: bool | None = None
    retracted_at: str | None = None
    retract_reason: str | None = None
    unit: str | None = None
    findings: int = 0
    failures: int = 0

    def fingerprint(self) -> str:
        """Everything about the document that its pages show, hashed: unchanged hash, unchanged pages."""
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class DepartmentInfo:
    """A department (all SCD-2 versions sharing ``department_id``) and its documents."""

    department_id: str
    name: str
    region: str | None
    city: str | None
    #: every printed name: (name, valid_from, valid_to exclusive or None)
    names: list[tuple[str, int, int | None]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """The department page's file stem."""
        return department_slug(self.department_id)

    @property
    def facts(self) -> int:
        """Amounts loaded from its current documents."""
        return sum(d.facts_loaded for d in self.documents if d.status == "loaded")

    @property
    def years(self) -> list[int]:
        """Fiscal years it has documents for, newest first."""
        return sorted({d.fiscal_year for d in self.documents if d.fiscal_year is not None}, reverse=True)

    def fingerprint(self) -> str:
        """Hash of what the department page shows apart from view rows (those follow its documents)."""
        payload = {
            "id": self.department_id,
            "name": self.name,
            "region": self.region,
            "city": self.city,
            "names": self.names,
            "aliases": sorted(self.aliases),
            "documents": sorted(d.fingerprint() for d in self.documents),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _reasons(stored: Any) -> list[str]:
    if not stored:
        return []
    try:
        value = json.loads(stored)
    except (TypeError, ValueError):
        return [str(stored)]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def read_catalog(engine: Engine) -> tuple[list[DepartmentInfo], list[DocumentInfo]]:
    """Every department with its documents, and the documents that belong to no known department.

    A loaded (or superseded, retracted) document belongs to the department of its ``dim_document`` row;
    a quarantined or failed one to the department whose printed name or steward alias it was read
    under, else to a department of its own name; a document with no department read is unassigned.
    """
    with engine.connect() as conn:
        versions = conn.execute(
            text(
                "SELECT department_id, name, region, city, valid_from, valid_to, is_current FROM dim_department"
                " ORDER BY department_id, valid_from"
            )
        ).all()
        aliases = conn.execute(text("SELECT alias_name, department_id FROM dim_department_alias")).all()
        documents = conn.execute(
            text(
                "SELECT e.sha256, e.source, e.source_file, e.status, e.reasons, e.department, e.fiscal_year, e.phase,"
                " e.pages, e.facts_loaded, e.updated_at, e.accepted_at, e.accept_reason, d.title, d.source_url,"
                " d.fetched_at, d.is_current, d.retracted_at, d.retract_reason, d.unit, d.scope, dd.department_id,"
                " d.phase, d.fiscal_year"
                " FROM etl_document e LEFT JOIN dim_document d ON d.sha256 = e.sha256"
                " LEFT JOIN dim_department dd ON dd.department_key = d.department_key"
                " ORDER BY e.fiscal_year DESC, e.source_file"
            )
        ).all()
        counts = conn.execute(
            text(
                "SELECT sha256, COUNT(*), SUM(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END)"
                " FROM etl_finding GROUP BY sha256"
            )
        ).all()
    departments: dict[str, DepartmentInfo] = {}
    by_name: dict[str, str] = {}
    for dep_id, name, region, city, valid_from, valid_to, is_current in versions:
        info = departments.get(dep_id)
        if info is None:
            info = departments[dep_id] = DepartmentInfo(dep_id, name, region, city)
        info.names.append((name, int(valid_from), None if valid_to is None else int(valid_to)))
        if is_current:
            info.name, info.region, info.city = name, region or info.region, city or info.city
        by_name[name] = dep_id
    for alias, dep_id in aliases:
        by_name.setdefault(alias, dep_id)
        if dep_id in departments:
            departments[dep_id].aliases.append(alias)
    finding_counts = {sha: (int(n), int(f or 0)) for sha, n, f in counts}
    unassigned: list[DocumentInfo] = []
    for row in documents:
        (sha, source, source_file, status, reasons, department, year, phase, pages, facts, updated, accepted,
         accept_reason, title, url, fetched, current, retracted, retract_reason, unit, scope, dep_id,
         doc_phase, doc_year) = row
        dep_id = dep_id or (by_name.get(department) if department else None) or department
        n, failures = finding_counts.get(sha, (0, 0))
        doc = DocumentInfo(
            sha256=sha,
            source=source,
            source_file=source_file,
            status=status,
            reasons=_reasons(reasons),
            department=department,
            department_id=dep_id,
            fiscal_year=int(doc_year if doc_year is not None else year) if (doc_year or year) is not None else None,
            phase=doc_phase or phase,
            scope=scope,
            pages=None if pages is None else int(pages),
            facts_loaded=int(facts or 0),
            updated_at=str(updated),
            accepted_at=_text(accepted),
            accept_reason=accept_reason,
            title=title,
            source_url=url,
            fetched_at=_text(fetched),
            is_current=None if current is None else bool(current),
            retracted_at=_text(retracted),
            retract_reason=retract_reason,
            unit=unit,
            findings=n,
            failures=failures,
        )
        if dep_id is None:
            unassigned.append(doc)
            continue
        if dep_id not in departments:
            departments[dep_id] = DepartmentInfo(dep_id, department or dep_id, None, None)
        departments[dep_id].documents.append(doc)
    ordered = sorted(departments.values(), key=lambda d: (d.region or "", d.city or "", d.name))
    return ordered, unassigned


def last_harvest(engine: Engine) -> str | None:
    """When the last harvest or rerun finished (``etl_run``), if one ever did."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT MAX(finished_at) FROM etl_run")).scalar()
    return None if value is None else str(value)[:19]


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


def view_rows(engine: Engine, view: str, columns: Sequence[str], department_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a reporting view for some departments (by ``department_id``)."""
    if not department_ids:
        return []
    stmt = text(
        f"SELECT {', '.join(columns)} FROM {view} WHERE department_id IN :ids"  # noqa: S608 - names are constants
    ).bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        return [dict(zip(columns, r, strict=True)) for r in conn.execute(stmt, {"ids": list(department_ids)})]


def quality_rows(engine: Engine) -> list[dict[str, Any]]:
    """``v_data_quality`` as rows (column name → value), by department, year and document."""
    stmt = text(
        "SELECT q.document_sha256, q.source_file, q.department, q.fiscal_year, q.status, q.rule, q.severity,"
        " q.outcome, q.accepted, q.table_code, q.row_label, q.measure, q.expected, q.found, q.difference,"
        " q.accept_reason FROM v_data_quality q"
        " ORDER BY q.department, q.fiscal_year, q.source_file, q.rule, q.table_code, q.row_label, q.measure"
    )
    columns = ("document_sha256", "source_file", "department", "fiscal_year", "status", "rule", "severity", "outcome",
               "accepted", "table_code", "row_label", "measure", "expected", "found", "difference", "accept_reason")  # fmt: skip
    with engine.connect() as conn:
        return [dict(zip(columns, r, strict=True)) for r in conn.execute(stmt)]
