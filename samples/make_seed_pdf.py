"""Render the seed 决算 report text into realistic, vector-ruled PDFs for extraction tests.

The seed text (the published report; table rows tab-separated) is ground truth: this script only
lays it out.  A cover, the 目录 and 第一部分 narrative, the nine 公开 tables as ruled grids with
merged header cells, then one narrative page of 第三部分.  ``--layout`` chooses how tables sit on pages:

- ``one-per-page``: every table on one portrait page (the committed sample);
- ``landscape``: the wide tables on landscape (842x595) pages, the rest portrait;
- ``rotated``: as ``landscape``, but the landscape pages are portrait pages with ``/Rotate 90``;
- ``continued-repeat-header``: tables 02, 03, 04, 06 continue on a second page that repeats the header
  (and 栏次) rows; 04 and 06 break where the seed's own page break split a row;
- ``continued-no-header``: the same, the continuation page carrying only the bare grid.

The committed files: ``samples/changsha_zwfwzx_2020_juesuan.pdf`` (one-per-page) and
``tests/data/seed_layouts/<layout>.pdf`` for the other layouts.

``--variant`` (repeatable) renders the same report the way other producers print it (the names in
``VARIANTS``): the 部门/年度/单位 line tight on the top rule or inside the grid as its first ruled row,
header text overflowing below its cell, three-row headers with merged cells centred across the span,
narrow columns whose amounts touch the rules, whole rows written as one text object (TJ-positioned
or space-padded), amounts without thousands separators, amounts in 元, a second embedded CJK font,
titles on two lines, 09 titled 收入支出决算表, and Excel's order (unit line above the title, the
title written after the grid's texts).  ``--matrix OUTDIR`` writes the producer-matrix files
``reportlab-<name>.pdf`` (``MATRIX``), each with a ``.json`` sidecar naming its variants, unit and
the scale of its amounts against the golden cells.

The committed matrix: ``tests/data/producers/reportlab-*.pdf`` and ``.json``.

Every PDF embeds its fonts: a subset of WenQuanYi Micro Hei (and of WenQuanYi Zen Hei, the second
font of ``two-fonts``) committed in ``samples/fonts/`` (a machine without CJK fonts, as CI is, must
still read the Chinese text).  ``--make-font-subset`` rebuilds the subsets from the system fonts
(Debian ``fonts-wqy-microhei``, ``fonts-wqy-zenhei``; needs fontTools, the ``gen`` extra).

Usage::

    python samples/make_seed_pdf.py --layout one-per-page --out samples/changsha_zwfwzx_2020_juesuan.pdf
    python samples/make_seed_pdf.py --make-font-subset
    python samples/make_seed_pdf.py --variant unit-yuan --variant narrow-columns --out /tmp/x.pdf
    python samples/make_seed_pdf.py --matrix tests/data/producers
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

SEED = Path(__file__).with_name("seed") / "changsha_zwfwzx_2020_juesuan.txt"
FONTS = Path(__file__).with_name("fonts")
# TrueType (glyf) fonts reportlab embeds as subsets; (registered name, committed subset, system source)
FONT_FILES = {
    "WQYMicroHei": (
        FONTS / "wqy-microhei-subset.ttf",
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ),
    "WQYZenHei": (  # the second font of the two-fonts variant
        FONTS / "wqy-zenhei-subset.ttf",
        Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    ),
}
FONT = "WQYMicroHei"  # every text of every generated PDF
SECOND_FONT = "WQYZenHei"  # titles and header cells of the two-fonts variant
LAYOUTS = ("one-per-page", "landscape", "rotated", "continued-repeat-header", "continued-no-header")
WIDE = {"02", "03", "04", "06", "07", "08"}  # tables the landscape layouts put on landscape pages
CONTINUED = {"02", "03", "04", "06"}  # tables the continued layouts spread over two pages
SPLIT_AFTER = {"02": "2081199", "03": "208"}  # their break (04, 06 break where the seed's page did)

MARGIN = {"portrait": 42.0, "landscape": 26.0, "rotated": 26.0}  # landscape prints use thin margins
FOOTER_H = 22.0  # page number
NOTE_SIZE, NOTE_LEAD = 8.0, 11.0
MAX_SIZE = {"portrait": 9.0, "landscape": 10.0, "rotated": 10.0}
MIN_SIZE = 5.5
LEADING = 1.2  # line height / font size inside cells
LABEL_CHARS = 12  # body labels longer than this may wrap inside their cell
HEADER_CHARS = 4  # header texts may wrap down to this many characters a line

NARROW_PAD = 0.5  # narrow-columns: the widest amount leaves this much space to each rule
NARROW_HEADER_PAD = 1.0
OVERFLOW_TABLES = {"02", "03", "05"}  # header-overflow: their 功能分类科目编码 cell
OVERFLOW_TEXT = "功能分类科目编码"
OVERFLOW_CHARS = 7.3  # that column holds 7 CJK characters a line: "功能分类科目编" + "码" below the rule
CJK_DESCENT = 0.094  # WenQuanYi ideographs reach this far (em) below the baseline
CJK_ASCENT = 0.82  # and this far above it
TIGHT_GAP = 1.5  # subtitle-tight: points between the subtitle's lowest ink and the top rule

AMOUNT = re.compile(r"-?[\d,]+\.\d\d")
CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")  # where the seed shows a wrapped line
NO_LINE_START = set("，。、；：）》”％")


@dataclass(frozen=True)
class Style:
    """How a producer prints the tables (the default: the committed seed layouts)."""

    subtitle: str = "line"  # 部门/年度/单位: line (below the title) | tight (on the top rule) | grid (row 0)
    header_overflow: bool = False  # 02/03/05: 功能分类科目编码 wraps, its last line below the cell
    merged_headers: bool = False  # coded tables: three header rows, 合计 columns spanning all three
    narrow: bool = False  # amount columns as narrow as their widest amount (<= 1 pt to the rules)
    row_runs: str = ""  # "" | tj (one text object a row, TJ offsets) | spaces (one string, space-padded)
    thousands: bool = True  # 2,940.05 or 2940.05
    scale: int = 1  # 1: 万元 as the seed; 10000: 元
    second_font: bool = False  # titles and header cells in a second embedded CJK font
    title_lines: bool = False  # long titles on two lines
    t09_income: bool = False  # 09 titled 国有资本经营预算财政拨款收入支出决算表
    excel_order: bool = False  # unit line above the title; the title written after the grid's texts

    @property
    def unit(self) -> str:
        """Return the unit the amounts are printed in."""
        return {1: "万元", 10000: "元"}[self.scale]

    @property
    def title_font(self) -> str:
        """Return the font of titles and 公开 markers."""
        return SECOND_FONT if self.second_font else FONT

    @property
    def header_font(self) -> str:
        """Return the font of header cells."""
        return SECOND_FONT if self.second_font else FONT


PLAIN = Style()
VARIANTS: dict[str, dict[str, object]] = {
    "subtitle-tight": {"subtitle": "tight"},
    "subtitle-in-grid": {"subtitle": "grid"},
    "header-overflow": {"header_overflow": True},
    "merged-headers": {"merged_headers": True},
    "narrow-columns": {"narrow": True},
    "row-runs-tj": {"row_runs": "tj"},
    "row-runs-spaces": {"row_runs": "spaces"},
    "thousands-separators": {"thousands": True},
    "plain-amounts": {"thousands": False},
    "unit-wanyuan": {"scale": 1},
    "unit-yuan": {"scale": 10000},
    "two-fonts": {"second_font": True},
    "title-two-lines": {"title_lines": True},
    "t09-expense-title": {"t09_income": False},
    "t09-income-title": {"t09_income": True},
    "excel-order": {"excel_order": True},
}
# the producer-matrix files (tests/data/producers/reportlab-<name>.pdf): every variant at least once
MATRIX: dict[str, tuple[str, ...]] = {
    "tight-subtitle": ("subtitle-tight", "thousands-separators", "unit-wanyuan", "t09-expense-title"),
    "grid-subtitle": (
        "subtitle-in-grid",
        "title-two-lines",
        "t09-income-title",
        "plain-amounts",
        "unit-wanyuan",
    ),
    "header-overflow": ("header-overflow", "thousands-separators", "unit-wanyuan"),
    "merged-headers": ("merged-headers", "two-fonts", "plain-amounts", "unit-wanyuan"),
    "narrow-yuan": ("narrow-columns", "unit-yuan", "thousands-separators"),
    "row-runs-tj": ("row-runs-tj", "excel-order", "thousands-separators", "unit-wanyuan"),
    "row-runs-spaces": ("row-runs-spaces", "plain-amounts", "unit-wanyuan"),
}
GOLDEN_NAME = "changsha_zwfwzx_2020_juesuan.json"


def style_of(variants: list[str] | tuple[str, ...]) -> Style:
    """Return the style that applies the named variants in order."""
    style = PLAIN
    for name in variants:
        style = replace(style, **VARIANTS[name])  # type: ignore[arg-type]
    return style


@dataclass
class SeedTable:
    """One 公开 table of the seed: title, meta lines, header rows, body rows and notes."""

    number: str
    title: str
    meta: list[str]
    header: list[list[str]]
    body: list[list[str]]
    continued: list[int]  # body rows the original page break cut off the row before them
    notes: list[str]


@dataclass
class Seed:
    """The parts of the seed text the PDF shows."""

    department: str
    year: str
    toc: list[str]
    part1: list[str]
    part3: list[str]
    tables: list[SeedTable]


@dataclass
class Cell:
    """A ruled cell; a merged cell covers rowspan x colspan slots of the grid."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    align: str = "c"
    header: bool = False
    lines: list[str] = field(default_factory=list)
    font: str = FONT
    pad: float | None = None  # horizontal padding; None: padding(size)
    overflow: bool = False  # the last wrapped line is printed below the cell's bottom rule
    segments: list[tuple[str, str]] = field(default_factory=list)  # (text, align) on one line instead


