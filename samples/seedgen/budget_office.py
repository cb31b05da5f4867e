"""The 预算 producer matrix: the seed department's 2020 预算 (``seedgen.budget_sets``) as Calc workbooks and Writer documents.

Each ``BudgetVariant`` is one document as a finance office would lay it out by hand, with the variations real
预算 releases show: the family (Shanghai nine tables, Jiangsu twelve or thirteen), the font (narrow
WenQuanYi Micro Hei, Noto Sans or Noto Serif CJK), the unit (元, 万元, or 元 with the 三公 page in 万元), the number
printed for each table (公开05表, 表5, 公开表五, 表十一 or none; on the title's line or a line above it), the
title's prefix (the year, the department and year, none), the title typed in a text box drawn after the cells
(Calc: header-first text order), no titles at all (tables known by header and 目录), a 目录 page or none, one
table split across two pages with its header repeated, tables following each other several to a page
(Writer), and an empty table saying 本表无数据 in its grid or under it.

``calc_budget`` writes an .xlsx (openpyxl: one sheet per table, cover and 目录 sheets), ``writer_budget`` a .docx
(python-docx); ``seedgen.libreoffice.to_pdf`` prints either.  ``expected`` lists the cells a reader must find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .budget_sets import (
    DEPARTMENT,
    DOWN,
    RIGHT,
    YEAR,
    BudgetTable,
    expected_cells,
    jiangsu_tables,
    shanghai_tables,
    spans,
)
from .office import A4, metrics

_CN = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (5 → 五, 11 → 十一, 20 → 二十)."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _CN[ones]
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


@dataclass(frozen=True)
class BudgetVariant:
    """One 预算 document of the matrix."""

    stem: str
    app: str  # calc | writer
    family: str  # shanghai | jiangsu
    font: str
    unit: str = "元"  # the unit of every table ...
    three_public_unit: str | None = None  # ... but the 三公 table's, when it differs (万元)
    numbers: str = "none"  # none | gongkai (公开05表) | biao (表5) | gongkai_cn (公开表五) | biao_cn (表五, 表十一)
    number_place: str = "prefix"  # prefix: "公开05表：title" | above: on a line of its own above the title
    prefix: str = "year"  # year: "2020年部门…" | department: "长沙市政务服务中心2020年部门…" | none
    scope: str = "部门"  # 部门 | 单位 (a 单位预算)
    contents: bool = True  # a 目录 page listing the tables
    title_box: bool = False  # Calc: the title in a text box over an empty row (drawn after the cells)
    untitled: bool = False  # no title over any table: known by header signature and 目录 order
    split: str | None = None  # key of the table printed across two pages, its header repeated
    flow: bool = False  # Writer: tables follow each other, several to a page
    thousands: bool = True
    carryover: bool = False  # Jiangsu: the 13th table, 动用上年结转和结余资金支出预算总表 (empty)
    fund_first: bool = False  # Jiangsu 2017 order
    empty_in_grid: bool = False  # 本表无数据 in a row of the grid, else a note under it
    zero_dash: bool = False  # zero amounts print "-" (an accounting number format), blank is blank
    spaced: bool = False  # two-character labels and headers letter-spaced ("合　计", "金　额")
    title_wrap: bool = False  # long titles broken over two lines in the middle of the title proper
    leaders: bool = False  # 目录 entries end in dot leaders and a page number ("……………… 5")
    borders: str = "all"  # Calc: all | horizontal (a rule under every row, no vertical rule)

    def tables(self) -> list[BudgetTable]:
        """The tables of the document, in print order, each with the unit it is printed in."""
        if self.family == "shanghai":
            tables = shanghai_tables(scope=self.scope)
        else:
            tables = jiangsu_tables(carryover=self.carryover, fund_first=self.fund_first)
        for table in tables:
            table.unit = self.unit
            if self.three_public_unit and "三公" in table.title:
                table.unit = self.three_public_unit
        return tables

    def tags(self) -> list[str]:
        """The sidecar's variant list."""
        tags = [f"family:{self.family}", f"font:{self.font}", f"unit:{self.unit}", f"numbers:{self.numbers}"]
        if self.three_public_unit:
            tags.append(f"three-public-unit:{self.three_public_unit}")
        if self.numbers != "none":
            tags.append(f"number-place:{self.number_place}")
        tags.append(f"title-prefix:{self.prefix}")
        tags.append(f"scope:{self.scope}")
        tags.append("contents-page" if self.contents else "no-contents-page")
        tags.append("thousands-separator" if self.thousands else "no-thousands-separator")
        tags.append("empty-table-note-in-grid" if self.empty_in_grid else "empty-table-note-below")
        if self.borders != "all":
            tags.append(f"borders:{self.borders}")
        if self.title_box:
            tags += ["title-in-text-box", "headers-before-title-in-text-order"]
        if self.untitled:
            tags.append("no-table-titles")
        if self.split:
            tags.append(f"split-over-two-pages-header-repeated:{self.split}")
        if self.flow:
            tags.append("several-tables-a-page")
        if self.carryover:
            tags.append("thirteen-tables")
        if self.fund_first:
            tags.append("order-2017")
        if self.zero_dash:
            tags.append("zero-as-dash")
        if self.spaced:
            tags.append("letter-spaced-labels")
        if self.title_wrap:
            tags.append("title-broken-mid-title")
        if self.leaders:
            tags.append("contents-dot-leaders")
        return tags


