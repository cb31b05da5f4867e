"""预算 facts beside 决算 facts: measures keyed by phase and kind of table; the rollups read 决算; v_budget_execution.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:00:00

A 预算 prints its tables under its own numbers ("07" is the 三公 table of a 决算, the 国有资本经营 table of a
Shanghai 预算, the general-budget table of a Jiangsu 预算), and a column that names no stage holds the
document's own figure (预算数 in a 预算). So ``dim_measure`` gets ``phase`` and ``table_type`` and is
keyed by (table_code, header_path, phase, table_type); its ``stage`` may also say 上年预算数, 上年执行数
or 增减 (the comparison columns a 预算 prints). Measures loaded before are 决算 columns (the pipeline
skipped every 预算 until now): phase '决算', table_type the standard kind of the code ('' for another
code), stage and fund type unchanged.

The four rollup views of 0004 read the standard 决算 table codes (06, 07, 03): they are recreated
reading 决算 measures only (``m.phase = '决算'``; their columns and 决算 rows are unchanged), so a
预算 loaded beside a 决算 never adds into them. ``v_budget_execution`` (below) compares the two phases.

SQLite checks views when a table is renamed, and rebuilds ``dim_measure`` here: every view is dropped
first and created again afterwards.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
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
_STAGE_0002 = "stage IN ('预算数', '决算数')"
_STAGE_0009 = "stage IN ('预算数', '决算数', '上年预算数', '上年执行数', '增减')"
_PHASE = "phase IN ('决算', '预算')"
_MEASURE_JOIN = "JOIN dim_measure m ON m.measure_key = f.measure_key"
_DECISION_JOIN = "JOIN dim_measure m ON m.measure_key = f.measure_key AND m.phase = '决算'"

# The current printed name of a department_id: its is_current version row (as 0003).
_CURRENT_NAME = "dim_department cur ON cur.department_id = {dep}.department_id AND cur.is_current = TRUE"

#: The measure family of a general-budget functional column, from its printed header path: 基本支出 or
#: 项目支出 when the innermost label names it (or names it just above a stage label: 基本支出/决算数), else
#: 合计 when the innermost label is a total (…合计, …小计, 金额) or a stage alone (预算数, 决算数,
#: 年初预算数: the row's whole figure); any other column (年初结转和结余 …) is no family and is left out.
_FAMILY = """CASE
            WHEN m.header_path LIKE '%基本支出' OR m.header_path LIKE '%基本支出/%数' THEN '基本支出'
            WHEN m.header_path LIKE '%项目支出' OR m.header_path LIKE '%项目支出/%数' THEN '项目支出'
            WHEN m.header_path LIKE '%合计' OR m.header_path LIKE '%小计' OR m.header_path LIKE '%金额'
                 OR m.header_path LIKE '%数' THEN '合计'
        END"""

# One row per department, fiscal year, 功能分类 code (类/款/项) and measure family, from the
# general-budget functional table (table_type general_budget_functional: 决算 05, Shanghai 预算 05,
# Jiangsu 预算 07/08/10) of the documents the rollups read (current; 部门 over 单位 per phase):
# - budget: the 预算's 预算数 columns when that 预算 has any for the department-year, else the 预算数
#   columns the 决算 prints; budget_source names the one read (NULL: neither has a budget);
# - final: the 决算's columns that are 决算数 or name no stage (决算数/小计, 本年支出/小计, 合计 …).
# Each level sums the most detailed rows printed under it (is_total = FALSE), as v_expenditure_by_function.
V_BUDGET_EXECUTION = f"""
CREATE VIEW v_budget_execution AS
WITH cells AS (
    SELECT dep.department_id, f.fiscal_year, fs.code, f.amount_yuan,
        CASE
            WHEN m.phase = '预算' AND m.stage = '预算数' THEN 'budget'
            WHEN m.phase = '决算' AND m.stage = '预算数' THEN 'final_budget'
            WHEN m.phase = '决算' AND (m.stage IS NULL OR m.stage = '决算数') THEN 'final'
        END AS part,
        {_FAMILY} AS measure_family
    FROM fct_amount f
    JOIN v_rollup_documents d ON d.document_key = f.document_key
    JOIN dim_department dep ON dep.department_key = f.department_key
    JOIN dim_functional_subject fs ON fs.functional_key = f.functional_key
    JOIN dim_measure m ON m.measure_key = f.measure_key
    WHERE f.is_total = FALSE AND m.table_type = 'general_budget_functional'
),
leaves AS (
    SELECT department_id, fiscal_year, code, part, measure_family, amount_yuan
    FROM cells WHERE part IS NOT NULL AND measure_family IS NOT NULL
),
rolled AS (
    SELECT department_id, fiscal_year, '类' AS level, SUBSTR(code, 1, 3) AS code, measure_family, part,
           SUM(amount_yuan) AS amount_yuan
    FROM leaves GROUP BY department_id, fiscal_year, SUBSTR(code, 1, 3), measure_family, part
    UNION ALL
    SELECT department_id, fiscal_year, '款', SUBSTR(code, 1, 5), measure_family, part, SUM(amount_yuan)
    FROM leaves WHERE LENGTH(code) >= 5
    GROUP BY department_id, fiscal_year, SUBSTR(code, 1, 5), measure_family, part
    UNION ALL
    SELECT department_id, fiscal_year, '项', code, measure_family, part, SUM(amount_yuan)
    FROM leaves WHERE LENGTH(code) = 7
    GROUP BY department_id, fiscal_year, code, measure_family, part
),
sources AS (
    SELECT department_id, fiscal_year,
        CASE
            WHEN SUM(CASE WHEN part = 'budget' THEN 1 ELSE 0 END) > 0 THEN 'budget'
            WHEN SUM(CASE WHEN part = 'final_budget' THEN 1 ELSE 0 END) > 0 THEN 'final_budget'
        END AS budget_part
    FROM leaves GROUP BY department_id, fiscal_year
),
compared AS (
    SELECT r.department_id, r.fiscal_year, r.level, r.code, r.measure_family, s.budget_part,
        SUM(CASE WHEN r.part = s.budget_part THEN r.amount_yuan END) AS budget_yuan,
        SUM(CASE WHEN r.part = 'final' THEN r.amount_yuan END) AS final_yuan,
        SUM(CASE WHEN r.part = s.budget_part OR r.part = 'final' THEN 1 ELSE 0 END) AS shown
    FROM rolled r
    JOIN sources s ON s.department_id = r.department_id AND s.fiscal_year = r.fiscal_year
    GROUP BY r.department_id, r.fiscal_year, r.level, r.code, r.measure_family, s.budget_part
)
SELECT
    x.department_id,
    cur.name AS department,
    x.fiscal_year,
    x.level,
    x.code,
    (SELECT MIN(s.name) FROM dim_functional_subject s
     WHERE s.code = x.code AND x.fiscal_year BETWEEN s.valid_from_year AND s.valid_to_year) AS name,
    x.measure_family,
    x.budget_yuan,
    CASE x.budget_part WHEN 'budget' THEN '预算 document' WHEN 'final_budget' THEN '决算 预算数 column' END
        AS budget_source,
    x.final_yuan,
    x.final_yuan - x.budget_yuan AS difference_yuan,
    CASE WHEN x.budget_yuan IS NULL OR x.budget_yuan = 0 OR x.final_yuan IS NULL THEN NULL
         ELSE ROUND(x.final_yuan * 1.0 / x.budget_yuan, 4) END AS execution_rate
