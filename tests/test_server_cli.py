"""`fiscal server start|status|stop`: a background Prefect server that later flow runs use instead of a temporary one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.server import api_url, flow_api, read_server, running_server_url, server_files

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _gone(pid: int) -> bool:
    """True when no process ``pid`` runs (a zombie waiting for a parent that does not reap counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FISCAL_DATA_DIR in a temp dir, no PREFECT_API_URL in the environment."""
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return tmp_path / "data"


def _write_pidfile(data_dir: Path, pid: int, port: int = 4999) -> None:
    files = server_files(data_dir)
    files.root.mkdir(parents=True, exist_ok=True)
    files.pid.write_text(f"{pid}\n", encoding="utf-8")
    files.url.write_text(api_url("127.0.0.1", port) + "\n", encoding="utf-8")


@pytest.mark.parametrize("pid", ["dead", "not a prefect server"])
def test_a_stale_pidfile_is_reported_removed_and_ignored(data_dir: Path, pid: str) -> None:
    # a pid that exited, or one that lives but is no Prefect server (this test process): never signalled
    _write_pidfile(data_dir, _dead_pid() if pid == "dead" else os.getpid())
    assert read_server(data_dir).stale and running_server_url(data_dir) is None
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}), flow_api(data_dir) as api:
        assert api is None and "PREFECT_API_URL" not in os.environ  # runs fall back to the temporary server
    result = CliRunner().invoke(app, ["server", "status"])
    assert result.exit_code == 1 and "stale pidfile" in result.output
    assert not server_files(data_dir).pid.exists() and not server_files(data_dir).url.exists()
    result = CliRunner().invoke(app, ["server", "status"])
    assert result.exit_code == 1 and result.output.strip() == "not running"


def test_stop_with_a_stale_pidfile_removes_it_and_signals_nothing(data_dir: Path) -> None:
    _write_pidfile(data_dir, os.getpid())
    result = CliRunner().invoke(app, ["server", "stop"])
    assert result.exit_code == 0 and "stale pidfile" in result.output
    assert not server_files(data_dir).pid.exists()
    assert CliRunner().invoke(app, ["server", "stop"]).output.strip() == "not running"


def test_an_explicit_prefect_api_url_wins(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    with flow_api(data_dir) as api:
        assert api == "http://prefect.example:4200/api"


def test_start_on_a_taken_port_fails_clearly(data_dir: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = CliRunner().invoke(app, ["server", "start", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port}" in result.output and "--port" in result.output
    assert not server_files(data_dir).pid.exists()


def _fiscal(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def _api(url: str, path: str, body: dict[str, object]) -> list[dict[str, object]]:
    request = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return list(json.load(response))


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """Environment and working dir for `fiscal` subprocesses; stops a server the test left running."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and not k.startswith("FISCAL_")}
    env.update(
        FISCAL_DATA_DIR=str(tmp_path / "data"), FISCAL_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'wh.sqlite'}",
        PYTHONPATH=str(ROOT), PREFECT_HOME=str(tmp_path / "client-prefect-home"),
    )
    yield env, tmp_path
    _fiscal(["server", "stop"], env, tmp_path, timeout=60)


@pytest.mark.slow
def test_start_status_run_through_the_server_stop(cli_env: tuple[dict[str, str], Path]) -> None:
    env, cwd = cli_env
    data_dir = cwd / "data"
    started = _fiscal(["server", "start", "--port", str(_free_port())], env, cwd)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    files = server_files(data_dir)
    pid = int(files.pid.read_text())
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api") and files.url.read_text().strip() == url
    assert (files.home / "prefect.db").exists() and files.log.is_file()  # the server's own PREFECT_HOME

    status = _fiscal(["server", "status"], env, cwd)
    assert status.returncode == 0 and status.stdout.strip() == f"running {url} pid {pid}"
    again = _fiscal(["server", "start"], env, cwd)  # idempotent: the running one
    assert again.returncode == 0 and again.stdout.strip() == url and "already running" in again.stderr

    run = _fiscal(["run", str(SEED_PDF)], env, cwd)
    assert run.returncode == 0, run.stderr
    assert "loaded: 1" in run.stderr and "Prefect starts a temporary server" not in run.stderr
    # the run is recorded by our server: no temporary server was started for it
    flows = {f["id"]: f["name"] for f in _api(url, "/flows/filter", {})}
    runs = _api(url, "/flow_runs/filter", {})
    assert [flows[r["flow_id"]] for r in runs] == ["fiscal-run"]
    assert runs[0]["state_type"] == "COMPLETED"
    assert not (cwd / "client-prefect-home" / "prefect.db").exists()  # what a temporary server would create

    # any server named by PREFECT_API_URL works the same (here: no pidfile in that data dir)
    explicit = {**env, "PREFECT_API_URL": url, "FISCAL_DATA_DIR": str(cwd / "other-data")}
    run = _fiscal(["run", str(SEED_PDF)], explicit, cwd)
    assert run.returncode == 0 and "Prefect starts a temporary server" not in run.stderr, run.stderr
    assert len(_api(url, "/flow_runs/filter", {})) == 2

    stopped = _fiscal(["server", "stop"], env, cwd)
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stderr
    assert not files.pid.exists() and not files.url.exists()
    assert _gone(pid)
    status = _fiscal(["server", "status"], env, cwd)
    assert status.returncode == 1 and status.stdout.strip() == "not running"


def _fake_flow_run(seen: dict[str, object]):  # type: ignore[no-untyped-def]
    """A stand-in for flows.flow.run that records which Prefect API the flow runs would use."""
    from prefect.settings import get_current_settings

    from flows.flow import RunSummary

    def run(paths, settings, progress=None, data_docs=False):  # type: ignore[no-untyped-def]
        seen["env"] = os.environ.get("PREFECT_API_URL")
        seen["settings"] = get_current_settings().api.url
        return RunSummary()

    return run


@pytest.mark.parametrize("server", [True, False], ids=["server running", "no server"])
def test_run_points_its_flows_at_the_running_server(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: bool
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    seen: dict[str, object] = {}
    monkeypatch.setattr("flows.flow.run", _fake_flow_run(seen))
    url = "http://127.0.0.1:4999/api"
    monkeypatch.setattr("flows.server.running_server_url", lambda data_dir: url if server else None)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["run", str(SEED_PDF), "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    assert result.exit_code == 0, result.output
    if server:
        assert seen == {"env": url, "settings": url} and "temporary server" not in result.stderr
    else:
        assert seen == {"env": None, "settings": None}
        assert "Prefect starts a temporary server" in result.stderr and "fiscal server start" in result.stderr
    assert "PREFECT_API_URL" not in os.environ  # restored after the command
