"""The values the warehouse's coded columns may hold: one place for each set.

The models' CHECK constraints are written from these, and the read side uses them without importing
the ORM (0.1 s). The hand-written migrations spell them out again, as a migration must not change
when the code does.
"""

from __future__ import annotations

#: The level of a 功能分类 / 经济分类 subject by the length of its code.
FUNCTIONAL_LEVELS: dict[int, str] = {3: "类", 5: "款", 7: "项"}
ECONOMIC_LEVELS: dict[int, str] = {3: "类", 5: "款"}
#: What happened to a received document (``etl_document.status``).
ETL_STATUSES: tuple[str, ...] = ("loaded", "failed", "quarantined", "skipped", "superseded", "retracted")
#: The kind of document: final accounts or budget (``dim_document.phase``, ``dim_measure.phase``).
PHASES: tuple[str, ...] = ("决算", "预算")
SCOPES: tuple[str, ...] = ("部门", "单位")
#: What a column's amount is (``measure_stage``): this year's budget or final accounts, last year's budget
#: or actual (a 预算 prints them beside its own), or the change from last year.
STAGES: tuple[str, ...] = ("预算数", "决算数", "上年预算数", "上年执行数", "增减")
FUND_TYPES: tuple[str, ...] = ("一般公共预算", "政府性基金", "国有资本经营")
FINDING_SEVERITIES: tuple[str, ...] = ("error", "warn")
FINDING_OUTCOMES: tuple[str, ...] = ("note", "warning", "failure")
RUN_STATUSES: tuple[str, ...] = ("running", "completed", "failed")
#: What a broken link pointed at: a document or an article page.
BROKEN_LINK_KINDS: tuple[str, ...] = ("document", "page")
