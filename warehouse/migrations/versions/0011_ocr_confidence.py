"""How sure OCR was: of each fact read from a scanned page, and of each table's worst cell.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00

``fct_amount.ocr_confidence`` (0–1: the lowest confidence of the characters of the cell's reading; NULL
for facts not read by OCR, whose ``extraction_method`` is then not 'ocr') and ``etl_table.ocr_confidence``
(the table's lowest cell confidence; NULL when no page of it was OCR'd). Added in place.

``v_data_quality`` gets ``finding_no`` and ``page`` appended: a finding (an ``ocr.corrected`` one among them)
is then found again, and its cell on its page, by the report site and by stewards.
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


def views_0011() -> dict[str, str]:
    """The reporting views at 0011: those of 0009, v_data_quality with finding_no and page appended."""
    m9 = importlib.import_module("warehouse.migrations.versions.0009_budget_execution")
    views = m9.views_0009()
    old = views["v_data_quality"]
    tail = "    e.accept_reason\nFROM etl_finding x"
    if old.count(tail) != 1:
        raise RuntimeError("v_data_quality: expected one accept_reason column before FROM")
    views["v_data_quality"] = old.replace(tail, "    e.accept_reason,\n    x.finding_no,\n    x.page\nFROM etl_finding x")
    return views


def upgrade() -> None:
    """Add the two nullable columns; v_data_quality with finding_no and page."""
    op.add_column("fct_amount", sa.Column("ocr_confidence", sa.Float(), nullable=True))
    op.add_column("etl_table", sa.Column("ocr_confidence", sa.Float(), nullable=True))
    op.execute("DROP VIEW IF EXISTS v_data_quality")
    op.execute(views_0011()["v_data_quality"])


def downgrade() -> None:
    """Drop them (SQLite rebuilds both tables; the views of 0009 are recreated around it)."""
    m9 = importlib.import_module("warehouse.migrations.versions.0009_budget_execution")
    views = m9.views_0009()
    for name in reversed(list(views_0011())):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("etl_table", recreate=recreate) as batch:
        batch.drop_column("ocr_confidence")
    with op.batch_alter_table("fct_amount", recreate=recreate, table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("ocr_confidence")
    for sql in views.values():
        op.execute(sql)
