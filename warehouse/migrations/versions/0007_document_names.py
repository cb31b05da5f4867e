"""Every name a document's bytes were received under (``etl_document_name``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00

``etl_document`` keeps one ``source``/``source_file`` per sha256 (the latest); the same bytes sent
under a second name (two file names in one batch, one PDF published at two URLs) overwrote the first.
One row per (sha256, source) keeps them all, with when each was first seen (nothing that a rerun of
the same input would change: reruns leave the warehouse as it was).
Existing documents get their current name.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create etl_document_name and fill it from etl_document."""
    op.create_table(
        "etl_document_name",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "source", name=op.f("pk_etl_document_name")),
    )
    op.execute(
        "INSERT INTO etl_document_name (sha256, source, source_file, first_seen_at) "
        "SELECT sha256, source, source_file, updated_at FROM etl_document"
    )


def downgrade() -> None:
    """Drop etl_document_name."""
    op.drop_table("etl_document_name")
