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

Every PDF embeds its font: a subset of WenQuanYi Micro Hei committed as ``samples/fonts/`` (a machine
without CJK fonts, as CI is, must still read the Chinese text).  ``--make-font-subset`` rebuilds that
subset from the system font (Debian ``fonts-wqy-microhei``; needs fontTools, the ``gen`` extra).

Usage::

    python samples/make_seed_pdf.py --layout one-per-page --out samples/changsha_zwfwzx_2020_juesuan.pdf
    python samples/make_seed_pdf.py --make-font-subset
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.pdfencrypt import StandardEncryption
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
}
FONT = "WQYMicroHei"  # every text of every generated PDF
LAYOUTS = ("one-per-page", "landscape", "rotated", "continued-repeat-header", "continued-no-header")
WIDE = {"02", "03", "04", "06", "07", "08"}  # tables the landscape layouts put on landscape pages
CONTINUED = {"02", "03", "04", "06"}  # tables the continued layouts spread over two pages
SPLIT_AFTER = {"02": "2081199", "03": "208"}  # their break (04, 06 break where the seed's page did)

MARGIN = {"portrait": 42.0, "landscape": 26.0, "rotated": 26.0}  # landscape prints use thin margins
HEADING_H = 60.0  # title, 公开 marker and 部门/年度/单位 line above a grid
FOOTER_H = 22.0  # page number
NOTE_SIZE, NOTE_LEAD = 8.0, 11.0
MAX_SIZE = {"portrait": 9.0, "landscape": 10.0, "rotated": 10.0}
MIN_SIZE = 5.5
LEADING = 1.2  # line height / font size inside cells
LABEL_CHARS = 12  # body labels longer than this may wrap inside their cell
HEADER_CHARS = 4  # header texts may wrap down to this many characters a line

AMOUNT = re.compile(r"-?[\d,]+\.\d\d")
CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")  # where the seed shows a wrapped line
NO_LINE_START = set("，。、；：）》”％")


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


@dataclass
class TablePage:
    """One page of a table: which body rows it shows and what is printed around the grid."""

    table: SeedTable
    body: list[list[str]]
    heading: bool  # title, 公开 marker, 部门/年度/单位 line
    header: bool  # the header rows of the grid
    notes: bool  # 注：/说明： below the grid
    orientation: str  # portrait | landscape | rotated

    def cells(self) -> list[Cell]:
        """Return the cells of this page's grid."""
        head = self.table.header if self.header else []
        return header_cells(head) + body_cells(self.body, len(head))

    def nrows(self) -> int:
        """Return the number of grid rows on this page."""
        return (len(self.table.header) if self.header else 0) + len(self.body)


# --------------------------------------------------------------------------- fonts


def register_fonts(text: str = "") -> None:
    """Register the committed font subsets; fail if text has a character they lack."""
    for name, (path, _) in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
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


def header_cells(rows: list[list[str]]) -> list[Cell]:
    """Merge the header slots as the seed's blank header cells imply.

    A text spans right over blank slots that have sub-headers below them, and down over slots
    that stay blank to the last header row.
    """
    cells, covered = [], set()
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
            cells.append(Cell(r, c, cell_text(text, header=True), rs, cs, "c", header=True))
    return cells


def body_cells(rows: list[list[str]], first_row: int) -> list[Cell]:
    """Return one cell per seed cell; a 合计 label spans the blank cells after it."""
    cells = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            text, cs = row[c], 1
            if text.endswith("合计"):
                while c + cs < len(row) and not row[c + cs]:
                    cs += 1
            cells.append(Cell(first_row + r, c, cell_text(text), 1, cs, alignment(text)))
            c += cs
    return cells


def alignment(text: str) -> str:
    """Amounts right, 行次/栏次 numbers centred, codes and labels left."""
    if AMOUNT.fullmatch(text):
        return "r"
    if text == "栏次" or (text.isdigit() and len(text) <= 2):
        return "c"
    return "l"


# --------------------------------------------------------------------------- measuring


def width_of(text: str, size: float) -> float:
    """Return the printed width of one line of text."""
    return pdfmetrics.stringWidth(text, FONT, size)


