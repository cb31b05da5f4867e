"""Reporting views: v_fiscal_facts, v_expenditure_by_function, v_basic_expenditure_by_economic,
v_three_public, v_yoy, v_data_quality.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:30:00

Plain SQL that SQLite (3.35+) and PostgreSQL both accept: CTEs, SUBSTR/LENGTH, CASE, TRUE/FALSE.
Column names are a contract (``fiscal report`` and README queries use them). A later migration
that rebuilds a table these views read on SQLite must drop and recreate the views around it
(SQLite checks views when a table is renamed).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The current printed name of a department_id: its is_current version row.
_CURRENT_NAME = "dim_department cur ON cur.department_id = {dep}.department_id AND cur.is_current = TRUE"

V_FISCAL_FACTS = f"""
CREATE VIEW v_fiscal_facts AS
SELECT
    f.amount_key,
    d.sha256 AS document_sha256,
    d.source_file,
    d.source_url,
    dep.department_id,
    cur.name AS department,
    dep.name AS department_printed,
    f.fiscal_year,
    d.phase,
    d.scope,
    f.table_code,
    fs.code AS functional_code,
    fs.name AS functional_name,
    fs.level AS functional_level,
    es.code AS economic_code,
    es.name AS economic_name,
    es.level AS economic_level,
    li.line_item,
    li.parent_line_item,
    m.header_path AS measure,
    m.stage,
    m.fund_type,
    f.amount,
    f.unit,
    f.amount_yuan,
    f.is_total,
    f.page,
    f.row_index,
    f.col_index,
    f.dq_flag,
    d.is_current
FROM fct_amount f
JOIN dim_document d ON d.document_key = f.document_key
JOIN dim_department dep ON dep.department_key = f.department_key
LEFT JOIN {_CURRENT_NAME.format(dep="dep")}
JOIN dim_measure m ON m.measure_key = f.measure_key
LEFT JOIN dim_functional_subject fs ON fs.functional_key = f.functional_key
LEFT JOIN dim_economic_subject es ON es.economic_key = f.economic_key
LEFT JOIN dim_line_item li ON li.line_item_key = f.line_item_key
"""

# Leaves are the functional rows that are not totals (the most detailed row printed under each
# branch); each leaf counts once at its own level and once at every level above it.
V_EXPENDITURE_BY_FUNCTION = f"""
CREATE VIEW v_expenditure_by_function AS
WITH leaves AS (
    SELECT dep.department_id, f.fiscal_year, f.table_code, fs.code, m.header_path AS measure, f.amount_yuan
    FROM fct_amount f
    JOIN dim_document d ON d.document_key = f.document_key AND d.is_current = TRUE
    JOIN dim_department dep ON dep.department_key = f.department_key
    JOIN dim_functional_subject fs ON fs.functional_key = f.functional_key
    JOIN dim_measure m ON m.measure_key = f.measure_key
    WHERE f.is_total = FALSE
),
rolled AS (
    SELECT department_id, fiscal_year, table_code, '类' AS level, SUBSTR(code, 1, 3) AS code, measure,
           SUM(amount_yuan) AS amount_yuan
    FROM leaves GROUP BY department_id, fiscal_year, table_code, SUBSTR(code, 1, 3), measure
    UNION ALL
    SELECT department_id, fiscal_year, table_code, '款', SUBSTR(code, 1, 5), measure, SUM(amount_yuan)
    FROM leaves WHERE LENGTH(code) >= 5
    GROUP BY department_id, fiscal_year, table_code, SUBSTR(code, 1, 5), measure
    UNION ALL
    SELECT department_id, fiscal_year, table_code, '项', code, measure, SUM(amount_yuan)
    FROM leaves WHERE LENGTH(code) = 7
    GROUP BY department_id, fiscal_year, table_code, code, measure
)
SELECT
    r.department_id,
    cur.name AS department,
    r.fiscal_year,
    r.table_code,
    r.level,
    r.code,
    (SELECT MIN(s.name) FROM dim_functional_subject s
     WHERE s.code = r.code AND r.fiscal_year BETWEEN s.valid_from_year AND s.valid_to_year) AS name,
    r.measure,
    r.amount_yuan
FROM rolled r
LEFT JOIN {_CURRENT_NAME.format(dep="r")}
"""

V_BASIC_EXPENDITURE_BY_ECONOMIC = f"""
CREATE VIEW v_basic_expenditure_by_economic AS
WITH leaves AS (
    SELECT dep.department_id, f.fiscal_year, es.code, m.header_path AS measure, f.amount_yuan
    FROM fct_amount f
    JOIN dim_document d ON d.document_key = f.document_key AND d.is_current = TRUE
    JOIN dim_department dep ON dep.department_key = f.department_key
    JOIN dim_economic_subject es ON es.economic_key = f.economic_key
    JOIN dim_measure m ON m.measure_key = f.measure_key
    WHERE f.is_total = FALSE AND f.table_code = '06'
),
rolled AS (
    SELECT department_id, fiscal_year, '类' AS level, SUBSTR(code, 1, 3) AS code, measure,
           SUM(amount_yuan) AS amount_yuan
    FROM leaves GROUP BY department_id, fiscal_year, SUBSTR(code, 1, 3), measure
    UNION ALL
    SELECT department_id, fiscal_year, '款', code, measure, SUM(amount_yuan)
    FROM leaves WHERE LENGTH(code) = 5
    GROUP BY department_id, fiscal_year, code, measure
)
SELECT
    r.department_id,
    cur.name AS department,
    r.fiscal_year,
    r.level,
    r.code,
    (SELECT MIN(s.name) FROM dim_economic_subject s
     WHERE s.code = r.code AND r.fiscal_year BETWEEN s.valid_from_year AND s.valid_to_year) AS name,
    r.measure,
    r.amount_yuan
