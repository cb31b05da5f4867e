"""extract.low_quality: tables read with low camelot accuracy or text outside their cells are flagged (warn)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from expectations import quality
from expectations.config import default_rules, known_rule_names
from expectations.findings import record_outcome
from expectations.quality import LOW_QUALITY_RULE, MAX_OUTSIDE_CHARS_PCT, MIN_ACCURACY, low_quality_findings
from expectations.validate import validate
from extract.models import CellGrid, RawTable
from flows.cli import app
from flows.flow import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings
from tests.test_warehouse_load import load, make_stg, make_tables
from transform.stage import stage_document, worst_report_figure
from transform.stg_cells import empty_stg_cells

ROOT = Path(__file__).resolve().parents[1]
PUTUO_PDF = ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"
runner = CliRunner()


def grid(page: int, **report: float) -> CellGrid:
    """A one-body-row grid of table 03 with the given parsing report."""
    cells = (("科目编码", "科目名称", "本年支出合计"), ("201", "一般公共服务支出", "1.00"))
    return CellGrid(page=page, cells=cells, parsing_report=dict(report))


def table(*grids: CellGrid, code: str = "03") -> RawTable:
    return RawTable(code, "支出决算表", tuple(g.page for g in grids), grids, "万元")


# ---------------------------------------------------------------- the decision


def test_thresholds_are_the_documented_ones() -> None:
    assert (MIN_ACCURACY, MAX_OUTSIDE_CHARS_PCT) == (90.0, 0.5)
    assert LOW_QUALITY_RULE in known_rule_names()
    spec = default_rules().rules[LOW_QUALITY_RULE]
    assert spec.severity == "warn" and "90" in spec.description and "0.5" in spec.description


def test_low_accuracy_alone_is_a_warning_naming_table_page_and_figure() -> None:
    tables = [table(grid(6, accuracy=99.5, outside_chars_pct=0.1), grid(7, accuracy=85.2, outside_chars_pct=0.2))]
    (finding,) = low_quality_findings(tables)
    assert finding.rule == LOW_QUALITY_RULE and finding.severity == "warn" and finding.outcome == "fail"
    assert record_outcome(finding) == "warning"
    assert (finding.table_code, finding.page, finding.measure) == ("03", 7, "accuracy")
    assert finding.found == "accuracy 85.20 (page 7)" and finding.expected == "accuracy >= 90"
    assert finding.describe() == (
        "extract.low_quality: table 03, page 7, accuracy: expected accuracy >= 90, found accuracy 85.20 (page 7)"
    )


def test_outside_share_alone_is_a_warning_naming_table_page_and_figure() -> None:
    tables = [table(grid(10, accuracy=99.0, outside_chars_pct=0.0), grid(11, accuracy=98.0, outside_chars_pct=1.25))]
    (finding,) = low_quality_findings(tables)
    assert (finding.table_code, finding.page, finding.measure) == ("03", 11, "outside_chars_pct")
    assert finding.found == "outside_chars_pct 1.25 (page 11)" and finding.expected == "outside_chars_pct <= 0.5"


def test_both_triggers_give_one_finding_with_both_figures() -> None:
    tables = [table(grid(4, accuracy=70.0, outside_chars_pct=0.0), grid(5, accuracy=95.0, outside_chars_pct=3.0), code="01")]
    (finding,) = low_quality_findings(tables)
    assert (finding.table_code, finding.page) == ("01", 4)
    assert finding.measure == "accuracy, outside_chars_pct"
    assert finding.found == "accuracy 70.00 (page 4); outside_chars_pct 3.00 (page 5)"


@pytest.mark.parametrize(
    ("accuracy", "outside"),
    [
        (99.0, 0.0),  # both fine
        (90.0, 0.5),  # the boundary values themselves are fine
        (90.0, 0.0),
        (100.0, 0.5),
    ],
)
def test_tables_within_the_thresholds_give_no_finding(accuracy: float, outside: float) -> None:
    tables = [table(grid(6, accuracy=accuracy, outside_chars_pct=outside), grid(7, accuracy=100.0, outside_chars_pct=0.0))]
    assert low_quality_findings(tables) == []


def test_tables_without_figures_give_no_finding() -> None:
    empty = RawTable("08", "政府性基金预算财政拨款收入支出决算表", (11,), (), "万元", "本表无数据")
    older = table(grid(6, accuracy=99.0))  # a grid read before outside_chars_pct existed
    assert low_quality_findings([empty, older]) == []


def test_worst_figure_is_the_lowest_accuracy_and_the_highest_share_first_page_on_a_tie() -> None:
    raw = table(grid(6, accuracy=95.0, outside_chars_pct=0.7), grid(7, accuracy=95.0, outside_chars_pct=0.9))
    assert worst_report_figure(raw, "accuracy") == (95.0, 6)
    assert worst_report_figure(raw, "outside_chars_pct") == (0.9, 7)
    assert worst_report_figure(raw, "whitespace") is None


def test_stage_document_summarises_the_worst_page_of_every_figure() -> None:
    raw = table(
        grid(6, accuracy=97.0, whitespace=10.0, outside_chars_pct=0.25),
        grid(7, accuracy=92.5, whitespace=30.0, outside_chars_pct=0.75),
    )
    summary = next(t for t in stage_document([raw], "万元").tables if t.table_code == "03")
    assert (summary.accuracy, summary.whitespace, summary.outside_chars_pct) == (92.5, 30.0, 0.75)
    missing = next(t for t in stage_document([raw], "万元").tables if t.table_code == "01")
    assert missing.outside_chars_pct is None


def test_validate_records_it_as_a_warning_and_the_document_may_load(tmp_path: Path) -> None:
    stg = empty_stg_cells()  # the cells are another rule's business
    report = validate(stg, gx=False, tables=[table(grid(6, accuracy=80.0, outside_chars_pct=0.0))])
    assert report.ok
    assert [f.rule for f in report.warnings] == [LOW_QUALITY_RULE]
    assert [r["rule"] for r in report.records() if r["outcome"] == "warning"] == [LOW_QUALITY_RULE]
    # a steward may make it blocking in the rules file
    strict = tmp_path / "rules.yaml"
    strict.write_text(
        (ROOT / "expectations" / "rules.yaml").read_text(encoding="utf-8").replace(
            "    severity: warn\n    description: >-\n      a table read with low quality",
            "    severity: error\n    description: >-\n      a table read with low quality",
        ),
        encoding="utf-8",
    )
    report = validate(stg, gx=False, rules_file=strict, tables=[table(grid(6, accuracy=80.0))])
    assert [f.rule for f in report.failures] == [LOW_QUALITY_RULE]


# ---------------------------------------------------------------- stored with the document


def test_outside_share_and_the_finding_are_stored_and_in_v_data_quality(warehouse_engine: Engine) -> None:
    import dataclasses

    tables = make_tables()
    tables[1] = dataclasses.replace(tables[1], accuracy=85.0, outside_chars_pct=0.75)
    raw = table(grid(4, accuracy=85.0, outside_chars_pct=0.75), code="02")
    report = validate(make_stg(), gx=False, tables=[raw])
    load(warehouse_engine, tables=tables, findings=report.records())
    with warehouse_engine.connect() as conn:
        stored = conn.execute(text("SELECT outside_chars_pct FROM etl_table WHERE table_code = '02'")).scalar_one()
        quality = conn.execute(
            text("SELECT rule, severity, outcome, table_code, measure, found FROM v_data_quality WHERE rule = :rule"),
            {"rule": LOW_QUALITY_RULE},
        ).one()
    assert stored == pytest.approx(0.75)
    assert tuple(quality) == (
        LOW_QUALITY_RULE,
        "warn",
        "warning",
        "02",
        "accuracy, outside_chars_pct",
        "accuracy 85.00 (page 4); outside_chars_pct 0.75 (page 4)",
    )
    with warehouse_engine.connect() as conn:
        page = conn.execute(text("SELECT page FROM etl_finding WHERE rule = :rule"), {"rule": LOW_QUALITY_RULE}).scalar_one()
    assert page == 4


# ---------------------------------------------------------------- end to end


def test_a_low_quality_table_loads_with_the_warning_shown_by_fiscal_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding's whole path through the real pipeline: process, etl_finding, fiscal show, v_data_quality.

    Every table of the documents we have reads at accuracy 100 and 0 % of characters outside the cells
    (cell text comes from the characters), so the accuracy floor is raised above 100 here to make the
    real Putuo document's tables trip it.
    """
    monkeypatch.setattr(quality, "MIN_ACCURACY", 100.5)
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    outcome = process_document(PUTUO_PDF, settings, engine, parallel=False)
    assert outcome.status == "loaded" and outcome.facts_loaded == 195
    t07 = next(t for t in outcome.tables if t.table_code == "07")
    assert t07.accuracy is not None and t07.accuracy < quality.MIN_ACCURACY and t07.outside_chars_pct is not None
    assert any(n.startswith(f"warning: {LOW_QUALITY_RULE}: table 07, page 18") for n in outcome.notes)

    url = settings.warehouse_url
    result = runner.invoke(app, ["show", outcome.sha256[:12], "--warehouse", url])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # rich wraps long lines
    assert f"warning: {LOW_QUALITY_RULE}: table 07, page 18, accuracy: expected accuracy >= 100.5, found accuracy " in out
    assert (
        f"unit 万元, accuracy {t07.accuracy:.2f}, whitespace {t07.whitespace:.2f}, "
        f"outside cells {t07.outside_chars_pct:.2f}%"
    ) in out

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT table_code, outcome, found, status FROM v_data_quality WHERE rule = :rule"),
            {"rule": LOW_QUALITY_RULE},
        ).all()
    assert ("07", "warning", f"accuracy {t07.accuracy:.2f} (page 18)", "loaded") in [tuple(r) for r in rows]
    assert {r[0] for r in rows} == {t.table_code for t in outcome.tables if t.accuracy is not None}

    result = runner.invoke(app, ["documents", "--tables", "--warehouse", url])
    tables = {r["table_code"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    for t in outcome.tables:
        if t.outside_chars_pct is None:
            assert tables[t.table_code]["outside_chars_pct"] == ""
        else:
            assert float(tables[t.table_code]["outside_chars_pct"]) == pytest.approx(t.outside_chars_pct)
