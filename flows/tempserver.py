"""The temporary Prefect server of one command, tied to that command's life.

Prefect's own ephemeral server is a ``uvicorn`` child that is stopped by an ``atexit`` handler: after
``kill -9`` (or SIGTERM, whose default action skips ``atexit``) of the command it runs on, ≈ 225 MB
each, forever. ``python -m flows.tempserver --parent PID --port N`` serves the same app (Prefect's
``create_app`` factory, UI off, as the ephemeral server) but

- asks the kernel for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)`` on Linux), and
- checks once a second that its parent is still the process that started it (any platform, and the
  case where the parent died before the ``prctl``),

so it never outlives the command. ``flows.server.flow_api`` starts it when no server is configured.
This module imports Prefect only in the child, after the tie is made.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from extract.isolation import request_parent_death_signal

#: seconds between two looks at the parent
PARENT_POLL_SECONDS = 1.0
#: after SIGTERM, seconds uvicorn gets to shut down before the process exits anyway
SHUTDOWN_GRACE_SECONDS = 10.0


def watch_parent(parent: int, poll: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Start a daemon thread that stops this process once ``parent`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        stop_self()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def stop_self() -> None:
    """SIGTERM to this process (uvicorn shuts down), and a hard exit if that takes too long."""
    timer = threading.Timer(SHUTDOWN_GRACE_SECONDS, os._exit, args=(1,))
    timer.daemon = True
    timer.start()
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    """Tie this process to its parent, then serve the Prefect API until told to stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True, help="pid of the command this server belongs to")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    request_parent_death_signal()
    if os.getppid() != args.parent:  # the parent died before the prctl took effect
        return 1
    watch_parent(args.parent)
    # the environment Prefect gives its own ephemeral server (prefect.server.api.server.SubprocessASGIServer)
    os.environ.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
    os.environ.pop("PREFECT_API_URL", None)
    import uvicorn

    uvicorn.run(
        "prefect.server.api.server:create_app", factory=True, host=args.host, port=args.port,
        log_level="error", lifespan="on",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