@dataclass
class TablePage:
    """One page of a table: which body rows it shows and what is printed around the grid."""

    table: SeedTable
    body: list[list[str]]
    heading: bool  # title, 公开 marker, 部门/年度/单位 line
    header: bool  # the header rows of the grid
    notes: bool  # 注：/说明： below the grid
    orientation: str  # portrait | landscape | rotated
    style: Style = PLAIN

    def subtitle_row(self) -> bool:
        """Tell whether the grid's first ruled row carries the 部门/年度/单位 line."""
        return self.heading and self.style.subtitle == "grid"

    def cells(self) -> list[Cell]:
        """Return the cells of this page's grid."""
        cells: list[Cell] = []
        if self.subtitle_row():
            ncols = len(self.table.body[0])
            segments = [(line, meta_align(line)) for line in meta_lines(self.table, self.style)]
            cells.append(Cell(0, 0, "", 1, ncols, "c", header=True, segments=segments))
        head, nhead = grid_header(self.table, self.style) if self.header else ([], 0)
        for cell in head:
            cell.row += len(cells)
        return cells + head + body_cells(self.body, len(cells) + nhead, self.style)

    def nrows(self) -> int:
        """Return the number of grid rows on this page."""
        return max(cell.row + cell.rowspan for cell in self.cells())


# --------------------------------------------------------------------------- fonts


def register_fonts(text: str = "") -> None:
    """Register the committed font subsets; fail if text has a character they lack."""
    for name, (path, _) in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames() and path.exists():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    covered = pdfmetrics.getFont(FONT).face.charToGlyph
    missing = sorted({ch for ch in text if ord(ch) not in covered and ch.isprintable() and ch not in "\t\n"})
    if missing:
        raise ValueError(
            f"{FONT_FILES[FONT][0].name} lacks {''.join(missing[:40])!r}: "
            "add them to subset_chars() and run --make-font-subset"
        )