# --------------------------------------------------------------------------- texts


def marker(v: BudgetVariant, n: int) -> str:
    """The number printed for the n-th table, as the variant prints numbers ('' for none)."""
    return {
        "none": "",
        "gongkai": f"公开{n:02d}表",
        "biao": f"表{n}",
        "gongkai_cn": f"公开表{chinese_number(n)}",
        "biao_cn": f"表{chinese_number(n)}",
    }[v.numbers]


def full_title(v: BudgetVariant, table: BudgetTable) -> str:
    """A table's title with the variant's prefix (year, department and year, none)."""
    word = "预算单位" if v.scope == "单位" else "部门"
    if v.family == "jiangsu" and v.prefix == "year":
        return f"{YEAR}年{table.title}"
    if v.prefix == "year":
        return f"{YEAR}年{word}{table.title}"
    if v.prefix == "department":
        return f"{DEPARTMENT}{YEAR}年{word}{table.title}"
    return table.title


def title_line(v: BudgetVariant, table: BudgetTable, n: int) -> str:
    """The title as printed on its line (with its number when the number shares the line)."""
    title = full_title(v, table)
    if v.title_wrap and len(table.title) >= 10:  # as a person breaks a title too long for the line: mid-title
        cut = len(title) - len(table.title) + len(table.title) // 2
        title = f"{title[:cut]}\n{title[cut:]}"
    mark = marker(v, n)
    if mark and v.number_place == "prefix":
        return f"{mark}：{title}" if v.family == "jiangsu" else f"{mark}  {title}"
    return title


def meta_texts(v: BudgetVariant, table: BudgetTable) -> tuple[str, str]:
    """The 部门 (left) and unit (right) texts of the line between the title and the grid."""
    who = ("编制单位：" if v.scope == "单位" else "编制部门：") if v.family == "shanghai" else "部门："
    unit = ("单位：" if v.family == "shanghai" else "金额单位：") + table.unit
    return who + DEPARTMENT, unit


def cover_lines(v: BudgetVariant) -> tuple[str, str]:
    """The cover: the department, then '2020年部门预算' (or 单位预算)."""
    return DEPARTMENT, f"{YEAR}年{v.scope}预算"


def contents_lines(v: BudgetVariant) -> list[tuple[int, str]]:
    """The 目录 (level 0 = a part, 1 = a table)."""
    tables = v.tables()
    if v.family == "shanghai":
        lines = [(0, f"一、{v.scope}主要职能"), (0, f"二、{v.scope}预算编制说明"), (0, f"三、{v.scope}预算表")]
        lines += [(1, f"{k}. {full_title(v, t)}{_leader(v, k)}") for k, t in enumerate(tables, 1)]
        return lines + [(0, "四、其他相关情况说明")]
    lines = [(0, "第一部分 部门概况"), (0, f"第二部分 {YEAR}年度部门预算表")]
    lines += [(1, f"{chinese_number(k)}、{t.title}{_leader(v, k)}") for k, t in enumerate(tables, 1)]
    return lines + [(0, f"第三部分 {YEAR}年度部门预算情况说明")]


def _leader(v: BudgetVariant, k: int) -> str:
    """Dot leaders and the page a 目录 entry's table is printed on (cover, 目录 and 说明 come first)."""
    return f"{'…' * 12}{k + 3}" if v.leaders else ""


