"""The report site (`fiscal site`): every outline on its printed cell, the pages, offline assets, incremental rebuilds.

The outline check reads the text inside every amount's ``data-bbox`` on its ``data-page`` with pdfplumber
(``crop(...).extract_text()``: another PDF library than the pdfium characters the cells were read from)
and compares it with the amount, for every fact of the two samples and every cell of the rotated-page
layout (pages with /Rotate 90: the boxes are in the page as displayed, as pdfplumber reads it too).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from tests.test_site_common import BuiltSite, amount_cells, build_sample_site, copy_site
from warehouse.site import build_site
from warehouse.site.data import department_slug, document_slug
from warehouse.steward import retract_document

CHANGSHA, PUTUO = "长沙市政务服务中心", "上海市普陀区财政局"
FACTS = {"changsha_zwfwzx_2020_juesuan.pdf": 478, "shanghai-putuo_finance-bureau_2024_juesuan.pdf": 195}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_sample_site(tmp_path_factory.mktemp("site"))


def _printed_number(text: str) -> Decimal | None:
    """The amount printed in a cell's text: separators and whitespace removed."""
    cleaned = re.sub(r"[\s,，]", "", text)
    try:
        return Decimal(cleaned)
    except ArithmeticError:
        return None


def _centre_in(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _check_outlines(built: BuiltSite, sha: str) -> tuple[int, list[str]]:
    """Read every amount cell of a document's page from the PDF inside its box; the count and the mismatches."""
    cells = amount_cells(built.folder / "documents" / f"{document_slug(sha)}.html").amounts
    wrong: list[str] = []
    with pdfplumber.open(built.pdfs[sha]) as pdf:
        for cell in cells:
            assert cell["data-doc"] == sha
            page = pdf.pages[int(cell["data-page"]) - 1]
            x0, top, x1, bottom = (float(v) for v in cell["data-bbox"].split(","))
            # a glyph's box (font ascent to descent) may reach into the next row and crop() clips boxes to
            # the crop: a character belongs to the cell its centre (unclipped) lies in, as the eye reads it
            box = (x0, top, x1, bottom)
            text = (
                page.filter(lambda o, b=box: o.get("object_type") != "char" or _centre_in(o, b))
                .crop(box)
                .extract_text()
            )
            if _printed_number(text) != Decimal(cell["data-amount"]):
                wrong.append(f"page {cell['data-page']} box {cell['data-bbox']}: pdf {text!r} site {cell['data-amount']}")
    return len(cells), wrong


@pytest.mark.parametrize("name", sorted(FACTS))
def test_every_outline_of_a_sample_sits_on_its_printed_amount(site: BuiltSite, name: str) -> None:
    sha = next(s for s, p in site.pdfs.items() if p.name == name)
    count, wrong = _check_outlines(site, sha)
    assert count == FACTS[name]  # every fact of the sample is on its document page
    assert not wrong, f"{len(wrong)} of {count} outlines miss their amount:\n" + "\n".join(wrong[:20])


def test_every_outline_of_the_rotated_layout_sits_on_its_printed_amount(site: BuiltSite) -> None:
    with pdfplumber.open(site.pdfs[site.rotated_sha]) as pdf:
        assert {p.rotation for p in pdf.pages} == {0, 90}
        rotated_pages = {n + 1 for n, p in enumerate(pdf.pages) if p.rotation == 90}
    count, wrong = _check_outlines(site, site.rotated_sha)
    assert count == site.rotated_cells
    cells = amount_cells(site.folder / "documents" / f"{document_slug(site.rotated_sha)}.html").amounts
    assert {int(c["data-page"]) for c in cells} & rotated_pages  # the check covers turned pages
    assert not wrong, f"{len(wrong)} of {count} outlines miss their amount:\n" + "\n".join(wrong[:20])


def test_page_images_are_rendered_once_in_the_displayed_frame(site: BuiltSite) -> None:
    folder = site.folder / "pages" / document_slug(site.rotated_sha)
    sizes = json.loads((folder / "sizes.json").read_text())
    with pdfplumber.open(site.pdfs[site.rotated_sha]) as pdf:
        for page, (width, height) in sizes.items():
            shown = pdf.pages[int(page) - 1]
            assert (round(shown.width), round(shown.height)) == (round(width), round(height))
    assert site.result.pages_rendered == sum(
        len(json.loads(p.read_text())) for p in (site.folder / "pages").glob("*/sizes.json")
    )
    again = build_site(site.engine, site.folder, site.raw_dir, site.quarantine_dir)
    assert (again.pages_rendered, again.departments_built, again.documents_built) == (0, 0, 0)


def test_index_lists_departments_with_status_facts_and_search(site: BuiltSite) -> None:
    html = (site.folder / "index.html").read_text(encoding="utf-8")
    for name in (CHANGSHA, PUTUO):
        assert name in html
        assert f'departments/{department_slug(name)}.html' in html
    assert 'id="search"' in html and "data-search=" in html
    assert "loaded 1" in html and "quarantined 1" in html
    assert f"{sum(FACTS.values())} 个金额" in html


def test_pages_are_offline_and_load_data_as_scripts(site: BuiltSite) -> None:
    pages = [site.folder / "index.html", site.folder / "quality.html", *(site.folder / "departments").glob("*.html"),
             *(site.folder / "documents").glob("*.html")]  # fmt: skip
    assert len(pages) == 2 + 2 + 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert sources and not [s for s in sources if "//" in s], f"{page.name} loads {sources}"
        assert "fetch(" not in html
    assert (site.folder / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert "fetch(" not in (site.folder / "assets" / "site.js").read_text()
    assert len(list(site.folder.rglob("plotly.min.js"))) == 1


def test_department_page_charts_are_in_wan_yuan(site: BuiltSite) -> None:
    slug = department_slug(PUTUO)
    html = (site.folder / "departments" / f"{slug}.html").read_text(encoding="utf-8")
    script = (site.folder / "data" / f"{slug}.js").read_text(encoding="utf-8")
    charts = json.loads(script[script.index("{", script.index("||")) + 0 : script.rindex(")")].split(",", 1)[1])
    assert {"sunburst", "bar", "basic_project", "economic", "three_public", "execution", "timeline"} <= set(charts)
    for key in ("bar", "basic_project", "economic", "three_public", "execution"):
        layout = charts[key]["layout"]
        axis = layout.get("yaxis", {}).get("title", {}).get("text", "") + layout.get("xaxis", {}).get("title", {}).get("text", "")
        assert "万元" in axis, key
    for key in charts:
        assert f'data-chart="{key}"' in html
    # the sunburst's 类 201 is table 03's printed total for it, in 万元
    sunburst = charts["sunburst"]["data"][0]
    index = sunburst["ids"].index("201")
    assert sunburst["customdata"][index] == "2,106.66"


def test_document_page_tables_as_printed(site: BuiltSite) -> None:
    sha = next(s for s, p in site.pdfs.items() if p.name.startswith("shanghai"))
    html = (site.folder / "documents" / f"{document_slug(sha)}.html").read_text(encoding="utf-8")
    assert html.count('class="grid printed"') >= 9
    assert "2010601" in html and "行政运行" in html and "本年支出合计" in html
    assert f'href="../pdf/{document_slug(sha)}.pdf"' in html and (site.folder / "pdf" / f"{document_slug(sha)}.pdf").exists()


def test_quarantined_document_shows_its_failures_on_their_cells(site: BuiltSite) -> None:
    page = site.folder / "documents" / f"{document_slug(site.rotated_sha)}.html"
    html = page.read_text(encoding="utf-8")
    assert 'id="quarantine-banner"' in html and "其金额不在数据仓库中" in html
    # the failure stands beside its table, and its cell is marked in the table
    assert 'class="side-findings"' in html and "has-failure" in html
    opens = [b for b in amount_cells(page).boxed if "open-cells" in b.get("class", "")]
    assert opens and all(b["data-bbox"] for b in opens)
    quality = (site.folder / "quality.html").read_text(encoding="utf-8")
    assert "hierarchy.total_eq_sum_of_classes" in quality and 'data-outcome="failure"' in quality
    assert f"documents/{document_slug(site.rotated_sha)}.html#q" in quality


def test_a_document_without_raw_bytes_shows_its_tables_without_images(site: BuiltSite, tmp_path: Path) -> None:
    result = build_site(site.engine, tmp_path / "site", tmp_path / "no-raw", site.quarantine_dir)
    assert result.pages_rendered == 0 and not (tmp_path / "site" / "pages").exists()
    for sha in site.pdfs:
        page = tmp_path / "site" / "documents" / f"{document_slug(sha)}.html"
        html = page.read_text(encoding="utf-8")
        assert 'id="raw-missing"' in html and "原始 PDF 不在原始存储中" in html
        cells = amount_cells(page).amounts
        assert cells and all(c["data-page"] and c["data-bbox"] for c in cells)
        data = (tmp_path / "site" / "data" / f"doc-{document_slug(sha)}.js").read_text(encoding="utf-8")
        assert '"missing":true' in data


def test_incremental_rebuild_writes_only_the_changed_department(site: BuiltSite, tmp_path: Path) -> None:
    copy = copy_site(site, tmp_path)
    sha = next(s for s, p in site.pdfs.items() if p.name.startswith("shanghai"))
    retract_document(copy.engine, sha, "withdrawn by the publisher")
    changsha_page = copy.folder / "departments" / f"{department_slug(CHANGSHA)}.html"
    before = changsha_page.stat().st_mtime_ns
    result = build_site(copy.engine, copy.folder, copy.raw_dir, copy.quarantine_dir)
    assert (result.departments_built, result.documents_built, result.pages_rendered) == (1, 1, 0)
    assert changsha_page.stat().st_mtime_ns == before
    html = (copy.folder / "documents" / f"{document_slug(sha)}.html").read_text(encoding="utf-8")
    assert "本文件已撤回" in html and "withdrawn by the publisher" in html
    # a full build writes everything again
    full = build_site(copy.engine, copy.folder, copy.raw_dir, copy.quarantine_dir, full=True)
    assert (full.departments_built, full.documents_built) == (2, 3)
