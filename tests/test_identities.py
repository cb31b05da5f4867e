"""Accounting identities over hand-built stg_cells frames and over both sample PDFs."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from expectations.config import COMPLETENESS_RULE, default_rules
from expectations.gx_suites import GX_RULES
from expectations.identities import RULES, Finding, Rule, evaluate
from expectations.identities.base import RuleSet
from expectations.identities.economic import is_budget_column
from expectations.ocr_corrections import CORRECTED_RULE, UNPROVEN_RULE
from expectations.quality import LOW_QUALITY_RULE
from expectations.validate import ValidationReport, validate
from tests.extraction import stage_pdf
from transform.stg_cells import STG_CELLS_COLUMNS

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SEED = SAMPLES / "changsha_zwfwzx_2020_juesuan.pdf"
PUTUO = SAMPLES / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"

NEW_RULES = (
    "row.expenditure_total",
    "row.income_total",
    "two_sided.income_total",
    "two_sided.grand_total_income",
    "two_sided.grand_total_expenditure",
    "two_sided.both_totals_equal",
    "three_public.subtotal",
    "three_public.total",
    "cross.t01_income_eq_t02",
    "cross.t01_expenditure_eq_t03",
    "cross.t05_eq_t04",
    "cross.t05_basic_eq_t06",
    "two_sided.carry_over_sub_rows",
    "economic.personnel_total",
    "economic.public_total",
    "cross.t03_classes_eq_t01_lines",
    "cross.t05_classes_eq_t04_lines",
)


def cell(
    table: str,
    measure: str,
    amount: str,
    *,
    row: int = 3,
    page: int = 1,
    line_item: str | None = None,
    parent: str | None = None,
    functional_code: str | None = None,
    functional_name: str | None = None,
    economic_code: str | None = None,
    col: int = 0,
) -> dict[str, object]:
    value = Decimal(amount)
    return {
        "table_code": table,
        "page": page,
        "row_index": row,
        "col_index": col,
        "functional_code": functional_code,
        "functional_name": functional_name,
        "economic_code": economic_code,
        "economic_name": None,
        "line_item": line_item,
        "parent_line_item": parent,
        "measure": measure,
        "amount": value,
        "unit": "万元",
        "amount_yuan": value * 10000,
        "is_total": False,
        "raw_text": amount,
    }


def frame(*cells: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(cells), columns=list(STG_CELLS_COLUMNS))


def rule(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)


def findings(name: str, cells: pd.DataFrame) -> list[Finding]:
    return evaluate(cells, (rule(name),))


# --- hand-built documents: each builder takes the printed total and returns a frame -----------------


def t03_row(total: str) -> pd.DataFrame:
    return frame(
        cell("03", "本年支出合计", total, line_item="合计"),
        cell("03", "基本支出", "60.00", line_item="合计"),
        cell("03", "项目支出", "30.00", line_item="合计"),
        cell("03", "经营支出", "10.00", line_item="合计"),
    )


def t05_row(total: str) -> pd.DataFrame:
    return frame(
        cell("05", "本年支出/小计", total, functional_code="201"),
        cell("05", "本年支出/基本支出", "7.00", functional_code="201"),
        cell("05", "本年支出/项目支出", "3.00", functional_code="201"),
    )


def t02_row(total: str) -> pd.DataFrame:
    return frame(
        cell("02", "本年收入合计", total, line_item="合计"),
        cell("02", "财政拨款收入", "90.00", line_item="合计"),
        cell("02", "事业收入", "8.00", line_item="合计"),
        cell("02", "事业收入/其中：教育收费", "5.00", line_item="合计"),
        cell("02", "其他收入", "2.00", line_item="合计"),
    )


def t01(
    *, income: str = "100.00", income_grand: str = "105.00", expenditure_grand: str = "105.00"
) -> pd.DataFrame:
    return frame(
        cell("01", "收入/金额", "90.00", row=3, line_item="一般公共预算财政拨款收入"),
        cell("01", "支出/金额", "95.00", row=3, line_item="一般公共服务支出"),
        cell("01", "收入/金额", "10.00", row=4, line_item="事业收入"),
        cell("01", "支出/金额", "5.00", row=4, line_item="教育支出"),
        cell("01", "收入/金额", income, row=10, line_item="本年收入合计"),
        cell("01", "支出/金额", "100.00", row=10, line_item="本年支出合计"),
        cell("01", "收入/金额", "1.00", row=11, line_item="使用非财政拨款结余"),
        cell("01", "支出/金额", "0.00", row=11, line_item="结余分配"),
        cell("01", "收入/金额", "4.00", row=12, line_item="年初结转和结余"),
        cell("01", "支出/金额", "5.00", row=12, line_item="年末结转和结余"),
        cell("01", "收入/金额", income_grand, row=13, line_item="总计"),
        cell("01", "支出/金额", expenditure_grand, row=13, line_item="总计"),
    )


def t04(*, income: str = "100.00", income_grand: str = "104.00", expenditure_grand: str = "104.00") -> pd.DataFrame:
    general = "支出/一般公共预算财政拨款"
    return frame(
        cell("04", "收入/决算数", "100.00", row=2, line_item="一般公共预算财政拨款"),
        cell("04", "支出/合计", "100.00", row=2, line_item="一般公共服务支出"),
        cell("04", general, "100.00", row=2, line_item="一般公共服务支出"),
        cell("04", "收入/决算数", income, row=10, line_item="本年收入合计"),
        cell("04", "支出/合计", "100.00", row=10, line_item="本年支出合计"),
        cell("04", general, "100.00", row=10, line_item="本年支出合计"),
        cell("04", "收入/决算数", "4.00", row=11, line_item="年初财政拨款结转和结余"),
        cell("04", "支出/合计", "4.00", row=11, line_item="年末财政拨款结转和结余"),
        cell("04", general, "4.00", row=11, line_item="年末财政拨款结转和结余"),
        cell("04", "收入/决算数", "4.00", row=12, line_item="一般公共预算财政拨款", parent="年初财政拨款结转和结余"),
        cell("04", "收入/决算数", income_grand, row=13, line_item="总计"),
        cell("04", "支出/合计", expenditure_grand, row=13, line_item="总计"),
        cell("04", general, expenditure_grand, row=13, line_item="总计"),
    )


def t07(*, subtotal: str = "6.50", total: str = "9.70") -> pd.DataFrame:
    cars = "决算数/公务用车购置及运行费"
    return frame(
        cell("07", "决算数/合计", total, row=4),
        cell("07", "决算数/因公出国（境）费", "0.00", row=4),
        cell("07", f"{cars}/小计", subtotal, row=4),
        cell("07", f"{cars}/公务用车购置费", "2.00", row=4),
        cell("07", f"{cars}/公务用车运行费", "4.50", row=4),
        cell("07", "决算数/公务接待费", "3.20", row=4),
    )


def t07_putuo(total: str) -> pd.DataFrame:
    """Putuo's layout: the stage is the innermost element, and blank columns are simply absent."""
    return frame(
        cell("07", "财政拨款“三公”经费/合计/预算数", total, row=5),
        cell("07", "财政拨款“三公”经费/公务接待费/预算数", "0.95", row=5),
    )


