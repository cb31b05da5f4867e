"""`fiscal run` through the worker of `fiscal server start`, over the Prefect REST API (httpx; no Prefect import).

When the background server of the data dir runs with its worker (flows/worker.py), `fiscal run` does not
import Prefect, the pipeline and Great Expectations (≈ 4 s) itself: it creates a flow run of the deployment
``fiscal-run/local`` with the documents' absolute paths, pokes the worker, prints each document's line as
the worker appends its outcome record to a progress file, and reads the outcome records from the flow
run's persisted result (JSON in ``<data dir>/prefect-server/results/``) when it completes. Ctrl-C cancels
the flow run.

The worker is not used (``find_worker``) when none serves the API the command would use (an explicit
``PREFECT_API_URL`` to another server), when its code is older than the files (a stale process), or for an
in-memory warehouse; the command then runs the flow in its own process, as without a worker.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from flows.paths import path_label, path_parameter
from flows.processes import process_alive
from flows.server import server_files
from flows.summary import RunCounts
from flows.worker_control import WorkerState, code_files_changed, read_worker
from warehouse.db import display_url

if TYPE_CHECKING:
    from flows.settings import Settings

#: flow run states after which nothing more happens
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
#: seconds between two looks at the flow run: often at first (one document takes ≈ 0.5 s), then less
FAST_POLL, SLOW_POLL, FAST_FOR = 0.05, 0.5, 10.0


class WorkerUnavailable(RuntimeError):
    """The worker cannot take the run (gone before picking it up, deployment missing): run it locally instead."""


class WorkerRunFailed(RuntimeError):
    """The flow run ended Failed, Crashed or Cancelled on the worker."""


@dataclass(frozen=True)
class OutcomeRecord:
    """A document's outcome as the worker's flow run reports it (the fields `fiscal run` prints)."""

    sha256: str
    source_file: str
    status: str
    reasons: tuple[str, ...] = ()
    department: str | None = None
    fiscal_year: int | None = None
    facts_loaded: int = 0
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> OutcomeRecord:
        """From one JSON record of ``flows.flow.outcome_record`` (its other fields are left out)."""
        return cls(
            sha256=str(record["sha256"]),
            source_file=str(record["source_file"]),
            status=str(record["status"]),
            reasons=tuple(record.get("reasons") or ()),
            department=record.get("department"),
            fiscal_year=record.get("fiscal_year"),
            facts_loaded=int(record.get("facts_loaded") or 0),
            notes=tuple(record.get("notes") or ()),
            seconds=float(record.get("seconds") or 0.0),
        )


@dataclass
class WorkerRunSummary(RunCounts):
    """What a run on the worker did: the same summary as ``flows.flow.RunSummary``."""

    outcomes: list[OutcomeRecord] = field(default_factory=list)
    seconds: float = 0.0
    flow_run_id: str = ""


def find_worker(data_dir: Path, api_url: str | None, warehouse_url: str) -> tuple[WorkerState | None, str | None]:
    """The worker that may run this command's documents, or why the command runs them itself.

    Parameters
    ----------
    data_dir : Path
        ``FISCAL_DATA_DIR`` (the worker of its background server).
    api_url : str or None
        The Prefect API the command's flow runs would use (``flows.server.flow_api``).
    warehouse_url : str
        The command's warehouse.

    Returns
    -------
    tuple
        (the serving worker, None), or (None, a note to print) when a worker runs but cannot be used, or
        (None, None) when there is no worker for that API (nothing to say: the command works as always).

    """
    if api_url is None:
        return None, None
    worker = read_worker(data_dir)
    if not worker.ready or worker.info is None or worker.api_url != api_url.rstrip("/"):
        return None, None
    absolute = absolute_warehouse_url(warehouse_url)
    if absolute is None:
        return None, "an in-memory warehouse is not shared with the worker of `fiscal server start`: running here"
    if display_url(absolute) != absolute and display_url(absolute) not in worker.info.get("warehouses", []):
        # flow parameters carry no password: the worker must know it from its own environment
        return None, (
            "the worker of `fiscal server start` does not know this warehouse's password (start it with "
            "FISCAL_WAREHOUSE_URL set to this URL): running here"
        )
    changed = code_files_changed(worker.info)
    if changed:
        return None, (
            f"the worker of `fiscal server start` runs older code ({Path(changed[0]).name} changed since it started): "
            "running here; `fiscal server stop` and `fiscal server start` restart it"
        )
    return worker, None


def absolute_warehouse_url(url: str) -> str | None:
    """The warehouse URL as any process on this machine understands it; None for an in-memory SQLite database.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL; a relative SQLite path is relative to the current directory.

    Returns
    -------
    str or None
        The URL with an absolute SQLite path (other databases unchanged).

    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query.get("mode") == "memory":
        return None
    return parsed.set(database=str(Path(database).absolute())).render_as_string(hide_password=False)


