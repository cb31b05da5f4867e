"""The tables of a 预算 (budget) disclosure: found by their printed titles, numbered as the document numbers them.

决算 table sets are standard (公开01表 … 公开09表, ``extract.identify``). 预算 sets are not: Shanghai prints
nine tables titled "2025年部门财务收支预算总表" … without numbers, Jiangsu twelve or thirteen, "公开03表：
支出预算总表" or "表一" over "收支预算总表", several to a page, the set changing by year. So here:

- every line of a ruled page that reads like a 预算 table title is a table start (a number printed before it,
  on its line or the line above, in Arabic or Chinese numerals, is kept);
- each grid belongs to the last title printed above it on its page; grids above a page's first title
  continue the table of the page before;
- ``table_code`` is the number the document prints for the table, else its position in the document's
  目录 (table of contents), else its position in the document, two digits;
- ``table_type`` is a stable key per kind of table, shared with the 决算 tables (``TABLE_TYPES``), so one
  query compares the general-budget functional table of a Shanghai 预算, a Jiangsu 预算 and a 决算;
- the unit is the one printed between a table's title and its grid (pages differ: 元 on most, 万元 on 三公).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from extract.budget_headers import TableOrder, header_kinds, header_text, starts_table
from extract.cells import text_lines
from extract.models import CellGrid, RawTable
from extract.pdf import PageInfo
from extract.table_types import (
    FINAL_TABLE_TYPES,
    TABLE_TYPES,
    TableType,
    clean_title,
    squash,
    table_kind,
    table_type,
)

__all__ = [
    "FINAL_TABLE_TYPES", "TABLE_TYPES", "TableType", "TitleLine", "clean_title", "contents_order",
    "FAMILY_TABLES", "budget_family", "identify_budget_tables", "parse_number", "required_tables", "table_type",
    "title_lines",
]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
#: A number printed for a table: 公开05表, 预算公开表5, 表5, 表十一, 附表3 (before or after the title).
#: A number printed right before the year ("表1 2020年…", whitespace squashed: "表12020年") ends where the year starts.
_NUMBER_END = r"(?=(?:19|20)\d{2}年|\D|$)"
_MARKER = re.compile(
    rf"(?:(?:预算)?公开|附)?(?:表\s*(?P<a>\d{{1,2}}{_NUMBER_END}|[一二三四五六七八九十]{{1,3}})|(?P<b>{_NUMBER})\s*表)"
    r"(?![\u4e00-\u9fff]{2})"
)
#: A budget table title: what ends in 预算表 / 预算总表 (or 预算 then 表 on the next line), without its
#: year, department and ordinal prefixes.
_TITLE = re.compile(r"[\u4e00-\u9fff（）()、]{2,48}?预算(?:总表|表)")
#: What may follow a title on its line: nothing, 续, or the number printed for the table.
_AFTER_TITLE = re.compile(
    r"(?:[（(][\u4e00-\u9fff、]{1,10}[）)])?"  # a qualifier: （功能科目）
    r"(?:[（(]?续(?:表)?[）)]?|[（(]?(?:(?:预算)?公开|附)?(?:表\s*\d{1,2}|\d{1,2}\s*表|表[一二三四五六七八九十]{1,3})[）)]?)?"
)
_UNIT = re.compile(r"(?:金额)?单位\s*[:：]\s*(亿元|万元|千元|元)")
_EMPTY_NOTE = re.compile(r"本表无数据|此表为空|本表为空|为空表|无数据")
_AMOUNT = re.compile(r"-?[\d,]*\d\.\d{1,2}")
_CONTENTS = re.compile(r"^目\s*录")


def parse_number(text: str) -> int | None:
    """1–99 from Arabic digits or Chinese numerals (五, 十一, 二十三), else None."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return value or None


@dataclass(frozen=True)
class TitleLine:
    """A table title printed on a page: where, what, and the number printed with it."""

    page: int
    top: float
    bottom: float
    title: str  # cleaned (``clean_title``)
    number: int | None


def _marker_number(text: str) -> int | None:
    """The table number a marker in ``text`` prints (公开05表, 表十一), else None."""
    match = _MARKER.search(text)
    return parse_number(match.group("a") or match.group("b")) if match else None


_FRAGMENT = re.compile(r"[\u4e00-\u9fff（）()、“”\d]{2,40}")


def _title_fragment(text: str, height: float, title_height: float, gap: float) -> bool:
    """Whether a line is the first part of a title broken mid-title ("…一般公共预算" over "基本支出预算表").

    Printed in the title's own size right above it: no punctuation, no 部门/单位 line, no amount.
    """
    return (
        bool(_FRAGMENT.fullmatch(text))
        and sum("\u4e00" <= ch <= "\u9fff" for ch in text) >= 2
        and abs(height - title_height) <= 0.12 * title_height
        and 0 <= gap < 0.9 * title_height
    )


