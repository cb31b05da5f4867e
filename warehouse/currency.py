"""Currency: which document of a (department_id, fiscal_year, phase, scope) group is current.

Of the documents of one group the one *first loaded* last is current; the others are 'superseded'
(facts kept as history) or 'retracted' by a steward. Reloading an older sha256 keeps its first
load time, so reruns over a folder holding both versions never flip which one is current; to go
back to an older version, retract the newer. ``dim_document`` holds each loaded document with its
currency columns; ``etl_document.status`` follows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, select, update

from extract.models import Document, DocumentFacts
from warehouse.tables import DIM_DEPARTMENT, DIM_DOCUMENT, ETL_DOCUMENT, FCT_AMOUNT
from warehouse.writers import FactWriter, cached_upsert

#: A document's group: (department_id, fiscal_year, phase, scope).
Group = tuple[str, int, str | None, str | None]


def document_group(conn: Connection, sha256: str) -> Group | None:
    """Return the (department_id, fiscal_year, phase, scope) of a document in dim_document, or None."""
    doc, dep = DIM_DOCUMENT.c, DIM_DEPARTMENT.c
    row = conn.execute(
        select(dep.department_id, doc.fiscal_year, doc.phase, doc.scope)
        .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
        .where(doc.sha256 == sha256)
    ).one_or_none()
    return None if row is None else (str(row[0]), int(row[1]), row[2], row[3])


_DOCUMENT_STATE = (
    select(DIM_DEPARTMENT.c.department_id, DIM_DOCUMENT.c.fiscal_year, DIM_DOCUMENT.c.phase, DIM_DOCUMENT.c.scope)
    .select_from(ETL_DOCUMENT)
    .outerjoin(DIM_DOCUMENT, DIM_DOCUMENT.c.sha256 == ETL_DOCUMENT.c.sha256)
    .outerjoin(DIM_DEPARTMENT, DIM_DEPARTMENT.c.department_key == DIM_DOCUMENT.c.department_key)
    .where(ETL_DOCUMENT.c.sha256 == bindparam("sha256"))
)


def document_state(conn: Connection, sha256: str) -> tuple[Group | None, bool]:
    """Return the document's group (as ``document_group``) and whether etl_document knows it, in one SELECT."""
    row = conn.execute(_DOCUMENT_STATE, {"sha256": sha256}).one_or_none()
    if row is None:
        return None, False
    if row[0] is None:
        return None, True
    return (str(row[0]), int(row[1]), row[2], row[3]), True


def refresh_currency(
    conn: Connection, department_id: str, fiscal_year: int, phase: str | None, scope: str | None
) -> list[str]:
    """Make the first-loaded-last, unretracted document of the group current; return the sha256s newly superseded.

    The others get ``is_current`` false and ``superseded_by`` the current one (retracted ones
    keep NULL); ``etl_document.status`` follows: 'loaded', 'superseded' or 'retracted'.
    """
    return recompute_currency(conn, department_id, fiscal_year, phase, scope)[0]


#: The group's documents, newest first load first; built once per NULL pattern of (phase, scope).
_GROUP_DOCUMENTS: dict[tuple[bool, bool], Select[*tuple[Any, ...]]] = {}


def _group_documents(phase_is_null: bool, scope_is_null: bool) -> Select[*tuple[Any, ...]]:
    """The SELECT of a group's documents with their currency and status (cached per NULL pattern)."""
    key = (phase_is_null, scope_is_null)
    stmt = _GROUP_DOCUMENTS.get(key)
    if stmt is None:
        doc, etl, dep = DIM_DOCUMENT.c, ETL_DOCUMENT.c, DIM_DEPARTMENT.c
        stmt = _GROUP_DOCUMENTS[key] = (
            select(doc.document_key, doc.sha256, doc.retracted_at, doc.is_current, doc.superseded_by, etl.status)
            .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
            .join(ETL_DOCUMENT, etl.sha256 == doc.sha256)
            .where(
                dep.department_id == bindparam("department_id"),
                doc.fiscal_year == bindparam("fiscal_year"),
                doc.phase.is_(None) if phase_is_null else doc.phase == bindparam("phase"),
                doc.scope.is_(None) if scope_is_null else doc.scope == bindparam("scope"),
            )
            .order_by(doc.first_loaded_at.desc(), doc.document_key.desc())
        )
    return stmt


