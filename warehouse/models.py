"""Star schema v2: dimensions, the amount fact, and the ETL bookkeeping tables.

Every constraint and index carries an explicit name so that the hand-written Alembic migrations
(``warehouse/migrations/versions/0001_star_schema_v1.py``, ``0002_warehouse_v2.py`` …) match these
models exactly on SQLite and PostgreSQL. The reporting views of ``0003_reporting_views`` are not
models (``REPORTING_VIEWS`` names them). The values coded columns may hold are in
:mod:`warehouse.vocabulary`, the rules that derive subject levels and measure stages in
:mod:`warehouse.classification`; both are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# defined without the ORM; the loader and migrations 0002 and 0009 import them from here
from warehouse.classification import (  # noqa: F401
    economic_level,
    functional_level,
    measure_fund_type,
    measure_stage,
    parent_code,
)
from warehouse.vocabulary import (
    BROKEN_LINK_KINDS,
    ECONOMIC_LEVELS,
    ETL_STATUSES,
    FINDING_OUTCOMES,
    FINDING_SEVERITIES,
    FUNCTIONAL_LEVELS,
    FUND_TYPES,
    PHASES,
    RUN_STATUSES,
    SCOPES,
    STAGES,
)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

#: Reporting views created by migrations 0003, 0004 and 0009 (not models; read them with plain SELECTs).
REPORTING_VIEWS: tuple[str, ...] = (
    "v_rollup_documents",
    "v_fiscal_facts",
    "v_expenditure_by_function",
    "v_basic_expenditure_by_economic",
    "v_three_public",
    "v_yoy",
    "v_data_quality",
    "v_budget_execution",
)


def _one_of(column: str, values: Iterable[str]) -> str:
    """The CHECK condition that ``column`` holds one of ``values``: "status IN ('a', 'b')"."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base of the warehouse models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DimDepartment(Base):
    """One printed name of a department (SCD type 2 version row); ``department_id`` is the stable identity.

    All versions of one department share ``department_id`` (the first printed name, or the target
    of a steward's alias). ``valid_from`` is the first fiscal year the name was printed,
    ``valid_to`` the ``valid_from`` of the next version (exclusive; NULL for the current one).
    """

    __tablename__ = "dim_department"
    __table_args__ = (Index("ix_dim_department_department_id", "department_id"),)

    department_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    department_id: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)


class DimDepartmentAlias(Base):
    """A steward's decision: documents printed under ``alias_name`` belong to ``department_id``."""

    __tablename__ = "dim_department_alias"

    alias_name: Mapped[str] = mapped_column(Text, primary_key=True)
    department_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class _Subject:
    """The columns a 功能分类 and a 经济分类 subject member share (each table adds its own surrogate key)."""

    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)
    valid_from_year: Mapped[int | None] = mapped_column(Integer)
    valid_to_year: Mapped[int | None] = mapped_column(Integer)


def _subject_args(table: str, levels: Mapping[int, str]) -> tuple[UniqueConstraint, CheckConstraint]:
    """A subject table's constraints: one member per printed (code, name); a level its codes can have."""
    return (
        UniqueConstraint("code", "name", name=f"uq_{table}_code_name"),
        CheckConstraint(_one_of("level", levels.values()), name="level"),
    )


class DimFunctionalSubject(_Subject, Base):
    """A 支出功能分类 subject (类 / 款 / 项) as printed: code plus name, with the fiscal years it was printed in.

    The same code carries another name in another year (210 医疗卫生与计划生育支出 → 卫生健康支出):
    each (code, name) is one member, valid from ``valid_from_year`` to ``valid_to_year`` (inclusive,
    the first and last fiscal year a loaded document printed it); a fact points at the member
    printed in its document, hence the one valid for its year.
    """

    __tablename__ = "dim_functional_subject"
    __table_args__ = _subject_args("dim_functional_subject", FUNCTIONAL_LEVELS)

    functional_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)


class DimEconomicSubject(_Subject, Base):
    """A 支出经济分类 subject (类 / 款) as printed: code plus name, versioned by fiscal year like 功能分类."""

    __tablename__ = "dim_economic_subject"
    __table_args__ = _subject_args("dim_economic_subject", ECONOMIC_LEVELS)

    economic_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)


class DimMeasure(Base):
    """A column of a table: its header path outer→inner joined with "/", in a kind of document, with stage and fund type.

    The same printed (table_code, header_path) is a different column in a 决算 and in a 预算 (its
    ``table_code`` is the number the document prints: "07" is the 三公 table of a 决算, the 国有资本经营
    table of a Shanghai 预算, the general-budget table of a Jiangsu 预算), so a measure is keyed by
    (table_code, header_path, phase, table_type) (0009). ``phase`` is the document's ('决算' when it
    printed none, as the pipeline reads it); ``table_type`` the kind of table (``extract.table_types``,
    the standard 决算 kind of the code when the loader is not told, '' when unknown). ``stage`` and
    ``fund_type`` are derived by ``measure_stage`` and ``measure_fund_type``; NULL where neither the
    column nor the table says so.
    """

    __tablename__ = "dim_measure"
    __table_args__ = (
        UniqueConstraint(
            "table_code", "header_path", "phase", "table_type",
            name="uq_dim_measure_table_code_header_path_phase_table_type",
        ),
        CheckConstraint(_one_of("stage", STAGES), name="stage"),
        CheckConstraint(_one_of("fund_type", FUND_TYPES), name="fund_type"),
        CheckConstraint(_one_of("phase", PHASES), name="phase"),
    )

    measure_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_code: Mapped[str] = mapped_column(Text)
    header_path: Mapped[str] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(Text)
    fund_type: Mapped[str | None] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(Text)  # 0009
    table_type: Mapped[str] = mapped_column(Text)  # 0009: extract.table_types key, '' when unknown


