"""The receive → extract → stage → validate → load steps for one document (plain functions; flows run them as tasks)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Engine

from expectations.decision import Decision, blocking_reasons, decide, needs_acceptance
from expectations.findings import Finding
from expectations.ocr_corrections import readings_by_row
from expectations.validate import ValidationReport, ocr_checked, recognised_headers_checked, validate
from extract.budget_tables import identify_budget_tables, required_tables
from extract.identify import identify_tables, read_facts, unread_tables, unruled_table_pages
from extract.isolation import TablesUnreadable, isolated_reader, read_document
from extract.limits import Limits
from extract.models import (
    Document,
    DocumentFacts,
    DocumentStatus,
    OcrCell,
    RawTable,
    SheetOrigin,
    TableSummary,
)
from extract.pdf import DocumentReadError
from extract.sheet_grid import sheet_names
from extract.store import QuarantineStore, RawStore
from flows.paths import InputError, path_label, read_input
from flows.settings import PIPELINE_VERSION, Settings
from transform.stage import StagedDocument, stage_document
from transform.stg_cells import empty_stg_cells
from warehouse.cells import with_ocr_lineage, with_sheet_lineage
from warehouse.document_names import record_document_name
from warehouse.errors import LoadError
from warehouse.load import load_document, record_document
from warehouse.manifest import fetched_file_name, first_fetched_at
from warehouse.steward import acceptance

#: A document's status, or ``duplicate``: the same bytes already came in this run under another name
#: (processed once, counted once; this name is kept too).
OutcomeStatus = DocumentStatus | Literal["duplicate"]


@dataclass(frozen=True)
class DocumentOutcome:
    """What happened to one document (``sha256`` is empty when its bytes could not be read at all)."""

    sha256: str
    source_file: str
    status: OutcomeStatus
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
    return path_label(path.name)


def receive(path: Path, store: RawStore, source: str | None = None) -> Document:
    """Keep the file's bytes in the raw store and describe it (sha256, source, name as received).

    Raises ``InputError`` (one line) for what cannot be a document: not there, not a regular file,
    unreadable, too large (``flows.paths.read_input``).
    """
    data = read_input(path)
    sha256, stored = store.put(data)
    return Document(
        sha256=sha256, source=source or path_label(path), source_file=display_name(path, source), path=stored,
        size=len(data),
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


def _duplicate(engine: Engine, document: Document, first: str, started: float) -> DocumentOutcome:
    """The outcome of bytes the batch already processed under another name."""
    return DocumentOutcome(
        sha256=document.sha256,
        source_file=document.source_file,
        status="duplicate",
        reasons=(f"{document.source_file}: the same bytes as {first} (sha256 {document.sha256[:12]}); processed once",),
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class Options:
    """How to process a document (see ``process_document``)."""

    data_docs: bool = False
    rules_file: Path | None = None
    fetched_at: datetime | None = None
    region: str | None = None
    city: str | None = None
    parallel: bool | None = None
    source: str | None = None


@dataclass(frozen=True)
class Extracted:
    """What the extract step read from a document."""

    document: Document
    pages: int
    facts: DocumentFacts
    tables: tuple[RawTable, ...]
    identify_notes: tuple[str, ...]  # problems identifying the tables
    reader_notes: tuple[str, ...]  # what the table reader said (pages without tables …)
    listed_tables: tuple[str, ...] = ()  # the tables a 预算 must carry: its 目录's, else its family's
    kind: str = "pdf"  # pdf, or the spreadsheet it was read from (xlsx, xls)
    origins: tuple[SheetOrigin, ...] = ()  # a spreadsheet's sheets: where each page's cells stand
    read_errors: tuple[str, ...] = ()  # what keeps it from loading whatever its rules say (a formula without a value)
    ocr_cells: tuple[OcrCell, ...] = ()  # what OCR read in each cell of its scanned pages
    decoded_pages: tuple[int, ...] = ()  # pages whose text was decoded through their glyph map


@dataclass(frozen=True)
class Validated:
    """A staged document with its validation report and the verdict on it."""

    extracted: Extracted
    staged: StagedDocument
    findings: tuple[Mapping[str, object], ...]
    decision: Decision
    accept_reason: str | None = None  # the steward's reason when the decision rests on an acceptance


#: How a step is run: ``run_step(name, function, *args)``. Plain calls by default; the Prefect flow runs each
#: step as a task of that name, so a failure or a retry shows which step it was.
StepRunner = Callable[..., Any]


def call_step(name: str, function: Callable[..., Any], *args: Any) -> Any:
    """Run a step as a plain function call."""
    return function(*args)


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
    run_step: StepRunner = call_step,
    seen: dict[str, str] | None = None,
) -> DocumentOutcome:
    """Run one PDF through receive → extract → stage → validate → load; never raise for bad input.

    A document whose error-level rules fail is quarantined, unless a data steward accepted it
    (``fiscal accept``): then it loads with ``dq_flag='accepted'`` and its failures stay queryable.

    Parameters
    ----------
    path
        The PDF to read.
    settings
        Where the warehouse and the data folder (raw store, quarantine) are.
    engine
        The warehouse's engine.
    source
        The URL or path the document was received from (default: ``path``).
    parallel
        Whether the table reader may use its worker processes (default: by document size).
    data_docs, rules_file, fetched_at, region, city
        Validation and lineage options (see ``fiscal run --help``).
    run_step
        How each step is run (a Prefect task per step in the flows).
    seen
        The batch's documents so far (sha256 → name): bytes already seen are not processed again; the
        outcome is ``duplicate`` and names the first. Updated in place.

    Returns
    -------
    DocumentOutcome
        Its status (loaded, quarantined, failed, skipped), reasons, notes and figures.

    """
    started = time.perf_counter()
    try:
        document = run_step("receive", receive, path, RawStore(settings.raw_dir), source)
    except InputError as exc:  # nothing read, nothing to keep or book: the batch goes on without it
        return DocumentOutcome(
            sha256="", source_file=display_name(path, source), status="failed", reasons=(str(exc),),
            seconds=time.perf_counter() - started,
        )
    if source and (published := fetched_file_name(engine, source)):
        document = replace(document, source_file=published)  # the harvested name (Content-Disposition …), not downfile.jsp
    record_document_name(engine, document.sha256, document.source, document.source_file)
    if seen is not None:
        if document.sha256 in seen:
            return _duplicate(engine, document, seen[document.sha256], started)
        seen[document.sha256] = document.source_file
    options = Options(data_docs, rules_file, fetched_at, region, city, parallel, source)
    try:
        extracted = run_step("extract", extract_step, document, settings, engine, options, started)
        if isinstance(extracted, DocumentOutcome):
            return extracted
        staged = run_step("stage", stage_step, extracted)
        if staged.cells.empty and not staged.issues and not extracted.read_errors:
            return _finish(
                engine, document, "skipped",
                [f"{document.source_file}: a template or blank form: {len(extracted.tables)} tables found, none prints an amount"],
                facts=extracted.facts, pages=extracted.pages, tables=staged.tables, started=started,
            )
        validated = run_step("validate", validate_step, extracted, staged, settings, engine, options)
        return run_step("load", load_step, validated, settings, engine, options, started)
    except Exception as exc:  # noqa: BLE001 - one odd document must not stop the batch (a dead warehouse still
        # stops it: booking the failure below needs the warehouse too)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = (
            f"{document.source_file}: internal error while processing ({type(exc).__name__}: {exc} at "
            f"{Path(where.filename).name}:{where.lineno} in {where.name}); raw bytes kept for a rerun"
        )
        return _finish(engine, document, "failed", [reason], started=started)


def extract_step(
    document: Document, settings: Settings, engine: Engine, options: Options, started: float
) -> Extracted | DocumentOutcome:
    """Read pages, grids, tables and the document's facts; a document that cannot be read ends here."""
    name = document.source_file
    limits = Limits()
    try:
        if limits.isolate:
            read = isolated_reader().read(document.path, name, options.parallel, limits)
        else:
            read = read_document(document.path, name, options.parallel, limits)
    except DocumentReadError as exc:
        return _finish(engine, document, "failed", [str(exc)], started=started)
    except TablesUnreadable as exc:
        return _finish(engine, document, "failed", [str(exc)], pages=exc.pages, started=started)
    pages, grids, reader_notes = read.pages, read.grids, read.notes
    tables, id_issues = identify_tables(pages, grids)
    facts = read_facts(pages, tables)
    listed: tuple[str, ...] = ()
    if facts.phase == "预算":
        # a 预算 set is what the document prints and numbers (extract/budget_tables.py), not the 决算 nine
        tables, id_issues = identify_budget_tables(pages, grids), []
        listed = required_tables(pages, tables)
        facts = read_facts(pages, tables) if tables else facts
        if not tables and not unruled_table_pages(pages):
            return _finish(
                engine, document, "skipped",
                [f"{name}: a 预算 disclosure without tables (a narrative companion: its tables are in another file)"],
                facts=facts, pages=len(pages), started=started,
            )
    if not tables and (unruled := unruled_table_pages(pages)):
        # titles, rules and amounts but no grid: tables we cannot read, not a narrative (nothing is lost quietly)
        reasons = [f"{name}: {issue}" for issue in unruled]
        QuarantineStore(settings.quarantine_dir).put(document.sha256, name, empty_stg_cells(), reasons)
        return _finish(engine, document, "quarantined", reasons, facts=facts, pages=len(pages), started=started)
    if not tables:
        return _finish(
            engine, document, "skipped", [f"{name}: no standard 决算 tables found (narrative-only or another kind of PDF)"],
            facts=facts, pages=len(pages), started=started,
        )
    # amounts printed where no grid was read would be lost: the document cannot load without them
    unread = tuple(f"{name}: {issue}" for issue in unread_tables(pages, tables))
    reader = "camelot" if read.kind == "pdf" else read.kind
    said = [f"{name}: page {page}: {reader}: {text}" if page else f"{name}: {reader}: {text}" for page, text in reader_notes]
    return Extracted(
        document, len(pages), facts, tuple(tables), tuple(f"{name}: {i}" for i in id_issues), tuple(said),
        listed if facts.phase == "预算" else (), read.kind, read.origins, (*read.errors, *unread), read.ocr_cells,
        read.decoded_pages,
    )