def recompute_currency(
    conn: Connection, department_id: str, fiscal_year: int, phase: str | None, scope: str | None
) -> tuple[list[str], int | None]:
    """``refresh_currency``, also returning the document_key now current in the group (None if none)."""
    doc, etl = DIM_DOCUMENT.c, ETL_DOCUMENT.c
    params = {"department_id": department_id, "fiscal_year": fiscal_year, "phase": phase, "scope": scope}
    rows = conn.execute(_group_documents(phase is None, scope is None), params).all()
    live = [r for r in rows if r.retracted_at is None]
    current_key = live[0].document_key if live else None
    newly_superseded: list[str] = []
    for row in rows:
        if row.retracted_at is not None:
            values: dict[str, Any] = {"is_current": False, "superseded_by": None}
            status = "retracted"
        elif row.document_key == current_key:
            values = {"is_current": True, "superseded_by": None}
            status = "loaded"
        else:
            values = {"is_current": False, "superseded_by": current_key}
            status = "superseded"
            if row.status != "superseded":
                newly_superseded.append(str(row.sha256))
        if (bool(row.is_current), row.superseded_by) != (values["is_current"], values["superseded_by"]):
            conn.execute(update(DIM_DOCUMENT).where(doc.document_key == row.document_key).values(**values))
        if row.status != status:
            conn.execute(update(ETL_DOCUMENT).where(etl.sha256 == row.sha256).values(status=status))
    return newly_superseded, (None if current_key is None else int(current_key))


def upsert_dim_document(
    conn: Connection,
    writer: FactWriter,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    department_key: int,
    pipeline_version: str,
    now: datetime,
    source_url: str | None = None,
    fetched_at: datetime | None = None,
) -> int:
    """Insert or update the document's dim_document row; return its (stable) document_key.

    Currency columns are only set on insert (``refresh_currency`` owns them afterwards); the
    first load time is kept, so a reload does not make an older version current again.
    """
    values = {
        "sha256": document.sha256,
        "source": document.source,
        "source_file": document.source_file,
        "title": facts.title,
        "pages": pages,
        "phase": facts.phase,
        "unit": facts.unit,
        "fiscal_year": facts.fiscal_year,
        "department_key": department_key,
        "pipeline_version": pipeline_version,
        "loaded_at": now,
        "first_loaded_at": now,
        "scope": facts.scope,
        "source_url": source_url,
        "fetched_at": fetched_at,
        "is_current": True,
        "superseded_by": None,
        "retracted_at": None,
        "retract_reason": None,
    }
    keep = ("first_loaded_at", "is_current", "superseded_by", "retracted_at", "retract_reason")
    stmt = cached_upsert(writer, DIM_DOCUMENT, values, ("sha256",), keep, DIM_DOCUMENT.c.document_key)
    return int(conn.execute(stmt, values).scalar_one())


def remove_document(conn: Connection, sha256: str) -> int:
    """Delete a document's facts and dim_document row (the documents it superseded lose the pointer); return the facts removed."""
    document_keys = select(DIM_DOCUMENT.c.document_key).where(DIM_DOCUMENT.c.sha256 == sha256)
    removed = conn.execute(delete(FCT_AMOUNT).where(FCT_AMOUNT.c.document_key.in_(document_keys))).rowcount
    conn.execute(
        update(DIM_DOCUMENT).where(DIM_DOCUMENT.c.superseded_by.in_(document_keys)).values(superseded_by=None)
    )
    conn.execute(delete(DIM_DOCUMENT).where(DIM_DOCUMENT.c.sha256 == sha256))
    return max(int(removed), 0)

