"""GX suites, measure vocabulary, rules file, completeness, report records and Data Docs — on real staged cells."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from expectations.config import (
    RulesConfigError,
    check_completeness,
    default_rules,
    known_rule_names,
    load_rules,
)
from expectations.findings import Finding, finding_record
from expectations.gx_suites import DOCUMENT, GX_RULES, gx_validator, suite_name
from expectations.measures import (
    VocabularyError,
    canonical_measure,
    default_vocabulary,
    load_vocabulary,
    table_measures,
)
from expectations.tables import CODED_TABLES
from expectations.validate import ValidationReport, build_data_docs, validate
from extract.models import TABLE_CODES
from tests.extraction import stage_pdf

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
PUTUO = ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"
REAL_DOCUMENTS = [SEED, PUTUO, *sorted((ROOT / "tests" / "data" / "seed_layouts").glob("*.pdf"))]


@cache
def staged(path: Path) -> pd.DataFrame:
    return stage_pdf(path)[1].cells


def seed_cells() -> pd.DataFrame:
    """A fresh copy of the seed document's cells, safe to tamper with."""
    return staged(SEED).copy()


def first(cells: pd.DataFrame, mask: pd.Series) -> int:
    """Index label of the first cell matching ``mask``."""
    return int(cells.index[mask][0])


def gx_findings(cells: pd.DataFrame, table: str) -> list[Finding]:
    """Run one table's checkpoint only (the whole document is exercised by the sample tests)."""
    return gx_validator().validate_table(table, cells[cells["table_code"] == table])


# --- GX rules: a passing and a failing case each, on tampered copies of the real seed cells ---------------


def bad_code(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, (cells["table_code"] == "03") & (cells["functional_code"].fillna("").str.len() == 5))
    cells.loc[i, "functional_code"] = "2010"  # a 4-digit code is no level
    return "03", "2010"


def bad_economic_code(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, (cells["table_code"] == "06") & (cells["economic_code"] == "30101"))
    cells.loc[i, "economic_code"] = "3010101"  # 经济分类 has no 7-digit level
    return "06", "3010101"


def missing_name(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, (cells["table_code"] == "05") & cells["functional_code"].notna())
    code = str(cells.loc[i, "functional_code"])
    cells.loc[i, "functional_name"] = None
    return "05", code


def float_amount(cells: pd.DataFrame) -> tuple[str, str]:
    amounts = cells["amount"].astype(object)
    i = first(cells, cells["table_code"] == "02")
    amounts[i] = 12.5  # a float slipped in
    cells["amount"] = amounts
    return "02", "float:12.5"


def unknown_measure(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, cells["table_code"] == "08")
    cells.loc[i, "measure"] = "本年收入/其中：某某收入"
    return "08", "本年收入/其中：某某收入"


def unknown_unit(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, cells["table_code"] == "07")
    cells.loc[i, "unit"] = "美元"
    return "07", "美元"


GX_CASES: list[tuple[str, Callable[[pd.DataFrame], tuple[str, str]]]] = [
    ("gx.code_pattern", bad_code),
    ("gx.code_pattern", bad_economic_code),
    ("gx.name_present", missing_name),
    ("gx.amount_decimal", float_amount),
    ("gx.measure_vocabulary", unknown_measure),
    ("gx.unit_known", unknown_unit),
]


@pytest.mark.parametrize(("rule", "tamper"), GX_CASES, ids=[f"{r}-{t.__name__}" for r, t in GX_CASES])
def test_gx_rule_passes_on_the_real_table_and_fails_on_a_tampered_cell(
    rule: str, tamper: Callable[[pd.DataFrame], tuple[str, str]]
) -> None:
    cells = seed_cells()
    table, printed = tamper(cells)
    passing = [f for f in gx_findings(seed_cells(), table) if f.rule == rule]
    assert [f.outcome for f in passing] == ["pass"]
    failing = [f for f in gx_findings(cells, table) if f.rule == rule and f.outcome == "fail"]
    assert len(failing) == 1, [f.describe() for f in failing]
    (finding,) = failing
    assert finding.table_code == table and finding.page is not None and finding.row
    assert printed in str(finding.found) or printed in finding.row
    assert finding.difference is None


