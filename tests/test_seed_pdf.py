"""Tests of samples/make_seed_pdf.py, the generator of the seed report PDFs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest

from extract.models import TABLE_TITLES

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "samples" / "make_seed_pdf.py"
GOLDEN = ROOT / "tests" / "data" / "golden" / "changsha_zwfwzx_2020_juesuan.json"
COMMITTED = {
    "one-per-page": ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf",
    **{
        layout: ROOT / "tests" / "data" / "seed_layouts" / f"{layout}.pdf"
        for layout in ("landscape", "rotated", "continued-repeat-header", "continued-no-header")
    },
}
#: the nine standard titles the generator must print
TITLES = TABLE_TITLES
# short header texts (never wrapped: pdfium orders a wrapped cell's lines among its neighbours' text)
HEADERS = [
    "项目",
    "行次",
    "金额",
    "栏次",
    "科目名称",
    "决算数",
    "预算数",
    "小计",
    "基本支出",
    "项目支出",
    "本年收入",
]


def generate(layout: str, out: Path) -> dict[int, str]:
    """Run the generator's CLI; return its page map {page number: what the page holds}."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--layout", layout, "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {int(n): what for n, what in re.findall(r"page (\d+): (.+)", done.stdout)}


def page_texts(path: Path) -> list[str]:
    """Return the text layer of every page, read with pdfium."""
    pdf = pypdfium2.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.fixture(scope="module", params=list(COMMITTED))
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """Generate one layout into a temporary folder."""
    out = tmp_path_factory.mktemp("seed") / f"{request.param}.pdf"
    return request.param, out, generate(request.param, out)


def test_writes_a_valid_pdf(generated: tuple) -> None:
    layout, out, pages = generated
    assert out.read_bytes().startswith(b"%PDF-")
    assert len(page_texts(out)) == len(pages)
    tables = [what for what in pages.values() if what.startswith("table")]
    assert sorted({what.split()[1] for what in tables}) == sorted(TITLES)
    expected = 13 if layout in ("one-per-page", "landscape", "rotated") else 17
    assert len(pages) == expected


def test_text_layer_carries_titles_and_headers(generated: tuple) -> None:
    _, out, _ = generated
    text = "".join(page_texts(out))
    assert "\ufffd" not in text
    assert "(cid:" not in text
    flat = re.sub(r"\s+", "", text)
    for number, title in TITLES.items():
        assert title in flat
        assert f"公开{number}表" in flat
    for header in HEADERS:
        assert header in flat
    assert "人员经费合计" in flat and "公用经费合计" in flat
    assert "部门：长沙市政务服务中心" in flat
    assert "金额单位：万元" in flat
    assert "长沙市政务服务中心" in flat and "2020年度部门决算" in flat


def test_regenerating_gives_the_committed_page_count(generated: tuple) -> None:
    layout, out, _ = generated
    assert len(page_texts(out)) == len(page_texts(COMMITTED[layout]))


def test_rotated_layout_uses_rotate_90_on_portrait_pages() -> None:
    pdf = pypdfium2.PdfDocument(COMMITTED["rotated"])
    try:
        rotations = {pdf[i].get_rotation() for i in range(len(pdf))}
        widths = {round(pdf[i].get_mediabox()[2]) for i in range(len(pdf))}
    finally:
        pdf.close()
    assert rotations == {0, 90}
    assert widths == {595}


@pytest.mark.parametrize("layout", list(COMMITTED))
def test_camelot_finds_one_grid_per_table_page_with_every_golden_amount(layout: str, tmp_path: Path) -> None:
    camelot = pytest.importorskip("camelot")
    pages = generate(layout, tmp_path / "map.pdf")
    table_of = {n: what.split()[1] for n, what in pages.items() if what.startswith("table")}
    found = camelot.read_pdf(str(COMMITTED[layout]), pages="all", flavor="lattice", engine="vector")
    by_page: dict[int, list] = {}
    for table in found:
        by_page.setdefault(int(table.page), []).append(table)
    assert set(by_page) == set(table_of)
    texts: dict[str, set[str]] = {}
    for page, tables in by_page.items():
        assert len(tables) == 1, page
        texts.setdefault(table_of[page], set()).update(tables[0].df.to_numpy().ravel().tolist())
    cells = json.loads(GOLDEN.read_text(encoding="utf-8"))["cells"]
    missing = [c for c in cells if f"{float(c['amount']):,.2f}" not in texts[c["table"]]]
    assert not missing


def test_merged_headers_land_in_the_top_left_cell() -> None:
    camelot = pytest.importorskip("camelot")
    found = camelot.read_pdf(str(COMMITTED["one-per-page"]), pages="4,10", flavor="lattice", engine="vector")
    t01, t07 = (table.df.to_numpy().tolist() for table in found)
    assert t01[0] == ["收入", "", "", "支出", "", ""]
    assert t01[-1] == ["总计", "31", "2,847.27", "总计", "62", "2,847.27"]
    assert t07[0][0] == "预算数" and t07[0][6] == "决算数"
    assert t07[0][1:6] == [""] * 5
    assert t07[1][2] == "公务用车购置及运行费" and t07[1][3:5] == ["", ""]
    assert t07[-1][0] == "9.70"
