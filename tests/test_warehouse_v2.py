"""Warehouse v2 on SQLite and PostgreSQL: currency, retraction, aliases, versioned subjects, findings, views, v1 upgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from tests.test_warehouse_load import cell, count, load, make_document, make_facts, make_stg, sample_cells
from warehouse.bookkeeping import FindingRow
from warehouse.db import HEAD_REVISION, current_revision, downgrade, make_engine, upgrade
from warehouse.errors import DocumentNotFoundError, LoadError
from warehouse.load import record_document
from warehouse.models import REPORTING_VIEWS, Base, measure_fund_type, measure_stage
from warehouse.steward import (
    StewardError,
    acceptance,
    add_department_alias,
    mark_accepted,
    restore_document,
    retract_document,
)

GOLDEN = Path(__file__).parent / "data" / "golden"
DIM_DOCUMENT = Base.metadata.tables["dim_document"]
ETL_DOCUMENT = Base.metadata.tables["etl_document"]


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run a SELECT and return its rows as dicts."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def status_of(engine: Engine, sha256: str) -> tuple[str, bool | None, int | None]:
    """(etl status, dim_document.is_current, superseded_by) of a document."""
    with engine.connect() as conn:
        status = conn.execute(select(ETL_DOCUMENT.c.status).where(ETL_DOCUMENT.c.sha256 == sha256)).scalar_one()
        doc = conn.execute(
            select(DIM_DOCUMENT.c.is_current, DIM_DOCUMENT.c.superseded_by).where(DIM_DOCUMENT.c.sha256 == sha256)
        ).one_or_none()
    return (status, None if doc is None else bool(doc[0]), None if doc is None else doc[1])


def key_of(engine: Engine, sha256: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(DIM_DOCUMENT.c.document_key).where(DIM_DOCUMENT.c.sha256 == sha256)).scalar_one()
        )


# ---------------------------------------------------------------- measure stage / fund type


def golden_paths() -> set[tuple[str, str]]:
    paths: set[tuple[str, str]] = set()
    for file in GOLDEN.glob("*.json"):
        for c in json.loads(file.read_text(encoding="utf-8"))["cells"]:
            paths.add((c["table"], "/".join(c["measure"])))
    return paths


@pytest.mark.parametrize(
    ("table", "path", "stage", "fund"),
    [
        ("01", "收入/决算数", "决算数", None),
        ("01", "支出/金额", None, None),
        ("02", "本年收入合计", None, None),
        ("03", "基本支出", None, None),
        ("04", "支出/一般公共预算财政拨款", None, "一般公共预算"),
        ("04", "支出/政府性基金预算财政拨款", None, "政府性基金"),
        ("04", "支出/国有资本经营预算财政拨款", None, "国有资本经营"),
        ("04", "支出/合计", None, None),
        ("05", "本年支出/基本支出", None, "一般公共预算"),
        ("06", "决算数", "决算数", "一般公共预算"),
        ("07", "预算数/公务接待费", "预算数", "一般公共预算"),
        ("07", "决算数/公务用车运行费", "决算数", "一般公共预算"),
        ("08", "本年支出/小计", None, "政府性基金"),
        ("09", "本年支出/合计", None, "国有资本经营"),
    ],
)
def test_stage_and_fund_from_golden_header_paths(table: str, path: str, stage: str | None, fund: str | None) -> None:
    assert (table, path) in golden_paths()  # a header path really printed in a sample
    assert (measure_stage(table, path), measure_fund_type(table, path)) == (stage, fund)


def test_stage_from_the_innermost_segment_that_names_one() -> None:
    assert measure_stage("07", "财政拨款“三公”经费/公务接待费/预算数") == "预算数"
    assert measure_stage("07", "预算数/公务用车购置及运行费/公务用车运行费") == "预算数"
    assert measure_stage("05", "年初预算数/基本支出") == "预算数"


def test_measures_are_stored_with_stage_and_fund(warehouse_engine: Engine) -> None:
    load(warehouse_engine, stg=make_stg([*sample_cells(), cell("07", 10, 3, 1, "预算数/公务接待费", "3.20")]))
    got = {
        (r["table_code"], r["header_path"]): (r["stage"], r["fund_type"])
        for r in rows(warehouse_engine, "SELECT table_code, header_path, stage, fund_type FROM dim_measure")
    }
    assert got[("07", "预算数/公务接待费")] == ("预算数", "一般公共预算")
    assert got[("06", "人员经费/决算数")] == ("决算数", "一般公共预算")
    assert got[("01", "收入/金额")] == (None, None)


# ---------------------------------------------------------------- currency: supersede, retract, restore


def test_corrected_republication_supersedes_and_keeps_history(warehouse_engine: Engine) -> None:
    old, new = make_document("v1.pdf"), make_document("v2.pdf")
    first = load(warehouse_engine, old)
    assert (first.is_current, first.superseded) == (True, ())
    second = load(warehouse_engine, new)
    assert (second.is_current, second.superseded) == (True, (old.sha256,))
    assert status_of(warehouse_engine, old.sha256) == ("superseded", False, key_of(warehouse_engine, new.sha256))
    assert status_of(warehouse_engine, new.sha256) == ("loaded", True, None)
    assert count(warehouse_engine, "fct_amount") == 26  # the old facts stay, as history
    by_current = rows(
        warehouse_engine,
        "SELECT document_sha256, is_current, COUNT(*) AS n FROM v_fiscal_facts GROUP BY document_sha256, is_current",
    )
    assert {(r["document_sha256"], bool(r["is_current"]), r["n"]) for r in by_current} == {
        (old.sha256, False, 13),
        (new.sha256, True, 13),
    }


def test_reloading_the_older_version_does_not_flip_currency(warehouse_engine: Engine) -> None:
    old, new = make_document("v1.pdf"), make_document("v2.pdf")
    load(warehouse_engine, old)
    load(warehouse_engine, new)
    again = load(warehouse_engine, old)  # a rerun over a folder holding both versions
    assert (again.is_current, again.superseded) == (False, ())
    assert status_of(warehouse_engine, old.sha256)[:2] == ("superseded", False)
    assert status_of(warehouse_engine, new.sha256)[:2] == ("loaded", True)


def test_other_year_phase_or_scope_is_not_superseded(warehouse_engine: Engine) -> None:
    a, b, c = make_document("a.pdf"), make_document("b.pdf"), make_document("c.pdf")
    load(warehouse_engine, a)
    load(warehouse_engine, b, facts=make_facts(fiscal_year=2021))
    unit_scope = make_facts()
    unit_scope = type(unit_scope)(**{**unit_scope.__dict__, "scope": "单位"})
    load(warehouse_engine, c, facts=unit_scope)
    assert [status_of(warehouse_engine, d.sha256)[:2] for d in (a, b, c)] == [("loaded", True)] * 3


def test_retract_brings_the_previous_version_back_and_survives_reloads(warehouse_engine: Engine) -> None:
    old, new = make_document("v1.pdf"), make_document("v2.pdf")
    load(warehouse_engine, old)
    load(warehouse_engine, new)
    assert retract_document(warehouse_engine, new.sha256, "wrong department printed") == old.sha256
    assert status_of(warehouse_engine, new.sha256) == ("retracted", False, None)
    assert status_of(warehouse_engine, old.sha256) == ("loaded", True, None)
    assert count(warehouse_engine, "fct_amount") == 26
    reason = rows(warehouse_engine, "SELECT retract_reason FROM dim_document WHERE sha256 = :s", s=new.sha256)
    assert reason == [{"retract_reason": "wrong department printed"}]
    assert not load(warehouse_engine, new).is_current  # a rerun does not undo a steward's retraction
    assert status_of(warehouse_engine, new.sha256)[0] == "retracted"
    assert restore_document(warehouse_engine, new.sha256) == new.sha256
    assert status_of(warehouse_engine, old.sha256)[:2] == ("superseded", False)


def test_retract_needs_a_loaded_document_and_a_reason(warehouse_engine: Engine) -> None:
    with pytest.raises(DocumentNotFoundError, match="not in the warehouse"):
        retract_document(warehouse_engine, "ab" * 32, "x")
    load(warehouse_engine)
    with pytest.raises(StewardError, match="needs a reason"):
        retract_document(warehouse_engine, make_document().sha256, "  ")


def test_quarantining_the_current_version_restores_the_previous(warehouse_engine: Engine) -> None:
    old, new = make_document("v1.pdf"), make_document("v2.pdf")
    load(warehouse_engine, old)
    load(warehouse_engine, new)
    removed = record_document(
        warehouse_engine,
        document=new,
        facts=make_facts(),
        pages=3,
        status="quarantined",
        reasons=["02 合计 wrong"],
        tables=[],
        pipeline_version="0.2.0",
    )
    assert removed == 13
    assert status_of(warehouse_engine, old.sha256) == ("loaded", True, None)
    assert status_of(warehouse_engine, new.sha256) == ("quarantined", None, None)


# ---------------------------------------------------------------- departments: SCD-2 and aliases


def test_alias_merges_a_renamed_department_into_one_history(warehouse_engine: Engine) -> None:
    old_name, new_name = "长沙市政务服务中心", "长沙市数据资源局"
    load(warehouse_engine, make_document("2019.pdf"), facts=make_facts(old_name, 2019))
    load(warehouse_engine, make_document("2020.pdf"), facts=make_facts(new_name, 2020))
    before = rows(warehouse_engine, "SELECT DISTINCT department_id FROM v_fiscal_facts")
    assert len(before) == 2
    department_id = add_department_alias(warehouse_engine, old_name, new_name, note="renamed 2020")
    assert department_id == new_name
    facts = rows(
        warehouse_engine,
        "SELECT DISTINCT department_id, department, department_printed, fiscal_year FROM v_fiscal_facts",
    )
    assert sorted((r["fiscal_year"], r["department_id"], r["department"], r["department_printed"]) for r in facts) == [
        (2019, new_name, new_name, old_name),
        (2020, new_name, new_name, new_name),
    ]
    versions = rows(
        warehouse_engine,
        "SELECT name, valid_from, valid_to, is_current FROM dim_department ORDER BY valid_from",
    )
    assert [(v["name"], v["valid_from"], v["valid_to"], bool(v["is_current"])) for v in versions] == [
        (old_name, 2019, 2020, False),
        (new_name, 2020, None, True),
    ]
    # a later document printed under the old name joins the same department
    load(warehouse_engine, make_document("2021.pdf"), facts=make_facts(old_name, 2021))
    assert {r["department_id"] for r in rows(warehouse_engine, "SELECT department_id FROM v_fiscal_facts")} == {
        new_name
    }
    alias = rows(warehouse_engine, "SELECT alias_name, department_id, note FROM dim_department_alias")
    assert alias == [{"alias_name": old_name, "department_id": new_name, "note": "renamed 2020"}]


def test_alias_of_a_merged_department_makes_one_version_current_per_year(warehouse_engine: Engine) -> None:
    a, b = make_document("a.pdf"), make_document("b.pdf")
    load(warehouse_engine, a, facts=make_facts("甲局", 2020))
    load(warehouse_engine, b, facts=make_facts("乙局", 2020))
    add_department_alias(warehouse_engine, "甲局", "乙局")
    current = rows(warehouse_engine, "SELECT sha256 FROM dim_document WHERE is_current = TRUE")
    assert current == [{"sha256": b.sha256}]  # b was first loaded last


def test_alias_rejects_nonsense(warehouse_engine: Engine) -> None:
    with pytest.raises(StewardError, match="alias of itself"):
        add_department_alias(warehouse_engine, "甲局", " 甲局 ")
    with pytest.raises(StewardError, match="needs an old and a new"):
        add_department_alias(warehouse_engine, "", "乙局")


def test_region_and_city_are_stored_when_given(warehouse_engine: Engine) -> None:
    load(warehouse_engine, region="湖南省", city="长沙市")
    load(warehouse_engine)  # not given: kept
    assert rows(warehouse_engine, "SELECT region, city FROM dim_department") == [
        {"region": "湖南省", "city": "长沙市"}
    ]


# ---------------------------------------------------------------- subjects versioned by fiscal year


def health(year: int, name: str, amount: str) -> list[dict[str, Any]]:
    return [
        cell("03", 6, 5, 1, "本年支出合计", amount, f=("210", name), total=True),
        cell("03", 6, 6, 1, "本年支出合计", amount, f=("21001", "卫生健康管理事务"), total=True),
        cell("03", 6, 7, 1, "本年支出合计", amount, f=("2100101", "行政运行")),
    ]


def test_same_code_other_name_in_another_year(warehouse_engine: Engine) -> None:
    load(warehouse_engine, make_document("2018.pdf"), make_stg(health(2018, "医疗卫生与计划生育支出", "10.00")),
         facts=make_facts(fiscal_year=2018))
    load(warehouse_engine, make_document("2019.pdf"), make_stg(health(2019, "卫生健康支出", "12.50")),
         facts=make_facts(fiscal_year=2019))
    load(warehouse_engine, make_document("2020.pdf"), make_stg(health(2020, "卫生健康支出", "15.00")),
         facts=make_facts(fiscal_year=2020))
    members = rows(
        warehouse_engine,
        "SELECT name, valid_from_year, valid_to_year FROM dim_functional_subject WHERE code = '210' ORDER BY 2",
    )
    assert members == [
        {"name": "医疗卫生与计划生育支出", "valid_from_year": 2018, "valid_to_year": 2018},
        {"name": "卫生健康支出", "valid_from_year": 2019, "valid_to_year": 2020},
    ]
    facts = rows(warehouse_engine, "SELECT fiscal_year, functional_name FROM v_fiscal_facts WHERE functional_code = '210'")
    assert sorted((r["fiscal_year"], r["functional_name"]) for r in facts) == [
        (2018, "医疗卫生与计划生育支出"),
        (2019, "卫生健康支出"),
        (2020, "卫生健康支出"),
    ]
    rolled = rows(
        warehouse_engine,
        "SELECT fiscal_year, name, amount_yuan FROM v_expenditure_by_function WHERE code = '210' ORDER BY 1",
    )
    assert [(r["fiscal_year"], r["name"], Decimal(str(r["amount_yuan"]))) for r in rolled] == [
        (2018, "医疗卫生与计划生育支出", Decimal("100000")),
        (2019, "卫生健康支出", Decimal("125000")),
        (2020, "卫生健康支出", Decimal("150000")),
    ]
    yoy = rows(
        warehouse_engine,
        "SELECT fiscal_year, functional_name, level, amount_yuan, previous_amount_yuan, change_yuan, change_rate"
        " FROM v_yoy WHERE functional_code = '210' ORDER BY fiscal_year",
    )
    assert [r["functional_name"] for r in yoy] == ["医疗卫生与计划生育支出", "卫生健康支出", "卫生健康支出"]
    assert yoy[0]["previous_amount_yuan"] is None and yoy[0]["change_rate"] is None
    assert Decimal(str(yoy[1]["change_yuan"])) == Decimal("25000")
    assert Decimal(str(yoy[2]["change_rate"])) == Decimal("0.2")
    assert {r["level"] for r in yoy} == {"类"}


# ---------------------------------------------------------------- views


def three_public_cells() -> list[dict[str, Any]]:
    items = [("合计", "9.70", "3.55"), ("因公出国（境）费", "0.00", "0.00"),
             ("公务用车购置及运行费/小计", "6.50", "3.25"), ("公务用车购置及运行费/公务用车购置费", "0.00", "0.00"),
             ("公务用车购置及运行费/公务用车运行费", "6.50", "3.25"), ("公务接待费", "3.20", "0.30")]
    out = []
    for number, (item, budget, final) in enumerate(items):
        out.append(cell("07", 10, 4, number, f"预算数/{item}", budget))
        out.append(cell("07", 10, 4, 10 + number, f"决算数/{item}", final))
    return out


def test_three_public_budget_final_and_execution_rate(warehouse_engine: Engine) -> None:
    load(warehouse_engine, stg=make_stg(three_public_cells()))
    got = {
        r["item"]: (Decimal(str(r["budget_yuan"])), Decimal(str(r["final_yuan"])), r["execution_rate"])
        for r in rows(warehouse_engine, "SELECT * FROM v_three_public")
    }
    assert set(got) == {"合计", "因公出国（境）费", "公务用车购置及运行费", "公务用车购置费", "公务用车运行费", "公务接待费"}
    assert got["合计"][:2] == (Decimal("97000"), Decimal("35500"))
    assert Decimal(str(got["合计"][2])) == Decimal("0.366")
    assert got["公务用车购置及运行费"][:2] == (Decimal("65000"), Decimal("32500"))
    assert Decimal(str(got["公务接待费"][2])) == Decimal("0.0938")
    assert got["因公出国（境）费"][2] is None  # budget 0


def test_basic_expenditure_by_economic_rolls_leaves_up(warehouse_engine: Engine) -> None:
    load(warehouse_engine)
    got = {
        (r["level"], r["code"], r["measure"]): Decimal(str(r["amount_yuan"]))
        for r in rows(warehouse_engine, "SELECT level, code, measure, amount_yuan FROM v_basic_expenditure_by_economic")
    }
    # 301 is a total row (excluded); its leaf 30101 counts for 30101 and 301
    assert got == {
        ("类", "301", "人员经费/决算数"): Decimal("501200"),
        ("款", "30101", "人员经费/决算数"): Decimal("501200"),
        ("类", "302", "公用经费/决算数"): Decimal("0"),
        ("款", "30201", "公用经费/决算数"): Decimal("0"),
    }


def test_every_view_exists_and_excludes_superseded_documents(warehouse_engine: Engine) -> None:
    with warehouse_engine.connect() as conn:
        for view in REPORTING_VIEWS:
            conn.execute(text(f"SELECT * FROM {view}")).all()  # noqa: S608 - fixed names
    load(warehouse_engine, make_document("v1.pdf"), make_stg(health(2020, "卫生健康支出", "10.00")))
    load(warehouse_engine, make_document("v2.pdf"), make_stg(health(2020, "卫生健康支出", "11.00")))
    rolled = rows(warehouse_engine, "SELECT amount_yuan FROM v_expenditure_by_function WHERE code = '210'")
    assert [Decimal(str(r["amount_yuan"])) for r in rolled] == [Decimal("110000")]


def test_rollups_count_the_consolidated_document_not_its_units_as_well(warehouse_engine: Engine) -> None:
    from dataclasses import replace

    unit_facts = replace(make_facts(), scope="单位")
    # a 单位决算 alone is what the rollups have for the department-year
    load(warehouse_engine, make_document("unit.pdf"), make_stg(health(2020, "卫生健康支出", "4.00")), facts=unit_facts)
    rolled = rows(warehouse_engine, "SELECT amount_yuan FROM v_expenditure_by_function WHERE code = '210'")
    assert [Decimal(str(r["amount_yuan"])) for r in rolled] == [Decimal("40000")]
    # the 部门决算 (consolidated over its units) arrives: the rollups count it alone, never both
    load(warehouse_engine, make_document("dept.pdf"), make_stg(health(2020, "卫生健康支出", "10.00")),
         facts=replace(make_facts(), scope="部门"))
    rolled = rows(warehouse_engine, "SELECT amount_yuan FROM v_expenditure_by_function WHERE code = '210'")
    assert [Decimal(str(r["amount_yuan"])) for r in rolled] == [Decimal("100000")]
    yoy = rows(warehouse_engine, "SELECT amount_yuan FROM v_yoy WHERE functional_code = '210'")
    assert [Decimal(str(r["amount_yuan"])) for r in yoy] == [Decimal("100000")]
    # both stay current and queryable, each with its scope
    facts = rows(warehouse_engine, "SELECT DISTINCT scope FROM v_fiscal_facts WHERE is_current")
    assert {f["scope"] for f in facts} == {"部门", "单位"}


# ---------------------------------------------------------------- findings and acceptance


FAILURE = {
    "rule": "hierarchy_total",
    "severity": "error",
    "outcome": "failure",
    "table_code": "02",
    "row_label": "合计",
    "measure": "本年收入合计",
    "expected": "2846.53",
    "found": "2846.52",
    "difference": "-0.01",
    "page": 4,
}


def test_findings_are_stored_and_replaced(warehouse_engine: Engine) -> None:
    note = FindingRow(rule="rounding", severity="warn", outcome="note", table_code="01", difference="0.01")
    load(warehouse_engine, findings=[note, {**FAILURE, "outcome": "warning", "severity": "warn"}])
    assert count(warehouse_engine, "etl_finding") == 2
    load(warehouse_engine, findings=[note])
    quality = rows(warehouse_engine, "SELECT rule, outcome, accepted, department, status FROM v_data_quality")
    assert [(q["rule"], q["outcome"], bool(q["accepted"]), q["status"]) for q in quality] == [
        ("rounding", "note", False, "loaded")
    ]


def test_quarantined_document_keeps_findings_then_accepted_load(warehouse_engine: Engine) -> None:
    doc = make_document()
    record_document(
        warehouse_engine,
        document=doc,
        facts=make_facts(),
        pages=3,
        status="quarantined",
        reasons=["02 合计 wrong"],
        tables=[],
        pipeline_version="0.1.0",
        findings=[FAILURE],
    )
    quality = rows(warehouse_engine, "SELECT * FROM v_data_quality")
    assert len(quality) == 1 and quality[0]["status"] == "quarantined" and not quality[0]["accepted"]
    assert quality[0]["department"] == "长沙市政务服务中心"
    assert acceptance(warehouse_engine, doc.sha256) is None
    mark_accepted(warehouse_engine, doc.sha256, "published as is; rounding in the source")
    accepted = acceptance(warehouse_engine, doc.sha256)
    assert accepted is not None and accepted.reason == "published as is; rounding in the source"
    assert rows(warehouse_engine, "SELECT accepted FROM etl_finding")[0]["accepted"]
    # the pipeline re-runs the document with the steward's decision
    load(warehouse_engine, doc, findings=[FAILURE], dq_flag="accepted")
    flags = rows(warehouse_engine, "SELECT DISTINCT dq_flag FROM fct_amount")
    assert flags == [{"dq_flag": "accepted"}]
    quality = rows(warehouse_engine, "SELECT status, accepted, accept_reason FROM v_data_quality")
    assert [(q["status"], bool(q["accepted"]), q["accept_reason"]) for q in quality] == [
        ("loaded", True, "published as is; rounding in the source")
    ]
    stamp = acceptance(warehouse_engine, doc.sha256)
    assert stamp is not None and stamp.accepted_at == accepted.accepted_at  # kept by the load


def test_malformed_findings_and_flags_are_rejected(warehouse_engine: Engine) -> None:
    with pytest.raises(LoadError, match="finding 0 outcome 'fail'"):
        load(warehouse_engine, findings=[{**FAILURE, "outcome": "fail"}])
    with pytest.raises(LoadError, match="finding 0 is malformed"):
        load(warehouse_engine, findings=[{"rule": "x"}])
    with pytest.raises(LoadError, match="dq_flag must be None"):
        load(warehouse_engine, dq_flag="ok")
    with pytest.raises(DocumentNotFoundError):
        mark_accepted(warehouse_engine, "cd" * 32, "reason")
    assert count(warehouse_engine, "etl_document") == 0


# ---------------------------------------------------------------- upgrade of a v1 warehouse keeps its data


def test_v1_warehouse_upgrades_with_its_data(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    try:
        upgrade(engine, "0001")
        now = datetime(2026, 1, 1, tzinfo=UTC)
        later = datetime(2026, 2, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO dim_department (department_key, name) VALUES (1, '甲局')"))
            conn.execute(
                text(
                    "INSERT INTO dim_functional_subject (functional_key, code, name, level)"
                    " VALUES (1, '210', '卫生健康支出', '类')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO dim_measure (measure_key, table_code, header_path) VALUES"
                    " (1, '07', '预算数/公务接待费'), (2, '03', '本年支出合计')"
                )
            )
            for number, (sha, at) in enumerate((("a" * 64, now), ("b" * 64, later)), start=1):
                conn.execute(
                    text(
                        "INSERT INTO etl_document (sha256, source, source_file, status, reasons, department,"
                        " fiscal_year, phase, pages, tables_found, facts_loaded, pipeline_version, updated_at)"
                        " VALUES (:sha, 's', 'f.pdf', 'loaded', '[]', '甲局', 2020, '决算', 3, 9, 1, '0.1', :at)"
                    ),
                    {"sha": sha, "at": at},
                )
                conn.execute(
                    text(
                        "INSERT INTO dim_document (document_key, sha256, source, source_file, pages, phase,"
                        " fiscal_year, department_key, pipeline_version, loaded_at)"
                        " VALUES (:key, :sha, 's', 'f.pdf', 3, '决算', 2020, 1, '0.1', :at)"
                    ),
                    {"key": number, "sha": sha, "at": at},
                )
                conn.execute(
                    text(
                        "INSERT INTO fct_amount (document_key, department_key, fiscal_year, table_code,"
                        " functional_key, measure_key, amount, amount_text, unit, amount_yuan, is_total, page,"
                        " row_index, col_index) VALUES (:key, 1, 2020, '03', 1, 2, 1.5, '1.50', '万元', 15000,"
                        " FALSE, 3, 4, 1)"
                    ),
                    {"key": number},
                )
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        assert rows(engine, "SELECT department_id, valid_from, is_current FROM dim_department") == [
            {"department_id": "甲局", "valid_from": 2020, "is_current": True}
        ]
        assert rows(engine, "SELECT valid_from_year, valid_to_year FROM dim_functional_subject") == [
            {"valid_from_year": 2020, "valid_to_year": 2020}
        ]
        measures = rows(engine, "SELECT header_path, stage, fund_type FROM dim_measure ORDER BY measure_key")
        assert [(m["stage"], m["fund_type"]) for m in measures] == [("预算数", "一般公共预算"), (None, None)]
        docs = rows(engine, "SELECT sha256, is_current, superseded_by FROM dim_document ORDER BY document_key")
        assert [(bool(d["is_current"]), d["superseded_by"]) for d in docs] == [(False, 2), (True, None)]
        assert [r["status"] for r in rows(engine, "SELECT status FROM etl_document ORDER BY sha256")] == [
            "superseded",
            "loaded",
        ]
        assert len(rows(engine, "SELECT * FROM v_fiscal_facts")) == 2
        downgrade(engine, "0001")
        assert [r["status"] for r in rows(engine, "SELECT status FROM etl_document")] == ["loaded", "loaded"]
        assert len(rows(engine, "SELECT * FROM fct_amount")) == 2
    finally:
        engine.dispose()
