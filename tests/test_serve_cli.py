"""`fiscal serve`: refuses without a Prefect server (schedules need one), serves the nightly deployment with one."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

import flows.harvest
from flows.cli import app


def test_serve_without_a_prefect_server_says_how_to_start_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))  # no `fiscal server start` server there
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "fiscal server start" in result.output and "prefect server start" in result.output
    assert "PREFECT_API_URL" in result.output


def test_serve_with_a_server_serves_the_nightly_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []

    def fake_prefect_serve(*deployments: object) -> None:
        served.extend(deployments)

    monkeypatch.setattr("prefect.serve", fake_prefect_serve)
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    (deployment,) = served
    assert deployment.name == "nightly"  # type: ignore[attr-defined]
    (schedule,) = deployment.schedules  # type: ignore[attr-defined]
    assert schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone == "Asia/Shanghai"
    assert flows.harvest.nightly.name == "fiscal-nightly"
