"""What a subject code and a column header mean: a 功能/经济分类 code's level and parent, a measure's stage and fund.

Pure rules on printed text (no database): the loader fills ``dim_functional_subject``,
``dim_economic_subject`` and ``dim_measure`` with them, and migrations 0002 and 0009 backfill with the same.
"""

from __future__ import annotations

from warehouse.vocabulary import ECONOMIC_LEVELS, FUNCTIONAL_LEVELS


def functional_level(code: str) -> str:
    """Return the 功能分类 level ('类' / '款' / '项') of a 3/5/7-digit code, or raise ValueError."""
    try:
        return FUNCTIONAL_LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"functional code {code!r} is not 3, 5 or 7 digits long") from None


def economic_level(code: str) -> str:
    """Return the 经济分类 level ('类' / '款') of a 3/5-digit code, or raise ValueError."""
    try:
        return ECONOMIC_LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"economic code {code!r} is not 3 or 5 digits long") from None


def parent_code(code: str) -> str | None:
    """Return the code of the parent subject (first 3 or 5 digits), or None for a 类 code."""
    return code[: len(code) - 2] if len(code) > 3 else None


_STAGE_MARKERS: tuple[tuple[str, str], ...] = (("预算数", "预算数"), ("决算数", "决算数"))
#: How a 预算 names its columns' stage, tried in this order within a segment ("比上年预算增减" is a
#: change, "上年预算数" last year's budget, "本年预算数" or "2025年“三公”经费预算数" this year's).
_BUDGET_STAGE_MARKERS: tuple[tuple[str, str], ...] = (
    ("增减", "增减"),
    ("上年预算", "上年预算数"),
    ("上年执行", "上年执行数"),
    ("上年决算", "上年执行数"),
    ("本年预算", "预算数"),
    ("预算数", "预算数"),
)
_FUND_MARKERS: tuple[tuple[str, str], ...] = (
    ("一般公共预算", "一般公共预算"),
    ("政府性基金", "政府性基金"),
    ("国有资本经营", "国有资本经营"),
)
#: Tables whose title names one fund (05–07: 一般公共预算财政拨款…, 08: 政府性基金…, 09: 国有资本经营…).
_TABLE_FUND: dict[str, str] = {
    "05": "一般公共预算",
    "06": "一般公共预算",
    "07": "一般公共预算",
    "08": "政府性基金",
    "09": "国有资本经营",
}
#: 预算 tables whose kind names one fund (``extract.table_types`` keys); the 三公 table's title does not.
_TYPE_FUND: dict[str, str] = {
    "general_budget_functional": "一般公共预算",
    "general_budget_basic_economic": "一般公共预算",
    "government_fund": "政府性基金",
    "state_capital": "国有资本经营",
}


def measure_stage(table_code: str, header_path: str, phase: str | None = None) -> str | None:
    """Return the stage of a column: what its amounts are (one of ``STAGES``), or None.

    A 决算 (``phase`` '决算' or None): '预算数' / '决算数' when a segment of the header path says so
    (innermost first), else None; ``table_code`` is not used.

    A 预算 (``phase`` '预算'): from the header alone, innermost segment first: 增减 → '增减',
    上年预算… → '上年预算数', 上年执行… / 上年决算… → '上年执行数', 本年预算… / …预算数 → '预算数'; a
    column that names no stage is the document's own figure, '预算数' (a 预算 prints this year's budget
    unless a column says otherwise). The table's number means nothing here.
    """
    segments = list(reversed(header_path.split("/")))
    if phase == "预算":
        for segment in segments:
            for marker, stage in _BUDGET_STAGE_MARKERS:
                if marker in segment:
                    return stage
        return "预算数"
    for segment in segments:
        for marker, stage in _STAGE_MARKERS:
            if marker in segment:
                return stage
    return None


def measure_fund_type(
    table_code: str, header_path: str, phase: str | None = None, table_type: str | None = None
) -> str | None:
    """Return the fund the column (innermost segment first) or else the table names, or None.

    A 决算: 04 prints one column per fund (支出/一般公共预算财政拨款 …); 05–09 are one fund each by
    title (the standard codes). A 预算: the table's kind (``table_type``) when it is one fund's
    (general-budget functional and economic tables, 政府性基金, 国有资本经营), never its number.
    """
    for segment in reversed(header_path.split("/")):
        for marker, fund in _FUND_MARKERS:
            if marker in segment:
                return fund
    if phase == "预算":
        return _TYPE_FUND.get(table_type or "")
    return _TABLE_FUND.get(table_code)
