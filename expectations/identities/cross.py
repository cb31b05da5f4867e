"""Cross-table equalities: 01 ↔ 02/03, 03 类 ↔ 01 lines, 05 ↔ 04 (total and 类 lines), 05 基本支出 ↔ 06."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import (
    EXPENDITURE_TOTALS,
    TOLERANCE_PER_SUMMAND,
    Rule,
    RuleSet,
    amounts_of,
    compare,
    finding,
    first_row,
    is_total_label,
    labels_of,
    last_token,
    lines_named,
    measures_of,
    reading_order,
    side_measures,
    top_level,
)
from expectations.identities.economic import PERSONNEL_TOTAL, PUBLIC_TOTAL, final_accounts_06

CROSS = RuleSet()


def _side_line(cells: pd.DataFrame, table: str, side: str, token: str, column: str | None = None) -> pd.Series | None:
    """A label-identified figure of a two-sided table in the first measure of ``side`` (or the one containing ``column``)."""
    frame = cells[cells["table_code"] == table]
    measures = [m for m in side_measures(frame, side) if column is None or column in last_token(m)]
    if not measures:
        return None
    return first_row(lines_named(frame[frame["measure"] == measures[0]], token))


def _total_row_cell(cells: pd.DataFrame, table: str, match: Callable[[str], bool]) -> pd.Series | None:
    """The cell of the 合计 row of a coded table in the first measure that ``match`` accepts."""
    frame = cells[(cells["table_code"] == table) & (labels_of(cells) == "合计")]
    for measure in measures_of(frame):
        if match(measure):
            return first_row(frame[frame["measure"] == measure])
    return None


def _equal(rule: Rule, found: pd.Series | None, expected: pd.Series | None, other: str) -> Iterator[Finding]:
    if found is None or expected is None:
        return
    yield compare(
        rule, str(found["table_code"]), str(found["line_item"]), f"{found['measure']} vs {other}", found, [Decimal(expected["amount"])]
    )


@CROSS.rule("cross.t01_income_eq_t02")
def check_cross_t01_income_eq_t02(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """01 本年收入合计 = 02 合计 本年收入合计."""
    yield from _equal(
        rule,
        _side_line(cells, "01", "收入", "本年收入合计"),
        _total_row_cell(cells, "02", lambda m: last_token(m) == "本年收入合计"),
        "02 合计/本年收入合计",
    )


@CROSS.rule("cross.t01_expenditure_eq_t03")
def check_cross_t01_expenditure_eq_t03(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """01 本年支出合计 = 03 合计 本年支出合计."""
    yield from _equal(
        rule,
        _side_line(cells, "01", "支出", "本年支出合计"),
        _total_row_cell(cells, "03", lambda m: last_token(m) == "本年支出合计"),
        "03 合计/本年支出合计",
    )


# --- 类 lines of a coded table = the lines of the two-sided table that names them -----------------------

_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十百]+[、.．]|（[一二三四五六七八九十]+）)")


def _name_key(name: object) -> str:
    """A subject name compared across tables: no ordinal, no whitespace, full-width parentheses."""
    text = re.sub(r"\s+", "", str(name or "")).replace("(", "（").replace(")", "）")
    return _ORDINAL.sub("", text)


def _side_lines(frame: pd.DataFrame, measure: str) -> dict[str, pd.Series]:
    """Top-level lines of one side of a two-sided table above its 本年…合计 row, by name (the 类 lines)."""
    column = frame[(frame["measure"] == measure) & top_level(frame)]
    labels = labels_of(column)
    totals = column[labels.map(is_total_label)]
    position = reading_order(column)
    if not totals.empty:
        column = column[position < reading_order(totals).min()]
    lines: dict[str, pd.Series] = {}
    for _, line in column.iterrows():
        label = str(line["line_item"] or "")
        if label and not is_total_label(label):
            lines.setdefault(_name_key(label), line)
    return lines


def _class_lines(frame: pd.DataFrame, measure: str) -> dict[str, pd.Series]:
    """类 rows (3-digit 功能分类 codes) of one measure of a coded table, by name."""
    column = frame[(frame["measure"] == measure) & (frame["functional_code"].fillna("").astype(str).str.len() == 3)]
    return {_name_key(row["functional_name"]): row for _, row in column.iterrows()}


def classes_vs_lines(
    rule: Rule, cells: pd.DataFrame, coded: str, coded_measure: Callable[[str], bool], two_sided: str,
    line_measure: Callable[[str], bool], name_key: Callable[[object], str] | None = None,
) -> Iterator[Finding]:
    """Each 类 of ``coded`` = the line of the same name on the expenditure side of ``two_sided``; absent = 0.

    Names are compared without ordinal, whitespace and with full-width parentheses (``_name_key``), then
    through ``name_key`` when given (a 预算 knows the 类 renamed over the years).
    """
    frame = cells[cells["table_code"] == coded]
    other = cells[cells["table_code"] == two_sided]
    measures = [m for m in measures_of(frame) if coded_measure(m)]
    side = [m for m in side_measures(other, "支出") if line_measure(m)]
    if not measures or not side:
        return
    classes = _class_lines(frame, measures[0])
    lines = _side_lines(other, side[0])
    if name_key is not None:
        classes = {name_key(name): row for name, row in classes.items()}
        lines = {name_key(name): line for name, line in lines.items()}
    if not classes or not lines.keys() & classes.keys():
        # no line of the two-sided table is named after a 类: that side lists its expenditure another
        # way (基本支出 / 项目支出 … in some formats), so there is nothing to compare line by line
        return
    for name in dict.fromkeys([*lines, *classes]):
        line, subject = lines.get(name), classes.get(name)
        if line is None and subject is None:
            continue
        printed = Decimal(line["amount"]) if line is not None else Decimal(0)
        computed = Decimal(subject["amount"]) if subject is not None else Decimal(0)
        if line is None and computed == 0 or subject is None and printed == 0:
            continue  # a zero line with no 类 (or a zero 类 with no line) agrees
        if line is not None:
            anchor, row = line, str(line["line_item"])
        elif subject is not None:
            anchor, row = subject, f"类 {subject['functional_code']} {subject['functional_name']}"
        yield finding(
            rule,
            two_sided,
            row,
            f"{side[0]} vs {coded} {measures[0]}",
            expected=computed,
            found=printed,
            tolerance=TOLERANCE_PER_SUMMAND,
            page=int(anchor["page"]),
        )


@CROSS.rule("cross.t03_classes_eq_t01_lines")
def check_cross_t03_classes_eq_t01(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each 类 of 03 (本年支出合计) = the 01 expenditure line of the same name."""
    yield from classes_vs_lines(
        rule, cells, "03", lambda m: last_token(m) in ("本年支出合计", "合计"), "01", lambda m: True
    )


