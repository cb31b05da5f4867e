"""How each fact was read, and where in a spreadsheet it stands.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00

``fct_amount`` gets ``extraction_method`` ('text': a PDF's text layer, 'sheet': a spreadsheet's cell;
'ocr' is reserved for scanned pages), and for a spreadsheet's facts ``sheet`` (its name), ``sheet_row``
and ``sheet_col`` (1-based, as the spreadsheet numbers them) and ``amount_stored``: the number the cell
stores, exactly, when its number format shows it rounded (``amount`` is what is shown, as printed).
For such facts ``page`` is the sheet's position in the workbook (it keeps cells unique) and the box
columns are NULL. Columns are added in place; facts loaded before are 'text'.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINEAGE_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    ("sheet", sa.Text()),
    ("sheet_row", sa.Integer()),
    ("sheet_col", sa.Integer()),
    ("amount_stored", sa.Text()),
)


def upgrade() -> None:
    """Add extraction_method (NOT NULL, 'text' for existing facts) and the sheet lineage columns."""
    op.add_column("fct_amount", sa.Column("extraction_method", sa.Text(), nullable=False, server_default="text"))
    for name, kind in LINEAGE_COLUMNS:
        op.add_column("fct_amount", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    """Drop them again (SQLite rebuilds fct_amount; the views of 0009 are recreated around it)."""
    m9 = importlib.import_module("warehouse.migrations.versions.0009_budget_execution")
    views = m9.views_0009()
    for name in reversed(list(views)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("fct_amount", recreate=recreate, table_kwargs={"sqlite_autoincrement": True}) as batch:
        for name, _ in reversed(LINEAGE_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("extraction_method")
    for sql in views.values():
        op.execute(sql)
