"""Build the producer matrix: the seed 决算 report as office documents, printed to PDF by LibreOffice.

The seed report (``samples/seed/changsha_zwfwzx_2020_juesuan.txt``, read with ``parse_seed`` of
``make_seed_pdf.py``) is laid out the way finance offices lay it out by hand:

- **Calc**: an .xlsx workbook (openpyxl) with a cover sheet, a 目录 sheet and one sheet per 公开 table:
  title row merged across the table, the 部门/年度/金额单位 row directly above the grid, the multi-row
  header with merged cells, 栏次 rows, body rows, thin borders on the grid only, notes under it, print
  setup (A4, fit to width or to one page, landscape where chosen, repeated header rows); one variant
  types the title into a text box over an empty title row, as Excel/WPS reports often do: printed at
  the top as usual, but drawn after the cells, so the PDF's text has the 部门/单位 line, the column
  headers and the body before the title;
- **Writer**: a .docx (python-docx) with cover, 目录, 第一部分, the nine tables as Word tables (merged header
  cells, bordered table style, CJK font on every run incl. ``w:eastAsia``), the title as a centred
  paragraph and the 部门/年度/单位 line as a paragraph right above each table, and some of 第三部分.

Both are printed with ``soffice --headless --convert-to pdf`` (fonts embedded as subsets).  Each
variant writes ``tests/data/producers/<stem>.pdf``, its source ``<stem>.xlsx``/``<stem>.docx`` and a
sidecar ``<stem>.json`` (producer, variants, unit, golden file, scale, department, fiscal year);
``scale`` multiplies the golden amounts (the 元 file prints every amount x 10000).

Needs LibreOffice (calc + writer), fonts-noto-cjk and fonts-wqy-microhei (apt) and the ``gen`` extra
(openpyxl, python-docx, fonttools).  Tests only read the committed PDFs.

Usage::

    .venv/bin/python samples/make_office_matrix.py                  # all variants
    .venv/bin/python samples/make_office_matrix.py --only calc-wqy-narrow --verify --render /tmp/png
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from make_seed_pdf import SEED, Seed, SeedTable, header_spans, joined_body, parse_seed  # noqa: E402

OUT = ROOT / "tests" / "data" / "producers"
GOLDEN = "changsha_zwfwzx_2020_juesuan.json"
FONT_FILES = {  # family -> (regular file, index), as fc-match finds them on Debian
    "Noto Sans CJK SC": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "Noto Serif CJK SC": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "WenQuanYi Micro Hei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
}
TITLE09 = {"支出": "国有资本经营预算财政拨款支出决算表", "收入支出": "国有资本经营预算财政拨款收入支出决算表"}
WIDE = {"02", "03", "04", "06", "07", "08"}  # tables a finance office prints landscape when it can

AMOUNT = re.compile(r"-?[\d,]+\.\d\d")
CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’]"
CJK_GAP = re.compile(rf"(?<={CJK}) (?={CJK})")
LATIN_GAP = re.compile(rf"(?<={CJK}) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z%]) (?={CJK})")


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Variant:
    """One office document of the matrix."""

    stem: str
    app: str  # calc | writer
    font: str
    thousands: bool = True  # 2,846.52 (number format #,##0.00 / text) or 2846.52
    scale: int = 1  # 10000: amounts in 元
    narrow: bool = False  # columns just wide enough for the numbers
    title_two_lines: bool = False  # long titles broken after 财政拨款
    title09: str = "支出"  # 09 title: 国有资本经营预算财政拨款(收入)支出决算表
    tall_header: bool = False  # two-row headers stretched over three rows (merged cells span 3 rows)
    title_box: bool = False  # Calc: title in a text box over the title row (drawn after the cells)
    orientation: str = "wide"  # wide: landscape for WIDE tables | landscape | portrait
    fit: str = "width"  # Calc: fit to page width (header rows repeat) | page: each table on one page
    unit_prefix: str = "部门："  # or 编制单位：

    @property
    def unit(self) -> str:
        return "元" if self.scale == 10000 else "万元"

    def tags(self) -> list[str]:
        """Return the sidecar's variant list."""
        tags = [f"font:{self.font}", "thousands-separator" if self.thousands else "no-thousands-separator"]
        tags.append(f"unit:{self.unit}")
        tags.append(
            {"wide": "landscape-wide-tables", "landscape": "landscape-all", "portrait": "portrait-all"}[
                self.orientation
            ]
        )
        if self.app == "calc":
            tags.append("fit-to-width-repeat-header-rows" if self.fit == "width" else "fit-to-one-page")
        if self.narrow:
            tags.append("narrow-columns")
        if self.title_two_lines:
            tags.append("title-two-lines")
        tags.append(f"table09-title:{TITLE09[self.title09]}")
        tags.append("header-merged-over-3-rows" if self.tall_header else "header-merged-over-2-rows")
        if self.title_box:
            tags += ["title-in-text-box", "headers-before-title-in-text-order"]
        tags.append(f"subtitle:{self.unit_prefix.rstrip('：')}")
        return tags