def stage_step(extracted: Extracted) -> StagedDocument:
    """Normalise the tables into stg_cells (pure)."""
    return stage_document(list(extracted.tables), extracted.facts.unit)


def validate_step(
    extracted: Extracted, staged: StagedDocument, settings: Settings, engine: Engine, options: Options
) -> Validated:
    """Validate the staged cells and decide whether the document may load (a steward's acceptance counts)."""
    name, facts = extracted.document.source_file, extracted.facts
    extra: list[Finding] = []
    if extracted.ocr_cells:
        # a scanned document: misread amounts corrected where two identities prove it, and every identity must hold
        corrected, extra = ocr_checked(
            staged.cells, extracted.ocr_cells, phase=facts.phase or "决算", rules_file=options.rules_file,
            tables=list(extracted.tables),
        )
        staged = replace(staged, cells=corrected)
    report = validate(
        staged.cells,
        phase=facts.phase or "决算",
        present_tables=[t.table_code for t in extracted.tables],
        rules_file=options.rules_file,
        run_name=name,
        data_docs_dir=settings.docs_dir if options.data_docs else None,
        tables=list(extracted.tables),
        listed_tables=extracted.listed_tables,
    )
    if extra:
        report = ValidationReport((*report.findings, *extra))
    report = recognised_headers_checked(report, extracted.decoded_pages)
    blocking = [*blocking_reasons(name, staged.issues, facts), *extracted.read_errors]
    accepted = acceptance(engine, extracted.document.sha256) if needs_acceptance(blocking, report) else None
    notes = [*extracted.identify_notes, *(f"{name}: {issue}" for issue in staged.issues), *extracted.reader_notes]
    decision = decide(name, blocking, report, accepted=accepted is not None, notes=notes)
    if extracted.origins:
        decision = replace(
            decision,
            reasons=tuple(sheet_names(r, extracted.origins) for r in decision.reasons),
            notes=tuple(sheet_names(n, extracted.origins) for n in decision.notes),
        )
    reason = accepted.reason if accepted is not None and decision.accepted else None
    return Validated(extracted, staged, tuple(report.records()), decision, reason)


