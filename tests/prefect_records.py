"""What Prefect recorded of a flow run, read once it has all arrived (task runs are recorded from events, after the flow returns)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def settled_task_runs(
    flow_run_id: UUID | str,
    expected: int,
    counted: Callable[[str], bool] = lambda name: True,
    wait_seconds: float = 60.0,
) -> list[Any]:
    """The task runs of a flow run in start order, once `expected` of those `counted` (by name) are in a final state.

    Prefect 3 sends task-run states as events that its server records asynchronously, so reading right after
    the flow returns can miss the last ones; this waits for them (the wait is a deadline, not an assertion:
    whatever is there when it passes is returned and the caller's assertion names what is missing).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter
    from prefect.client.schemas.sorting import TaskRunSort

    deadline = time.monotonic() + wait_seconds
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(str(flow_run_id))])),
                task_run_filter=TaskRunFilter(),
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            )
            settled = [r for r in runs if r.state is not None and r.state.type.value in FINAL_STATES]
            if (
                sum(counted(r.name) for r in settled) >= expected
                and len(settled) == len(runs)
                or time.monotonic() > deadline
            ):
                return list(runs)
            time.sleep(0.2)


def latest_flow_run() -> Any:
    """The newest flow run the Prefect API knows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        (flow_run,) = client.read_flow_runs(limit=1, sort=FlowRunSort.START_TIME_DESC)
    return flow_run
