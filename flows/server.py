"""A local Prefect server in the background, so that flow runs need not start a temporary one.

``fiscal server start`` runs ``prefect server start`` as a detached process whose pid, API URL and
log live under ``<data dir>/prefect-server/`` (its ``PREFECT_HOME``, with the server's database, is
``home/`` there). Later commands find it (pidfile, then ``/health``) and point their flow runs at
it through ``PREFECT_API_URL``.

Beside it runs the worker (``python -m flows.worker``, flows/worker.py): a process with Prefect, the
pipeline and Great Expectations loaded once, serving the ``fiscal-run`` flow as the deployment
``fiscal-run/local``; `fiscal run` hands its documents to it (flows/remote.py). Its pid, log and
``worker.json`` (written once it serves: deployment id, API URL, wake-up socket, the code files it
loaded) live in the same folder. This module imports neither Prefect nor anything heavy.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.processes import Background, ServerError, free_port, is_prefect_server, is_worker, tail

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
#: a cold start (new database, migrations) takes ≈ 15 s on 2 cores; a loaded machine needs more
DEFAULT_START_TIMEOUT = 120.0
#: the deployment the worker serves (flow ``fiscal-run``, deployment ``local``)
WORKER_DEPLOYMENT = "fiscal-run/local"
#: the folder holding the ``flows`` package: the worker must import the same code as the command that starts it
CODE_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ServerFiles:
    """Where the background server keeps its pid, URL, log and ``PREFECT_HOME``."""

    root: Path

    @property
    def pid(self) -> Path:
        """The server process id (also its process group)."""
        return self.root / "server.pid"

    @property
    def url(self) -> Path:
        """The server's API URL, e.g. ``http://127.0.0.1:4200/api``."""
        return self.root / "server.url"

    @property
    def log(self) -> Path:
        """Everything the server writes (appended over restarts)."""
        return self.root / "server.log"

    @property
    def home(self) -> Path:
        """``PREFECT_HOME`` of the server (and of the worker): its SQLite database and UI files."""
        return self.root / "home"

    @property
    def worker_pid(self) -> Path:
        """The worker process id (also its process group)."""
        return self.root / "worker.pid"

    @property
    def worker_log(self) -> Path:
        """Everything the worker writes (appended over restarts)."""
        return self.root / "worker.log"

    @property
    def worker_info(self) -> Path:
        """JSON the worker writes once it serves its deployment (removed when it stops)."""
        return self.root / "worker.json"

    @property
    def worker_wake(self) -> Path:
        """The worker's Unix datagram socket: `fiscal run` pokes it after creating a flow run."""
        return self.root / "worker.sock"

    @property
    def results(self) -> Path:
        """Result storage of the worker's flow runs (one JSON file of outcome records per flow run)."""
        return self.root / "results"

    @property
    def runs(self) -> Path:
        """Progress files of the flow runs `fiscal run` is waiting for (removed when they end)."""
        return self.root / "runs"

    @property
    def server_process(self) -> Background:
        """The server as a background process: pidfile, URL file, log."""
        return Background("the Prefect server", self.pid, (self.url,), self.log, is_prefect_server)

    @property
    def worker_process(self) -> Background:
        """The worker as a background process: pidfile, ``worker.json``, socket, log."""
        return Background("the worker", self.worker_pid, (self.worker_info, self.worker_wake), self.worker_log, is_worker)


@dataclass(frozen=True)
class ServerState:
    """What the files and the process say about the background server."""

    pid: int | None
    url: str | None
    alive: bool
    healthy: bool
    stale: bool = False

    @property
    def running(self) -> bool:
        """True when the process lives and its API answers."""
        return self.alive and self.healthy


def server_files(data_dir: Path) -> ServerFiles:
    """The background server's files for a data dir.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR`` (made absolute, so that the server does not depend on the working directory).

    Returns
    -------
    ServerFiles
        Paths under ``<data dir>/prefect-server/``.

    """
    return ServerFiles(Path(data_dir).absolute() / "prefect-server")


