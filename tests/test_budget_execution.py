"""预算 facts beside 决算 facts, and v_budget_execution, on SQLite and PostgreSQL.

The pair: the seed 决算 (``samples/changsha_zwfwzx_2020_juesuan.pdf``, through the pipeline) and a 部门预算
of the same department and year generated to go with it (``tests/data/budget/changsha_zwfwzx_2020_yusuan.pdf``,
``samples/seedgen/budget.py``; staged and loaded directly, as the pipeline still skips 预算), whose budget
figures were chosen against the seed so that every execution rate is known.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from extract.budget_tables import identify_budget_tables
from extract.identify import read_facts
from extract.isolation import read_pdf
from extract.limits import Limits
from extract.models import Document, DocumentFacts, TableSummary
from tests.test_embedded_fonts import check_pdf
from tests.test_warehouse_load import cell, load, make_document, make_facts, make_stg
from transform.stage import StagedDocument, stage_document
from warehouse.db import HEAD_REVISION, current_revision, downgrade, make_engine, upgrade
from warehouse.load import load_document
from warehouse.models import measure_fund_type, measure_stage
from warehouse.report import report_rows

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "samples"))
from seedgen import budget as generator  # noqa: E402
from seedgen.seed import AMOUNT, header_spans  # noqa: E402

BUDGET_PDF = ROOT / "tests" / "data" / "budget" / "changsha_zwfwzx_2020_yusuan.pdf"
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
DEPARTMENT = "长沙市政务服务中心"
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|\d{1,2}[、.．]\s*)")
_RATE = Decimal("0.0001")


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run a SELECT and return its rows as dicts."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


# ---------------------------------------------------------------- the generated 预算


_STAGED: dict[str, tuple[DocumentFacts, StagedDocument, int]] = {}


def staged_budget() -> tuple[DocumentFacts, StagedDocument, int]:
    """The committed 预算 read, identified and staged as the pipeline will (once per session)."""
    if "budget" not in _STAGED:
        read = read_pdf(BUDGET_PDF, BUDGET_PDF.name, False, Limits())
        tables = identify_budget_tables(read.pages, read.grids)
        facts = read_facts(read.pages, tables)
        _STAGED["budget"] = (facts, stage_document(tables, facts.unit), len(read.pages))
    return _STAGED["budget"]


def _label(text: str | None) -> str | None:
    return _ORDINAL.sub("", re.sub(r"\s+", "", text)) if text else None


def expected_cells() -> list[tuple[tuple[Any, ...], list[str]]]:
    """Every amount the generator printed: (table, functional code, economic code, label, amount) and its header tokens.

    Derived from the generator's own table definitions, not from the extractor: a coded table's row
    is its 类/款/项 cells joined (08: 经济分类), a 合计 row its label; 01/04 rows are the label printed
    left of the amount, 09 has no row label. The tokens are the header texts above the column.
    """
    out = []
    for table in generator.budget_tables():
        spans = header_spans(table.header)
        last = table.header[-1]
        ncode = next((k for k, t in enumerate(last) if t not in ("类", "款", "项")), 0)
        for row in table.body:
            for col, value in enumerate(row):
                if not AMOUNT.fullmatch(value):
                    continue
                tokens = [
                    t for r, c, t, _, cs in spans
                    if c <= col < c + cs and t and t != "项目" and not t.endswith(("编码", "名称"))
                ]
                functional = economic = label = None
                if ncode and row[0].isdigit():
                    code = "".join(row[:ncode])
                    functional, economic = (code, None) if ncode == 3 else (None, code)
                elif ncode:
                    label = row[0]
                elif table.number != "09":
                    label = next(t for t in reversed(row[:col]) if t and not AMOUNT.fullmatch(t))
                amount = format(Decimal(value.replace(",", "")), "f")
                out.append(((table.number, functional, economic, _label(label), amount), tokens))
    return out


def test_the_generator_writes_the_committed_budget_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "yusuan.pdf"
    pages = generator.build_budget(out)
    assert out.read_bytes() == BUDGET_PDF.read_bytes()
    assert pages == ["cover", "目录", "编制说明", *(f"table {n:02d}" for n in range(1, 10))]
    check_pdf(BUDGET_PDF)  # every font embedded, every table page reads as Chinese


def test_the_generated_budget_adds_up() -> None:
    total, basic, project = generator.totals()
    assert (total, basic, project) == (Decimal("32590825.00"), Decimal("12070200.00"), Decimal("20520625.00"))
    economic = [row for row in generator.economic_rows() if len(row[0]) == 3]
    assert sum(row[2] for row in economic) == basic  # 基本支出 = the economic table
    assert sum(row[3] + row[4] for row in economic) == basic  # = 人员经费 + 公用经费
    assert generator.public_funds() / 10000 == Decimal("134.02")  # 机关运行经费 (万元)
    for leaf in generator.LEAVES:  # the designed rates against the seed's 决算数
        final, rate = generator.EXECUTION[leaf.code]
        assert (final / leaf.total).quantize(_RATE) == rate


def test_the_generated_budget_identifies_and_stages_every_amount() -> None:
    facts, staged, pages = staged_budget()
    assert (facts.department, facts.fiscal_year, facts.phase, facts.scope, facts.unit, pages) == (
        DEPARTMENT, 2020, "预算", "部门", "元", 12
    )
    summaries = {t.table_code: t for t in staged.tables}
    assert [(t.table_code, t.title, t.pages, t.unit, t.is_empty) for t in staged.tables] == [
        (f"{k:02d}", title.replace("“", "").replace("”", ""), (k + 3,), "万元" if k == 9 else "元", k in (6, 7))
        for k, title in enumerate(generator.TITLES, 1)
    ]
    assert [summaries[c].table_type for c in sorted(summaries)] == [
        "income_expenditure_summary", "income", "expenditure", "appropriation_summary", "general_budget_functional",
        "government_fund", "state_capital", "general_budget_basic_economic", "three_public",
    ]
    found: dict[tuple[Any, ...], list[str]] = {}
    for row in staged.cells.itertuples():
        key = (row.table_code, row.functional_code, row.economic_code, _label(row.line_item), format(row.amount, "f"))
        found.setdefault(key, []).append(str(row.measure))
    misses = []
    for key, tokens in expected_cells():
        match = next((m for m in found.get(key, []) if all(t in m for t in tokens)), None)
        if match is None:
            misses.append((key, tokens, found.get(key)))
        else:
            found[key].remove(match)
    extras = {key: measures for key, measures in found.items() if measures}
    assert misses == [] and extras == {}
    assert len(staged.cells) == len(expected_cells()) == 191
    assert set(staged.cells["unit"]) == {"元", "万元"}
    assert set(staged.cells[staged.cells["table_code"] == "09"]["unit"]) == {"万元"}


# ---------------------------------------------------------------- stage and fund of a 预算's columns


@pytest.mark.parametrize(
    ("path", "stage"),
    [
        ("一般公共预算支出/合计", "预算数"),  # a column that names no stage: the 预算's own figure
        ("收入预算/财政拨款收入", "预算数"),
        ("金额", "预算数"),
        ("本年收入/预算数", "预算数"),
        ("“三公”经费预算数/公务用车购置及运行费/小计", "预算数"),
        ("2024年“三公”经费预算数/合计", "预算数"),
        ("本年预算数/基本支出", "预算数"),
        ("上年预算数/合计", "上年预算数"),
        ("上年执行数", "上年执行数"),
        ("上年决算数/合计", "上年执行数"),
        ("比上年预算增减/金额", "增减"),
        ("增减%", "增减"),
    ],
)
def test_a_budget_column_stage_comes_from_its_header(path: str, stage: str) -> None:
    for table_code in ("05", "07", "09", "12"):  # the number a 预算 prints means nothing here
        assert measure_stage(table_code, path, "预算") == stage


def test_a_final_column_stage_is_unchanged() -> None:
    for phase in (None, "决算"):
        assert measure_stage("05", "合计", phase) is None
        assert measure_stage("05", "年初预算数/基本支出", phase) == "预算数"
        assert measure_stage("07", "决算数/公务接待费", phase) == "决算数"
        assert measure_fund_type("07", "合计", phase) == "一般公共预算"  # the 决算's 三公 table


def test_a_budget_table_fund_comes_from_its_kind_not_its_number() -> None:
    assert measure_fund_type("07", "合计", "预算", "state_capital") == "国有资本经营"  # Shanghai 07
    assert measure_fund_type("07", "金额", "预算", "general_budget_functional") == "一般公共预算"  # Jiangsu 07
    assert measure_fund_type("08", "金额", "预算", "general_budget_functional") == "一般公共预算"  # not 政府性基金
    assert measure_fund_type("09", "“三公”经费预算数/合计", "预算", "three_public") is None
    assert measure_fund_type("04", "财政拨款支出/政府性基金预算", "预算", "appropriation_summary") == "政府性基金"


# ---------------------------------------------------------------- the pair in the warehouse


def load_budget(engine: Engine) -> None:
    """Load the generated 预算 as the pipeline will once it stops skipping 预算."""
    facts, staged, pages = staged_budget()
    data = BUDGET_PDF.read_bytes()
    document = Document(hashlib.sha256(data).hexdigest(), str(BUDGET_PDF), BUDGET_PDF.name, BUDGET_PDF, len(data))
    load_document(
        engine, document=document, facts=facts, pages=pages, stg_cells=staged.cells, tables=staged.tables,
        pipeline_version="test",
    )


def load_pair(engine: Engine, url: str, tmp_path: Path) -> None:
    """The seed 决算 through the pipeline, then the generated 预算."""
    from flows.pipeline import process_document
    from flows.settings import Settings

    settings = Settings(warehouse_url=url, data_dir=tmp_path / "data")
    outcome = process_document(SEED_PDF, settings, engine, parallel=False)
    assert (outcome.status, outcome.facts_loaded) == ("loaded", 478), outcome.reasons
    alone = report_rows(engine, "budget-execution").rows  # the 决算 prints no 预算数 column in table 05
    assert len(alone) == 36 and {(r[7], r[8]) for r in alone} == {(None, None)}
    load_budget(engine)


#: The 项 of the pair as designed: (code, name, family) → (budget, final); None: the 预算 prints it blank.
ITEMS: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("2010301", "行政运行", "合计"): ("11956400.00", "11956400.00"),
    ("2010301", "行政运行", "基本支出"): ("11956400.00", "11956400.00"),
    ("2010301", "行政运行", "项目支出"): (None, "0.00"),
    ("2010302", "一般行政管理事务", "合计"): ("20480625.00", "16384500.00"),
    ("2010302", "一般行政管理事务", "基本支出"): (None, "0.00"),
    ("2010302", "一般行政管理事务", "项目支出"): ("20480625.00", "16384500.00"),
    ("2081199", "其他残疾人事业支出", "合计"): ("30800.00", "15400.00"),
    ("2081199", "其他残疾人事业支出", "基本支出"): ("30800.00", "15400.00"),
    ("2081199", "其他残疾人事业支出", "项目支出"): (None, "0.00"),
    ("2082502", "其他农村生活救助", "合计"): ("40000.00", "50000.00"),
    ("2082502", "其他农村生活救助", "基本支出"): (None, "0.00"),
    ("2082502", "其他农村生活救助", "项目支出"): ("40000.00", "50000.00"),
    ("2120101", "行政运行", "合计"): ("83000.00", "66400.00"),
    ("2120101", "行政运行", "基本支出"): ("83000.00", "66400.00"),
    ("2120101", "行政运行", "项目支出"): (None, "0.00"),
}
NAMES = {**generator.NAMES, **{code: name for code, name, _ in ITEMS}}


def designed_rows() -> set[tuple[Any, ...]]:
    """Every row v_budget_execution must give for the pair: the 项 above and their 款 and 类 sums."""
    sums: dict[tuple[str, str], list[Decimal | None]] = {}
    for (code, _, family), (budget, final) in ITEMS.items():
        for prefix in (code[:3], code[:5], code):
            got = sums.setdefault((prefix, family), [None, Decimal(0)])
            if budget is not None:
                got[0] = (got[0] or Decimal(0)) + Decimal(budget)
            got[1] = (got[1] or Decimal(0)) + Decimal(final)
    out = set()
    for (code, family), (budget, final) in sums.items():
        level = {3: "类", 5: "款", 7: "项"}[len(code)]
        difference = None if budget is None or final is None else final - budget
        rate = None if not budget or final is None else (final / budget).quantize(_RATE, rounding=ROUND_HALF_UP)
        out.add(
            (DEPARTMENT, DEPARTMENT, 2020, level, code, NAMES[code], family, budget, "预算 document", final, difference, rate)
        )
    return out


def test_the_pair_answers_as_designed(warehouse_engine: Engine, warehouse_url: str, tmp_path: Path) -> None:
    load_pair(warehouse_engine, warehouse_url, tmp_path)
    report = report_rows(warehouse_engine, "budget-execution", department="政务服务", year=2020)
    assert report.columns == (
        "department_id", "department", "fiscal_year", "level", "code", "name", "measure_family", "budget_yuan",
        "budget_source", "final_yuan", "difference_yuan", "execution_rate",
    )
    got = set(report.rows)
    assert len(report.rows) == len(got) == 36  # 12 codes x 3 families
    assert got == designed_rows()
    by_key = {(r[4], r[6]): r for r in report.rows}
    assert by_key[("2010302", "项目支出")][-1] == Decimal("0.8000")  # spent 80 %
    assert by_key[("2082502", "合计")][-2:] == (Decimal("10000.00"), Decimal("1.2500"))  # overspent
    assert by_key[("201", "合计")][-1] == Decimal("0.8737")
    for row in report.rows:  # exact Decimals of the report's scales on both backends
        for value, places in ((row[7], -2), (row[9], -2), (row[10], -2), (row[11], -4)):
            assert value is None or (isinstance(value, Decimal) and value.as_tuple().exponent == places)

    # both phases are current: a 预算 supersedes nothing of the 决算
    docs = rows(warehouse_engine, "SELECT phase, scope, is_current FROM dim_document ORDER BY phase")
    assert [(d["phase"], d["scope"], bool(d["is_current"])) for d in docs] == [("决算", "部门", True), ("预算", "部门", True)]
    # the 预算's measures are its own: 05 合计 of a 预算 is a 预算数 column of the general-budget table
    measures = rows(
        warehouse_engine,
        "SELECT table_code, header_path, phase, table_type, stage, fund_type FROM dim_measure"
        " WHERE phase = '预算' AND table_code IN ('05', '09') ORDER BY table_code, header_path",
    )
    assert measures[0] == {
        "table_code": "05", "header_path": "一般公共预算支出/合计", "phase": "预算",
        "table_type": "general_budget_functional", "stage": "预算数", "fund_type": "一般公共预算",
    }
    assert {(m["table_type"], m["stage"], m["fund_type"]) for m in measures if m["table_code"] == "09"} == {
        ("three_public", "预算数", None)
    }
    # the 决算 rollups read the 决算 alone: its 三公 table, not the 预算's table 09 (or 07)
    three = {r[3]: r[4:6] for r in report_rows(warehouse_engine, "three-public").rows}
    assert three["合计"] == (Decimal("97000.00"), Decimal("35500.00"))
    phases = rows(
        warehouse_engine,
        "SELECT COUNT(*) AS n FROM v_expenditure_by_function v WHERE v.measure LIKE '一般公共预算支出/%'",
    )
    assert phases == [{"n": 0}]


# ---------------------------------------------------------------- the fallback: a 决算's 预算数 column


def _final_with_budget_column(code: str = "2010301", budget: str = "100.00", final: str = "90.00") -> list[dict[str, Any]]:
    """A 决算 table 05 printing 年初预算数 and 决算数 columns for one 项 (万元)."""
    f = (code, "行政运行")
    return [
        cell("05", 8, 5, 1, "年初预算数", budget, f=f),
        cell("05", 8, 5, 2, "决算数/小计", final, f=f),
        cell("05", 8, 5, 3, "决算数/基本支出", final, f=f),
        cell("05", 8, 5, 4, "决算数/项目支出", "0.00", f=f),
        cell("05", 8, 5, 5, "年初结转和结余", "7.00", f=f),  # no family: left out
    ]


def _budget_cells(total: str = "1200000.00", last_year: str = "999.00") -> list[dict[str, Any]]:
    """A 预算's general-budget functional table (元) with a 上年预算数 column beside its own."""
    f = ("2010301", "行政运行")
    return [
        cell("05", 3, 4, 1, "上年预算数", last_year, f=f, unit="元"),
        cell("05", 3, 4, 2, "本年预算数/合计", total, f=f, unit="元"),
        cell("05", 3, 4, 3, "本年预算数/基本支出", total, f=f, unit="元"),
    ]