FROM compared x
LEFT JOIN {_CURRENT_NAME.format(dep="x")}
WHERE x.shown > 0
"""


def views_0008() -> dict[str, str]:
    """The reporting views as 0008 left them (name → CREATE VIEW), in creation order (as 0004 made them)."""
    v3 = importlib.import_module("warehouse.migrations.versions.0003_reporting_views")
    v4 = importlib.import_module("warehouse.migrations.versions.0004_rollups_one_scope")
    views = dict(v3.VIEWS)
    for name in v4.ROLLUP_VIEWS:
        views.pop(name)
    views["v_rollup_documents"] = v4.V_ROLLUP_DOCUMENTS
    views.update(v4.rollup_view_sql())
    return views


def views_0009() -> dict[str, str]:
    """The reporting views at 0009: the rollups on 决算 measures only, then v_budget_execution."""
    v4 = importlib.import_module("warehouse.migrations.versions.0004_rollups_one_scope")
    views = views_0008()
    for name in v4.ROLLUP_VIEWS:
        sql = views[name]
        if sql.count(_MEASURE_JOIN) != 1:
            raise RuntimeError(f"{name}: expected one measure join to restrict to 决算")
        views[name] = sql.replace(_MEASURE_JOIN, _DECISION_JOIN)
    views["v_budget_execution"] = V_BUDGET_EXECUTION
    return views


def _recreate() -> str:
    """SQLite rebuilds altered tables (so the stored DDL equals create_all's); PostgreSQL ALTERs in place."""
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def _drop_views(views: dict[str, str]) -> None:
    """Drop the views, the last created first."""
    for name in reversed(list(views)):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    """Key measures by phase and kind of table; recreate the views (rollups on 决算 only, v_budget_execution)."""
    _drop_views(views_0008())
    op.add_column("dim_measure", sa.Column("phase", sa.Text(), nullable=True))
    op.add_column("dim_measure", sa.Column("table_type", sa.Text(), nullable=True))
    kinds = " ".join(f"WHEN '{code}' THEN '{kind}'" for code, kind in _FINAL_TABLE_TYPES.items())
    op.execute(f"UPDATE dim_measure SET phase = '决算', table_type = CASE table_code {kinds} ELSE '' END")  # noqa: S608
    with op.batch_alter_table("dim_measure", recreate=_recreate()) as batch:
        batch.alter_column("phase", existing_type=sa.Text(), nullable=False)
        batch.alter_column("table_type", existing_type=sa.Text(), nullable=False)
        batch.drop_constraint(op.f("uq_dim_measure_table_code_header_path"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_dim_measure_table_code_header_path_phase_table_type"),
            ["table_code", "header_path", "phase", "table_type"],
        )
        batch.drop_constraint(op.f("ck_dim_measure_stage"), type_="check")
        batch.create_check_constraint(op.f("ck_dim_measure_stage"), _STAGE_0009)
        batch.create_check_constraint(op.f("ck_dim_measure_phase"), _PHASE)
    for sql in views_0009().values():
        op.execute(sql)


def downgrade() -> None:
    """Back to measures keyed by (table_code, header_path): the columns of one printed header become one.

    Facts of a printed (table_code, header_path) point at its lowest measure_key; stage and fund
    type are derived again as a 决算's (0002's rules), so 预算 columns lose their 预算 stage.
    """
    from warehouse.models import measure_fund_type, measure_stage

    _drop_views(views_0009())
    # every fact of a printed (table_code, header_path) points at its lowest measure_key; the others go
    op.execute(
        "UPDATE fct_amount SET measure_key = (SELECT MIN(k.measure_key) FROM dim_measure k"
        " JOIN dim_measure m ON k.table_code = m.table_code AND k.header_path = m.header_path"
        " WHERE m.measure_key = fct_amount.measure_key)"
    )
    op.execute(
        "DELETE FROM dim_measure WHERE measure_key <> (SELECT MIN(k.measure_key) FROM dim_measure k"
        " WHERE k.table_code = dim_measure.table_code AND k.header_path = dim_measure.header_path)"
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
    with op.batch_alter_table("dim_measure", recreate=_recreate()) as batch:
        batch.drop_constraint(op.f("ck_dim_measure_phase"), type_="check")
        batch.drop_constraint(op.f("ck_dim_measure_stage"), type_="check")
        batch.create_check_constraint(op.f("ck_dim_measure_stage"), _STAGE_0002)
        batch.drop_constraint(op.f("uq_dim_measure_table_code_header_path_phase_table_type"), type_="unique")
        batch.create_unique_constraint(op.f("uq_dim_measure_table_code_header_path"), ["table_code", "header_path"])
        batch.drop_column("table_type")
        batch.drop_column("phase")
    for sql in views_0008().values():
        op.execute(sql)
