"""SQL of the harvest: the fetch manifest (``etl_fetch`` + ``etl_fetch_history``), ``etl_run``, rerun selections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from extract.models import FetchResult, PreviousFetch
from warehouse.db import SQLITE_BEGIN_OPTION
from warehouse.models import EtlDocument, EtlFetch, EtlFetchHistory, EtlRun

_FETCH: Table = EtlFetch.__table__  # type: ignore[assignment]
_HISTORY: Table = EtlFetchHistory.__table__  # type: ignore[assignment]
_RUN: Table = EtlRun.__table__  # type: ignore[assignment]
_DOCUMENT: Table = EtlDocument.__table__  # type: ignore[assignment]


def _now() -> datetime:
    return datetime.now(UTC)


def _write(engine: Engine) -> Connection:
    """A connection whose transaction takes SQLite's write lock at BEGIN (no upgrade deadlocks)."""
    return engine.connect().execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})


class SqlFetchManifest:
    """The FetchManifest of extract.harvest, kept in the warehouse: one row per URL plus a history row per fetch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lookup(self, url: str) -> PreviousFetch | None:
        """Validators and last sha256 of ``url`` (None when it never delivered a document)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(_FETCH.c.sha256, _FETCH.c.etag, _FETCH.c.last_modified).where(_FETCH.c.url == url)
            ).first()
        if row is None or row.sha256 is None:
            return None
        return PreviousFetch(row.sha256, row.etag, row.last_modified)

    def known_sha(self, sha256: str) -> bool:
        """True when a URL delivered this content before, or the document was received otherwise."""
        with self.engine.connect() as conn:
            fetched = conn.execute(select(_FETCH.c.url).where(_FETCH.c.sha256 == sha256).limit(1)).first()
            if fetched is not None:
                return True
            return conn.execute(select(_DOCUMENT.c.sha256).where(_DOCUMENT.c.sha256 == sha256)).first() is not None

    def record(self, result: FetchResult) -> None:
        """Update the URL's row (an error keeps the last good content and validators) and append history."""
        for attempt in range(2):
            try:
                with _write(self.engine) as conn, conn.begin():
                    self._record(conn, result)
                return
            except IntegrityError:
                if attempt:  # two writers inserted the same new URL at once: the second updates
                    raise

    @staticmethod
    def _record(conn: Connection, result: FetchResult) -> None:
        at = result.fetched_at
        outcome = result.outcome if not result.error else f"{result.outcome}: {result.error}"
        conn.execute(
            insert(_HISTORY).values(
                url=result.url, sha256=result.sha256, http_status=result.http_status, bytes=result.bytes,
                fetched_at=at, outcome=outcome,
            )
        )
        row = conn.execute(select(_FETCH).where(_FETCH.c.url == result.url)).first()
        if result.ok:
            values = {
                "sha256": result.sha256,
                "etag": result.etag,
                "last_modified": result.last_modified,
                "http_status": result.http_status,
                "last_seen": at,
                "error": None,
            }
            if result.bytes is not None:  # a 304 has no body: keep the size of the content we hold
                values["bytes"] = result.bytes
            if row is None or row.sha256 != result.sha256:
                values["last_changed"] = at
        else:
            values = {"http_status": result.http_status, "last_seen": at, "error": f"{result.outcome}: {result.error}"}
        if row is None:
            conn.execute(insert(_FETCH).values(url=result.url, first_seen=at, **{"bytes": result.bytes, **values}))
        else:
            conn.execute(update(_FETCH).where(_FETCH.c.url == result.url).values(**values))


# --------------------------------------------------------------------------- runs


def start_run(engine: Engine, run_id: str, flow_run_id: str | None = None) -> None:
    """Insert a ``running`` etl_run row."""
    with _write(engine) as conn, conn.begin():
        conn.execute(
            insert(_RUN).values(
                run_id=run_id, flow_run_id=flow_run_id, started_at=_now(), finished_at=None,
                documents_new=0, documents_unchanged=0, documents_loaded=0, documents_quarantined=0,
                documents_failed=0, documents_skipped=0, facts_loaded=0, status="running",
            )
        )


@dataclass(frozen=True)
class RunCounts:
    """The figures of a finished run, as etl_run stores them."""

    new: int = 0
    unchanged: int = 0
    loaded: int = 0
    quarantined: int = 0
    failed: int = 0
    skipped: int = 0
    facts_loaded: int = 0


def finish_run(engine: Engine, run_id: str, counts: RunCounts, status: str = "completed") -> None:
    """Close an etl_run row with its figures and status (``completed`` or ``failed``)."""
    with _write(engine) as conn, conn.begin():
        conn.execute(
            update(_RUN)
            .where(_RUN.c.run_id == run_id)
            .values(
                finished_at=_now(), status=status, documents_new=counts.new, documents_unchanged=counts.unchanged,
                documents_loaded=counts.loaded, documents_quarantined=counts.quarantined,
                documents_failed=counts.failed, documents_skipped=counts.skipped, facts_loaded=counts.facts_loaded,
            )
        )


# --------------------------------------------------------------------------- what to (re)process


def processed_documents(engine: Engine, shas: Iterable[str], pipeline_version: str) -> set[str]:
    """The documents among ``shas`` that etl_document says this pipeline version already processed."""
    wanted = sorted(set(shas))
    done: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(wanted), 500):  # bounded IN lists
            chunk = wanted[start : start + 500]
            done.update(
                conn.execute(
                    select(_DOCUMENT.c.sha256).where(
                        _DOCUMENT.c.sha256.in_(chunk), _DOCUMENT.c.pipeline_version == pipeline_version
                    )
                ).scalars()
            )
    return done


def first_fetched_at(engine: Engine, sha256: str) -> datetime | None:
    """When these bytes were first downloaded (any URL), or None for files that were never fetched."""
    with engine.connect() as conn:
        value = conn.execute(select(func.min(_HISTORY.c.fetched_at)).where(_HISTORY.c.sha256 == sha256)).scalar()
    if isinstance(value, str):  # SQLite without declared types in an aggregate
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class StoredDocument:
    """A document the warehouse knows, for a rerun from its stored bytes."""

    sha256: str
    source: str
    pipeline_version: str
    status: str


def rerun_selection(
    engine: Engine, *, document: str | None = None, department: str | None = None, year: int | None = None
) -> list[StoredDocument]:
    """Documents matching a sha256 prefix, a department name (substring) and/or a fiscal year."""
    query = select(_DOCUMENT.c.sha256, _DOCUMENT.c.source, _DOCUMENT.c.pipeline_version, _DOCUMENT.c.status)
    if document:
        query = query.where(_DOCUMENT.c.sha256.startswith(document.lower(), autoescape=True))
    if department:
        query = query.where(_DOCUMENT.c.department.contains(department, autoescape=True))
    if year is not None:
        query = query.where(_DOCUMENT.c.fiscal_year == year)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(_DOCUMENT.c.sha256)).all()
    return [StoredDocument(r.sha256, r.source, r.pipeline_version, r.status) for r in rows]


def fetch_counts(engine: Engine) -> dict[str, int]:
    """URLs in the manifest, and how many of them currently carry an error."""
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(_FETCH)).scalar_one()
        failing = conn.execute(select(func.count()).select_from(_FETCH).where(_FETCH.c.error.is_not(None))).scalar_one()
    return {"urls": int(total), "failing": int(failing)}
