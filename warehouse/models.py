"""Star schema v1: dimensions, the amount fact, and the ETL bookkeeping tables.

Every constraint and index carries an explicit name so that the hand-written Alembic migration
(``warehouse/migrations/versions/0001_star_schema_v1.py``) matches these models exactly on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
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

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

FUNCTIONAL_LEVELS: dict[int, str] = {3: "类", 5: "款", 7: "项"}
ECONOMIC_LEVELS: dict[int, str] = {3: "类", 5: "款"}
ETL_STATUSES: tuple[str, ...] = ("loaded", "failed", "quarantined", "skipped")


class Base(DeclarativeBase):
    """Declarative base of the warehouse models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DimDepartment(Base):
    """A department, by its name as printed in the document."""

    __tablename__ = "dim_department"

    department_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class DimFunctionalSubject(Base):
    """A 支出功能分类 subject (类 / 款 / 项) as printed: code plus name."""

    __tablename__ = "dim_functional_subject"
    __table_args__ = (
        UniqueConstraint("code", "name", name="uq_dim_functional_subject_code_name"),
        CheckConstraint("level IN ('类', '款', '项')", name="level"),
    )

    functional_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)


class DimEconomicSubject(Base):
    """A 支出经济分类 subject (类 / 款) as printed: code plus name."""

    __tablename__ = "dim_economic_subject"
    __table_args__ = (
        UniqueConstraint("code", "name", name="uq_dim_economic_subject_code_name"),
        CheckConstraint("level IN ('类', '款')", name="level"),
    )

    economic_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)


class DimMeasure(Base):
    """A column of a standard table: its header path outer→inner joined with "/"."""

    __tablename__ = "dim_measure"
    __table_args__ = (
        UniqueConstraint("table_code", "header_path", name="uq_dim_measure_table_code_header_path"),
    )

    measure_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_code: Mapped[str] = mapped_column(Text)
    header_path: Mapped[str] = mapped_column(Text)


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
    __table_args__ = (
        CheckConstraint("status IN ('loaded', 'failed', 'quarantined', 'skipped')", name="status"),
    )

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


class DimDocument(Base):
    """A loaded document (one 部门决算/预算 PDF by sha256) and what it says about itself."""

    __tablename__ = "dim_document"
    __table_args__ = (
        CheckConstraint("phase IN ('决算', '预算')", name="phase"),
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


def functional_level(code: str) -> str:
    """Return the 功能分类 level ('类' / '款' / '项') of a 3/5/7-digit code, or raise ValueError."""
    try:
        return FUNCTIONAL_LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"functional code {code!r} is not 3, 5 or 7 digits long") from None


def economic_level(code: str) -> str:
    """Return the 经济分类 level ('类' / '款') of a 3/5-digit code, or raise ValueError."""
    try:
        return ECONOMIC_LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"economic code {code!r} is not 3 or 5 digits long") from None


def parent_code(code: str) -> str | None:
    """Return the code of the parent subject (first 3 or 5 digits), or None for a 类 code."""
    return code[: len(code) - 2] if len(code) > 3 else None
