"""Rollup views count one scope per department, year and phase: the 部门 (consolidated) document wins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 03:20:00

A department publishes a 部门决算 (consolidated over its units) and may also publish 单位决算 (one
unit each). Summing both double counts. ``v_rollup_documents`` lists the documents the rollups
read: current ones, and of a department-year-phase that has a current 部门 document, only that
one. The four rollup views of 0003 are recreated reading it instead of ``dim_document`` (their
columns are unchanged); ``v_fiscal_facts`` keeps every document with its ``scope``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_VIEWS = ("v_expenditure_by_function", "v_basic_expenditure_by_economic", "v_three_public", "v_yoy")
_CURRENT_JOIN = "JOIN dim_document d ON d.document_key = f.document_key AND d.is_current = TRUE"
_ROLLUP_JOIN = "JOIN v_rollup_documents d ON d.document_key = f.document_key"

V_ROLLUP_DOCUMENTS = """
CREATE VIEW v_rollup_documents AS
SELECT d.*
FROM dim_document d
JOIN dim_department dep ON dep.department_key = d.department_key
WHERE d.is_current = TRUE
  AND NOT (
    COALESCE(d.scope, '部门') = '单位'
    AND EXISTS (
      SELECT 1
      FROM dim_document d2
      JOIN dim_department dep2 ON dep2.department_key = d2.department_key
      WHERE dep2.department_id = dep.department_id
        AND d2.fiscal_year = d.fiscal_year
        AND d2.phase = d.phase
        AND d2.is_current = TRUE
        AND COALESCE(d2.scope, '部门') = '部门'
    )
  )
"""


def _views_0003() -> dict[str, str]:
    """The views as 0003 created them (name → CREATE VIEW)."""
    module = importlib.import_module("warehouse.migrations.versions.0003_reporting_views")
    return dict(module.VIEWS)


def rollup_view_sql() -> dict[str, str]:
    """The rollup views of 0003 reading ``v_rollup_documents`` (each joins the documents exactly once)."""
    out = {}
    for name in ROLLUP_VIEWS:
        sql = _views_0003()[name]
        if sql.count(_CURRENT_JOIN) != 1:
            raise RuntimeError(f"{name}: expected one current-document join to replace")
        out[name] = sql.replace(_CURRENT_JOIN, _ROLLUP_JOIN)
    return out


def upgrade() -> None:
    """Create v_rollup_documents and recreate the rollup views on it."""
    for name in ROLLUP_VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(V_ROLLUP_DOCUMENTS)
    for sql in rollup_view_sql().values():
        op.execute(sql)


def downgrade() -> None:
    """Back to the rollup views of 0003."""
    for name in ROLLUP_VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS v_rollup_documents")
    views = _views_0003()
    for name in ROLLUP_VIEWS:
        op.execute(views[name])
