"""Prefect wiring: a flow over documents, one task per step of each document. Flows only wire steps.

The flow ``fiscal-run`` returns one JSON record per document (``outcome_record``), so that the worker of
`fiscal server start` (flows/worker.py) can persist it as the flow run's result and `fiscal run` read it
without Prefect (flows/remote.py); ``run`` turns the records back into ``DocumentOutcome``.
"""

from __future__ import annotations

import flows.prefect_defaults  # noqa: F401 - first: Prefect reads these settings when imported

# isort: split
import dataclasses
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import Task, flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.exceptions import Abort
from prefect.states import State
from prefect.utilities.annotations import quote
from sqlalchemy.exc import DBAPIError, OperationalError

from extract.models import TableSummary
from flows.credentials import hand_over, resolve
from flows.engine import warehouse_engine  # lives in the prefect-free flows.engine (re-exported)
from flows.paths import InputError, path_from_parameter, path_parameter
from flows.pipeline import (
    DocumentOutcome,
    extract_step,
    load_step,
    process_document,
    receive,
    stage_step,
    validate_step,
)
from flows.settings import Settings
from flows.summary import RunCounts

ProgressCallback = Callable[[DocumentOutcome], None]


@dataclass
class RunSummary(RunCounts):
    """What a run did, for the CLI's summary and its exit code."""

    outcomes: list[DocumentOutcome] = field(default_factory=list)
    seconds: float = 0.0


def _io_failure(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry only what another attempt can fix: file-system and database I/O errors."""
    try:
        state.result()
    except InputError:  # not there, not a regular file, too large: another attempt reads the same
        return False
    except (OSError, OperationalError, DBAPIError):
        return True
    except Exception:  # noqa: BLE001 - anything else is the document's or the code's, not the machine's
        return False
    return False


def _step_task(function: Callable[..., Any], name: str, run_name: str, *, io: bool = False) -> Task[..., Any]:
    """One step as a Prefect task; steps that do I/O retry twice, a second apart, on I/O errors only.

    Step results stay in memory, never persisted (not even when the flow's own result is, in the worker).
    """
    if io:
        return task(
            name=name, cache_policy=NO_CACHE, persist_result=False, task_run_name=run_name, retries=2,
            retry_delay_seconds=1, retry_condition_fn=_io_failure,
        )(function)
    return task(name=name, cache_policy=NO_CACHE, persist_result=False, task_run_name=run_name)(function)


#: One Prefect task per step of ``process_document``; only the steps that do I/O retry.
STEP_TASKS: dict[str, Task[..., Any]] = {
    "receive": _step_task(receive, "receive", "receive {path.name}", io=True),
    "extract": _step_task(extract_step, "extract", "extract {document.source_file}"),
    "stage": _step_task(stage_step, "stage", "stage {extracted.document.source_file}"),
    "validate": _step_task(validate_step, "validate", "validate {extracted.document.source_file}"),
    "load": _step_task(load_step, "load", "load {validated.extracted.document.source_file}", io=True),
}


#: Set by the worker (flows/worker.py) when the flow run it runs is being cancelled: no further step starts.
cancel_requested = threading.Event()


class StepsCancelled(Abort):
    """The flow run was cancelled between two steps (an ``Abort``: ``process_document`` does not book it)."""


def run_step_as_task(name: str, function: Callable[..., Any], *args: Any) -> Any:
    """Run one step of ``process_document`` as its Prefect task (arguments passed as they are, not introspected)."""
    if cancel_requested.is_set():
        raise StepsCancelled(f"the flow run was cancelled; step {name} and the ones after it did not run")
    return STEP_TASKS[name](*(quote(a) for a in args))


def outcome_record(outcome: DocumentOutcome) -> dict[str, Any]:
    """A document's outcome as plain JSON values (tuples as lists): the flow's result, one per document."""
    record: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(outcome), ensure_ascii=False))
    return record


def outcome_from_record(record: Mapping[str, Any]) -> DocumentOutcome:
    """The ``DocumentOutcome`` an ``outcome_record`` was made from."""
    tables = tuple(TableSummary(**{**t, "pages": tuple(t["pages"])}) for t in record.get("tables", ()))
    return DocumentOutcome(
        **{**record, "reasons": tuple(record.get("reasons", ())), "notes": tuple(record.get("notes", ())), "tables": tables}
    )


_listeners: list[ProgressCallback] = []


@flow(name="fiscal-run", log_prints=False)
def run_documents(
    paths: Sequence[str],
    warehouse_url: str,
    data_dir: str = "data",
    data_docs: bool = False,
    region: str | None = None,
    city: str | None = None,
    sources: Sequence[str] | None = None,
    progress_file: str | None = None,
) -> list[dict[str, Any]]:
    """Process documents one after another (camelot already uses both cores within a document).

    ``paths`` are ``flows.paths.path_parameter`` strings (a file name that is not UTF-8 travels as its
    bytes). ``sources`` (default: the paths) is what each document is recorded as received from: `fiscal
    run` through the worker passes absolute paths to read and the paths as the user typed them. Bytes
    that already came in the run under another name are not processed again (``duplicate``). Each
    document's record is also appended to ``progress_file`` (one JSON line) as soon as it is done.
    """
    records = []
    warehouse_url = resolve(warehouse_url)  # the parameter carries no password (flows/credentials.py)
    settings = Settings(warehouse_url=warehouse_url, data_dir=Path(data_dir), region=region, city=city)
    engine = warehouse_engine(warehouse_url)
    seen: dict[str, str] = {}
    for index, path in enumerate(paths):
        source = sources[index] if sources is not None else None
        outcome = process_document(
            path_from_parameter(path), settings, engine, source, data_docs=data_docs, run_step=run_step_as_task,
            seen=seen,
        )
        for listener in _listeners:
            listener(outcome)
        record = outcome_record(outcome)
        if progress_file:
            with open(progress_file, "a", encoding="utf-8") as progress:
                progress.write(json.dumps(record, ensure_ascii=False) + "\n")
        records.append(record)
    return records


def run(
    paths: Sequence[Path], settings: Settings, progress: ProgressCallback | None = None, data_docs: bool = False
) -> RunSummary:
    """Run the Prefect flow over ``paths`` and summarise it."""
    started = time.perf_counter()
    if progress:
        _listeners.append(progress)
    try:
        records = run_documents(
            [path_parameter(p) for p in paths], hand_over(settings.warehouse_url), str(settings.data_dir), data_docs, settings.region,
            settings.city,
        )
    finally:
        if progress:
            _listeners.remove(progress)
    return RunSummary(outcomes=[outcome_from_record(r) for r in records], seconds=time.perf_counter() - started)