def cross_01_02(t02_total: str) -> pd.DataFrame:
    return pd.concat([t01(), frame(cell("02", "本年收入合计", t02_total, line_item="合计"))], ignore_index=True)


def cross_01_03(t03_total: str) -> pd.DataFrame:
    return pd.concat([t01(), frame(cell("03", "本年支出合计", t03_total, line_item="合计"))], ignore_index=True)


def cross_05_04_total(t05_total: str) -> pd.DataFrame:
    return pd.concat([t04(), frame(cell("05", "合计", t05_total, line_item="合计"))], ignore_index=True)


def cross_05_06(t05_basic: str) -> pd.DataFrame:
    return frame(
        cell("05", "合计", "100.00", line_item="合计"),
        cell("05", "基本支出", t05_basic, line_item="合计"),
        cell("06", "人员经费/决算数", "60.00", row=30, line_item="人员经费合计"),
        cell("06", "公用经费/决算数", "20.00", row=30, line_item="公用经费合计"),
    )


def t04_carry_over(first_fund: str) -> pd.DataFrame:
    """04 年初财政拨款结转和结余 4.00 over its fund sub-rows, and a 年末 line with sub-rows on the expenditure side."""
    return frame(
        cell("04", "收入/决算数", "4.00", row=11, line_item="年初财政拨款结转和结余"),
        cell("04", "收入/决算数", first_fund, row=12, line_item="一般公共预算财政拨款", parent="年初财政拨款结转和结余"),
        cell("04", "收入/决算数", "1.00", row=13, line_item="政府性基金预算财政拨款", parent="年初财政拨款结转和结余"),
        cell("04", "支出/合计", "2.00", row=11, line_item="年末财政拨款结转和结余"),
        cell("04", "支出/合计", "2.00", row=12, line_item="一般公共预算财政拨款", parent="年末财政拨款结转和结余"),
    )


