"""Bad local inputs fail only themselves, with one line each; the rest of the batch loads and is summarised once."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from flows.cli import app
from flows.engine import warehouse_engine
from flows.paths import (
    InputError,
    collect_inputs,
    decode_name,
    path_from_parameter,
    path_label,
    path_parameter,
    read_input,
)
from flows.pipeline import process_document
from flows.settings import Settings
from warehouse.db import upgrade
from warehouse.models import DimDocument, EtlDocument

ROOT = Path(__file__).resolve().parents[2]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
GBK_NAME = "长沙市政务服务中心2020年决算.pdf".encode("gbk")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    upgrade(warehouse_engine(settings.warehouse_url))
    return settings


def _documents(url: str) -> int:
    with warehouse_engine(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EtlDocument.__table__)).scalar_one())


# --------------------------------------------------------------------------- reading one input


def test_a_fifo_named_like_a_pdf_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "x.pdf"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"x\.pdf: not a regular file \(a FIFO\)"):
        read_input(fifo)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_before_a_byte_is_read(device: str) -> None:
    with pytest.raises(InputError, match="not a regular file \\(a character device\\)"):
        read_input(Path(device))


def test_a_folder_is_not_read_as_a_document(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file \\(a folder\\)"):
        read_input(tmp_path)


def test_a_regular_looking_file_that_cannot_be_read_fails_with_its_reason() -> None:
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc here")
    with pytest.raises(InputError, match="/proc/self/mem: cannot be read"):
        read_input(Path("/proc/self/mem"))


def test_a_file_over_the_limit_is_refused_and_never_read_past_it(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 5000)
    with pytest.raises(InputError, match="5009 bytes; the limit is 4096 bytes"):
        read_input(big, max_bytes=4096)
    assert read_input(big, max_bytes=5009) == big.read_bytes()


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(b"%PDF")
    locked.chmod(0)
    with pytest.raises(InputError, match="locked.pdf: cannot be opened"):
        read_input(locked)


# --------------------------------------------------------------------------- names that are not UTF-8


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"\x00" not in b and b"/" not in b))
def test_any_file_name_travels_through_json_parameters_byte_for_byte(raw: bytes) -> None:
    path = Path(os.fsdecode(b"/tmp/" + raw))
    parameter = path_parameter(path)
    parameter.encode("utf-8")  # a JSON/UTF-8 safe string
    assert os.fsencode(path_from_parameter(parameter)) == os.fsencode(path)
    path_label(path).encode("utf-8")


def test_a_gbk_file_name_is_shown_in_chinese() -> None:
    assert decode_name(GBK_NAME) == "长沙市政务服务中心2020年决算.pdf"
    assert decode_name("决算.pdf".encode()) == "决算.pdf"
    assert decode_name(b"\xff\xfe.pdf").endswith(".pdf")


# --------------------------------------------------------------------------- walking folders


def test_collect_lists_special_entries_so_that_each_fails_as_itself(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    os.mkfifo(tmp_path / "b.pdf")
    (tmp_path / "c.PDF").symlink_to("/dev/zero")
    (tmp_path / "notes.txt").write_text("not a pdf", encoding="utf-8")
    inputs, missing, problems = collect_inputs([tmp_path, tmp_path / "a.pdf", tmp_path / "gone.pdf"])
    assert [p.name for p in inputs] == ["a.pdf", "b.pdf", "c.PDF"]
    assert missing == [str(tmp_path / "gone.pdf")] and problems == []


def test_a_folder_that_cannot_be_listed_is_said_and_the_rest_goes_on(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root lists every folder")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.pdf").write_bytes(b"%PDF")
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0)
    try:
        inputs, _, problems = collect_inputs([tmp_path])
    finally:
        closed.chmod(stat.S_IRWXU)
    assert [p.name for p in inputs] == ["a.pdf"] and problems == [f"{closed}: cannot be listed (Permission denied)"]


# --------------------------------------------------------------------------- a batch meets them


def test_each_bad_input_fails_alone_and_the_good_ones_load(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    gbk = Path(os.fsdecode(os.fsencode(folder) + b"/" + GBK_NAME))
    shutil.copyfile(SEED_PDF, gbk)
    os.mkfifo(folder / "fifo.pdf")
    (folder / "zero.pdf").symlink_to("/dev/zero")
    vanished = folder / "vanished.pdf"
    vanished.write_bytes(b"%PDF-1.4")
    inputs, _, _ = collect_inputs([folder])
    vanished.unlink()  # removed while the batch runs
    engine = warehouse_engine(settings.warehouse_url)
    outcomes = {path_label(p.name): process_document(p, settings, engine, parallel=False) for p in inputs}
    assert outcomes["长沙市政务服务中心2020年决算.pdf"].status == "loaded"
    assert outcomes["fifo.pdf"].status == "failed" and "not a regular file (a FIFO)" in outcomes["fifo.pdf"].reasons[0]
    assert "a character device" in outcomes["zero.pdf"].reasons[0]
    assert outcomes["vanished.pdf"].reasons == (f"{vanished}: no such file (removed while the batch ran?)",)
    assert all(len(o.reasons) == 1 and "\n" not in o.reasons[0] for o in outcomes.values() if o.status == "failed")
    with engine.connect() as conn:
        names = conn.execute(select(DimDocument.__table__.c.source_file)).scalars().all()
    assert names == ["长沙市政务服务中心2020年决算.pdf"]  # stored readable, not as surrogates


def test_the_same_bytes_twice_in_a_batch_are_processed_and_counted_once(settings: Settings, tmp_path: Path) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    shutil.copyfile(SEED_PDF, first)
    shutil.copyfile(SEED_PDF, second)
    engine = warehouse_engine(settings.warehouse_url)
    seen: dict[str, str] = {}
    one = process_document(first, settings, engine, parallel=False, seen=seen)
    two = process_document(second, settings, engine, parallel=False, seen=seen)
    assert (one.status, two.status) == ("loaded", "duplicate")
    assert two.facts_loaded == 0 and "the same bytes as a.pdf" in two.reasons[0]
    assert _documents(settings.warehouse_url) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_fiscal_run_over_a_hostile_folder_summarises_every_document_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(SEED_PDF, Path(os.fsdecode(os.fsencode(folder) + b"/" + GBK_NAME)))
    shutil.copyfile(SEED_PDF, folder / "copy.pdf")
    os.mkfifo(folder / "fifo.pdf")
    (folder / "zero.pdf").symlink_to("/dev/zero")
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    args = ["run", str(folder), "--warehouse", url]
    if Path("/proc/self/mem").exists():
        args.insert(2, "/proc/self/mem")  # between two folders' worth of PDFs
    env = {"FISCAL_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, args, env=env)
    said = " ".join(result.output.split())  # the terminal may wrap long lines anywhere
    for reason in ("fifo.pdf: not a regular file (a FIFO)", "zero.pdf: not a regular file (a character device)"):
        assert reason in said
    assert result.exit_code == 1, result.output  # failures are reported in the exit code
    special = 3 if "/proc/self/mem" in args else 2
    assert f"documents: {1 + special} loaded: 1 quarantined: 0 failed: {special}" in said
    assert "duplicates: 1 facts loaded: 478" in said
    assert _documents(url) == 1


def test_a_harvested_document_is_named_as_published_not_as_its_servlet(settings: Settings, tmp_path: Path) -> None:
    from extract.models import FetchResult
    from extract.store import sha256_of
    from warehouse.manifest import SqlFetchManifest

    url = "http://127.0.0.1:9/downfile.jsp?id=1"
    data = SEED_PDF.read_bytes()
    engine = warehouse_engine(settings.warehouse_url)
    SqlFetchManifest(engine).record(
        FetchResult(url=url, source="changsha", outcome="new", sha256=sha256_of(data), file_name="长沙市政务服务中心决算.pdf")
    )
    stored = tmp_path / "stored.pdf"
    stored.write_bytes(data)
    outcome = process_document(stored, settings, engine, source=url, parallel=False)
    assert (outcome.status, outcome.source_file) == ("loaded", "长沙市政务服务中心决算.pdf")
    with engine.connect() as conn:
        assert conn.execute(select(DimDocument.__table__.c.source_file)).scalar_one() == "长沙市政务服务中心决算.pdf"
