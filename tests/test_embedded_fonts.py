"""Every PDF the project generates embeds its fonts, so its Chinese text reads on any machine.

A PDF that names a CJK font without embedding it (reportlab's STSong-Light) depends on the fonts of
the machine reading it: on a machine without CJK fonts (CI: ``fc-list :lang=zh`` is empty) pdfium
returned no Chinese text for some pages.  These checks read only the PDFs themselves (pdfium's view
of each text object's font and the text layer), never the machine's fonts.
"""

from __future__ import annotations

import ctypes
import json
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from extract.pdf import MIN_ROW_RULED_PATHS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "samples" / "make_seed_pdf.py"
GENERATED = sorted(
    [
        *(ROOT / "samples").glob("changsha_*.pdf"),
        *(ROOT / "tests" / "data" / "seed_layouts").glob("*.pdf"),
        *(ROOT / "tests" / "data" / "producers").glob("*.pdf"),
    ]
)
CJK = re.compile(r"[\u4e00-\u9fff]")
RULED = MIN_ROW_RULED_PATHS  # a table ruled between its rows only draws as few as four lines


def font_name(font: object) -> str:
    """Return a font's base name as pdfium reports it."""
    buf = ctypes.create_string_buffer(256)
    pdfium_c.FPDFFont_GetBaseFontName(font, buf, len(buf))
    return buf.value.decode("latin-1")


def page_fonts(page: pypdfium2.PdfPage) -> dict[str, bool]:
    """Return {font name: embedded} for every text object of a page (form XObjects included)."""
    fonts: dict[str, bool] = {}
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        assert font, "a text object without a font"
        name = font_name(font)
        fonts[name] = fonts.get(name, True) and bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return fonts


def ruled(page: pypdfium2.PdfPage) -> bool:
    """Tell whether the page draws a ruled grid (vector paths)."""
    return sum(1 for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH])) >= RULED


def flowing(path: Path) -> bool:
    """Whether a matrix PDF flows its tables from page to page (a browser's print): a page may hold only the
    end of a table (no title on it), several tables share a page."""
    sidecar = path.with_suffix(".json")
    if not sidecar.exists():
        return False
    variants = json.loads(sidecar.read_text(encoding="utf-8"))["variants"]
    return "reprinted-by:chromium" in variants


def check_pdf(path: Path) -> None:
    """Assert every font of every page is embedded and every table page reads as Chinese text."""
    flows = flowing(path)
    pdf = pypdfium2.PdfDocument(path)
    try:
        tables = 0
        for i in range(len(pdf)):
            page = pdf[i]
            fonts = page_fonts(page)
            assert all(fonts.values()), f"{path.name} page {i + 1}: fonts not embedded: {fonts}"
            text = page.get_textpage().get_text_range()
            assert "\ufffd" not in text, f"{path.name} page {i + 1}: unmapped glyphs"
            if fonts:
                assert CJK.search(text), f"{path.name} page {i + 1}: no Chinese text"
            if ruled(page):
                tables += 1
                assert len(CJK.findall(text)) >= 10 and ("表" in text or flows), (
                    f"{path.name} page {i + 1}: {text[:80]!r}"
                )
        assert tables >= (5 if flows else 9), f"{path.name}: {tables} ruled table pages, expected the nine tables"
    finally:
        pdf.close()


def test_the_generated_pdfs_are_all_here() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in GENERATED}
    assert "samples/changsha_zwfwzx_2020_juesuan.pdf" in names
    assert {f"tests/data/seed_layouts/{n}.pdf" for n in ("landscape", "rotated")} <= names


@pytest.mark.parametrize("path", GENERATED, ids=[p.relative_to(ROOT).as_posix() for p in GENERATED])
def test_every_font_is_embedded_and_every_table_page_reads_as_chinese(path: Path) -> None:
    check_pdf(path)


def test_the_generator_embeds_its_font(tmp_path: Path) -> None:
    """A freshly generated PDF (not only the committed ones) embeds the committed font subset."""
    out = tmp_path / "rotated.pdf"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--layout", "rotated", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    check_pdf(out)
    pdf = pypdfium2.PdfDocument(out)
    try:
        names = {name for i in range(len(pdf)) for name in page_fonts(pdf[i])}
    finally:
        pdf.close()
    assert names and all("WenQuanYi" in name for name in names), names