class DimLineItem(Base):
    """A label-identified row of a standard table ('' as parent when it has none)."""

    __tablename__ = "dim_line_item"
    __table_args__ = (
        UniqueConstraint(
            "table_code", "line_item", "parent_line_item", name="uq_dim_line_item_table_code_line_item_parent"
        ),
    )

    line_item_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_code: Mapped[str] = mapped_column(Text)
    line_item: Mapped[str] = mapped_column(Text)
    parent_line_item: Mapped[str] = mapped_column(Text)


class EtlDocument(Base):
    """One row per received file (by sha256): what happened to it and why."""

    __tablename__ = "etl_document"
    __table_args__ = (CheckConstraint(_one_of("status", ETL_STATUSES), name="status"),)

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of strings
    department: Mapped[str | None] = mapped_column(Text)  # as read, not a key
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int | None] = mapped_column(Integer)
    tables_found: Mapped[int] = mapped_column(Integer)
    facts_loaded: Mapped[int] = mapped_column(Integer)
    pipeline_version: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accept_reason: Mapped[str | None] = mapped_column(Text)


class EtlDocumentName(Base):
    """Every (source, name) a document's bytes were received under: the same file sent twice keeps both names."""

    __tablename__ = "etl_document_name"

    sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(Text, primary_key=True)  # URL or local path as received
    source_file: Mapped[str] = mapped_column(Text)  # the name as received (published name for downloads)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EtlTable(Base):
    """One row per (document, standard table): what was found of the table (a TableSummary)."""

    __tablename__ = "etl_table"

    sha256: Mapped[str] = mapped_column(Text, ForeignKey("etl_document.sha256"), primary_key=True)
    table_code: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[str] = mapped_column(Text)  # "6,7"
    present: Mapped[bool] = mapped_column(Boolean)
    is_empty: Mapped[bool] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(Integer)
    cells: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(Text)
    accuracy: Mapped[float | None] = mapped_column(Float)
    whitespace: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    outside_chars_pct: Mapped[float | None] = mapped_column(Float)  # worst page, 0–100 (0005)
    table_type: Mapped[str | None] = mapped_column(Text)  # extract.table_types key (0008)
    ocr_confidence: Mapped[float | None] = mapped_column(Float)  # lowest OCR'd cell, 0–1; NULL when not OCR'd (0011)


class DimDocument(Base):
    """A loaded document (one 部门决算/预算 PDF by sha256) and what it says about itself.

    Of the documents of one (department_id, fiscal_year, phase, scope), the one first loaded
    last is current (``is_current``); the others are superseded (``superseded_by`` names the
    current one) or retracted by a steward (``retracted_at``). Their facts stay as history.
    """

    __tablename__ = "dim_document"
    __table_args__ = (
        CheckConstraint(_one_of("phase", PHASES), name="phase"),
        CheckConstraint(_one_of("scope", SCOPES), name="scope"),
        Index("ix_dim_document_fiscal_year_phase", "fiscal_year", "phase"),
        {"sqlite_autoincrement": True},  # keys of deleted rows are never handed out again
    )

    document_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(Text, ForeignKey("etl_document.sha256"), unique=True)
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    department_key: Mapped[int] = mapped_column(Integer, ForeignKey("dim_department.department_key"))
    pipeline_version: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scope: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    is_current: Mapped[bool] = mapped_column(Boolean)
    superseded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("dim_document.document_key"))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retract_reason: Mapped[str | None] = mapped_column(Text)