MATRIX = [
    Variant("calc-noto-sans", "calc", "Noto Sans CJK SC"),
    Variant(
        "calc-serif-yuan-landscape",
        "calc",
        "Noto Serif CJK SC",
        scale=10000,
        orientation="landscape",
        title09="收入支出",
        unit_prefix="编制单位：",
    ),
    Variant(
        "calc-wqy-narrow",
        "calc",
        "WenQuanYi Micro Hei",
        thousands=False,
        narrow=True,
        title_two_lines=True,
        tall_header=True,
        orientation="portrait",
    ),
    Variant(
        "calc-header-first",
        "calc",
        "Noto Sans CJK SC",
        thousands=False,
        title_box=True,
        fit="page",
        title09="收入支出",
    ),
    Variant("writer-noto-serif", "writer", "Noto Serif CJK SC"),
    Variant(
        "writer-wqy-narrow",
        "writer",
        "WenQuanYi Micro Hei",
        thousands=False,
        narrow=True,
        title_two_lines=True,
        tall_header=True,
        orientation="portrait",
        title09="收入支出",
        unit_prefix="编制单位：",
    ),
]


# --------------------------------------------------------------------------- fonts


@dataclass
class Metrics:
    """Advance widths and line height of one font, to size columns and rows as a person would."""

    cmap: dict[int, str]
    advance: dict[str, int]
    upm: int
    line: float  # line height / font size

    def width(self, text: str, size: float, bold: bool = False) -> float:
        units = sum(self.advance.get(self.cmap.get(ord(ch), ".notdef"), self.upm) for ch in text)
        return units * size / self.upm * (1.04 if bold else 1.0)

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> int:
        """Count the lines a wrapping cell needs (breaks anywhere between CJK characters)."""
        count = 0
        for part in text.split("\n"):
            count += 1
            line = ""
            for ch in part:
                if line and self.width(line + ch, size, bold) > width:
                    count += 1
                    line = ch
                else:
                    line += ch
        return count


@cache
def metrics(family: str) -> Metrics:
    path, index = FONT_FILES[family]
    font = TTFont(path, fontNumber=index, lazy=True)
    hhea, upm = font["hhea"], font["head"].unitsPerEm
    return Metrics(
        cmap=dict(font.getBestCmap()),
        advance={name: adv for name, (adv, _) in font["hmtx"].metrics.items()},
        upm=upm,
        line=(hhea.ascent - hhea.descent + hhea.lineGap) / upm,
    )


# --------------------------------------------------------------------------- the grid of a table


@dataclass
class GCell:
    """A cell of a table grid; a merged cell covers rowspan x colspan slots."""

    row: int
    col: int
    text: str
    kind: str  # head | label | code | ordinal | amount | blank
    rowspan: int = 1
    colspan: int = 1
    value: Decimal | None = None  # amounts, scaled


@dataclass
class Grid:
    """One 公开 table as the office document shows it."""

    table: SeedTable
    title: str
    meta: list[str]  # 部门：… / 2020年度 / 金额单位：…
    nhead: int
    nrows: int
    ncols: int
    cells: list[GCell] = field(default_factory=list)

    def col_kind(self, col: int) -> str:
        kinds = [c.kind for c in self.cells if c.col == col and c.colspan == 1 and c.row >= self.nhead]
        for kind in ("amount", "code", "label", "ordinal"):
            if kind in kinds:
                return kind
        return "blank"


def clean(text: str) -> str:
    """Drop the seed's in-cell wrap marks (a space between CJK characters); keep letter-spacing (收 入)."""
    parts = text.split(" ")
    if len(parts) > 1 and all(len(p) == 1 for p in parts):
        return text
    return CJK_GAP.sub("", text)


def tidy(text: str) -> str:
    """Text as typed in an office document: no space between CJK and digits ("2020 年度" -> "2020年度")."""
    return LATIN_GAP.sub("", text)


def header_cells(rows: list[list[str]]) -> list[GCell]:
    """Merge header slots as the seed's blank header cells imply (make_seed_pdf.header_spans)."""
    return [GCell(r, c, clean(text), "head", rs, cs) for r, c, text, rs, cs in header_spans(rows)]


def stretch(cells: list[GCell], nhead: int) -> list[GCell]:
    """Give a header one more row: every cell reaching the last header row spans one row more."""
    for cell in cells:
        if cell.row + cell.rowspan == nhead:
            cell.rowspan += 1
    return cells


def kind_of(text: str) -> str:
    if not text:
        return "blank"
    if AMOUNT.fullmatch(text):
        return "amount"
    if text == "栏次" or (text.isdigit() and len(text) <= 2):
        return "ordinal"
    if text.isdigit():
        return "code"
    return "label"


def body_cells(rows: list[list[str]], first: int, scale: int) -> list[GCell]:
    """One cell per seed cell; 合计 labels and 栏次 span the blank cells after them."""
    cells = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            text, cs = clean(row[c]), 1
            if text.endswith("合计") or text == "栏次":
                while c + cs < len(row) and not row[c + cs]:
                    cs += 1
            kind = kind_of(text)
            value = None
            if kind == "amount":
                value = (Decimal(text.replace(",", "")) * scale).quantize(Decimal("0.01"))
            cells.append(GCell(first + r, c, text, kind, 1, cs, value))
            c += cs
    return cells