BUDGET_TABLES = [
    TableSummary("05", "一般公共预算支出功能分类预算表", (3,), True, False, 1, 3, "元", None, None,
                 table_type="general_budget_functional"),
]


def _execution(engine: Engine) -> dict[tuple[str, str], tuple[Any, ...]]:
    got = report_rows(engine, "budget-execution").rows
    return {(r[4], r[6]): (r[7], r[8], r[9], r[10], r[11]) for r in got}


def test_without_a_budget_document_the_final_accounts_budget_column_is_read(warehouse_engine: Engine) -> None:
    load(warehouse_engine, stg=make_stg(_final_with_budget_column()))
    got = _execution(warehouse_engine)
    column = "决算 预算数 column"
    assert got[("2010301", "合计")] == (Decimal("1000000.00"), column, Decimal("900000.00"), Decimal("-100000.00"), Decimal("0.9000"))
    assert got[("201", "合计")] == got[("2010301", "合计")]
    assert got[("2010301", "基本支出")] == (None, column, Decimal("900000.00"), None, None)
    assert got[("2010301", "项目支出")] == (None, column, Decimal("0.00"), None, None)
    assert len(got) == 9  # 3 codes x 3 families; 年初结转和结余 is none of them

    # the department's 预算 of the year arrives: it is the budget now, its 上年预算数 is not
    budget_facts = replace(make_facts(), phase="预算", unit="元", title="2020年部门预算")
    load(warehouse_engine, make_document("yusuan.pdf"), make_stg(_budget_cells()), facts=budget_facts, tables=BUDGET_TABLES)
    got = _execution(warehouse_engine)
    source = "预算 document"
    assert got[("2010301", "合计")] == (Decimal("1200000.00"), source, Decimal("900000.00"), Decimal("-300000.00"), Decimal("0.7500"))
    assert got[("2010301", "基本支出")] == (Decimal("1200000.00"), source, Decimal("900000.00"), Decimal("-300000.00"), Decimal("0.7500"))
    assert got[("2010301", "项目支出")] == (None, source, Decimal("0.00"), None, None)

    # a corrected 预算 supersedes the first 预算, never the 决算
    load(warehouse_engine, make_document("yusuan-v2.pdf"), make_stg(_budget_cells("1000000.00")), facts=budget_facts,
         tables=BUDGET_TABLES)
    docs = rows(warehouse_engine, "SELECT source_file, phase, is_current FROM dim_document ORDER BY document_key")
    assert [(d["source_file"], d["phase"], bool(d["is_current"])) for d in docs] == [
        ("changsha_zwfwzx_2020.pdf", "决算", True), ("yusuan.pdf", "预算", False), ("yusuan-v2.pdf", "预算", True)
    ]
    assert _execution(warehouse_engine)[("2010301", "合计")][-1] == Decimal("0.9000")


