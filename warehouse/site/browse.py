"""SQL in the browser: Datasette metadata for the warehouse (every column described, with its unit) and canned queries.

Datasette serves a SQLite file read-only (``-i``, immutable). A PostgreSQL warehouse is browsed through a
snapshot (:mod:`warehouse.site.snapshot`, ``fiscal export sqlite``). The metadata describes every column of
every table and view the warehouse has; a column this module does not know is a test failure
(``tests/test_browse.py``), so new columns get documented with their unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, inspect

_YUAN = "unit: 元 (yuan), exact decimal, 2 places"
_RATE = "unit: ratio (final / budget, 4 places; 1.0 = 100 %)"
_TS = "timestamp (UTC)"

#: column name → description (with its unit when it has one); a table's own entry wins (TABLE_COLUMNS)
COLUMNS: dict[str, str] = {
    "amount_key": "surrogate key of one published amount (fct_amount)",
    "document_key": "surrogate key of the document (dim_document)",
    "department_key": "surrogate key of one printed department name (dim_department, SCD-2 version)",
    "functional_key": "key of the 功能分类 subject (dim_functional_subject), NULL when the row has no functional code",
    "economic_key": "key of the 经济分类 subject (dim_economic_subject), NULL when none",
    "line_item_key": "key of the label-identified row (dim_line_item), NULL for coded rows",
    "measure_key": "key of the column (dim_measure)",
    "sha256": "sha256 of the document's bytes (hex); the raw store keeps them as data/raw/<sha256>.pdf",
    "document_sha256": "sha256 of the document's bytes (hex)",
    "source": "where the document came from: URL or local path as received",
    "source_file": "file name the document was received under (published name for downloads)",
    "source_url": "URL the document was downloaded from, NULL for local files",
    "title": "title as printed",
    "pages": "number of pages (etl_table: the pages the table is printed on, comma separated)",
    "phase": "决算 (final accounts) or 预算 (budget)",
    "scope": "部门 (consolidated department) or 单位 (one unit)",
    "unit": "unit the amounts are printed in: 元 or 万元 (10,000 元)",
    "fiscal_year": "fiscal year (calendar year)",
    "department": "department's current name",
    "department_id": "stable identity of a department over renames (SCD-2 versions and steward aliases share it)",
    "department_printed": "department name as printed in the document",
    "name": "name as printed",
    "region": "region (province) of the department",
    "city": "city of the department",
    "valid_from": "first fiscal year this printed name is valid",
    "valid_to": "first fiscal year it is no longer valid (exclusive), NULL while current",
    "is_current": "true for the current version (department name) or current document",
    "alias_name": "a printed name a steward mapped to a department",
    "created_at": _TS,
    "note": "free text note",
    "code": "classification code (功能分类 3/5/7 digits, 经济分类 3/5 digits)",
    "level": "classification level: 类 / 款 / 项",
    "parent_code": "code of the parent level, NULL at 类",
    "valid_from_year": "first fiscal year the code has this name",
    "valid_to_year": "last fiscal year the code has this name, NULL while current",
    "table_code": "standard table: 01 … 09 (决算) or the 预算 table number",
    "header_path": "column header path outer → inner, joined with /",
    "stage": "预算数 / 决算数 … when the column says so",
    "fund_type": "一般公共预算 / 政府性基金 / 国有资本经营 when the column or title says so",
    "table_type": "kind of table (extract.table_types key)",
    "line_item": "label of a label-identified row (01/04 lines, 合计, 总计 …)",
    "parent_line_item": "the row a repeated sub-row belongs to",
    "pipeline_version": "version of fiscal-etl that processed the document",
    "loaded_at": _TS + " of the last load",
    "first_loaded_at": _TS + " of the first load (decides which document is current)",
    "fetched_at": _TS + " of the download",
    "superseded_by": "document_key of the document that replaced this one",
    "retracted_at": _TS + " of a retraction, NULL unless withdrawn",
    "retract_reason": "why the document was withdrawn",
    "amount": "amount as published, in `unit` (exact decimal)",
    "amount_text": "the cell's text as printed",
    "amount_yuan": "amount converted to 元; " + _YUAN,
    "is_total": "true for 合计/总计 rows and 类/款 rows with children (do not sum them with their children)",
    "page": "1-based PDF page the amount (or finding) is printed on",
    "row_index": "0-based row of the cell in its page's ruled grid",
    "col_index": "0-based column of the cell in its page's ruled grid",
    "dq_flag": "'accepted' when a steward loaded the document despite failed rules",
    "cell_x0": "cell box left edge; unit: PDF points on the page as displayed, origin top-left",
    "cell_top": "cell box top edge; unit: PDF points, origin top-left",
    "cell_x1": "cell box right edge; unit: PDF points",
    "cell_bottom": "cell box bottom edge; unit: PDF points",
    "extraction_method": "how the amount was read: text (a PDF's text layer), sheet (a spreadsheet cell), ocr (a scanned page)",
    "sheet": "spreadsheet facts: the sheet's name (page is then the sheet's position in the workbook)",
    "sheet_row": "spreadsheet facts: 1-based row as the spreadsheet numbers it",
    "sheet_col": "spreadsheet facts: 1-based column",
    "amount_stored": "spreadsheet facts: the number the cell stores when its format shows it rounded (exact text)",
    "ocr_confidence": "facts read by OCR (and, in etl_table, a table's worst cell): the lowest confidence of its characters; unit: 0–1",
    "status": "loaded / quarantined / failed / skipped / superseded / retracted",
    "reasons": "JSON list of reasons (failure, quarantine, skip)",
    "tables_found": "number of standard tables found",
    "facts_loaded": "number of amounts loaded",
    "updated_at": _TS + " of the last processing",
    "accepted_at": _TS + " of a steward's acceptance",
    "accept_reason": "the steward's reason for accepting",
    "first_seen_at": _TS + " the bytes were first received under this name",
    "present": "true when the table is in the document",
    "is_empty": "true when the table is printed without data (本表无数据)",
    "rows": "body rows read",
    "cells": "amount cells read",
    "accuracy": "camelot accuracy of the worst page; unit: percent (0–100)",
    "whitespace": "camelot whitespace of the worst page; unit: percent (0–100)",
    "outside_chars_pct": "share of the grid's characters in no cell, worst page; unit: percent (0–100)",
    "finding_no": "number of the finding within its document",
    "rule": "validation rule (expectations/rules.yaml)",
    "severity": "rule severity: error / warn / info",
    "outcome": "note (gap within tolerance), warning or failure",
    "row_label": "the row the finding concerns (label, code or `row N`)",
    "measure": "column header path (measure)",
    "expected": "expected value (computed), in the table's unit",
    "found": "value found (printed), in the table's unit",
    "difference": "found − expected, in the table's unit",
    "accepted": "true when a steward accepted the failure",
    "url": "URL fetched",
    "etag": "HTTP ETag of the last fetch",
    "last_modified": "HTTP Last-Modified of the last fetch",
    "http_status": "HTTP status of the last fetch",
    "bytes": "size; unit: bytes",
    "first_seen": _TS + " first fetched",
    "last_seen": _TS + " last fetched",
    "last_changed": _TS + " the bytes last changed",
    "error": "error of the last fetch",
    "file_name": "name the document is published under",
    "id": "row id",
    "kind": "document link or article page",
    "failures": "consecutive failed fetches",
    "first_failed_at": _TS,
    "last_failed_at": _TS,
    "next_retry_at": _TS + " of the next try",
    "reason": "last failure",
    "run_id": "run id",
    "flow_run_id": "Prefect flow run id",
    "started_at": _TS,
    "finished_at": _TS,
    "documents_new": "documents new in the run",
    "documents_unchanged": "documents unchanged",
    "documents_loaded": "documents loaded",
    "documents_quarantined": "documents quarantined",
    "documents_failed": "documents failed",
    "documents_skipped": "documents skipped",
    "version_num": "Alembic revision of the schema",
    "seq": "SQLite autoincrement counter",
    "functional_code": "功能分类 code (3/5/7 digits)",
    "functional_name": "功能分类 name as printed",
    "functional_level": "功能分类 level 类/款/项",
    "economic_code": "经济分类 code (3/5 digits)",
    "economic_name": "经济分类 name as printed",
    "economic_level": "经济分类 level 类/款",
    "item": "“三公” item (公务接待费, 公务用车购置及运行费 …, 合计)",
    "budget_yuan": "budget (预算数); " + _YUAN,
    "final_yuan": "final (决算数); " + _YUAN,
    "execution_rate": "final / budget; " + _RATE,
    "previous_amount_yuan": "the same subject one year earlier; " + _YUAN,
    "change_yuan": "amount − previous amount; " + _YUAN,
    "change_rate": "change / previous amount; unit: ratio (4 places)",
    "measure_family": "合计 / 基本支出 / 项目支出",
    "budget_source": "where the budget comes from: the 预算 document, or a 决算's 预算数 column",
    "difference_yuan": "final − budget; " + _YUAN,
}

#: the tables and views, described
TABLES: dict[str, str] = {
    "fct_amount": "one row per published amount cell (document × table × printed row × printed column)",
    "dim_department": "departments, SCD type 2: one row per printed name",
    "dim_department_alias": "steward-edited: printed name → department_id",
    "dim_functional_subject": "功能分类 subjects, versioned by year",
    "dim_economic_subject": "经济分类 subjects, versioned by year",
    "dim_measure": "columns: table code + header path, stage, fund type",
    "dim_line_item": "label-identified rows",
    "dim_document": "loaded documents with lineage and currency",
    "etl_document": "one row per received file with its status",
    "etl_document_name": "every name a document's bytes were received under",
    "etl_table": "one row per (document, standard table)",
    "etl_finding": "validation findings per document",
    "etl_fetch": "harvest manifest: one row per URL",
    "etl_fetch_history": "one row per fetch",
    "etl_broken_link": "URLs whose last fetches failed",
    "etl_run": "one row per harvest / rerun",
    "alembic_version": "schema revision",
    "sqlite_sequence": "SQLite's autoincrement counters",
    "v_fiscal_facts": "one row per published amount, denormalised (amounts in 元 and as published)",
    "v_expenditure_by_function": "功能分类 类/款/项 rollups of leaf amounts (元)",
    "v_basic_expenditure_by_economic": "基本支出 by 经济分类 类/款 (元)",
    "v_three_public": "“三公” 经费: 预算数 against 决算数 (元)",
    "v_yoy": "year over year per department and 功能分类 subject (元)",
    "v_budget_execution": "预算 against 决算 by 功能分类 with the execution rate (元)",
    "v_data_quality": "validation findings and accepted failures per document",
    "v_rollup_documents": "the current 部门 document per department, year and phase (rollup scope)",
}

#: the reporting views as canned queries: (view, title, order); every one filterable by department and year
CANNED: dict[str, tuple[str, str, str]] = {
    "facts": ("v_fiscal_facts", "Published amounts (current documents)", "department, fiscal_year, table_code, page, row_index, col_index"),
    "expenditure_by_function": ("v_expenditure_by_function", "Expenditure by 功能分类", "department, fiscal_year, table_code, measure, code"),
    "basic_by_economic": ("v_basic_expenditure_by_economic", "基本支出 by 经济分类", "department, fiscal_year, measure, code"),
    "three_public": ("v_three_public", "“三公” 经费: budget against final", "department, fiscal_year, item"),
    "yoy": ("v_yoy", "Year over year", "department, functional_code, fiscal_year"),
    "budget_execution": ("v_budget_execution", "Budget execution", "department, fiscal_year, measure_family, code"),
    "data_quality": ("v_data_quality", "Data quality findings", "source_file, rule, table_code, row_label, measure"),
}  # fmt: skip


def warehouse_columns(engine: Engine) -> dict[str, list[str]]:
    """Every table and view of the warehouse with its columns, in order."""
    inspector = inspect(engine)
    names = [*inspector.get_table_names(), *inspector.get_view_names()]
    return {name: [c["name"] for c in inspector.get_columns(name)] for name in names}


def undocumented(columns: Mapping[str, list[str]]) -> list[str]:
    """``table.column`` of every column (and table) the metadata would leave without a description."""
    missing = [f"{t}" for t in columns if t not in TABLES]
    missing += [f"{t}.{c}" for t, cols in columns.items() for c in cols if c not in COLUMNS]
    return missing


def canned_queries(site_base: str | None) -> dict[str, dict[str, Any]]:
    """The reporting views as Datasette canned queries (department and year optional parameters)."""
    queries: dict[str, dict[str, Any]] = {}
    for key, (view, title, order) in CANNED.items():
        where = [
            "(:department = '' OR department LIKE '%' || :department || '%')",
            "(:year = '' OR fiscal_year = CAST(:year AS INTEGER))",
        ]
        if view == "v_fiscal_facts":
            where.append("is_current")
        columns = "*"
        if view == "v_fiscal_facts" and site_base:
            # the cell on the report site: its document page, scrolled to the amount with its page image open
            columns = (
                f"'{site_base}documents/' || substr(document_sha256, 1, 16) || '.html#a' || amount_key AS site_cell, *"
            )
        queries[key] = {
            "sql": f"SELECT {columns} FROM {view} WHERE {' AND '.join(where)} ORDER BY {order}",  # noqa: S608
            "title": title,
            "description": TABLES[view] + (". site_cell opens the amount on the report site." if columns != "*" else ""),
        }
    return queries


def datasette_metadata(engine: Engine, database: str, site_base: str | None = None) -> dict[str, Any]:
    """Datasette metadata: title, every table/view column described (units included) and the canned queries.

    Parameters
    ----------
    engine : Engine
        The SQLite file Datasette serves (its tables and views are listed from it).
    database : str
        Datasette's name for the database (the file's stem).
    site_base : str or None
        URL of the report site's root when one is served alongside (``/site/`` mounted by ``fiscal
        browse --site``): facts then link to their cell.

    Returns
    -------
    dict
        The metadata document (``datasette --metadata``).

    """
    columns = warehouse_columns(engine)
    tables = {
        name: {"description": TABLES.get(name, ""), "columns": {c: COLUMNS.get(c, "") for c in cols}}
        for name, cols in columns.items()
    }
    return {
        "title": "fiscal-etl warehouse",
        "description": "Chinese government budget disclosures (部门决算 / 部门预算) as a star schema. Money columns"
        " ending in _yuan are in 元; `amount` is as published in `unit`. Read-only.",
        "databases": {database: {"tables": tables, "queries": canned_queries(site_base)}},
    }
