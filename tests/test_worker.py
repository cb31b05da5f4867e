"""The worker of `fiscal server start` without a server: outcome records, which worker `fiscal run` may use, its files.

The whole path (server, worker, `fiscal run` through the REST API, Ctrl-C, stop) is
tests/test_server_cli.py::test_start_status_run_on_the_worker_stop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from extract.models import TableSummary
from flows.cli import app
from flows.flow import RunSummary, outcome_from_record, outcome_record
from flows.pipeline import DocumentOutcome
from flows.remote import (
    OutcomeRecord,
    WorkerRun,
    WorkerUnavailable,
    absolute_warehouse_url,
    find_worker,
)
from flows.server import server_files
from flows.worker_control import WorkerState, read_worker

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
API = "http://127.0.0.1:4999/api"

OUTCOME = DocumentOutcome(
    sha256="ab" * 32,
    source_file="报表.pdf",
    status="quarantined",
    reasons=("报表.pdf: 01 does not balance",),
    department="长沙市政务服务中心",
    fiscal_year=2020,
    facts_loaded=0,
    tables=(
        TableSummary("01", "收入支出决算总表", (3, 4), True, False, 12, 40, "万元", 0.98, 0.1, None, 1.5),
        TableSummary("09", None, (), False, True, 0, 0, None, None, None, "本表无数据"),
    ),
    notes=("a note",),
    seconds=0.52,
)


def test_an_outcome_record_is_plain_json_and_reads_back() -> None:
    record = outcome_record(OUTCOME)
    assert json.loads(json.dumps(record)) == record  # JSON values only: the worker persists it as the flow's result
    assert outcome_from_record(record) == OUTCOME
    shown = OutcomeRecord.from_record(record)  # what `fiscal run` reads without importing the pipeline
    for name in ("sha256", "source_file", "status", "reasons", "department", "fiscal_year", "facts_loaded", "notes"):
        assert getattr(shown, name) == getattr(OUTCOME, name)


def test_a_relative_sqlite_warehouse_is_made_absolute_for_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_warehouse_url("sqlite:///data/w.sqlite") == f"sqlite:///{tmp_path}/data/w.sqlite"
    assert absolute_warehouse_url(f"sqlite:///{tmp_path}/w.sqlite") == f"sqlite:///{tmp_path}/w.sqlite"
    assert absolute_warehouse_url("postgresql+psycopg://u:p@db/fiscal") == "postgresql+psycopg://u:p@db/fiscal"
    assert absolute_warehouse_url("sqlite://") is None and absolute_warehouse_url("sqlite:///:memory:") is None


@pytest.fixture
def worker_files(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object]]]:
    """A data dir whose worker pidfile names a live process that looks like a worker, and its worker.json."""
    data_dir = tmp_path / "data"
    files = server_files(data_dir)
    files.root.mkdir(parents=True)
    code = tmp_path / "module.py"
    code.write_text("x = 1\n", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "flows.worker"])
    info: dict[str, object] = {
        "pid": process.pid, "api_url": API, "deployment": "fiscal-run/local", "deployment_id": "d-1", "wake": None,
        "results": str(files.results), "started_ns": time.time_ns(), "code_files": [str(code)],
    }
    files.worker_pid.write_text(f"{process.pid}\n", encoding="utf-8")
    files.worker_info.write_text(json.dumps(info), encoding="utf-8")
    deadline = time.monotonic() + 10
    while not read_worker(data_dir).ready and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # a loaded machine: until /proc shows the new program
    state = read_worker(data_dir)
    assert state.ready, f"the stand-in worker is not seen as one: {state}, exit code {process.poll()}"
    try:
        yield data_dir, info
    finally:
        process.kill()
        process.wait()


def test_fiscal_run_uses_only_a_current_worker_of_the_api_it_would_use(
    worker_files: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    data_dir, info = worker_files
    warehouse = f"sqlite:///{tmp_path / 'w.sqlite'}"
    worker, note = find_worker(data_dir, API, warehouse)
    assert worker is not None and worker.ready and worker.deployment_id == "d-1" and note is None
    assert find_worker(data_dir, None, warehouse) == (None, None)  # no server: the temporary one, as always
    assert find_worker(data_dir, "http://elsewhere:4200/api", warehouse) == (None, None)  # another server
    assert find_worker(tmp_path / "other-data", API, warehouse) == (None, None)  # no worker there
    worker, note = find_worker(data_dir, API, "sqlite://")
    assert worker is None and note is not None and "in-memory" in note
    code = Path(str(info["code_files"][0]))  # type: ignore[index]
    os.utime(code, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))  # edited after the worker started
    worker, note = find_worker(data_dir, API, warehouse)
    assert worker is None and note is not None and "module.py" in note and "fiscal server stop" in note


def test_a_worker_json_of_another_pid_is_not_trusted(worker_files: tuple[Path, dict[str, object]]) -> None:
    data_dir, info = worker_files
    files = server_files(data_dir)
    files.worker_info.write_text(json.dumps({**info, "pid": 1}), encoding="utf-8")  # left by an earlier worker
    state = read_worker(data_dir)
    assert state.alive and not state.ready and state.info is None


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("pid", ["dead", "not a worker"])
def test_a_stale_worker_pidfile_is_reported_removed_and_never_signalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pid: str
) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    files = server_files(tmp_path / "data")
    files.root.mkdir(parents=True)
    stale = _dead_pid() if pid == "dead" else os.getpid()  # this test process: stopping it would end the test
    files.worker_pid.write_text(f"{stale}\n", encoding="utf-8")
    files.worker_info.write_text(json.dumps({"pid": stale}), encoding="utf-8")
    assert read_worker(tmp_path / "data").stale
    result = CliRunner().invoke(app, ["server", "status"])
    assert result.exit_code == 1 and f"worker not running (removed a stale pidfile of pid {stale})" in result.stdout
    assert not files.worker_pid.exists() and not files.worker_info.exists()
    files.worker_pid.write_text(f"{stale}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["server", "stop"])
    assert result.exit_code == 0 and f"removed a stale pidfile of pid {stale}" in result.stderr
    assert not files.worker_pid.exists()


def test_progress_lines_are_taken_whole_and_once(tmp_path: Path) -> None:
    progress = tmp_path / "run.jsonl"
    state = WorkerState(pid=1, alive=True, info={"api_url": API, "results": str(tmp_path)})
    run = WorkerRun(state, httpx.Client(), {"id": "r-1", "name": "red-fox"}, progress)
    assert run._new_records() == []  # the worker has not written the file yet
    first = json.dumps(outcome_record(OUTCOME), ensure_ascii=False)
    progress.write_text(first + "\n" + first[:20], encoding="utf-8")  # one line, and half of the next
    assert [r.source_file for r in run._new_records()] == ["报表.pdf"]
    assert run._new_records() == []
    with progress.open("a", encoding="utf-8") as file:
        file.write(first[20:] + "\n")
    assert [r.status for r in run._new_records()] == ["quarantined"]
    run.close()
    assert not progress.exists()


@pytest.mark.parametrize("stored", ["result", "record"])
def test_the_outcomes_are_read_from_the_persisted_flow_result(tmp_path: Path, stored: str) -> None:
    records = [outcome_record(OUTCOME)]
    path = tmp_path / "4c69ed640248449fac6bc413fb2b15d4"
    if stored == "result":  # what Prefect 3.9 writes with the JSON serializer
        path.write_text(json.dumps(records), encoding="utf-8")
    else:  # a whole result record: metadata beside the serialized result
        path.write_text(json.dumps({"metadata": {}, "result": json.dumps(records)}), encoding="utf-8")
    state = WorkerState(pid=1, alive=True, info={"api_url": API, "results": str(tmp_path)})
    run = WorkerRun(state, httpx.Client(), {"id": "r-1"}, tmp_path / "run.jsonl")
    for key in (str(path), path.name):  # absolute, or relative to the result storage
        outcomes = run._result({"state": {"data": {"storage_key": key}}})
        assert outcomes == [OutcomeRecord.from_record(records[0])]
    assert run._result({"state": {"data": None}}) is None
    assert run._result({"state": {"data": {"storage_key": str(tmp_path / "gone")}}}) is None


def test_run_falls_back_to_a_local_flow_when_the_worker_does_not_take_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = WorkerState(pid=1, alive=True, info={"api_url": API, "deployment_id": "d-1"})
    monkeypatch.setattr("flows.remote.find_worker", lambda data_dir, api, warehouse: (worker, None))

    def refuse(*args: object, **kwargs: object) -> WorkerRun:
        raise WorkerUnavailable("the worker's deployment did not take the run (404)")

    ran: list[list[Path]] = []

    def local_run(paths, settings, progress=None, data_docs=False):  # type: ignore[no-untyped-def]
        ran.append(list(paths))
        return RunSummary()

    monkeypatch.setattr("flows.remote.WorkerRun.submit", refuse)
    monkeypatch.setattr("flows.flow.run", local_run)
    monkeypatch.setenv("PREFECT_API_URL", API)
    result = CliRunner().invoke(app, ["run", str(SEED_PDF), "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    assert result.exit_code == 0, result.output
    assert "did not take the run" in result.stderr and ran == [[SEED_PDF]]


def test_the_worker_removes_result_files_past_their_retention_and_nothing_else(tmp_path: Path) -> None:
    from datetime import timedelta

    from flows.worker import prune_results

    now = time.time()
    old, fresh = tmp_path / "old-result", tmp_path / "fresh-result"
    for path, age_days in ((old, 8), (fresh, 6)):
        path.write_text("[]", encoding="utf-8")
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    os.utime(folder, (now - 30 * 86400, now - 30 * 86400))
    elsewhere = tmp_path.parent / f"{tmp_path.name}-kept"
    elsewhere.write_text("not a result", encoding="utf-8")
    link = tmp_path / "old-link"
    link.symlink_to(elsewhere)
    os.utime(link, (now - 30 * 86400, now - 30 * 86400), follow_symlinks=False)
    assert prune_results(tmp_path, timedelta(days=7), now=now) == [old]
    assert fresh.exists() and folder.is_dir() and link.is_symlink() and elsewhere.exists()
    assert prune_results(tmp_path / "missing", timedelta(days=7)) == []
