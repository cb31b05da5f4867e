"""The kind of each table (``etl_table.table_type``), shared by 预算 and 决算 of every family.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00

``table_code`` is the number a document prints for its table ("05"), which names different tables in
a 决算, a Shanghai 预算 and a Jiangsu 预算; ``table_type`` (``extract.table_types``) names the kind of
table (``general_budget_functional`` …), so one query compares them. Existing rows are 决算 tables
under the standard codes and get their type from the code.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: extract.table_types.FINAL_TABLE_TYPES as it was written (a migration keeps its own copy)
_FINAL_TABLE_TYPES = {
    "01": "income_expenditure_summary",
    "02": "income",
    "03": "expenditure",
    "04": "appropriation_summary",
    "05": "general_budget_functional",
    "06": "general_budget_basic_economic",
    "07": "three_public",
    "08": "government_fund",
    "09": "state_capital",
}


def upgrade() -> None:
    """Add etl_table.table_type and fill it for the standard 决算 codes."""
    op.add_column("etl_table", sa.Column("table_type", sa.Text(), nullable=True))
    etl_table = sa.table("etl_table", sa.column("table_code", sa.Text()), sa.column("table_type", sa.Text()))
    for code, kind in _FINAL_TABLE_TYPES.items():
        op.execute(etl_table.update().where(etl_table.c.table_code == code).values(table_type=kind))


def downgrade() -> None:
    """Drop etl_table.table_type (SQLite rebuilds the table)."""
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("etl_table", recreate=recreate) as batch:
        batch.drop_column("table_type")
