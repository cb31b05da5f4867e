"""Star schema v1: dimensions, fct_amount, etl_document, etl_table.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:00:00

Written by hand to match ``warehouse/models.py`` exactly (names of every constraint and index).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the star schema v1."""
    op.create_table(
        "dim_department",
        sa.Column("department_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("department_key", name=op.f("pk_dim_department")),
        sa.UniqueConstraint("name", name=op.f("uq_dim_department_name")),
    )
    op.create_table(
        "dim_functional_subject",
        sa.Column("functional_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.CheckConstraint("level IN ('类', '款', '项')", name=op.f("ck_dim_functional_subject_level")),
        sa.PrimaryKeyConstraint("functional_key", name=op.f("pk_dim_functional_subject")),
        sa.UniqueConstraint("code", "name", name=op.f("uq_dim_functional_subject_code_name")),
    )
    op.create_table(
        "dim_economic_subject",
        sa.Column("economic_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.CheckConstraint("level IN ('类', '款')", name=op.f("ck_dim_economic_subject_level")),
        sa.PrimaryKeyConstraint("economic_key", name=op.f("pk_dim_economic_subject")),
        sa.UniqueConstraint("code", "name", name=op.f("uq_dim_economic_subject_code_name")),
    )
    op.create_table(
        "dim_measure",
        sa.Column("measure_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("header_path", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("measure_key", name=op.f("pk_dim_measure")),
        sa.UniqueConstraint("table_code", "header_path", name=op.f("uq_dim_measure_table_code_header_path")),
    )
    op.create_table(
        "dim_line_item",
        sa.Column("line_item_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("line_item", sa.Text(), nullable=False),
        sa.Column("parent_line_item", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("line_item_key", name=op.f("pk_dim_line_item")),
        sa.UniqueConstraint(
            "table_code",
            "line_item",
            "parent_line_item",
            name=op.f("uq_dim_line_item_table_code_line_item_parent"),
        ),
    )
    op.create_table(
        "etl_document",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("phase", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("tables_found", sa.Integer(), nullable=False),
        sa.Column("facts_loaded", sa.Integer(), nullable=False),
        sa.Column("pipeline_version", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('loaded', 'failed', 'quarantined', 'skipped')", name=op.f("ck_etl_document_status")
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_etl_document")),
    )
    op.create_table(
        "etl_table",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("pages", sa.Text(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("is_empty", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("whitespace", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["sha256"], ["etl_document.sha256"], name=op.f("fk_etl_table_sha256")),
        sa.PrimaryKeyConstraint("sha256", "table_code", name=op.f("pk_etl_table")),
    )
    op.create_table(
        "dim_document",
        sa.Column("document_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("phase", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.Integer(), nullable=False),
        sa.Column("pipeline_version", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("phase IN ('决算', '预算')", name=op.f("ck_dim_document_phase")),
        sa.ForeignKeyConstraint(
            ["department_key"], ["dim_department.department_key"], name=op.f("fk_dim_document_department_key")
        ),
        sa.ForeignKeyConstraint(["sha256"], ["etl_document.sha256"], name=op.f("fk_dim_document_sha256")),
        sa.PrimaryKeyConstraint("document_key", name=op.f("pk_dim_document")),
        sa.UniqueConstraint("sha256", name=op.f("uq_dim_document_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "fct_amount",
        sa.Column("amount_key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_key", sa.Integer(), nullable=False),
        sa.Column("department_key", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("functional_key", sa.Integer(), nullable=True),
        sa.Column("economic_key", sa.Integer(), nullable=True),
        sa.Column("line_item_key", sa.Integer(), nullable=True),
        sa.Column("measure_key", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount_text", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("is_total", sa.Boolean(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("col_index", sa.Integer(), nullable=False),
        sa.Column("dq_flag", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_key"], ["dim_department.department_key"], name=op.f("fk_fct_amount_department_key")
        ),
        sa.ForeignKeyConstraint(
            ["document_key"], ["dim_document.document_key"], name=op.f("fk_fct_amount_document_key")
        ),
        sa.ForeignKeyConstraint(
            ["economic_key"], ["dim_economic_subject.economic_key"], name=op.f("fk_fct_amount_economic_key")
        ),
        sa.ForeignKeyConstraint(
            ["functional_key"],
            ["dim_functional_subject.functional_key"],
            name=op.f("fk_fct_amount_functional_key"),
        ),
        sa.ForeignKeyConstraint(
            ["line_item_key"], ["dim_line_item.line_item_key"], name=op.f("fk_fct_amount_line_item_key")
        ),
        sa.ForeignKeyConstraint(
            ["measure_key"], ["dim_measure.measure_key"], name=op.f("fk_fct_amount_measure_key")
        ),
        sa.PrimaryKeyConstraint("amount_key", name=op.f("pk_fct_amount")),
        sa.UniqueConstraint(
            "document_key", "table_code", "page", "row_index", "col_index", name=op.f("uq_fct_amount_cell")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_fct_amount_department_key_fiscal_year"), "fct_amount", ["department_key", "fiscal_year"]
    )
    op.create_index(op.f("ix_fct_amount_functional_key"), "fct_amount", ["functional_key"])
    op.create_index(op.f("ix_fct_amount_economic_key"), "fct_amount", ["economic_key"])


def downgrade() -> None:
    """Drop the star schema v1."""
    op.drop_index(op.f("ix_fct_amount_economic_key"), table_name="fct_amount")
    op.drop_index(op.f("ix_fct_amount_functional_key"), table_name="fct_amount")
    op.drop_index(op.f("ix_fct_amount_department_key_fiscal_year"), table_name="fct_amount")
    op.drop_table("fct_amount")
    op.drop_table("dim_document")
    op.drop_table("etl_table")
    op.drop_table("etl_document")
    op.drop_table("dim_line_item")
    op.drop_table("dim_measure")
    op.drop_table("dim_economic_subject")
    op.drop_table("dim_functional_subject")
    op.drop_table("dim_department")