def grids(seed: Seed, v: Variant) -> list[Grid]:
    result = []
    for table in seed.tables:
        title = TITLE09[v.title09] if table.number == "09" else table.title
        meta = [tidy(m) for m in table.meta]
        meta = [m.replace("部门：", v.unit_prefix).replace("万元", v.unit) for m in meta]
        order = {"部门": 0, "编制": 0, "金额": 2}
        meta.sort(key=lambda m: order.get(m[:2], 1))  # 部门 left, 年度 centre, 单位 right
        head = header_cells(table.header)
        nhead = len(table.header)
        if v.tall_header and nhead == 2:
            head, nhead = stretch(head, nhead), 3
        body = joined_body(table)
        cells = head + body_cells(body, nhead, v.scale)
        result.append(Grid(table, title, meta, nhead, nhead + len(body), len(body[0]), cells))
    return result


def amount_text(value: Decimal, thousands: bool) -> str:
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


def split_title(title: str) -> str:
    """Break a long title after 财政拨款 (where printed reports break it)."""
    k = title.find("财政拨款")
    if len(title) > 12 and 0 < k and k + 4 < len(title) - 3:
        return title[: k + 4] + "\n" + title[k + 4 :]
    return title


def column_widths(grid: Grid, v: Variant, size: float, pad: float, avail: float | None) -> list[float]:
    """Column widths in points: wide enough for codes and amounts, labels and headers may wrap.

    With ``avail`` the amount and label columns grow to fill that width (as people widen columns to
    the page); narrow variants keep every column at its content plus the padding.
    """
    m = metrics(v.font)
    head_chars = 3 if v.narrow else 4
    label_cap = (12 if v.narrow else 15) * size
    need = [2 * pad + size] * grid.ncols
    for cell in sorted(grid.cells, key=lambda c: c.colspan):
        if cell.kind == "blank":
            continue
        if cell.kind == "amount":
            text = m.width(amount_text(cell.value or Decimal(0), v.thousands), size)
        elif cell.kind == "head":
            longest = max((m.width(p, size, True) for p in cell.text.split("\n")), default=0.0)
            text = min(longest, head_chars * size * 1.04)
        elif cell.kind == "label":
            text = min(m.width(cell.text, size), label_cap)
        else:
            text = m.width(cell.text, size)
        span = range(cell.col, cell.col + cell.colspan)
        short = text + 2 * pad - sum(need[c] for c in span)
        if short > 0:
            for c in span:
                need[c] += short / cell.colspan
    if v.narrow:  # still as wide as the title and the 部门/年度/单位 line above it
        title = split_title(grid.title) if v.title_two_lines else grid.title
        tsize = title_size(v)
        line = meta_width(grid, m, size)
        avail = max([line] + [m.width(t, tsize, True) + 2 * tsize for t in title.split("\n")])
    if avail and sum(need) < avail:
        kinds = ("label",) if v.narrow else ("amount", "label")
        grow = [c for c in range(grid.ncols) if grid.col_kind(c) in kinds]
        grow = grow or [c for c in range(grid.ncols) if grid.col_kind(c) == "amount"]
        weight = sum(need[c] for c in grow)
        extra = avail - sum(need)
        for c in grow:
            need[c] += extra * need[c] / weight
    return need


def title_size(v: Variant) -> float:
    return 16.0 if v.narrow else 18.0


def orientation(grid: Grid, v: Variant) -> str:
    if v.orientation == "wide":
        return "landscape" if grid.table.number in WIDE else "portrait"
    return v.orientation


def meta_line(grid: Grid) -> tuple[str, str, str]:
    """Return the left (部门), centre (年度) and right (金额单位) texts of the line above the grid."""
    left = next((m for m in grid.meta if m.startswith(("部门", "编制"))), "")
    right = next((m for m in grid.meta if m.startswith("金额单位")), "")
    centre = next((m for m in grid.meta if m not in (left, right)), "")
    return left, centre, right


def meta_width(grid: Grid, m: Metrics, size: float) -> float:
    """Return the width the 部门/年度/单位 line needs with its middle text centred."""
    left, centre, right = (m.width(t, size) for t in meta_line(grid))
    return 2 * max(left, right) + centre + 4 * size


def cover_lines(seed: Seed) -> tuple[str, str]:
    """The cover of the seed PDF: the department, then '<year>部门决算'."""
    return seed.department, tidy(seed.year) + "部门决算"


def toc_lines(seed: Seed, v: Variant) -> list[tuple[int, str]]:
    """The 目录 (level 0 = 部分, 1 = item), with the 09 title this file uses."""
    lines = []
    for line in seed.toc[1:]:
        level = 0 if line.startswith("第") else 1
        head, _, rest = (
            line.removeprefix("- ").partition(" ") if level == 0 else ("", "", line.removeprefix("- "))
        )
        text = f"{head} {tidy(rest)}".strip() if head else tidy(rest)
        if text == "九、国有资本经营预算财政拨款支出决算表":
            text = "九、" + TITLE09[v.title09]
        lines.append((level, text))
    return lines


# --------------------------------------------------------------------------- Calc (.xlsx)