def wrap(text: str, width: float, size: float, balance: bool = False) -> list[str]:
    """Break text into lines no wider than width, between any CJK characters, not inside numbers.

    With balance, a CJK text that needs n lines gets lines of even length (功能分类/科目编码).
    """
    lines = []
    for part in text.split("\n"):
        if balance and part and not part.isascii() and width_of(part, size) > width:
            n = len(wrap(part, width, size))
            step = -(-len(part) // n)
            chunks = [part[i : i + step] for i in range(0, len(part), step)]
            if all(width_of(chunk, size) <= width for chunk in chunks):
                lines += chunks
                continue
        line = ""
        for ch in part:
            if line and ch not in NO_LINE_START and width_of(line + ch, size) > width:
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


def column_widths(cells: list[Cell], ncols: int, size: float, width: float) -> list[float] | None:
    """Return column widths filling width, or None if the columns do not fit at this size."""
    pad = padding(size)
    need = [2 * pad] * ncols

    def wanted(cell: Cell) -> float:
        text = max((width_of(line, size) for line in cell.text.split("\n")), default=0.0)
        if cell.header:
            text = min(text, HEADER_CHARS * size)
        elif cell.align == "l" and not cell.text.isdigit():
            text = min(text, LABEL_CHARS * size)
        return text + 2 * pad

    for cell in sorted(cells, key=lambda cell: cell.colspan):
        span = slice(cell.col, cell.col + cell.colspan)
        short = wanted(cell) - sum(need[span])
        if short > 0:
            for c in range(span.start, span.stop):
                need[c] += short / cell.colspan
    if sum(need) > width:
        return None
    return [n * width / sum(need) for n in need]


def row_heights(cells: list[Cell], nrows: int, widths: list[float], size: float) -> list[float]:
    """Wrap every cell's text into its width and return the row heights that hold it."""
    pad, vpad = padding(size), 0.25 * size + 0.8
    heights = [size * LEADING + 2 * vpad] * nrows
    for cell in sorted(cells, key=lambda cell: cell.rowspan):
        cell.lines = wrap(
            cell.text, sum(widths[cell.col : cell.col + cell.colspan]) - 2 * pad, size, balance=True
        )
        need = len(cell.lines) * size * LEADING + 2 * vpad
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


def grid_area(page: TablePage) -> tuple[float, float, float]:
    """Return the width, top and bottom of the space left for the grid on a table page."""
    (w, h), margin = page_size(page.orientation), MARGIN[page.orientation]
    top = h - margin - (HEADING_H if page.heading else 0.0)
    notes = len(notes_lines(page, w - 2 * margin)) * NOTE_LEAD + (6.0 if page.notes else 0.0)
    return w - 2 * margin, top, margin + FOOTER_H + notes


def fit_table(pages: list[TablePage]) -> tuple[float, list[float]]:
    """Return the largest font size and the column widths at which all pages of a table fit."""
    width = grid_area(pages[0])[0]
    everything = header_cells(pages[0].table.header) + body_cells(
        [row for page in pages for row in page.body], len(pages[0].table.header)
    )
    ncols = len(pages[0].table.body[0])
    size = MAX_SIZE[pages[0].orientation]
    while size >= MIN_SIZE:
        widths = column_widths(everything, ncols, size, width)
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
) -> None:
    """Print every cell's wrapped lines, centred vertically in the cell."""
    pad, lead = padding(size), size * LEADING
    x0, top = corner
    canvas.setFont(FONT, size)
    for cell in cells:
        left = x0 + sum(widths[: cell.col])
        right = left + sum(widths[cell.col : cell.col + cell.colspan])
        height = sum(heights[cell.row : cell.row + cell.rowspan])
        y = top - sum(heights[: cell.row]) - (height - len(cell.lines) * lead) / 2
        for line in cell.lines:
            y -= lead
            base = y + (lead - size) / 2 + 0.14 * size
            if cell.align == "l":
                canvas.drawString(left + pad, base, line)
            elif cell.align == "r":
                canvas.drawRightString(right - pad, base, line)
            else:
                canvas.drawCentredString((left + right) / 2, base, line)


def draw_table_page(canvas: Canvas, page: TablePage, size: float, widths: list[float], number: int) -> None:
    """Draw one table page: heading, ruled grid, notes."""
    width, height = start_page(canvas, page.orientation)
    margin = MARGIN[page.orientation]
    top = height - margin
    if page.heading:
        canvas.setFont(FONT, 16)
        canvas.drawCentredString(width / 2, top - 16, page.table.title)
        canvas.setFont(FONT, 9)
        canvas.drawRightString(width - margin, top - 34, f"公开 {page.table.number} 表")
        for meta in page.table.meta:
            if meta.startswith("部门"):
                canvas.drawString(margin, top - 50, meta)
            elif meta.startswith("金额单位"):
                canvas.drawRightString(width - margin, top - 50, meta)
            else:
                canvas.drawCentredString(width / 2, top - 50, meta)
        top -= HEADING_H
    cells = page.cells()
    heights = row_heights(cells, page.nrows(), widths, size)
    draw_grid(canvas, cells, widths, heights, margin, top)
    draw_cell_texts(canvas, cells, widths, heights, (margin, top), size)
    y = top - sum(heights) - 6
    canvas.setFont(FONT, NOTE_SIZE)
    for line in notes_lines(page, width - 2 * margin):
        y -= NOTE_LEAD
        canvas.drawString(margin, y, line)
    finish_page(canvas, width, number, margin)


# --------------------------------------------------------------------------- document


def table_pages(seed: Seed, layout: str) -> list[list[TablePage]]:
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
                    TablePage(table, head, heading=True, header=True, notes=False, orientation=orientation),
                    TablePage(table, tail, heading=False, header=repeat, notes=True, orientation=orientation),
                ]
            )
        else:
            body = joined_body(table)
            groups.append(
                [TablePage(table, body, heading=True, header=True, notes=True, orientation=orientation)]
            )
    return groups


def build(
    layout: str,
    out: Path,
    seed_path: Path = SEED,
    user_password: str | None = None,
    owner_password: str | None = None,
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
    for pages in table_pages(seed, layout):
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


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the PDF."""
    parser = argparse.ArgumentParser(description="Render the seed 决算 report text into a ruled PDF.")
    parser.add_argument("--layout", choices=LAYOUTS, default="one-per-page")
    parser.add_argument("--out", type=Path)
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
    if args.out is None:
        parser.error("--out is required")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pages = build(args.layout, args.out, args.seed, args.user_password, args.owner_password)
    for number, what in enumerate(pages, start=1):
        print(f"page {number}: {what}")


if __name__ == "__main__":
    main()