def api_url(host: str, port: int) -> str:
    """The API URL of a Prefect server listening on ``host:port``.

    Parameters
    ----------
    host : str
        Address the server listens on (an IPv6 address gets brackets).
    port : int
        TCP port.

    Returns
    -------
    str
        ``http://host:port/api``.

    """
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/api"


def api_healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check.

    Parameters
    ----------
    url : str
        The API URL (``…/api``).
    timeout : float
        Seconds to wait for the answer.

    Returns
    -------
    bool
        True when ``GET <url>/health`` returns 200 (proxies from the environment are not used).

    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url.rstrip("/") + "/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def read_server(data_dir: Path, timeout: float = 2.0) -> ServerState:
    """The state of the background server of a data dir, without changing anything.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR``.
    timeout : float
        Seconds to wait for the health check.

    Returns
    -------
    ServerState
        ``stale`` is set when a pidfile names a process that is gone or is not a Prefect server.

    """
    files = server_files(data_dir)
    pid, alive, stale = files.server_process.find()
    url = files.url.read_text(encoding="utf-8").strip() if files.url.is_file() else None
    healthy = alive and url is not None and api_healthy(url, timeout)
    return ServerState(pid=pid, url=url, alive=alive, healthy=healthy, stale=stale)


def running_server_url(data_dir: Path) -> str | None:
    """The API URL of the background server of a data dir (``FISCAL_DATA_DIR``) when it runs and answers.

    None when there is no pidfile, a stale one, or no answer within a second.
    """
    state = read_server(data_dir, timeout=1.0)
    return state.url if state.running else None


def start_server(
    data_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = DEFAULT_START_TIMEOUT
) -> ServerState:
    """Start ``prefect server start`` detached, and wait until its API answers.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR``: pidfile, URL, log and ``PREFECT_HOME`` go to ``<data dir>/prefect-server/``.
    host : str
        Address to listen on.
    port : int
        TCP port; 0 picks a free one.
    timeout : float
        Seconds to wait for ``/health``.

    Returns
    -------
    ServerState
        The running server (the one already running for this data dir, if any).

    Raises
    ------
    ServerError
        The port is taken, the process exited, or it did not answer in time (it is then stopped).

    """
    state = read_server(data_dir)
    if state.alive:
        if state.healthy or state.url is None:
            return state
        return _wait_healthy(data_dir, state.pid or 0, state.url, None, timeout)
    clean_stale(data_dir)
    port = port or free_port(host)
    check_port_free(host, port)
    files = server_files(data_dir)
    files.home.mkdir(parents=True, exist_ok=True)
    url = api_url(host, port)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(files.home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_API_HOST=host,
        PREFECT_SERVER_API_PORT=str(port),
    )
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)]
    process = files.server_process.spawn(command, files.root, env)
    files.url.write_text(f"{url}\n", encoding="utf-8")
    return _wait_healthy(data_dir, process.pid, url, process, timeout)


def stop_server(data_dir: Path, timeout: float = 20.0) -> ServerState:
    """Stop the background server of a data dir (SIGTERM to its process group, SIGKILL ``timeout`` s later).

    Returns the state before stopping (``alive`` False: nothing was running; ``stale``: a stale pidfile was
    removed). The pidfile and URL file are gone afterwards; the log and the server's database stay.
    """
    state = read_server(data_dir, timeout=1.0)
    server_files(data_dir).server_process.stop(state.pid if state.alive else None, timeout)
    return state


def clean_stale(data_dir: Path, force: bool = False) -> bool:
    """Remove the server's pidfile and URL file when its process is gone (or always, with ``force``).

    Returns True when a pidfile was removed.
    """
    return server_files(data_dir).server_process.clean(force)


