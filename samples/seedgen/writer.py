"""The producer matrix as LibreOffice Writer prints it: the seed report as a .docx document (python-docx).

Cover, 目录, 第一部分, the nine tables as Word tables (merged header cells, bordered table style, CJK
font on every run incl. ``w:eastAsia``), the title as a centred paragraph and the 部门/年度/单位 line
as a paragraph right above each table, and some of 第三部分.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .office import (
    A4,
    Variant,
    column_widths,
    cover_lines,
    grid_title,
    grids,
    meta_line,
    meta_width,
    metrics,
    orientation,
    toc_lines,
)
from .seed import Seed, amount_text, narrative_kind, tidy

MARGIN_LR = {"portrait": 2.2 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}
MARGIN_TB = {"portrait": 2.5 * 72 / 2.54, "landscape": 1.8 * 72 / 2.54}


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
        if v.borders == "horizontal":
            # rules between the rows only: the table's own borders override the Table Grid style's
            borders = OxmlElement("w:tblBorders")
            for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
                el = OxmlElement(f"w:{side}")
                ruled = side in ("top", "bottom", "insideH")
                el.set(qn("w:val"), "single" if ruled else "nil")
                if ruled:
                    el.set(qn("w:sz"), "4")
                    el.set(qn("w:color"), "000000")
                borders.append(el)
            tbl_pr.append(borders)
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


def narrative(para: Any, lines: list[str], align: Any, page_break: bool = True) -> None:
    """Write 第N部分, its title, headings and body paragraphs (first-line indent of two characters)."""
    kind = None
    for line in lines:
        text = tidy(line)
        kind = narrative_kind(text, kind)
        if kind == "part":
            para(text, 18, True, align.CENTER, page_break=page_break, after=6)
        elif kind == "title":
            para(text, 16, True, align.CENTER, after=12)
        elif kind == "head":
            para(text, 12, True, before=6, after=2, indent_chars=2, first_line=True)
        else:
            p = para(text, 12, align=align.JUSTIFY, indent_chars=2, first_line=True)
            p.paragraph_format.line_spacing = 1.5
