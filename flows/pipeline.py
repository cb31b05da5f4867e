"""The extract → transform → validate → load path for one document (plain functions; flows wrap them)."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Engine

from expectations.validate import validate
from extract.grids import read_grids, triage
from extract.identify import identify_tables, read_facts
from extract.models import Document, DocumentFacts, DocumentStatus, TableSummary
from extract.pdf import DocumentReadError, check_text_layer, read_pages, readable_copy
from extract.store import RawStore
from flows.settings import PIPELINE_VERSION, Settings
from transform.stage import StagedDocument, stage_document
from warehouse.errors import LoadError
from warehouse.load import load_document, record_document
from warehouse.manifest import first_fetched_at
from warehouse.steward import acceptance


@dataclass(frozen=True)
class DocumentOutcome:
    """What happened to one document."""

    sha256: str
    source_file: str
    status: DocumentStatus
    reasons: tuple[str, ...] = ()
    department: str | None = None
    fiscal_year: int | None = None
    facts_loaded: int = 0
    tables: tuple[TableSummary, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


def display_name(path: Path, source: str | None) -> str:
    """The name people know a document by: the URL's last path segment for downloads, else the file name.

    Only a label for messages and listings; stored files are always named by their sha256.
    """
    if source and source.startswith(("http://", "https://")):
        tail = unquote(PurePosixPath(urlsplit(source).path).name).rsplit("/", 1)[-1]
        if tail.strip():
            return tail
    return path.name


def receive(path: Path, store: RawStore, source: str | None = None) -> Document:
    """Keep the file's bytes in the raw store and describe it (sha256, source, name as received)."""
    data = path.read_bytes()
    sha256, stored = store.put(data)
    return Document(
        sha256=sha256, source=source or str(path), source_file=display_name(path, source), path=stored, size=len(data)
    )


def _quarantine_cells(settings: Settings, document: Document, staged: StagedDocument, reasons: list[str]) -> None:
    """Keep the extracted cells and the reasons of a document that did not load, next to its raw bytes."""
    folder = settings.quarantine_dir
    folder.mkdir(parents=True, exist_ok=True)
    staged.cells.to_csv(folder / f"{document.sha256}.cells.csv", index=False)
    (folder / f"{document.sha256}.reasons.json").write_text(
        json.dumps({"source_file": document.source_file, "reasons": reasons}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )


def _finish(
    engine: Engine,
    document: Document,
    status: DocumentStatus,
    reasons: list[str],
    *,
    facts: DocumentFacts | None = None,
    pages: int | None = None,
    tables: tuple[TableSummary, ...] = (),
    findings: Sequence[Mapping[str, object]] = (),
    started: float,
) -> DocumentOutcome:
    """Book a document that is not loaded and say so."""
    record_document(
        engine,
        document=document,
        facts=facts,
        pages=pages,
        status=status,
        reasons=reasons,
        tables=tables,
        pipeline_version=PIPELINE_VERSION,
        findings=findings,
    )
    return DocumentOutcome(
        sha256=document.sha256,
        source_file=document.source_file,
        status=status,
        reasons=tuple(reasons),
        department=facts.department if facts else None,
        fiscal_year=facts.fiscal_year if facts else None,
        tables=tables,
        seconds=time.perf_counter() - started,
    )


def process_document(
    path: Path,
    settings: Settings,
    engine: Engine,
    source: str | None = None,
    parallel: bool | None = None,
    *,
    data_docs: bool = False,
    rules_file: Path | None = None,
    fetched_at: datetime | None = None,
    region: str | None = None,
    city: str | None = None,
) -> DocumentOutcome:
    """Run one PDF through extract → transform → validate → load; never raise for bad input.

    A document whose error-level rules fail is quarantined, unless a data steward accepted it
    (``fiscal accept``): then it loads with ``dq_flag='accepted'`` and its failures stay queryable.
    """
    started = time.perf_counter()
    document = receive(path, RawStore(settings.raw_dir), source)
    options = _Options(data_docs, rules_file, fetched_at, region, city, parallel)
    try:
        return _process_received(document, settings, engine, source, options, started)
    except Exception as exc:  # noqa: BLE001 - one odd document must not stop the batch (a dead warehouse still
        # stops it: booking the failure below needs the warehouse too)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = (
            f"{document.source_file}: internal error while processing ({type(exc).__name__}: {exc} at "
            f"{Path(where.filename).name}:{where.lineno} in {where.name}); raw bytes kept for a rerun"
        )
        return _finish(engine, document, "failed", [reason], started=started)


@dataclass(frozen=True)
class _Options:
    """How to process a document (see ``process_document``)."""

    data_docs: bool
    rules_file: Path | None
    fetched_at: datetime | None
    region: str | None
    city: str | None
    parallel: bool | None


