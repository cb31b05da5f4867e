"""Hostile PDFs are refused with the limit named, before pdfium inflates them; time and memory are bounded in the reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extract.isolation import IsolatedReader, TablesUnreadable, read_pdf
from extract.limits import MB, Limits, check_pdf_limits, inflated_size
from extract.pdf import DocumentReadError
from flows.engine import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings
from tests.hostile.pdfs import flate_bomb, many_streams_page, object_stream_page_bomb, page_bomb
from warehouse.db import upgrade

ROOT = Path(__file__).resolve().parents[2]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"


def _vm_hwm(pid: int) -> int:
    """Peak resident memory of a process so far (bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _vm_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def reader() -> IsolatedReader:
    reader = IsolatedReader()
    yield reader
    reader.stop()


def test_a_flate_bomb_is_refused_by_the_scan_without_inflating_it() -> None:
    bomb = flate_bomb(0.25)  # ≈ 257 MB of spaces in 250 KB
    with pytest.raises(DocumentReadError, match=r"stream object 4 inflates to more than 160 MB \(limit FISCAL_LIMIT_STREAM_MB\)"):
        check_pdf_limits(bomb, "bomb.pdf", Limits())
    # the scan stopped one chunk past the limit
    assert 160 * MB < inflated_size(bomb[bomb.index(b"stream\n") + 7 :], 160 * MB) <= 161 * MB


def test_a_page_of_many_streams_is_refused_by_its_page_limit() -> None:
    pdf = many_streams_page(streams=6, each_mb=4)
    check_pdf_limits(pdf, "page.pdf", Limits(page_mb=24))
    with pytest.raises(DocumentReadError, match=r"the content streams of a page \(objects 4, 5, 6, 7, 8 …\) inflate to more than 20 MB"):
        check_pdf_limits(pdf, "page.pdf", Limits(page_mb=20))


def test_a_page_inside_an_object_stream_is_measured_too() -> None:
    pdf = object_stream_page_bomb(each_mb=4, streams=3)
    with pytest.raises(DocumentReadError, match="inflate to more than 10 MB"):
        check_pdf_limits(pdf, "objstm.pdf", Limits(page_mb=10))


def test_real_documents_pass_the_scan() -> None:
    for path in [*ROOT.glob("samples/*.pdf"), *ROOT.glob("tests/data/**/*.pdf")]:
        check_pdf_limits(path.read_bytes(), path.name, Limits())


def test_a_page_tree_claiming_a_million_pages_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "pages.pdf"
    path.write_bytes(page_bomb(1_000_000))
    assert len(path.read_bytes()) < 2000
    with pytest.raises(DocumentReadError, match=r"claims 1000000 pages; the limit is 2000 \(FISCAL_LIMIT_PAGES\)"):
        read_pdf(path, "pages.pdf", False, Limits())


def test_a_read_over_its_time_is_stopped_and_the_next_document_reads(reader: IsolatedReader) -> None:
    with pytest.raises(DocumentReadError, match=r"reading took more than 0.01 s \(FISCAL_LIMIT_SECONDS\)"):
        reader.read(SEED_PDF, "slow.pdf", False, Limits(seconds=0.01))
    assert reader.pid is None  # killed, with whatever it had started
    read = reader.read(SEED_PDF, SEED_PDF.name, False, Limits())
    assert len(read.pages) == 13 and len(read.grids) == 9


def test_a_read_over_its_memory_is_stopped_and_the_next_document_reads(reader: IsolatedReader, tmp_path: Path) -> None:
    greedy = tmp_path / "greedy.pdf"
    greedy.write_bytes(many_streams_page(streams=8, each_mb=40))  # 320 MB of content on one page, 40 MB a stream
    limits = Limits(page_mb=1000, memory_mb=100)
    with pytest.raises(DocumentReadError, match=r"reading needed more than 100 MB of memory \(FISCAL_LIMIT_MEMORY_MB\)"):
        reader.read(greedy, "greedy.pdf", False, limits)
    read = reader.read(SEED_PDF, SEED_PDF.name, False, limits)
    assert len(read.grids) == 9


def test_the_reader_stays_under_its_memory_budget_on_every_bomb(reader: IsolatedReader, tmp_path: Path) -> None:
    bombs = {
        "flate.pdf": flate_bomb(1.0),
        "pages.pdf": page_bomb(1_000_000),
        "many.pdf": many_streams_page(streams=40, each_mb=40),
        "objstm.pdf": object_stream_page_bomb(each_mb=40, streams=40),
    }
    reader.read(SEED_PDF, SEED_PDF.name, False, Limits())  # warm
    for name, data in bombs.items():
        path = tmp_path / name
        path.write_bytes(data)
        pid = reader.pid
        assert pid is not None
        before = _vm_rss(pid)
        with pytest.raises(DocumentReadError):
            reader.read(path, name, False, Limits())
        assert reader.pid == pid, f"{name}: refused by the scan, the reader was not even stressed"
        assert _vm_hwm(pid) - before < 600 * MB


def test_a_crashing_reader_is_one_documents_failure(reader: IsolatedReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(page_mb=1000, memory_mb=2000, seconds=60)
    reader.read(SEED_PDF, SEED_PDF.name, False, limits)  # started with these limits: the same process reads next
    pid = reader.pid
    assert pid is not None
    import os
    import signal
    import threading

    slow = tmp_path / "slow.pdf"
    slow.write_bytes(many_streams_page(streams=8, each_mb=40))  # a second or more of inflating
    threading.Timer(0.3, os.kill, args=(pid, signal.SIGSEGV)).start()
    with pytest.raises(DocumentReadError, match=r"the PDF reader died reading it \(signal SIGSEGV\)"):
        reader.read(slow, "crash.pdf", False, limits)
    assert len(reader.read(SEED_PDF, SEED_PDF.name, False, Limits()).grids) == 9


def test_tables_that_cannot_be_read_keep_the_page_count(tmp_path: Path) -> None:
    assert issubclass(TablesUnreadable, Exception) and TablesUnreadable("x", 3).pages == 3


def test_a_batch_with_bombs_loads_its_good_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    upgrade(engine)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "flate.pdf").write_bytes(flate_bomb(0.25))
    (folder / "pages.pdf").write_bytes(page_bomb(1_000_000))
    shutil.copyfile(SEED_PDF, folder / "good.pdf")
    outcomes = {p.name: process_document(p, settings, engine, parallel=False) for p in sorted(folder.iterdir())}
    assert outcomes["good.pdf"].status == "loaded" and outcomes["good.pdf"].facts_loaded == 478
    assert outcomes["flate.pdf"].status == "failed" and "FISCAL_LIMIT_STREAM_MB" in outcomes["flate.pdf"].reasons[0]
    assert outcomes["pages.pdf"].reasons[0].startswith("pages.pdf: claims 1000000 pages")
    # failed documents keep their raw bytes for a rerun with other limits
    assert len(list((tmp_path / "data" / "raw").glob("*.pdf"))) == 3


def test_the_scan_of_a_many_stream_page_stops_at_the_page_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import extract.limits as limits_module

    inflated: list[int] = []
    real = limits_module.inflated_size

    def counting(raw: bytes, limit: int) -> int:
        inflated.append(real(raw, limit))
        return inflated[-1]

    monkeypatch.setattr(limits_module, "inflated_size", counting)
    with pytest.raises(DocumentReadError, match="FISCAL_LIMIT_PAGE_MB"):
        check_pdf_limits(many_streams_page(streams=40, each_mb=4), "many.pdf", Limits(page_mb=20))
    assert sum(inflated) <= 21 * MB  # 160 MB of streams on the page; the scan inflated about the budget, not all


def test_a_document_whose_streams_inflate_past_its_budget_in_all_is_refused() -> None:
    pdf = many_streams_page(streams=6, each_mb=4)
    with pytest.raises(DocumentReadError, match=r"its streams inflate to more than 10 MB in all \(limit FISCAL_LIMIT_DOCUMENT_MB\)"):
        check_pdf_limits(pdf, "all.pdf", Limits(page_mb=1000, document_mb=10))