def test_gx_unique_cell_fails_on_a_repeated_subject_and_measure() -> None:
    cells = seed_cells()
    t01 = cells[cells["table_code"] == "01"]
    assert [f.outcome for f in gx_findings(cells, "01") if f.rule == "gx.unique_cell"] == ["pass"]
    repeated = t01.iloc[[0]].assign(row_index=99, amount=Decimal("1.00"))
    doubled = pd.concat([cells, repeated], ignore_index=True)
    failing = [f for f in gx_findings(doubled, "01") if f.rule == "gx.unique_cell" and f.outcome == "fail"]
    label = str(t01.iloc[0]["line_item"])
    assert len(failing) == 2 and all(label in f.row for f in failing)
    assert {f.measure for f in failing} == {str(t01.iloc[0]["measure"])}


def test_04_sub_rows_repeat_labels_under_their_parent_without_being_duplicates() -> None:
    cells = seed_cells()
    t04 = cells[cells["table_code"] == "04"]
    assert t04["parent_line_item"].notna().any()
    assert [f.outcome for f in gx_findings(cells, "04") if f.rule == "gx.unique_cell"] == ["pass"]


def test_one_suite_per_table_type_holding_every_rule_of_the_issue() -> None:
    validator = gx_validator()
    names = {s.name for s in validator.context.suites.all()}
    assert {suite_name(code) for code in (DOCUMENT, *TABLE_CODES)} <= names

    def rules(scope: str) -> list[str]:
        return sorted((e.meta or {})["rule"] for e in validator.context.suites.get(suite_name(scope)).expectations)

    uncoded = sorted(set(GX_RULES) - {"gx.code_pattern"})
    assert rules("01") == rules("04") == rules("07") == uncoded
    assert all(rules(code) == sorted(GX_RULES) for code in CODED_TABLES)


def test_document_suite_is_the_union_of_the_table_suites_with_one_expectation_per_rule() -> None:
    """Generated from the table suites: each merged expectation names the table suites it stands for."""
    validator = gx_validator()
    document = validator.context.suites.get(suite_name(DOCUMENT)).expectations
    assert sorted((e.meta or {})["rule"] for e in document) == sorted(GX_RULES)  # one checkpoint, six expectations
    for expectation in document:
        holders = [
            code
            for code in TABLE_CODES
            if (expectation.meta or {})["rule"] in {(e.meta or {})["rule"] for e in validator.context.suites.get(suite_name(code)).expectations}
        ]
        assert (expectation.meta or {})["tables"].split() == holders


def measure_of_another_table(cells: pd.DataFrame) -> tuple[str, str]:
    i = first(cells, cells["table_code"] == "03")
    cells.loc[i, "measure"] = "收入/金额"  # a header of table 01, not of 03: the merged check stays per table
    return "03", "收入/金额"


def untouched(cells: pd.DataFrame) -> None:
    """The real seed cells as staged."""


def missing_amount(cells: pd.DataFrame) -> tuple[str, str]:
    amounts = cells["amount"].astype(object)
    amounts[first(cells, cells["table_code"] == "09")] = None
    cells["amount"] = amounts
    return "09", "<missing>"


def repeated_cell(cells: pd.DataFrame) -> pd.DataFrame:
    t03 = cells[cells["table_code"] == "03"]
    return pd.concat([cells, t03.iloc[[3]].assign(row_index=99)], ignore_index=True)


def same_key_in_two_tables(cells: pd.DataFrame) -> pd.DataFrame:
    """A 08 row copied into 09 is no duplicate: uniqueness holds within a table."""
    row = cells[cells["table_code"] == "08"].iloc[[0]].assign(table_code="09")
    return pd.concat([cells[cells["table_code"] != "09"], row], ignore_index=True)