def _process_received(  # noqa: C901 - one linear path with early exits, easier to read whole
    document: Document, settings: Settings, engine: Engine, source: str | None, options: _Options, started: float
) -> DocumentOutcome:
    """The body of ``process_document`` for a document already in the raw store."""
    name = document.source_file
    data_docs, rules_file, fetched_at = options.data_docs, options.rules_file, options.fetched_at
    region, city, parallel = options.region, options.city, options.parallel
    try:
        pages = read_pages(document.path, name)
        check_text_layer(pages, name)
    except DocumentReadError as exc:
        return _finish(engine, document, "failed", [str(exc)], started=started)
    vector_pages, raster_pages = triage(pages)
    try:
        with readable_copy(document.path) as readable:
            grids, camelot_notes = read_grids(readable, vector_pages, raster_pages, parallel=parallel, pages=pages)
    except Exception as exc:  # noqa: BLE001 - camelot fails in many ways on odd files; keep the batch going
        return _finish(engine, document, "failed", [f"{name}: tables could not be read ({type(exc).__name__}: {exc})"],
                       pages=len(pages), started=started)
    tables, id_issues = identify_tables(pages, grids)
    facts = read_facts(pages, tables)
    if facts.phase == "预算":
        return _finish(
            engine, document, "skipped", [f"{name}: a 预算 (budget) disclosure; only 决算 table sets are read so far"],
            facts=facts, pages=len(pages), started=started,
        )
    if not tables:
        return _finish(
            engine, document, "skipped", [f"{name}: no standard 决算 tables found (narrative-only or another kind of PDF)"],
            facts=facts, pages=len(pages), started=started,
        )
    staged = stage_document(tables, facts.unit)
    reasons = [f"{name}: {issue}" for issue in staged.issues if issue.severity == "error"]
    if facts.department is None:
        reasons.append(f"{name}: department not printed on the table pages or the cover")
    if facts.fiscal_year is None:
        reasons.append(f"{name}: fiscal year not printed on the table pages or the cover")
    report = validate(
        staged.cells,
        phase=facts.phase or "决算",
        present_tables=[t.table_code for t in tables],
        rules_file=rules_file,
        run_name=name,
        data_docs_dir=settings.docs_dir if data_docs else None,
        tables=tables,
    )
    findings = report.records()
    failures = [f"{name}: {f.describe()}" for f in report.failures]
    accepted = acceptance(engine, document.sha256) if failures and not reasons else None
    if reasons or (failures and accepted is None):
        reasons += failures
        _quarantine_cells(settings, document, staged, reasons)
        return _finish(
            engine, document, "quarantined", reasons, facts=facts, pages=len(pages), tables=staged.tables,
            findings=findings, started=started,
        )
    notes = [f"{name}: {issue}" for issue in (*id_issues, *staged.issues)]
    notes += [f"{name}: page {page}: camelot: {text}" if page else f"{name}: camelot: {text}" for page, text in camelot_notes]
    notes += [f"warning: {f.describe()}" for f in report.warnings]
    notes += [f"rounding: {f.describe()}" for f in report.notes]
    if accepted is not None:
        notes = [f"accepted despite: {f}" for f in failures] + notes
    web = source if source and source.startswith(("http://", "https://")) else None
    if fetched_at is None and web is not None:
        fetched_at = first_fetched_at(engine, document.sha256)
    try:
        result = load_document(
            engine,
            document=document,
            facts=facts,
            pages=len(pages),
            stg_cells=staged.cells,
            tables=staged.tables,
            pipeline_version=PIPELINE_VERSION,
            reasons=notes,
            findings=findings,
            dq_flag="accepted" if accepted is not None else None,
            accept_reason=accepted.reason if accepted is not None else None,
            source_url=web,
            fetched_at=fetched_at,
            region=region or settings.region,
            city=city or settings.city,
        )
    except LoadError as exc:
        _quarantine_cells(settings, document, staged, [f"{name}: {exc}"])
        return _finish(engine, document, "quarantined", [f"{name}: {exc}"], facts=facts, pages=len(pages),
                       tables=staged.tables, findings=findings, started=started)
    if result.superseded:
        notes.append(f"{name}: now current; superseded " + ", ".join(sha[:12] for sha in result.superseded))
    if not result.is_current:
        notes.append(f"{name}: loaded as history; a later-loaded version of the same department, year and scope is current")
    return DocumentOutcome(
        sha256=document.sha256,
        source_file=name,
        status="loaded",
        department=facts.department,
        fiscal_year=facts.fiscal_year,
        facts_loaded=result.facts_loaded,
        tables=staged.tables,
        notes=tuple(notes),
        seconds=time.perf_counter() - started,
    )
