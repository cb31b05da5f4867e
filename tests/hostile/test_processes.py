"""No process we start implicitly outlives us: the temporary Prefect server after kill -9 or SIGTERM of its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from extract.isolation import request_parent_death_signal

ROOT = Path(__file__).resolve().parents[2]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"

pytestmark = pytest.mark.slow


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and not k.startswith(("FISCAL_", "PREFECT_"))}
    env.update(
        FISCAL_DATA_DIR=str(tmp_path / "data"),
        FISCAL_WAREHOUSE_URL=f"sqlite:///{tmp_path / 'wh.sqlite'}",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _temporary_servers_of(parent: int) -> list[psutil.Process]:
    """The `flows.tempserver` processes started by ``parent``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if "flows.tempserver" in cmdline and "--parent" in cmdline and cmdline[cmdline.index("--parent") + 1] == str(parent):
            found.append(process)
    return found


def _wait_for(predicate, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def command_started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Commands the test starts; any still running at the end is killed (and its servers with it)."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        leftovers = _temporary_servers_of(process.pid)
        if process.poll() is None:
            process.kill()
            process.wait()
        for server in leftovers:
            server.kill()


def _start(command: list[str], tmp_path: Path, started: list[subprocess.Popen[bytes]]) -> tuple[subprocess.Popen[bytes], psutil.Process]:
    process = subprocess.Popen(command, env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(process)
    assert _wait_for(lambda: bool(_temporary_servers_of(process.pid)) or process.poll() is not None, 60)
    servers = _temporary_servers_of(process.pid)
    assert servers, f"no temporary server started (exit {process.poll()})"
    return process, servers[0]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_temporary_server_of_fiscal_run_dies_with_it(tmp_path: Path, command_started: list[subprocess.Popen[bytes]], sig: int) -> None:
    fiscal = [sys.executable, "-m", "flows.cli"]
    process, server = _start([*fiscal, "run", str(SEED_PDF)], tmp_path, command_started)
    time.sleep(1.0)  # the server is importing Prefect or already serving: either way it must go
    process.send_signal(sig)
    process.wait(timeout=30)
    assert _wait_for(lambda: not server.is_running() or server.status() == psutil.STATUS_ZOMBIE, 20), (
        f"temporary server {server.pid} still runs after {signal.Signals(sig).name} of its command"
    )


def test_the_temporary_server_of_fiscal_harvest_dies_with_it_on_sigterm(
    tmp_path: Path, command_started: list[subprocess.Popen[bytes]]
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        textwrap.dedent(
            """\
            sources:
              - name: nowhere
                kind: http_listing
                start_urls: ["http://127.0.0.1:9/list/"]
            """
        ),
        encoding="utf-8",
    )
    fiscal = [sys.executable, "-m", "flows.cli"]
    process, server = _start([*fiscal, "harvest", "--sources", str(sources)], tmp_path, command_started)
    process.send_signal(signal.SIGTERM)  # what `timeout` and systemd send
    process.wait(timeout=30)
    assert _wait_for(lambda: not server.is_running() or server.status() == psutil.STATUS_ZOMBIE, 20)


def test_a_server_whose_parent_is_already_gone_does_not_start(tmp_path: Path) -> None:
    # the parent named on the command line is not our parent: it exits at once instead of serving
    result = subprocess.run(
        [sys.executable, "-m", "flows.tempserver", "--parent", "1", "--port", "9"],
        cwd=ROOT, capture_output=True, timeout=60, check=False,
    )
    assert result.returncode == 1


def test_the_parent_death_signal_is_available_here() -> None:
    # the tie rests on prctl on Linux; elsewhere the once-a-second parent check alone holds
    if sys.platform.startswith("linux"):
        child = subprocess.run(
            [sys.executable, "-c", "from extract.isolation import request_parent_death_signal as r; print(r())"],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        )
        assert child.stdout.strip() == "True"
    else:
        assert request_parent_death_signal() is False


def _readers_of(parent: int) -> list[psutil.Process]:
    """The isolated PDF reader processes (`python -m extract.isolation`) started by ``parent``."""
    found = []
    for process in psutil.process_iter(["cmdline", "ppid"]):
        cmdline = process.info.get("cmdline") or []
        if "extract.isolation" in cmdline and process.info.get("ppid") == parent:
            found.append(process)
    return found


def test_the_pdf_reader_dies_with_its_command_and_a_finished_run_leaves_none(
    tmp_path: Path, command_started: list[subprocess.Popen[bytes]]
) -> None:
    # the pipeline without Prefect (the same reader serves the flows), killed while it reads
    script = textwrap.dedent(
        f"""\
        import sys
        from pathlib import Path
        from flows.engine import warehouse_engine
        from flows.pipeline import process_document
        from flows.settings import Settings
        settings = Settings(warehouse_url="sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=Path("{tmp_path / 'data'}"))
        engine = warehouse_engine(settings.warehouse_url)
        for _ in range(int(sys.argv[1])):
            process_document(Path("{SEED_PDF}"), settings, engine, parallel=False)
        """
    )
    killed = subprocess.Popen([sys.executable, "-c", script, "1000"], env=_env(tmp_path), cwd=ROOT)
    command_started.append(killed)
    assert _wait_for(lambda: bool(_readers_of(killed.pid)) or killed.poll() is not None, 90)
    (reader,) = _readers_of(killed.pid)
    killed.kill()
    killed.wait(timeout=30)
    assert _wait_for(lambda: not reader.is_running() or reader.status() == psutil.STATUS_ZOMBIE, 20)
    finished = subprocess.Popen([sys.executable, "-c", script, "1"], env=_env(tmp_path), cwd=ROOT)
    command_started.append(finished)
    assert _wait_for(lambda: bool(_readers_of(finished.pid)) or finished.poll() is not None, 90)
    readers = _readers_of(finished.pid)
    assert finished.wait(timeout=120) == 0
    assert readers and _wait_for(lambda: not any(r.is_running() and r.status() != psutil.STATUS_ZOMBIE for r in readers), 20)
