"""预算 tables printed without a title: known by their header, placed by the document's 目录 (or its family's order).

Some producers print no title over a table (the title lived in a text box the export dropped, or each sheet of a
workbook was printed without its title row). 决算 tables are then known by their header (``extract.identify.
classify_header``); 预算 tables too, but several kinds share one header (Jiangsu's 财政拨款支出预算表,
一般公共预算支出预算表 and 政府性基金支出预算表 all print 功能科目编码 | 功能科目名称 | 金额). So a header gives the
kinds a table can be (``header_kinds``), and ``TableOrder`` picks the one the document's 目录 lists next: tables
follow their 目录, so the first entry after the last table placed whose kind the header allows is the table.

Also here: where a grid's header ends (``header_rows``) and whether a title-less grid starts a table or continues
the one before (``starts_table``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from extract.models import CellGrid
from extract.table_types import squash, table_type

_AMOUNT = re.compile(r"-?[\d,]*\d\.\d{1,2}")
_TOTAL = re.compile(r"^(?:合计|总计|收入总计|支出总计|收入合计|支出合计|本年收入合计|本年支出合计)$")
#: Words a column header prints (a continuation's body labels print none of them).
_HEADER_WORDS = ("金额", "合计", "预算数", "科目", "名称", "项目", "总计", "经费")
_EMPTY = re.compile(r"本表无数据|此表为空|本表为空|为空表|无数据")

#: Every functional (功能分类) kind whose header is just a code, a name and amount columns.
_FUNCTIONAL = (
    "appropriation_expenditure", "general_budget_functional", "government_fund", "carryover", "state_capital",
    "expenditure",
)
_ECONOMIC = ("appropriation_basic_economic", "general_budget_basic_economic", "operating_costs")


def _first_text(row: Sequence[str]) -> str:
    return next((t for t in (squash(c) for c in row) if t), "")


def _is_body(row: Sequence[str]) -> bool:
    """A row of amounts, a subject code, a total or an empty-table note: not a header row."""
    texts = [squash(c) for c in row]
    if any(_AMOUNT.fullmatch(t) for t in texts):
        return True
    first = _first_text(row)
    if first.isdigit() and len(first) in (3, 5, 7):
        return True
    if _EMPTY.search(first):
        return True
    # a total row prints amounts or nothing beside its label (a header's 合计 stands among other headers)
    others = [t for t in texts if t][1:]
    return bool(_TOTAL.match(first)) and all(_AMOUNT.fullmatch(t) for t in others)


def header_rows(grid: CellGrid) -> int:
    """How many rows a grid's header has (0: the grid starts with body rows, a continuation)."""
    for k, row in enumerate(grid.cells):
        if _is_body(row):
            return k
    return len(grid.cells)


def header_text(grid: CellGrid) -> str:
    """A grid's header text, whitespace and quotes removed (a merged cell's text once)."""
    parts: list[str] = []
    for row in grid.cells[: header_rows(grid)]:
        for cell in row:
            text = squash(cell)
            if text and (not parts or parts[-1] != text):
                parts.append(text)
    return "".join(parts)


def header_kinds(grid: CellGrid) -> tuple[str, ...]:
    """The kinds of 预算 table (``table_type`` keys) a grid's header allows, most specific first; () when none."""
    head = header_text(grid)
    nhead = header_rows(grid)
    first = _first_text(grid.cells[nhead]) if nhead < len(grid.cells) else ""
    if not head:
        return ()
    if "三公" in head or "因公出国" in head or "公务接待" in head:
        return ("three_public",)
    if "采购" in head:
        return ("procurement",)
    if "机关运行经费" in head:
        return ("operating_costs",)
    if "人员经费" in head or "公用经费" in head or "经济分类" in head:
        return ("general_budget_basic_economic", "appropriation_basic_economic")
    if "收入" in head and "支出" in head and "项目" in head:  # two sides: 收入 | 支出
        if "财政拨款收入" in head or ("支出用途" in head and "功能分类" not in head):
            return ("appropriation_summary",)
        return ("income_expenditure_summary",)
    if "收入预算" in head or "财政拨款收入" in head or "事业收入" in head or ("项目" in head and "收入" in first):
        return ("income",)
    for words, kind in (("一般公共预算", "general_budget_functional"), ("政府性基金", "government_fund"), ("国有资本", "state_capital")):
        if words in head:
            return (kind,)
    if "支出预算" in head:
        return ("expenditure",)
    if "科目" in head and "功能" in head:
        return _FUNCTIONAL
    if "科目" in head:
        return _ECONOMIC
    if "基本支出" in head and "项目支出" in head:
        return ("expenditure",)
    return ()


