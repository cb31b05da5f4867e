"""Rulings read from pdfium path objects give camelot's own vector-lattice grids, without its text layout."""

from __future__ import annotations

import warnings
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from extract.grids import LAYOUT_KWARGS, read_grids, triage
from extract.pdf import read_pages
from extract.rulings import grids_of, page_rulings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
#: one document per producer: reportlab (rotated pages), ONLYOFFICE, WPS 文字, WPS 表格, Word 2007, Excel 2010,
#: LibreOffice Calc, LibreOffice Writer, Acrobat Distiller (rotated pages)
PRODUCERS = [
    DATA / "seed_layouts" / "rotated.pdf",
    DATA / "pdfs" / "shanghai_template_dept-juesuan_2024_TEMPLATE.pdf",
    DATA / "real" / "shanghai-putuo_justice-bureau_2026_yusuan_dept.pdf",
    DATA / "real" / "jiangsu_high-court_2018_yusuan.pdf",
    DATA / "real" / "jiangsu_cppcc-office_2018_yusuan_tables.pdf",
    DATA / "producers" / "calc-serif-yuan-landscape.pdf",
    DATA / "producers" / "writer-noto-serif.pdf",
    DATA / "real" / "jiangsu_npc-standing-committee-office_2019_yusuan_tables.pdf",
]


def edge_flags(cell) -> int:  # noqa: ANN001 - a camelot Cell
    return (1 if cell.left else 0) | (2 if cell.right else 0) | (4 if cell.top else 0) | (8 if cell.bottom else 0)


@pytest.mark.parametrize("pdf", PRODUCERS, ids=[p.stem for p in PRODUCERS])
def test_grids_equal_camelots_vector_lattice(pdf: Path) -> None:
    import camelot

    pages = read_pages(pdf, pdf.name)
    vector, _ = triage(pages)
    ours, _ = read_grids(pdf, vector, parallel=False, pages=pages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = camelot.read_pdf(
            str(pdf), pages=",".join(map(str, vector)), flavor="lattice", engine="vector", layout_kwargs=LAYOUT_KWARGS
        )
    assert [(g.page, g.n_rows, g.n_cols) for g in ours] == [(int(t.page), len(t.rows), len(t.cols)) for t in theirs]
    for grid, table in zip(ours, theirs, strict=True):
        assert grid.edges == tuple(tuple(edge_flags(c) for c in row) for row in table.cells), grid.page
        # boxes match camelot's cell coordinates within half a point (pdfium bounds include half the stroke)
        height = pdfium.PdfDocument(str(pdf))[grid.page - 1].get_size()[1]
        first = table.cells[0][0]
        assert grid.boxes[0][0][0] == pytest.approx(first.x1, abs=0.5)
        assert grid.boxes[0][0][1] == pytest.approx(height - first.y2, abs=0.5)


def test_a_partial_header_rule_camelot_misses_is_found() -> None:
    # Acrobat Distiller page: a short rule splits "功能分类 | 支出用途" from "功能科目名称 | 金额" on the right side only
    pdf = DATA / "real" / "jiangsu_cpc-provincial-committee-office_2019_yusuan_tables.pdf"
    page = pdfium.PdfDocument(str(pdf))[0]
    (table,) = grids_of(page_rulings(page))
    assert len(table.rows) == 27
    grids, _ = read_grids(pdf, [1], parallel=False)
    assert grids[0].cells[1][2] == "功能分类" and grids[0].cells[2][2] == "功能科目名称"


def test_borders_drawn_as_one_path_of_thin_filled_rectangles_are_rulings(tmp_path: Path) -> None:
    # Word-style: every border of the table is a thin filled rectangle, all of them sub-paths of ONE path
    from reportlab.pdfgen.canvas import Canvas

    pdf = tmp_path / "one-path.pdf"
    canvas = Canvas(str(pdf), pagesize=(300, 200))
    xs, ys = (20, 120, 220), (20, 60, 100, 140)
    path = canvas.beginPath()
    for x in xs:
        path.rect(x - 0.25, ys[0], 0.5, ys[-1] - ys[0])
    for y in ys:
        path.rect(xs[0], y - 0.25, xs[-1] - xs[0], 0.5)
    canvas.drawPath(path, stroke=0, fill=1)
    for r, y in enumerate(ys[:-1]):
        for c, x in enumerate(xs[:-1]):
            canvas.drawString(x + 10, y + 15, f"{r}{c}.00")
    canvas.showPage()
    canvas.save()
    grids, _ = read_grids(pdf, [1], parallel=False)
    assert len(grids) == 1
    # y grows upwards in the PDF: the bottom row was drawn first
    assert grids[0].cells == (("20.00", "21.00"), ("10.00", "11.00"), ("00.00", "01.00"))


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_a_table_drawn_rotated_on_an_unrotated_page_reads_as_printed(tmp_path: Path, angle: int) -> None:
    # some producers print a landscape table turned on a portrait page without /Rotate: text runs top to bottom
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(TTFont("WQY", str(ROOT / "samples" / "fonts" / "wqy-microhei-subset.ttf")))
    pdf = tmp_path / f"turned-{angle}.pdf"
    canvas = Canvas(str(pdf), pagesize=(400, 600))
    canvas.translate(200, 300)
    canvas.rotate(angle)
    canvas.translate(-250, -150)
    canvas.setFont("WQY", 10)
    canvas.drawString(40, 270, "部门：测试单位 金额单位：万元")
    xs, ys = (40, 160, 280, 400), (60, 100, 140, 180, 220, 260)
    for x in xs:
        canvas.line(x, ys[0], x, ys[-1])
    for y in ys:
        canvas.line(xs[0], y, xs[-1], y)
    rows = (("项目", "决算数", "预算数"), ("合计", "12.50", "13.00"), ("201", "12.50", "13.00"),
            ("20101", "2.50", "3.00"), ("20102", "10.00", "10.00"))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            canvas.drawString(xs[c] + 5, ys[-1] - 28 - 40 * r, text)
    canvas.showPage()
    canvas.save()
    pages = read_pages(pdf, pdf.name)
    assert pages[0].text.startswith("部门：")
    vector, raster = triage(pages)
    grids, _ = read_grids(pdf, vector, raster, parallel=False, pages=pages)
    assert [g.cells for g in grids] == [rows]