CALC_UNIT = 7.0  # points per column-width unit as LibreOffice prints openpyxl widths (measured)
CALC_PAD = 2.5  # LibreOffice's inner cell margin, points, each side
PAGE_W = {"portrait": 595.3 - 2 * 0.45 * 72, "landscape": 841.9 - 2 * 0.45 * 72}


@dataclass
class TitleBox:
    """A text box holding a sheet's title, over the (empty) title row: row and columns 0-based."""

    sheet: str
    text: str
    font: str
    size: float
    row: int
    ncols: int
    width: float  # points
    height: float  # points


def calc_sheet_for_table(wb: Any, grid: Grid, v: Variant) -> TitleBox | None:
    """Write one table's sheet; return the title's text box when the variant floats the title."""
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    m = metrics(v.font)
    size = 10.0
    ws = wb.create_sheet(f"公开{grid.table.number}表")
    orient = orientation(grid, v)
    pad = CALC_PAD + (0.3 if v.narrow else 4.0)
    widths = column_widths(grid, v, size, pad, PAGE_W[orient] - 8)
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = round(w / CALC_UNIT, 2)
    n = grid.ncols
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def font(sz: float = size, bold: bool = False) -> Font:
        return Font(name=v.font, size=sz, bold=bold)

    def height(lines: int, sz: float = size, extra: float = 4.0) -> float:
        return round(lines * m.line * sz + extra, 1)

    # rows: (kind, payload) in print order
    title = split_title(grid.title) if v.title_two_lines else grid.title
    tsize = title_size(v)
    r = 1
    box_title: TitleBox | None = None

    def put_title(row: int) -> None:
        nonlocal box_title
        lines = m.lines(title, sum(widths) - 2 * CALC_PAD, tsize, True)
        ws.row_dimensions[row].height = height(lines, tsize, 12.0)
        if v.title_box:  # the row stays empty; a text box drawn over it carries the title
            printed = sum(round(w / CALC_UNIT, 2) * CALC_UNIT for w in widths)
            box_title = TitleBox(
                ws.title, title, v.font, tsize, row - 1, n, printed, ws.row_dimensions[row].height
            )
            return
        cell = ws.cell(row, 1, title)
        cell.font = font(tsize, True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=n)

    def put_meta(row: int) -> None:
        left, centre, right = meta_line(grid)
        a = 1  # the 部门 text spans as many columns as it needs, the 金额单位 text likewise from the right
        while a < n - 1 and sum(widths[:a]) < m.width(left, size) + 2 * CALC_PAD + 2:
            a += 1
        b = n - 1
        while b > a + 1 and sum(widths[b:]) < m.width(right, size) + 2 * CALC_PAD + 2:
            b -= 1
        if centre and sum(widths[a:b]) < m.width(centre, size) + 2 * CALC_PAD:
            left, centre = f"{left}\u3000\u3000{centre}", ""  # no room between: the year follows the 部门
            while a < b - 1 and sum(widths[:a]) < m.width(left, size) + 2 * CALC_PAD + 2:
                a += 1
        for (first, last), text, align in (
            ((0, a), left, "left"),
            ((a, b), centre, "center"),
            ((b, n), right, "right"),
        ):
            if not text:
                continue
            cell = ws.cell(row, first + 1, text)
            cell.font = font()
            cell.alignment = Alignment(horizontal=align, vertical="bottom")
            if last - first > 1:
                ws.merge_cells(start_row=row, start_column=first + 1, end_row=row, end_column=last)
        ws.row_dimensions[row].height = height(1, size, 5.0)

    marker = ws.cell(r, n, f"公开{grid.table.number}表")
    marker.font = font(9)
    marker.alignment = Alignment(horizontal="right", vertical="center")
    ws.row_dimensions[r].height = height(1, 9, 3.0)
    r += 1
    put_title(r)
    r += 1
    put_meta(r)
    r += 1
    first_grid = r

    def grid_row(k: int) -> int:
        """Sheet row of grid row k."""
        return first_grid + k

    extra = 3.5 if not v.narrow else 2.5
    row_h = [height(1, size, extra)] * grid.nrows
    for cell in sorted(grid.cells, key=lambda c: c.rowspan):
        w = sum(widths[cell.col : cell.col + cell.colspan]) - 2 * CALC_PAD - 1.0
        bold = cell.kind == "head"
        wraps = cell.kind in ("head", "label")  # numbers and codes never wrap
        need = height(m.lines(cell.text, w, size, bold) if wraps else 1, size, extra)
        span = range(cell.row, cell.row + cell.rowspan)
        short = need - sum(row_h[k] for k in span)
        if short > 0:
            if cell.rowspan == 1:
                row_h[cell.row] = need
            else:
                for k in span:
                    row_h[k] += short / cell.rowspan
    for k, h in enumerate(row_h):
        ws.row_dimensions[grid_row(k)].height = round(h, 1)

    fmt = "#,##0.00" if v.thousands else "0.00"
    for cell in grid.cells:
        row, col = grid_row(cell.row), cell.col + 1
        value: object = cell.text or None
        if cell.kind == "amount":
            value = float(cell.value) if cell.value is not None else None
        elif cell.kind == "ordinal" and cell.text.isdigit():
            value = int(cell.text)
        target = ws.cell(row, col, value)
        target.font = font(size, cell.kind == "head")
        target.border = box
        if cell.kind == "amount":
            target.number_format = fmt
            target.alignment = Alignment(horizontal="right", vertical="center")
        elif cell.kind in ("head", "ordinal"):
            target.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        else:
            target.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        if cell.kind == "code":
            target.number_format = "@"
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(
                start_row=row,
                start_column=col,
                end_row=grid_row(cell.row + cell.rowspan - 1),
                end_column=col + cell.colspan - 1,
            )
    r = grid_row(grid.nrows - 1) + 1
    ws.row_dimensions[r].height = 6
    r += 1
    for note in grid.table.notes:
        cell = ws.cell(r, 1, tidy(note))
        cell.font = font(9)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        ws.row_dimensions[r].height = height(m.lines(tidy(note), sum(widths) - 6, 9), 9, 3.0)
        r += 1

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orient
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0 if v.fit == "width" else 1
    if v.fit == "width":
        ws.print_title_rows = f"{first_grid}:{first_grid + grid.nhead - 1}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.45
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "第 &P 页"
    ws.oddFooter.center.font = f"{v.font},Regular"
    ws.oddFooter.center.size = 9
    ws.sheet_view.showGridLines = False
    return box_title