def t06_sides(personnel_total: str, *, by: str = "column") -> pd.DataFrame:
    """06 in Putuo's layout (sides told apart by column) or Changsha's (by the caption above 决算数)."""
    left, right = ("决算数", "决算数") if by == "column" else ("人员经费/决算数", "公用经费/决算数")
    return frame(
        cell("06", left, "50.00", row=3, col=3, economic_code="301"),
        cell("06", right, "20.00", row=3, col=7, economic_code="302"),
        cell("06", left, "5.00", row=10, col=3, economic_code="303"),
        cell("06", right, "3.00", row=10, col=7, economic_code="310"),
        cell("06", left, "1.00", row=11, col=3, economic_code="399"),  # printed on the personnel side
        cell("06", left, personnel_total, row=20, col=3, line_item="人员经费合计"),
        cell("06", right, "23.00", row=20, col=7, line_item="公用经费合计"),
    )


def t06_with_budget(final: tuple[str, str], budget: tuple[str, str] | None = None) -> pd.DataFrame:
    """06 of t06_sides with its 决算 columns headed ``final`` (personnel, public) and 05 基本支出 = their totals.

    ``budget`` adds budget columns under those headers, printed first (to the left), with other figures.
    """
    final_cells = t06_sides("56.00").assign(measure=lambda f: [final[0] if c == 3 else final[1] for c in f["col_index"]])
    parts = [frame(cell("05", "基本支出", "79.00", line_item="合计"))]
    if budget is not None:
        parts.append(
            final_cells.assign(
                measure=lambda f: [budget[0] if c == 3 else budget[1] for c in f["col_index"]],
                col_index=lambda f: f["col_index"] - 1,
                amount=lambda f: [a + 10 for a in f["amount"]],
            )
        )
    return pd.concat([*parts, final_cells], ignore_index=True)


def t06_public(public_total: str) -> pd.DataFrame:
    return t06_sides("56.00").assign(
        amount=lambda f: [Decimal(public_total) if li == "公用经费合计" else a for li, a in zip(f["line_item"], f["amount"], strict=True)]
    )


def cross_03_01(t03_class: str) -> pd.DataFrame:
    return pd.concat(
        [
            t01(),
            frame(
                cell("03", "本年支出合计", "100.00", row=2, line_item="合计"),
                cell("03", "本年支出合计", t03_class, row=3, functional_code="201", functional_name="一般公共服务支出"),
                cell("03", "本年支出合计", "5.00", row=4, functional_code="205", functional_name="教育支出"),
            ),
        ],
        ignore_index=True,
    )


def cross_05_04(t05_class: str) -> pd.DataFrame:
    return pd.concat(
        [
            t04(),
            frame(cell("05", "本年支出/小计", t05_class, row=3, functional_code="201", functional_name="一般公共服务支出")),
        ],
        ignore_index=True,
    )


