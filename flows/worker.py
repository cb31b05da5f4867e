"""The worker of `fiscal server start`: the ``fiscal-run`` flow served from one warm process.

``python -m flows.worker --data-dir DIR --api-url URL`` (started detached by ``flows.worker_control.start_worker``)
imports Prefect, the pipeline (camelot, the PDF readers) and Great Expectations, builds the process's GX
validator, registers the flow as the deployment ``fiscal-run/local`` on the server at ``URL`` and then runs
that deployment's flow runs itself, one at a time, in this process: each run pays for the documents and
Prefect's bookkeeping, not for ≈ 4 s of imports. `fiscal run` creates the flow runs over the REST API and
reads their results (flows/remote.py); flow runs started from the Prefect UI run the same way.

- Flow runs are found by polling the server every ``POLL_SECONDS`` and at once when something pokes
  ``worker.sock`` (a Unix datagram socket: `fiscal run` does after creating a run). A run is claimed by
  proposing Pending, so a run is never run twice.
- The flow's result (one JSON outcome record per document) is persisted as JSON in
  ``<data dir>/prefect-server/results/`` (``PREFECT_LOCAL_STORAGE_PATH``); step results are not persisted.
- Result files older than ``RESULT_RETENTION`` are removed before each run (``prune_results``).
- Cancelling a run (Ctrl-C in `fiscal run`, or the UI) is seen within a second; the run stops before its
  next step (``flows.flow.cancel_requested``: a step in progress finishes, the document is not booked) and
  ends Cancelled.
- SIGTERM (`fiscal server stop`) exits; a run in progress ends Crashed.
- ``worker.json`` says it serves (pid, API URL, deployment id, socket, the code files it loaded and when it
  started: `fiscal run` does not use a worker whose code changed since).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from flows.credentials import known_warehouses
from flows.server import CODE_ROOT, WORKER_DEPLOYMENT, ServerFiles, server_files

#: seconds between two polls for scheduled flow runs when nobody pokes the socket
POLL_SECONDS = 2.0
#: seconds between two looks at the state of the flow run in progress (is it being cancelled?)
CANCEL_POLL_SECONDS = 1.0
#: Flow-run results older than this are removed (`fiscal run` reads its result as soon as the run ends;
#: the rest stay readable from the Prefect UI for a week).
RESULT_RETENTION = timedelta(days=7)
#: the packages whose code the worker loads (a change in them makes `fiscal run` stop using it)
PACKAGES = ("flows", "extract", "transform", "expectations", "warehouse")

log = logging.getLogger("fiscal.worker")


class Stop(BaseException):
    """SIGTERM: leave the loop (a BaseException, so that nothing on the way mistakes it for a failure)."""


def main(argv: list[str] | None = None) -> int:
    """Serve the deployment until SIGTERM; 0 on a clean stop."""
    parser = argparse.ArgumentParser(prog="python -m flows.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="FISCAL_DATA_DIR of the server")
    parser.add_argument("--api-url", default=os.environ.get("PREFECT_API_URL"), help="the Prefect server's API URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)  # its own lines; not every HTTP request of the polls
    files = server_files(args.data_dir)
    api_url = args.api_url or files.url.read_text(encoding="utf-8").strip()
    started_ns = time.time_ns()
    # read by Prefect when it is first imported, just below
    os.environ["PREFECT_API_URL"] = api_url
    os.environ["PREFECT_HOME"] = str(files.home)
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(files.results)
    worker = Worker(files, api_url)
    signal.signal(signal.SIGTERM, worker.on_sigterm)
    try:
        worker.warm_up()
        worker.register()
        worker.announce(started_ns)
        worker.serve()
    except Stop:
        pass
    finally:
        worker.close()
    log.info("stopped")
    return 0


class Worker:
    """Runs the flow runs of ``fiscal-run/local`` in this process."""

    def __init__(self, files: ServerFiles, api_url: str) -> None:
        """Nothing is imported or contacted yet (see ``warm_up`` and ``register``)."""
        self.files = files
        self.api_url = api_url.rstrip("/")
        self.http = httpx.Client(base_url=self.api_url, timeout=30.0, trust_env=False)
        self.flow: Any = None
        self.deployment_id = ""
        self.wake: socket.socket | None = None
        self.unreachable = False

    def on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM while idle: stop (during a flow run Prefect's own handler is in place and crashes the run)."""
        raise Stop

    def warm_up(self) -> None:
        """Import what a flow run needs and build the GX validator, once for every run to come."""
        started = time.perf_counter()
        # flows.flow first: it sets Prefect's defaults (log level …) before Prefect loads
        from flows.flow import run_documents

        for module in ("prefect.flow_engine", "prefect.task_engine", "expectations.gx_suites"):
            importlib.import_module(module)  # what running a flow imports on first use
        from expectations.gx_suites import gx_validator

        gx_validator()
        self.flow = run_documents.with_options(persist_result=True, result_serializer="json")
        log.info("Prefect, the pipeline and Great Expectations loaded in %.1f s", time.perf_counter() - started)

    def register(self) -> None:
        """Create (or update) the deployment ``fiscal-run/local`` on the server; open the wake-up socket."""
        deployment = self.flow.to_deployment(
            name=WORKER_DEPLOYMENT.split("/")[1],
            description="`fiscal run` documents, run by the worker of `fiscal server start` (flows/worker.py).",
            tags=["fiscal-etl"],
        )
        self.deployment_id = str(deployment.apply())
        self.files.results.mkdir(parents=True, exist_ok=True)
        self.files.worker_wake.unlink(missing_ok=True)
        wake = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            wake.bind(str(self.files.worker_wake))
        except OSError as exc:  # e.g. a path longer than a socket name may be: polling alone still works
            log.warning("no wake-up socket (%s): flow runs are picked up within %.0f s", exc, POLL_SECONDS)
            wake.close()
        else:
            self.wake = wake
        log.info("serving %s (deployment %s) on %s", WORKER_DEPLOYMENT, self.deployment_id, self.api_url)

    def announce(self, started_ns: int) -> None:
        """Write ``worker.json``: this process serves, with which code (written atomically)."""
        info = {
            "pid": os.getpid(),
            "api_url": self.api_url,
            "deployment": WORKER_DEPLOYMENT,
            "deployment_id": self.deployment_id,
            "wake": str(self.files.worker_wake) if self.wake else None,
            "results": str(self.files.results),
            "warehouses": known_warehouses(),  # public forms of the warehouse URLs whose password it knows
            "started_ns": started_ns,
            "code_files": loaded_code_files(),
        }
        partial = self.files.worker_info.with_suffix(".json.tmp")
        partial.write_text(json.dumps(info, indent=1), encoding="utf-8")
        partial.replace(self.files.worker_info)

    def serve(self) -> None:
        """Run scheduled flow runs as they come, until SIGTERM."""
        while True:
            for flow_run in self.scheduled():
                try:
                    self.execute(flow_run)
                except (httpx.HTTPError, ValueError) as exc:  # the server went away mid-way: the next poll says more
                    log.warning("flow run %s: %s", flow_run.get("id"), exc)
            self.wait(POLL_SECONDS)

    def scheduled(self) -> list[dict[str, Any]]:
        """The deployment's flow runs due now, oldest first (asking also tells the server that we serve it)."""
        body = {
            "deployment_ids": [self.deployment_id],
            "scheduled_before": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            "limit": 10,
        }
        try:
            response = self.http.post("/deployments/get_scheduled_flow_runs", json=body)
            response.raise_for_status()
            runs: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if not self.unreachable:  # said once, not at every poll while the server is away
                log.warning("could not ask %s for scheduled flow runs: %s", self.api_url, exc)
            self.unreachable = True
            return []
        if self.unreachable:
            log.info("the server answers again")
            self.unreachable = False
        return sorted(runs, key=lambda r: str(r.get("expected_start_time") or r.get("next_scheduled_start_time")))

    def wait(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass or the wake-up socket is poked."""
        if self.wake is None:
            time.sleep(seconds)
            return
        readable, _, _ = select.select([self.wake], [], [], seconds)
        if readable:
            while True:  # drain: one look at the server serves every poke so far
                try:
                    self.wake.recv(64, socket.MSG_DONTWAIT)
                except OSError:
                    break

    def execute(self, scheduled: dict[str, Any]) -> None:
        """Claim one flow run (Pending) and run it here; a run cancelled meanwhile ends Cancelled."""
        from prefect.client.schemas.objects import FlowRun
        from prefect.exceptions import TerminationSignal
        from prefect.flow_engine import run_flow

        from expectations.gx_suites import gx_validator
        from flows.flow import cancel_requested

        run_id = scheduled["id"]
        claim = self.set_state(run_id, "PENDING", f"picked up by the worker, pid {os.getpid()}")
        if claim != "ACCEPT":
            return
        flow_run = FlowRun.model_validate(self.http.get(f"/flow_runs/{run_id}").json())
        log.info("flow run %s (%s): %d document(s)", flow_run.name, run_id, len(flow_run.parameters.get("paths", ())))
        cancel_requested.clear()
        prune_results(self.files.results, RESULT_RETENTION)
        gx_validator().forget_results()  # Data Docs show this run's documents only, as in a process of its own
        done = threading.Event()
        watcher = threading.Thread(target=self.watch_cancel, args=(run_id, done), name="cancel-watch", daemon=True)
        watcher.start()
        started = time.perf_counter()
        try:
            run_flow(self.flow, flow_run=flow_run, return_type="state")
        except (TerminationSignal, Stop):
            log.warning("flow run %s: stopped by SIGTERM", flow_run.name)
            raise Stop from None
        except Exception:  # noqa: BLE001 - the engine has recorded the failure as the run's state
            log.exception("flow run %s failed", flow_run.name)
        except BaseException as exc:  # Abort (cancelled), Pause …: the engine left the state to us
            log.info("flow run %s: %s", flow_run.name, exc)
        finally:
            done.set()
            watcher.join()
            cancel_requested.clear()
        final = self.state_of(run_id)
        if final == "CANCELLING":
            self.set_state(run_id, "CANCELLED", "cancelled; the steps after the request did not run", force=True)
            final = "CANCELLED"
        log.info("flow run %s: %s in %.1f s", flow_run.name, final, time.perf_counter() - started)

    def watch_cancel(self, run_id: str, done: threading.Event) -> None:
        """While a run is in progress: when it turns Cancelling, ask the flow to stop before its next step."""
        from flows.flow import cancel_requested

        while not done.wait(CANCEL_POLL_SECONDS):
            if self.state_of(run_id) == "CANCELLING":
                log.info("flow run %s is being cancelled", run_id)
                cancel_requested.set()
                return

    def state_of(self, run_id: str) -> str | None:
        """The state type of a flow run (None when the server does not answer)."""
        try:
            response = self.http.get(f"/flow_runs/{run_id}")
            response.raise_for_status()
            return str(response.json().get("state_type"))
        except (httpx.HTTPError, ValueError):
            return None

    def set_state(self, run_id: str, state_type: str, message: str, force: bool = False) -> str:
        """Propose a state for a flow run; the server's answer (ACCEPT, REJECT, ABORT, WAIT)."""
        body = {"state": {"type": state_type, "message": message}, "force": force}
        try:
            response = self.http.post(f"/flow_runs/{run_id}/set_state", json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("flow run %s: could not set %s: %s", run_id, state_type, exc)
            return "ERROR"
        return str(response.json().get("status"))

    def close(self) -> None:
        """Remove ``worker.json`` and the socket (when they are this process's), close the client."""
        info = self.files.worker_info
        try:
            mine = json.loads(info.read_text(encoding="utf-8")).get("pid") == os.getpid()
        except (OSError, ValueError):
            mine = False
        if mine:
            info.unlink(missing_ok=True)
        if self.wake is not None:
            self.wake.close()
            self.files.worker_wake.unlink(missing_ok=True)
        self.http.close()


def prune_results(directory: Path, retention: timedelta, now: float | None = None) -> list[Path]:
    """Remove the result files in ``directory`` last written more than ``retention`` ago; return them."""
    cutoff = (time.time() if now is None else now) - retention.total_seconds()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        try:
            # lstat: a link or folder someone put there is not ours to follow or remove
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError as exc:  # removed meanwhile, or not ours: the next run tries again
            log.debug("could not remove %s: %s", entry.path, exc)
    if removed:
        log.info("removed %d result file(s) older than %s", len(removed), retention)
    return removed


def loaded_code_files() -> list[str]:
    """The project's source files this process has imported, and the YAML files beside them (rules, measures)."""
    roots = [CODE_ROOT / name for name in PACKAGES]
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and any(Path(path).is_relative_to(root) for root in roots):
            found.add(str(Path(path)))
    for root in roots:
        found.update(str(p) for p in root.rglob("*.yaml"))
    return sorted(found)


if __name__ == "__main__":
    sys.exit(main())
