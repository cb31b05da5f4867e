"""A small warehouse of awkward values: what the read-only commands must print exactly as pandas printed them.

Text with commas, quotes, newlines, leading/trailing spaces and CJK; empty strings; missing values
(a failed document read nothing, a quarantined one only part); Decimals with trailing zeros, large and
tiny; floats that print in scientific notation; booleans; findings with missing fields.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from extract.models import Document, DocumentFacts, TableSummary
from warehouse.bookkeeping import FindingRow
from warehouse.load import load_document, record_document

ODD_TEXT = 'a,b "quoted"\nnew line'


def _document(name: str) -> Document:
    return Document(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        source=f"https://example.gov.cn/{name}",
        source_file=name,
        path=Path("/nowhere") / name,
        size=1,
    )


def _cell(table: str, page: int, row: int, col: int, measure: str, amount: str, **kw: Any) -> dict[str, Any]:
    value = Decimal(amount)
    unit = kw.get("unit", "万元")
    factor = Decimal(10000) if unit == "万元" else Decimal(1)
    f, e = kw.get("f"), kw.get("e")
    return {
        "table_code": table,
        "page": page,
        "row_index": row,
        "col_index": col,
        "functional_code": f[0] if f else None,
        "functional_name": f[1] if f else None,
        "economic_code": e[0] if e else None,
        "economic_name": e[1] if e else None,
        "line_item": kw.get("item"),
        "parent_line_item": kw.get("parent"),
        "measure": measure,
        "amount": value,
        "unit": unit,
        "amount_yuan": value * factor,
        "is_total": kw.get("total", False),
        "raw_text": amount,
        "cell_x0": kw.get("box", (None,) * 4)[0],
        "cell_top": kw.get("box", (None,) * 4)[1],
        "cell_x1": kw.get("box", (None,) * 4)[2],
        "cell_bottom": kw.get("box", (None,) * 4)[3],
    }


def _cells() -> list[dict[str, Any]]:
    return [
        _cell("01", 3, 4, 1, "收入/金额", "2846.50", item=ODD_TEXT, box=(237.01, 152.7, 297.64, 169.6)),
        _cell("01", 3, 5, 1, "收入/金额", "0.00", item=" leading and trailing ", box=(-0.0, 1e-05, 1e16, 1e17 + 0.5)),
        _cell("01", 3, 6, 1, "收入/金额", "123456789012.10", item='"', unit="元", total=True),
        _cell("01", 3, 20, 1, "收入/金额", "0.01", item="收入总计", parent="年初,结转", total=True, box=(1, 2.5, 3, 4)),
        _cell("02", 4, 8, 2, "本年收入合计", "1200.00", f=("2010301", "行政运行"), box=(1.0, 2.0, 3.0, 4.0)),
        _cell("02", 4, 9, 2, "本年收入合计", "-3.10", f=("2010302", "一般,行政\"管理\"事务")),
        _cell("06", 8, 6, 1, "人员经费/决算数", "50.12", e=("30101", "基本工资")),
        _cell("06", 8, 6, 4, "公用经费/决算数", "0.10", e=("30201", "办公费\r\n(含\t印刷)")),
    ]


def _tables() -> list[TableSummary]:
    return [
        TableSummary("01", ODD_TEXT, (3,), True, False, 30, 4, "万元", 99.5, 1e-05, None, 0.30000000000000004),
        TableSummary("02", "", (4, 5), True, False, 12, 5, None, 100.0, None, "", 1e16),
        TableSummary("06", "一般公共预算财政拨款基本支出决算表", (8,), True, False, 40, 3, "元", None, 20.5, 'note, "quoted"\n2', -0.0),
        TableSummary("08", None, (11,), True, True, 0, 0, None, None, None, "本表无数据"),
        TableSummary("09", None, (), False, False, 0, 0, None, None, None, None),
    ]


def build_odd_warehouse(engine: Engine) -> list[str]:
    """Fill ``engine`` (migrated, empty) with the awkward documents; return their sha256s (loaded ones first)."""
    import pandas as pd

    from transform.stg_cells import STG_CELLS_COLUMNS

    loaded = _document('odd, "name"\n.pdf')
    load_document(
        engine,
        document=loaded,
        facts=DocumentFacts(department='甲,"局"', fiscal_year=2020, phase="决算", unit="万元", title="t"),
        pages=24,
        stg_cells=pd.DataFrame(_cells(), columns=list(STG_CELLS_COLUMNS)),
        tables=_tables(),
        pipeline_version="odd",
        reasons=[ODD_TEXT, "", "; semicolon"],
        findings=[
            FindingRow(rule="rounding", severity="warn", outcome="note", table_code="01", difference="0.01"),
            FindingRow(rule=ODD_TEXT, severity="warn", outcome="warning", row_label="", measure='"m"', page=3),
        ],
    )
    plain = _document("plain.pdf")
    load_document(
        engine,
        document=plain,
        facts=DocumentFacts(department="乙局", fiscal_year=2021, phase="决算", unit="元", title=None),
        pages=2,
        stg_cells=pd.DataFrame([_cell("01", 1, 1, 1, "收入/金额", "7", unit="元")], columns=list(STG_CELLS_COLUMNS)),
        tables=[],
        pipeline_version="odd",
    )
    failed = _document("failed.pdf")
    record_document(
        engine, document=failed, facts=None, pages=None, status="failed", reasons=['failed.pdf: "truncated", PDF'],
        tables=[], pipeline_version="odd",
    )
    partial = _document("partial.pdf")
    record_document(
        engine, document=partial,
        facts=DocumentFacts(department=None, fiscal_year=2021, phase=None, unit=None, title=None),
        pages=3, status="quarantined", reasons=[],
        tables=[TableSummary("03", None, (2,), True, False, 1, 1, None, None, None)], pipeline_version="odd",
        findings=[FindingRow(rule="r", severity="error", outcome="failure", expected="1.00", found="1.0")],
    )
    return [loaded.sha256, plain.sha256, failed.sha256, partial.sha256]