CASES: list[tuple[str, Callable[[], pd.DataFrame], Callable[[], pd.DataFrame]]] = [
    ("row.expenditure_total", lambda: t03_row("100.00"), lambda: t03_row("110.00")),
    ("row.expenditure_total", lambda: t05_row("10.00"), lambda: t05_row("11.00")),
    ("row.income_total", lambda: t02_row("100.00"), lambda: t02_row("105.00")),
    ("two_sided.income_total", lambda: t01(income="100.00"), lambda: t01(income="101.00", income_grand="106.00")),
    ("two_sided.income_total", lambda: t04(income="100.00"), lambda: t04(income="99.00", income_grand="103.00")),
    ("two_sided.grand_total_income", lambda: t01(), lambda: t01(income_grand="104.00", expenditure_grand="104.00")),
    ("two_sided.grand_total_income", lambda: t04(), lambda: t04(income_grand="108.00", expenditure_grand="108.00")),
    ("two_sided.grand_total_expenditure", lambda: t01(), lambda: t01(income_grand="106.00", expenditure_grand="106.00")),
    ("two_sided.grand_total_expenditure", lambda: t04(), lambda: t04(income_grand="100.00", expenditure_grand="100.00")),
    ("two_sided.both_totals_equal", lambda: t01(), lambda: t01(income_grand="105.00", expenditure_grand="107.00")),
    ("three_public.subtotal", lambda: t07(), lambda: t07(subtotal="7.50", total="10.70")),
    ("three_public.total", lambda: t07(), lambda: t07(total="9.90")),
    ("three_public.total", lambda: t07_putuo("0.95"), lambda: t07_putuo("1.95")),
    ("cross.t01_income_eq_t02", lambda: cross_01_02("100.00"), lambda: cross_01_02("100.50")),
    ("cross.t01_expenditure_eq_t03", lambda: cross_01_03("100.00"), lambda: cross_01_03("99.00")),
    ("cross.t05_eq_t04", lambda: cross_05_04_total("100.00"), lambda: cross_05_04_total("100.05")),
    ("cross.t05_basic_eq_t06", lambda: cross_05_06("80.00"), lambda: cross_05_06("81.00")),
    ("two_sided.carry_over_sub_rows", lambda: t04_carry_over("3.00"), lambda: t04_carry_over("3.50")),
    ("economic.personnel_total", lambda: t06_sides("56.00"), lambda: t06_sides("55.00")),
    ("economic.personnel_total", lambda: t06_sides("56.00", by="caption"), lambda: t06_sides("57.00", by="caption")),
    ("economic.public_total", lambda: t06_public("23.00"), lambda: t06_public("24.00")),
    ("cross.t03_classes_eq_t01_lines", lambda: cross_03_01("95.00"), lambda: cross_03_01("94.00")),
    ("cross.t05_classes_eq_t04_lines", lambda: cross_05_04("100.00"), lambda: cross_05_04("100.02")),
]


