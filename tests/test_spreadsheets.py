"""Spreadsheet releases: each workbook of the producer matrix loads the facts of the PDF printed from it.

The pairs are ``tests/data/producers/calc-*.xlsx`` (决算) and ``tests/data/budget_producers/calc-*.xlsx`` (预算,
Shanghai and Jiangsu families) and the PDFs LibreOffice printed from them (and ``calc-noto-sans.xls``, the
same workbook saved as legacy Excel by LibreOffice): both are loaded as
documents of one department and year, their facts (table, subject, measure, amount) must be the same,
and ``fiscal compare`` must find no difference; with one amount changed it must name exactly that cell.
Hidden sheets, rows and columns, formulas, numbers stored as text and numbers shown rounded are each
handled explicitly; bad workbooks fail with their reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.engine import warehouse_engine
from flows.pipeline import DocumentOutcome, process_document
from flows.settings import Settings
from warehouse.compare import document_facts
from warehouse.export import export_facts

DATA = Path(__file__).resolve().parent / "data"
PRODUCERS = DATA / "producers"
SHEETS = DATA / "spreadsheets"
BASE = PRODUCERS / "calc-noto-sans.xlsx"
runner = CliRunner()

KEY = ["table_code", "functional_code", "economic_code", "line_item", "parent_line_item", "measure", "amount_yuan"]


def _settings(folder: Path) -> Settings:
    return Settings(warehouse_url=f"sqlite:///{folder / 'wh.sqlite'}", data_dir=folder / "data")


def _run(settings: Settings, path: Path) -> DocumentOutcome:
    return process_document(path, settings, warehouse_engine(settings.warehouse_url), parallel=False)


def _facts(settings: Settings, sha256: str) -> Counter[tuple[str, ...]]:
    """(table, subject, measure, amount in 元) of every fact a document loaded (current or superseded since)."""
    records = document_facts(warehouse_engine(settings.warehouse_url), sha256)
    return Counter(tuple(str(r[k]) for k in KEY) for r in records)


def _compare(settings: Settings, a: str, b: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(settings.data_dir))
    result = runner.invoke(app, ["compare", a[:16], b[:16], "-w", settings.warehouse_url, "--format", "csv"])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def pdf_of_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DocumentOutcome]:
    """The PDF printed from calc-noto-sans.xlsx, loaded into a warehouse of its own."""
    settings = _settings(tmp_path_factory.mktemp("pdf"))
    outcome = _run(settings, BASE.with_suffix(".pdf"))
    assert outcome.status == "loaded", outcome.reasons
    return settings, outcome


def _edited(tmp_path: Path, edit: object, name: str = "edited.xlsx") -> Path:
    """calc-noto-sans.xlsx changed by ``edit(workbook)`` (openpyxl), saved under tmp_path."""
    book = openpyxl.load_workbook(BASE)
    edit(book)  # type: ignore[operator]
    target = tmp_path / name
    book.save(target)
    return target


# --------------------------------------------------------------------------- the producer matrix pairs


@pytest.mark.parametrize(
    "workbook",
    [
        *sorted(PRODUCERS.glob("calc-*.xlsx")),
        PRODUCERS / "calc-noto-sans.xls",
        *sorted((DATA / "budget_producers").glob("calc-*.xlsx")),  # 预算 of both families (Shanghai, Jiangsu)
    ],
    ids=lambda p: p.name,
)
def test_a_workbook_loads_the_facts_of_the_pdf_printed_from_it(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    from_pdf = _run(settings, workbook.with_suffix(".pdf"))
    from_sheet = _run(settings, workbook)
    assert from_pdf.status == "loaded", from_pdf.reasons
    assert from_sheet.status == "loaded", from_sheet.reasons
    assert (from_sheet.department, from_sheet.fiscal_year) == (from_pdf.department, from_pdf.fiscal_year)
    assert from_sheet.facts_loaded == from_pdf.facts_loaded > 100
    assert _facts(settings, from_sheet.sha256) == _facts(settings, from_pdf.sha256)
    code, output = _compare(settings, from_pdf.sha256, from_sheet.sha256, monkeypatch)
    assert code == 0 and output.splitlines()[1:] == [], output


def test_a_spreadsheet_fact_carries_its_sheet_row_and_column_and_no_page(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    outcome = _run(settings, BASE)
    frame = export_facts(warehouse_engine(settings.warehouse_url), outcome.sha256)
    assert set(frame["extraction_method"]) == {"sheet"}
    assert frame["page"].isna().all() and frame["cell_x0"].isna().all()
    # 公开05表 D10: 2010301 行政运行, 本年支出/基本支出 1195.64 (read in the workbook with openpyxl)
    cell = frame[(frame["table_code"] == "05") & (frame["functional_code"] == "2010301") & (frame["measure"] == "本年支出/基本支出")]
    assert cell[["sheet", "row", "col", "amount"]].values.tolist() == [["公开05表", 10, 4, "1195.64"]]
    sheet = openpyxl.load_workbook(BASE)["公开05表"]
    for record in frame[frame["sheet"] == "公开05表"].to_dict("records"):
        stored = Decimal(str(sheet.cell(record["row"], record["col"]).value))
        assert stored == Decimal(record["amount"]), record  # every fact names the cell it was read from


def test_one_amount_changed_in_the_workbook_is_the_one_cell_compare_reports(
    pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, from_pdf = pdf_of_base

    def change(book: openpyxl.Workbook) -> None:
        book["公开05表"]["D10"] = 1195.46  # printed 1195.64

    outcome = _run(settings, _edited(tmp_path, change))
    assert outcome.status == "quarantined"  # the identities catch it too: 2010301 no longer adds up
    assert any("sheet 公开05表" in reason for reason in outcome.reasons), outcome.reasons  # named by sheet, not page
    code, output = _compare(settings, from_pdf.sha256, outcome.sha256, monkeypatch)
    lines = output.splitlines()
    assert code == 1 and len(lines) == 2, output
    assert lines[1].split(",") == [
        "amount", "05", "2010301", "本年支出/基本支出", "1195.64", "万元", "1195.46", "万元", "-1800.00",
        "page 8 row 6 col 3", "sheet 公开05表 D10",
    ]


# --------------------------------------------------------------------------- what a sheet may hide or compute


def test_a_hidden_sheet_is_not_read(pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path) -> None:
    settings, from_pdf = pdf_of_base

    def hide_a_draft(book: openpyxl.Workbook) -> None:
        draft = book.copy_worksheet(book["公开05表"])
        draft["D10"] = 999.99  # a working copy with other figures
        draft.sheet_state = "hidden"

    outcome = _run(settings, _edited(tmp_path, hide_a_draft))
    assert outcome.status == "loaded", outcome.reasons
    assert any("is hidden: not read" in note for note in outcome.notes), outcome.notes
    assert _facts(settings, outcome.sha256) == _facts(settings, from_pdf.sha256)


def test_hidden_rows_and_columns_are_not_read(pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path) -> None:
    settings, from_pdf = pdf_of_base

    def add_a_check_column_and_row(book: openpyxl.Workbook, hide: bool) -> None:
        sheet = book["公开05表"]
        ruled = sheet["E10"].border.copy()
        for row in range(5, 22):  # a ruled column of working figures right of the table
            sheet.cell(row, 6).value = "核对" if row == 5 else 12.34 if row >= 7 else None
            sheet.cell(row, 6).border = ruled
        sheet.column_dimensions["F"].hidden = hide
        sheet["A30"] = "内部：1195.64"  # a note for the office, on a hidden row
        sheet.row_dimensions[30].hidden = hide

    hidden = _run(settings, _edited(tmp_path, lambda b: add_a_check_column_and_row(b, True), "hidden.xlsx"))
    assert hidden.status == "loaded", hidden.reasons
    assert _facts(settings, hidden.sha256) == _facts(settings, from_pdf.sha256)
    notes = " ".join(hidden.notes)
    assert "hidden columns F hold values" in notes and "hidden rows 30 hold values" in notes, hidden.notes
    # the same column shown is read: the facts are no longer the PDF's
    shown = _run(settings, _edited(tmp_path, lambda b: add_a_check_column_and_row(b, False), "shown.xlsx"))
    assert _facts(settings, shown.sha256) != _facts(settings, from_pdf.sha256) or shown.status != "loaded"


def test_formulas_are_read_by_their_cached_values(pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path) -> None:
    settings, from_pdf = pdf_of_base
    formulas = SHEETS / "formulas.xlsx"  # saved by LibreOffice: every formula carries its value
    assert openpyxl.load_workbook(formulas)["公开05表"]["C10"].value == "=D10+E10"
    outcome = _run(settings, formulas)
    assert outcome.status == "loaded", outcome.reasons
    assert _facts(settings, outcome.sha256) == _facts(settings, from_pdf.sha256)


def test_a_formula_without_a_cached_value_keeps_the_document_out_naming_its_cells(
    pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path
) -> None:
    settings, _ = pdf_of_base

    def uncalculated(book: openpyxl.Workbook) -> None:
        book["公开05表"]["C10"] = "=D10+E10"  # openpyxl writes the formula only: no value until a spreadsheet saves it

    outcome = _run(settings, _edited(tmp_path, uncalculated))
    assert outcome.status == "quarantined"
    assert any("sheet 公开05表: formula without a cached value in C10" in r for r in outcome.reasons), outcome.reasons


def test_numbers_stored_as_text_read_as_printed(pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path) -> None:
    settings, from_pdf = pdf_of_base

    def as_text(book: openpyxl.Workbook) -> None:
        sheet = book["公开05表"]
        for row in sheet.iter_rows(min_row=7, max_col=5):
            for cell in row[2:]:
                if isinstance(cell.value, int | float):
                    cell.value = f"{cell.value:,.2f}"  # typed as text, as some offices do
                    cell.number_format = "@"

    outcome = _run(settings, _edited(tmp_path, as_text))
    assert outcome.status == "loaded", outcome.reasons
    assert _facts(settings, outcome.sha256) == _facts(settings, from_pdf.sha256)


def test_a_number_shown_rounded_is_the_amount_and_its_stored_value_is_kept(
    pdf_of_base: tuple[Settings, DocumentOutcome], tmp_path: Path
) -> None:
    settings, from_pdf = pdf_of_base

    def more_places(book: openpyxl.Workbook) -> None:
        cell = book["公开05表"]["D10"]
        cell.value = 1195.6449  # the format shows 1,195.64
        cell.number_format = "#,##0.00"

    outcome = _run(settings, _edited(tmp_path, more_places))
    assert outcome.status == "loaded", outcome.reasons
    assert _facts(settings, outcome.sha256) == _facts(settings, from_pdf.sha256)
    frame = export_facts(warehouse_engine(settings.warehouse_url), outcome.sha256)
    stored = frame[frame["amount_stored"].notna()]
    assert stored[["sheet", "row", "col", "amount", "amount_stored"]].values.tolist() == [
        ["公开05表", 10, 4, "1195.64", "1195.6449"]
    ]


# --------------------------------------------------------------------------- templates and bad workbooks


@pytest.mark.parametrize("name", sorted(p.name for p in SHEETS.glob("*TEMPLATE*")))
def test_a_blank_template_is_skipped_as_one(name: str, tmp_path: Path) -> None:
    outcome = _run(_settings(tmp_path), SHEETS / name)
    assert outcome.status == "skipped" and "a template or blank form: 9 tables found, none prints an amount" in outcome.reasons[0]


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_sheet_xml(change: object) -> bytes:
    """calc-noto-sans.xlsx with its first worksheet part rewritten by ``change(xml) -> xml``."""
    with zipfile.ZipFile(BASE) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])  # type: ignore[operator]
    return _zip(parts)


def _million_empty_rows(xml: bytes) -> bytes:
    rows = b"".join(b'<row r="%d" customHeight="1" ht="15"/>' % r for r in range(100, 1_000_100))
    return xml.replace(b"</sheetData>", rows + b"</sheetData>")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
         "a Word document (.docx), not an Excel workbook (no xl/workbook.xml)"),
        (lambda: (SHEETS / "password.xlsx").read_bytes(), "password-protected workbook"),
        (lambda: _with_sheet_xml(lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x)),
         "xl/worksheets/sheet1.xml claims A1:XFD1048576 (17,179,869,184 cells); the limit is 2,000,000"),
        (lambda: _with_sheet_xml(_million_empty_rows), "xl/worksheets/sheet1.xml holds 1,000,005 rows; the limit is 100,000"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "damaged OLE2 compound file"),
    ],
    ids=["zip-not-ooxml", "password", "dimension-claim", "million-rows", "damaged-ole2"],
)
def test_a_bad_workbook_fails_with_its_reason_and_the_batch_goes_on(
    content: object, reason: str, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content())  # type: ignore[operator]
    outcome = _run(settings, bad)
    assert outcome.status == "failed" and reason in outcome.reasons[0], outcome.reasons
    suffix = ".xls" if bad.read_bytes().startswith(b"\xd0\xcf") else ".xlsx"
    assert (settings.raw_dir / f"{outcome.sha256}{suffix}").is_file()  # its raw bytes kept
    assert _run(settings, BASE).status == "loaded"  # the next document of the batch


# --------------------------------------------------------------------------- harvest and folders


def test_the_harvester_stores_workbooks_by_content_and_the_night_loads_them(tmp_path: Path) -> None:
    from extract.fetch_manifest import MemoryManifest
    from extract.harvest import harvest
    from extract.sources import Source
    from extract.store import RawStore
    from tests.test_harvest_site import FakeSite

    site = FakeSite()
    try:
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        site.add("/f/final.xlsx", BASE.read_bytes(), content_type=xlsx)
        site.add("/f/final.xls", BASE.with_suffix(".xls").read_bytes(), content_type="application/vnd.ms-excel")
        site.add("/f/attachment.xlsx", _zip({"word/document.xml": b"<w:document/>"}), content_type=xlsx)
        site.add("/a.html", '<a href="/f/final.xlsx">表</a><a href="/f/final.xls">表</a><a href="/f/attachment.xlsx">附件</a>')
        source = Source.model_validate({
            "name": "site", "kind": "http_listing", "start_urls": [site.url("/a.html")], "depth": 1,
            "politeness": {"concurrency": 2, "delay": 0}, "timeout": 5, "retries": 0, "backoff": 0,
        })  # the default link pattern: .pdf, .xlsx and .xls links
        store = RawStore(tmp_path / "data" / "raw")
        fetches = {f.url.rsplit("/", 1)[-1]: f for f in harvest(source, store, MemoryManifest()).fetches}
    finally:
        site.close()
    assert {name: f.outcome for name, f in fetches.items()} == {"final.xlsx": "new", "final.xls": "new", "attachment.xlsx": "not_pdf"}
    bad = next(f for f in fetches.values() if f.outcome == "not_pdf")
    assert bad.error == "a ZIP archive that is not an Excel workbook (no xl/workbook.xml)"
    settings = _settings(tmp_path)
    for fetch in (f for f in fetches.values() if f.outcome == "new"):
        stored = store.path_for(fetch.sha256 or "")
        assert stored.suffix in (".xlsx", ".xls") and stored.is_file()
        outcome = process_document(stored, settings, warehouse_engine(settings.warehouse_url), source=fetch.url, parallel=False)
        assert outcome.status == "loaded" and outcome.facts_loaded == 478, outcome.reasons


def test_a_folder_gives_its_pdfs_and_workbooks(tmp_path: Path) -> None:
    from flows.paths import collect_inputs

    for name in ("a.pdf", "b.xlsx", "c.XLS", "notes.txt", "d.docx"):
        (tmp_path / name).write_bytes(b"x")
    found, _, _ = collect_inputs([tmp_path])
    assert sorted(p.name for p in found) == ["a.pdf", "b.xlsx", "c.XLS"]
