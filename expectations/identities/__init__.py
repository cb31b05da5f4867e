"""Accounting identities as named rules over stg_cells, compared as Decimal with a rounding tolerance."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeAlias

import pandas as pd

from expectations.findings import Finding, Severity

#: The reports warn "金额单位转换时可能存在尾数误差": allow one cent per summand in the published unit.
TOLERANCE_PER_SUMMAND = Decimal("0.01")
#: A document that prints 元 figures converted from 万元 ones (every amount a multiple of 100.00) carries the
#: 万元 rounding: its tolerance per summand is its rounding step, found from the amounts, at most 0.01 万元.
_STEPS = tuple(Decimal(s) for s in ("100", "10", "1", "0.1"))
_STEP_CAP_YUAN = Decimal(100)
_STEP_MIN_AMOUNTS = 20
_UNIT_YUAN = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "亿元": Decimal(100000000)}

CODED_TABLES = ("02", "03", "05", "08", "09")

#: one stg_cells row: a pandas row, or a plain record where a check loops in Python for speed
Cell: TypeAlias = pd.Series | Mapping[str, Any]

_RECORD_COLUMNS = ("table_code", "page", "row_index", "functional_code", "economic_code", "line_item", "measure", "amount")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The cells of a frame as plain dicts (the columns the checks read), in frame order."""
    columns = [frame[c].tolist() for c in _RECORD_COLUMNS]
    return [dict(zip(_RECORD_COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)]


@dataclass(frozen=True)
class Rule:
    """A named accounting identity with a severity."""

    name: str
    severity: Severity
    check: Callable[[pd.DataFrame, Severity], Iterator[Finding]]


def check_total_equals_sum_of_classes(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """合计 = Σ 类 for every amount column of the coded tables (02, 03, 05, 08, 09)."""
    coded = cells[cells["table_code"].isin(CODED_TABLES)]
    # one pass in plain Python: (table, measure) → printed 合计 cells and 类 amounts
    totals: dict[tuple[str, str], list[Cell]] = {}
    classes: dict[tuple[str, str], list[Decimal]] = {}
    for cell in _records(coded):
        key = (str(cell["table_code"]), str(cell["measure"]))
        if cell["line_item"] == "合计":
            totals.setdefault(key, []).append(cell)
        code = cell["functional_code"]
        if isinstance(code, str) and len(code) == 3:
            classes.setdefault(key, []).append(Decimal(cell["amount"]))
    for (table, measure), printed in sorted(totals.items()):
        for total in printed:
            yield _compare("hierarchy.total_eq_sum_of_classes", severity, table, "合计", measure, total, classes.get((table, measure), []))


def check_parent_equals_sum_of_children(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """类 = Σ 款 and 款 = Σ 项 per amount column (functional codes), and 类 = Σ 款 for economic codes."""
    rule = "hierarchy.parent_eq_sum_of_children"
    for column in ("functional_code", "economic_code"):
        coded = cells[cells[column].notna()]
        keys = zip(coded["table_code"], coded["measure"], coded[column], coded["amount"], coded["page"], strict=True)
        # (table, measure) → code → (amount, page); children are found by code prefix, one pass per group
        groups: dict[tuple[str, str], dict[str, tuple[Decimal, int]]] = {}
        for table, measure, code, amount, page in keys:
            groups.setdefault((str(table), str(measure)), {}).setdefault(str(code), (Decimal(amount), int(page)))
        for (table, measure), members in groups.items():
            children_of: dict[str, list[Decimal]] = {}
            for code, (amount, _) in members.items():
                if len(code) in (5, 7):
                    children_of.setdefault(code[:-2], []).append(amount)
            for code, (amount, page) in members.items():
                children = children_of.get(code)
                if not children:
                    continue
                yield Finding(
                    rule=rule,
                    severity=severity,
                    table_code=table,
                    row=f"{ {3: '类', 5: '款'}.get(len(code), '?')} {code}",
                    measure=measure,
                    expected=sum(children, Decimal(0)),
                    found=amount,
                    tolerance=TOLERANCE_PER_SUMMAND * len(children),
                    page=page,
                )


# --- helpers for label- and header-identified figures -------------------------------------------------

#: The parts of an expenditure total (03 prints all five; 05, 08 and 09 print the first two).
EXPENDITURE_PARTS = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
#: Header tokens of an expenditure total column.
EXPENDITURE_TOTALS = ("本年支出合计", "小计", "合计")


def _tokens(measure: object) -> list[str]:
    """The header path of a measure, outer → inner."""
    return str(measure).split("/")


def _last(measure: object) -> str:
    return _tokens(measure)[-1]


def _prefix(measure: object) -> str:
    return "/".join(_tokens(measure)[:-1])


def _measures(frame: pd.DataFrame) -> list[str]:
    """Measures in order of first appearance (the printed column order)."""
    return [str(m) for m in dict.fromkeys(frame["measure"])]


# evaluate() adds these derived columns once per document: the checks filter small frames many times,
# and recomputing labels / positions on every filter dominated their cost (pandas overhead, not data).
_LABEL, _NO_PARENT, _POSITION = "_label", "_no_parent", "_position"


def _labels(frame: pd.DataFrame) -> pd.Series:
    if _LABEL in frame.columns:
        return frame[_LABEL]
    return frame["line_item"].fillna("").astype(str)


def _no_parent(frame: pd.DataFrame) -> pd.Series:
    if _NO_PARENT in frame.columns:
        return frame[_NO_PARENT]
    return frame["parent_line_item"].isna() | (frame["parent_line_item"].astype(str) == "")


def _position(frame: pd.DataFrame) -> pd.Series:
    """Reading order of a row in the document (page, then grid row)."""
    if _POSITION in frame.columns:
        return frame[_POSITION]
    return frame["page"].astype(int) * 100000 + frame["row_index"].fillna(0).astype(int)


def prepare(cells: pd.DataFrame) -> pd.DataFrame:
    """A copy of stg_cells with the derived columns the checks use (label text, top-level flag, reading order)."""
    prepared = cells.copy()
    prepared[_LABEL] = _labels(cells)
    prepared[_NO_PARENT] = _no_parent(cells)
    prepared[_POSITION] = _position(cells)
    return prepared


def _row_label(cell: Cell) -> str:
    for column in ("line_item", "functional_code", "economic_code"):
        value = cell.get(column)
        if isinstance(value, str) and value:
            return value
    return f"row {cell.get('row_index')}"


def _compare(
    rule: str, severity: Severity, table: str, row: str, measure: str, total: Cell, parts: list[Decimal]
) -> Finding:
    """Compare one printed figure with the sum of printed parts (blank parts are simply absent: 0)."""
    return Finding(
        rule=rule,
        severity=severity,
        table_code=table,
        row=row,
        measure=measure,
        expected=sum(parts, Decimal(0)),
        found=Decimal(total["amount"]),
        tolerance=TOLERANCE_PER_SUMMAND * max(len(parts), 1),
        page=int(total["page"]),
    )


def _amounts(frame: pd.DataFrame) -> list[Decimal]:
    return [Decimal(a) for a in frame["amount"]]


def _side_measures(frame: pd.DataFrame, side: str) -> list[str]:
    """Measures of the income ("收入") or expenditure ("支出") side of a two-sided table (01, 04)."""
    return [m for m in _measures(frame) if side in _tokens(m)[0]]


def _line(frame: pd.DataFrame, token: str) -> pd.DataFrame:
    """Top-level rows whose label contains ``token``."""
    return frame[_labels(frame).str.contains(token, regex=False) & _no_parent(frame)]


def _first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame.empty else frame.iloc[0]


# --- row identities (03, 05, 08, 09 and 02) ----------------------------------------------------------


def _printed_rows(frame: pd.DataFrame) -> list[list[Cell]]:
    """The cells of a table grouped by printed row (page, grid row), in reading order."""
    rows: dict[tuple[int, int], list[Cell]] = {}
    for cell in _records(frame):
        if cell["row_index"] is None or cell["row_index"] != cell["row_index"]:
            continue  # no grid row: not part of a printed row
        rows.setdefault((int(cell["page"]), int(cell["row_index"])), []).append(cell)
    return [rows[key] for key in sorted(rows)]


def _row_sum(
    rule: str, severity: Severity, table: str, row: list[Cell], total_measure: str, part_measures: Collection[str]
) -> Iterator[Finding]:
    """Compare a row's printed total with the sum of its printed parts (blank parts are absent: 0)."""
    total = next((c for c in row if c["measure"] == total_measure), None)
    if total is None:
        return
    parts = [Decimal(c["amount"]) for c in row if c["measure"] in part_measures]
    yield _compare(rule, severity, table, _row_label(total), total_measure, total, parts)


def check_row_expenditure_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Per row: 本年支出合计 / 小计 / 合计 = 基本支出 + 项目支出 (+ 上缴上级支出 + 经营支出 + 对附属单位补助支出)."""
    tables = cells[cells["table_code"].isin(("03", "05", "08", "09"))]
    for table, group in tables.groupby("table_code", sort=True):
        measures = _measures(group)
        parts_by_prefix: dict[str, list[str]] = {}
        for m in measures:
            if _last(m) in EXPENDITURE_PARTS:
                parts_by_prefix.setdefault(_prefix(m), []).append(m)
        rows = _printed_rows(group)
        for prefix, part_measures in parts_by_prefix.items():
            totals = [m for m in measures if _prefix(m) == prefix and _last(m) in EXPENDITURE_TOTALS]
            if not totals:
                continue
            for row in rows:
                yield from _row_sum("row.expenditure_total", severity, str(table), row, totals[0], set(part_measures))


def check_row_income_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Per row of 02: 本年收入合计 = Σ the other amount columns (no 其中 columns, no sub-columns twice)."""
    group = cells[cells["table_code"] == "02"]
    measures = _measures(group)
    totals = [m for m in measures if _last(m) == "本年收入合计"]
    if not totals:
        return
    total_measure = totals[0]
    others = [m for m in measures if m != total_measure and "其中" not in m]
    parts_measures = {m for m in others if not any(m.startswith(o + "/") for o in others if o != m)}
    for row in _printed_rows(group):
        yield from _row_sum("row.income_total", severity, "02", row, total_measure, parts_measures)


# --- two-sided tables (01 收入支出决算总表, 04 财政拨款收入支出决算总表) ------------------------------------


def _is_total_label(label: str) -> bool:
    return "合计" in label or "总计" in label


@dataclass(frozen=True)
class _Line:
    """One cell of a two-sided table as the two-sided checks read it."""

    label: str
    top_level: bool
    position: int
    cell: Cell


def _two_sided_columns(cells: pd.DataFrame, table: str, side: str) -> dict[str, list[_Line]]:
    """The cells of one side of a two-sided table, per measure, in frame order (plain Python: one pass)."""
    frame = cells[cells["table_code"] == table]
    measures = _side_measures(frame, side)
    columns: dict[str, list[_Line]] = {m: [] for m in measures}
    if not measures:
        return columns
    labels, top, position = _labels(frame).tolist(), _no_parent(frame).tolist(), _position(frame).tolist()
    for cell, label, is_top, pos in zip(_records(frame), labels, top, position, strict=True):
        column = columns.get(str(cell["measure"]))
        if column is not None:
            column.append(_Line(label, bool(is_top), int(pos), cell))
    return columns


def _first_line(column: list[_Line], token: str) -> _Line | None:
    """The first top-level line whose label contains ``token``."""
    return next((line for line in column if line.top_level and token in line.label), None)


def check_two_sided_income_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """本年收入合计 = Σ income lines above it that are not totals (top-level rows only), per income measure."""
    for table in ("01", "04"):
        for measure, column in _two_sided_columns(cells, table, "收入").items():
            total = _first_line(column, "本年收入合计")
            if total is None:
                continue
            above = [
                Decimal(line.cell["amount"])
                for line in column
                if line.position < total.position and line.top_level and line.label and not _is_total_label(line.label)
            ]
            yield _compare("two_sided.income_total", severity, table, "本年收入合计", measure, total.cell, above)


def _grand_total_of(
    cells: pd.DataFrame, rule: str, severity: Severity, table: str, side: str, base: str, extra: Callable[[str], bool]
) -> Iterator[Finding]:
    """总计 = the side's 本年…合计 + the top-level lines ``extra`` accepts, per measure of the side."""
    for measure, column in _two_sided_columns(cells, table, side).items():
        top = [line for line in column if line.top_level]
        total = _first_line(top, "总计")
        if total is None:
            continue
        first_base = _first_line(top, base)
        parts = [Decimal(first_base.cell["amount"])] if first_base is not None else []
        parts += [Decimal(line.cell["amount"]) for line in top if extra(line.label)]
        yield _compare(rule, severity, table, "总计", measure, total.cell, parts)


def check_two_sided_grand_total_income(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Income 总计 = 本年收入合计 + 年初(财政拨款)结转和结余 (+ 使用非财政拨款结余 / 用事业基金弥补收支差额)."""

    def extra(label: str) -> bool:
        return ("年初" in label and "结余" in label) or "使用非财政拨款结余" in label or "用事业基金弥补" in label

    for table in ("01", "04"):
        yield from _grand_total_of(cells, "two_sided.grand_total_income", severity, table, "收入", "本年收入合计", extra)


def check_two_sided_grand_total_expenditure(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Expenditure 总计 = 本年支出合计 + 结余分配 + 年末(财政拨款)结转和结余, per expenditure measure."""

    def extra(label: str) -> bool:
        return ("年末" in label and "结余" in label) or "结余分配" in label

    for table in ("01", "04"):
        yield from _grand_total_of(cells, "two_sided.grand_total_expenditure", severity, table, "支出", "本年支出合计", extra)


def check_two_sided_both_totals_equal(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Income 总计 = expenditure 总计 (first expenditure measure)."""
    for table in ("01", "04"):
        frame = cells[cells["table_code"] == table]
        income, expenditure = _side_measures(frame, "收入"), _side_measures(frame, "支出")
        if not income or not expenditure:
            continue
        income_total = _first(_line(frame[frame["measure"] == income[0]], "总计"))
        expenditure_total = _first(_line(frame[frame["measure"] == expenditure[0]], "总计"))
        if income_total is None or expenditure_total is None:
            continue
        yield _compare(
            "two_sided.both_totals_equal",
            severity,
            table,
            "总计",
            f"{income[0]} = {expenditure[0]}",
            income_total,
            [Decimal(expenditure_total["amount"])],
        )


# --- 07 “三公”经费 --------------------------------------------------------------------------------------


def _stage(measure: str) -> str | None:
    """The 预算数 / 决算数 element of a 07 header path."""
    for token in _tokens(measure):
        if "预算" in token:
            return "预算数"
        if "决算" in token:
            return "决算数"
    return None


def _pick(cells_by_measure: dict[str, pd.Series], match: Callable[[list[str]], bool]) -> pd.Series | None:
    for measure, cell in cells_by_measure.items():
        if match(_tokens(measure)):
            return cell
    return None


def _has(predicate: Callable[[str], bool]) -> Callable[[list[str]], bool]:
    return lambda tokens: any(predicate(t) for t in tokens)


_TOTAL = _has(lambda t: t == "合计")
_SUBTOTAL = _has(lambda t: t == "小计")
_PURCHASE = _has(lambda t: t == "公务用车购置费")
_RUNNING = _has(lambda t: t.startswith("公务用车运行"))
_ABROAD = _has(lambda t: t.startswith("因公出国"))
_RECEPTION = _has(lambda t: t.startswith("公务接待"))


def _three_public_groups(cells: pd.DataFrame) -> Iterator[tuple[str, dict[str, pd.Series]]]:
    frame = cells[cells["table_code"] == "07"]
    for _, row in frame.groupby(["page", "row_index"], sort=True):
        stages: dict[str, dict[str, pd.Series]] = {}
        for _, cell in row.iterrows():
            stage = _stage(str(cell["measure"]))
            if stage is not None:
                stages.setdefault(stage, {}).setdefault(str(cell["measure"]), cell)
        yield from stages.items()


def _present(*cells: pd.Series | None) -> list[Decimal]:
    return [Decimal(c["amount"]) for c in cells if c is not None]


def check_three_public_subtotal(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """07: 小计 = 公务用车购置费 + 公务用车运行(维护)费, for 预算数 and 决算数."""
    for stage, by_measure in _three_public_groups(cells):
        subtotal = _pick(by_measure, _SUBTOTAL)
        if subtotal is None:
            continue
        parts = _present(_pick(by_measure, _PURCHASE), _pick(by_measure, _RUNNING))
        yield _compare("three_public.subtotal", severity, "07", stage, str(subtotal["measure"]), subtotal, parts)


def check_three_public_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """07: 合计 = 因公出国（境）费 + 公务用车购置及运行费小计 + 公务接待费, for 预算数 and 决算数."""
    for stage, by_measure in _three_public_groups(cells):
        total = _pick(by_measure, _TOTAL)
        if total is None:
            continue
        subtotal = _pick(by_measure, _SUBTOTAL)
        cars = _present(subtotal) if subtotal is not None else _present(_pick(by_measure, _PURCHASE), _pick(by_measure, _RUNNING))
        parts = _present(_pick(by_measure, _ABROAD)) + cars + _present(_pick(by_measure, _RECEPTION))
        yield _compare("three_public.total", severity, "07", stage, str(total["measure"]), total, parts)


# --- cross-table equalities -----------------------------------------------------------------------------


def _side_line(cells: pd.DataFrame, table: str, side: str, token: str, column: str | None = None) -> pd.Series | None:
    """A label-identified figure of a two-sided table in the first measure of ``side`` (or the one containing ``column``)."""
    frame = cells[cells["table_code"] == table]
    measures = [m for m in _side_measures(frame, side) if column is None or column in _last(m)]
    if not measures:
        return None
    return _first(_line(frame[frame["measure"] == measures[0]], token))


def _total_row_cell(cells: pd.DataFrame, table: str, match: Callable[[str], bool]) -> pd.Series | None:
    """The cell of the 合计 row of a coded table in the first measure that ``match`` accepts."""
    frame = cells[(cells["table_code"] == table) & (_labels(cells) == "合计")]
    for measure in _measures(frame):
        if match(measure):
            return _first(frame[frame["measure"] == measure])
    return None


def _equal(rule: str, severity: Severity, found: pd.Series | None, expected: pd.Series | None, other: str) -> Iterator[Finding]:
    if found is None or expected is None:
        return
    yield _compare(
        rule, severity, str(found["table_code"]), str(found["line_item"]), f"{found['measure']} vs {other}", found, [Decimal(expected["amount"])]
    )


def check_cross_t01_income_eq_t02(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """01 本年收入合计 = 02 合计 本年收入合计."""
    yield from _equal(
        "cross.t01_income_eq_t02",
        severity,
        _side_line(cells, "01", "收入", "本年收入合计"),
        _total_row_cell(cells, "02", lambda m: _last(m) == "本年收入合计"),
        "02 合计/本年收入合计",
    )


def check_cross_t01_expenditure_eq_t03(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """01 本年支出合计 = 03 合计 本年支出合计."""
    yield from _equal(
        "cross.t01_expenditure_eq_t03",
        severity,
        _side_line(cells, "01", "支出", "本年支出合计"),
        _total_row_cell(cells, "03", lambda m: _last(m) == "本年支出合计"),
        "03 合计/本年支出合计",
    )


def check_cross_t05_eq_t04(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """05 合计 (first measure) = 04 本年支出合计 in the 一般公共预算财政拨款 expenditure column."""
    yield from _equal(
        "cross.t05_eq_t04",
        severity,
        _total_row_cell(cells, "05", lambda m: True),
        _side_line(cells, "04", "支出", "本年支出合计", column="一般公共预算"),
        "04 本年支出合计/一般公共预算财政拨款",
    )


def check_cross_t05_basic_eq_t06(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """05 合计 基本支出 = 06 人员经费合计 + 公用经费合计."""
    basic = _total_row_cell(cells, "05", lambda m: _last(m) == "基本支出")
    if basic is None:
        return
    t06 = cells[cells["table_code"] == "06"]
    t06 = t06[~t06["measure"].astype(str).str.contains("预算数", regex=False)]
    labels = _labels(t06)
    parts = [t06[labels == label].iloc[:1] for label in ("人员经费合计", "公用经费合计")]
    printed = [p for p in parts if not p.empty]
    if not printed:
        return
    yield _compare(
        "cross.t05_basic_eq_t06",
        severity,
        "05",
        "合计",
        f"{basic['measure']} vs 06 人员经费合计 + 公用经费合计",
        basic,
        [a for p in printed for a in _amounts(p)],
    )


# --- 04 carry-over sub-rows ---------------------------------------------------------------------------


def check_carry_over_sub_rows(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """04: 年初(年末)财政拨款结转和结余 = Σ its fund sub-rows (一般公共预算 / 政府性基金 / 国有资本经营), per measure."""
    frame = cells[cells["table_code"] == "04"]
    if frame.empty:
        return
    parents = [None if top else str(p) for p, top in zip(frame["parent_line_item"], _no_parent(frame), strict=True)]
    by_measure: dict[str, list[tuple[str, str | None, Cell]]] = {}
    for cell, label, parent in zip(_records(frame), _labels(frame).tolist(), parents, strict=True):
        by_measure.setdefault(str(cell["measure"]), []).append((label, parent, cell))
    for measure, column in by_measure.items():
        for label, parent, line in column:
            if parent is not None or "结转和结余" not in label:
                continue
            sub_rows = [Decimal(c["amount"]) for _, p, c in column if p == label]
            if sub_rows:
                yield _compare("two_sided.carry_over_sub_rows", severity, "04", label, measure, line, sub_rows)


# --- 06 人员经费 / 公用经费 -----------------------------------------------------------------------------

#: 经济分类 类 that are personnel expenditure wherever they are printed; others follow the column they sit in.
PERSONNEL_CLASSES = ("301", "303")
PERSONNEL_TOTAL, PUBLIC_TOTAL = "人员经费合计", "公用经费合计"


def _economic_sides(t06: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 类 cells of 06 on the personnel side and on the public side.

    The side is the caption above the amount column (Changsha: 人员经费/决算数) when printed, else the
    column group the 类 sits in (Putuo: the column of 人员经费合计), else the code (301/303 → personnel).
    """
    labels = _labels(t06)
    personnel_cols = set(t06.loc[labels == PERSONNEL_TOTAL, "col_index"].astype(int))
    public_cols = set(t06.loc[labels == PUBLIC_TOTAL, "col_index"].astype(int))
    classes = t06[t06["economic_code"].fillna("").astype(str).str.len() == 3]
    personnel: list[bool] = []
    for code, measure, col in zip(classes["economic_code"], classes["measure"], classes["col_index"], strict=True):
        if "人员经费" in str(measure) or "公用经费" in str(measure):
            personnel.append("人员经费" in str(measure))
        elif int(col) in personnel_cols or int(col) in public_cols:
            personnel.append(int(col) in personnel_cols)
        else:
            personnel.append(str(code) in PERSONNEL_CLASSES)
    mask = pd.Series(personnel, index=classes.index, dtype=bool)
    return classes[mask], classes[~mask]


def _t06_final(cells: pd.DataFrame) -> pd.DataFrame:
    """06 cells of the 决算数 columns (a 预算数 column, where printed, is a different figure)."""
    t06 = cells[cells["table_code"] == "06"]
    return t06[~t06["measure"].astype(str).str.contains("预算", regex=False)]


def _economic_total(cells: pd.DataFrame, severity: Severity, rule: str, label: str, personnel: bool) -> Iterator[Finding]:
    t06 = _t06_final(cells)
    total = _first(t06[_labels(t06) == label])
    if total is None:
        return
    side = _economic_sides(t06)[0 if personnel else 1]
    yield _compare(rule, severity, "06", label, str(total["measure"]), total, _amounts(side))


def check_personnel_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """06: 人员经费合计 = 301 + 303 (+ 309/399 where printed on the personnel side)."""
    yield from _economic_total(cells, severity, "economic.personnel_total", PERSONNEL_TOTAL, personnel=True)


def check_public_total(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """06: 公用经费合计 = Σ the other 类 (302, 307, 310, 399 …)."""
    yield from _economic_total(cells, severity, "economic.public_total", PUBLIC_TOTAL, personnel=False)


# --- 类 lines of a coded table = the lines of the two-sided table that names them -----------------------

_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十百]+[、.．]|（[一二三四五六七八九十]+）)")


def _name_key(name: object) -> str:
    """A subject name compared across tables: no ordinal, no whitespace, full-width parentheses."""
    text = re.sub(r"\s+", "", str(name or "")).replace("(", "（").replace(")", "）")
    return _ORDINAL.sub("", text)


def _side_lines(frame: pd.DataFrame, measure: str) -> dict[str, pd.Series]:
    """Top-level lines of one side of a two-sided table above its 本年…合计 row, by name (the 类 lines)."""
    column = frame[(frame["measure"] == measure) & _no_parent(frame)]
    labels = _labels(column)
    totals = column[labels.map(_is_total_label)]
    position = _position(column)
    if not totals.empty:
        column = column[position < _position(totals).min()]
    lines: dict[str, pd.Series] = {}
    for _, line in column.iterrows():
        label = str(line["line_item"] or "")
        if label and not _is_total_label(label):
            lines.setdefault(_name_key(label), line)
    return lines


def _class_lines(frame: pd.DataFrame, measure: str) -> dict[str, pd.Series]:
    """类 rows (3-digit 功能分类 codes) of one measure of a coded table, by name."""
    column = frame[(frame["measure"] == measure) & (frame["functional_code"].fillna("").astype(str).str.len() == 3)]
    return {_name_key(row["functional_name"]): row for _, row in column.iterrows()}


def _classes_vs_lines(
    rule: str, severity: Severity, cells: pd.DataFrame, coded: str, coded_measure: Callable[[str], bool], two_sided: str,
    line_measure: Callable[[str], bool],
) -> Iterator[Finding]:
    """Each 类 of ``coded`` = the line of the same name on the expenditure side of ``two_sided``; absent = 0."""
    frame = cells[cells["table_code"] == coded]
    other = cells[cells["table_code"] == two_sided]
    measures = [m for m in _measures(frame) if coded_measure(m)]
    side = [m for m in _side_measures(other, "支出") if line_measure(m)]
    if not measures or not side:
        return
    classes = _class_lines(frame, measures[0])
    lines = _side_lines(other, side[0])
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
        yield Finding(
            rule=rule,
            severity=severity,
            table_code=two_sided,
            row=row,
            measure=f"{side[0]} vs {coded} {measures[0]}",
            expected=computed,
            found=printed,
            tolerance=TOLERANCE_PER_SUMMAND,
            page=int(anchor["page"]),
        )


def check_cross_t03_classes_eq_t01(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Each 类 of 03 (本年支出合计) = the 01 expenditure line of the same name."""
    yield from _classes_vs_lines(
        "cross.t03_classes_eq_t01_lines", severity, cells, "03", lambda m: _last(m) in ("本年支出合计", "合计"),
        "01", lambda m: True,
    )


def check_cross_t05_classes_eq_t04(cells: pd.DataFrame, severity: Severity) -> Iterator[Finding]:
    """Each 类 of 05 (合计/小计) = the 04 一般公共预算财政拨款 expenditure line of the same name."""
    yield from _classes_vs_lines(
        "cross.t05_classes_eq_t04_lines", severity, cells, "05", lambda m: _last(m) in EXPENDITURE_TOTALS,
        "04", lambda m: "一般公共预算" in m,
    )


RULES: tuple[Rule, ...] = (
    Rule("hierarchy.total_eq_sum_of_classes", "error", check_total_equals_sum_of_classes),
    Rule("hierarchy.parent_eq_sum_of_children", "error", check_parent_equals_sum_of_children),
    Rule("row.expenditure_total", "error", check_row_expenditure_total),
    Rule("row.income_total", "error", check_row_income_total),
    Rule("two_sided.income_total", "error", check_two_sided_income_total),
    Rule("two_sided.grand_total_income", "error", check_two_sided_grand_total_income),
    Rule("two_sided.grand_total_expenditure", "error", check_two_sided_grand_total_expenditure),
    Rule("two_sided.both_totals_equal", "error", check_two_sided_both_totals_equal),
    Rule("two_sided.carry_over_sub_rows", "error", check_carry_over_sub_rows),
    Rule("economic.personnel_total", "error", check_personnel_total),
    Rule("economic.public_total", "error", check_public_total),
    Rule("three_public.subtotal", "error", check_three_public_subtotal),
    Rule("three_public.total", "error", check_three_public_total),
    Rule("cross.t01_income_eq_t02", "error", check_cross_t01_income_eq_t02),
    Rule("cross.t01_expenditure_eq_t03", "error", check_cross_t01_expenditure_eq_t03),
    Rule("cross.t03_classes_eq_t01_lines", "error", check_cross_t03_classes_eq_t01),
    Rule("cross.t05_classes_eq_t04_lines", "error", check_cross_t05_classes_eq_t04),
    Rule("cross.t05_eq_t04", "error", check_cross_t05_eq_t04),
    Rule("cross.t05_basic_eq_t06", "error", check_cross_t05_basic_eq_t06),
)


def rounding_steps(cells: pd.DataFrame) -> dict[str, Decimal]:
    """The rounding step of the printed amounts per unit: 0.01, or coarser when every amount is a multiple of it.

    A step coarser than 0.01 needs at least 20 non-zero amounts in that unit and never exceeds 100 元.
    """
    steps: dict[str, Decimal] = {}
    for unit, group in cells.groupby("unit"):
        amounts = [Decimal(a) for a in group["amount"] if Decimal(a) != 0]
        factor = _UNIT_YUAN.get(str(unit), Decimal(10000))
        step = TOLERANCE_PER_SUMMAND
        if len(amounts) >= _STEP_MIN_AMOUNTS:
            for candidate in _STEPS:
                if candidate * factor <= _STEP_CAP_YUAN and all(a % candidate == 0 for a in amounts):
                    step = candidate
                    break
        steps[str(unit)] = step
    return steps


def evaluate(cells: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Evaluate every rule over a document's stg_cells; return all findings (pass, rounding, fail)."""
    if cells.empty:
        return []
    prepared = prepare(cells)
    findings = [finding for rule in rules for finding in rule.check(prepared, rule.severity)]
    steps = rounding_steps(cells)
    if all(step == TOLERANCE_PER_SUMMAND for step in steps.values()):
        return findings
    unit_of = dict(zip(cells["table_code"], cells["unit"], strict=False))
    scaled = []
    for finding in findings:
        step = steps.get(str(unit_of.get(finding.table_code)), TOLERANCE_PER_SUMMAND)
        if finding.tolerance is not None and step != TOLERANCE_PER_SUMMAND:
            finding = replace(finding, tolerance=finding.tolerance / TOLERANCE_PER_SUMMAND * step)
        scaled.append(finding)
    return scaled