def _body(grid: CellGrid) -> list[tuple[str, ...]]:
    """A grid's printed body rows (its header and blank rows left out)."""
    return [row for row in grid.cells[header_rows(grid) :] if any(squash(c) for c in row)]


def _closed(grids: Sequence[CellGrid]) -> bool:
    """Whether a table has printed its closing total: a total last, where it did not open with one.

    Shanghai prints 合计 last; Jiangsu prints it first, and its continuations have none.
    """
    rows = [row for grid in grids for row in _body(grid)]
    if not rows or _TOTAL.match(_first_text(rows[0])):
        return False
    return bool(_TOTAL.match(_first_text(rows[-1])))


def starts_table(grid: CellGrid, before: Sequence[CellGrid]) -> bool:
    """Whether a grid printed under no title starts a table rather than continuing the one whose grids are ``before``.

    A continuation prints no header, or repeats its table's header over rows that go on: its table has not
    printed its closing total yet and the grid does not open with one.
    """
    nhead = header_rows(grid)
    if nhead == 0 or nhead == len(grid.cells) or not header_kinds(grid):
        return False  # no header, or no body under it: rows of a table that go on
    if not any(word in header_text(grid) for word in _HEADER_WORDS):
        return False  # labels of a continuation whose amounts are blank, not a header
    if not before:
        return True
    if header_text(grid) != header_text(before[0]):
        return True
    body = _body(grid)
    opens = bool(body) and bool(_TOTAL.match(_first_text(body[0])))
    if opens and not _opens_with_total(before):
        # a table that prints its total last, continued on a page that repeats its header over that total alone
        return _closed(before) or len(body) > 1
    return _closed(before) or opens


def _opens_with_total(grids: Sequence[CellGrid]) -> bool:
    """Whether a table printed its total first (Jiangsu): a grid opening with a total then starts another."""
    rows = [row for grid in grids for row in _body(grid)]
    return bool(rows) and bool(_TOTAL.match(_first_text(rows[0])))


@dataclass
class TableOrder:
    """The tables a document lists (its 目录, else its family's), taken in order as they are found."""

    listed: Sequence[str]
    used: set[int] = field(default_factory=set)
    last: int = -1

    def take(self, title: str) -> None:
        """A table found by its title: its 目录 entry (the first unused one of that title, else of its kind) is used."""
        kind = table_type(title)
        for match in (lambda t: t == title, lambda t: kind is not None and table_type(t) == kind):
            index = next((i for i, t in enumerate(self.listed) if i not in self.used and match(t)), None)
            if index is not None:
                self.used.add(index)
                self.last = index
                return

    def pick(self, kinds: Sequence[str]) -> str | None:
        """The listed title of a table whose header allows ``kinds``, or None when the list holds none.

        The next unused entry of such a kind after the last table placed, else the first unused one anywhere.
        """
        allowed = [i for i, t in enumerate(self.listed) if i not in self.used and (k := table_type(t)) and k.key in kinds]
        if not allowed:
            return None
        index = next((i for i in allowed if i > self.last), allowed[0])
        self.used.add(index)
        self.last = index
        return self.listed[index]