FROM rolled r
LEFT JOIN {_CURRENT_NAME.format(dep="r")}
"""

# The item is found anywhere in the header path (Putuo prints 三公/合计/预算数, others 预算数/合计):
# the leaves 购置费 / 运行(维护)费 before their group (…购置及运行费, its 小计), 合计 last.
V_THREE_PUBLIC = f"""
CREATE VIEW v_three_public AS
WITH cells AS (
    SELECT dep.department_id, f.fiscal_year, m.stage, f.amount_yuan,
        CASE
            WHEN m.header_path LIKE '%公务用车购置费%' THEN '公务用车购置费'
            WHEN m.header_path LIKE '%公务用车运行费%' OR m.header_path LIKE '%公务用车运行维护费%'
                 THEN '公务用车运行费'
            WHEN m.header_path LIKE '%购置及运行%' OR m.header_path LIKE '%小计%' THEN '公务用车购置及运行费'
            WHEN m.header_path LIKE '%因公出国%' THEN '因公出国（境）费'
            WHEN m.header_path LIKE '%公务接待费%' THEN '公务接待费'
            WHEN m.header_path LIKE '%合计%' THEN '合计'
        END AS item
    FROM fct_amount f
    JOIN dim_document d ON d.document_key = f.document_key AND d.is_current = TRUE
    JOIN dim_department dep ON dep.department_key = f.department_key
    JOIN dim_measure m ON m.measure_key = f.measure_key
    WHERE f.table_code = '07' AND m.stage IS NOT NULL
),
items AS (
    SELECT department_id, fiscal_year, item,
        SUM(CASE WHEN stage = '预算数' THEN amount_yuan END) AS budget_yuan,
        SUM(CASE WHEN stage = '决算数' THEN amount_yuan END) AS final_yuan
    FROM cells WHERE item IS NOT NULL
    GROUP BY department_id, fiscal_year, item
)
SELECT
    i.department_id,
    cur.name AS department,
    i.fiscal_year,
    i.item,
    i.budget_yuan,
    i.final_yuan,
    CASE WHEN i.budget_yuan IS NULL OR i.budget_yuan = 0 THEN NULL
         ELSE ROUND(i.final_yuan * 1.0 / i.budget_yuan, 4) END AS execution_rate
FROM items i
LEFT JOIN {_CURRENT_NAME.format(dep="i")}
"""

# Table 03, the 合计 column (本年支出合计 / 合计), every printed 类/款/项 row, against the
# same department_id and code one fiscal year earlier.
V_YOY = f"""
CREATE VIEW v_yoy AS
WITH rows03 AS (
    SELECT dep.department_id, f.fiscal_year, fs.code, fs.level, MIN(fs.name) AS name,
           SUM(f.amount_yuan) AS amount_yuan
    FROM fct_amount f
    JOIN dim_document d ON d.document_key = f.document_key AND d.is_current = TRUE
    JOIN dim_department dep ON dep.department_key = f.department_key
    JOIN dim_functional_subject fs ON fs.functional_key = f.functional_key
    JOIN dim_measure m ON m.measure_key = f.measure_key
    WHERE f.table_code = '03' AND (m.header_path = '合计' OR m.header_path LIKE '%支出合计')
    GROUP BY dep.department_id, f.fiscal_year, fs.code, fs.level
)
SELECT
    y.department_id,
    cur.name AS department,
    y.fiscal_year,
    y.code AS functional_code,
    y.name AS functional_name,
    y.level,
    y.amount_yuan,
    p.amount_yuan AS previous_amount_yuan,
    y.amount_yuan - p.amount_yuan AS change_yuan,
    CASE WHEN p.amount_yuan IS NULL OR p.amount_yuan = 0 THEN NULL
         ELSE ROUND((y.amount_yuan - p.amount_yuan) * 1.0 / p.amount_yuan, 4) END AS change_rate
FROM rows03 y
LEFT JOIN rows03 p ON p.department_id = y.department_id AND p.code = y.code AND p.fiscal_year = y.fiscal_year - 1
LEFT JOIN {_CURRENT_NAME.format(dep="y")}
"""

# Quarantined documents have no dim_document row: their department is found by printed name.
V_DATA_QUALITY = """
CREATE VIEW v_data_quality AS
SELECT
    e.sha256 AS document_sha256,
    e.source_file,
    COALESCE(cur.name, e.department) AS department,
    e.fiscal_year,
    e.status,
    x.rule,
    x.severity,
    x.outcome,
    x.accepted,
    x.table_code,
    x.row_label,
    x.measure,
    x.expected,
    x.found,
    x.difference,
    e.accept_reason
FROM etl_finding x
JOIN etl_document e ON e.sha256 = x.sha256
LEFT JOIN dim_department printed ON printed.name = e.department
LEFT JOIN dim_department cur ON cur.department_id = printed.department_id AND cur.is_current = TRUE
"""

VIEWS: dict[str, str] = {
    "v_fiscal_facts": V_FISCAL_FACTS,
    "v_expenditure_by_function": V_EXPENDITURE_BY_FUNCTION,
    "v_basic_expenditure_by_economic": V_BASIC_EXPENDITURE_BY_ECONOMIC,
    "v_three_public": V_THREE_PUBLIC,
    "v_yoy": V_YOY,
    "v_data_quality": V_DATA_QUALITY,
}


def upgrade() -> None:
    """Create the reporting views."""
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    """Drop the reporting views."""
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
