"""The office documents of the producer matrix: variants, font metrics, and each table's grid.

The seed report is laid out the way finance offices lay it out by hand: a grid per 公开 table with
merged header cells, 栏次 rows, 合计 labels spanning their blank cells, amounts scaled and printed as
the ``Variant`` says, columns and rows sized with the font's own advance widths (``Metrics``).
``seedgen.calc`` writes the grids as an .xlsx workbook, ``seedgen.writer`` as a .docx document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from fontTools.ttLib import TTFont

from .seed import (
    TITLE09,
    UNITS,
    WIDE,
    Seed,
    SeedTable,
    amount_text,
    body_spans,
    header_spans,
    joined_body,
    kind_of,
    meta_align,
    scaled_amount,
    split_title,
    table_title,
    tidy,
    unwrap,
)

FONT_FILES = {  # family -> (regular file, index), as fc-match finds them on Debian
    "Noto Sans CJK SC": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "Noto Serif CJK SC": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "WenQuanYi Micro Hei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
}
A4 = (595.3, 841.9)  # points, as the office applications round it


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
    borders: str = "all"  # all | horizontal (a rule under every row, no vertical rule)

    @property
    def unit(self) -> str:
        """Return the unit the amounts are printed in."""
        return UNITS[self.scale]

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
        if self.borders != "all":
            tags.append(f"borders:{self.borders}")
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
    Variant(
        "calc-horizontal-rules",
        "calc",
        "Noto Serif CJK SC",
        thousands=True,
        orientation="portrait",
        borders="horizontal",
    ),
    Variant("writer-noto-serif", "writer", "Noto Serif CJK SC"),
    Variant("writer-horizontal-rules", "writer", "Noto Sans CJK SC", scale=10000, borders="horizontal"),
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


def header_cells(rows: list[list[str]]) -> list[GCell]:
    """Merge header slots as the seed's blank header cells imply (seed.header_spans)."""
    return [GCell(r, c, unwrap(text), "head", rs, cs) for r, c, text, rs, cs in header_spans(rows)]


def stretch(cells: list[GCell], nhead: int) -> list[GCell]:
    """Give a header one more row: every cell reaching the last header row spans one row more."""
    for cell in cells:
        if cell.row + cell.rowspan == nhead:
            cell.rowspan += 1
    return cells


def body_cells(rows: list[list[str]], first: int, scale: int) -> list[GCell]:
    """One cell per seed cell; 合计 labels and 栏次 span the blank cells after them."""
    cells = []
    for r, c, seed_text, cs in body_spans(rows, span_ordinal=True):
        text = unwrap(seed_text)
        kind = kind_of(text)
        value = scaled_amount(text, scale) if kind == "amount" else None
        cells.append(GCell(first + r, c, text, kind, 1, cs, value))
    return cells


def grids(seed: Seed, v: Variant) -> list[Grid]:
    """Return the grid of every table of the seed as the variant prints it."""
    result = []
    for table in seed.tables:
        title = table_title(table, income09=v.title09 == "收入支出")
        meta = [tidy(m) for m in table.meta]
        meta = [m.replace("部门：", v.unit_prefix).replace("万元", v.unit) for m in meta]
        meta.sort(key=lambda m: "lcr".index(meta_align(m)))  # 部门 left, 年度 centre, 单位 right
        head = header_cells(table.header)
        nhead = len(table.header)
        if v.tall_header and nhead == 2:
            head, nhead = stretch(head, nhead), 3
        body = joined_body(table)
        cells = head + body_cells(body, nhead, v.scale)
        result.append(Grid(table, title, meta, nhead, nhead + len(body), len(body[0]), cells))
    return result


def grid_title(grid: Grid, v: Variant) -> str:
    """Return a grid's title, broken after 财政拨款 (a newline) in two-line variants."""
    return "\n".join(split_title(grid.title)) if v.title_two_lines else grid.title


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
        title = grid_title(grid, v)
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
    left = next((m for m in grid.meta if meta_align(m) == "l"), "")
    right = next((m for m in grid.meta if meta_align(m) == "r"), "")
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