def title_lines(page: PageInfo) -> list[TitleLine]:
    """The 预算 table titles printed on a page, top to bottom (a title wrapped over two lines is joined)."""
    lines = text_lines(page.chars) if page.chars else []
    if any(_CONTENTS.match(squash(text)) for _, _, text in lines[:3]):
        return []  # the 目录 lists the tables; it is not one (``contents_order`` reads it)
    found: list[TitleLine] = []
    skip_next = False
    for index, (top, bottom, raw) in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        text = squash(raw)
        if "…" in text or "..." in text or re.search(r"[.·…]{3,}\d*$", text):
            continue  # a 目录 entry, not a table
        following = squash(lines[index + 1][2]) if index + 1 < len(lines) else ""
        if 0 < len(following) <= 4 and re.search(r"预算(?:总表|表)$", text + following) and not _TITLE.search(text):
            text += following  # the title wrapped before its last characters ("…支出预" / "算表")
            skip_next = True
        first = index  # the title's first line
        if index > 0:
            above_top, above_bottom, above_raw = lines[index - 1]
            above, height, gap = squash(above_raw), bottom - top, top - above_bottom
            if not _TITLE.search(above) and (
                (_MARKER.search(above) and gap < 1.5 * height)  # the title wrapped after its marker's line
                or _title_fragment(above, above_bottom - above_top, height, gap)  # … or in its middle
            ):
                text, top, first = above + text, above_top, index - 1
        match = _TITLE.search(text)
        if match is None or not _AFTER_TITLE.fullmatch(text[match.end() :]):
            continue  # a sentence of the narrative that names a table ("收支预算总表情况说明")
        title = clean_title(match.group(0))
        if table_type(title) is None:
            continue
        number = _marker_number(text[: match.start()]) or _marker_number(text[match.end() :])
        if number is None and first > 0:
            above = squash(lines[first - 1][2])
            if _MARKER.fullmatch(above):
                number = _marker_number(above)
        found.append(TitleLine(page.number, top, bottom, title, number))
    return found


def _contents_entry(lines: list[str], index: int) -> str | None:
    """The table title a 目录 line lists (cleaned; joined with a last 表 wrapped onto the next line), else None."""
    entry = re.sub(r"[.·…]+\d*$", "", lines[index])
    nxt = re.sub(r"[.·…]+\d*$", "", lines[index + 1]) if index + 1 < len(lines) else ""
    if entry.endswith("预算") and nxt in ("表", "总表"):
        entry += nxt
    match = _TITLE.search(entry)
    return clean_title(match.group(0)) if match and table_type(match.group(0)) is not None else None


def contents_order(pages: Sequence[PageInfo]) -> list[str]:
    """The 预算 table titles a document's 目录 lists, in its order (cleaned; empty without a 目录).

    The 目录 ends where the first table begins (a title it already listed, a unit line, an amount), on its
    page or, when it runs to the bottom of its page, on the next one (a flowing layout).
    """
    texts = [[squash(t) for _, _, t in (text_lines(page.chars) if page.chars else [])] for page in pages[:7]]
    for number, lines in enumerate(texts[:6]):
        if not any(_CONTENTS.match(line) for line in lines[:3]):
            continue
        titles: list[str] = []
        for page_lines in (lines, texts[number + 1] if number + 1 < len(texts) else []):
            if page_lines is not lines and not (lines and _contents_entry(lines, len(lines) - 1)):
                break  # the 目录 ended on its own page
            for index, line in enumerate(page_lines):
                title = _contents_entry(page_lines, index)
                if title in titles or (titles and (_UNIT.search(line) or re.search(r"\d\.\d{2}(?!\d)", line))):
                    return titles  # the first table begins
                if title:
                    titles.append(title)
        return titles
    return []


@dataclass
class _Build:
    start: TitleLine
    pages: list[int] = field(default_factory=list)
    grids: list[CellGrid] = field(default_factory=list)
    unit: str | None = None
    empty_note: str | None = None
    kinds: tuple[str, ...] = ()  # a table printed without a title: the kinds its header allows


def _unit_between(page: PageInfo, top: float, bottom: float | None) -> str | None:
    """The unit printed on a page between ``top`` and ``bottom`` (the title and its grid), if any."""
    for line_top, _, text in text_lines(page.chars) if page.chars else []:
        if line_top >= top - 1 and (bottom is None or line_top < bottom):
            match = _UNIT.search(squash(text))
            if match:
                return match.group(1)
    return None


def _lines_between(page: PageInfo, top: float, bottom: float | None) -> list[str]:
    """The printed lines of a page from ``top`` down to ``bottom`` (whitespace removed)."""
    return [
        squash(text) for line_top, _, text in (text_lines(page.chars) if page.chars else [])
        if line_top >= top - 1 and (bottom is None or line_top < bottom)
    ]


