"""A data steward's decisions: retract a document, alias a department name, accept a quarantined document.

Each is one transaction (retried like a load on concurrency errors) and leaves the warehouse
consistent: currency of the affected documents and SCD-2 validity of the affected departments are
recomputed with the loader's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select, update

from warehouse.currency import document_group, refresh_currency
from warehouse.dimensions import refresh_department_versions, resolve_department_id
from warehouse.errors import DocumentNotFoundError, WarehouseError
from warehouse.tables import DIM_DEPARTMENT, DIM_DEPARTMENT_ALIAS, DIM_DOCUMENT, ETL_DOCUMENT, ETL_FINDING
from warehouse.transactions import lock_department, run_in_transaction
from warehouse.writers import upsert


class StewardError(WarehouseError, ValueError):
    """A steward's request cannot be applied as given (the message says why)."""


@dataclass(frozen=True)
class Acceptance:
    """A steward's acceptance of a document despite failed rules."""

    accepted_at: datetime
    reason: str | None


def retract_document(engine: Engine, sha256: str, reason: str) -> str | None:
    """Retract a loaded document: no longer current, facts kept as history; return the sha256 now current, if any.

    The version it had superseded (the previous one first loaded before it) becomes current
    again. ``etl_document.status`` becomes 'retracted'. Retracting twice keeps the first time.
    """
    if not reason.strip():
        raise StewardError("a retraction needs a reason")

    def work(conn: Connection) -> str | None:
        """Mark the document retracted and recompute its group."""
        group = document_group(conn, sha256)
        if group is None:
            raise DocumentNotFoundError(f"document {sha256[:16]} is not in the warehouse (never loaded)")
        lock_department(conn, group[0])
        doc = DIM_DOCUMENT.c
        conn.execute(
            update(DIM_DOCUMENT)
            .where(doc.sha256 == sha256, doc.retracted_at.is_(None))
            .values(retracted_at=datetime.now(UTC), retract_reason=reason)
        )
        refresh_currency(conn, *group)
        return _current_of(conn, group)

    return run_in_transaction(engine, work)


def restore_document(engine: Engine, sha256: str) -> str | None:
    """Undo a retraction; the group's current document is recomputed (return its sha256).

    Raises :class:`StewardError` for a document that is not retracted (nothing to undo).
    """

    def work(conn: Connection) -> str | None:
        """Clear the retraction and recompute the document's group."""
        group = document_group(conn, sha256)
        if group is None:
            raise DocumentNotFoundError(f"document {sha256[:16]} is not in the warehouse (never loaded)")
        lock_department(conn, group[0])
        retracted = conn.execute(select(DIM_DOCUMENT.c.retracted_at).where(DIM_DOCUMENT.c.sha256 == sha256)).scalar()
        if retracted is None:
            status = conn.execute(select(ETL_DOCUMENT.c.status).where(ETL_DOCUMENT.c.sha256 == sha256)).scalar()
            raise StewardError(f"document {sha256[:12]} is not retracted (status {status}): nothing to restore")
        conn.execute(
            update(DIM_DOCUMENT)
            .where(DIM_DOCUMENT.c.sha256 == sha256)
            .values(retracted_at=None, retract_reason=None)
        )
        refresh_currency(conn, *group)
        return _current_of(conn, group)

    return run_in_transaction(engine, work)