def slot_text(v: BudgetVariant, table: BudgetTable, slot: object) -> str:
    """What a slot prints: an amount in the table's unit, a text, or ''."""
    if isinstance(slot, Decimal):
        value = slot / 10000 if table.unit == "万元" else slot
        if v.zero_dash and not value:
            return "-"
        return f"{value:,.2f}" if v.thousands else f"{value:.2f}"
    if slot is None or slot in (RIGHT, DOWN):
        return ""
    return spaced(v, str(slot))


def spaced(v: BudgetVariant, text: str) -> str:
    """A two-character CJK label letter-spaced with an ideographic space, where the variant does so."""
    if v.spaced and len(text) == 2 and all("\u4e00" <= ch <= "\u9fff" for ch in text):
        return f"{text[0]}\u3000{text[1]}"
    return text


def grid_rows(v: BudgetVariant, table: BudgetTable) -> tuple[list[list[Any]], int]:
    """The header and body slots as printed (an empty table's note as a last row, where the variant says), header count."""
    rows = [*table.header, *table.body]
    if table.empty_note and v.empty_in_grid:
        rows.append([table.empty_note, *[RIGHT] * (table.ncols - 1)])
    return rows, len(table.header)


def expected(v: BudgetVariant) -> list[dict[str, object]]:
    """Every cell the document prints an amount in, as the scorer wants it (table code = its position)."""
    cells = [cell for n, t in enumerate(v.tables(), 1) for cell in expected_cells(t, f"{n:02d}", t.unit)]
    return [c for c in cells if not (v.zero_dash and Decimal(str(c["amount"])) == 0)]  # "-" is no amount


# --------------------------------------------------------------------------- sizes


def _kind(slot: object) -> str:
    if isinstance(slot, Decimal):
        return "amount"
    if isinstance(slot, str) and slot.isdigit():
        return "code"
    return "label" if slot else "blank"


def column_widths(v: BudgetVariant, table: BudgetTable, size: float, pad: float, avail: float) -> list[float]:
    """Column widths (points): codes and amounts whole, labels up to 14 characters, headers up to 5, then grown to ``avail``."""
    m = metrics(v.font)
    rows, nhead = grid_rows(v, table)
    need = [2 * pad + size] * table.ncols
    cells = sorted(spans(rows), key=lambda c: c[4])
    for r, c, slot, _, cs in cells:
        text = slot_text(v, table, slot)
        if not text or (r >= nhead and text == table.empty_note):
            continue
        width = m.width(text, size, r < nhead)
        if r < nhead:
            width = min(width, 5 * size * 1.04)
        elif _kind(slot) == "label":
            width = min(width, 14 * size)
        short = width + 2 * pad - sum(need[c : c + cs])
        if short > 0:
            for k in range(c, c + cs):
                need[k] += short / cs
    if sum(need) < avail:
        body_kinds = [{_kind(row[c]) for row in table.body} for c in range(table.ncols)]
        grow = [c for c in range(table.ncols) if "label" in body_kinds[c] or "amount" in body_kinds[c]] or list(range(table.ncols))
        extra = (avail - sum(need)) / len(grow)
        for c in grow:
            need[c] += extra
    return need


def row_heights(v: BudgetVariant, table: BudgetTable, widths: list[float], size: float, pad: float, extra: float) -> list[float]:
    """Row heights (points) for the wrapped texts of each row."""
    m = metrics(v.font)
    rows, nhead = grid_rows(v, table)
    heights = [m.line * size + extra] * len(rows)
    for r, c, slot, rs, cs in sorted(spans(rows), key=lambda s: s[3]):
        text = slot_text(v, table, slot)
        kind = _kind(slot)
        lines = m.lines(text, sum(widths[c : c + cs]) - 2 * pad - 1, size, r < nhead) if kind == "label" else 1
        need = lines * m.line * size + extra
        short = need - sum(heights[r : r + rs])
        if short > 0:
            for k in range(r, r + rs):
                heights[k] += short / rs
    return heights


def orientation(v: BudgetVariant, table: BudgetTable) -> str:
    """Landscape for the wide tables (never in flow layouts, which stay portrait)."""
    return "landscape" if table.wide and not v.flow else "portrait"


# --------------------------------------------------------------------------- Calc