def _empty_note(page: PageInfo, title: TitleLine, following: TitleLine | None) -> str | None:
    """The note an empty table prints under its title ("本表无数据", "此表为空"), before the page's next title."""
    for line in _lines_between(page, title.bottom + 0.5, following.top if following else None)[:6]:
        if _EMPTY_NOTE.search(line):
            return line
    return None


def _untitled_start(page: PageInfo, grid: CellGrid, above: float, kinds: tuple[str, ...]) -> _Build:
    """A table printed without a title: starts at its grid, numbered by a marker printed above it (公开05表)."""
    top = grid.top
    number = next((_marker_number(line) for line in _lines_between(page, above, top) if _MARKER.fullmatch(line)), None)
    return _Build(TitleLine(page.number, above, top, "", number), pages=[page.number], kinds=kinds)


def _family_order(grids: Sequence[CellGrid]) -> tuple[str, ...]:
    """The tables of the family whose headers a document prints (Shanghai: 功能分类科目 / 本年收入), for a document without a 目录."""
    heads = [header_text(grid) for grid in grids[:40]]
    shanghai = any("功能分类科目" in head or "本年收入" in head or "经济分类科目" in head for head in heads)
    return FAMILY_TABLES["shanghai" if shanghai else "jiangsu"]


def identify_budget_tables(pages: Sequence[PageInfo], grids: Sequence[CellGrid]) -> list[RawTable]:
    """The 预算 tables of a document, in document order, each with its code, title, type, pages, grids and unit.

    A grid under no title on its page continues the table before it, unless it starts a table of its own
    (``extract.budget_headers.starts_table``: a header of a known kind that is not its predecessor's repeated);
    such a table is the one the document's 目录 (else its family's table set) lists next among the kinds its
    header allows. An empty table printed with too few rulings to count as ruled is found by its title and
    the note under it ("本表无数据").

    Parameters
    ----------
    pages
        Every page (``extract.pdf.read_pages``).
    grids
        Their ruled grids (``extract.grids.read_grids``).

    Returns
    -------
    list of RawTable
        ``table_code`` as the module docstring says; ``table_type`` from ``TABLE_TYPES``.

    """
    by_page: dict[int, list[CellGrid]] = {}
    for grid in grids:
        by_page.setdefault(grid.page, []).append(grid)
    builds: list[_Build] = []
    current: _Build | None = None
    for page in pages:
        page_grids = sorted(by_page.get(page.number, []), key=lambda grid: grid.top)
        titles = _page_titles(page, page_grids)
        if not titles and not page_grids:
            if not page.is_ruled:
                current = None  # narrative between tables ends the chain
            continue
        previous = current  # the table the page's first grid continues, if it starts above every title
        for title in titles:
            if current is not None and title.title == current.start.title and current.pages[-1] == page.number - 1:
                continue  # the title printed again over its continuation ("…预算表（续）")
            current = _Build(title, pages=[page.number])
            builds.append(current)
        titles = [t for t in titles if any(b.start is t for b in builds)]
        last_untitled = _assign_grids(page, page_grids, titles, builds, previous)
        if last_untitled is not None and not titles:
            current = last_untitled
        _read_heads(page, [b for b in builds if b.start.page == page.number])
    builds.sort(key=lambda b: (b.start.page, b.start.top))
    # a title printed at a page's foot whose table starts on the next page (under its title printed again)
    builds = [
        b for i, b in enumerate(builds)
        if b.grids or b.empty_note or not b.start.title
        or not any(later.start.title == b.start.title and later.grids for later in builds[i + 1 :])
    ]
    order = contents_order(pages)
    _name_untitled(builds, order or _family_order(grids))
    return _raw_tables(builds, order)


def _page_titles(page: PageInfo, page_grids: Sequence[CellGrid]) -> list[TitleLine]:
    """The table titles of a page; on a page without grids, only those of an empty table (its note under it)."""
    if page_grids or page.is_ruled:
        return title_lines(page)
    # an empty table whose few rulings do not make a ruled page: its title and "本表无数据"
    found = title_lines(page)
    return [t for k, t in enumerate(found) if _empty_note(page, t, found[k + 1] if k + 1 < len(found) else None)]


def _assign_grids(
    page: PageInfo, page_grids: Sequence[CellGrid], titles: Sequence[TitleLine], builds: list[_Build], previous: _Build | None
) -> _Build | None:
    """Give each grid of a page its table; return the last title-less table started (appended to ``builds``).

    A grid's table is the last title above it, else the table before it (continued), else a title-less table
    its header starts.
    """
    chain, above_bottom, started = previous, 0.0, None
    for grid in page_grids:
        top = grid.top
        above = [b for b in builds if b.start.page == page.number and b.start.top < top and b.start.title]
        owner: _Build | None
        if above:
            owner = above[-1]
        elif titles and top >= titles[0].top:
            owner = None
        elif chain is not None and not chain.grids:
            owner = chain  # its title was printed at the foot of the page before
        elif starts_table(grid, chain.grids if chain is not None else ()):
            owner = started = chain = _untitled_start(page, grid, above_bottom, header_kinds(grid))
            builds.append(owner)
        else:
            owner = chain
        above_bottom = grid.bottom
        if owner is None:
            continue
        if page.number not in owner.pages:
            owner.pages.append(page.number)
        owner.grids.append(grid)
    return started