class WorkerRun:
    """One flow run of ``fiscal-run/local`` created for this command: wait for it, or cancel it."""

    def __init__(self, worker: WorkerState, client: httpx.Client, flow_run: dict[str, Any], progress: Path) -> None:
        """Use ``submit``."""
        self.worker = worker
        self.client = client
        self.flow_run_id = str(flow_run["id"])
        self.name = str(flow_run.get("name") or self.flow_run_id)
        self.progress = progress
        self.started = time.perf_counter()
        self._read = 0  # bytes of the progress file already taken
        self._reported = 0  # outcomes passed to the callback

    @classmethod
    def submit(cls, worker: WorkerState, paths: list[Path], settings: Settings, data_docs: bool = False) -> WorkerRun:
        """Create the flow run and poke the worker.

        Parameters
        ----------
        worker : WorkerState
            A serving worker (``find_worker``).
        paths : list of Path
            The PDFs, as the user named them (sent as absolute paths; recorded as named, like a local run).
        settings : Settings
            Warehouse, data dir, region and city of the command.
        data_docs : bool
            Write Great Expectations Data Docs.

        Returns
        -------
        WorkerRun
            The scheduled run.

        Raises
        ------
        WorkerUnavailable
            The server refused (e.g. the deployment is gone).

        """
        files = server_files(settings.data_dir)
        files.runs.mkdir(parents=True, exist_ok=True)
        progress = files.runs / f"{uuid.uuid4().hex}.jsonl"
        parameters = {
            "paths": [path_parameter(p.absolute()) for p in paths],
            "sources": [path_label(p) for p in paths],
            # without its password: the worker knows it from its own environment (find_worker checked)
            "warehouse_url": display_url(absolute_warehouse_url(settings.warehouse_url) or settings.warehouse_url),
            "data_dir": str(settings.data_dir.absolute()),
            "data_docs": data_docs,
            "region": settings.region,
            "city": settings.city,
            "progress_file": str(progress),
        }
        client = httpx.Client(base_url=worker.api_url or "", timeout=30.0, trust_env=False)
        try:
            response = client.post(
                f"/deployments/{worker.deployment_id}/create_flow_run",
                json={"parameters": parameters, "tags": ["fiscal-run"]},
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            client.close()
            raise WorkerUnavailable(f"the worker's deployment did not take the run ({exc})") from exc
        run = cls(worker, client, response.json(), progress)
        run.poke()
        return run

    def poke(self) -> None:
        """Wake the worker up so that it looks for flow runs now, not at its next poll."""
        wake = (self.worker.info or {}).get("wake")
        if not wake:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"run", str(wake))
        except OSError:
            pass  # it polls anyway

    def wait(self, progress: Callable[[OutcomeRecord], None] | None = None) -> WorkerRunSummary:
        """Wait until the flow run ends; pass each document's outcome to ``progress`` as soon as it is done.

        Parameters
        ----------
        progress : callable or None
            Called once per document, in order.

        Returns
        -------
        WorkerRunSummary
            The outcomes (from the flow run's result) and the seconds since ``submit``.

        Raises
        ------
        WorkerUnavailable
            The worker went away before it picked the run up (the run is cancelled: run it locally).
        WorkerRunFailed
            The run ended Failed, Crashed or Cancelled (its message says why).

        """
        seen: list[OutcomeRecord] = []
        while True:
            flow_run = self._get()
            state = str(flow_run.get("state_type"))
            seen += self._new_records()
            for outcome in seen[self._reported :]:
                if progress:
                    progress(outcome)
                self._reported += 1
            if state in FINAL_STATES:
                break
            if not process_alive(self.worker.pid or 0):
                if state == "SCHEDULED":
                    self._set_state("CANCELLED", "the worker went away before it picked the run up", force=True)
                    raise WorkerUnavailable("the worker of `fiscal server start` went away: running here")
                self._set_state("CRASHED", "the worker went away while running it", force=True)
                raise WorkerRunFailed(f"flow run {self.name}: the worker went away while running it")
            elapsed = time.perf_counter() - self.started
            time.sleep(FAST_POLL if elapsed < FAST_FOR else SLOW_POLL)
        seconds = time.perf_counter() - self.started
        if state != "COMPLETED":
            message = (flow_run.get("state") or {}).get("message") or ""
            raise WorkerRunFailed(f"flow run {self.name} ended {state}" + (f": {message}" if message else ""))
        outcomes = self._result(flow_run) or seen
        for outcome in outcomes[self._reported :]:
            if progress:
                progress(outcome)
        return WorkerRunSummary(outcomes=list(outcomes), seconds=seconds, flow_run_id=self.flow_run_id)

    def cancel(self) -> str:
        """Cancel the flow run: at once when it has not started, else the worker stops it before its next step.

        Returns
        -------
        str
            The state asked for (``CANCELLED`` or ``CANCELLING``), or '' when it had already ended.

        """
        try:
            state = str(self._get().get("state_type"))
        except httpx.HTTPError:
            state = "RUNNING"
        if state in FINAL_STATES:
            return ""
        wanted = "CANCELLED" if state == "SCHEDULED" else "CANCELLING"
        self._set_state(wanted, "cancelled from `fiscal run` (Ctrl-C)", force=True)
        return wanted

    def close(self) -> None:
        """Remove the progress file and close the connection."""
        self.progress.unlink(missing_ok=True)
        self.client.close()

    def _get(self) -> dict[str, Any]:
        response = self.client.get(f"/flow_runs/{self.flow_run_id}")
        response.raise_for_status()
        flow_run: dict[str, Any] = response.json()
        return flow_run

    def _set_state(self, state_type: str, message: str, force: bool = False) -> None:
        body = {"state": {"type": state_type, "message": message}, "force": force}
        try:
            self.client.post(f"/flow_runs/{self.flow_run_id}/set_state", json=body).raise_for_status()
        except httpx.HTTPError:
            pass

    def _new_records(self) -> list[OutcomeRecord]:
        """Outcome records appended to the progress file since the last look (whole lines only)."""
        try:
            with self.progress.open("rb") as file:
                file.seek(self._read)
                chunk = file.read()
        except OSError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        return [OutcomeRecord.from_record(json.loads(line)) for line in complete.splitlines() if line.strip()]

    def _result(self, flow_run: dict[str, Any]) -> list[OutcomeRecord] | None:
        """The outcome records of the completed run's persisted result (None when it cannot be read)."""
        data = (flow_run.get("state") or {}).get("data") or {}
        key = data.get("storage_key") if isinstance(data, dict) else None
        if not key:
            return None
        path = Path(key) if os.path.isabs(key) else Path((self.worker.info or {}).get("results", "")) / key
        try:
            value: Any = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(value, dict) and "result" in value:  # a whole result record: metadata and result
                value = value["result"]
                value = json.loads(value) if isinstance(value, str) else value
            return [OutcomeRecord.from_record(record) for record in value]
        except (OSError, ValueError, TypeError, KeyError):
            return None


