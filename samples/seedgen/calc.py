"""The producer matrix as LibreOffice Calc prints it: the seed report as an .xlsx workbook (openpyxl).

A cover sheet, a 目录 sheet and one sheet per 公开 table: title row merged across the table, the
部门/年度/金额单位 row directly above the grid, the multi-row header with merged cells, 栏次 rows,
body rows, thin borders on the grid only, notes under it, print setup (A4, fit to width or to one
page, landscape where chosen, repeated header rows).  One variant types the title into a text box
over an empty title row, as Excel/WPS reports often do: printed at the top as usual, but drawn
after the cells, so the PDF's text has the 部门/单位 line, the column headers and the body before
the title.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .office import (
    A4,
    Grid,
    Variant,
    column_widths,
    cover_lines,
    grid_title,
    grids,
    meta_line,
    metrics,
    orientation,
    title_size,
    toc_lines,
)
from .seed import Seed, tidy

CALC_UNIT = 7.0  # points per column-width unit as LibreOffice prints openpyxl widths (measured)
CALC_PAD = 2.5  # LibreOffice's inner cell margin, points, each side
PAGE_W = {"portrait": A4[0] - 2 * 0.45 * 72, "landscape": A4[1] - 2 * 0.45 * 72}


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
    box = Border(top=thin, bottom=thin) if v.borders == "horizontal" else Border(left=thin, right=thin, top=thin, bottom=thin)

    def font(sz: float = size, bold: bool = False) -> Font:
        return Font(name=v.font, size=sz, bold=bold)

    def height(lines: int, sz: float = size, extra: float = 4.0) -> float:
        return round(lines * m.line * sz + extra, 1)

    # rows: (kind, payload) in print order
    title = grid_title(grid, v)
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
