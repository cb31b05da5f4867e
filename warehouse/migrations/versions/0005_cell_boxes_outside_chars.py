"""Cell boxes as lineage on every fact; the share of characters outside every cell per table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:30:00

``fct_amount`` gets ``cell_x0``, ``cell_top``, ``cell_x1``, ``cell_bottom``: the published cell's
box in PDF points on the page as displayed (after /Rotate), origin top-left, so a reader can find
(or highlight) the exact cell an amount came from. ``etl_table`` gets ``outside_chars_pct``: of
the characters inside a table's grid, the share (0–100) that fell in no cell, worst page.

All five are nullable ``Float`` columns added in place (facts loaded before keep every value and
get NULL boxes; no table is rebuilt). Coordinates are measurements, not money: a double holds a
point value rounded to 0.01 exactly enough, nothing sums them, and Parquet/pandas read them as
float64 without a Decimal round trip; amounts stay ``Numeric``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOX_COLUMNS: tuple[str, ...] = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")


def upgrade() -> None:
    """Add the box columns to fct_amount and outside_chars_pct to etl_table (all NULL for existing rows)."""
    for name in BOX_COLUMNS:
        op.add_column("fct_amount", sa.Column(name, sa.Float(), nullable=True))
    op.add_column("etl_table", sa.Column("outside_chars_pct", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop the columns again (SQLite rebuilds the tables; the views of 0003/0004 are recreated around it)."""
    views = _views()
    for name in reversed(views):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("etl_table", recreate=recreate) as batch:
        batch.drop_column("outside_chars_pct")
    with op.batch_alter_table("fct_amount", recreate=recreate, table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name in reversed(BOX_COLUMNS):
            batch.drop_column(name)
    for sql in views.values():
        op.execute(sql)


def _views() -> dict[str, str]:
    """The reporting views at 0004 (name → CREATE VIEW), in creation order."""
    import importlib

    v3 = importlib.import_module("warehouse.migrations.versions.0003_reporting_views")
    v4 = importlib.import_module("warehouse.migrations.versions.0004_rollups_one_scope")
    views = dict(v3.VIEWS)
    for name in v4.ROLLUP_VIEWS:
        views.pop(name)
    views["v_rollup_documents"] = v4.V_ROLLUP_DOCUMENTS
    views.update(v4.rollup_view_sql())
    return views
