"""Validation of 预算 (budget) disclosures: identities and GX suites chosen by ``table_type``, on real PDFs.

A 预算 numbers its tables as it prints them (Shanghai's 08 is the 基本支出 经济分类 table, not the 决算's
government-fund table), so ``validate(..., phase="预算", tables=...)`` reads each table by its type. Here:
the real Shanghai and Jiangsu 预算 of tests/data/real/ validate without a failure (or fail for the published
inconsistency named below), a changed amount fails the right rule at the right place, and a 决算's findings
are the ones it always had.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from expectations.findings import Finding
from expectations.gx_suites import gx_validator
from expectations.identities import RULES, evaluate, rules_for
from expectations.tables import table_types
from expectations.validate import ValidationReport, validate
from extract.budget_tables import identify_budget_tables
from extract.identify import identify_tables, read_facts
from extract.isolation import read_pdf
from extract.limits import Limits
from extract.models import RawTable
from transform.stage import stage_document
from transform.stg_cells import UNIT_FACTORS

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"

FINANCE = "shanghai-putuo_finance-bureau_2025_yusuan_dept"
JUSTICE = "shanghai-putuo_justice-bureau_2026_yusuan_dept"
JUSTICE_UNIT = "shanghai-putuo_justice-bureau_2026_yusuan_unit"
JIANGSU = "jiangsu_procuratorate_2019_yusuan"

#: Shanghai 预算 that validate with no failure (GX suites included)
SHANGHAI_CLEAN = [
    "shanghai-putuo_commerce-commission_2025_yusuan_dept",
    "shanghai-putuo_commerce-commission_2025_yusuan_unit",
    FINANCE,
    "shanghai-putuo_govt-office_2025_yusuan_dept",
    "shanghai-putuo_govt-office_2025_yusuan_unit",
    JUSTICE,
    "shanghai-putuo_wanli-subdistrict_2025_yusuan_dept",
    "shanghai-putuo_wanli-subdistrict_2025_yusuan_draft-preview-1_LIBREOFFICE",
    "shanghai-putuo_wanli-subdistrict_2025_yusuan_draft-preview-2_LIBREOFFICE",
    # separators drawn below the digits ("8 661 624" over ", ,") no longer end 04's header early
    "shanghai-putuo_social-welfare-institute_2024_yusuan_unit",
    # 08 prints the 款 of 津贴补贴 and 绩效工资 as "2" / "7": read as 02 / 07
    "shanghai-putuo_wanli-subdistrict_2024_yusuan_dept",
]
JIANGSU_STAGED = sorted(p.stem for p in REAL.glob("jiangsu_*.pdf") if not p.stem.endswith("_text"))


@cache
def budget(name: str) -> tuple[tuple[RawTable, ...], pd.DataFrame]:
    """A real 预算's identified tables and staged cells."""
    read = read_pdf(REAL / f"{name}.pdf", f"{name}.pdf", False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    return tuple(tables), stage_document(tables, facts.unit).cells


def report(name: str, cells: pd.DataFrame | None = None, *, gx: bool = False) -> ValidationReport:
    tables, staged = budget(name)
    return validate(
        staged if cells is None else cells, phase="预算", present_tables=[t.table_code for t in tables],
        tables=list(tables), run_name=name, gx=gx,
    )


def described(findings: list[Finding]) -> list[str]:
    return [f.describe() for f in findings]


# --- real 预算 ------------------------------------------------------------------------------------------------

#: the identities every Shanghai 预算 of the corpus exercises (the 公务用车 小计 only where one is printed)
SHANGHAI_RULES = {
    "budget.hierarchy.total_eq_sum_of_classes", "budget.hierarchy.parent_eq_sum_of_children",
    "budget.row.expenditure_total", "budget.row.income_total", "budget.row.basic_personnel_public",
    "budget.two_sided.income_total", "budget.two_sided.expenditure_total", "budget.two_sided.appropriation_funds",
    "budget.two_sided.both_totals_equal", "budget.two_sided.expenditure_row_total", "budget.three_public.total",
    "budget.cross.summary_income_eq_income_table", "budget.cross.fund_tables_eq_appropriation_summary",
    "budget.cross.classes_eq_summary_lines",
}


@pytest.mark.parametrize("name", SHANGHAI_CLEAN)
def test_a_real_shanghai_budget_validates_without_a_failure(name: str) -> None:
    result = report(name, gx=True)
    assert result.failures == [], described(result.failures)
    assert result.warnings == [], described(result.warnings)
    produced = {f.rule for f in result.findings}
    assert SHANGHAI_RULES <= produced, sorted(SHANGHAI_RULES - produced)
    assert not any(f.rule.startswith(("hierarchy.", "row.", "two_sided.", "cross.", "economic.", "three_public.")) for f in result.findings)
    # the documents printed in whole 元 (万里街道 2025) differ by 1 元 where their rounding does: notes, never more
    assert all(f.difference is not None and abs(f.difference) <= 1 for f in result.notes), described(result.notes)


def test_the_shanghai_budget_that_gave_wrong_failures_now_checks_the_right_tables() -> None:
    """Table 08 of a Shanghai 预算 is the 基本支出 经济分类 table: it is summed by 经济分类 类, 人员经费 + 公用经费."""
    result = report(FINANCE)
    t08 = {(f.rule, f.row, f.measure): f for f in result.findings if f.table_code == "08"}
    total = t08["budget.hierarchy.total_eq_sum_of_classes", "合计", "一般公共预算基本支出/人员经费"]
    assert (total.outcome, total.found, total.expected) == ("pass", Decimal("22826756.00"), Decimal("22826756.00"))
    income = next(f for f in result.findings if f.rule == "budget.two_sided.income_total" and f.table_code == "01")
    assert (income.row, income.outcome, income.found) == ("收入总计", "pass", Decimal("31214205.80"))


def test_the_justice_bureau_unit_budget_2026_is_a_published_inconsistency() -> None:
    """Quarantined for what it prints (上海市普陀区司法局 2026年预算单位, pages 8, 11–15, 19).

    - 支出预算总表 (03) and 一般公共预算支出功能分类预算表 (05), row 2040601 行政运行: 合计 14,348,853.34 =
      基本支出 14,348,853.34, yet 项目支出 prints 64,840,547.00 (the 款 20406 司法's own 项目支出, which the
      other 项 already sum to): 款 20406 项目支出 64,840,547.00 against Σ 项 129,681,094.00;
    - the same tables' 合计 row prints 基本支出 "22,118,861" without its cents: 86,959,408.34 against
      22,118,861 + 64,840,547.00 = 86,959,408.00, and Σ 类 基本支出 = 22,118,861.34 = table 08's 合计;
    - 财务收支预算总表 (01) prints 公共安全支出 79,189,400.34 beside 12,604,173 + 1,744,680 + 64,840,547 =
      79,189,400, and 支出总计 86,959,408.34 beside 20,374,181 + 1,744,680 + 64,840,547 = 86,959,408.
    """
    failures = {(f.rule, f.table_code, f.row, f.difference) for f in report(JUSTICE_UNIT).failures}
    assert failures == {
        ("budget.hierarchy.parent_eq_sum_of_children", "03", "款 20406", Decimal("-64840547.00")),
        ("budget.hierarchy.parent_eq_sum_of_children", "05", "款 20406", Decimal("-64840547.00")),
        ("budget.row.expenditure_total", "03", "2040601", Decimal("-64840547.00")),
        ("budget.row.expenditure_total", "05", "2040601", Decimal("-64840547.00")),
        ("budget.hierarchy.total_eq_sum_of_classes", "03", "合计", Decimal("-0.34")),
        ("budget.hierarchy.total_eq_sum_of_classes", "05", "合计", Decimal("-0.34")),
        ("budget.row.expenditure_total", "03", "合计", Decimal("0.34")),
        ("budget.row.expenditure_total", "05", "合计", Decimal("0.34")),
        ("budget.two_sided.expenditure_row_total", "01", "公共安全支出", Decimal("0.34")),
        ("budget.two_sided.expenditure_row_total", "01", "支出总计", Decimal("0.34")),
        ("budget.cross.basic_economic_eq_basic_expenditure", "08", "合计", Decimal("0.34")),
    }


@pytest.mark.parametrize("name", JIANGSU_STAGED)
def test_a_real_jiangsu_budget_validates_what_is_staged(name: str) -> None:
    result = report(name, gx=True)
    assert result.failures == [], described(result.failures)
    produced = {f.rule for f in result.findings if f.outcome == "pass"}
    assert {"budget.two_sided.income_total", "budget.two_sided.both_totals_equal", "budget.hierarchy.parent_eq_sum_of_children"} <= produced


def test_jiangsu_prints_expenditure_twice_and_three_public_with_meetings_and_training() -> None:
    findings = {(f.rule, f.table_code, f.row): f for f in report(JIANGSU).findings}
    functional = findings["budget.two_sided.expenditure_total", "01", "当年支出小计 (支出/支出用途/金额)"]
    assert (functional.measure, functional.outcome, functional.found) == ("支出/功能分类/金额", "pass", Decimal("24169.74"))
    funds = findings["budget.two_sided.appropriation_funds", "01", "财政拨款"]
    assert (funds.outcome, funds.expected) == ("pass", Decimal("24169.74"))
    grand = findings["budget.three_public.with_meetings_training", "09", "合计"]
    assert (grand.outcome, grand.found) == ("pass", Decimal("1276.7"))  # 418.26 + 158.44 + 700
    basic = findings["budget.cross.basic_economic_eq_basic_expenditure", "06", "合计"]
    assert (basic.outcome, basic.found) == ("pass", Decimal("15844.04"))


# --- a changed amount fails the right rule, at the right place ----------------------------------------------

#: (rule, document, table, measure, the changed cell's row, then the failing finding: table, row, difference)
TAMPERING = [
    ("budget.hierarchy.total_eq_sum_of_classes", FINANCE, "02", "收入预算/合计", {"line_item": "合计"}, "02", "合计", "1.00"),
    ("budget.hierarchy.parent_eq_sum_of_children", FINANCE, "03", "支出预算/合计", {"functional_code": "2010601"}, "03", "款 20106", "-1.00"),
    ("budget.row.expenditure_total", FINANCE, "05", "一般公共预算支出/项目支出", {"functional_code": "2010601"}, "05", "2010601", "-1.00"),
    ("budget.row.income_total", FINANCE, "02", "收入预算/财政拨款收入", {"functional_code": "2010602"}, "02", "2010602", "-1.00"),
    ("budget.row.basic_personnel_public", FINANCE, "08", "一般公共预算基本支出/公用经费", {"economic_code": "30101"}, "08", "30101", "-1.00"),
    ("budget.two_sided.income_total", FINANCE, "01", "本年收入/预算数", {"line_item": "收入总计"}, "01", "收入总计", "1.00"),
    ("budget.two_sided.expenditure_total", FINANCE, "01", "本年支出/预算数", {"line_item": "卫生健康支出"}, "01", "支出总计", "-1.00"),
    ("budget.two_sided.appropriation_funds", FINANCE, "01", "本年收入/预算数", {"line_item": "一般公共预算资金"}, "01", "财政拨款收入", "-1.00"),
    ("budget.two_sided.both_totals_equal", FINANCE, "04", "财政拨款收入/预算数", {"line_item": "收入总计"}, "04", "收入总计 = 支出总计", "1.00"),
    ("budget.two_sided.expenditure_row_total", FINANCE, "04", "财政拨款支出/一般公共预算", {"line_item": "社会保障和就业支出"}, "04", "社会保障和就业支出", "-1.00"),
    ("budget.three_public.vehicles", JUSTICE, "09", "“三公”经费预算数/公务用车购置及运行费/运行费", {}, "09", "预算数 公务用车购置及运行费", "-1.00"),
    ("budget.three_public.total", FINANCE, "09", "“三公”经费预算数/公务接待费", {}, "09", "预算数 “三公”经费", "-1.00"),
    ("budget.three_public.with_meetings_training", JIANGSU, "09", "会议费", {}, "09", "合计", "-1.00"),
    ("budget.cross.summary_income_eq_income_table", FINANCE, "02", "收入预算/合计", {"line_item": "合计"}, "01", "收入总计", "-1.00"),
    ("budget.cross.summary_expenditure_eq_expenditure_table", FINANCE, "03", "支出预算/合计", {"line_item": "合计"}, "01", "支出总计", "-1.00"),
    ("budget.cross.fund_tables_eq_appropriation_summary", FINANCE, "04", "财政拨款支出/一般公共预算", {"line_item": "支出总计"}, "05", "合计", "-1.00"),
    ("budget.cross.classes_eq_summary_lines", FINANCE, "04", "财政拨款支出/一般公共预算", {"line_item": "卫生健康支出"}, "04", "卫生健康支出", "1.00"),
    ("budget.cross.basic_economic_eq_basic_expenditure", FINANCE, "05", "一般公共预算支出/基本支出", {"line_item": "合计"}, "08", "合计", "-1.00"),
]


def tampered(name: str, table: str, measure: str, where: dict[str, str]) -> pd.DataFrame:
    """The document's staged cells with one amount raised by 1.00 (in its printed unit)."""
    cells = budget(name)[1].copy()
    mask = (cells["table_code"] == table) & (cells["measure"] == measure)
    for column, value in where.items():
        mask &= cells[column] == value
    (index,) = cells.index[mask]
    cells.at[index, "amount"] = cells.at[index, "amount"] + Decimal("1.00")
    cells.at[index, "amount_yuan"] = cells.at[index, "amount_yuan"] + UNIT_FACTORS[str(cells.at[index, "unit"])]
    return cells


@pytest.mark.parametrize(
    ("rule", "name", "table", "measure", "where", "at_table", "at_row", "difference"), TAMPERING, ids=[c[0] for c in TAMPERING]
)
def test_an_amount_changed_by_one_fails_its_rule_where_it_was_changed(
    rule: str, name: str, table: str, measure: str, where: dict[str, str], at_table: str, at_row: str, difference: str
) -> None:
    assert [f for f in report(name).findings if f.rule == rule and f.outcome != "pass"] == []  # as published: holds
    result = report(name, tampered(name, table, measure, where))
    failing = [(f.table_code, f.row, f.difference, f.severity) for f in result.failures if f.rule == rule]
    assert failing == [(at_table, at_row, Decimal(difference), "error")]
    assert not result.ok


def test_a_fund_sub_line_is_not_income_of_its_own() -> None:
    """1. 一般公共预算资金 under 一、财政拨款收入: changing it breaks 财政拨款 = Σ funds, not the income total."""
    result = report(FINANCE, tampered(FINANCE, "01", "本年收入/预算数", {"line_item": "一般公共预算资金"}))
    assert {f.rule for f in result.failures} == {"budget.two_sided.appropriation_funds"}


# --- rules and suites by phase ----------------------------------------------------------------------------------


def test_budget_rules_apply_to_budgets_only_and_final_rules_to_final_accounts_only() -> None:
    budget_rules, final_rules = rules_for("预算"), rules_for("决算")
    assert {r.name for r in budget_rules} == {r.name for r in RULES if r.name.startswith("budget.")}
    assert not {r.name for r in budget_rules} & {r.name for r in final_rules}
    assert rules_for(None) == final_rules and len(budget_rules) + len(final_rules) == len(RULES)
    tables, cells = budget(FINANCE)
    types = table_types(list(tables), "预算", set(cells["table_code"]))
    assert types["08"] == "general_budget_basic_economic" and types["06"] == "government_fund"
    assert {f.rule for f in evaluate(cells, phase="预算", table_types=types)} <= {r.name for r in budget_rules}


def test_validate_reads_the_phase_from_the_tables_when_not_given() -> None:
    tables, cells = budget(FINANCE)
    unnamed = validate(cells, tables=list(tables), gx=False)
    assert unnamed.ok and {f.rule for f in unnamed.findings} == {f.rule for f in report(FINANCE).findings}


def test_a_budget_table_is_validated_by_the_suite_of_its_type() -> None:
    tables, cells = budget(FINANCE)
    types = table_types(list(tables), "预算", set(cells["table_code"]))
    findings = gx_validator().validate(cells, FINANCE, table_types=types)
    assert [f for f in findings if f.outcome == "fail"] == []
    code_pattern = {f.table_code: f.expected for f in findings if f.rule == "gx.code_pattern"}
    assert code_pattern["08"] == "a code of 3/5 digits (经济分类 类/款)"  # the 决算's 08 is functional
    assert code_pattern["05"] == "a code of 3/5/7 digits (功能分类 类/款/项)"
    assert "01" not in code_pattern  # the 收支总表 are not coded
    vocabulary = [f for f in findings if f.rule == "gx.measure_vocabulary"]
    assert {f.table_code for f in vocabulary} == set(cells["table_code"])
    assert all("budget." in str(f.expected) for f in vocabulary)


def test_a_bad_code_and_a_foreign_header_fail_the_budget_suites() -> None:
    tables, cells = budget(FINANCE)
    types = table_types(list(tables), "预算", set(cells["table_code"]))
    bad = cells.copy()
    first_08 = bad.index[(bad["table_code"] == "08") & (bad["economic_code"] == "30101")][0]
    bad.at[first_08, "economic_code"] = "3010"
    first_05 = bad.index[bad["table_code"] == "05"][0]
    bad.at[first_05, "measure"] = "本年收入/预算数"  # a header of the 收支总表, not of the general-budget table
    validator = gx_validator()
    failing = {(f.rule, f.table_code) for f in validator.validate(bad, table_types=types) if f.outcome == "fail"}
    assert failing == {("gx.code_pattern", "08"), ("gx.measure_vocabulary", "05")}

    def key(found: list[Finding]) -> list[tuple[object, ...]]:
        return sorted((f.rule, f.table_code, f.row, f.measure, f.expected, str(f.found), f.page, f.outcome) for f in found)

    # one checkpoint of the merged 预算 suite finds what each type's own suite finds
    assert key(validator.validate(bad, table_types=types)) == key(validator.validate_per_table(bad, table_types=types))


def test_items_may_repeat_in_a_procurement_table() -> None:
    """政府采购 rows are items: two purchases of one kind by one method are no duplicate cell."""
    tables, cells = budget(JIANGSU)
    types = table_types(list(tables), "预算", set(cells["table_code"]))
    procurement = [code for code, kind in types.items() if kind == "procurement"]
    assert procurement
    findings = gx_validator().validate(cells, table_types=types)
    assert not [f for f in findings if f.rule == "gx.unique_cell" and f.table_code in procurement]


# --- a 决算 is validated as it always was ---------------------------------------------------------------------

#: the findings of the 决算 samples per (rule, outcome), as validated before 预算 validation existed
FINAL_FINDINGS = {
    "changsha_zwfwzx_2020_juesuan": {
        ("completeness.tables", "pass"): 9, ("cross.t01_expenditure_eq_t03", "pass"): 1, ("cross.t01_income_eq_t02", "pass"): 1,
        ("cross.t03_classes_eq_t01_lines", "pass"): 3, ("cross.t05_basic_eq_t06", "pass"): 1,
        ("cross.t05_classes_eq_t04_lines", "pass"): 3, ("cross.t05_eq_t04", "pass"): 1, ("economic.personnel_total", "pass"): 1,
        ("economic.public_total", "pass"): 1, ("gx.amount_decimal", "pass"): 9, ("gx.code_pattern", "pass"): 6,
        ("gx.measure_vocabulary", "pass"): 9, ("gx.name_present", "pass"): 9, ("gx.unique_cell", "pass"): 9,
        ("gx.unit_known", "pass"): 9, ("hierarchy.parent_eq_sum_of_children", "pass"): 117,
        ("hierarchy.parent_eq_sum_of_children", "rounding"): 1, ("hierarchy.total_eq_sum_of_classes", "pass"): 23,
        ("hierarchy.total_eq_sum_of_classes", "rounding"): 2, ("row.expenditure_total", "pass"): 28, ("row.income_total", "pass"): 13,
        ("three_public.subtotal", "pass"): 2, ("three_public.total", "pass"): 2, ("two_sided.both_totals_equal", "pass"): 2,
        ("two_sided.carry_over_sub_rows", "pass"): 1, ("two_sided.grand_total_expenditure", "pass"): 5,
        ("two_sided.grand_total_income", "rounding"): 2, ("two_sided.income_total", "pass"): 2,
    },
    "shanghai-putuo_finance-bureau_2024_juesuan": {
        ("completeness.tables", "pass"): 9, ("cross.t01_expenditure_eq_t03", "pass"): 1, ("cross.t01_income_eq_t02", "pass"): 1,
        ("cross.t03_classes_eq_t01_lines", "pass"): 3, ("cross.t03_classes_eq_t01_lines", "rounding"): 1,
        ("cross.t05_basic_eq_t06", "pass"): 1, ("cross.t05_classes_eq_t04_lines", "pass"): 3,
        ("cross.t05_classes_eq_t04_lines", "rounding"): 1, ("cross.t05_eq_t04", "pass"): 1, ("economic.personnel_total", "pass"): 1,
        ("economic.public_total", "pass"): 1, ("gx.amount_decimal", "pass"): 7, ("gx.code_pattern", "pass"): 4,
        ("gx.measure_vocabulary", "pass"): 7, ("gx.name_present", "pass"): 7, ("gx.unique_cell", "pass"): 7,
        ("gx.unit_known", "pass"): 7, ("hierarchy.parent_eq_sum_of_children", "pass"): 56,
        ("hierarchy.parent_eq_sum_of_children", "rounding"): 2, ("hierarchy.total_eq_sum_of_classes", "pass"): 3,
        ("hierarchy.total_eq_sum_of_classes", "rounding"): 6, ("row.expenditure_total", "pass"): 40, ("row.income_total", "pass"): 20,
        ("three_public.total", "pass"): 1, ("two_sided.both_totals_equal", "pass"): 2, ("two_sided.carry_over_sub_rows", "pass"): 1,
        ("two_sided.grand_total_expenditure", "pass"): 3, ("two_sided.grand_total_income", "pass"): 2,
        ("two_sided.income_total", "pass"): 2,
    },
}


@cache
def final_accounts(name: str) -> tuple[tuple[RawTable, ...], pd.DataFrame]:
    path = ROOT / "samples" / f"{name}.pdf"
    read = read_pdf(path, path.name, False, Limits())
    tables, _ = identify_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    return tuple(tables), stage_document(tables, facts.unit).cells


@pytest.mark.parametrize("name", sorted(FINAL_FINDINGS))
def test_a_final_accounts_sample_has_the_findings_it_always_had(name: str) -> None:
    tables, cells = final_accounts(name)
    assert not any(t.table_type for t in tables)
    given = validate(cells, phase="决算", present_tables=[t.table_code for t in tables], tables=list(tables), run_name=name)
    assert Counter((f.rule, f.outcome) for f in given.findings) == FINAL_FINDINGS[name]
    # the same findings whether the tables (and so their types) are passed or not, and no 预算 rule among them
    bare = validate(cells, phase="决算", present_tables=[t.table_code for t in tables], run_name=name)
    assert given.findings == bare.findings
    assert not any(f.rule.startswith("budget.") for f in given.findings)


def test_a_budget_must_carry_every_table_its_contents_lists() -> None:
    from expectations.config import check_listed_tables
    from extract.models import RawTable

    def table(code: str, kind: str) -> RawTable:
        return RawTable(table_code=code, title="", pages=(1,), grids=(), unit="元", table_type=kind)

    listed = ["收支预算总表", "收入预算总表", "政府性基金财政拨款支出预算表", "政府采购支出预算表"]
    present = [table("01", "income_expenditure_summary"), table("02", "income"), table("10", "government_fund")]
    findings = check_listed_tables(listed, present)
    assert [(f.table_code, f.verdict) for f in findings] == [("01", "pass"), ("02", "pass"), ("10", "pass"), ("04", "fail")]
    assert findings[-1].expected == "table 政府采购支出预算表 (required table 4: its 目录, else its family) in the document" and findings[-1].severity == "error"
