"""Harvest bookkeeping: the source name and published file name of each fetched URL; broken links backed off.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 00:00:00

``etl_fetch`` gets ``source`` (the sources.yaml name, the key of ``fiscal harvest --source`` and
``fiscal documents --source``; ``etl_document.source`` keeps the URL) and ``file_name`` (the name the
document is published under: Content-Disposition, a ``filename=`` query parameter, the URL or the
link text, so a download servlet's documents are not all ``downfile.jsp``), both nullable and filled
by the next fetch of each URL; and an index on ``sha256`` (a document's URLs and sources).

``etl_broken_link`` holds one row per URL (document or article page) whose last fetches failed:
since when, how often, the last reason and when to try again (after 1, 2, 4 … nights, at most 32).
The row goes when the URL works again. A new table rather than ``etl_fetch`` columns: pages are not
fetches of documents, and the row's life is the failure's.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add etl_fetch.source / file_name and its sha256 index; create etl_broken_link."""
    op.add_column("etl_fetch", sa.Column("source", sa.Text(), nullable=True))
    op.add_column("etl_fetch", sa.Column("file_name", sa.Text(), nullable=True))
    op.create_index(op.f("ix_etl_fetch_sha256"), "etl_fetch", ["sha256"])
    op.create_table(
        "etl_broken_link",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('document', 'page')", name=op.f("ck_etl_broken_link_kind")),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_etl_broken_link")),
    )


def downgrade() -> None:
    """Drop etl_broken_link, the index and the two columns (SQLite rebuilds etl_fetch; no view reads it)."""
    op.drop_table("etl_broken_link")
    op.drop_index(op.f("ix_etl_fetch_sha256"), table_name="etl_fetch")
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("etl_fetch", recreate=recreate) as batch:
        batch.drop_column("file_name")
        batch.drop_column("source")