def _tampered(tamper: Callable[[pd.DataFrame], object]) -> pd.DataFrame:
    cells = seed_cells()
    changed = tamper(cells)
    return changed if isinstance(changed, pd.DataFrame) else cells


EQUIVALENCE_CASES: list[Callable[[pd.DataFrame], object]] = [
    *(t for _, t in GX_CASES),
    measure_of_another_table,
    untouched,
    missing_amount,
    repeated_cell,
    same_key_in_two_tables,
]


@pytest.mark.parametrize("tamper", EQUIVALENCE_CASES, ids=[t.__name__ for t in EQUIVALENCE_CASES])
def test_merged_document_suite_finds_exactly_what_the_table_suites_find(tamper: Callable[[pd.DataFrame], object]) -> None:
    """One checkpoint of the merged suite ≡ one checkpoint per table with its own suite, finding for finding."""
    cells = _tampered(tamper)
    validator = gx_validator()

    def key(findings: list[Finding]) -> list[tuple[object, ...]]:
        return sorted((f.rule, f.table_code, f.row, f.measure, f.expected, str(f.found), f.page, f.outcome) for f in findings)

    merged, per_table = key(validator.validate(cells)), key(validator.validate_per_table(cells))
    assert merged == per_table
    failures = [k for k in merged if k[-1] == "fail"]
    if tamper in (untouched, same_key_in_two_tables):
        assert failures == [] and len(merged) > 40  # a pass per (rule, table present)
    else:
        assert failures, "the tampered cell must fail"


def test_a_row_of_a_table_code_without_a_suite_is_still_checked() -> None:
    cells = staged(PUTUO).copy()
    cells.loc[cells.index[0], "table_code"] = "10"
    cells.loc[cells.index[0], "unit"] = "美元"
    failing = {f.rule: f for f in gx_validator().validate(cells) if f.outcome == "fail"}
    assert set(failing) == {"gx.measure_vocabulary", "gx.unit_known"}
    assert all(f.table_code == "10" for f in failing.values())
    assert "a table type with a suite" in str(failing["gx.measure_vocabulary"].expected)


def test_merged_suite_is_exact_for_other_expectations_too() -> None:
    """Arguments the key columns cannot fold (mostly < 1, a regex with inner anchors) get one wide column per table."""
    import great_expectations.expectations as gxe

    from expectations.gx_merge import merge_expectations

    merged = merge_expectations(
        {
            "a": [
                gxe.ExpectColumnValuesToBeInSet(column="x", value_set=["1"], mostly=0.5, meta={"rule": "r"}),
                gxe.ExpectColumnValuesToMatchRegex(column="y", regex="^a$|^b$", meta={"rule": "s"}),
                gxe.ExpectColumnValuesToMatchRegex(column="z", regex=r"^\d$", meta={"rule": "t"}),
            ],
            "b": [
                gxe.ExpectColumnValuesToBeInSet(column="x", value_set=["2"], mostly=0.5, meta={"rule": "r"}),
                gxe.ExpectColumnValuesToMatchRegex(column="y", regex="^c$", meta={"rule": "s"}),
                gxe.ExpectColumnValuesToMatchRegex(column="z", regex="b", meta={"rule": "t"}),
                gxe.ExpectColumnValuesToMatchRegex(column="w", regex="^b+$", meta={"rule": "u"}),
            ],
        }
    )
    assert [(m.column.name, m.tables) for m in merged.expectations] == [
        ("x__a", ("a",)),
        ("x__b", ("b",)),
        ("y__a", ("a",)),
        ("y__b", ("b",)),
        ("z__a", ("a",)),  # an unanchored regex cannot move behind the table prefix
        ("z__b", ("b",)),
        ("w__b", ("b",)),  # held by one suite only: its rows only
    ]
    frame = merged.frame(pd.DataFrame({"x": ["1", "2", None], "y": ["a", "c", "b"], "z": ["1", "b", "2"], "w": ["b", "bb", "c"]}), ["a", "b", "a"])
    assert frame["w__b"].tolist()[1] == "bb" and frame["w__b"].isna().sum() == 2
    assert frame["x__a"].tolist()[0] == "1" and pd.isna(frame["x__a"].tolist()[1]) and pd.isna(frame["x__a"].tolist()[2])
    assert frame["y__b"].tolist()[1] == "c" and frame["y__b"].isna().sum() == 2