def add_department_alias(engine: Engine, old: str, new: str, note: str | None = None) -> str:
    """Make documents printed under ``old`` belong to ``new``'s department; return that department_id.

    ``new`` must be a department the warehouse knows: a printed name, an alias or a department_id
    (a :class:`StewardError` otherwise: a mistyped name would become the identity of ``old``'s
    department). ``old`` need not be known yet: documents printed under it later join ``new``.
    Every version of ``old``'s department (and the aliases pointing at it) moves to ``new``'s
    department: its facts keep their printed name, its history is one department from now on, and
    documents of the merged department for the same year, phase and scope compete for currency (the
    first loaded last wins).
    """
    old, new = old.strip(), new.strip()
    if not old or not new:
        raise StewardError("an alias needs an old and a new department name")
    if old == new:
        raise StewardError(f"{old!r} cannot be an alias of itself")

    def work(conn: Connection) -> str:
        """Record the alias, re-point the old department's versions, recompute validity and currency."""
        if not _department_known(conn, new):
            raise StewardError(
                f"no department {new!r} in the warehouse (no printed name, alias or department_id): "
                f"{old!r} can only join a department that exists"
            )
        target = resolve_department_id(conn, new)
        source = resolve_department_id(conn, old)
        for department_id in sorted({target, source}):  # one lock order for all writers
            lock_department(conn, department_id)
        values = {"alias_name": old, "department_id": target, "created_at": datetime.now(UTC), "note": note}
        conn.execute(upsert(conn, DIM_DEPARTMENT_ALIAS, values, ("alias_name",)))
        if source != target:
            conn.execute(
                update(DIM_DEPARTMENT).where(DIM_DEPARTMENT.c.department_id == source).values(department_id=target)
            )
            conn.execute(
                update(DIM_DEPARTMENT_ALIAS)
                .where(DIM_DEPARTMENT_ALIAS.c.department_id == source)
                .values(department_id=target)
            )
        refresh_department_versions(conn, target)
        doc, dep = DIM_DOCUMENT.c, DIM_DEPARTMENT.c
        groups = conn.execute(
            select(doc.fiscal_year, doc.phase, doc.scope)
            .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
            .where(dep.department_id == target)
            .distinct()
        ).all()
        for fiscal_year, phase, scope in groups:
            refresh_currency(conn, target, int(fiscal_year), phase, scope)
        return target

    return run_in_transaction(engine, work)


def _department_known(conn: Connection, name: str) -> bool:
    """True when ``name`` is a printed name, an alias or a department_id of the warehouse."""
    dep, alias = DIM_DEPARTMENT.c, DIM_DEPARTMENT_ALIAS.c
    found = conn.execute(
        select(dep.department_key).where((dep.name == name) | (dep.department_id == name)).limit(1)
    ).first() or conn.execute(select(alias.alias_name).where(alias.alias_name == name).limit(1)).first()
    return found is not None


def mark_accepted(engine: Engine, sha256: str, reason: str) -> None:
    """Record a steward's acceptance of a (quarantined) document; its failure findings become accepted.

    The pipeline then re-runs the document and loads it with
    ``load_document(..., dq_flag="accepted", accept_reason=reason)`` (see ``acceptance``).
    """
    if not reason.strip():
        raise StewardError("an acceptance needs a reason")

    def work(conn: Connection) -> None:
        """Stamp etl_document and the document's failure findings."""
        e = ETL_DOCUMENT.c
        done = conn.execute(
            update(ETL_DOCUMENT).where(e.sha256 == sha256).values(accepted_at=datetime.now(UTC), accept_reason=reason)
        ).rowcount
        if done != 1:
            raise DocumentNotFoundError(f"document {sha256[:16]} was never received")
        x = ETL_FINDING.c
        conn.execute(
            update(ETL_FINDING).where(x.sha256 == sha256, x.outcome == "failure").values(accepted=True)
        )

    run_in_transaction(engine, work)


def acceptance(engine: Engine, sha256: str) -> Acceptance | None:
    """Return the steward's acceptance of a document, or None when it was never accepted."""
    e = ETL_DOCUMENT.c
    with engine.connect() as conn:
        row = conn.execute(select(e.accepted_at, e.accept_reason).where(e.sha256 == sha256)).one_or_none()
    if row is None or row.accepted_at is None:
        return None
    return Acceptance(accepted_at=row.accepted_at, reason=row.accept_reason)


def _current_of(conn: Connection, group: tuple[str, int, str | None, str | None]) -> str | None:
    """Return the sha256 of the current document of a (department_id, year, phase, scope) group."""
    department_id, fiscal_year, phase, scope = group
    doc, dep = DIM_DOCUMENT.c, DIM_DEPARTMENT.c
    return conn.execute(
        select(doc.sha256)
        .join_from(DIM_DOCUMENT, DIM_DEPARTMENT, dep.department_key == doc.department_key)
        .where(
            dep.department_id == department_id,
            doc.fiscal_year == fiscal_year,
            doc.phase.is_(None) if phase is None else doc.phase == phase,
            doc.scope.is_(None) if scope is None else doc.scope == scope,
            doc.is_current.is_(True),
        )
    ).scalar_one_or_none()
