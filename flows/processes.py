"""Background processes of the CLI: pidfiles, liveness, what a pid is, stopping, ports, logs (no Prefect)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ServerError(RuntimeError):
    """The server or its worker could not be started (port taken, process exited, no answer in time)."""


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a text file ('' when it does not exist).

    Parameters
    ----------
    path : Path
        The file (the server log).
    lines : int
        How many lines.

    Returns
    -------
    str
        Those lines, joined with newlines.

    """
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, None when missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def read_pid(path: Path) -> int | None:
    """The pid in a pidfile, None when missing or unreadable."""
    try:
        return int(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a zombie child of ours is reaped)."""
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our exited child
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.is_file():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True
    return True


def _command_line(pid: int) -> list[bytes] | None:
    """The argv of a live ``pid`` (None: not alive; [] when it cannot be read, e.g. off Linux)."""
    if pid <= 0 or not process_alive(pid):
        return None
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def is_prefect_server(pid: int) -> bool:
    """Whether ``pid`` lives and is a ``prefect server start`` (a reused pid is not; unknown off Linux: trusted)."""
    words = _command_line(pid)
    if not words:
        return words is not None
    return any(b"prefect" in w for w in words) and b"server" in words and b"start" in words


def is_worker(pid: int) -> bool:
    """Whether ``pid`` lives and is a ``python -m flows.worker`` (unknown off Linux: trusted)."""
    words = _command_line(pid)
    if not words:
        return words is not None
    return b"flows.worker" in words


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM the server's process group (or the process), then SIGKILL it after ``timeout`` seconds."""
    try:
        group = os.getpgid(pid) == pid
    except ProcessLookupError:
        return

    def send(sig: int) -> None:
        try:
            os.killpg(pid, sig) if group else os.kill(pid, sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return
        time.sleep(0.1)
    send(signal.SIGKILL)
    for _ in range(50):
        if not process_alive(pid):
            return
        time.sleep(0.1)


def free_port(host: str) -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Background:
    """A detached process of a data dir (the Prefect server, the worker): its pidfile, the files beside it, its log."""

    name: str  # how messages name it, e.g. "the Prefect server"
    pidfile: Path
    others: tuple[Path, ...]  # files that live and die with the process (URL file, info file, socket)
    log: Path
    is_ours: Callable[[int], bool]  # whether a live pid is still this process (not a reused pid)

    def find(self) -> tuple[int | None, bool, bool]:
        """``(pid, alive, stale)`` from the pidfile; stale: it names a process that is gone or not ours."""
        pid = read_pid(self.pidfile)
        if pid is None:
            return None, False, self.pidfile.exists()
        alive = self.is_ours(pid)
        return pid, alive, not alive

    def clean(self, force: bool = False) -> bool:
        """Remove the pidfile and the files beside it when the process is gone or not ours (or always, with ``force``).

        Parameters
        ----------
        force : bool
            Remove them even if the process lives (after it was stopped).

        Returns
        -------
        bool
            True when a pidfile was removed.

        """
        pid = read_pid(self.pidfile)
        if not force and pid is not None and self.is_ours(pid):
            return False
        existed = self.pidfile.exists()
        for path in (self.pidfile, *self.others):
            path.unlink(missing_ok=True)
        return existed

    def stop(self, pid: int | None, timeout: float) -> None:
        """Terminate the live process ``pid`` (None: none runs), then remove the pidfile and the files beside it."""
        if pid is not None:
            terminate(pid, timeout)
        self.clean(force=True)

    def spawn(self, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``command`` detached, its output appended to the log after a dated header line; write the pidfile."""
        with self.log.open("ab") as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                start_new_session=True,  # its own process group: the shell's Ctrl-C does not reach it
            )
        self.pidfile.write_text(f"{process.pid}\n", encoding="utf-8")
        return process

    def wait(
        self, pid: int, process: subprocess.Popen[bytes] | None, timeout: float, ready: Callable[[], T | None], goal: str, poll: float
    ) -> T:
        """Poll ``ready`` until it gives a value; stop the process and raise ServerError if it exits or times out.

        Parameters
        ----------
        pid : int
            The process (``process``'s pid, or one started by an earlier command).
        process : subprocess.Popen or None
            The process when this command started it (its exit is then seen by ``poll``).
        timeout : float
            Seconds to wait.
        ready : callable
            The started state, or None while the process is not there yet.
        goal : str
            What it did not do in time, for the message (e.g. ``answer at <url>``).
        poll : float
            Seconds between two looks.

        Returns
        -------
        T
            What ``ready`` gave.

        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exited = process.poll() is not None if process is not None else not process_alive(pid)
            if exited:
                self.clean(force=True)
                raise ServerError(f"{self.name} exited while starting; end of {self.log}:\n{tail(self.log)}")
            state = ready()
            if state is not None:
                return state
            time.sleep(poll)
        terminate(pid, 10.0)
        self.clean(force=True)
        raise ServerError(f"{self.name} did not {goal} within {timeout:.0f} s; end of {self.log}:\n{tail(self.log)}")