def _read_heads(page: PageInfo, on_page: Sequence[_Build]) -> None:
    """The unit printed between each table's title and its grid, and an empty table's note."""
    on_page = sorted(on_page, key=lambda b: b.start.top)
    for k, build in enumerate(on_page):
        first = [g for g in build.grids if g.page == page.number]
        build.unit = _unit_between(page, build.start.top, first[0].top if first else None)
        if build.start.title and not any(_is_amount_grid(g) for g in build.grids):
            following = next((b.start for b in on_page[k + 1 :] if b.start.title), None)
            build.empty_note = _empty_note(page, build.start, following)


def _name_untitled(builds: Sequence[_Build], listed: Sequence[str]) -> None:
    """Title each title-less table: tables follow their 目录, so it is the next listed table of its header's kinds."""
    listing = TableOrder(listed)
    for build in builds:
        if build.start.title:
            listing.take(build.start.title)
            continue
        kind = table_kind(build.kinds[0]) if build.kinds else None
        title = listing.pick(build.kinds) or (kind.label if kind else "")
        build.start = replace(build.start, title=title)


def _raw_tables(builds: Sequence[_Build], order: Sequence[str]) -> list[RawTable]:
    """The tables, numbered as printed, else by their 目录 place, else by their place in the document."""
    units = [b.unit for b in builds if b.unit]
    tables: list[RawTable] = []
    used: set[str] = set()
    for position, build in enumerate(builds, 1):
        number = build.start.number
        if number is None and build.start.title in order:
            number = list(order).index(build.start.title) + 1
        code = f"{number or position:02d}"
        if code in used:  # two tables claim one number: the later takes the first free one from its place on
            code = next(f"{n:02d}" for n in range(position, 100) if f"{n:02d}" not in used)
        used.add(code)
        kind = table_type(build.start.title)
        tables.append(
            RawTable(
                table_code=code,
                title=build.start.title,
                pages=tuple(build.pages),
                grids=tuple(build.grids),
                unit=build.unit or (units[0] if units else None),
                empty_note=build.empty_note,
                table_type=kind.key if kind else None,
            )
        )
    return tables


def _is_amount_grid(grid: CellGrid) -> bool:
    """Whether a grid prints any amount."""
    return any(_AMOUNT.fullmatch(squash(c)) for row in grid.cells for c in row)


#: The tables every 预算 of a family carries, for a document that prints no 目录 of its own (a Jiangsu
#: ``*_tables.pdf``, whose 目录 is in its narrative companion). Matched by kind, in any order.
FAMILY_TABLES: dict[str, tuple[str, ...]] = {
    "shanghai": (
        "财务收支预算总表", "收入预算总表", "支出预算总表", "财政拨款收支预算总表", "一般公共预算支出功能分类预算表",
        "政府性基金预算支出功能分类预算表", "国有资本经营预算支出功能分类预算表", "一般公共预算基本支出部门预算经济分类预算表",
        "三公经费和机关运行经费预算表",
    ),
    "jiangsu": (
        "收支预算总表", "收入预算总表", "支出预算总表", "财政拨款收支预算总表", "财政拨款支出预算表", "财政拨款基本支出预算表",
        "一般公共预算支出预算表", "一般公共预算基本支出预算表", "三公经费、会议费、培训费支出预算表", "政府性基金支出预算表",
        "一般公共预算机关运行经费支出预算表", "政府采购预算表",
    ),
}


def budget_family(tables: Sequence[RawTable]) -> str | None:
    """Which family a 预算 table set belongs to, by the tables only that family prints; None when unknown."""
    titles = {t.title for t in tables}
    kinds = {t.table_type for t in tables}
    if "财务收支预算总表" in titles or any("功能分类预算表" in title for title in titles):
        return "shanghai"
    if "appropriation_expenditure" in kinds or "operating_costs" in kinds:
        return "jiangsu"
    return None


def required_tables(pages: Sequence[PageInfo], tables: Sequence[RawTable]) -> tuple[str, ...]:
    """The tables a 预算 must carry: those its 目录 lists, else those every 预算 of its family carries."""
    listed = contents_order(pages)
    if listed:
        return tuple(listed)
    family = budget_family(tables)
    return FAMILY_TABLES[family] if family else ()
