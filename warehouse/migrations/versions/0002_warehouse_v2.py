"""Warehouse v2: SCD-2 departments and aliases, year-versioned subjects, measure stage/fund,
document currency (superseded / retracted), runs, findings, harvest fetch log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:00

Written by hand to match ``warehouse/models.py`` exactly. The upgrade keeps every v1 row: a
department's identity becomes its printed name, subjects get the years their facts were printed
in, measures get stage and fund type from their header path, and of several v1 documents for one
department, year and phase the last loaded is current, the others superseded.

On SQLite the altered tables are rebuilt (batch mode) with foreign keys deferred to COMMIT, so
rebuilding a referenced table (``dim_department``, ``etl_document``, ``dim_document``) does not
trip the references of ``fct_amount`` and ``etl_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from warehouse.models import measure_fund_type, measure_stage

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_V1_STATUS = "status IN ('loaded', 'failed', 'quarantined', 'skipped')"
_V2_STATUS = "status IN ('loaded', 'failed', 'quarantined', 'skipped', 'superseded', 'retracted')"


_AUTOINCREMENT = {"sqlite_autoincrement": True}  # kept when SQLite rebuilds dim_document


def _recreate() -> str:
    """SQLite rebuilds altered tables (so the stored DDL equals create_all's); PostgreSQL ALTERs in place."""
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    """Upgrade a v1 warehouse to v2, keeping its data."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
    _create_new_tables()
    _upgrade_dim_department()
    _upgrade_subjects()
    _upgrade_dim_measure()
    _upgrade_etl_document()
    _upgrade_dim_document()


def _create_new_tables() -> None:
    """Create the tables v1 did not have."""
    op.create_table(
        "dim_department_alias",
        sa.Column("alias_name", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("alias_name", name=op.f("pk_dim_department_alias")),
    )
    op.create_table(
        "etl_run",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("flow_run_id", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("documents_new", sa.Integer(), nullable=False),
        sa.Column("documents_unchanged", sa.Integer(), nullable=False),
        sa.Column("documents_loaded", sa.Integer(), nullable=False),
        sa.Column("documents_quarantined", sa.Integer(), nullable=False),
        sa.Column("documents_failed", sa.Integer(), nullable=False),
        sa.Column("documents_skipped", sa.Integer(), nullable=False),
        sa.Column("facts_loaded", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f("ck_etl_run_status")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_etl_run")),
    )
    op.create_table(
        "etl_finding",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("finding_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("table_code", sa.Text(), nullable=True),
        sa.Column("row_label", sa.Text(), nullable=True),
        sa.Column("measure", sa.Text(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("found", sa.Text(), nullable=True),
        sa.Column("difference", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.CheckConstraint("severity IN ('error', 'warn')", name=op.f("ck_etl_finding_severity")),
        sa.CheckConstraint("outcome IN ('note', 'warning', 'failure')", name=op.f("ck_etl_finding_outcome")),
        sa.ForeignKeyConstraint(["sha256"], ["etl_document.sha256"], name=op.f("fk_etl_finding_sha256")),
        sa.PrimaryKeyConstraint("sha256", "finding_no", name=op.f("pk_etl_finding")),
    )
    op.create_table(
        "etl_fetch",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_etl_fetch")),
    )
    op.create_table(
        "etl_fetch_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etl_fetch_history")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_etl_fetch_history_url"), "etl_fetch_history", ["url"])


def _upgrade_dim_department() -> None:
    """Every v1 department name becomes a department of its own, current, valid from its first year."""
    with op.batch_alter_table("dim_department", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("department_id", sa.Text(), nullable=True))
        batch.add_column(sa.Column("region", sa.Text(), nullable=True))
        batch.add_column(sa.Column("city", sa.Text(), nullable=True))
        batch.add_column(sa.Column("valid_from", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("is_current", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE dim_department SET department_id = name, is_current = TRUE, valid_from = COALESCE("
        " (SELECT MIN(d.fiscal_year) FROM dim_document d WHERE d.department_key = dim_department.department_key),"
        " (SELECT MIN(e.fiscal_year) FROM etl_document e WHERE e.department = dim_department.name),"
        " 0)"
    )
    with op.batch_alter_table("dim_department", recreate=_recreate()) as batch:
        batch.alter_column("department_id", existing_type=sa.Text(), nullable=False)
        batch.alter_column("valid_from", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("is_current", existing_type=sa.Boolean(), nullable=False)
        batch.create_index(op.f("ix_dim_department_department_id"), ["department_id"])


def _upgrade_subjects() -> None:
    """Subjects get the first and last fiscal year their facts were printed in."""
    for table, key in (("dim_functional_subject", "functional_key"), ("dim_economic_subject", "economic_key")):
        with op.batch_alter_table(table, recreate=_recreate()) as batch:
            batch.add_column(sa.Column("valid_from_year", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("valid_to_year", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET"  # noqa: S608 - fixed table and column names, no input
            f" valid_from_year = (SELECT MIN(f.fiscal_year) FROM fct_amount f WHERE f.{key} = {table}.{key}),"
            f" valid_to_year = (SELECT MAX(f.fiscal_year) FROM fct_amount f WHERE f.{key} = {table}.{key})"
        )


def _upgrade_dim_measure() -> None:
    """Measures get stage and fund type from their table and header path."""
    with op.batch_alter_table("dim_measure", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("stage", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fund_type", sa.Text(), nullable=True))
        batch.create_check_constraint(op.f("ck_dim_measure_stage"), "stage IN ('预算数', '决算数')")
        batch.create_check_constraint(
            op.f("ck_dim_measure_fund_type"), "fund_type IN ('一般公共预算', '政府性基金', '国有资本经营')"
        )
    bind = op.get_bind()
    measures = bind.execute(sa.text("SELECT measure_key, table_code, header_path FROM dim_measure")).all()
    update = sa.text("UPDATE dim_measure SET stage = :stage, fund_type = :fund WHERE measure_key = :key")
    rows = [
        {"key": key, "stage": measure_stage(table, path), "fund": measure_fund_type(table, path)}
        for key, table, path in measures
    ]
    if rows:
        bind.execute(update, rows)


def _upgrade_etl_document() -> None:
    """Documents may be superseded or retracted, and accepted by a steward."""
    with op.batch_alter_table("etl_document", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("accept_reason", sa.Text(), nullable=True))
        batch.drop_constraint(op.f("ck_etl_document_status"), type_="check")
        batch.create_check_constraint(op.f("ck_etl_document_status"), _V2_STATUS)


def _upgrade_dim_document() -> None:
    """Documents get scope, source URL, fetch time and currency; the last loaded of a group stays current."""
    with op.batch_alter_table("dim_document", recreate=_recreate(), table_kwargs=_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("scope", sa.Text(), nullable=True))
        batch.add_column(sa.Column("source_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_loaded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("is_current", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retract_reason", sa.Text(), nullable=True))
    # v1 departments are one name each, so department_key is the department identity here.
    newest = (
        "SELECT n.document_key FROM dim_document n"
        " WHERE n.department_key = dim_document.department_key AND n.fiscal_year = dim_document.fiscal_year"
        " AND COALESCE(n.phase, '') = COALESCE(dim_document.phase, '')"
        " ORDER BY n.loaded_at DESC, n.document_key DESC LIMIT 1"
    )
    op.execute(f"UPDATE dim_document SET first_loaded_at = loaded_at, superseded_by = ({newest})")  # noqa: S608
    op.execute(
        "UPDATE dim_document SET is_current = (superseded_by = document_key),"
        " superseded_by = CASE WHEN superseded_by = document_key THEN NULL ELSE superseded_by END"
    )
    op.execute(
        "UPDATE etl_document SET status = 'superseded' WHERE sha256 IN"
        " (SELECT sha256 FROM dim_document WHERE is_current = FALSE)"
    )
    with op.batch_alter_table("dim_document", recreate=_recreate(), table_kwargs=_AUTOINCREMENT) as batch:
        batch.alter_column("first_loaded_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column("is_current", existing_type=sa.Boolean(), nullable=False)
        batch.create_check_constraint(op.f("ck_dim_document_scope"), "scope IN ('部门', '单位')")
        batch.create_foreign_key(
            op.f("fk_dim_document_superseded_by"), "dim_document", ["superseded_by"], ["document_key"]
        )
        batch.create_index(op.f("ix_dim_document_fiscal_year_phase"), ["fiscal_year", "phase"])


def downgrade() -> None:
    """Back to v1: drops the v2 tables and columns (superseded/retracted documents become 'loaded' again)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")
    with op.batch_alter_table("dim_document", recreate=_recreate(), table_kwargs=_AUTOINCREMENT) as batch:
        batch.drop_index(op.f("ix_dim_document_fiscal_year_phase"))
        batch.drop_constraint(op.f("fk_dim_document_superseded_by"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_dim_document_scope"), type_="check")
        for column in (
            "retract_reason",
            "retracted_at",
            "superseded_by",
            "is_current",
            "first_loaded_at",
            "fetched_at",
            "source_url",
            "scope",
        ):
            batch.drop_column(column)
    op.execute("UPDATE etl_document SET status = 'loaded' WHERE status IN ('superseded', 'retracted')")
    with op.batch_alter_table("etl_document", recreate=_recreate()) as batch:
        batch.drop_constraint(op.f("ck_etl_document_status"), type_="check")
        batch.create_check_constraint(op.f("ck_etl_document_status"), _V1_STATUS)
        batch.drop_column("accept_reason")
        batch.drop_column("accepted_at")
    with op.batch_alter_table("dim_measure", recreate=_recreate()) as batch:
        batch.drop_constraint(op.f("ck_dim_measure_fund_type"), type_="check")
        batch.drop_constraint(op.f("ck_dim_measure_stage"), type_="check")
        batch.drop_column("fund_type")
        batch.drop_column("stage")
    for table in ("dim_economic_subject", "dim_functional_subject"):
        with op.batch_alter_table(table, recreate=_recreate()) as batch:
            batch.drop_column("valid_to_year")
            batch.drop_column("valid_from_year")
    with op.batch_alter_table("dim_department", recreate=_recreate()) as batch:
        batch.drop_index(op.f("ix_dim_department_department_id"))
        for column in ("is_current", "valid_to", "valid_from", "city", "region", "department_id"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_etl_fetch_history_url"), table_name="etl_fetch_history")
    op.drop_table("etl_fetch_history")
    op.drop_table("etl_fetch")
    op.drop_table("etl_finding")
    op.drop_table("etl_run")
    op.drop_table("dim_department_alias")
