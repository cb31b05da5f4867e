"""A table printed without ruled columns is never lost quietly: the document is quarantined naming it.

Our grids come from ruled lines. A producer that rules only between rows (no vertical rule) prints the
tables' titles and amounts but gives no grid: before, such a document was "skipped" as a blank form and
its amounts were gone. The PDF is generated here by the seed generator (reportlab, fonts embedded), ruled
between rows only; the same report with every rule but the outer side borders loads in full (producer
matrix: ``reportlab-open-sides``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from extract.identify import MIN_UNREAD_AMOUNTS, unread_tables
from extract.models import CellGrid, RawTable
from extract.pdf import PageInfo
from flows.flow import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _page(number: int, text_: str) -> PageInfo:
    return PageInfo(number=number, text=text_, width=595.0, height=842.0, rotation=0, n_paths=40, image_share=0.0)


def _table(code: str, pages: tuple[int, ...], *, grids: tuple[CellGrid, ...] = (), empty_note: str | None = None) -> RawTable:
    return RawTable(table_code=code, title="收入决算表", pages=pages, grids=grids, unit="万元", empty_note=empty_note)


@pytest.fixture(scope="module")
def horizontal_rules_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "samples"))
    from seedgen.pdf import build
    from seedgen.seed import SEED
    from seedgen.style import style_of

    out = tmp_path_factory.mktemp("unruled") / "horizontal-rules.pdf"
    build("one-per-page", out, SEED, style=style_of(["horizontal-rules"]))
    return out


def test_a_table_whose_page_prints_amounts_without_a_grid_is_named() -> None:
    pages = [_page(5, "收入决算表\n单位：万元\n合计 2,846.52 2,846.52 0.00\n201 一般公共服务支出 2,834.09")]
    [issue] = unread_tables(pages, [_table("02", (5,))])
    assert (issue.table_code, issue.page, issue.severity) == ("02", 5, "error")
    assert "page 5 prints 4 amounts" in issue.message and "no ruled grid was read" in issue.message


def test_a_blank_form_is_not_an_unread_table() -> None:
    page = _page(5, "收入决算表\n单位：万元\n项目 本年收入合计 财政拨款收入 栏次 1 2 3 2020年")
    assert unread_tables([page], [_table("02", (5,))]) == []


def test_a_few_numbers_are_not_a_table_of_figures() -> None:
    amounts = " ".join(["12.50"] * (MIN_UNREAD_AMOUNTS - 1))
    assert unread_tables([_page(5, f"收入决算表 {amounts} 第5页 v1.2.3")], [_table("02", (5,))]) == []
    amounts = " ".join(["12.50"] * MIN_UNREAD_AMOUNTS)
    assert len(unread_tables([_page(5, f"收入决算表 {amounts}")], [_table("02", (5,))])) == 1


def test_a_table_declared_empty_or_read_is_not_an_unread_table() -> None:
    pages = [_page(11, "政府性基金预算财政拨款收入支出决算表\n本表无数据 0.00 0.00 0.00 0.00")]
    assert unread_tables(pages, [_table("08", (11,), empty_note="本表无数据")]) == []
    grid = CellGrid(page=11, cells=(("项目", "金额"), ("合计", "0.00")))
    assert unread_tables(pages, [_table("08", (11,), grids=(grid,))]) == []


def test_a_document_ruled_between_rows_only_is_quarantined_naming_each_table(
    horizontal_rules_pdf: Path, tmp_path: Path
) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    outcome = process_document(horizontal_rules_pdf, settings, engine, parallel=False)
    assert outcome.status == "quarantined", outcome.reasons
    unread = [r for r in outcome.reasons if "no ruled grid was read" in r]
    assert len(unread) >= 6, outcome.reasons
    assert any(r.startswith("horizontal-rules.pdf: table 01, page 4: ") for r in unread), unread
    assert (settings.raw_dir / f"{outcome.sha256}.pdf").exists()  # raw bytes kept for a rerun
    assert (settings.quarantine_dir / f"{outcome.sha256}.reasons.json").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fct_amount")).scalar_one() == 0
        status = conn.execute(text("SELECT status FROM etl_document")).scalar_one()
    assert status == "quarantined"