EMU = 12700  # per point
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"


def drawing_xml(box: TitleBox, shape_id: int) -> str:
    """A DrawingML text box anchored over the title row, centred text, no fill, no outline."""
    from xml.sax.saxutils import escape

    paras = "".join(
        '<a:p><a:pPr algn="ctr"/><a:r>'
        f'<a:rPr lang="zh-CN" altLang="en-US" sz="{round(box.size * 100)}" b="1">'
        '<a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
        f'<a:latin typeface="{box.font}"/><a:ea typeface="{box.font}"/><a:cs typeface="{box.font}"/>'
        f"</a:rPr><a:t>{escape(line)}</a:t></a:r></a:p>"
        for line in box.text.split("\n")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<xdr:twoCellAnchor editAs="oneCell">'
        f"<xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{box.row}</xdr:row>"
        "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{box.ncols}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{box.row + 1}</xdr:row>"
        "<xdr:rowOff>0</xdr:rowOff></xdr:to>"
        '<xdr:sp macro="" textlink="">'
        f'<xdr:nvSpPr><xdr:cNvPr id="{shape_id}" name="标题 {shape_id}"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
        "<xdr:spPr>"
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{round(box.width * EMU)}" cy="{round(box.height * EMU)}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln>'
        "</xdr:spPr>"
        '<xdr:txBody><a:bodyPr vertOverflow="overflow" horzOverflow="overflow" wrap="square" '
        'lIns="0" tIns="0" rIns="0" bIns="0" rtlCol="0" anchor="ctr"/><a:lstStyle/>'
        f"{paras}</xdr:txBody>"
        "</xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    )


def add_title_boxes(path: Path, boxes: list[TitleBox]) -> None:
    """Add each title's text box to the saved workbook (openpyxl writes no shapes).

    Excel and WPS keep a report title typed into a text box this way; LibreOffice draws shapes after
    the cells, so the title follows the column headers in the PDF's text.
    """
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    target = {r.get("Id"): r.get("Target") for r in rels}
    sheet_part = {}
    for sheet in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        t = target[sheet.get(f"{{{NS_REL}}}id")]
        sheet_part[sheet.get("name")] = t.lstrip("/") if t.startswith("/") else posixpath.join("xl", t)
    types = parts["[Content_Types].xml"].decode("utf-8")
    for k, box in enumerate(boxes, start=1):
        sheet = sheet_part[box.sheet]
        drawing = f"xl/drawings/drawing{k}.xml"
        assert drawing not in parts, drawing
        parts[drawing] = drawing_xml(box, k + 1).encode("utf-8")
        types = types.replace(
            "</Types>", f'<Override PartName="/{drawing}" ContentType="{DRAWING_TYPE}"/></Types>'
        )
        rels_part = posixpath.join(posixpath.dirname(sheet), "_rels", posixpath.basename(sheet) + ".rels")
        rel = f'<Relationship Id="rIdTitle" Type="{DRAWING_REL}" Target="../drawings/drawing{k}.xml"/>'
        if rels_part in parts:
            text = parts[rels_part].decode("utf-8")
            assert "rIdTitle" not in text and "<drawing" not in parts[sheet].decode("utf-8")
            parts[rels_part] = text.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")
        else:
            parts[rels_part] = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{NS_PKG_REL}">{rel}</Relationships>'
            ).encode()
        xml = parts[sheet].decode("utf-8")
        # CT_Worksheet: <drawing> follows pageSetup/headerFooter/breaks, precedes legacyDrawing/tableParts
        tail = min(
            xml.find(t) for t in ("<legacyDrawing", "<tableParts", "<extLst", "</worksheet>") if t in xml
        )
        ns = "" if 'xmlns:r="' in xml[: xml.find(">", xml.find("<worksheet"))] else f' xmlns:r="{NS_REL}"'
        parts[sheet] = (xml[:tail] + f'<drawing{ns} r:id="rIdTitle"/>' + xml[tail:]).encode("utf-8")
    parts["[Content_Types].xml"] = types.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2021, 9, 17, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def calc_workbook(seed: Seed, v: Variant, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    cover.column_dimensions["A"].width = 80
    dept, year = cover_lines(seed)
    for row, (text, size) in enumerate(((dept, 26.0), (year, 30.0)), start=8):
        cell = cover.cell(row, 1, text)
        cell.font = Font(name=v.font, size=size, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cover.row_dimensions[row].height = size * 2.2
    for row in range(1, 8):
        cover.row_dimensions[row].height = 40
    cover.page_setup.paperSize = cover.PAPERSIZE_A4
    cover.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    cover.page_setup.fitToWidth = cover.page_setup.fitToHeight = 1
    cover.print_options.horizontalCentered = True
    cover.sheet_view.showGridLines = False

    toc = wb.create_sheet("目录")
    toc.column_dimensions["A"].width = 72
    cell = toc.cell(1, 1, "目 录")
    cell.font = Font(name=v.font, size=20, bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    toc.row_dimensions[1].height = 48
    for row, (level, text) in enumerate(toc_lines(seed, v), start=2):
        cell = toc.cell(row, 1, text)
        cell.font = Font(name=v.font, size=12 if level == 0 else 11, bold=level == 0)
        cell.alignment = Alignment(horizontal="left", vertical="center", indent=0 if level == 0 else 2)
        toc.row_dimensions[row].height = 22 if level == 0 else 19
    toc.page_setup.paperSize = toc.PAPERSIZE_A4
    toc.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    toc.page_setup.fitToWidth = toc.page_setup.fitToHeight = 1
    toc.print_options.horizontalCentered = True
    toc.sheet_view.showGridLines = False

    boxes = [box for grid in grids(seed, v) if (box := calc_sheet_for_table(wb, grid, v))]
    stamp = dt.datetime(2021, 9, 17, 9, 0, 0)
    wb.properties.creator = seed.department
    wb.properties.title = f"{dept}{year}"
    wb.properties.created = wb.properties.modified = stamp
    wb.save(path)
    if boxes:
        add_title_boxes(path, boxes)


# --------------------------------------------------------------------------- Writer (.docx)

MARGIN_LR = {"portrait": 2.2 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}
MARGIN_TB = {"portrait": 2.5 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}
A4 = (595.3, 841.9)


def writer_document(seed: Seed, v: Variant, path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()

    def set_font(element_rpr: Any, name: str) -> None:
        fonts = element_rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), name)

    normal = doc.styles["Normal"]
    normal.font.name = v.font
    normal.font.size = Pt(10.5)
    set_font(normal.element.get_or_add_rPr(), v.font)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)

    def run(paragraph: Any, text: str, size: float, bold: bool = False) -> Any:
        r = paragraph.add_run(text)
        r.font.name = v.font
        r.font.size = Pt(size)
        r.bold = bold
        set_font(r._element.get_or_add_rPr(), v.font)
        return r

    def para(
        text: str,
        size: float = 10.5,
        bold: bool = False,
        align: Any = None,
        before: float = 0,
        after: float = 0,
        indent_chars: float = 0,
        first_line: bool = False,
        page_break: bool = False,
    ) -> Any:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(before)
        p.paragraph_format.space_after = Pt(after)
        if align is not None:
            p.alignment = align
        if indent_chars:
            if first_line:
                p.paragraph_format.first_line_indent = Pt(indent_chars * size)
            else:
                p.paragraph_format.left_indent = Pt(indent_chars * size)
        if page_break:
            p.paragraph_format.page_break_before = True
        lines = text.split("\n")
        for k, line in enumerate(lines):
            r = run(p, line, size, bold)
            if k + 1 < len(lines):
                r.add_break(WD_BREAK.LINE)
        return p

    def page_setup(section: Any, orient: str) -> None:
        w, h = A4 if orient == "portrait" else A4[::-1]
        section.orientation = WD_ORIENT.PORTRAIT if orient == "portrait" else WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Pt(w), Pt(h)
        section.left_margin = section.right_margin = Pt(MARGIN_LR[orient])
        section.top_margin = section.bottom_margin = Pt(MARGIN_TB[orient])
        section.footer_distance = Pt(28)

    section = doc.sections[0]
    page_setup(section, "portrait")
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(footer, "- ", 9)
    field_run = run(footer, "", 9)
    for tag, attrs in (
        ("w:fldChar", {"w:fldCharType": "begin"}),
        ("w:instrText", {}),
        ("w:fldChar", {"w:fldCharType": "end"}),
    ):
        el = OxmlElement(tag)
        for key, val in attrs.items():
            el.set(qn(key), val)
        if tag == "w:instrText":
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        field_run._element.append(el)
    run(footer, " -", 9)
    section.different_first_page_header_footer = True  # no page number on the cover

    # cover
    dept, year = cover_lines(seed)
    para("", 26, before=200)
    para(dept, 26, True, WD_ALIGN_PARAGRAPH.CENTER, after=30)
    para(year, 30, True, WD_ALIGN_PARAGRAPH.CENTER)
    # 目录
    para("目  录", 18, True, WD_ALIGN_PARAGRAPH.CENTER, after=18, page_break=True)
    for level, text in toc_lines(seed, v):
        para(
            text,
            12 if level == 0 else 10.5,
            level == 0,
            before=6 if level == 0 else 0,
            indent_chars=0 if level == 0 else 2,
        )
        doc.paragraphs[-1].paragraph_format.line_spacing = 1.35
    # 第一部分
    narrative(para, seed.part1, WD_ALIGN_PARAGRAPH)
    para("第二部分", 18, True, WD_ALIGN_PARAGRAPH.CENTER, page_break=True, before=180, after=12)
    para(tidy(seed.part3[1]).replace("情况说明", "表"), 16, True, WD_ALIGN_PARAGRAPH.CENTER)

    # tables
    current = "portrait"
    for grid in grids(seed, v):
        orient = orientation(grid, v)
        if orient != current:
            section = doc.add_section(WD_SECTION.NEW_PAGE)
            section.different_first_page_header_footer = False
            page_setup(section, orient)
            current = orient
            first = para(grid_title(grid, v), 16, True, WD_ALIGN_PARAGRAPH.CENTER, after=4)
        else:
            first = para(grid_title(grid, v), 16, True, WD_ALIGN_PARAGRAPH.CENTER, after=4, page_break=True)
        first.paragraph_format.keep_with_next = True
        text_w = (A4[0] if orient == "portrait" else A4[1]) - 2 * MARGIN_LR[orient]
        size = 9.0
        pad = 1.4 if v.narrow else 5.4
        while True:
            widths = column_widths(grid, v, size, pad + (0.6 if v.narrow else 1.5), text_w)
            if sum(widths) <= text_w + 0.5 or size <= 7.5:
                break
            size -= 0.5
        table_w = sum(widths)
        marker = para(f"公开{grid.table.number}表", 10.5, align=WD_ALIGN_PARAGRAPH.RIGHT)
        marker.paragraph_format.right_indent = Pt(max(0.0, (text_w - table_w) / 2))
        left, centre, right = meta_line(grid)
        line = doc.add_paragraph()
        # the table is centred: align the line with it, unless its texts need more room than the table
        m = metrics(v.font)
        span = max(table_w, meta_width(grid, m, 10.5))
        indent = max(0.0, (text_w - span) / 2)
        line.paragraph_format.space_after = Pt(2)
        stops = line.paragraph_format.tab_stops
        if indent > 1:
            stops.add_tab_stop(Pt(indent), WD_TAB_ALIGNMENT.LEFT)
        stops.add_tab_stop(Pt(indent + span / 2), WD_TAB_ALIGNMENT.CENTER)
        stops.add_tab_stop(Pt(indent + span), WD_TAB_ALIGNMENT.RIGHT)
        run(line, f"{chr(9) if indent > 1 else ''}{left}\t{centre}\t{right}", 10.5)

        table = doc.add_table(rows=grid.nrows, cols=grid.ncols)
        table.style = doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(round(pad * 20)))
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        tbl_pr.append(mar)
        for c, w in enumerate(widths):
            table.columns[c].width = Pt(w)
            for cell in table.columns[c].cells:
                cell.width = Pt(w)
        for k in range(grid.nhead):
            tr_pr = table.rows[k]._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:tblHeader"))
        for k in range(grid.nrows):
            tr_pr = table.rows[k]._tr.get_or_add_trPr()
            cant = OxmlElement("w:cantSplit")
            tr_pr.append(cant)
        for cell in grid.cells:
            target = table.cell(cell.row, cell.col)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1))
            target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = target.paragraphs[0]
            text = cell.text
            if cell.kind == "amount" and cell.value is not None:
                text = amount_text(cell.value, v.thousands)
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif cell.kind in ("head", "ordinal"):
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            p.paragraph_format.space_before = Pt(1.5)
            p.paragraph_format.space_after = Pt(1.5)
            if text:
                run(p, text, size, cell.kind == "head")
        for note in grid.table.notes:
            para(tidy(note), 9, before=4)

    # 第三部分 (its first sections)
    if current != "portrait":
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False
        page_setup(section, "portrait")
        start_break = False
    else:
        start_break = True
    end = next(i for i, line in enumerate(seed.part3) if line.startswith("五、"))
    narrative(para, seed.part3[:end], WD_ALIGN_PARAGRAPH, page_break=start_break)

    doc.core_properties.author = seed.department
    doc.core_properties.title = f"{dept}{year}"
    stamp = dt.datetime(2021, 9, 17, 9, 0, 0)
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.last_modified_by = seed.department
    doc.save(str(path))