def run_on_worker(
    worker: WorkerState,
    paths: list[Path],
    settings: Settings,
    progress: Callable[[OutcomeRecord], None] | None = None,
    data_docs: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> WorkerRunSummary:
    """Run documents on the worker: submit a flow run, wait for it; Ctrl-C cancels it.

    Parameters
    ----------
    worker : WorkerState
        A serving worker (``find_worker``).
    paths : list of Path
        The PDFs.
    settings : Settings
        Warehouse, data dir, region and city of the command.
    progress : callable or None
        Called with each document's outcome as soon as it is done.
    data_docs : bool
        Write Great Expectations Data Docs.
    meanwhile : callable or None
        Something to do while the worker works (the command imports what its summary needs).

    Returns
    -------
    WorkerRunSummary
        The outcomes and seconds.

    Raises
    ------
    WorkerUnavailable
        The worker did not take or pick up the run (nothing was processed: run the documents locally).
    WorkerRunFailed
        The flow run ended Failed, Crashed or Cancelled.
    KeyboardInterrupt
        Ctrl-C: the flow run was cancelled (its name is the exception's message).

    """
    submitted = WorkerRun.submit(worker, paths, settings, data_docs)
    try:
        if meanwhile is not None:
            meanwhile()
        return submitted.wait(progress)
    except KeyboardInterrupt:
        submitted.cancel()
        raise KeyboardInterrupt(submitted.name) from None
    finally:
        submitted.close()