@contextmanager
def flow_api(data_dir: Path) -> Iterator[str | None]:
    """Point the flow runs inside the block at a running Prefect server, if there is one.

    An explicit ``PREFECT_API_URL`` (environment, or Prefect settings already loaded in this process)
    wins; else the background server of ``data_dir``; else a temporary server for the block
    (``temporary_server``: it never outlives this process, even after ``kill -9``).

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR`` of the command.

    Yields
    ------
    str or None
        The API URL the flows use, or None for a temporary server of this command.

    """
    explicit = os.environ.get("PREFECT_API_URL") or _loaded_prefect_api_url()
    if explicit:
        yield explicit
        return
    url = running_server_url(data_dir)
    if url is None:
        with temporary_server(data_dir) as temporary:
            with _api_url_set(temporary):
                yield None
        return
    with _api_url_set(url):
        yield url


@contextmanager
def _api_url_set(url: str) -> Iterator[None]:
    """``PREFECT_API_URL`` set to ``url`` inside the block (environment, and Prefect's settings if loaded)."""
    os.environ["PREFECT_API_URL"] = url  # read when Prefect is first imported (in this process and children)
    try:
        if "prefect.settings" in sys.modules:  # already imported: its settings are fixed, override them
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings({PREFECT_API_URL: url}):
                yield
        else:
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@contextmanager
def temporary_server(data_dir: Path, timeout: float = DEFAULT_START_TIMEOUT) -> Iterator[str]:
    """A Prefect server for the block only, which also stops if this process is killed (flows/tempserver.py).

    It uses the Prefect settings of the environment (``PREFECT_HOME``'s database), as Prefect's own
    temporary server would; its output goes to ``<data dir>/prefect-server/temporary-server.log``.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR`` of the command (for the log).
    timeout : float
        Seconds to wait for ``/health``.

    Yields
    ------
    str
        The server's API URL.

    Raises
    ------
    ServerError
        The server exited or did not answer in time (it is then stopped).

    """
    host = DEFAULT_HOST
    port = free_port(host)
    url = api_url(host, port)
    root = server_files(data_dir).root
    log_path = root / "temporary-server.log"
    try:
        root.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
    except OSError:  # a read-only data dir: the server still runs, its output is lost
        log = open(os.devnull, "ab")  # noqa: SIM115 - closed below, after the process
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    command = [sys.executable, "-m", "flows.tempserver", "--parent", str(os.getpid()), "--host", host, "--port", str(port)]
    with log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=CODE_ROOT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while not api_healthy(url, timeout=1.0):
            if process.poll() is not None:
                raise ServerError(f"the temporary Prefect server exited while starting; end of {log_path}:\n{tail(log_path)}")
            if time.monotonic() > deadline:
                raise ServerError(f"the temporary Prefect server did not answer at {url} within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _loaded_prefect_api_url() -> str | None:
    """PREFECT_API_URL of the Prefect settings in effect, when Prefect is already imported (else None)."""
    if "prefect.settings" not in sys.modules:
        return None
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def _wait_healthy(
    data_dir: Path, pid: int, url: str, process: subprocess.Popen[bytes] | None, timeout: float
) -> ServerState:
    """Poll ``/health`` until it answers; stop the process and raise ServerError if it exits or times out."""

    def healthy() -> ServerState | None:
        return ServerState(pid=pid, url=url, alive=True, healthy=True) if api_healthy(url, timeout=1.0) else None

    return server_files(data_dir).server_process.wait(pid, process, timeout, healthy, f"answer at {url}", poll=0.25)


def check_port_free(host: str, port: int) -> None:
    """Raise ServerError when ``host:port`` cannot be bound (another server listens there)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            other = api_url(host, port)
            known = " (a Prefect server answers there: use it with PREFECT_API_URL=" + other + ")" if api_healthy(other) else ""
            raise ServerError(f"port {port} on {host} is in use{known}; choose another with --port") from exc
