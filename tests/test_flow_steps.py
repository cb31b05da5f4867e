"""The fiscal-run flow runs each document as named steps (receive, extract, stage, validate, load); only I/O retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import flows.pipeline as pipeline
from flows.flow import STEP_TASKS, run
from flows.settings import Settings
from tests.prefect_records import latest_flow_run, settled_task_runs

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def task_runs_of_latest_flow_run(expected: int = 5) -> list[tuple[str, str, int]]:
    """(task run name, state, run count) of the newest fiscal-run flow run, in start order, once its steps are recorded."""
    runs = settled_task_runs(latest_flow_run().id, expected)
    return [(r.name, r.state.type.value if r.state else "?", r.run_count) for r in runs]


def test_each_document_runs_as_named_steps(tmp_path: Path) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    summary = run([SEED_PDF], settings)
    assert [o.status for o in summary.outcomes] == ["loaded"]
    names = [name for name, _, _ in task_runs_of_latest_flow_run()]
    doc = SEED_PDF.name
    assert names == [f"receive {doc}", f"extract {doc}", f"stage {doc}", f"validate {doc}", f"load {doc}"]


def test_a_database_hiccup_in_load_is_retried_and_the_document_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.load_document
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("INSERT …", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_document", flaky)
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    summary = run([SEED_PDF], settings)
    assert [o.status for o in summary.outcomes] == ["loaded"]
    assert calls["n"] == 2
    load = [r for r in task_runs_of_latest_flow_run() if r[0].startswith("load ")]
    assert load == [(f"load {SEED_PDF.name}", "COMPLETED", 2)]


def test_only_steps_that_do_io_retry() -> None:
    assert {name: t.retries for name, t in STEP_TASKS.items()} == {
        "receive": 2,
        "extract": 0,
        "stage": 0,
        "validate": 0,
        "load": 2,
    }
