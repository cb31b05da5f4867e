"""How sure OCR was: of each fact read from a scanned page, and of each table's worst cell.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00

``fct_amount.ocr_confidence`` (0–1: the lowest confidence of the characters of the cell's reading; NULL
for facts not read by OCR, whose ``extraction_method`` is then not 'ocr') and ``etl_table.ocr_confidence``
(the table's lowest cell confidence; NULL when no page of it was OCR'd). Added in place.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns."""
    op.add_column("fct_amount", sa.Column("ocr_confidence", sa.Float(), nullable=True))
    op.add_column("etl_table", sa.Column("ocr_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop them (SQLite rebuilds both tables; the views of 0009 are recreated around it)."""
    m9 = importlib.import_module("warehouse.migrations.versions.0009_budget_execution")
    views = m9.views_0009()
    for name in reversed(list(views)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("etl_table", recreate=recreate) as batch:
        batch.drop_column("ocr_confidence")
    with op.batch_alter_table("fct_amount", recreate=recreate, table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("ocr_confidence")
    for sql in views.values():
        op.execute(sql)