CALC_UNIT = 7.0  # points per column-width unit as LibreOffice prints openpyxl widths (seedgen.calc)
CALC_PAD = 2.5
CALC_PAGE_W = {"portrait": A4[0] - 2 * 0.5 * 72, "landscape": A4[1] - 2 * 0.5 * 72}


def calc_budget(v: BudgetVariant, path: Path) -> None:
    """Write the variant as an .xlsx workbook: cover, 目录 (when printed) and one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.worksheet.properties import PageSetupProperties

    from .calc import TitleBox, add_title_boxes

    m = metrics(v.font)

    def font(size: float = 10.0, bold: bool = False) -> Font:
        return Font(name=v.font, size=size, bold=bold)

    def one_page(ws: Any) -> None:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
        ws.print_options.horizontalCentered = True
        ws.sheet_view.showGridLines = False

    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover.column_dimensions["A"].width = 80
    for row in range(1, 8):
        cover.row_dimensions[row].height = 40
    for row, (text, size) in enumerate(zip(cover_lines(v), (26.0, 30.0), strict=True), start=8):
        cell = cover.cell(row, 1, text)
        cell.font = font(size, True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cover.row_dimensions[row].height = size * 2.2
    one_page(cover)
    if v.contents:
        toc = wb.create_sheet("目录")
        toc.column_dimensions["A"].width = 76
        cell = toc.cell(1, 1, "目 录")
        cell.font = font(20, True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        toc.row_dimensions[1].height = 48
        for row, (level, text) in enumerate(contents_lines(v), start=2):
            cell = toc.cell(row, 1, text)
            cell.font = font(12 if level == 0 else 11, level == 0)
            cell.alignment = Alignment(horizontal="left", vertical="center", indent=0 if level == 0 else 2)
            toc.row_dimensions[row].height = 22 if level == 0 else 19
        one_page(toc)

    thin = Side(style="thin", color="000000")
    box = Border(top=thin, bottom=thin) if v.borders == "horizontal" else Border(left=thin, right=thin, top=thin, bottom=thin)
    boxes: list[TitleBox] = []
    size = 10.0
    for n, table in enumerate(v.tables(), 1):
        ws = wb.create_sheet(f"表{n}")
        orient = orientation(v, table)
        pad = CALC_PAD + 3.0
        widths = column_widths(v, table, size, pad, CALC_PAGE_W[orient] - 8)
        for c, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = round(w / CALC_UNIT, 2)
        ncols = table.ncols
        r = 1
        mark = marker(v, n)
        if mark and (v.number_place == "above" or v.untitled):
            cell = ws.cell(r, 1 if v.family == "jiangsu" else ncols, mark)
            cell.font = font(10)
            cell.alignment = Alignment(horizontal="left" if v.family == "jiangsu" else "right", vertical="center")
            ws.row_dimensions[r].height = 16
            r += 1
        if not v.untitled:
            text = title_line(v, table, n)
            tsize = 16.0
            lines = m.lines(text, sum(widths) - 2 * CALC_PAD, tsize, True)
            ws.row_dimensions[r].height = round(lines * m.line * tsize + 12, 1)
            if v.title_box:
                printed = sum(round(w / CALC_UNIT, 2) * CALC_UNIT for w in widths)
                boxes.append(TitleBox(ws.title, text, v.font, tsize, r - 1, ncols, printed, ws.row_dimensions[r].height))
            else:
                cell = ws.cell(r, 1, text)
                cell.font = font(tsize, True)
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
            r += 1
        left, right = meta_texts(v, table)
        split_at = max(1, ncols // 2)
        for (first, last), text, align in (((1, split_at), left, "left"), ((split_at + 1, ncols), right, "right")):
            cell = ws.cell(r, first, text)
            cell.font = font(10)
            cell.alignment = Alignment(horizontal=align, vertical="bottom")
            if last > first:
                ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=last)
        ws.row_dimensions[r].height = 18
        r += 1
        first_grid = r
        rows, nhead = grid_rows(v, table)
        heights = row_heights(v, table, widths, size, CALC_PAD, 5.0)
        for k, h in enumerate(heights):
            ws.row_dimensions[first_grid + k].height = round(h, 1)
        fmt = "#,##0.00" if v.thousands else "0.00"
        if v.zero_dash:
            fmt = f'{fmt};-{fmt};"-"'
        scale = Decimal(10000) if table.unit == "万元" else Decimal(1)
        for rr, cc, slot, rs, cs in spans(rows):
            target = ws.cell(first_grid + rr, cc + 1)
            if isinstance(slot, Decimal):
                target.value = float(slot / scale)
                target.number_format = fmt
                target.alignment = Alignment(horizontal="right", vertical="center")
            else:
                target.value = spaced(v, slot) if isinstance(slot, str) and slot else None
                head = rr < nhead
                target.alignment = Alignment(horizontal="center" if head else "left", vertical="center", wrap_text=True)
                if _kind(slot) == "code":
                    target.number_format = "@"
            target.font = font(size, rr < nhead)
            if rs > 1 or cs > 1:
                ws.merge_cells(
                    start_row=first_grid + rr, start_column=cc + 1, end_row=first_grid + rr + rs - 1, end_column=cc + cs
                )
        for rr in range(len(rows)):  # borders on every slot (merged ones too, or LibreOffice draws them open)
            for cc in range(ncols):
                ws.cell(first_grid + rr, cc + 1).border = box
        r = first_grid + len(rows)
        if table.empty_note and not v.empty_in_grid:
            ws.row_dimensions[r].height = 6
            r += 1
            cell = ws.cell(r, 1, table.empty_note)
            cell.font = font(9)
            cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
            ws.row_dimensions[r].height = 16
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = orient
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        if v.split == table.key:  # the header rows repeat on the second page
            ws.print_title_rows = f"{first_grid}:{first_grid + nhead - 1}"
            ws.row_breaks.append(Break(id=first_grid + nhead + len(table.body) // 2 - 1))
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.6
        ws.oddFooter.center.text = "第 &P 页"
        ws.oddFooter.center.font = f"{v.font},Regular"
        ws.oddFooter.center.size = 9
        ws.sheet_view.showGridLines = False
    stamp = dt.datetime(2021, 3, 1, 9, 0, 0)
    wb.properties.creator = DEPARTMENT
    wb.properties.title = "".join(cover_lines(v))
    wb.properties.created = wb.properties.modified = stamp
    wb.save(path)
    if boxes:
        add_title_boxes(path, boxes)


# --------------------------------------------------------------------------- Writer


MARGIN_LR = {"portrait": 2.0 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}
MARGIN_TB = {"portrait": 2.2 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}


def writer_budget(v: BudgetVariant, path: Path) -> None:
    """Write the variant as a .docx: cover, 目录 (when printed), a page of 说明, the tables as Word tables."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()

    def set_font(rpr: Any) -> None:
        fonts = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), v.font)

    normal = doc.styles["Normal"]
    normal.font.name = v.font
    normal.font.size = Pt(10.5)
    set_font(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)

    def para(text: str, size: float = 10.5, bold: bool = False, align: Any = None, *, before: float = 0,
             after: float = 0, page_break: bool = False, indent: float = 0) -> Any:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(before)
        p.paragraph_format.space_after = Pt(after)
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.left_indent = Pt(indent)
        if page_break:
            p.paragraph_format.page_break_before = True
        if text:
            r = p.add_run(text)
            r.font.size = Pt(size)
            r.bold = bold
            set_font(r._element.get_or_add_rPr())
        return p

    def page_setup(section: Any, orient: str) -> None:
        w, h = A4 if orient == "portrait" else A4[::-1]
        section.orientation = WD_ORIENT.PORTRAIT if orient == "portrait" else WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Pt(w), Pt(h)
        section.left_margin = section.right_margin = Pt(MARGIN_LR[orient])
        section.top_margin = section.bottom_margin = Pt(MARGIN_TB[orient])

    page_setup(doc.sections[0], "portrait")
    dept, title = cover_lines(v)
    para("", 26, before=200)
    para(dept, 26, True, WD_ALIGN_PARAGRAPH.CENTER, after=30)
    para(title, 30, True, WD_ALIGN_PARAGRAPH.CENTER)
    if v.contents:
        para("目  录", 18, True, WD_ALIGN_PARAGRAPH.CENTER, after=18, page_break=True)
        for level, text in contents_lines(v):
            p = para(text, 12 if level == 0 else 10.5, level == 0, before=6 if level == 0 else 0, indent=0 if level == 0 else 21)
            p.paragraph_format.line_spacing = 1.35
    para(f"{DEPARTMENT}{YEAR}年{v.scope}预算编制说明", 16, True, WD_ALIGN_PARAGRAPH.CENTER, after=12, page_break=True)
    para(
        f"本{v.scope}预算表共{len(v.tables())}张，除另有注明外金额单位为{v.unit}。"
        "预算收入全部为一般公共预算财政拨款，支出分基本支出和项目支出。", 12, after=6,
    )

    current = "portrait"
    for n, table in enumerate(v.tables(), 1):
        orient = orientation(v, table)
        first_of_page = not v.flow or n == 1
        if orient != current:
            section = doc.add_section(WD_SECTION.NEW_PAGE)
            page_setup(section, orient)
            current = orient
            first_of_page = False  # the section starts the page
        text_w = (A4[0] if orient == "portrait" else A4[1]) - 2 * MARGIN_LR[orient]
        mark = marker(v, n)
        if mark and (v.number_place == "above" or v.untitled):
            p = para(mark, 10.5, align=WD_ALIGN_PARAGRAPH.LEFT if v.family == "jiangsu" else WD_ALIGN_PARAGRAPH.RIGHT,
                     page_break=first_of_page, before=0 if first_of_page else 14)
            p.paragraph_format.keep_with_next = True
            first_of_page = False
        if not v.untitled:
            p = para(title_line(v, table, n), 15, True, WD_ALIGN_PARAGRAPH.CENTER, after=4, page_break=first_of_page,
                     before=0 if first_of_page or (mark and v.number_place == "above") else 14)
            p.paragraph_format.keep_with_next = True
            first_of_page = False
        size = 9.0
        pad = 3.0
        widths = column_widths(v, table, size, pad + 1.0, text_w)
        while sum(widths) > text_w + 0.5 and size > 6.5:
            size -= 0.5
            widths = column_widths(v, table, size, pad + 1.0, text_w)
        left, right = meta_texts(v, table)
        line = para("", page_break=first_of_page, after=2)
        line.paragraph_format.keep_with_next = True
        line.paragraph_format.tab_stops.add_tab_stop(Pt(min(sum(widths), text_w)), WD_TAB_ALIGNMENT.RIGHT)
        r = line.add_run(f"{left}\t{right}")
        r.font.size = Pt(10)
        set_font(r._element.get_or_add_rPr())

        rows, nhead = grid_rows(v, table)
        grid = doc.add_table(rows=len(rows), cols=table.ncols)
        grid.style = doc.styles["Table Grid"]
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        grid.autofit = False
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(round(pad * 20)))
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        grid._tbl.tblPr.append(mar)
        for c, w in enumerate(widths):
            grid.columns[c].width = Pt(w)
            for cell in grid.columns[c].cells:
                cell.width = Pt(w)
        repeat = v.split == table.key or v.flow
        for k in range(len(rows)):
            tr_pr = grid.rows[k]._tr.get_or_add_trPr()
            if k < nhead and repeat:
                tr_pr.append(OxmlElement("w:tblHeader"))
            tr_pr.append(OxmlElement("w:cantSplit"))
            if v.split == table.key and k >= nhead:  # rows tall enough that the table needs two pages
                grid.rows[k].height = Pt(34)
                grid.rows[k].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        for rr, cc, slot, rs, cs in spans(rows):
            target = grid.cell(rr, cc)
            if rs > 1 or cs > 1:
                target = target.merge(grid.cell(rr + rs - 1, cc + cs - 1))
            target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = target.paragraphs[0]
            text = slot_text(v, table, slot)
            p.alignment = (
                WD_ALIGN_PARAGRAPH.RIGHT if isinstance(slot, Decimal)
                else WD_ALIGN_PARAGRAPH.CENTER if rr < nhead else WD_ALIGN_PARAGRAPH.LEFT
            )
            p.paragraph_format.space_before = Pt(1.5)
            p.paragraph_format.space_after = Pt(1.5)
            if text:
                run = p.add_run(text)
                run.font.size = Pt(size)
                run.bold = rr < nhead
                set_font(run._element.get_or_add_rPr())
        if table.empty_note and not v.empty_in_grid:
            para(table.empty_note, 9, before=4)
        elif v.flow:
            para("", 6)
    doc.core_properties.author = DEPARTMENT
    doc.core_properties.title = "".join(cover_lines(v))
    stamp = dt.datetime(2021, 3, 1, 9, 0, 0)
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.last_modified_by = DEPARTMENT
    doc.save(str(path))