def subset_chars(extra: str = "", common: bool = True) -> set[str]:
    """Return the characters a font subset carries.

    Everything the generator can print: the seed text, every character of this script (its literal
    strings), printable ASCII, CJK and full-width punctuation; with common, also the 3,755 GB2312
    level-1 hanzi, so that a seed with another department or city still renders.
    """
    chars = (
        set(SEED.read_text(encoding="utf-8")) | set(Path(__file__).read_text(encoding="utf-8")) | set(extra)
    )
    chars |= {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    chars |= set(
        "\u00b7\u00d7\u00f7\u2014\u2015\u2018\u2019\u201c\u201d\u2026\u2030\u2103\u2116\u2160\u2161\u2162\u2163\u2164"
    )
    if common:
        for hi in range(0xB0, 0xD8):
            for lo in range(0xA1, 0xFF):
                try:
                    chars.add(bytes([hi, lo]).decode("gb2312"))
                except UnicodeDecodeError:
                    pass
    return {ch for ch in chars if ch.isprintable() and ch != "\ufeff"}


def make_font_subset(source: Path, out: Path, chars: set[str], font_number: int = 0) -> int:
    """Write a TrueType subset of a system font (a .ttc face) holding chars; return its size.

    Keeps every name record (copyright, license), drops hinting; the same input gives the same bytes.
    """
    from fontTools import subset  # the gen extra: only needed to rebuild the committed subsets
    from fontTools.ttLib import TTFont as FontToolsFont

    font = FontToolsFont(str(source), fontNumber=font_number, recalcTimestamp=False, lazy=False)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.layout_features = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(ch) for ch in chars))
    subsetter.subset(font)
    absent = {ch for ch in chars if ord(ch) not in font.getBestCmap()}
    if absent - {chr(c) for c in range(0x3000, 0x3040)} - {chr(c) for c in range(0xFF01, 0xFF5F)}:
        print(f"{source.name} has no glyph for {len(absent)} characters: {''.join(sorted(absent))[:60]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return out.stat().st_size


def make_font_subsets() -> None:
    """Rebuild every committed font subset from its system font."""
    for name, (path, source) in FONT_FILES.items():
        if not source.exists() and path.exists():
            print(f"{path}: kept ({source} is not installed)")
            continue
        size = make_font_subset(source, path, subset_chars(common=name == FONT))
        print(f"{path}: {size:,} bytes from {source}")


# --------------------------------------------------------------------------- seed text


def parse_seed(text: str) -> Seed:
    """Split the seed text into narrative parts and tables."""
    lines = [line.strip(" ") for line in text.split("\n")]
    part = {n: lines.index(f"第{n}部分") for n in "一二三四"}

    def block(start: int, end: int) -> list[str]:
        return [line for line in lines[start:end] if line.strip()]

    department = next(line for line in lines if line.startswith("部门："))[3:]
    return Seed(
        department=department,
        year=block(0, part["一"])[0],
        toc=block(lines.index("目 录"), part["一"]),
        part1=block(part["一"], part["二"]),
        part3=block(part["三"], part["四"]),
        tables=parse_tables(lines[part["二"] : part["三"]]),
    )


def parse_tables(lines: list[str]) -> list[SeedTable]:
    """Cut the 第二部分 lines into tables at their 公开 NN 表 markers."""
    marks = [i for i, line in enumerate(lines) if re.fullmatch(r"公开 \d\d 表", line)]
    titles = [max(i for i in range(m) if lines[i].strip()) for m in marks]
    tables = []
    for k, mark in enumerate(marks):
        end = titles[k + 1] if k + 1 < len(marks) else len(lines)
        meta: list[str] = []
        notes: list[str] = []
        rows: list[list[str]] = []
        continued: list[int] = []
        gap = False
        for line in lines[mark + 1 : end]:
            if "\t" in line:
                if gap and rows:
                    continued.append(len(rows))
                rows.append([cell.strip() for cell in line.split("\t")])
                gap = False
            elif not line.strip():
                gap = True
            else:
                (notes if rows else meta).append(line.strip())
        nhead = next(i for i, row in enumerate(rows) if row[0] == "栏次" or row[0].isdigit())
        tables.append(
            SeedTable(
                number=lines[mark].split()[1],
                title=lines[titles[k]],
                meta=meta,
                header=rows[:nhead],
                body=rows[nhead:],
                continued=[i - nhead for i in continued],
                notes=notes,
            )
        )
    return tables


def joined_body(table: SeedTable) -> list[list[str]]:
    """Return the body rows with the page-break continuation rows joined back onto their row."""
    rows: list[list[str]] = []
    for i, row in enumerate(table.body):
        if i in table.continued:
            rows[-1] = [a + b for a, b in zip(rows[-1], row, strict=True)]
        else:
            rows.append(list(row))
    return rows


def split_body(table: SeedTable) -> tuple[list[list[str]], list[list[str]]]:
    """Return the body rows of the two pages of a continued table."""
    if table.continued:
        cut = table.continued[0]
    else:
        cut = 1 + next(i for i, row in enumerate(table.body) if row[0] == SPLIT_AFTER[table.number])
    return table.body[:cut], table.body[cut:]


# --------------------------------------------------------------------------- grid cells


def cell_text(text: str, header: bool = False) -> str:
    """Handle the seed's in-cell wraps (a space between CJK characters).

    A body label keeps the break where the seed shows it; a header text is rewrapped to its column.
    """
    parts = text.split(" ")
    if all(len(p) == 1 for p in parts):  # letter-spaced, e.g. "收 入"
        return text
    return CJK_SPACE.sub("" if header else "\n", text)


def header_spans(rows: list[list[str]]) -> list[tuple[int, int, str, int, int]]:
    """Merge the header slots as the seed's blank header cells imply: (row, col, text, rowspan, colspan).

    A text spans right over blank slots that have sub-headers below them, and down over slots
    that stay blank to the last header row.
    """
    spans, covered = [], set()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            cs = 1
            while (
                text
                and c + cs < len(row)
                and not row[c + cs]
                and (r, c + cs) not in covered
                and any(below[c + cs] for below in rows[r + 1 :])
            ):
                cs += 1
            rs = 1
            while text and r + rs < len(rows) and not any(rows[r + rs][c : c + cs]):
                rs += 1
            covered |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
            spans.append((r, c, text, rs, cs))
    return spans


def header_cells(rows: list[list[str]]) -> list[Cell]:
    """The header rows as drawn cells, merged as header_spans says."""
    return [Cell(r, c, cell_text(text, header=True), rs, cs, "c", header=True) for r, c, text, rs, cs in header_spans(rows)]


def grid_header(table: SeedTable, style: Style = PLAIN) -> tuple[list[Cell], int]:
    """Return the header cells of a table's grid as a style prints them, and its header row count."""
    cells, nrows = header_cells(table.header), len(table.header)
    if style.merged_headers and nrows == 2 and table.header[0][:2] == ["项目", ""]:
        cells, nrows = three_row_header(cells), 3
    for cell in cells:
        cell.font = style.header_font
        if style.narrow:
            cell.pad = NARROW_HEADER_PAD
        if style.header_overflow and table.number in OVERFLOW_TABLES and cell.text == OVERFLOW_TEXT:
            cell.overflow, cell.align = True, "l"
    return cells, nrows


def three_row_header(cells: list[Cell]) -> list[Cell]:
    """Turn a 项目-headed two-row header into three rows, as many producers print it.

    项目 keeps the first row; the code and name cells under it span the second and third; a column
    group (本年支出) spans the first two rows over its leaves (小计, 基本支出, 项目支出) in the third;
    a column without sub-headers (本年收入合计, 年初结转和结余) spans all three rows.
    """
    for cell in cells:
        if cell.row == 0 and cell.text != "项目":
            cell.rowspan = 3 if cell.rowspan == 2 else 2
        elif cell.row == 1 and cell.col < 2:
            cell.rowspan = 2
        elif cell.row == 1:
            cell.row = 2
    return cells


def body_cells(rows: list[list[str]], first_row: int, style: Style = PLAIN) -> list[Cell]:
    """Return one cell per seed cell; a 合计 label spans the blank cells after it."""
    cells = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            text, cs = row[c], 1
            if text.endswith("合计"):
                while c + cs < len(row) and not row[c + cs]:
                    cs += 1
            text = amount_text(text, style)
            cell = Cell(first_row + r, c, cell_text(text), 1, cs, alignment(text))
            if style.narrow and cell.align == "r":
                cell.pad = NARROW_PAD
            cells.append(cell)
            c += cs
    return cells


def amount_text(text: str, style: Style) -> str:
    """Print a seed amount (万元, thousands separators) in the style's unit and format."""
    if style == PLAIN or not AMOUNT.fullmatch(text):
        return text
    value = Decimal(text.replace(",", "")) * style.scale
    return f"{value:,.2f}" if style.thousands else f"{value:.2f}"


def meta_lines(table: SeedTable, style: Style) -> list[str]:
    """Return the 部门/年度/金额单位 lines of a table in the style's unit."""
    return [f"金额单位：{style.unit}" if line.startswith("金额单位") else line for line in table.meta]


def meta_align(line: str) -> str:
    """部门 left, 金额单位 right, 年度 centred."""
    return "l" if line.startswith("部门") else "r" if line.startswith("金额单位") else "c"


def table_title(table: SeedTable, style: Style) -> list[str]:
    """Return the lines of a table's title as the style prints it."""
    title = table.title
    if style.t09_income and table.number == "09":
        title = title.replace("财政拨款支出决算表", "财政拨款收入支出决算表")
    cut = title.find("财政拨款") + len("财政拨款")
    if style.title_lines and title.find("财政拨款") > 0 and cut < len(title):
        return [title[:cut], title[cut:]]
    return [title]


def alignment(text: str) -> str:
    """Amounts right, 行次/栏次 numbers centred, codes and labels left."""
    if AMOUNT.fullmatch(text):
        return "r"
    if text == "栏次" or (text.isdigit() and len(text) <= 2):
        return "c"
    return "l"


# --------------------------------------------------------------------------- measuring


def width_of(text: str, size: float, font: str = FONT) -> float:
    """Return the printed width of one line of text."""
    return pdfmetrics.stringWidth(text, font, size)


def wrap(text: str, width: float, size: float, balance: bool = False, font: str = FONT) -> list[str]:
    """Break text into lines no wider than width, between any CJK characters, not inside numbers.

    With balance, a CJK text that needs n lines gets lines of even length (功能分类/科目编码).
    """
    lines = []
    for part in text.split("\n"):
        if balance and part and not part.isascii() and width_of(part, size, font) > width:
            n = len(wrap(part, width, size, font=font))
            step = -(-len(part) // n)
            chunks = [part[i : i + step] for i in range(0, len(part), step)]
            if all(width_of(chunk, size, font) <= width for chunk in chunks):
                lines += chunks
                continue
        line = ""
        for ch in part:
            if line and ch not in NO_LINE_START and width_of(line + ch, size, font) > width:
                tail = ""
                word = re.search(r"[\x21-\x7e]+$", line)
                if ch.isascii() and not ch.isspace() and word and word.start() > 0:
                    line, tail = line[: word.start()], word.group()
                lines.append(line.rstrip())
                line = tail + ch
            else:
                line += ch
        lines.append(line)
    return lines


def padding(size: float) -> float:
    """Return the horizontal cell padding (wide enough that neighbour cells' texts stay apart)."""
    return max(3.0, 0.7 * size)


def cell_pad(cell: Cell, size: float) -> float:
    """Return a cell's horizontal padding."""
    return padding(size) if cell.pad is None else cell.pad


def column_widths(
    cells: list[Cell], ncols: int, size: float, width: float, style: Style = PLAIN
) -> list[float] | None:
    """Return column widths filling width, or None if the columns do not fit at this size.

    Narrow amount columns (all as wide as the widest amount) and the header-overflow column keep
    their exact width; the others share
    what is left (a table with no other column is narrower than the page).
    """
    pad = padding(size)
    need = [2 * pad] * ncols
    fixed: dict[int, float] = {}
    amounts = [c for c in cells if style.narrow and c.align == "r" and not c.header and c.colspan == 1]
    for cell in amounts:  # every amount column as wide as the table's widest amount, no wider
        fixed[cell.col] = max(width_of(c.text, size, c.font) for c in amounts) + 2 * NARROW_PAD
    for cell in cells:
        if cell.overflow:
            fixed[cell.col] = OVERFLOW_CHARS * size + 2 * cell_pad(cell, size)
    for c, w in fixed.items():
        need[c] = w

    def wanted(cell: Cell) -> float:
        text = max((width_of(line, size, cell.font) for line in cell.text.split("\n")), default=0.0)
        if cell.header:
            text = min(text, HEADER_CHARS * size)
        elif cell.align == "l" and not cell.text.isdigit():
            text = min(text, LABEL_CHARS * size)
        return text + 2 * cell_pad(cell, size)

    for cell in sorted(cells, key=lambda cell: cell.colspan):
        span = slice(cell.col, cell.col + cell.colspan)
        free = [c for c in range(span.start, span.stop) if c not in fixed]
        short = wanted(cell) - sum(need[span])
        if short > 0 and free:
            for c in free:
                need[c] += short / len(free)
    if sum(need) > width:
        return None
    if not fixed:
        return [n * width / sum(need) for n in need]
    free_need = sum(n for c, n in enumerate(need) if c not in fixed)
    if not free_need:
        return need
    rest = width - sum(fixed.values())
    return [fixed[c] if c in fixed else n * rest / free_need for c, n in enumerate(need)]


def row_heights(cells: list[Cell], nrows: int, widths: list[float], size: float) -> list[float]:
    """Wrap every cell's text into its width and return the row heights that hold it."""
    vpad = 0.25 * size + 0.8
    heights = [size * LEADING + 2 * vpad] * nrows
    for cell in sorted(cells, key=lambda cell: cell.rowspan):
        inner = sum(widths[cell.col : cell.col + cell.colspan]) - 2 * cell_pad(cell, size)
        cell.lines = wrap(cell.text, inner, size, balance=not cell.overflow, font=cell.font)
        inside = len(cell.lines) - 1 if cell.overflow and len(cell.lines) > 1 else len(cell.lines)
        need = inside * size * LEADING + 2 * vpad
        rows = range(cell.row, cell.row + cell.rowspan)
        short = need - sum(heights[r] for r in rows)
        if short > 0:
            heights[rows[-1]] += short
    return heights


def page_size(orientation: str) -> tuple[float, float]:
    """Return the width and height of the drawing area (landscape for rotated pages)."""
    return A4 if orientation == "portrait" else landscape(A4)


def notes_lines(page: TablePage, width: float) -> list[str]:
    """Return the wrapped 注：/说明： lines printed below the grid."""
    if not page.notes:
        return []
    return [line for note in page.table.notes for line in wrap(note, width, NOTE_SIZE)]


@dataclass
class Printed:
    """One line printed around a grid: title, 公开 marker or a 部门/年度/单位 line."""

    role: str  # title | marker | meta | unit (a meta line printed above the title)
    text: str
    font: str
    size: float
    align: str  # l | c | r
    y: float  # baseline, points below the top margin


def heading(page: TablePage) -> tuple[list[Printed], float]:
    """Return what a table page prints above its grid and the height it takes.

    By default: the title, the 公开 marker below it on the right, then the 部门 / 年度 / 金额单位 line
    (HEADING_H).  Excel's order puts the marker and the unit line above the title.  subtitle-tight
    lowers the 部门 line onto the top rule; subtitle-in-grid moves it into the grid.
    """
    if not page.heading:
        return [], 0.0
    style, table = page.style, page.table
    marker = f"公开 {table.number} 表"
    meta = [] if page.subtitle_row() else meta_lines(table, style)
    items: list[Printed] = []
    y = 0.0
    if style.excel_order:
        items.append(Printed("marker", marker, style.title_font, 9, "r", 12.0))
        items += [Printed("unit", line, FONT, 9, "r", 26.0) for line in meta if line.startswith("金额单位")]
        meta = [line for line in meta if not line.startswith("金额单位")]
        y = 30.0
    for k, line in enumerate(table_title(table, style)):
        y += 16.0 if k == 0 else 20.0
        items.append(Printed("title", line, style.title_font, 16, "c", y))
    if not style.excel_order:
        y += 18.0
        items.append(Printed("marker", marker, style.title_font, 9, "r", y))
    if meta:
        y += 16.0
        items += [Printed("meta", line, FONT, 9, meta_align(line), y) for line in meta]
    if style.subtitle == "tight" and meta:  # the grid starts TIGHT_GAP below the line's lowest ink
        return items, y + CJK_DESCENT * 9 + TIGHT_GAP
    return items, y + 10.0


def draw_printed(canvas: Canvas, items: list[Printed], width: float, margin: float, top: float) -> None:
    """Print heading lines at their places."""
    for item in items:
        canvas.setFont(item.font, item.size)
        if item.align == "l":
            canvas.drawString(margin, top - item.y, item.text)
        elif item.align == "r":
            canvas.drawRightString(width - margin, top - item.y, item.text)
        else:
            canvas.drawCentredString(width / 2, top - item.y, item.text)


def grid_area(page: TablePage) -> tuple[float, float, float]:
    """Return the width, top and bottom of the space left for the grid on a table page."""
    (w, h), margin = page_size(page.orientation), MARGIN[page.orientation]
    top = h - margin - heading(page)[1]
    notes = len(notes_lines(page, w - 2 * margin)) * NOTE_LEAD + (6.0 if page.notes else 0.0)
    return w - 2 * margin, top, margin + FOOTER_H + notes


def fit_table(pages: list[TablePage]) -> tuple[float, list[float]]:
    """Return the largest font size and the column widths at which all pages of a table fit."""
    width = grid_area(pages[0])[0]
    first = pages[0]
    whole = TablePage(
        first.table,
        [row for page in pages for row in page.body],
        first.heading,
        True,
        True,
        first.orientation,
        first.style,
    )
    everything = whole.cells()
    ncols = len(pages[0].table.body[0])
    size = MAX_SIZE[pages[0].orientation]
    while size >= MIN_SIZE:
        widths = column_widths(everything, ncols, size, width, first.style)
        if widths and all(fits(page, widths, size) for page in pages):
            return size, widths
        size -= 0.25
    raise ValueError(f"table {pages[0].table.number} does not fit on its page(s)")


def fits(page: TablePage, widths: list[float], size: float) -> bool:
    """Tell whether the page's grid fits its space at this size."""
    _, top, bottom = grid_area(page)
    return sum(row_heights(page.cells(), page.nrows(), widths, size)) <= top - bottom


# --------------------------------------------------------------------------- drawing

# narrative styles: font size, leading, alignment, indent of every line (characters), space before
STYLES = {
    "part": (18.0, 32.0, "c", 0, 0.0),
    "title": (15.0, 28.0, "c", 0, 0.0),
    "head": (11.5, 20.0, "l", 0, 6.0),
    "text": (10.5, 18.0, "l", 0, 0.0),
    "toc-part": (11.5, 21.0, "l", 0, 6.0),
    "toc-item": (10.5, 18.0, "l", 2, 0.0),
}


def start_page(canvas: Canvas, orientation: str) -> tuple[float, float]:
    """Begin a page; return the drawing area, which a rotated page turns to landscape."""
    # reportlab takes the displayed size and swaps the MediaBox of a /Rotate 90 page: portrait here
    canvas.setPageSize(A4 if orientation == "portrait" else landscape(A4))
    canvas.setPageRotation(90 if orientation == "rotated" else 0)
    if orientation == "rotated":  # /Rotate 90 shows the page turned clockwise: draw turned back
        canvas.translate(A4[0], 0)
        canvas.rotate(90)
    return page_size(orientation)


def finish_page(canvas: Canvas, width: float, number: int, margin: float) -> None:
    """Print the page number and close the page."""
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(width / 2, margin - 12, f"- {number} -")
    canvas.showPage()


def draw_cover(canvas: Canvas, seed: Seed) -> None:
    """Draw the cover: department and 部门决算 year in big type."""
    width, height = start_page(canvas, "portrait")
    canvas.setFont(FONT, 26)
    canvas.drawCentredString(width / 2, height * 0.62, seed.department)
    canvas.setFont(FONT, 30)
    canvas.drawCentredString(width / 2, height * 0.62 - 64, f"{seed.year}部门决算")
    canvas.showPage()


def narrative(lines: list[str], toc: bool = False) -> list[tuple[str, str]]:
    """Tag each narrative line with its style."""
    items: list[tuple[str, str]] = []
    for line in lines:
        if re.fullmatch(r"第[一二三四五]部分", line):
            kind = "part"
        elif not items or items[-1][0] == "part":
            kind = "title"
        elif toc:
            kind = "toc-part" if line.startswith("第") else "toc-item"
            line = line.removeprefix("- ")
        elif len(line) <= 30 and not line.endswith("。"):
            kind = "head"
        else:
            kind, line = "text", "\u3000\u3000" + line  # first-line indent, as printed
        items.append((kind, line))
    return items


def draw_narrative(canvas: Canvas, items: list[tuple[str, str]], width: float, height: float) -> int:
    """Flow styled paragraphs down the page; return how many fitted."""
    margin = MARGIN["portrait"]
    y = height - margin
    for k, (kind, text) in enumerate(items):
        size, lead, align, indent, before = STYLES[kind]
        left = margin + indent * size
        lines = wrap(text, width - margin - left, size)
        if y - before - len(lines) * lead < margin + FOOTER_H:
            return k
        y -= before
        canvas.setFont(FONT, size)
        for line in lines:
            y -= lead
            if align == "c":
                canvas.drawCentredString(width / 2, y + (lead - size) / 2, line)
            else:
                canvas.drawString(left, y + (lead - size) / 2, line)
    return len(items)


def runs(slots: list[int]) -> list[tuple[int, int]]:
    """Group sorted slot indexes into (first, last) runs of neighbours."""
    groups: list[tuple[int, int]] = []
    for s in slots:
        if groups and groups[-1][1] == s - 1:
            groups[-1] = (groups[-1][0], s)
        else:
            groups.append((s, s))
    return groups


def draw_grid(
    canvas: Canvas, cells: list[Cell], widths: list[float], heights: list[float], left: float, top: float
) -> None:
    """Rule every cell with thin vector lines, leaving no rule inside a merged cell."""
    xs = [left + sum(widths[:i]) for i in range(len(widths) + 1)]
    ys = [top - sum(heights[:i]) for i in range(len(heights) + 1)]
    nrows, ncols = len(heights), len(widths)
    owner = {}
    for k, cell in enumerate(cells):
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                owner[r, c] = k
    canvas.setLineWidth(0.5)
    for r in range(nrows + 1):
        cut = [c for c in range(ncols) if r in (0, nrows) or owner[r - 1, c] != owner[r, c]]
        for first, last in runs(cut):
            canvas.line(xs[first], ys[r], xs[last + 1], ys[r])
    for c in range(ncols + 1):
        cut = [r for r in range(nrows) if c in (0, ncols) or owner[r, c - 1] != owner[r, c]]
        for first, last in runs(cut):
            canvas.line(xs[c], ys[first], xs[c], ys[last + 1])


def draw_cell_texts(
    canvas: Canvas,
    cells: list[Cell],
    widths: list[float],
    heights: list[float],
    corner: tuple[float, float],
    size: float,
    style: Style = PLAIN,
    run_font: str | None = None,
) -> None:
    """Print every cell's wrapped lines, centred vertically in the cell.

    An overflow cell prints its last line just below its bottom rule; with row runs, a row whose
    cells are all one line is written as one text object.
    """
    lead = size * LEADING
    x0, top = corner
    canvas.setFont(FONT, size)
    current = FONT
    run_rows = whole_rows(cells) if style.row_runs else {}
    for cell in cells:
        if cell.row in run_rows:
            continue
        if cell.font != current:
            canvas.setFont(cell.font, size)
            current = cell.font
        pad = cell_pad(cell, size)
        left = x0 + sum(widths[: cell.col])
        right = left + sum(widths[cell.col : cell.col + cell.colspan])
        height = sum(heights[cell.row : cell.row + cell.rowspan])
        if cell.segments:
            base = (
                top - sum(heights[: cell.row]) - (height - lead) / 2 - lead + (lead - size) / 2 + 0.14 * size
            )
            draw_segments(canvas, cell.segments, left + pad, right - pad, base)
            continue
        inside = cell.lines[:-1] if cell.overflow and len(cell.lines) > 1 else cell.lines
        y = top - sum(heights[: cell.row]) - (height - len(inside) * lead) / 2
        for k, line in enumerate(cell.lines):
            y -= lead
            base = y + (lead - size) / 2 + 0.14 * size
            if k == len(inside):  # the overflowing line: its ink just below the bottom rule
                base = top - sum(heights[: cell.row + cell.rowspan]) - 1.2 - CJK_ASCENT * size
            if cell.align == "l":
                canvas.drawString(left + pad, base, line)
            elif cell.align == "r":
                canvas.drawRightString(right - pad, base, line)
            else:
                canvas.drawCentredString((left + right) / 2, base, line)
    for members in run_rows.values():
        draw_row_run(canvas, members, widths, heights, corner, size, style.row_runs, run_font or FONT)


def draw_segments(
    canvas: Canvas, segments: list[tuple[str, str]], left: float, right: float, base: float
) -> None:
    """Print texts on one line of a cell: left, centred and right-aligned ones."""
    for text, align in segments:
        if align == "l":
            canvas.drawString(left, base, text)
        elif align == "r":
            canvas.drawRightString(right, base, text)
        else:
            canvas.drawCentredString((left + right) / 2, base, text)


def whole_rows(cells: list[Cell]) -> dict[int, list[Cell]]:
    """Return the grid rows whose own cells are all one-line, one-row cells (at least two texts)."""
    rows: dict[int, list[Cell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    return {
        row: sorted(members, key=lambda cell: cell.col)
        for row, members in rows.items()
        if all(c.rowspan == 1 and len(c.lines) <= 1 and not c.segments and not c.overflow for c in members)
        and sum(1 for c in members if c.text) >= 2
    }


def draw_row_run(
    canvas: Canvas,
    members: list[Cell],
    widths: list[float],
    heights: list[float],
    corner: tuple[float, float],
    size: float,
    mode: str,
    font: str,
) -> None:
    """Write one grid row as a single text object, each cell's text placed at its column.

    tj: one BT … ET with one TJ array that moves the pen between cells by numeric offsets (as report
    engines do); spaces: one string whose cells are separated by as many spaces as reach the column.
    font is the page's run font (see run_font), so a row's glyphs share one font subset and the
    row is one text-showing operator.
    """
    lead = size * LEADING
    x0, top = corner
    row = members[0].row
    base = top - sum(heights[: row + 1]) + (heights[row] - lead) / 2 + (lead - size) / 2 + 0.14 * size
    placed: list[tuple[float, str, str, str]] = []  # x, text, font, align
    for cell in members:
        if not cell.lines or not cell.lines[0]:
            continue
        text, pad = cell.lines[0], cell_pad(cell, size)
        left = x0 + sum(widths[: cell.col])
        right = left + sum(widths[cell.col : cell.col + cell.colspan])
        w = width_of(text, size, font)
        x = {"l": left + pad, "r": right - pad - w, "c": (left + right) / 2 - w / 2}[cell.align]
        placed.append((x, text, font, cell.align))
    if mode == "spaces":
        font = placed[0][2]
        space = width_of(" ", size, font)
        line, now = placed[0][1], placed[0][0] + width_of(placed[0][1], size, font)
        for x, text, _, align in placed[1:]:
            gap = (x - now) / space
            n = max(1, math.floor(gap) if align == "r" else math.ceil(gap))
            line += " " * n + text
            now += n * space + width_of(text, size, font)
        canvas.setFont(font, size)
        canvas.drawString(placed[0][0], base, line)
        return
    code = ["BT", f"1 0 0 1 {fp_str(placed[0][0])} {fp_str(base)} Tm"]
    array: list[str] = []
    current: tuple[str, int] | None = None
    now = placed[0][0]

    def flush() -> None:
        if array:
            code.append(f"[{' '.join(array)}] TJ")
            array.clear()

    for x, text, fontname, _ in placed:
        font = pdfmetrics.getFont(fontname)
        if abs(x - now) > 1e-6:
            array.append(fp_str(-(x - now) * 1000 / size))
        for subset, chunk in font.splitString(text, canvas._doc):
            if (fontname, subset) != current:
                flush()
                code.append(f"{font.getSubsetInternalName(subset, canvas._doc)} {fp_str(size)} Tf")
                current = (fontname, subset)
            array.append(f"({canvas._escape(chunk)})")
        now = x + width_of(text, size, fontname)
    flush()
    code.append("ET")
    canvas._code.append(" ".join(code))


def run_font(page: TablePage) -> str | None:
    """Register and return the font a row-runs page writes its rows in, or None.

    reportlab embeds a TrueType font as subsets of 256 glyphs numbered in order of first use, so a
    row's characters would fall into several subsets (a Tf switch, a new text-showing operator) in
    the middle of a row.  A fresh instance of the same font per table, without reportlab's ASCII
    reservation, keeps every character of a table (at most about 200) in one subset.
    """
    if not page.style.row_runs:
        return None
    name = f"{FONT}Runs{page.table.number}"
    if name not in pdfmetrics.getRegisteredFontNames():
        font = TTFont(name, str(FONT_FILES[FONT][0]), asciiReadable=False)
        font.face.name += f"-Runs{page.table.number}".encode()  # reportlab keeps one font per face name
        pdfmetrics.registerFont(font)
    return name


def draw_table_page(canvas: Canvas, page: TablePage, size: float, widths: list[float], number: int) -> None:
    """Draw one table page: heading, ruled grid, notes.

    Excel's order writes the grid, the header texts, the marker and unit line, the body, the notes and
    only then the title and 部门 line.
    """
    width, height = start_page(canvas, page.orientation)
    margin = MARGIN[page.orientation]
    top = height - margin
    style = page.style
    items, heading_h = heading(page)
    if not style.excel_order:
        draw_printed(canvas, items, width, margin, top)
    grid_top = top - heading_h
    cells = page.cells()
    heights = row_heights(cells, page.nrows(), widths, size)
    left = margin + max(0.0, (width - 2 * margin - sum(widths)) / 2)  # a narrow grid is centred
    draw_grid(canvas, cells, widths, heights, left, grid_top)
    if style.excel_order:
        head = [cell for cell in cells if cell.header]
        draw_cell_texts(canvas, head, widths, heights, (left, grid_top), size, style, run_font(page))
        draw_printed(canvas, [i for i in items if i.role in ("marker", "unit")], width, margin, top)
        body = [cell for cell in cells if not cell.header]
        draw_cell_texts(canvas, body, widths, heights, (left, grid_top), size, style, run_font(page))
    else:
        draw_cell_texts(canvas, cells, widths, heights, (left, grid_top), size, style, run_font(page))
    y = grid_top - sum(heights) - 6
    canvas.setFont(FONT, NOTE_SIZE)
    for line in notes_lines(page, width - 2 * margin):
        y -= NOTE_LEAD
        canvas.drawString(margin, y, line)
    if style.excel_order:
        draw_printed(canvas, [i for i in items if i.role in ("title", "meta")], width, margin, top)
    finish_page(canvas, width, number, margin)


# --------------------------------------------------------------------------- document


def table_pages(seed: Seed, layout: str, style: Style = PLAIN) -> list[list[TablePage]]:
    """Return the pages of each table in a layout."""
    groups = []
    for table in seed.tables:
        wide = layout in ("landscape", "rotated") and table.number in WIDE
        orientation = layout if wide else "portrait"
        if layout.startswith("continued") and table.number in CONTINUED:
            head, tail = split_body(table)
            repeat = layout == "continued-repeat-header"
            if repeat and head[0][0] == "栏次":  # repeated like Excel print titles: header and 栏次 rows
                tail = [head[0], *tail]
            groups.append(
                [
                    TablePage(table, head, True, True, False, orientation, style),
                    TablePage(table, tail, False, repeat, True, orientation, style),
                ]
            )
        else:
            body = joined_body(table)
            groups.append([TablePage(table, body, True, True, True, orientation, style)])
    return groups


def build(
    layout: str,
    out: Path,
    seed_path: Path = SEED,
    user_password: str | None = None,
    owner_password: str | None = None,
    style: Style = PLAIN,
) -> list[str]:
    """Write the PDF of one layout; return what each page holds."""
    seed_text = seed_path.read_text(encoding="utf-8")
    register_fonts(seed_text)
    seed = parse_seed(seed_text)
    encrypt = None
    if user_password is not None or owner_password is not None:
        # as government releases do: an owner password forbidding copy/modify, often no user password
        encrypt = StandardEncryption(
            user_password or "", owner_password or "owner", canPrint=1, canModify=0, canCopy=0, canAnnotate=0
        )
    canvas = Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1, encrypt=encrypt)
    canvas.setTitle(f"{seed.department}{seed.year}部门决算")
    draw_cover(canvas, seed)
    contents = ["cover"]
    for lines, toc in ((seed.toc, True), (seed.part1, False)):
        items = narrative(lines, toc)
        while items:
            width, height = start_page(canvas, "portrait")
            done = draw_narrative(canvas, items, width, height)
            if not done:
                raise ValueError(f"paragraph too long for a page: {items[0][1][:20]}")
            finish_page(canvas, width, len(contents), MARGIN["portrait"])
            contents.append("目录" if toc else "第一部分")
            items = items[done:]
    for pages in table_pages(seed, layout, style):
        size, widths = fit_table(pages)
        for k, page in enumerate(pages):
            draw_table_page(canvas, page, size, widths, len(contents))
            contents.append(f"table {page.table.number}" + (" (continued)" if k else ""))
    width, height = start_page(canvas, "portrait")
    draw_narrative(canvas, narrative(seed.part3), width, height)  # one page of it
    finish_page(canvas, width, len(contents), MARGIN["portrait"])
    contents.append("第三部分")
    canvas.save()
    return contents


def build_matrix(outdir: Path, seed_path: Path = SEED) -> list[Path]:
    """Write every producer-matrix file with its sidecar; return the PDFs written."""
    seed = parse_seed(seed_path.read_text(encoding="utf-8"))
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, variants in MATRIX.items():
        style = style_of(variants)
        out = outdir / f"reportlab-{name}.pdf"
        build("one-per-page", out, seed_path, style=style)
        sidecar = {
            "producer": "reportlab",
            "variants": list(variants),
            "unit": style.unit,
            "golden": GOLDEN_NAME,
            "scale": str(style.scale),
            "department": seed.department,
            "fiscal_year": int(re.sub(r"\D", "", seed.year)),
            "generator": f"python samples/make_seed_pdf.py --matrix {outdir.as_posix()}",
        }
        text = json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n"
        out.with_suffix(".json").write_text(text, encoding="utf-8")
        written.append(out)
        print(f"{out}: {', '.join(variants)}")
    return written


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the PDF."""
    parser = argparse.ArgumentParser(description="Render the seed 决算 report text into a ruled PDF.")
    parser.add_argument("--layout", choices=LAYOUTS, default="one-per-page")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        choices=sorted(VARIANTS),
        help="print as another producer does",
    )
    parser.add_argument(
        "--matrix", type=Path, metavar="OUTDIR", help="write the producer-matrix files and sidecars"
    )
    parser.add_argument(
        "--make-font-subset", action="store_true", help="rebuild samples/fonts/ from the system fonts"
    )
    parser.add_argument("--seed", type=Path, default=SEED, help="seed report text")
    parser.add_argument("--user-password", help="encrypt; readers must give this password to open")
    parser.add_argument("--owner-password", help="encrypt with copy/modify restrictions only")
    args = parser.parse_args(argv)
    if args.make_font_subset:
        make_font_subsets()
        return
    if args.matrix is not None:
        build_matrix(args.matrix, args.seed)
        return
    if args.out is None:
        parser.error("--out is required")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pages = build(
        args.layout, args.out, args.seed, args.user_password, args.owner_password, style_of(args.variant)
    )
    for number, what in enumerate(pages, start=1):
        print(f"page {number}: {what}")


if __name__ == "__main__":
    main()
