"""Kinds of table (``table_type``), shared by 预算 and 决算 of every family, and titles without their prefixes.

Pure (the standard library only): ``transform`` and ``expectations`` use it as ``extract`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
_QUOTES = re.compile(r"[“”\"'‘’「」『』]")


def squash(text: str) -> str:
    """Remove all whitespace and quote marks (titles are often split or garbled by the producer)."""
    return _QUOTES.sub("", _SPACE.sub("", text))


@dataclass(frozen=True)
class TableType:
    """A kind of table, the same in 预算 and 决算 of every family: key, label, how its rows are coded."""

    key: str
    label: str
    classification: str | None  # "functional", "economic" or None (line items)


#: The kinds of table, in the order their keywords are tried (the first that a title holds wins).
TABLE_TYPES: tuple[tuple[tuple[str, ...], TableType], ...] = (
    (("三公",), TableType("three_public", "“三公”经费", None)),
    (("培训费",), TableType("training", "培训费", None)),
    (("机关运行经费",), TableType("operating_costs", "机关运行经费", "economic")),
    (("政府采购",), TableType("procurement", "政府采购", None)),
    (("结转和结余", "结转结余"), TableType("carryover", "动用上年结转和结余资金", "functional")),
    (("项目支出",), TableType("projects", "项目支出", None)),
    (("政府性基金",), TableType("government_fund", "政府性基金预算支出", "functional")),
    (("国有资本经营",), TableType("state_capital", "国有资本经营预算支出", "functional")),
    (("一般公共预算财政拨款基本支出",), TableType("general_budget_basic_economic", "一般公共预算基本支出（经济分类）", "economic")),
    (("财政拨款基本支出",), TableType("appropriation_basic_economic", "财政拨款基本支出", "economic")),
    (("基本支出",), TableType("general_budget_basic_economic", "一般公共预算基本支出（经济分类）", "economic")),
    (("财政拨款收支", "财政拨款收入支出"), TableType("appropriation_summary", "财政拨款收支总表", None)),
    (("一般公共预算",), TableType("general_budget_functional", "一般公共预算支出（功能分类）", "functional")),
    (("财政拨款支出",), TableType("appropriation_expenditure", "财政拨款支出（功能分类）", "functional")),
    (("收支", "收入支出"), TableType("income_expenditure_summary", "收支总表", None)),
    (("收入",), TableType("income", "收入", "functional")),
    (("支出",), TableType("expenditure", "支出", "functional")),
)

#: The ``table_type`` of each standard 决算 table.
FINAL_TABLE_TYPES: dict[str, str] = {
    "01": "income_expenditure_summary",
    "02": "income",
    "03": "expenditure",
    "04": "appropriation_summary",
    "05": "general_budget_functional",
    "06": "general_budget_basic_economic",
    "07": "three_public",
    "08": "government_fund",
    "09": "state_capital",
}


def table_kind(key: str) -> TableType | None:
    """The kind of table a ``table_type`` key names, or None for an unknown key."""
    return next((kind for _, kind in TABLE_TYPES if kind.key == key), None)


def table_type(title: str) -> TableType | None:
    """The kind of table a printed title names (any family, 预算 or 决算), or None."""
    t = squash(title)
    for keywords, kind in TABLE_TYPES:
        if any(k in t for k in keywords):
            return kind
    return None


#: Where a title proper starts, after its ordinal, year and department: the first of these words.
_HEADS = (
    "部门", "预算单位", "单位", "财务收支", "收支", "收入", "支出", "财政拨款", "一般公共预算", "政府性基金", "国有资本",
    "三公", "政府采购", "机关运行", "培训费", "项目支出", "动用", "上年结转", "基本支出",
)
#: A year prefix needs its digits: "上年" in "动用上年结转和结余资金…" is part of the title proper.
_YEAR_PREFIX = re.compile(r"^.*?(?:19|20)\d{2}年度?")


def clean_title(title: str) -> str:
    """A printed title without its ordinal, year and department or unit prefix ("2025年部门财务收支预算总表" → "财务收支预算总表")."""
    t = squash(title)
    if _YEAR_PREFIX.match(t[:30]):
        t = _YEAR_PREFIX.sub("", t, count=1) or t
    starts = [t.find(head) for head in _HEADS if head in t]
    if starts:
        t = t[min(starts) :]
    for prefix in ("预算单位", "部门", "单位"):
        if t.startswith(prefix) and table_type(t[len(prefix) :]) is not None:
            t = t[len(prefix) :]
            break
    return t
