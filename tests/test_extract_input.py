"""Awkward input at the PDF layer: encryption, scans, garbled fonts, and arbitrary grids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from extract.cells import RADICAL_IDEOGRAPHS
from extract.models import CellGrid, RawTable
from extract.pdf import (
    DocumentReadError,
    check_text_layer,
    needs_ocr,
    read_pages,
    text_is_garbled,
    unreadable_share,
)
from tests.extraction import stage_pdf
from tests.golden import load_golden, score
from transform.normalize import stage_table

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "samples" / "make_seed_pdf.py"


def _seed_pdf(out: Path, *args: str) -> Path:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), *args], check=True, capture_output=True)
    return out


def test_owner_password_only_pdf_is_opened_and_read_completely(tmp_path: Path) -> None:
    pdf = _seed_pdf(tmp_path / "restricted.pdf", "--owner-password", "no-copy")
    _, staged = stage_pdf(pdf)
    misses, extras = score(load_golden("changsha_zwfwzx_2020_juesuan.json"), staged.cells.to_dict("records"))
    assert not misses and not extras


def test_user_password_pdf_fails_with_that_reason(tmp_path: Path) -> None:
    pdf = _seed_pdf(tmp_path / "locked.pdf", "--user-password", "secret")
    with pytest.raises(DocumentReadError, match=r"locked\.pdf: encrypted with a user password"):
        read_pages(pdf, pdf.name)


def test_scanned_page_without_text_layer_is_named(tmp_path: Path) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    image = tmp_path / "scan.png"
    Image.new("L", (400, 560), 255).save(image)
    pdf = tmp_path / "scanned.pdf"
    canvas = Canvas(str(pdf), pagesize=A4)
    canvas.setFont("STSong-Light", 20)
    canvas.drawString(100, 700, "长沙市政务服务中心2020年度部门决算")
    canvas.showPage()
    canvas.drawImage(str(image), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()
    pages = read_pages(pdf, pdf.name)
    with pytest.raises(DocumentReadError, match=r"scanned\.pdf, page 2: no text layer on page 2 \(scanned\?\)"):
        check_text_layer(pages, pdf.name)


def test_garbled_glyphs_count_as_no_text_layer() -> None:
    assert text_is_garbled("(cid:12)(cid:34)(cid:56) 收入")
    assert text_is_garbled("\ufffd\ufffd\ufffd\ufffd支出")
    assert not text_is_garbled("收入支出决算总表 (cid:1)")


def test_fonts_without_a_unicode_map_count_as_no_text_layer() -> None:
    # printed to PostScript and distilled back (pdf2ps + ps2pdf, samples/seedgen/reprint.py): the fonts lose
    # their ToUnicode maps and the text layer decodes to glyph codes (control characters, stray letters)
    distilled = ROOT / "tests" / "data" / "pdfs" / "ghostscript-distilled-writer.pdf"
    pages = read_pages(distilled, distilled.name)
    assert all(needs_ocr(p) for p in pages)
    assert text_is_garbled("\x12\x14\x12[\x12\\@]\"#^_`cb d cb efghi 123'( [ e[fh j h +Bm'( [f")
    assert not text_is_garbled("2,846.52 1,195.64 0.00 \x0c 1,637.71 6.54 1.54 5.00 6.64 \x02")  # a stray control


def test_no_page_of_a_document_with_a_text_layer_counts_as_garbled() -> None:
    documents = [*sorted((ROOT / "tests" / "data" / "producers").glob("*.pdf")), *sorted((ROOT / "samples").glob("*.pdf"))]
    assert len(documents) > 20
    for pdf in documents:
        assert not [p.number for p in read_pages(pdf, pdf.name) if needs_ocr(p)], pdf.name


cell_text = st.one_of(
    st.sampled_from(["", "合计", "201", "06", "01", "2,846.52", "0.00", "-", "项目", "科目名称", "栏次", "1", "本年支出", "类"]),
    st.text(max_size=6),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(cell_text, min_size=n, max_size=n), min_size=1, max_size=6)))
def test_normaliser_never_crashes_on_arbitrary_grids(rows: list[list[str]]) -> None:
    grid = CellGrid(page=3, cells=tuple(tuple(r) for r in rows))
    staged = stage_table(RawTable("03", "", (3,), (grid,), "万元"), "万元")
    assert len(staged.cells) <= sum(len(r) for r in rows)


def test_a_page_whose_body_font_has_no_map_counts_as_garbled_though_its_headers_read() -> None:
    mixed = ROOT / "tests" / "data" / "pdfs" / "writer-body-font-without-unicode-map.pdf"
    pages = read_pages(mixed, mixed.name)
    assert sum(needs_ocr(p) for p in pages) >= 12
    assert unreadable_share("收入支出决算总表 ¬\xad¤¯°B C¯CC") > 0.25 and unreadable_share("“三公”经费 3×4 ·") == 0.0


def test_radicals_a_font_map_names_for_ideographs_read_as_the_ideographs() -> None:
    # cairo rewriting a Chromium print maps the glyphs of 入 支 目 行 金 to Kangxi radicals (⼊ ⽀ ⽬ ⾏ ⾦), as many
    # published PDFs do: the characters read are the ideographs, in the page text and in every cell
    rewritten = ROOT / "tests" / "data" / "producers" / "cairo-chromium-radicals.pdf"
    raw = pypdfium2.PdfDocument(rewritten)[2].get_textpage().get_text_range()
    assert any(0x2F00 <= ord(ch) <= 0x2FD5 for ch in raw)
    pages = read_pages(rewritten, rewritten.name)
    assert not [p.number for p in pages if any(0x2E80 <= ord(c.text) <= 0x2FDF for c in p.chars)]
    assert "收入" in pages[2].text and "项目" in pages[2].text
    assert "⼀⼆⾦⻓⻔".translate(RADICAL_IDEOGRAPHS) == "一二金长门"