class FctAmount(Base):
    """One row per published amount cell of one document (document × table × printed row × printed column).

    ``amount`` is the number as published, in ``unit``; ``amount_text`` is its published decimal
    string (scale kept: "0.00"); ``amount_yuan`` is the same amount converted to 元. Subject keys
    are NULL where the row is identified by a label (``line_item_key``) instead, and vice versa.
    """

    __tablename__ = "fct_amount"
    __table_args__ = (
        UniqueConstraint(
            "document_key", "table_code", "page", "row_index", "col_index", name="uq_fct_amount_cell"
        ),
        Index("ix_fct_amount_department_key_fiscal_year", "department_key", "fiscal_year"),
        Index("ix_fct_amount_functional_key", "functional_key"),
        Index("ix_fct_amount_economic_key", "economic_key"),
        {"sqlite_autoincrement": True},  # keys of deleted rows are never handed out again
    )

    amount_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_key: Mapped[int] = mapped_column(Integer, ForeignKey("dim_document.document_key"))
    department_key: Mapped[int] = mapped_column(Integer, ForeignKey("dim_department.department_key"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    table_code: Mapped[str] = mapped_column(Text)
    functional_key: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("dim_functional_subject.functional_key")
    )
    economic_key: Mapped[int | None] = mapped_column(Integer, ForeignKey("dim_economic_subject.economic_key"))
    line_item_key: Mapped[int | None] = mapped_column(Integer, ForeignKey("dim_line_item.line_item_key"))
    measure_key: Mapped[int] = mapped_column(Integer, ForeignKey("dim_measure.measure_key"))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    amount_text: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(Text)
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    is_total: Mapped[bool] = mapped_column(Boolean)
    page: Mapped[int] = mapped_column(Integer)
    row_index: Mapped[int] = mapped_column(Integer)
    col_index: Mapped[int] = mapped_column(Integer)
    dq_flag: Mapped[str | None] = mapped_column(Text)
    # the cell's box in PDF points on the page as displayed (origin top-left); NULL when unknown (0005)
    cell_x0: Mapped[float | None] = mapped_column(Float)
    cell_top: Mapped[float | None] = mapped_column(Float)
    cell_x1: Mapped[float | None] = mapped_column(Float)
    cell_bottom: Mapped[float | None] = mapped_column(Float)
    # how the amount was read: 'text' (a PDF's text layer), 'sheet' (a spreadsheet cell); 'ocr' later (0010)
    extraction_method: Mapped[str] = mapped_column(Text, server_default="text")
    # a spreadsheet fact's sheet, row and column (1-based); ``page`` is then the sheet's position (0010)
    sheet: Mapped[str | None] = mapped_column(Text)
    sheet_row: Mapped[int | None] = mapped_column(Integer)
    sheet_col: Mapped[int | None] = mapped_column(Integer)
    # the number the cell stores, exactly, when its format shows it rounded (``amount`` is as shown) (0010)
    amount_stored: Mapped[str | None] = mapped_column(Text)
    # the lowest confidence of the characters OCR read in the cell, 0–1; NULL unless extraction_method is 'ocr' (0011)
    ocr_confidence: Mapped[float | None] = mapped_column(Float)


class EtlRun(Base):
    """One pipeline run: when, which Prefect flow run, and what happened to its documents."""

    __tablename__ = "etl_run"
    __table_args__ = (CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),)

    run_id: Mapped[str] = mapped_column(Text, primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    documents_new: Mapped[int] = mapped_column(Integer)
    documents_unchanged: Mapped[int] = mapped_column(Integer)
    documents_loaded: Mapped[int] = mapped_column(Integer)
    documents_quarantined: Mapped[int] = mapped_column(Integer)
    documents_failed: Mapped[int] = mapped_column(Integer)
    documents_skipped: Mapped[int] = mapped_column(Integer)
    facts_loaded: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)


class EtlFinding(Base):
    """One validation finding of a document (replaced on every processing of the document)."""

    __tablename__ = "etl_finding"
    __table_args__ = (
        CheckConstraint(_one_of("severity", FINDING_SEVERITIES), name="severity"),
        CheckConstraint(_one_of("outcome", FINDING_OUTCOMES), name="outcome"),
    )

    # (sha256, finding_no): processing a document twice leaves identical rows (no fresh surrogate keys)
    sha256: Mapped[str] = mapped_column(Text, ForeignKey("etl_document.sha256"), primary_key=True)
    finding_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rule: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    table_code: Mapped[str | None] = mapped_column(Text)
    row_label: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[str | None] = mapped_column(Text)
    found: Mapped[str | None] = mapped_column(Text)
    difference: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)


class EtlFetch(Base):
    """One harvested URL: what it last returned (written by ``warehouse.manifest``)."""

    __tablename__ = "etl_fetch"
    __table_args__ = (Index("ix_etl_fetch_sha256", "sha256"),)  # 0006: a document's URLs and sources

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    sha256: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_changed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)  # the sources.yaml name that fetched it (0006)
    file_name: Mapped[str | None] = mapped_column(Text)  # the name the document is published under (0006)


class EtlFetchHistory(Base):
    """One fetch attempt of a URL (append-only log)."""

    __tablename__ = "etl_fetch_history"
    __table_args__ = (
        Index("ix_etl_fetch_history_url", "url"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(Text)


class EtlBrokenLink(Base):
    """A URL whose last fetches failed, backed off across runs (0006; the row goes when the URL works again)."""

    __tablename__ = "etl_broken_link"
    __table_args__ = (CheckConstraint(_one_of("kind", BROKEN_LINK_KINDS), name="kind"),)

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str | None] = mapped_column(Text)  # sources.yaml name
    kind: Mapped[str] = mapped_column(Text)  # a document link or an article page
    failures: Mapped[int] = mapped_column(Integer)  # consecutive failed fetches
    first_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_retry_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # not fetched before this
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)  # the last failure: "outcome: error"
