"""How a producer prints the tables: the reportlab ``Style``, its named variants and the matrix files.

``--variant`` (repeatable) renders the report the way other producers print it (the names in
``VARIANTS``): the 部门/年度/单位 line tight on the top rule or inside the grid as its first ruled row,
header text overflowing below its cell, three-row headers with merged cells centred across the span,
narrow columns whose amounts touch the rules, whole rows written as one text object (TJ-positioned
or space-padded), amounts without thousands separators, amounts in 元, a second embedded CJK font,
titles on two lines, 09 titled 收入支出决算表, Excel's order (unit line above the title, the
title written after the grid's texts), tables without outer side borders (Word's open table styles),
tables ruled between rows only (no vertical rule: columns from the text, ``extract.text_columns``) and
三线表 (ruled above and below the header and at the foot: not read, ``extract.identify.unread_tables``).  ``MATRIX`` names the producer-matrix files
``reportlab-<name>.pdf`` and their variants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .fonts import FONT, SECOND_FONT
from .seed import UNITS


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
    rules: str = "all"  # all | open-sides (no outer side borders) | horizontal (no vertical rule) | three-line

    @property
    def unit(self) -> str:
        """Return the unit the amounts are printed in."""
        return UNITS[self.scale]

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
    "open-sides": {"rules": "open-sides"},
    "horizontal-rules": {"rules": "horizontal"},
    "three-line": {"rules": "three-line"},
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
    "open-sides": ("open-sides", "thousands-separators", "unit-wanyuan"),
    "horizontal-rules": ("horizontal-rules", "plain-amounts", "unit-yuan"),
}


def style_of(variants: list[str] | tuple[str, ...]) -> Style:
    """Return the style that applies the named variants in order."""
    style = PLAIN
    for name in variants:
        style = replace(style, **VARIANTS[name])  # type: ignore[arg-type]
    return style
