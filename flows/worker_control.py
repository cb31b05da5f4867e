"""The worker beside the background server: start it, find it, stop it.

``python -m flows.worker`` itself lives in flows/worker.py. Its pid, log and ``worker.json`` (written once
it serves: deployment id, API URL, wake-up socket, the code files it loaded) live in the server's folder.
This module imports neither Prefect nor anything heavy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.processes import read_json
from flows.server import CODE_ROOT, DEFAULT_START_TIMEOUT, WORKER_DEPLOYMENT, server_files


@dataclass(frozen=True)
class WorkerState:
    """What the files and the process say about the worker."""

    pid: int | None
    alive: bool
    info: dict[str, Any] | None = None  # worker.json, when it belongs to this pid
    stale: bool = False

    @property
    def ready(self) -> bool:
        """True when the process lives and has written that it serves its deployment."""
        return self.alive and self.info is not None

    @property
    def api_url(self) -> str | None:
        """The API URL of the server the worker serves its deployment on."""
        return str(self.info["api_url"]) if self.info else None

    @property
    def deployment_id(self) -> str | None:
        """The id of the deployment ``fiscal-run/local`` on that server."""
        return str(self.info["deployment_id"]) if self.info else None


def read_worker(data_dir: Path) -> WorkerState:
    """The state of the worker of a data dir, without changing anything.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR``.

    Returns
    -------
    WorkerState
        ``info`` is ``worker.json`` when it names the live worker's pid; ``stale`` is set when a pidfile names
        a process that is gone or is not a worker.

    """
    files = server_files(data_dir)
    pid, alive, stale = files.worker_process.find()
    info = read_json(files.worker_info) if alive else None
    if info is not None and info.get("pid") != pid:
        info = None
    return WorkerState(pid=pid, alive=alive, info=info, stale=stale)


def start_worker(data_dir: Path, url: str, timeout: float = DEFAULT_START_TIMEOUT) -> WorkerState:
    """Start the worker (``python -m flows.worker``) detached, and wait until it serves ``fiscal-run/local``.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR``: pidfile, log, ``worker.json`` and result storage go to ``<data dir>/prefect-server/``.
    url : str
        API URL of the Prefect server (the background server of the same data dir).
    timeout : float
        Seconds to wait for it to serve (it imports Prefect, the pipeline and Great Expectations first: ≈ 5 s).

    Returns
    -------
    WorkerState
        The serving worker (the one already running for this data dir, if it serves ``url``).

    Raises
    ------
    ServerError
        The process exited, or did not serve in time (it is then stopped).

    """
    state = read_worker(data_dir)
    if state.alive and (state.info is None or state.api_url == url):
        return state if state.ready else _wait_worker(data_dir, state.pid or 0, None, timeout)
    if state.alive:  # it serves another server (this data dir's server was restarted on another port)
        stop_worker(data_dir)
    clean_stale_worker(data_dir, force=True)
    files = server_files(data_dir)
    files.root.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    python_path = [str(CODE_ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    env.update(PYTHONPATH=os.pathsep.join(python_path), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    command = [sys.executable, "-m", "flows.worker", "--data-dir", str(files.root.parent), "--api-url", url]
    process = files.worker_process.spawn(command, files.root, env)
    return _wait_worker(data_dir, process.pid, process, timeout)


def stop_worker(data_dir: Path, timeout: float = 20.0) -> WorkerState:
    """Stop the worker of a data dir (SIGTERM to its process group, SIGKILL ``timeout`` s later).

    Returns the state before stopping. A flow run it is running ends as Crashed. Its pidfile,
    ``worker.json`` and socket are removed; the log and the result storage stay.
    """
    state = read_worker(data_dir)
    server_files(data_dir).worker_process.stop(state.pid if state.alive else None, timeout)
    return state


def clean_stale_worker(data_dir: Path, force: bool = False) -> bool:
    """Remove the worker's pidfile, ``worker.json`` and socket when its process is gone (or always, with ``force``).

    Returns True when a pidfile was removed.
    """
    return server_files(data_dir).worker_process.clean(force)


def code_files_changed(info: dict[str, Any]) -> list[str]:
    """The code files the worker loaded that changed (or went) since it started: it runs older code than them.

    Parameters
    ----------
    info : dict
        ``worker.json``: ``code_files`` (paths) and ``started_ns`` (when the worker started, before its imports).

    Returns
    -------
    list of str
        The changed files (empty when the worker's code is current).

    """
    started = int(info.get("started_ns", 0))
    changed = []
    for name in info.get("code_files", ()):
        try:
            if os.stat(name).st_mtime_ns > started:
                changed.append(str(name))
        except OSError:
            changed.append(str(name))
    return changed


def _wait_worker(data_dir: Path, pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> WorkerState:
    """Wait until the worker writes ``worker.json``; stop it and raise ServerError if it exits or times out."""

    def serving() -> WorkerState | None:
        state = read_worker(data_dir)
        return state if state.ready else None

    return server_files(data_dir).worker_process.wait(pid, process, timeout, serving, f"serve {WORKER_DEPLOYMENT}", poll=0.2)
