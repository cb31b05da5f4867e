"""Background processes of the CLI: pidfiles, liveness, what a pid is, stopping, ports, logs (no Prefect)."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


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


def remove_pidfiles(pidfile: Path, others: Sequence[Path], is_ours: Callable[[int], bool], force: bool = False) -> bool:
    """Remove a pidfile and the files beside it when its process is gone or not ours (or always, with ``force``).

    Parameters
    ----------
    pidfile : Path
        The process's pidfile.
    others : sequence of Path
        Files that live and die with the process (URL file, info file, socket).
    is_ours : callable
        Whether a live pid is still the process the pidfile names (not a reused pid).
    force : bool
        Remove them even if the process lives (after it was stopped).

    Returns
    -------
    bool
        True when a pidfile was removed.

    """
    pid = read_pid(pidfile)
    if not force and pid is not None and is_ours(pid):
        return False
    existed = pidfile.exists()
    for path in (pidfile, *others):
        path.unlink(missing_ok=True)
    return existed
