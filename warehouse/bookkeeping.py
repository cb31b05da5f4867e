"""``etl_*`` bookkeeping of a received document: its etl_document row, etl_table summaries, etl_finding rows.

(``etl_run`` and the fetch manifest are the harvest's, in ``warehouse.manifest``.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, literal_column, update

from extract.models import Document, DocumentFacts, TableSummary
from warehouse.currency import Group, document_state
from warehouse.errors import LoadError
from warehouse.models import FINDING_OUTCOMES, FINDING_SEVERITIES
from warehouse.tables import ETL_DOCUMENT, ETL_FINDING, ETL_TABLE
from warehouse.writers import FactWriter, cached_upsert

#: The etl_document statuses of a document booked without loading it.
NOT_LOADED_STATUSES: tuple[str, ...] = ("failed", "quarantined", "skipped")


@dataclass(frozen=True)
class FindingRow:
    """One etl_finding row of a document: a validation finding as stored (plain values, no expectations types).

    ``expectations.findings.finding_record`` gives the same fields as a dict; either is accepted.
    """

    rule: str
    severity: str  # 'error' | 'warn'
    outcome: str  # 'note' | 'warning' | 'failure'
    table_code: str | None = None
    row_label: str | None = None
    measure: str | None = None
    expected: str | None = None
    found: str | None = None
    difference: str | None = None
    page: int | None = None
    accepted: bool = False


FindingLike = FindingRow | Mapping[str, Any]


def finding_rows(sha256: str, findings: Sequence[FindingLike], *, accept_failures: bool) -> list[dict[str, Any]]:
    """Check the findings and turn them into etl_finding rows; raise LoadError on a malformed one."""
    rows: list[dict[str, Any]] = []
    for number, raw in enumerate(findings):
        try:
            finding = raw if isinstance(raw, FindingRow) else FindingRow(**dict(raw))
        except TypeError as exc:
            raise LoadError(f"document {sha256[:12]}: finding {number} is malformed ({exc})") from None
        if finding.severity not in FINDING_SEVERITIES:
            raise LoadError(f"document {sha256[:12]}: finding {number} severity {finding.severity!r} is not error/warn")
        if finding.outcome not in FINDING_OUTCOMES:
            raise LoadError(
                f"document {sha256[:12]}: finding {number} outcome {finding.outcome!r} is not note/warning/failure"
            )
        row: dict[str, Any] = {k: (None if v is None else str(v)) for k, v in asdict(finding).items()}
        row["page"] = None if finding.page is None else int(finding.page)
        row["accepted"] = bool(finding.accepted) or (accept_failures and finding.outcome == "failure")
        row["sha256"] = sha256
        row["finding_no"] = number
        rows.append(row)
    return rows


def check_tables(sha256: str, tables: Sequence[TableSummary]) -> list[TableSummary]:
    """Return ``tables`` as a list; raise LoadError when a table code appears twice."""
    codes = [t.table_code for t in tables]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise LoadError(f"document {sha256[:12]}: table summaries repeat table {', '.join(twice)}")
    return list(tables)


def _group_column(column: str) -> Any:
    """A RETURNING column of the etl_document upsert: ``column`` of the document's group (scalar subquery)."""
    return literal_column(
        f"(SELECT {column} FROM dim_document d JOIN dim_department p ON p.department_key = d.department_key"  # noqa: S608 - fixed column names
        " WHERE d.sha256 = etl_document.sha256)"
    )


#: PostgreSQL: what the etl_document upsert returns (inserted?, then the group as ``document_group``).
_ETL_RETURNING: tuple[Any, ...] = (
    literal_column("xmax = 0"),
    _group_column("p.department_id"),
    _group_column("d.fiscal_year"),
    _group_column("d.phase"),
    _group_column("d.scope"),
)