# --- whole documents ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", REAL_DOCUMENTS, ids=[p.stem for p in REAL_DOCUMENTS])
def test_real_documents_have_zero_failures_and_zero_warnings(path: Path) -> None:
    report = validate(staged(path), phase="决算", present_tables=TABLE_CODES)
    assert report.failures == [], [f.describe() for f in report.failures]
    assert report.warnings == [], [f.describe() for f in report.warnings]
    gx_rules = {f.rule for f in report.findings if f.rule.startswith("gx.")}
    assert gx_rules == set(GX_RULES)
    assert all(abs(f.difference or Decimal(0)) <= Decimal("0.02") for f in report.notes)


def test_one_03_cell_changed_by_100_is_a_failure_naming_table_row_and_difference() -> None:
    cells = staged(PUTUO).copy()
    i = first(cells, (cells["table_code"] == "03") & (cells["functional_code"] == "2010601") & (cells["measure"] == "基本支出"))
    cells.loc[i, "amount"] = cells.loc[i, "amount"] + Decimal("100.00")
    report = validate(cells)
    assert not report.ok
    row = [f for f in report.failures if f.table_code == "03" and "20106" in f.row]
    assert row, [f.describe() for f in report.failures]
    assert any(abs(f.difference or 0) == Decimal("100.00") for f in row)
    text = row[0].describe()
    assert "table 03" in text and "20106" in text and "100.00" in text
    # the same 100.00 surfaces in the row identity of the tampered row itself
    own_row = [f for f in report.failures if f.rule == "row.expenditure_total" and "2010601" in f.row]
    assert own_row and own_row[0].difference == Decimal("-100.00")


# --- measure vocabulary -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "printed", "canonical"),
    [
        ("01", "收入/金额", "收入/决算数"),
        ("05", "本年支出/小计", "合计"),
        ("05", "合计", "合计"),
        ("07", "财政拨款“三公”经费/公务用车购置及运行维护费/公务用车运行维护费/预算数", "预算数/公务用车购置及运行费/公务用车运行费"),
        ("07", "决算数/公务用车购置及运行费/公务用车运行费", "决算数/公务用车购置及运行费/公务用车运行费"),
        ("07", "年初预算数/合计", "预算数/合计"),
        ("06", "人员经费/决算数", "决算数"),
        ("08", "本年支出/小计", "本年支出/合计"),
        ("03", "本年 支出\n合计", "本年支出合计"),
        ("03", "收入/金额", None),
        ("99", "合计", None),
    ],
)
def test_canonical_measure_maps_printed_variants(table: str, printed: str, canonical: str | None) -> None:
    assert canonical_measure(table, printed) == canonical


def test_every_measure_of_the_real_documents_is_in_the_vocabulary() -> None:
    printed: set[tuple[str, str]] = set()
    for path in REAL_DOCUMENTS:
        cells = staged(path)
        printed |= set(zip(cells["table_code"], cells["measure"], strict=True))
    unknown = sorted(p for p in printed if canonical_measure(*p) is None)
    assert unknown == []
    assert all(table_measures(code) for code in TABLE_CODES)