def test_a_budget_alone_has_no_final(warehouse_engine: Engine) -> None:
    budget_facts = replace(make_facts(), phase="预算", unit="元", fiscal_year=2021)
    load(warehouse_engine, make_document("yusuan.pdf"), make_stg(_budget_cells()), facts=budget_facts, tables=BUDGET_TABLES)
    got = _execution(warehouse_engine)
    assert got[("2010301", "合计")] == (Decimal("1200000.00"), "预算 document", None, None, None)
    assert len(got) == 6  # 合计 and 基本支出 of 201, 20103, 2010301: nothing printed for 项目支出


# ---------------------------------------------------------------- migration 0009


def test_migration_0009_keeps_final_measures_and_merges_them_back_on_downgrade(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    try:
        upgrade(engine)
        load(engine, stg=make_stg([*_final_with_budget_column(), cell("07", 10, 4, 0, "预算数/合计", "9.70")]))
        before = rows(engine, "SELECT measure_key, table_code, header_path, stage, fund_type FROM dim_measure ORDER BY measure_key")
        downgrade(engine, "0008")
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
        after = rows(
            engine,
            "SELECT measure_key, table_code, header_path, stage, fund_type, phase, table_type FROM dim_measure"
            " ORDER BY measure_key",
        )
        assert [{k: m[k] for k in before[0]} for m in after] == before  # the same keys, stage and fund
        assert {(m["table_code"], m["phase"], m["table_type"]) for m in after} == {
            ("05", "决算", "general_budget_functional"), ("07", "决算", "three_public")
        }

        # a 预算 printing the same (table_code, header_path) gets a measure of its own …
        budget_facts = replace(make_facts(), phase="预算", unit="元")
        same = cell("05", 3, 4, 1, "年初预算数", "5.00", f=("2010301", "行政运行"), unit="元")
        load(engine, make_document("yusuan.pdf"), make_stg([same]), facts=budget_facts, tables=BUDGET_TABLES)
        assert rows(engine, "SELECT COUNT(*) AS n FROM dim_measure WHERE header_path = '年初预算数'") == [{"n": 2}]
        facts = rows(engine, "SELECT COUNT(*) AS n FROM fct_amount")
        # … which the downgrade merges into the 决算's (its facts kept), and the upgrade reads as 决算 again
        downgrade(engine, "0008")
        assert rows(engine, "SELECT COUNT(*) AS n FROM dim_measure WHERE header_path = '年初预算数'") == [{"n": 1}]
        assert rows(engine, "SELECT COUNT(*) AS n FROM fct_amount") == facts
        upgrade(engine)
        assert rows(engine, "SELECT COUNT(*) AS n FROM v_budget_execution") != [{"n": 0}]
    finally:
        engine.dispose()