@pytest.mark.parametrize(("name", "good", "bad"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_passes_on_consistent_figures_and_fails_on_a_gap(
    name: str, good: Callable[[], pd.DataFrame], bad: Callable[[], pd.DataFrame]
) -> None:
    passing = findings(name, good())
    assert passing, f"{name} produced no finding"
    assert {f.outcome for f in passing} == {"pass"}, [f.describe() for f in passing]
    failing = findings(name, bad())
    assert any(f.outcome == "fail" for f in failing), [f.describe() for f in failing]
    assert all(f.severity == "error" and f.rule == name for f in failing)
    # validate() on the same staged cells: the consistent document does not fail this rule, the other one is
    # rejected because of it
    assert not [f for f in validate(good(), gx=False).failures if f.rule == name]
    report = validate(bad(), gx=False)
    assert not report.ok
    assert [f for f in report.failures if f.rule == name] == [f for f in failing if f.outcome == "fail"]


def test_every_new_rule_is_registered_as_an_error() -> None:
    registered = {r.name: r.severity for r in RULES}
    assert all(registered.get(name) == "error" for name in NEW_RULES)


def test_registered_identities_and_the_rules_file_name_the_same_rules() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    configured = set(default_rules().rules) - set(GX_RULES) - {COMPLETENESS_RULE, LOW_QUALITY_RULE, CORRECTED_RULE, UNPROVEN_RULE}
    assert set(names) == configured
    assert {r.name: r.severity for r in RULES} == {n: default_rules().severity(n) for n in names}


def test_a_check_names_its_findings_after_its_rule() -> None:
    """The name is written once, where the rule is registered: the check reads it (and the severity) from its Rule."""
    renamed = Rule("row.expenditure_total_renamed", "warn", rule("row.expenditure_total").check)
    (finding,) = evaluate(t03_row("110.00"), (renamed,))
    assert (finding.rule, finding.severity, finding.outcome) == ("row.expenditure_total_renamed", "warn", "fail")


def test_a_rule_name_cannot_be_registered_twice() -> None:
    family = RuleSet()
    family.rule("x.once")(rule("row.income_total").check)
    with pytest.raises(ValueError, match="x.once"):
        family.rule("x.once")(rule("row.income_total").check)


@pytest.mark.parametrize(("total", "outcome"), [("10.00", "pass"), ("10.01", "rounding"), ("9.99", "rounding"), ("10.03", "fail")])
def test_two_summand_gap_of_one_cent_is_rounding_three_cents_fail(total: str, outcome: str) -> None:
    cells = frame(
        cell("05", "合计", total, line_item="合计"),
        cell("05", "基本支出", "7.00", line_item="合计"),
        cell("05", "项目支出", "3.00", line_item="合计"),
    )
    (finding,) = findings("row.expenditure_total", cells)
    assert finding.tolerance == Decimal("0.02")
    assert finding.outcome == outcome
    assert finding.found == Decimal(total) and finding.expected == Decimal("10.00")


def test_blank_summands_count_as_zero_but_a_blank_total_yields_nothing() -> None:
    only_basic = frame(cell("03", "本年支出合计", "5.00", line_item="合计"), cell("03", "基本支出", "5.00", line_item="合计"))
    assert [f.outcome for f in findings("row.expenditure_total", only_basic)] == ["pass"]
    no_total = frame(cell("03", "基本支出", "5.00", line_item="合计"), cell("03", "项目支出", "1.00", line_item="合计"))
    assert findings("row.expenditure_total", no_total) == []
    no_grand_total = t01().query("line_item != '总计'")
    for name in ("two_sided.grand_total_income", "two_sided.grand_total_expenditure", "two_sided.both_totals_equal"):
        assert findings(name, no_grand_total) == []
    assert findings("cross.t01_income_eq_t02", t01()) == []  # no 02 printed
    assert findings("three_public.subtotal", t07_putuo("0.95")) == []  # no 小计 printed


def test_04_carry_over_sub_rows_are_not_counted_twice() -> None:
    (income,) = findings("two_sided.income_total", t04())
    assert income.expected == Decimal("100.00")
    (grand,) = findings("two_sided.grand_total_income", t04())
    assert grand.expected == Decimal("104.00")


def test_cross_table_equality_between_two_figures_has_one_cent_tolerance() -> None:
    (finding,) = findings("cross.t05_eq_t04", cross_05_04_total("100.01"))
    assert finding.tolerance == Decimal("0.01") and finding.outcome == "rounding"
    (finding,) = findings("cross.t05_eq_t04", cross_05_04_total("100.02"))
    assert finding.outcome == "fail"


# --- the sample documents ---------------------------------------------------------------------------


@cache
def staged_cells(path: Path) -> pd.DataFrame:
    return stage_pdf(path)[1].cells


@cache
def sample_report(path: Path) -> ValidationReport:
    return validate(staged_cells(path), gx=False)  # identities only: the GX suites are tested in test_expectations_gx


@pytest.mark.parametrize("path", [SEED, PUTUO], ids=["seed", "putuo"])
def test_sample_documents_have_no_failures(path: Path) -> None:
    report = sample_report(path)
    assert report.failures == [], [f.describe() for f in report.failures]
    assert report.ok


def test_putuo_rounding_gaps_are_notes() -> None:
    notes = sample_report(PUTUO).notes
    assert notes
    assert all(abs(f.difference) <= Decimal("0.02") for f in notes)


def test_each_new_rule_produces_findings_on_the_seed_pdf() -> None:
    produced = {f.rule for f in sample_report(SEED).findings}
    missing = [name for name in NEW_RULES if name not in produced]
    assert missing == []


# --- the new rules on real and tampered real cells ------------------------------------------------------------


def test_putuo_cross_table_class_gaps_of_one_cent_are_notes() -> None:
    """The golden file lists 01/03 and 04/05 社会保障和就业支出 326.71 vs 326.72 as published rounding."""
    notes = [f for f in sample_report(PUTUO).notes if f.rule.endswith("_lines")]
    assert {(f.rule, f.row, f.difference) for f in notes} == {
        ("cross.t03_classes_eq_t01_lines", "社会保障和就业支出", Decimal("-0.01")),
        ("cross.t05_classes_eq_t04_lines", "社会保障和就业支出", Decimal("-0.01")),
    }


def tampered(path: Path, mask: Callable[[pd.DataFrame], pd.Series], delta: str) -> pd.DataFrame:
    cells = staged_cells(path).copy()
    (i,) = cells.index[mask(cells)]
    cells.loc[i, "amount"] = cells.loc[i, "amount"] + Decimal(delta)
    return cells


@pytest.mark.parametrize(
    ("rule", "mask"),
    [
        ("economic.personnel_total", lambda c: (c["table_code"] == "06") & (c["line_item"] == "人员经费合计")),
        ("economic.public_total", lambda c: (c["table_code"] == "06") & (c["line_item"] == "公用经费合计")),
        ("two_sided.carry_over_sub_rows", lambda c: (c["table_code"] == "04") & (c["parent_line_item"] == "年初财政拨款结转和结余")),
        ("cross.t03_classes_eq_t01_lines", lambda c: (c["table_code"] == "01") & (c["line_item"] == "住房保障支出")),
        ("cross.t05_classes_eq_t04_lines", lambda c: (c["table_code"] == "04") & (c["line_item"] == "卫生健康支出") & (c["measure"] == "支出/一般公共预算财政拨款")),
    ],
)
def test_new_rule_fails_on_a_tampered_putuo_cell(rule: str, mask: Callable[[pd.DataFrame], pd.Series]) -> None:
    assert {f.outcome for f in findings(rule, staged_cells(PUTUO))} <= {"pass", "rounding"}
    failing = [f for f in findings(rule, tampered(PUTUO, mask, "1.00")) if f.outcome == "fail"]
    assert len(failing) == 1 and abs(failing[0].difference or 0) == Decimal("1.00"), [f.describe() for f in failing]


def test_a_01_expenditure_line_without_a_03_class_is_compared_with_zero() -> None:
    cells = cross_03_01("95.00")
    no_education = cells[~((cells["table_code"] == "03") & (cells["functional_code"] == "205"))]
    (education,) = [f for f in findings("cross.t03_classes_eq_t01_lines", no_education) if f.row == "教育支出"]
    assert education.outcome == "fail" and education.expected == Decimal(0) and education.found == Decimal("5.00")


def test_a_01_side_listed_by_expenditure_type_is_not_compared_with_the_03_classes() -> None:
    # some formats list 01's expenditure side as 基本支出 / 项目支出 …, not by 功能分类 类
    cells = cross_03_01("95.00")
    side = (cells["table_code"] == "01") & cells["line_item"].fillna("").str.endswith("支出") & (
        cells["line_item"] != "本年支出合计"
    )
    names = iter(["基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"])
    cells.loc[side, "line_item"] = [next(names) for _ in range(int(side.sum()))]
    assert findings("cross.t03_classes_eq_t01_lines", cells) == []


# --- 06: which columns are final-accounts figures (one predicate for the 06 identities and 05↔06) -------------


@pytest.mark.parametrize(
    ("header", "budget"),
    [
        ("决算数", False),
        ("人员经费/决算数", False),
        ("金额", False),
        ("一般公共预算基本支出/人员经费", False),  # Putuo's 2025 tables: 预算 inside the fund's name
        ("一般公共预算财政拨款/公用经费/决算数", False),
        ("预算数", True),
        ("人员经费/预算数", True),
        ("年初预算数", True),
        ("全年 预算数/合计", True),
        ("调整预算数", True),
        ("预算金额", True),
        ("预算", True),
        ("本年支出/预算数/基本支出/人员经费", True),
    ],
)
def test_a_06_budget_column_is_told_by_a_header_token_not_by_a_substring(header: str, budget: bool) -> None:
    assert is_budget_column(header) is budget


T06_LAYOUTS = {
    # 预算 inside a longer token names the fund: these are the figures to check (the old 06 identities
    # dropped them, 05↔06 kept them)
    "fund-super-header": (("一般公共预算基本支出/人员经费", "一般公共预算基本支出/公用经费"), None),
    # a budget column headed 预算金额 / 预算 is no 决算 figure (05↔06 used to read it, the 06 identities did not)
    "budget-amount": (("人员经费/决算数", "公用经费/决算数"), ("人员经费/预算金额", "公用经费/预算金额")),
    "budget-bare": (("人员经费/决算数", "公用经费/决算数"), ("人员经费/预算", "公用经费/预算")),
    "budget-number": (("人员经费/决算数", "公用经费/决算数"), ("人员经费/预算数", "公用经费/预算数")),
}


@pytest.mark.parametrize("layout", list(T06_LAYOUTS))
def test_06_identities_and_05_06_read_the_same_final_accounts_columns(layout: str) -> None:
    final, budget = T06_LAYOUTS[layout]
    cells = t06_with_budget(final, budget)
    checked = {name: findings(name, cells) for name in ("economic.personnel_total", "economic.public_total", "cross.t05_basic_eq_t06")}
    assert {name: [f.outcome for f in found] for name, found in checked.items()} == dict.fromkeys(checked, ["pass"])
    (personnel,), (public,) = checked["economic.personnel_total"], checked["economic.public_total"]
    assert (personnel.measure, public.measure) == final
    (basic,) = checked["cross.t05_basic_eq_t06"]
    assert basic.expected == personnel.found + public.found == Decimal("79.00")
