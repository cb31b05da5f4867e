"""What the report site reads from the warehouse: departments, documents, view rows; amounts in 万元.

A document's cells, tables and findings are read by :mod:`warehouse.site.cells`.

Plain SQL through SQLAlchemy Core, the same text on SQLite and PostgreSQL. Money comes back as
``Decimal`` whatever the backend handed over (SQLite gives NUMERIC values as int/float/str): floats
go through ``repr``, the shortest text that reads back the same, never through binary arithmetic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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