def load_step(validated: Validated, settings: Settings, engine: Engine, options: Options, started: float) -> DocumentOutcome:
    """Load a document the decision lets through, else quarantine it (cells and reasons kept); book either."""
    extracted, staged, decision = validated.extracted, validated.staged, validated.decision
    document, facts, name = extracted.document, extracted.facts, extracted.document.source_file
    quarantine = QuarantineStore(settings.quarantine_dir)
    stg_cells = staged.cells if extracted.kind == "pdf" else with_sheet_lineage(staged.cells, extracted.origins)
    if extracted.ocr_cells:
        stg_cells = with_ocr_lineage(stg_cells, readings_by_row(stg_cells, extracted.ocr_cells))
    if not decision.load:
        quarantine.put(document.sha256, name, stg_cells, list(decision.reasons))
        return _finish(
            engine, document, "quarantined", list(decision.reasons), facts=facts, pages=extracted.pages,
            tables=staged.tables, findings=validated.findings, started=started,
        )
    notes = list(decision.notes)
    source = options.source
    web = source if source and source.startswith(("http://", "https://")) else None
    fetched_at = options.fetched_at
    if fetched_at is None and web is not None:
        fetched_at = first_fetched_at(engine, document.sha256)
    try:
        result = load_document(
            engine,
            document=document,
            facts=facts,
            pages=extracted.pages,
            stg_cells=stg_cells,
            tables=staged.tables,
            pipeline_version=PIPELINE_VERSION,
            reasons=notes,
            findings=validated.findings,
            dq_flag="accepted" if decision.accepted else None,
            accept_reason=validated.accept_reason,
            source_url=web,
            fetched_at=fetched_at,
            region=options.region or settings.region,
            city=options.city or settings.city,
        )
    except LoadError as exc:
        quarantine.put(document.sha256, name, stg_cells, [f"{name}: {exc}"])
        return _finish(engine, document, "quarantined", [f"{name}: {exc}"], facts=facts, pages=extracted.pages,
                       tables=staged.tables, findings=validated.findings, started=started)
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
