"""Golden tests: real PDFs in, expected cells out, zero misses and zero extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.extraction import stage_pdf
from tests.golden import DATA, load_golden, score

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("shanghai-putuo_finance-bureau_2024_juesuan.json", ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"),
    ("shanghai_template_dept-juesuan_2024_TEMPLATE.json", DATA / "pdfs" / "shanghai_template_dept-juesuan_2024_TEMPLATE.pdf"),
    ("changsha_zwfwzx_2020_juesuan.json", ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"),
    # the seed report in harder layouts: landscape pages, /Rotate 90, tables continued on the next
    # page with and without a repeated header (rows split by the page break included)
    *[
        ("changsha_zwfwzx_2020_juesuan.json", DATA / "seed_layouts" / f"{layout}.pdf")
        for layout in ("landscape", "rotated", "continued-repeat-header", "continued-no-header")
    ],
]


@pytest.mark.parametrize(("golden_name", "pdf"), CASES, ids=[c[1].stem for c in CASES])
def test_every_published_amount_is_extracted_exactly(golden_name: str, pdf: Path) -> None:
    golden = load_golden(golden_name)
    facts, staged = stage_pdf(pdf)
    rows = staged.cells.to_dict("records")
    misses, extras = score(golden, rows)
    assert not misses, f"{len(misses)} golden cells missed, first: {misses[:5]}"
    assert not extras, f"{len(extras)} extra cells, first: {extras[:5]}"
    assert facts.fiscal_year == golden["fiscal_year"]
    assert (facts.department or "").replace(" ", "") == golden["department"].replace(" ", "")
    assert facts.unit == golden["unit"]
    assert facts.phase == "决算"


@pytest.mark.parametrize(("golden_name", "pdf"), CASES, ids=[c[1].stem for c in CASES])
def test_all_nine_tables_are_found_and_empty_ones_are_marked_empty(golden_name: str, pdf: Path) -> None:
    golden = load_golden(golden_name)
    _, staged = stage_pdf(pdf)
    found = {t.table_code: t for t in staged.tables}
    assert all(t.present for t in found.values()), [t for t in found.values() if not t.present]
    if "tables_with_data" in golden:
        for code, has_data in golden["tables_with_data"].items():
            assert found[code].is_empty is (not has_data), code
    if "table_pages" in golden:
        for code, pages in golden["table_pages"].items():
            assert list(found[code].pages) == pages, code