def upsert_etl_document(
    conn: Connection,
    writer: FactWriter,
    *,
    document: Document,
    facts: DocumentFacts | None,
    pages: int | None,
    status: str,
    reasons: Sequence[str],
    tables: Sequence[TableSummary],
    facts_loaded: int,
    pipeline_version: str,
    now: datetime,
) -> tuple[bool | None, Group | None]:
    """Insert or update the document's etl_document row; on PostgreSQL return (inserted, group).

    PostgreSQL says both in the same statement: ``xmax = 0`` only on a row this INSERT created,
    and the group (as ``document_group``) read by the statement, after the department lock.
    Elsewhere (None, None): SQLite's writer holds the database's write lock, so a read before tells.
    """
    values = {
        "sha256": document.sha256,
        "source": document.source,
        "source_file": document.source_file,
        "status": status,
        "reasons": json.dumps([str(r) for r in reasons], ensure_ascii=False),
        "department": facts.department if facts else None,
        "fiscal_year": facts.fiscal_year if facts else None,
        "phase": facts.phase if facts else None,
        "pages": pages,
        "tables_found": sum(1 for t in tables if t.present),
        "facts_loaded": facts_loaded,
        "pipeline_version": pipeline_version,
        "updated_at": now,
        "accepted_at": None,
        "accept_reason": None,
    }
    # acceptance is a steward's decision: a reload must not clear it
    tells = writer.upsert_returns_state
    stmt = cached_upsert(
        writer,
        ETL_DOCUMENT,
        values,
        ("sha256",),
        ("accepted_at", "accept_reason"),
        *(_ETL_RETURNING if tells else ()),
    )
    if not tells:
        conn.execute(stmt, values)
        return None, None
    inserted, department_id, year, phase, scope = conn.execute(stmt, values).one()
    group = None if department_id is None else (str(department_id), int(year), phase, scope)
    return bool(inserted), group


def book_loaded_document(
    conn: Connection,
    writer: FactWriter,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    reasons: Sequence[str],
    tables: Sequence[TableSummary],
    facts_loaded: int,
    pipeline_version: str,
    now: datetime,
) -> tuple[bool, Group | None]:
    """Upsert etl_document as 'loaded'; return (etl_document did not know it, its group before this load).

    A document etl_document did not know has no facts, findings or etl_table rows to replace.
    """
    # PostgreSQL: the upsert itself returns the group and whether it inserted; SQLite: read first
    previous_group, known = (None, False) if writer.upsert_returns_state else document_state(conn, document.sha256)
    inserted, group = upsert_etl_document(
        conn,
        writer,
        document=document,
        facts=facts,
        pages=pages,
        status="loaded",
        reasons=reasons,
        tables=tables,
        facts_loaded=facts_loaded,
        pipeline_version=pipeline_version,
        now=now,
    )
    if inserted is None:
        return not known, previous_group
    return inserted, group


def record_acceptance(conn: Connection, sha256: str, reason: str | None, now: datetime) -> None:
    """Set accepted_at (unless already set) and the reason (when given) of an accepted document."""
    e = ETL_DOCUMENT.c
    conn.execute(
        update(ETL_DOCUMENT)
        .where(e.sha256 == sha256)
        .values(
            accepted_at=func.coalesce(e.accepted_at, now),
            accept_reason=func.coalesce(reason, e.accept_reason),
        )
    )


def replace_findings(
    conn: Connection, writer: FactWriter, sha256: str, rows: Sequence[dict[str, Any]], *, fresh: bool = False
) -> None:
    """Replace the document's etl_finding rows (``fresh``: it has none yet, nothing to delete)."""
    if not fresh:
        conn.execute(delete(ETL_FINDING).where(ETL_FINDING.c.sha256 == sha256))
    if rows:
        writer.insert_rows(conn, ETL_FINDING, rows)


def replace_etl_tables(
    conn: Connection, writer: FactWriter, sha256: str, tables: Sequence[TableSummary], *, fresh: bool = False
) -> None:
    """Replace the document's etl_table rows with ``tables`` (``fresh``: it has none yet, nothing to delete)."""
    if not fresh:
        conn.execute(delete(ETL_TABLE).where(ETL_TABLE.c.sha256 == sha256))
    rows = [
        {
            "sha256": sha256,
            "table_code": t.table_code,
            "title": t.title,
            "pages": ",".join(str(p) for p in t.pages),
            "present": bool(t.present),
            "is_empty": bool(t.is_empty),
            "rows": int(t.rows),
            "cells": int(t.cells),
            "unit": t.unit,
            "accuracy": t.accuracy,
            "whitespace": t.whitespace,
            "note": t.note,
            "outside_chars_pct": t.outside_chars_pct,
            "table_type": t.table_type,
            "ocr_confidence": t.ocr_confidence,
        }
        for t in tables
    ]
    if rows:
        writer.insert_rows(conn, ETL_TABLE, rows)

