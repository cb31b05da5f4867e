"""SQL of the harvest: fetch manifest (etl_fetch, etl_fetch_history), broken links, etl_run, rerun selections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from extract.fetch_manifest import BrokenLink, LinkKind, failed_again, failure_reason
from extract.models import FetchResult, PreviousFetch
from warehouse.db import SQLITE_BEGIN_OPTION
from warehouse.models import EtlBrokenLink, EtlDocument, EtlFetch, EtlFetchHistory, EtlRun

_FETCH: Table = EtlFetch.__table__  # type: ignore[assignment]
_BROKEN: Table = EtlBrokenLink.__table__  # type: ignore[assignment]
_HISTORY: Table = EtlFetchHistory.__table__  # type: ignore[assignment]
_RUN: Table = EtlRun.__table__  # type: ignore[assignment]
_DOCUMENT: Table = EtlDocument.__table__  # type: ignore[assignment]


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite gives naive ones, or text from an aggregate)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _broken_link(row: Any) -> BrokenLink:
    """An etl_broken_link row as a BrokenLink."""
    kind: LinkKind = "page" if row.kind == "page" else "document"
    return BrokenLink(
        url=row.url, source=row.source, kind=kind, failures=int(row.failures), first_failed_at=_utc(row.first_failed_at),
        last_failed_at=_utc(row.last_failed_at), next_retry_at=_utc(row.next_retry_at), reason=row.reason,
        http_status=row.http_status,
    )


def _write_broken(conn: Connection, url: str, state: BrokenLink | None, existed: bool) -> None:
    """Store a URL's failure streak (None: it works again, the row goes)."""
    if state is None:
        if existed:
            conn.execute(delete(_BROKEN).where(_BROKEN.c.url == url))
        return
    values = {
        "source": state.source, "kind": state.kind, "failures": state.failures, "first_failed_at": state.first_failed_at,
        "last_failed_at": state.last_failed_at, "next_retry_at": state.next_retry_at, "http_status": state.http_status,
        "reason": state.reason,
    }
    if existed:
        conn.execute(update(_BROKEN).where(_BROKEN.c.url == url).values(**values))
    else:
        conn.execute(insert(_BROKEN).values(url=url, **values))


def _current_broken(conn: Connection, url: str) -> BrokenLink | None:
    """The URL's stored failure streak, read inside the writer's transaction."""
    row = conn.execute(select(_BROKEN).where(_BROKEN.c.url == url)).first()
    return None if row is None else _broken_link(row)


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
                select(_FETCH.c.sha256, _FETCH.c.etag, _FETCH.c.last_modified, _FETCH.c.file_name).where(_FETCH.c.url == url)
            ).first()
        if row is None or row.sha256 is None:
            return None
        return PreviousFetch(row.sha256, row.etag, row.last_modified, row.file_name)

    def known_sha(self, sha256: str) -> bool:
        """True when a URL delivered this content before, or the document was received otherwise."""
        with self.engine.connect() as conn:
            fetched = conn.execute(select(_FETCH.c.url).where(_FETCH.c.sha256 == sha256).limit(1)).first()
            if fetched is not None:
                return True
            return conn.execute(select(_DOCUMENT.c.sha256).where(_DOCUMENT.c.sha256 == sha256)).first() is not None

    def record(self, result: FetchResult) -> None:
        """Update the URL's row (an error keeps the last good content and validators), its failure streak, and append history."""
        for attempt in range(2):
            try:
                with _write(self.engine) as conn, conn.begin():
                    self._record(conn, result)
                    known = _current_broken(conn, result.url)
                    state = None if result.ok else failed_again(
                        known, url=result.url, source=result.source, kind="document", reason=failure_reason(result),
                        at=result.fetched_at, http_status=result.http_status,
                    )
                    _write_broken(conn, result.url, state, known is not None)
                return
            except IntegrityError:
                if attempt:  # two writers inserted the same new URL at once: the second updates
                    raise

    def broken(self, url: str) -> BrokenLink | None:
        """The URL's failure streak (etl_broken_link), or None when its last fetch worked."""
        with self.engine.connect() as conn:
            return _current_broken(conn, url)

    def record_page(self, url: str, source: str, at: datetime, problem: str | None = None,
                    http_status: int | None = None) -> None:
        """Clear or extend an article page's failure streak (pages have no etl_fetch row)."""
        for attempt in range(2):
            try:
                with _write(self.engine) as conn, conn.begin():
                    known = _current_broken(conn, url)
                    state = None if problem is None else failed_again(
                        known, url=url, source=source, kind="page", reason=problem, at=at, http_status=http_status
                    )
                    _write_broken(conn, url, state, known is not None)
                return
            except IntegrityError:
                if attempt:
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
        values: dict[str, Any]
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
        values["source"] = result.source
        if result.file_name is not None:  # a failure keeps the name of the content we hold
            values["file_name"] = result.file_name
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


# --------------------------------------------------------------------------- broken links, names, sources


def broken_links(engine: Engine, source: str | None = None) -> list[BrokenLink]:
    """The known-broken URLs (of one source, or all), the longest-broken first."""
    query = select(_BROKEN).order_by(_BROKEN.c.first_failed_at, _BROKEN.c.url)
    if source is not None:
        query = query.where(_BROKEN.c.source == source)
    with engine.connect() as conn:
        return [_broken_link(row) for row in conn.execute(query).all()]


def fetched_file_name(engine: Engine, url: str) -> str | None:
    """The name the document at ``url`` was published under (etl_fetch.file_name), or None when not harvested."""
    with engine.connect() as conn:
        return conn.execute(select(_FETCH.c.file_name).where(_FETCH.c.url == url)).scalar()