@CROSS.rule("cross.t05_classes_eq_t04_lines")
def check_cross_t05_classes_eq_t04(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Each 类 of 05 (合计/小计) = the 04 一般公共预算财政拨款 expenditure line of the same name."""
    yield from classes_vs_lines(
        rule, cells, "05", lambda m: last_token(m) in EXPENDITURE_TOTALS, "04", lambda m: "一般公共预算" in m
    )


@CROSS.rule("cross.t05_eq_t04")
def check_cross_t05_eq_t04(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """05 合计 (first measure) = 04 本年支出合计 in the 一般公共预算财政拨款 expenditure column."""
    yield from _equal(
        rule,
        _total_row_cell(cells, "05", lambda m: True),
        _side_line(cells, "04", "支出", "本年支出合计", column="一般公共预算"),
        "04 本年支出合计/一般公共预算财政拨款",
    )


@CROSS.rule("cross.t05_basic_eq_t06")
def check_cross_t05_basic_eq_t06(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """05 合计 基本支出 = 06 人员经费合计 + 公用经费合计 (06's final-accounts columns, as the 06 identities read them)."""
    basic = _total_row_cell(cells, "05", lambda m: last_token(m) == "基本支出")
    if basic is None:
        return
    t06 = final_accounts_06(cells)
    labels = labels_of(t06)
    parts = [t06[labels == label].iloc[:1] for label in (PERSONNEL_TOTAL, PUBLIC_TOTAL)]
    printed = [p for p in parts if not p.empty]
    if not printed:
        return
    yield compare(
        rule, "05", "合计", f"{basic['measure']} vs 06 人员经费合计 + 公用经费合计", basic, [a for p in printed for a in amounts_of(p)]
    )