def test_every_golden_measure_names_a_canonical_measure_of_its_table() -> None:
    """Golden cells give the tokens a measure must contain ([预算数, 小计]); some known header holds them."""
    import json

    vocabulary = default_vocabulary()
    for path in (ROOT / "tests" / "data" / "golden").glob("*.json"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            tokens = set(vocabulary.key(cell["measure"]))
            variants = vocabulary.lookup[cell["table"]]  # normalised header keys → canonical measure
            assert any(tokens <= set(key) for key in variants), (path.name, cell)


def test_unknown_measure_is_a_warning_by_default_and_an_error_when_configured(tmp_path: Path) -> None:
    cells = seed_cells()
    unknown_measure(cells)
    report = validate(cells)
    assert report.ok
    (warning,) = report.warnings
    assert warning.rule == "gx.measure_vocabulary" and warning.table_code == "08"
    assert "本年收入/其中：某某收入" in warning.describe() and warning.page is not None
    strict = tmp_path / "rules.yaml"
    strict.write_text(
        (ROOT / "expectations" / "rules.yaml").read_text(encoding="utf-8").replace(
            "gx.measure_vocabulary:\n    severity: warn", "gx.measure_vocabulary:\n    severity: error"
        ),
        encoding="utf-8",
    )
    report = validate(cells, rules_file=strict)
    assert not report.ok and [f.rule for f in report.failures] == ["gx.measure_vocabulary"]


def test_vocabulary_file_with_an_ambiguous_variant_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "measures.yaml"
    path.write_text('tables:\n  "05":\n    合计: [小计]\n    小计: []\n', encoding="utf-8")
    with pytest.raises(VocabularyError, match="小计"):
        load_vocabulary(path)


# --- rules file -----------------------------------------------------------------------------------------------


def test_shipped_rules_file_lists_every_rule_with_a_description() -> None:
    config = default_rules()
    assert set(config.rules) == known_rule_names()
    assert all(spec.description for spec in config.rules.values())
    assert config.completeness["决算"] == TABLE_CODES


def test_unknown_rule_name_in_the_rules_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = (ROOT / "expectations" / "rules.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("  gx.unit_known:", "  gx.unit_knwon:"), encoding="utf-8")
    with pytest.raises(RulesConfigError, match="unknown rule 'gx.unit_knwon'"):
        load_rules(path)
    with pytest.raises(RulesConfigError, match="gx.unit_knwon"):
        validate(seed_cells(), rules_file=path)


def test_rules_file_with_a_bad_severity_or_a_rule_left_out_is_an_error(tmp_path: Path) -> None:
    text = (ROOT / "expectations" / "rules.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("severity: warn", "severity: info"), encoding="utf-8")
    with pytest.raises(RulesConfigError, match=r"gx\.(name_present|measure_vocabulary).*error or warn"):
        load_rules(bad)
    short = tmp_path / "short.yaml"
    short.write_text(text.replace("  cross.t05_eq_t04:\n", "  removed:\n").replace("  removed:", "  cross.t05_eq_t04x:"), encoding="utf-8")
    with pytest.raises(RulesConfigError, match="cross.t05_eq_t04"):
        load_rules(short)


def test_identity_downgraded_to_warn_loads_with_a_warning(tmp_path: Path) -> None:
    cells = staged(PUTUO).copy()
    i = first(cells, (cells["table_code"] == "07"))
    cells.loc[i, "amount"] = Decimal("5.00")  # 07 合计 no longer adds up
    assert any(f.rule == "three_public.total" for f in validate(cells).failures)
    relaxed = tmp_path / "rules.yaml"
    text = (ROOT / "expectations" / "rules.yaml").read_text(encoding="utf-8")
    relaxed.write_text(text.replace("three_public.total:\n    severity: error", "three_public.total:\n    severity: warn"), encoding="utf-8")
    report = validate(cells, rules_file=relaxed)
    assert report.ok and [f.rule for f in report.warnings] == ["three_public.total"]


# --- completeness ---------------------------------------------------------------------------------------------


def test_a_missing_table_is_a_failure_naming_it() -> None:
    findings = check_completeness(["01", "02", "03", "04", "05", "06", "07", "09"], "决算")
    failed = [f for f in findings if f.outcome == "fail"]
    assert len(findings) == 9 and len(failed) == 1
    assert failed[0].table_code == "08" and "08" in failed[0].describe() and "政府性基金" in failed[0].describe()
    assert all(f.outcome == "pass" for f in check_completeness(TABLE_CODES, "决算"))
    assert check_completeness(["01"], "预算") == []  # no requirement configured for budgets


def test_validate_checks_completeness_from_the_cells_or_the_present_tables() -> None:
    cells = staged(PUTUO)  # 08 and 09 are printed empty: no cells, but present
    report = validate(cells, phase="决算")
    assert {f.table_code for f in report.failures} == {"08", "09"}
    assert validate(cells, phase="决算", present_tables=TABLE_CODES).ok


# --- one report type ---------------------------------------------------------------------------------------


def test_finding_record_has_the_etl_finding_keys_as_strings() -> None:
    numeric = Finding("row.income_total", "error", "02", "合计", "本年收入合计", Decimal("10.00"), Decimal("10.01"), Decimal("0.02"), 5)
    record = finding_record(numeric)
    assert record == {
        "rule": "row.income_total",
        "severity": "error",
        "outcome": "note",
        "table_code": "02",
        "row_label": "合计",
        "measure": "本年收入合计",
        "expected": "10.00",
        "found": "10.01",
        "difference": "0.01",
        "page": 5,
    }
    text = Finding("gx.unit_known", "warn", "07", "row", "m", "a unit", "美元", page=3, verdict="fail")
    assert finding_record(text)["outcome"] == "warning" and finding_record(text)["difference"] is None
    failure = Finding("x", "error", "03", "r", "m", Decimal(1), Decimal(5), Decimal("0.01"))
    assert finding_record(failure)["outcome"] == "failure" and finding_record(failure)["difference"] == "4"
    report = ValidationReport((numeric, text, failure))
    assert (report.notes, report.warnings, report.failures) == ([numeric], [text], [failure])


# --- Data Docs --------------------------------------------------------------------------------------------------


def test_data_docs_index_is_written_and_names_a_suite(tmp_path: Path) -> None:
    validate(staged(PUTUO), data_docs_dir=tmp_path / "docs", run_name="putuo-2024.pdf")
    index = tmp_path / "docs" / "index.html"
    assert index.is_file()
    html = index.read_text(encoding="utf-8")
    assert suite_name("03") in html and "putuo-2024.pdf" in html
    pages = {p.name for p in (tmp_path / "docs" / "validations").rglob("*.html")}
    # the document's one merged run, and for Data Docs each present table type's own suite as well
    assert "stg_cells-all_tables_of_one_document.html" in pages and "stg_cells-table_03_of_one_document.html" in pages
    assert build_data_docs(tmp_path / "again") == (tmp_path / "again" / "index.html").resolve()


def test_results_kept_for_data_docs_can_be_dropped_in_long_runs() -> None:
    validator = gx_validator()
    validator.validate_table("07", seed_cells())
    assert validator.forget_results() >= 1  # the document suite's run
    assert validator.forget_results() == 0


def test_a_long_running_process_keeps_a_bounded_number_of_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from expectations.gx_suites import runner

    monkeypatch.setattr(runner, "KEEP_RESULTS", 3)
    validator = gx_validator()
    validator.forget_results()
    for _ in range(6):  # a passing table: one stored result per validation
        validator.validate_table("07", seed_cells())
    assert len(validator.context.validation_results_store.list_keys()) == 3
    assert validator.forget_results() == 3


def test_documents_validated_from_several_threads_get_their_own_findings() -> None:
    """The harvest flow processes documents in a thread pool; the shared GX context must not mix them up."""
    from concurrent.futures import ThreadPoolExecutor

    good = seed_cells()
    bad = seed_cells()
    unknown_unit(bad)
    expected = {id(good): 0, id(bad): 1}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda c: (id(c), gx_validator().validate(c)), [good, bad, good, bad]))
    for key, findings in results:
        assert sum(f.outcome == "fail" for f in findings) == expected[key]
