"""`fiscal server start|status|stop`: a background Prefect server that later flow runs use instead of a temporary one,
and its worker, which runs `fiscal run`'s documents from a process with Prefect, the pipeline and GX loaded."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _fake_temporary_server(data_dir: Path) -> Iterator[str]:
    """Stands in for ``flows.server.temporary_server`` (a real one is tested in tests/hostile/test_processes.py)."""
    yield TEMPORARY_URL


TEMPORARY_URL = "http://127.0.0.1:1/api"


@pytest.mark.parametrize("pid", ["dead", "not a prefect server"])
def test_a_stale_pidfile_is_reported_removed_and_ignored(data_dir: Path, pid: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a pid that exited, or one that lives but is no Prefect server (this test process): never signalled
    _write_pidfile(data_dir, _dead_pid() if pid == "dead" else os.getpid())
    assert read_server(data_dir).stale and running_server_url(data_dir) is None
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setattr("flows.server.temporary_server", _fake_temporary_server)
    with temporary_settings(restore_defaults={PREFECT_API_URL}), flow_api(data_dir) as api:
        # runs fall back to a temporary server of the command
        assert api is None and os.environ["PREFECT_API_URL"] == TEMPORARY_URL
    assert "PREFECT_API_URL" not in os.environ
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


# runs `fiscal ARGS` in this interpreter, then writes its exit code and the top-level packages it loaded to argv[1]
RUNNER = """
import json, sys
out, sys.argv = sys.argv[1], ["fiscal", *sys.argv[2:]]
code = 0
try:
    from flows.cli import app
    app()
except SystemExit as exc:
    code = exc.code or 0
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}, f)
"""


def _fiscal_modules(args: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``fiscal ARGS`` in a fresh interpreter; its result and the top-level packages it imported."""
    out = cwd / "modules.json"
    out.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(out), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert out.exists(), result.stderr[-3000:]
    dump = json.loads(out.read_text())
    return subprocess.CompletedProcess(result.args, int(dump["code"]), result.stdout, result.stderr), set(dump["modules"])


def _get(url: str, path: str) -> dict[str, object]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + path, timeout=30) as response:
        return dict(json.load(response))


def _shown(stderr: str) -> list[str]:
    """What `fiscal run` printed, with elapsed times blanked and the lines rich wrapped at 80 columns joined."""
    text = re.sub(r"\d+:\d\d:\d\d", "H:MM:SS", stderr)
    text = re.sub(r"seconds: [\d.]+", "seconds: S", text.replace("\n", " "))
    return text.split()