def grid_title(grid: Grid, v: Variant) -> str:
    return split_title(grid.title) if v.title_two_lines else grid.title


def narrative(para: Any, lines: list[str], align: Any, page_break: bool = True) -> None:
    """Write 第N部分, its title, headings and body paragraphs (first-line indent of two characters)."""
    for k, line in enumerate(lines):
        text = tidy(line)
        if re.fullmatch(r"第[一二三四五]部分", text):
            para(text, 18, True, align.CENTER, page_break=page_break, after=6)
        elif k == 1:
            para(text, 16, True, align.CENTER, after=12)
        elif len(text) <= 30 and not text.endswith("。"):
            para(text, 12, True, before=6, after=2, indent_chars=2, first_line=True)
        else:
            p = para(text, 12, align=align.JUSTIFY, indent_chars=2, first_line=True)
            p.paragraph_format.line_spacing = 1.5


# --------------------------------------------------------------------------- PDF export and checks


def soffice_version() -> str:
    out = subprocess.run(["soffice", "--version"], capture_output=True, text=True, check=True).stdout
    return re.search(r"LibreOffice (\d+(?:\.\d+)+)", out).group(1)  # type: ignore[union-attr]


def to_pdf(source: Path, outdir: Path) -> Path:
    """Print an office file to PDF with a throwaway LibreOffice profile."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = outdir / (source.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice wrote no PDF for {source}")
    return pdf


def build(v: Variant, out: Path, version: str) -> Path:
    seed = parse_seed(SEED.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    source = out / f"{v.stem}.{'xlsx' if v.app == 'calc' else 'docx'}"
    (calc_workbook if v.app == "calc" else writer_document)(seed, v, source)
    pdf = to_pdf(source, out)
    sidecar = {
        "producer": f"LibreOffice {'Calc' if v.app == 'calc' else 'Writer'} {version}",
        "variants": v.tags(),
        "unit": v.unit,
        "golden": GOLDEN,
        "scale": str(v.scale),
        "department": seed.department,
        "fiscal_year": int(re.sub(r"\D", "", seed.year)),
        "generator": f"python samples/make_office_matrix.py --only {v.stem}",
    }
    (out / f"{v.stem}.json").write_text(
        json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return pdf


def fonts_of(pdf: Path) -> dict[str, bool]:
    """Return every font drawn in the PDF with whether it is embedded."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    found: dict[str, bool] = {}
    doc = pdfium.PdfDocument(pdf)
    for page in doc:
        for obj in page.get_objects(max_depth=4):
            if obj.type != raw.FPDF_PAGEOBJ_TEXT:
                continue
            font = raw.FPDFTextObj_GetFont(obj.raw)
            buf = ctypes.create_string_buffer(256)
            raw.FPDFFont_GetBaseFontName(font, buf, 256)
            found[buf.value.decode("latin-1")] = bool(raw.FPDFFont_GetIsEmbedded(font))
    return found


