"""`fiscal report` over the reporting views, on the samples' real facts, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from extract.models import Document, DocumentFacts
from flows.cli import app
from tests.sample_loads import load_samples, staged_samples
from warehouse.export import export_facts
from warehouse.load import load_document
from warehouse.report import REPORTS, UnknownReportError, report_frame

runner = CliRunner()
CHANGSHA = "长沙市政务服务中心"
PUTUO = "上海市普陀区财政局"
MONEY = {
    "facts": ["amount_yuan"],
    "expenditure-by-function": ["amount_yuan"],
    "basic-by-economic": ["amount_yuan"],
    "three-public": ["budget_yuan", "final_yuan"],
    "yoy": ["amount_yuan", "previous_amount_yuan", "change_yuan"],
}


@pytest.fixture
def loaded(warehouse_engine: Engine, warehouse_url: str) -> tuple[Engine, str]:
    """Both sample documents loaded (real staged cells)."""
    load_samples(warehouse_engine)
    return warehouse_engine, warehouse_url


def _changsha_next_year(engine: Engine, factor: Decimal, year: int = 2021) -> None:
    """Load the Changsha cells again as another document of ``year`` with every amount times ``factor``."""
    sample = staged_samples()[0]
    assert sample.facts.department == CHANGSHA
    cells = sample.staged.cells.copy()
    cells["amount"] = [a * factor for a in cells["amount"]]
    cells["amount_yuan"] = [a * factor for a in cells["amount_yuan"]]
    name = f"changsha_zwfwzx_{year}_juesuan_v2.pdf"
    load_document(
        engine,
        document=Document(
            sha256=hashlib.sha256(name.encode()).hexdigest(),
            source=f"https://example.gov.cn/{name}",
            source_file=name,
            path=sample.document.path,
            size=1,
        ),
        facts=DocumentFacts(
            department=CHANGSHA, fiscal_year=year, phase="决算", unit="万元", title=None, scope="部门"
        ),
        pages=sample.pages,
        stg_cells=cells,
        tables=sample.staged.tables,
        pipeline_version="test",
    )


# ---------------------------------------------------------------- report_frame


def test_unknown_report_names_the_valid_ones() -> None:
    with pytest.raises(UnknownReportError, match="reports: facts, expenditure-by-function, basic-by-economic"):
        report_frame(None, "budget")  # type: ignore[arg-type]  # fails before touching the engine
    result = runner.invoke(app, ["report", "budget"])
    assert result.exit_code == 2
    for name in REPORTS:
        assert name in result.output


def test_every_report_has_its_contract_columns_and_decimal_money(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    _changsha_next_year(engine, Decimal("1.1"))  # so that v_yoy has previous years
    for name, spec in REPORTS.items():
        frame = report_frame(engine, name)
        assert list(frame.columns) == list(spec.columns), name
        for column in MONEY.get(name, []):
            values = [v for v in frame[column] if v is not None]
            assert values, (name, column)
            assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in values), (name, column)
    assert report_frame(engine, "data-quality").empty  # the samples load without findings


def test_facts_report_is_the_export_cell_by_cell(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    report = report_frame(engine, "facts")
    export = export_facts(engine)
    assert len(report) == len(export) == 478 + 195
    key = ["document_sha256", "table_code", "page", "row_index", "col_index"]
    merged = report.merge(export, on=key, suffixes=("", "_export"), validate="one_to_one")
    assert len(merged) == len(export)
    assert (merged["amount_yuan"] == merged["amount_yuan_export"]).all()
    assert (merged["amount"] == merged["amount_export"].map(Decimal)).all()
    assert merged["is_current"].eq(True).all()


def test_department_filter_matches_part_of_the_name_and_year_filters(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    assert set(report_frame(engine, "facts", department="普陀")["department"]) == {PUTUO}
    assert len(report_frame(engine, "facts", department="普陀")) == 195
    assert len(report_frame(engine, "facts", department="政务服务", year=2020)) == 478
    assert report_frame(engine, "facts", department="普陀", year=2020).empty
    assert report_frame(engine, "facts", department="100%").empty  # LIKE wildcards are escaped
    assert set(report_frame(engine, "three-public", year=2020)["department"]) == {CHANGSHA}
    assert len(report_frame(engine, "facts", limit=7)) == 7


def test_expenditure_by_function_rolls_up_the_leaves_of_the_facts(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    facts = export_facts(engine)
    coded = facts[facts["functional_code"].notna() & ~facts["is_total"].astype(bool)]
    expected: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for row in coded.itertuples(index=False):
        for length in (3, 5, 7):
            if len(row.functional_code) >= length:
                key = (row.department, row.fiscal_year, row.table_code, row.measure, row.functional_code[:length])
                expected[key] += row.amount_yuan
    report = report_frame(engine, "expenditure-by-function")
    found = {
        (r.department, r.fiscal_year, r.table_code, r.measure, r.code): r.amount_yuan
        for r in report.itertuples(index=False)
    }
    assert found == dict(expected)
    levels = dict(zip(report["code"], report["level"], strict=False))
    assert {levels[c] for c in levels if len(c) == 3} == {"类"}
    assert {levels[c] for c in levels if len(c) == 7} == {"项"}


def test_three_public_compares_budget_and_final_with_the_execution_rate(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    report = report_frame(engine, "three-public", department=CHANGSHA)
    facts = export_facts(engine)
    t07 = facts[(facts["table_code"] == "07") & (facts["department"] == CHANGSHA)]
    total = report[report["item"] == "合计"].iloc[0]
    budget = t07[t07["measure"] == "预算数/合计"]["amount_yuan"].iloc[0]
    final = t07[t07["measure"] == "决算数/合计"]["amount_yuan"].iloc[0]
    assert (total["budget_yuan"], total["final_yuan"]) == (budget, final)
    for row in report.itertuples(index=False):
        if row.budget_yuan:
            assert row.execution_rate == (row.final_yuan / row.budget_yuan).quantize(Decimal("0.0001"))
        else:
            assert row.execution_rate is None


def test_yoy_compares_a_department_with_its_previous_year(loaded: tuple[Engine, str]) -> None:
    engine, _ = loaded
    _changsha_next_year(engine, Decimal("1.5"))
    report = report_frame(engine, "yoy", department=CHANGSHA)
    first, second = report[report["fiscal_year"] == 2020], report[report["fiscal_year"] == 2021]
    assert len(first) == len(second) > 0
    assert first["previous_amount_yuan"].isna().all()
    both = second.merge(first, on="functional_code", suffixes=("", "_before"))
    assert (both["previous_amount_yuan"] == both["amount_yuan_before"]).all()
    assert (both["change_yuan"] == both["amount_yuan"] - both["amount_yuan_before"]).all()
    rated = both[both["amount_yuan_before"] != 0]
    assert len(rated) > 0 and set(rated["change_rate"]) == {Decimal("0.5000")}


# ---------------------------------------------------------------- CLI


def test_cli_report_csv_has_every_column_and_exact_amounts(loaded: tuple[Engine, str]) -> None:
    engine, url = loaded
    result = runner.invoke(app, ["report", "expenditure-by-function", "-w", url, "--format", "csv", "--year", "2024"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    frame = report_frame(engine, "expenditure-by-function", year=2024)
    assert list(rows[0]) == list(REPORTS["expenditure-by-function"].columns)
    assert [Decimal(r["amount_yuan"]) for r in rows] == list(frame["amount_yuan"])
    assert {r["department"] for r in rows} == {PUTUO}


def test_cli_report_table_prints_whole_amounts(loaded: tuple[Engine, str]) -> None:
    engine, url = loaded
    result = runner.invoke(app, ["report", "basic-by-economic", "-w", url, "--department", "普陀"])
    assert result.exit_code == 0, result.output
    frame = report_frame(engine, "basic-by-economic", department="普陀")
    assert f"{len(frame)} rows" in result.stdout
    for value in frame["amount_yuan"]:
        assert format(value, "f") in result.stdout  # never wrapped, cut or shown as a float
    assert "长沙" not in result.stdout


def test_cli_report_facts_hides_superseded_documents_unless_asked(loaded: tuple[Engine, str]) -> None:
    engine, url = loaded
    _changsha_next_year(engine, Decimal("1"), year=2020)  # a corrected republication supersedes the first
    current = report_frame(engine, "facts", department=CHANGSHA)
    history = report_frame(engine, "facts", department=CHANGSHA, current_only=False)
    assert len(current) == 478 and len(history) == 2 * 478
    assert current["document_sha256"].nunique() == 1
    assert sorted(history["is_current"].value_counts().items()) == [(False, 478), (True, 478)]

    def csv_rows(*extra: str) -> list[dict[str, str]]:
        result = runner.invoke(app, ["report", "facts", "-w", url, "--format", "csv", "--year", "2020", *extra])
        assert result.exit_code == 0, result.output
        return list(csv.DictReader(io.StringIO(result.stdout)))

    assert len(csv_rows()) == 478
    assert len(csv_rows("--history")) == 2 * 478