@pytest.mark.slow
def test_start_status_run_on_the_worker_stop(cli_env: tuple[dict[str, str], Path]) -> None:
    env, cwd = cli_env
    data_dir = cwd / "data"
    started = _fiscal(["server", "start", "--port", str(_free_port())], env, cwd)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    files = server_files(data_dir)
    pid, worker_pid = int(files.pid.read_text()), int(files.worker_pid.read_text())
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api") and files.url.read_text().strip() == url
    assert (files.home / "prefect.db").exists() and files.log.is_file() and files.worker_log.is_file()
    info = json.loads(files.worker_info.read_text())
    assert info["pid"] == worker_pid and info["api_url"] == url and info["deployment"] == "fiscal-run/local"

    status = _fiscal(["server", "status"], env, cwd)
    assert status.returncode == 0
    assert status.stdout.splitlines() == [f"running {url} pid {pid}", f"worker serving fiscal-run/local pid {worker_pid}"]
    again = _fiscal(["server", "start"], env, cwd)  # idempotent: the running ones
    assert again.returncode == 0 and again.stdout.strip() == url and "already running" in again.stderr
    assert int(files.worker_pid.read_text()) == worker_pid

    # the documents as a user names them: relative to the working directory
    (cwd / "in").mkdir()
    shutil.copy(SEED_PDF, cwd / "in" / "seed.pdf")
    run, modules = _fiscal_modules(["run", "in/seed.pdf"], env, cwd)
    assert run.returncode == 0, run.stderr
    assert "loaded: 1" in run.stderr and "Prefect starts a temporary server" not in run.stderr
    heavy = modules & {"prefect", "great_expectations", "camelot"}
    assert not heavy, (sorted(heavy), run.stderr[-3000:])  # the worker did the work (else: why it ran here)
    # the flow run is the deployment's, run by the worker, with its outcomes persisted as its result
    deployment = _get(url, f"/deployments/{info['deployment_id']}")
    flows = {f["id"]: f["name"] for f in _api(url, "/flows/filter", {})}
    assert deployment["name"] == "local" and flows[deployment["flow_id"]] == "fiscal-run"
    (flow_run,) = _api(url, "/flow_runs/filter", {})
    assert flow_run["deployment_id"] == info["deployment_id"] and flow_run["state_type"] == "COMPLETED"
    assert flow_run["parameters"]["paths"] == [str(cwd / "in" / "seed.pdf")]
    result = json.loads(Path(flow_run["state"]["data"]["storage_key"]).read_text())
    assert [(r["source_file"], r["status"], r["facts_loaded"]) for r in result] == [("seed.pdf", "loaded", 478)]
    assert not list(files.runs.glob("*"))  # the progress file is gone

    # the same document in this process (PREFECT_API_URL names the server; no worker for that data dir):
    # the same lines, and the same warehouse rows
    local_env = {**env, "PREFECT_API_URL": url, "FISCAL_DATA_DIR": str(cwd / "other-data"),
                 "FISCAL_WAREHOUSE_URL": f"sqlite:///{cwd / 'local.sqlite'}"}
    local, modules = _fiscal_modules(["run", "in/seed.pdf"], local_env, cwd)
    assert local.returncode == 0 and "prefect" in modules, local.stderr
    assert _shown(run.stderr) == _shown(local.stderr)
    runs = _api(url, "/flow_runs/filter", {})
    assert len(runs) == 2 and sum(r["deployment_id"] is None for r in runs) == 1
    documents = [_fiscal(["documents"], e, cwd).stdout for e in (env, local_env)]
    assert documents[0] == documents[1] and "in/seed.pdf" in documents[0]

    # Ctrl-C while the worker runs a batch cancels its flow run: the documents after it are not processed
    batch = cwd / "batch"
    batch.mkdir()
    seed = SEED_PDF.read_bytes()
    for n in range(40):  # long enough (≈ 15 s) that the interrupt lands while the batch runs, on any machine
        # distinct bytes (a comment after %%EOF): the same bytes twice are processed once (``duplicate``)
        (batch / f"copy-{n}.pdf").write_bytes(seed + f"\n% copy {n}\n".encode())
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", str(batch)], env=env, cwd=cwd, stderr=subprocess.PIPE, text=True,
        # as from a terminal: pytest-xdist workers ignore SIGINT, and an ignored signal stays ignored in children
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    assert process.stderr is not None
    for line in process.stderr:  # the first document is done: the run is in progress
        if "copy-0.pdf" in line:
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 130 and "cancelled flow run" in rest, rest
    cancelled = next(r for r in _api(url, "/flow_runs/filter", {}) if r["parameters"]["paths"][0].startswith(str(batch)))
    for _ in range(100):
        if cancelled["state_type"] == "CANCELLED":
            break
        time.sleep(0.2)
        cancelled = _get(url, f"/flow_runs/{cancelled['id']}")
    assert cancelled["state_type"] == "CANCELLED"
    assert "copy-39.pdf" not in rest  # it stopped before the end of the batch

    stopped = _fiscal(["server", "stop"], env, cwd)
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stderr and f"worker (pid {worker_pid})" in stopped.stderr
    assert not files.pid.exists() and not files.url.exists()
    assert not files.worker_pid.exists() and not files.worker_info.exists() and not files.worker_wake.exists()
    assert _gone(pid) and _gone(worker_pid)
    status = _fiscal(["server", "status"], env, cwd)
    assert status.returncode == 1 and status.stdout.strip() == "not running"

    # without the worker, `fiscal run` runs the flow itself against the server, as before
    started = _fiscal(["server", "start", "--port", "0", "--no-worker"], env, cwd)
    assert started.returncode == 0 and not files.worker_pid.exists(), started.stderr
    status = _fiscal(["server", "status"], env, cwd)
    assert status.returncode == 0 and "worker not running" in status.stdout
    run, modules = _fiscal_modules(["run", "in/seed.pdf"], env, cwd)
    assert run.returncode == 0 and "prefect" in modules, run.stderr
    assert _shown(run.stderr) == _shown(local.stderr)
    runs = _api(started.stdout.strip(), "/flow_runs/filter", {})  # the same database: the runs so far, and this one
    assert len(runs) == 4 and [r["state_type"] for r in runs if r["deployment_id"] is None] == ["COMPLETED"] * 2


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
    monkeypatch.setattr("flows.server.temporary_server", _fake_temporary_server)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["run", str(SEED_PDF), "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    assert result.exit_code == 0, result.output
    if server:
        assert seen == {"env": url, "settings": url} and "temporary server" not in result.stderr
    else:
        assert seen == {"env": TEMPORARY_URL, "settings": TEMPORARY_URL}
        assert "Prefect starts a temporary server" in result.stderr and "fiscal server start" in result.stderr
    assert "PREFECT_API_URL" not in os.environ  # restored after the command
