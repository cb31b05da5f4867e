"""The loader and the read side, on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from extract.models import Document, DocumentFacts, TableSummary
from transform.stg_cells import FIGURE_COLUMNS, STG_CELLS_COLUMNS, StgCellsContractError
from warehouse import load as load_module
from warehouse.errors import AmbiguousDocumentError, DocumentNotFoundError, LoadError
from warehouse.export import (
    FACT_COLUMNS,
    export_facts,
    list_documents,
    list_tables,
    resolve_document,
    table_counts,
)
from warehouse.load import LoadResult, load_document, record_document
from warehouse.models import Base

# the document's columns, then what a cell says named as in stg_cells, then where it was printed
PUBLIC_COLUMNS = ["document_sha256", "source_file", "department", "fiscal_year", "phase", "table_code", *FIGURE_COLUMNS, "page"]
TIMESTAMPS = {"loaded_at", "updated_at"}
DEPARTMENT = "长沙市政务服务中心"


# ---------------------------------------------------------------- builders


def make_document(name: str = "changsha_zwfwzx_2020.pdf", sha256: str | None = None) -> Document:
    sha = sha256 or hashlib.sha256(name.encode()).hexdigest()
    return Document(
        sha256=sha,
        source=f"https://example.gov.cn/{name}",
        source_file=name,
        path=Path("/nowhere") / name,
        size=1,
    )


def make_facts(department: str | None = DEPARTMENT, fiscal_year: int | None = 2020) -> DocumentFacts:
    return DocumentFacts(
        department=department, fiscal_year=fiscal_year, phase="决算", unit="万元", title="2020年度部门决算"
    )


def cell(
    table: str,
    page: int,
    row: int,
    col: int,
    measure: str,
    amount: str,
    *,
    f: tuple[str, str] | None = None,
    e: tuple[str, str] | None = None,
    item: str | None = None,
    parent: str | None = None,
    total: bool = False,
    unit: str = "万元",
) -> dict[str, Any]:
    value = Decimal(amount)
    factor = Decimal(10000) if unit == "万元" else Decimal(1)
    return {
        "table_code": table,
        "page": page,
        "row_index": row,
        "col_index": col,
        "functional_code": f[0] if f else None,
        "functional_name": f[1] if f else None,
        "economic_code": e[0] if e else None,
        "economic_name": e[1] if e else None,
        "line_item": item,
        "parent_line_item": parent,
        "measure": measure,
        "amount": value,
        "unit": unit,
        "amount_yuan": value * factor,
        "is_total": total,
        "raw_text": amount,
    }


def sample_cells() -> list[dict[str, Any]]:
    return [
        cell("01", 3, 4, 1, "收入/金额", "2846.52", item="一般公共预算财政拨款收入"),
        cell("01", 3, 5, 1, "收入/金额", "0.00", item="政府性基金预算财政拨款收入"),
        cell("01", 3, 4, 3, "支出/金额", "2834.09", item="一般公共服务支出"),
        cell("01", 3, 20, 1, "收入/金额", "2847.27", item="收入总计", total=True),
        cell("02", 4, 5, 2, "本年收入合计", "2846.52", item="合计", total=True),
        cell("02", 4, 6, 2, "本年收入合计", "2846.52", f=("201", "一般公共服务支出"), total=True),
        cell(
            "02",
            4,
            7,
            2,
            "本年收入合计",
            "2846.52",
            f=("20103", "政府办公厅（室）及相关机构事务"),
            total=True,
        ),
        cell("02", 4, 8, 2, "本年收入合计", "1200.00", f=("2010301", "行政运行")),
        cell("02", 4, 8, 3, "财政拨款收入", "1200.00", f=("2010301", "行政运行")),
        cell(
            "04",
            5,
            9,
            1,
            "收入/金额",
            "0.75",
            item="一般公共预算财政拨款",
            parent="年初财政拨款结转和结余",
        ),
        cell("06", 8, 5, 1, "人员经费/决算数", "166.76", e=("301", "工资福利支出"), total=True),
        cell("06", 8, 6, 1, "人员经费/决算数", "50.12", e=("30101", "基本工资")),
        cell("06", 8, 6, 4, "公用经费/决算数", "0.00", e=("30201", "办公费")),
    ]


def make_stg(cells: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    rows = sample_cells() if cells is None else cells
    return pd.DataFrame(rows, columns=list(STG_CELLS_COLUMNS))


def make_tables(**changes: TableSummary) -> list[TableSummary]:
    tables = [
        TableSummary("01", "收入支出决算总表", (3,), True, False, 30, 4, "万元", 99.5, 10.2),
        TableSummary("02", "收入决算表", (4,), True, False, 12, 5, "万元", 98.0, 12.0),
        TableSummary("04", "财政拨款收入支出决算总表", (5,), True, False, 20, 1, "万元", None, None),
        TableSummary(
            "06", "一般公共预算财政拨款基本支出决算表", (8, 9), True, False, 40, 3, "万元", 97.1, 20.5
        ),
        TableSummary(
            "08",
            "政府性基金预算财政拨款收入支出决算表",
            (11,),
            True,
            True,
            0,
            0,
            "万元",
            None,
            None,
            "本表无数据",
        ),
        TableSummary("09", None, (), False, False, 0, 0, None, None, None, "not printed"),
    ]
    return [changes.get(f"t{t.table_code}", t) for t in tables]


def load(
    engine: Engine, document: Document | None = None, stg: pd.DataFrame | None = None, **kw: Any
) -> LoadResult:
    return load_document(
        engine,
        document=document or make_document(),
        facts=kw.pop("facts", make_facts()),
        pages=kw.pop("pages", 24),
        stg_cells=make_stg() if stg is None else stg,
        tables=kw.pop("tables", make_tables()),
        pipeline_version=kw.pop("pipeline_version", "0.1.0"),
        **kw,
    )


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the star, all columns except timestamps, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.c if c.name not in TIMESTAMPS]
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*cols))]
    return out


def count(engine: Engine, table: str, **where: Any) -> int:
    t = Base.metadata.tables[table]
    stmt = select(func.count()).select_from(t)
    for key, value in where.items():
        stmt = stmt.where(t.c[key] == value)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


# ---------------------------------------------------------------- load + export


def test_export_gives_published_amounts_exactly(warehouse_engine: Engine) -> None:
    doc = make_document()
    result = load(warehouse_engine, doc)
    assert result == LoadResult(sha256=doc.sha256, facts_loaded=13, seconds=result.seconds)
    assert result.seconds > 0

    frame = export_facts(warehouse_engine)
    assert list(frame.columns[: len(PUBLIC_COLUMNS)]) == PUBLIC_COLUMNS
    assert list(frame.columns) == list(FACT_COLUMNS)
    assert len(frame) == 13
    first = frame.iloc[0].to_dict()
    assert first["document_sha256"] == doc.sha256
    assert first["source_file"] == "changsha_zwfwzx_2020.pdf"
    assert first["department"] == DEPARTMENT
    assert first["fiscal_year"] == 2020
    assert first["phase"] == "决算"
    assert (first["table_code"], first["page"], first["row_index"], first["col_index"]) == ("01", 3, 4, 1)
    assert first["line_item"] == "一般公共预算财政拨款收入"
    assert first["measure"] == "收入/金额"
    assert first["amount"] == "2846.52"
    assert first["unit"] == "万元"
    assert first["amount_yuan"] == Decimal("28465200.00")
    assert isinstance(first["amount_yuan"], Decimal)
    assert pd.isna(first["functional_code"]) and pd.isna(first["parent_line_item"])
    assert not first["is_total"]

    by_cell = frame.set_index(["table_code", "page", "row_index", "col_index"])
    zero = by_cell.loc[("01", 3, 5, 1)]
    assert zero["amount"] == "0.00" and zero["amount_yuan"] == Decimal("0")
    fn = by_cell.loc[("02", 4, 8, 2)]
    assert (fn["functional_code"], fn["functional_name"], fn["amount"]) == ("2010301", "行政运行", "1200.00")
    assert pd.isna(fn["line_item"]) and pd.isna(fn["economic_code"])
    econ = by_cell.loc[("06", 8, 6, 1)]
    assert (econ["economic_code"], econ["economic_name"], econ["measure"]) == (
        "30101",
        "基本工资",
        "人员经费/决算数",
    )
    assert by_cell.loc[("04", 5, 9, 1)]["parent_line_item"] == "年初财政拨款结转和结余"
    assert bool(by_cell.loc[("01", 3, 20, 1)]["is_total"])
    # sorted by sha256, table_code, page, row_index, col_index
    keys = list(zip(frame["table_code"], frame["page"], frame["row_index"], frame["col_index"], strict=True))
    assert keys == sorted(keys)


def test_amount_text_keeps_the_published_scale(warehouse_engine: Engine) -> None:
    cells = [
        cell("03", 6, 5, 1, "合计", "12", item="合计", total=True),
        cell("03", 6, 5, 2, "基本支出", "0.5", item="合计", total=True),
        cell("03", 6, 5, 3, "项目支出", "1234567.8912", item="合计", total=True, unit="元"),
    ]
    load(warehouse_engine, stg=make_stg(cells))
    frame = export_facts(warehouse_engine)
    assert list(frame["amount"]) == ["12", "0.5", "1234567.8912"]
    assert list(frame["amount_yuan"]) == [Decimal("120000.00"), Decimal("5000.00"), Decimal("1234567.89")]


def test_dimensions_are_derived_from_codes(warehouse_engine: Engine) -> None:
    load(warehouse_engine)
    with warehouse_engine.connect() as conn:
        fs = Base.metadata.tables["dim_functional_subject"]
        functional = {r.code: (r.level, r.parent_code) for r in conn.execute(select(fs))}
        es = Base.metadata.tables["dim_economic_subject"]
        economic = {r.code: (r.level, r.parent_code) for r in conn.execute(select(es))}
        li = Base.metadata.tables["dim_line_item"]
        parents = {r.line_item: r.parent_line_item for r in conn.execute(select(li))}
        departments = list(conn.execute(select(Base.metadata.tables["dim_department"].c.name)).scalars())
    assert functional == {"201": ("类", None), "20103": ("款", "201"), "2010301": ("项", "20103")}
    assert economic == {"301": ("类", None), "30101": ("款", "301"), "30201": ("款", "302")}
    assert parents["一般公共预算财政拨款"] == "年初财政拨款结转和结余"
    assert parents["合计"] == ""
    assert departments == [DEPARTMENT]
    assert count(warehouse_engine, "dim_measure") == 7


def test_load_twice_leaves_every_table_identical(warehouse_engine: Engine) -> None:
    load(warehouse_engine)
    before = dump(warehouse_engine)
    assert len(before["fct_amount"]) == 13
    load(warehouse_engine)
    assert dump(warehouse_engine) == before


def test_second_document_shares_dimensions(warehouse_engine: Engine) -> None:
    load(warehouse_engine, make_document("a.pdf"))
    dims = {t: count(warehouse_engine, t) for t in ("dim_functional_subject", "dim_measure", "dim_line_item")}
    load(warehouse_engine, make_document("b.pdf"))
    assert {t: count(warehouse_engine, t) for t in dims} == dims
    assert count(warehouse_engine, "fct_amount") == 26
    assert count(warehouse_engine, "dim_department") == 1


def test_reload_replaces_facts_and_keeps_keys_of_unchanged_cells(warehouse_engine: Engine) -> None:
    load(warehouse_engine)
    fct = Base.metadata.tables["fct_amount"]
    with warehouse_engine.connect() as conn:
        keys = {
            (r.table_code, r.page, r.row_index, r.col_index): r.amount_key for r in conn.execute(select(fct))
        }
    fewer = make_stg(sample_cells()[:3] + [cell("01", 3, 30, 1, "收入/金额", "1.00", item="新行")])
    result = load(warehouse_engine, stg=fewer, pipeline_version="0.2.0")
    assert result.facts_loaded == 4
    assert count(warehouse_engine, "fct_amount") == 4
    with warehouse_engine.connect() as conn:
        after = {
            (r.table_code, r.page, r.row_index, r.col_index): r.amount_key for r in conn.execute(select(fct))
        }
        doc = conn.execute(select(Base.metadata.tables["dim_document"])).one()
    for position in list(after)[:3]:
        assert after[position] == keys[position]
    assert after[("01", 3, 30, 1)] not in keys.values()
    assert doc.pipeline_version == "0.2.0"
    docs = list_documents(warehouse_engine)
    assert docs.loc[0, "facts_loaded"] == 4


def test_dq_flag_column_is_stored_when_given(warehouse_engine: Engine) -> None:
    stg = make_stg()
    stg["dq_flag"] = [None] * (len(stg) - 1) + ["rounding residue 0.01"]
    load(warehouse_engine, stg=stg)
    fct = Base.metadata.tables["fct_amount"]
    with warehouse_engine.connect() as conn:
        flags = list(conn.execute(select(fct.c.dq_flag).where(fct.c.dq_flag.is_not(None))).scalars())
    assert flags == ["rounding residue 0.01"]


def test_pandas_string_dtype_and_numpy_ints_are_accepted(warehouse_engine: Engine) -> None:
    stg = make_stg().astype({"page": "int64", "row_index": "int32", "col_index": "Int64"})
    for column in ("functional_code", "functional_name", "economic_code", "line_item", "parent_line_item"):
        stg[column] = stg[column].astype("str").where(stg[column].notna())
    assert load(warehouse_engine, stg=stg).facts_loaded == 13
    assert export_facts(warehouse_engine)["functional_code"].dropna().tolist() == [
        "201",
        "20103",
        "2010301",
        "2010301",
    ]


def test_500_fact_document_loads(warehouse_engine: Engine) -> None:
    # how long this takes is measured by benchmarks/load.py (column '500-fact s'), not asserted here
    cells = [
        cell(
            "02",
            4 + i // 100,
            i % 100,
            1 + i % 5,
            f"列{i % 5}",
            f"{i}.{i % 100:02d}",
            f=("2010301", "行政运行"),
        )
        for i in range(500)
    ]
    stg = make_stg(cells)
    load(warehouse_engine, make_document("warm.pdf"), stg)  # dimension members exist from here on
    result = load(warehouse_engine, make_document("second.pdf"), stg)
    assert result.facts_loaded == 500
    assert count(warehouse_engine, "fct_amount") == 1000
    assert count(warehouse_engine, "dim_measure") == 5 and count(warehouse_engine, "dim_functional_subject") == 1


# ---------------------------------------------------------------- not loaded


def test_quarantine_after_load_removes_every_fact(warehouse_engine: Engine) -> None:
    kept = make_document("kept.pdf")
    doc = make_document()
    load(warehouse_engine, kept)
    load(warehouse_engine, doc)
    removed = record_document(
        warehouse_engine,
        document=doc,
        facts=make_facts(),
        pages=24,
        status="quarantined",
        reasons=["02: 合计 != sum of rows (diff 0.02)", "table 03 missing"],
        tables=make_tables(),
        pipeline_version="0.1.0",
    )
    assert removed == 13
    assert count(warehouse_engine, "fct_amount") == 13  # the other document's facts
    assert count(warehouse_engine, "dim_document", sha256=doc.sha256) == 0
    docs = list_documents(warehouse_engine, status="quarantined")
    assert list(docs["sha256"]) == [doc.sha256]
    row = docs.iloc[0]
    assert row["reasons"] == "02: 合计 != sum of rows (diff 0.02); table 03 missing"
    assert row["facts_loaded"] == 0 and row["tables_found"] == 5 and row["department"] == DEPARTMENT
    with warehouse_engine.connect() as conn:
        stored = conn.execute(
            select(Base.metadata.tables["etl_document"].c.reasons).where(
                Base.metadata.tables["etl_document"].c.sha256 == doc.sha256
            )
        ).scalar_one()
    assert json.loads(stored) == ["02: 合计 != sum of rows (diff 0.02)", "table 03 missing"]
    assert set(export_facts(warehouse_engine)["document_sha256"]) == {kept.sha256}
    assert export_facts(warehouse_engine, doc.sha256).empty
    assert len(list_tables(warehouse_engine, doc.sha256)) == 6


def test_failed_document_without_facts_is_recorded(warehouse_engine: Engine) -> None:
    doc = make_document("broken.pdf")
    removed = record_document(
        warehouse_engine,
        document=doc,
        facts=None,
        pages=None,
        status="failed",
        reasons=["not a PDF"],
        tables=[],
        pipeline_version="0.1.0",
    )
    assert removed == 0
    row = list_documents(warehouse_engine).iloc[0]
    assert (row["status"], row["reasons"], row["tables_found"], row["facts_loaded"]) == (
        "failed",
        "not a PDF",
        0,
        0,
    )
    assert pd.isna(row["department"]) and pd.isna(row["fiscal_year"]) and pd.isna(row["pages"])
    assert list_tables(warehouse_engine, doc.sha256).empty
    # a later successful load of the same file replaces the record
    load(warehouse_engine, doc)
    row = list_documents(warehouse_engine).iloc[0]
    assert (row["status"], row["reasons"], row["facts_loaded"]) == ("loaded", "", 13)


def test_record_document_refuses_loaded_status(warehouse_engine: Engine) -> None:
    with pytest.raises(ValueError, match="status must be one of failed, quarantined, skipped"):
        record_document(
            warehouse_engine,
            document=make_document(),
            facts=None,
            pages=None,
            status="loaded",
            reasons=[],
            tables=[],
            pipeline_version="0.1.0",
        )
    assert count(warehouse_engine, "etl_document") == 0


# ---------------------------------------------------------------- no partial writes


def test_failure_after_the_delete_changes_nothing(
    warehouse_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(warehouse_engine)
    before = dump(warehouse_engine)
    real_insert = load_module.insert_facts

    def insert_then_fail(*args: Any, **kwargs: Any) -> None:
        real_insert(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(load_module, "insert_facts", insert_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        load(warehouse_engine, stg=make_stg(sample_cells()[:2]), pipeline_version="0.2.0")
    assert dump(warehouse_engine) == before


def test_insert_failing_in_the_database_changes_nothing(warehouse_engine: Engine) -> None:
    load(warehouse_engine)
    before = dump(warehouse_engine)
    bad_table = TableSummary(None, "?", (1,), True, False, 1, 1, None, None, None)  # type: ignore[arg-type]
    new_cells = make_stg(sample_cells() + [cell("07", 10, 5, 1, "合计", "3.00", item="合计")])
    with pytest.raises(IntegrityError):  # etl_table.table_code NOT NULL: the last INSERT fails
        load(warehouse_engine, stg=new_cells, tables=[*make_tables(), bad_table])
    assert dump(warehouse_engine) == before


def test_failed_first_load_leaves_no_trace(warehouse_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(load_module, "replace_etl_tables", fail)
    with pytest.raises(RuntimeError, match="boom"):
        load(warehouse_engine)
    assert all(rows == [] for rows in dump(warehouse_engine).values())


def test_quarantine_failure_keeps_the_loaded_facts(
    warehouse_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = make_document()
    load(warehouse_engine, doc)
    before = dump(warehouse_engine)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(load_module, "replace_etl_tables", fail)
    with pytest.raises(RuntimeError, match="boom"):
        record_document(
            warehouse_engine,
            document=doc,
            facts=None,
            pages=None,
            status="quarantined",
            reasons=["x"],
            tables=[],
            pipeline_version="0.1.0",
        )
    assert dump(warehouse_engine) == before


# ---------------------------------------------------------------- bad input, rejected before writing


def test_two_rows_for_one_cell_are_rejected(warehouse_engine: Engine) -> None:
    cells = sample_cells()
    with pytest.raises(
        LoadError, match=r"table 02 page 4: two stg_cells rows \(7 and 13\) for row 8 column 2"
    ):
        load(warehouse_engine, stg=make_stg([*cells, cells[7]]))
    assert count(warehouse_engine, "etl_document") == 0


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (make_facts(department=None), "no department was read"),
        (make_facts(fiscal_year=None), "no fiscal year was read"),
    ],
)
def test_document_without_identity_is_rejected(
    warehouse_engine: Engine, facts: DocumentFacts, message: str
) -> None:
    with pytest.raises(LoadError, match=message):
        load(warehouse_engine, facts=facts)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"functional_code": "2010"}, "functional code '2010' is not 3, 5 or 7 digits long"),
        ({"economic_code": "3010101"}, "economic code '3010101' is not 3 or 5 digits long"),
        ({"page": "x"}, "page must be an integer, got 'x'"),
        ({"amount": Decimal("1.23456")}, "amount 1.23456 has more than 4 decimals"),
        ({"amount": Decimal("NaN")}, "amount is not a finite number"),
    ],
)
def test_bad_cells_are_rejected_with_their_place(
    warehouse_engine: Engine, change: dict[str, Any], message: str
) -> None:
    cells = sample_cells()
    cells[7] = {**cells[7], **change}
    with pytest.raises(LoadError, match=message) as info:
        load(warehouse_engine, stg=make_stg(cells))
    assert "table 02" in str(info.value)
    assert count(warehouse_engine, "etl_document") == 0


def test_stg_contract_is_checked(warehouse_engine: Engine) -> None:
    stg = make_stg()
    stg["amount"] = 1.5
    with pytest.raises(StgCellsContractError, match="Decimal"):
        load(warehouse_engine, stg=stg)


# ---------------------------------------------------------------- read side


def test_list_documents_columns_and_status_filter(warehouse_engine: Engine) -> None:
    loaded, skipped = make_document("a.pdf"), make_document("b.pdf")
    load(warehouse_engine, loaded)
    record_document(
        warehouse_engine,
        document=skipped,
        facts=make_facts(),
        pages=3,
        status="skipped",
        reasons=["预算, not 决算"],
        tables=[],
        pipeline_version="0.1.0",
    )
    docs = list_documents(warehouse_engine)
    assert list(docs.columns) == [
        "sha256",
        "source",
        "department",
        "fiscal_year",
        "phase",
        "status",
        "reasons",
        "pages",
        "tables_found",
        "facts_loaded",
        "scope",
    ]
    assert list(docs["sha256"]) == sorted([loaded.sha256, skipped.sha256])
    by_sha = docs.set_index("sha256")
    assert by_sha.loc[loaded.sha256, "source"] == "https://example.gov.cn/a.pdf"
    assert (by_sha.loc[loaded.sha256, "pages"], by_sha.loc[loaded.sha256, "tables_found"]) == (24, 5)
    assert by_sha.loc[skipped.sha256, "reasons"] == "预算, not 决算"
    assert list(list_documents(warehouse_engine, status="skipped")["sha256"]) == [skipped.sha256]
    assert list_documents(warehouse_engine, status="failed").empty
    with pytest.raises(ValueError, match="status must be one of"):
        list_documents(warehouse_engine, status="done")


def test_list_tables_one_row_per_document_table(warehouse_engine: Engine) -> None:
    a, b = make_document("a.pdf"), make_document("b.pdf")
    load(warehouse_engine, a)
    load(warehouse_engine, b, tables=make_tables()[:2])
    tables = list_tables(warehouse_engine)
    assert len(tables) == 8
    assert list(tables.columns[:2]) == ["sha256", "table_code"]
    mine = list_tables(warehouse_engine, a.sha256[:10]).set_index("table_code")
    assert list(mine.index) == ["01", "02", "04", "06", "08", "09"]
    assert mine.loc["06", "pages"] == "8,9"
    assert mine.loc["06", "accuracy"] == pytest.approx(97.1)
    assert bool(mine.loc["08", "is_empty"]) and mine.loc["08", "note"] == "本表无数据"
    assert not bool(mine.loc["09", "present"]) and mine.loc["09", "pages"] == ""
    assert mine.loc["01", "cells"] == 4


def test_table_counts_cover_loaded_documents_only(warehouse_engine: Engine) -> None:
    empty = table_counts(warehouse_engine)
    assert empty == dict.fromkeys(("01", "02", "03", "04", "05", "06", "07", "08", "09"), 0)
    a, b = make_document("a.pdf"), make_document("b.pdf")
    load(warehouse_engine, a)
    load(warehouse_engine, b, facts=make_facts(fiscal_year=2021))  # another year: both current
    counts = table_counts(warehouse_engine)
    assert {k: v for k, v in counts.items() if v} == {"01": 8, "02": 10, "04": 2, "06": 6}
    record_document(
        warehouse_engine,
        document=b,
        facts=None,
        pages=None,
        status="quarantined",
        reasons=["x"],
        tables=[],
        pipeline_version="0.1.0",
    )
    assert {k: v for k, v in table_counts(warehouse_engine).items() if v} == {
        "01": 4,
        "02": 5,
        "04": 1,
        "06": 3,
    }


def test_resolve_document_by_prefix(warehouse_engine: Engine) -> None:
    a = make_document(sha256="ab12" + "0" * 60)
    b = make_document(sha256="ab34" + "0" * 60)
    load(warehouse_engine, a)
    load(warehouse_engine, b)
    assert resolve_document(warehouse_engine, "ab1") == a.sha256
    assert resolve_document(warehouse_engine, " AB34 ") == b.sha256
    assert resolve_document(warehouse_engine, a.sha256) == a.sha256
    with pytest.raises(
        AmbiguousDocumentError, match=r"'ab' matches several documents \(ab12000000000000, ab34"
    ):
        resolve_document(warehouse_engine, "ab")
    with pytest.raises(DocumentNotFoundError, match="no document has a sha256 starting with 'ff'"):
        resolve_document(warehouse_engine, "ff")
    with pytest.raises(DocumentNotFoundError, match="not a sha256"):
        resolve_document(warehouse_engine, "a%")
    with pytest.raises(DocumentNotFoundError, match="not a sha256"):
        resolve_document(warehouse_engine, "")
    assert set(export_facts(warehouse_engine, "ab3")["document_sha256"]) == {b.sha256}
    with pytest.raises(AmbiguousDocumentError):
        export_facts(warehouse_engine, "ab")


def test_empty_warehouse_reads_give_empty_frames(warehouse_engine: Engine) -> None:
    assert list(export_facts(warehouse_engine).columns) == list(FACT_COLUMNS)
    assert export_facts(warehouse_engine).empty
    assert list_documents(warehouse_engine).empty
    assert list_tables(warehouse_engine).empty


def test_concurrent_loads_share_dimensions_safely(warehouse_engine: Engine) -> None:
    documents = [make_document(f"c{i}.pdf") for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: load(warehouse_engine, d), documents))
    assert [r.facts_loaded for r in results] == [13] * 4
    assert count(warehouse_engine, "fct_amount") == 52
    assert count(warehouse_engine, "dim_functional_subject") == 3
    assert count(warehouse_engine, "dim_measure") == 7
    assert count(warehouse_engine, "dim_department") == 1