def render(pdf: Path, outdir: Path, scale: float = 1.6) -> list[Path]:
    import pypdfium2 as pdfium

    outdir.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    paths = []
    for k, page in enumerate(doc):
        path = outdir / f"{pdf.stem}-p{k + 1:02d}.png"
        page.render(scale=scale).to_pil().save(path)
        paths.append(path)
    return paths


def verify(pdf: Path) -> dict[str, object]:
    """Run the current extractor on one matrix PDF and score it against the scaled golden cells."""
    sys.path.insert(0, str(ROOT))
    from tests.extraction import stage_pdf
    from tests.golden import load_golden, score

    sidecar = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    golden = load_golden(sidecar["golden"])
    scale = Decimal(sidecar["scale"])
    golden = {
        **golden,
        "cells": [{**g, "amount": str(Decimal(g["amount"]) * scale)} for g in golden["cells"]],
    }
    try:
        facts, staged = stage_pdf(pdf)
    except Exception as exc:  # noqa: BLE001 - reported, the matrix documents exist for failing extractors
        return {"error": f"{type(exc).__name__}: {exc}"}
    rows = staged.cells.to_dict("records")
    misses, extras = score(golden, rows)
    n = len(golden["cells"])
    return {
        "recall": (n - len(misses)) / n if n else 1.0,
        "precision": (len(rows) - len(extras)) / len(rows) if rows else 0.0,
        "golden": n,
        "extracted": len(rows),
        "missed_by_table": _count(misses, "table"),
        "extra_by_table": _count(extras, "table_code"),
        "tables": sorted(t.table_code for t in staged.tables if t.present),
        "department": facts.department,
        "fiscal_year": facts.fiscal_year,
        "unit": facts.unit,
        "phase": facts.phase,
    }


def _count(rows: list[dict[str, object]], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row.get(key))] = counts.get(str(row.get(key)), 0) + 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the LibreOffice producer matrix of the seed report.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", help="variant stems (default: all)")
    parser.add_argument("--verify", action="store_true", help="check fonts, score with the current extractor")
    parser.add_argument("--render", type=Path, help="write PNGs of every page here")
    args = parser.parse_args(argv)
    if not shutil.which("soffice"):
        sys.exit("soffice not found: apt install libreoffice-calc libreoffice-writer")
    version = soffice_version()
    for v in MATRIX:
        if args.only and v.stem not in args.only:
            continue
        pdf = build(v, args.out, version)
        print(
            f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: {pdf.stat().st_size // 1024} KiB"
        )
        if args.render:
            render(pdf, args.render)
        if args.verify:
            fonts = fonts_of(pdf)
            print(
                "  fonts:",
                ", ".join(f"{name}{'' if emb else ' (NOT embedded)'}" for name, emb in sorted(fonts.items())),
            )
            print("  extraction:", json.dumps(verify(pdf), ensure_ascii=False))


if __name__ == "__main__":
    main()
