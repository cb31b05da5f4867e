"""The transactional loader: one document's ``stg_cells`` into the star schema, in one transaction.

``load_document`` replaces a document's facts; ``record_document`` books a document that is not
loaded (failed / quarantined / skipped) and removes anything it had in the star. Each is one
transaction (``warehouse.transactions``), retried as a unit on concurrency errors. The work is
done by the modules below, each with one job:

- ``warehouse.tables``: the table handles and how each dimension is keyed;
- ``warehouse.cells``: stg_cells → checked cells → fact rows (pure);
- ``warehouse.dimensions``: get-or-create of dim_* members, SCD-2 department versions;
- ``warehouse.currency``: dim_document and which document of a group is current;
- ``warehouse.writers``: the ``FactWriter`` of the engine (SQLite executemany, PostgreSQL COPY);
- ``warehouse.bookkeeping``: etl_document, etl_table and etl_finding rows;
- ``warehouse.transactions``: write transactions, retries, per-department locks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection, Engine

from extract.models import Document, DocumentFacts, TableSummary
from warehouse.bookkeeping import (
    NOT_LOADED_STATUSES,
    FindingLike,
    book_loaded_document,
    check_tables,
    finding_rows,
    record_acceptance,
    replace_etl_tables,
    replace_findings,
    upsert_etl_document,
)
from warehouse.cells import DQ_FLAGS, fact_rows, prepare_cells
from warehouse.currency import (
    document_group,
    recompute_currency,
    refresh_currency,
    remove_document,
    upsert_dim_document,
)
from warehouse.dimensions import department_version, dimension_keys
from warehouse.errors import LoadError
from warehouse.transactions import lock_department, resolve_and_lock, run_in_transaction
from warehouse.writers import delete_facts, fact_writer, insert_facts

__all__ = ["LoadResult", "load_document", "record_document"]


@dataclass(frozen=True)
class LoadResult:
    """What ``load_document`` did: the document, its facts, the time taken, and its currency."""

    sha256: str
    facts_loaded: int
    seconds: float
    is_current: bool = True
    #: sha256 of the documents this load made superseded (a corrected republication replaced them).
    superseded: tuple[str, ...] = ()


def load_document(
    engine: Engine,
    *,
    document: Document,
    facts: DocumentFacts,
    pages: int,
    stg_cells: pd.DataFrame,
    tables: Sequence[TableSummary],
    pipeline_version: str,
    reasons: Sequence[str] = (),
    findings: Sequence[FindingLike] = (),
    dq_flag: str | None = None,
    accept_reason: str | None = None,
    source_url: str | None = None,
    fetched_at: datetime | None = None,
    region: str | None = None,
    city: str | None = None,
) -> LoadResult:
    """Load one document's staged cells into the star schema in one transaction.

    Parameters
    ----------
    engine
        Warehouse engine (from ``warehouse.db.make_engine``), schema at head.
    document, facts, pages
        The received file, what it says about itself (``facts.scope`` included), and its page count.
    stg_cells
        The document's cells, satisfying the ``transform.stg_cells`` contract (an optional
        ``dq_flag`` column is stored as is and wins over the ``dq_flag`` argument).
    tables
        What was found of each table; replaces the document's ``etl_table`` rows. Each one's
        ``table_type`` is also the kind of table its measures belong to (``dim_measure.table_type``;
        a 预算's tables must carry it, a 决算's standard codes have theirs).
    pipeline_version
        Version of the pipeline that produced ``stg_cells``.
    reasons
        Notes to keep with a loaded document (e.g. validation warnings); usually empty.
    findings
        Validation findings (``FindingRow`` or dicts with its field names, as
        ``expectations.findings.finding_record`` gives them); replace the document's
        ``etl_finding`` rows.
    dq_flag
        None, or 'accepted' when a steward accepted the document despite failed rules: every fact
        without a flag of its own gets it, failure findings are stored accepted, and
        ``etl_document.accepted_at`` / ``accept_reason`` are set (kept when already set).
    accept_reason
        Why the document was accepted (with ``dq_flag='accepted'``; ``mark_accepted`` stores it too).
    source_url, fetched_at
        Where and when the harvester fetched the file (None for local files).
    region, city
        Where the department sits (from settings or source hints); stored when given.

    Returns
    -------
    LoadResult
        The sha256, its number of facts, the seconds spent, whether it is now current and which
        documents it superseded.

    Raises
    ------
    LoadError
        The document lacks department or fiscal year, a cell cannot be stored exactly, a finding
        is malformed, or ``dq_flag`` is unknown (nothing is written).
    transform.stg_cells.StgCellsContractError
        ``stg_cells`` does not satisfy its contract (nothing is written).
    NotImplementedError
        The engine is neither SQLite nor PostgreSQL (nothing is written).

    Notes
    -----
    Loading the same input again leaves every table identical except timestamps: dimension
    members are found by natural key, ``document_key`` is kept by the upsert, and a cell that
    was loaded before keeps its ``amount_key``. Any exception rolls the whole transaction back.

    """
    started = time.perf_counter()
    sha256 = document.sha256
    if not facts.department:
        raise LoadError(f"document {sha256[:12]}: no department was read, it cannot be loaded")
    if facts.fiscal_year is None:
        raise LoadError(f"document {sha256[:12]}: no fiscal year was read, it cannot be loaded")
    if dq_flag is not None and dq_flag not in DQ_FLAGS:
        raise LoadError(f"document {sha256[:12]}: dq_flag must be None or one of {', '.join(DQ_FLAGS)}")
    cells = prepare_cells(sha256, stg_cells)
    summaries = check_tables(sha256, tables)
    findings_to_store = finding_rows(sha256, findings, accept_failures=dq_flag == "accepted")
    department, year = facts.department, facts.fiscal_year
    # a document that printed no phase is read as a 决算 (as the pipeline validates it); its measures say so
    measure_phase = facts.phase or "决算"
    table_types = {t.table_code: t.table_type for t in summaries if t.table_type}
    writer = fact_writer(engine)

    def attempt(conn: Connection) -> tuple[bool, tuple[str, ...]]:
        """The whole load, on one connection inside one transaction (retried as a unit)."""
        now = datetime.now(UTC)
        department_id = resolve_and_lock(conn, department)
        fresh, previous_group = book_loaded_document(
            conn,
            writer,
            document=document,
            facts=facts,
            pages=pages,
            reasons=reasons,
            tables=summaries,
            facts_loaded=len(cells),
            pipeline_version=pipeline_version,
            now=now,
        )
        if dq_flag == "accepted":
            record_acceptance(conn, sha256, accept_reason, now)
        department_key = department_version(conn, writer, department, department_id, year, region, city)
        document_key = upsert_dim_document(
            conn,
            writer,
            document=document,
            facts=facts,
            pages=pages,
            department_key=department_key,
            pipeline_version=pipeline_version,
            now=now,
            source_url=source_url,
            fetched_at=fetched_at,
        )
        keys = dimension_keys(conn, writer, cells, year, phase=measure_phase, table_types=table_types)
        rows = fact_rows(
            cells, keys, document_key=document_key, department_key=department_key, year=year, dq_flag=dq_flag
        )
        old_keys = {} if fresh else delete_facts(conn, document_key)
        insert_facts(conn, writer, rows, old_keys)
        replace_findings(conn, writer, sha256, findings_to_store, fresh=fresh)
        replace_etl_tables(conn, writer, sha256, summaries, fresh=fresh)
        superseded: list[str] = []
        if previous_group is not None and previous_group != (department_id, year, facts.phase, facts.scope):
            superseded += recompute_currency(conn, *previous_group)[0]
        newly, current_key = recompute_currency(conn, department_id, year, facts.phase, facts.scope)
        superseded += newly
        return current_key == document_key, tuple(s for s in superseded if s != sha256)

    is_current, superseded = run_in_transaction(engine, attempt)
    return LoadResult(
        sha256=sha256,
        facts_loaded=len(cells),
        seconds=time.perf_counter() - started,
        is_current=is_current,
        superseded=superseded,
    )


def record_document(
    engine: Engine,
    *,
    document: Document,
    facts: DocumentFacts | None,
    pages: int | None,
    status: str,
    reasons: Sequence[str],
    tables: Sequence[TableSummary],
    pipeline_version: str,
    findings: Sequence[FindingLike] = (),
) -> int:
    """Book a document that is not loaded (failed / quarantined / skipped) and remove its facts.

    One transaction: upsert ``etl_document`` (``facts_loaded`` 0), replace its ``etl_table`` and
    ``etl_finding`` rows, delete whatever ``fct_amount`` and ``dim_document`` rows an earlier load
    left for this sha256 (the version it had superseded becomes current again).

    Parameters
    ----------
    engine
        Warehouse engine (from ``warehouse.db.make_engine``), schema at head.
    document, facts, pages
        The received file, what was read of it (None when nothing could be read) and its page count.
    status
        'failed', 'quarantined' or 'skipped'.
    reasons
        Why the document is not loaded; stored as a JSON list in ``etl_document.reasons``.
    tables
        What was found of each standard table; replaces the document's ``etl_table`` rows.
    pipeline_version
        Version of the pipeline that processed the document.
    findings
        Validation findings (``FindingRow`` or dicts with its field names); replace the
        document's ``etl_finding`` rows.

    Returns
    -------
    int
        The number of facts removed (those an earlier load of this sha256 had stored).

    Raises
    ------
    ValueError
        ``status`` is not one of the not-loaded statuses (nothing is written).
    LoadError
        A table code repeats in ``tables`` or a finding is malformed (nothing is written).
    NotImplementedError
        The engine is neither SQLite nor PostgreSQL (nothing is written).

    """
    if status not in NOT_LOADED_STATUSES:
        raise ValueError(f"status must be one of {', '.join(NOT_LOADED_STATUSES)}, not {status!r}")
    summaries = check_tables(document.sha256, tables)
    findings_to_store = finding_rows(document.sha256, findings, accept_failures=False)
    writer = fact_writer(engine)

    def attempt(conn: Connection) -> int:
        """Book the document and clear its star rows, inside one transaction."""
        group = document_group(conn, document.sha256)
        if group is not None:
            lock_department(conn, group[0])
        upsert_etl_document(
            conn,
            writer,
            document=document,
            facts=facts,
            pages=pages,
            status=status,
            reasons=reasons,
            tables=summaries,
            facts_loaded=0,
            pipeline_version=pipeline_version,
            now=datetime.now(UTC),
        )
        removed = remove_document(conn, document.sha256)
        replace_findings(conn, writer, document.sha256, findings_to_store)
        replace_etl_tables(conn, writer, document.sha256, summaries)
        if group is not None:
            refresh_currency(conn, *group)
        return removed

    return run_in_transaction(engine, attempt)
