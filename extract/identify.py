"""Identify the nine standard tables on their pages and read what the document says about itself."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from extract.cells import text_lines
from extract.models import CellGrid, DocumentFacts, ExtractionIssue, Phase, RawTable
from extract.pdf import PageInfo
from extract.table_types import squash

#: A title candidate: up to 40 CJK-ish characters ending in 决算/预算 + 表/总表.
_TITLE = re.compile(r"[\u4e00-\u9fff（）()、]{2,40}?(?:决算|预算)(?:总表|表)")
_MARKER = re.compile(r"(?:公开|预算公开|决算公开)?\s*0?(\d{1,2})\s*表|表\s*(\d{1,2})(?!\d)")
_UNIT = re.compile(r"(?:金额)?单位\s*[:：]\s*(亿元|万元|千元|元)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度")
_YEAR_ANY = re.compile(r"((?:19|20)\d{2})\s*年")
_DEPARTMENT = re.compile(
    r"(?:部门|编制单位|编制部门|填报单位|单位名称|预算单位)\s*[:：]\s*([^\s:：]{2,60}?)(?=\s|(?:19|20)\d{2}|金额|单位|$)"
)
_COVER = re.compile(
    r"([\u4e00-\u9fffA-Za-z（）()·]{2,60}?)((?:19|20)\d{2})年度?(?:部门|单位)?(决算|预算)"
)
_EMPTY_NOTE = re.compile(r"[^。\n]*(?:本表为空表|本表无数据|本表数据为空|无数据|为空表|空表)[^。\n]*")
_LEADING_PART = re.compile(r"^(?:第[一二三四五六七八九十]+部分|目录)")

_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）)")
HEAD_CHARS = 160  # how much of a page's text (whitespace removed) can hold its title


def classify_title(title: str) -> str | None:
    """Map a printed title (any producer's spelling) to its standard table code, or None."""
    t = squash(title)
    if not re.search(r"(决算|预算)(总表|表)$", t):
        return None
    rules: tuple[tuple[str, str], ...] = (
        ("三公", "07"),
        ("基本支出", "06"),
        ("政府性基金", "08"),
        ("国有资本经营", "09"),
        ("财政拨款收入支出", "04"),
        ("收入支出", "01"),
        ("一般公共预算", "05"),
        ("收入", "02"),
        ("支出", "03"),
    )
    for keyword, code in rules:
        if keyword in t:
            return code
    return None


def classify_header(grid: CellGrid) -> str | None:
    """Guess a table code from a grid's header text alone (used when no title is printed)."""
    head = squash("".join("".join(r) for r in grid.cells[:5]))
    if "人员经费" in head or "公用经费" in head or "经济分类" in head:
        return "06"
    if "公务接待费" in head or "因公出国" in head:
        return "07"
    if "年初结转和结余" in head and "本年收入" in head and "本年支出" in head:
        return "08"
    if "收入" in head and "支出" in head and ("行次" in head or head.count("项目") >= 2):
        return "04" if "政府性基金预算财政拨款" in head and "上级补助收入" not in head else "01"
    if "本年收入合计" in head:
        return "02"
    if "上缴上级支出" in head or "本年支出合计" in head:
        return "03"
    return None


@dataclass
class _TableBuild:
    code: str
    title: str
    pages: list[int] = field(default_factory=list)
    grids: list[CellGrid] = field(default_factory=list)
    unit: str | None = None
    empty_note: str | None = None


def find_titles(page: PageInfo) -> list[tuple[str, str]]:
    """Return (table code, printed title) for each standard table title printed at the top of a page."""
    text = squash(page.text)
    found: list[tuple[str, str]] = []
    for match in _TITLE.finditer(text):
        title = _ORDINAL.sub("", _LEADING_PART.sub("", match.group(0)))
        if title.startswith("表") and text[max(match.start() - 1, 0)].isdigit():
            title = title[1:]  # the end of a marker printed before the title: 公开01表收入支出决算总表
        code = classify_title(title)
        if code is None:
            continue
        # only titles near the top of the page, or a second title right after another table's note
        if match.start() > HEAD_CHARS and not found and not re.search(r"注[:：]|说明[:：]", text[: match.start()]):
            continue
        found.append((code, title))
    if not found:
        for match in _MARKER.finditer(text[:HEAD_CHARS]):
            number = int(match.group(1) or match.group(2))
            if 1 <= number <= 9 and ("公开" in match.group(0) or "表" in match.group(0)):
                found.append((f"{number:02d}", ""))
                break
    return found


def _unit_of(text: str) -> str | None:
    """The amount unit printed on a page, if any."""
    match = _UNIT.search(text)
    return match.group(1) if match else None


def identify_tables(
    pages: Sequence[PageInfo], grids: Sequence[CellGrid]
) -> tuple[list[RawTable], list[ExtractionIssue]]:
    """Assign grids to the standard tables using titles, markers, header signatures and page order.

    Parameters
    ----------
    pages
        Every page of the document (``extract.pdf.read_pages``): text in reading order.
    grids
        The ruled grids of its pages (``extract.grids.read_grids``), in page order.

    Returns
    -------
    tuple[list[RawTable], list[ExtractionIssue]]
        The standard tables found, in the standard order, each with its grids, pages, unit and empty
        note; and what could not be placed.

    """
    by_page: dict[int, list[CellGrid]] = {}
    for grid in grids:
        by_page.setdefault(grid.page, []).append(grid)
    issues: list[ExtractionIssue] = []
    builds: dict[str, _TableBuild] = {}
    current: _TableBuild | None = None
    last_page = 0
    for page in pages:
        page_grids = by_page.get(page.number, [])
        # a table page is ruled; the table of contents and the narrative name the tables too
        titles = find_titles(page) if page.is_ruled or page_grids else []
        titles = _with_titles_over_grids(page, titles, page_grids)
        if not titles and page_grids and current is None:
            guessed = classify_header(page_grids[0])
            if guessed:
                titles = [(guessed, "")]
        if titles:
            leading, page_grids = _split_leading(page, titles, page_grids)
            if leading and current is not None and page.number == last_page + 1:
                # the page ends the table the page before began, then starts the next (a flowing layout)
                current.pages.append(page.number)
                current.grids.extend(leading)
            else:
                page_grids = leading + page_grids
            assigned = _assign(titles, page_grids)
            for code, title in titles:
                if current is not None and code == current.code and page.number == last_page + 1:
                    # the title repeated on a continuation page ("…决算表（续）")
                    current.pages.append(page.number)
                    current.grids.extend(assigned.get(code, []))
                    continue
                if code in builds and _title_only(builds[code]) and page_grids:
                    del builds[code]  # the first mention was a list of the tables (a 目录, a sheet index)
                if code in builds:
                    issues.append(
                        ExtractionIssue(f"title printed again (first on page {builds[code].pages[0]})", page.number, code, "warn")
                    )
                    continue
                build = _TableBuild(code=code, title=title, pages=[page.number], grids=assigned.get(code, []))
                build.unit = _unit_of(page.text)
                note = _EMPTY_NOTE.search(page.text)
                if note and (not build.grids or not _has_numbers(build.grids)):
                    build.empty_note = note.group(0).strip()
                builds[code] = build
                current = build
            last_page = page.number
            continue
        if current is not None and page.is_ruled and page.number == last_page + 1:
            if page_grids and current.grids and page_grids[0].n_cols != current.grids[-1].n_cols:
                if classify_header(page_grids[0]) not in (None, current.code):
                    current = None
                    continue
            current.pages.append(page.number)
            current.grids.extend(page_grids)
            last_page = page.number
            continue
        current = None  # a page that neither starts nor continues a table ends the chain
    tables = [
        RawTable(
            table_code=b.code,
            title=b.title,
            pages=tuple(b.pages),
            grids=tuple(b.grids),
            unit=b.unit,
            empty_note=b.empty_note,
        )
        for b in sorted(builds.values(), key=lambda b: b.code)
    ]
    return tables, issues


#: an amount as the tables print it (2,846.52 / 2846.52 / -0.50): two decimals, whole digits grouped or not
_PRINTED_AMOUNT = re.compile(r"(?<![\d.,])-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}(?![\d.])")
#: fewer amounts than this on a table's pages may be a page number, a date or a note: no table of figures
MIN_UNREAD_AMOUNTS = 3


def unread_tables(pages: Sequence[PageInfo], tables: Sequence[RawTable]) -> list[ExtractionIssue]:
    """Tables whose title is printed on pages that print amounts, yet of which no grid was read.

    A table printed without ruled columns (rules between its rows only, or none) gives no grid: without
    this its amounts would be lost while the document looks like a blank form or loads without the table.
    """
    text_of = {page.number: page.text for page in pages}
    issues = []
    for table in tables:
        if table.grids or table.empty_note:
            continue
        amounts = sum(len(_PRINTED_AMOUNT.findall(text_of.get(number, ""))) for number in table.pages)
        if amounts >= MIN_UNREAD_AMOUNTS:
            where = ", ".join(str(n) for n in table.pages)
            issues.append(
                ExtractionIssue(
                    f"its title is printed and page {where} prints {amounts} amounts, but no ruled grid was read there"
                    " (a table without ruled columns?); its amounts are not loaded",
                    table.pages[0],
                    table.table_code,
                )
            )
    return issues


#: a page drawing this many lines may hold a table ruled only above and below its header (三线表); a
#: narrative page draws none or one (a header rule)
MIN_UNRULED_TABLE_PATHS = 2


def unruled_table_pages(pages: Sequence[PageInfo]) -> list[ExtractionIssue]:
    """Pages that print a standard table's title, some rules and amounts, in a document where no table was found.

    Such a page holds a table our grids cannot read (a 三线表, or rules too few to count as ruled): the
    document must not pass for a narrative-only one.
    """
    issues = []
    for page in pages:
        if page.n_paths < MIN_UNRULED_TABLE_PATHS:
            continue
        amounts = len(_PRINTED_AMOUNT.findall(page.text))
        if amounts < MIN_UNREAD_AMOUNTS:
            continue
        for code, title in find_titles(page):
            issues.append(
                ExtractionIssue(
                    f"the title {title or code} and {amounts} amounts are printed, but no ruled grid was read"
                    " (a table ruled only above and below its header?); its amounts are not loaded",
                    page.number,
                    code,
                )
            )
    return issues


_TITLE_TAIL = re.compile(r"(?:[（(]?续(?:表)?[）)]?|[（(]?(?:公开|决算公开)?0?\d{1,2}表[）)]?)?")


def titles_over_grids(page: PageInfo, grids: Sequence[CellGrid]) -> list[tuple[float, str, str]]:
    """(top, table code, title) of each line of a page with grids printed as a table title alone, outside its grids.

    Flowing layouts (Word, WPS, a browser) start a table anywhere on a page, under the end of another or under
    the 目录, or leave its title alone at the foot of a page; the title is a line of its own. A 目录 entry is not
    one (an ordinal, dot leaders, a page number).
    """
    if not grids or not page.chars or not all(g.boxes for g in grids):
        return []
    spans = [(g.top, g.bottom) for g in grids]
    found: list[tuple[float, str, str]] = []
    for top, bottom, line in _joined_title_lines(text_lines(page.chars)):
        match = _TITLE.search(line)
        if match is None or any(a - 1 <= top and bottom <= b + 1 for a, b in spans):
            continue  # no title, or a line inside a grid
        if not _TITLE_TAIL.fullmatch(line[match.end() :]):
            continue  # a sentence naming a table
        before = line[: match.start()]
        if re.search(r"[.·…]{2}", line) or _ORDINAL.match(match.group(0)) or re.search(r"[一二三四五六七八九十]、$|\d[.、]$", before):
            continue  # a 目录 entry
        code = classify_title(match.group(0))
        if code is not None:
            found.append((top, code, match.group(0)))
    return found


_WORDS = re.compile(r"[\u4e00-\u9fff（）()“”\"]{2,30}")
_TITLE_END = re.compile(r"[\u4e00-\u9fff（）()“”\"]{0,30}(?:决算|预算)(?:总表|表)")


def _joined_title_lines(lines: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Printed lines (whitespace removed), a title wrapped over two lines joined ("…财政拨款" over "基本支出决算表")."""
    joined: list[tuple[float, float, str]] = []
    index = 0
    while index < len(lines):
        top, bottom, text = lines[index][0], lines[index][1], squash(lines[index][2])
        if index + 1 < len(lines) and _WORDS.fullmatch(text) and not _TITLE.search(text):
            below = squash(lines[index + 1][2])
            height = bottom - top
            if _TITLE_END.fullmatch(below) and lines[index + 1][0] - bottom < max(height, 1.0):
                joined.append((top, lines[index + 1][1], text + below))
                index += 2
                continue
        joined.append((top, bottom, text))
        index += 1
    return joined


def _with_titles_over_grids(
    page: PageInfo, titles: list[tuple[str, str]], grids: Sequence[CellGrid]
) -> list[tuple[str, str]]:
    """A page's titles found at its top, with those printed alone above its grids lower down, in page order."""
    extra = [(top, code, title) for top, code, title in titles_over_grids(page, grids) if code not in {c for c, _ in titles}]
    if not extra:
        return titles
    placed = [(_title_top(page, title) if title else 0.0, code, title) for code, title in titles]
    merged = [(t if t is not None else 0.0, c, x) for t, c, x in placed] + extra
    return [(code, title) for _, code, title in sorted(merged, key=lambda item: item[0])]


def _title_only(build: _TableBuild) -> bool:
    """True when a table was named on a page without any grid or empty note: a mention, not the table."""
    return not build.grids and build.empty_note is None


def _title_top(page: PageInfo, title: str) -> float | None:
    """Where a title is printed on its page (the top of its line; a title wrapped over two lines: its last)."""
    wanted = squash(title)
    if len(wanted) < 4:
        return None
    lines = text_lines(page.chars) if page.chars else []
    for top, _, text in lines:
        if wanted in squash(text):
            return top
    for top, _, text in lines:
        line = squash(text)
        if len(line) >= 3 and wanted.endswith(line) and line.endswith(("决算表", "决算总表", "预算表", "预算总表")):
            return top
    return None


def _split_leading(
    page: PageInfo, titles: list[tuple[str, str]], grids: list[CellGrid]
) -> tuple[list[CellGrid], list[CellGrid]]:
    """The grids printed above a page's first title, and the rest (a table ending where the next begins)."""
    if not grids or not grids[0].boxes:
        return [], grids
    tops = [_title_top(page, title) for _, title in titles if title]
    known = [t for t in tops if t is not None]
    if not known:
        return [], grids
    first = min(known)
    leading = [g for g in grids if g.boxes and g.bottom <= first + 1.0]
    return leading, [g for g in grids if g not in leading]


def _has_numbers(grids: Sequence[CellGrid]) -> bool:
    """True when any cell of the grids holds a decimal amount."""
    return any(re.fullmatch(r"-?[\d,]+\.\d+", c) for g in grids for row in g.cells for c in row)


def _assign(titles: list[tuple[str, str]], grids: list[CellGrid]) -> dict[str, list[CellGrid]]:
    """Match the grids of one page to the titles printed on it."""
    if not grids:
        return {}
    if len(titles) == 1:
        return {titles[0][0]: list(grids)}
    if len(grids) == len(titles):
        return {code: [grid] for (code, _), grid in zip(titles, grids, strict=True)}
    result: dict[str, list[CellGrid]] = {}
    codes = [c for c, _ in titles]
    last: str | None = None
    for grid in grids:
        guessed = classify_header(grid)
        unused = [c for c in codes if c not in result]
        if guessed in codes and guessed not in result:
            code = guessed
        elif unused:
            code = unused[0]
        else:
            # more grids than titles: a grid the title's table continues in (camelot split it at a rule)
            code = guessed if guessed in codes else (last or codes[-1])
        result.setdefault(code, []).append(grid)
        last = code
    return result


def read_facts(pages: Sequence[PageInfo], tables: Sequence[RawTable]) -> DocumentFacts:
    """Read department, fiscal year, phase, unit and title from the table headers, else the cover.

    Parameters
    ----------
    pages
        Every page of the document.
    tables
        The standard tables found on them.

    Returns
    -------
    DocumentFacts
        What the document says about itself; a field it does not print is None.

    """
    table_pages = [p for p in pages if any(p.number == t.pages[0] for t in tables)]
    departments = Counter(m.group(1) for p in table_pages for m in _DEPARTMENT.finditer(p.text))
    years = Counter(int(m.group(1)) for p in table_pages for m in _YEAR.finditer(p.text))
    units = Counter(t.unit for t in tables if t.unit)
    cover_text = squash("\n".join(p.text for p in pages[:3]))
    cover = _COVER.search(cover_text)
    department = departments.most_common(1)[0][0] if departments else None
    if not years:  # 预算 titles print "2025年部门…预算表", without 年度
        years = Counter(int(m.group(1)) for p in table_pages for m in _YEAR_ANY.finditer(p.text))
    fiscal_year = years.most_common(1)[0][0] if years else None
    phase: Phase | None = None
    title = None
    if cover:
        cover_dept = _LEADING_PART.sub("", cover.group(1))
        department = department or cover_dept
        fiscal_year = fiscal_year or int(cover.group(2))
        phase = "决算" if cover.group(3) == "决算" else "预算"
        title = cover.group(0)
    if phase is None and tables:
        phase = "决算" if any("决算" in t.title for t in tables) else ("预算" if any(t.title for t in tables) else None)
    scope: Literal["部门", "单位"] = "单位" if re.search(r"单位(决算|预算)", cover_text) and "部门决算" not in cover_text else "部门"
    if department:
        department = re.sub(r"(部门|单位)?(决算|预算)$", "", department)
    return DocumentFacts(
        department=department,
        fiscal_year=fiscal_year,
        phase=phase,
        unit=units.most_common(1)[0][0] if units else None,
        title=title,
        scope=scope,
    )
