"""Prefect wiring: a flow over documents, one task per document. Flows only wire steps."""

from __future__ import annotations

import os

# The temporary Prefect server needs longer than its default 20 s to start on 2 cores, and must not
# phone home from machines without network.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from flows.pipeline import DocumentOutcome, process_document  # noqa: E402
from flows.settings import Settings  # noqa: E402
from warehouse.db import make_engine, upgrade  # noqa: E402

ProgressCallback = Callable[[DocumentOutcome], None]


@dataclass
class RunSummary:
    """What a run did, for the CLI's summary and its exit code."""

    outcomes: list[DocumentOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        """Documents that ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def facts_loaded(self) -> int:
        """Facts loaded over all documents of the run."""
        return sum(o.facts_loaded for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """False when any document failed or was quarantined (skipped ones do not count)."""
        return not any(o.status in ("failed", "quarantined") for o in self.outcomes)


@lru_cache(maxsize=8)
def warehouse_engine(url: str) -> Engine:
    """One engine per warehouse URL per process, migrated to the latest schema."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


@task(name="process-document", cache_policy=NO_CACHE, task_run_name="process {path}")
def process_document_task(
    path: str, warehouse_url: str, data_dir: str, source: str | None = None, data_docs: bool = False
) -> DocumentOutcome:
    """Extract, normalise, validate and load one PDF into the warehouse."""
    settings = Settings(warehouse_url=warehouse_url, data_dir=Path(data_dir))
    return process_document(Path(path), settings, warehouse_engine(warehouse_url), source=source, data_docs=data_docs)


_listeners: list[ProgressCallback] = []


@flow(name="fiscal-run", log_prints=False)
def run_documents(
    paths: Sequence[str], warehouse_url: str, data_dir: str = "data", data_docs: bool = False
) -> list[DocumentOutcome]:
    """Process documents one after another (camelot already uses both cores within a document)."""
    outcomes = []
    for path in paths:
        outcome = process_document_task(path, warehouse_url, data_dir, data_docs=data_docs)
        for listener in _listeners:
            listener(outcome)
        outcomes.append(outcome)
    return outcomes


def run(
    paths: Sequence[Path], settings: Settings, progress: ProgressCallback | None = None, data_docs: bool = False
) -> RunSummary:
    """Run the Prefect flow over ``paths`` and summarise it."""
    started = time.perf_counter()
    if progress:
        _listeners.append(progress)
    try:
        outcomes = run_documents([str(p) for p in paths], settings.warehouse_url, str(settings.data_dir), data_docs)
    finally:
        if progress:
            _listeners.remove(progress)
    return RunSummary(outcomes=list(outcomes), seconds=time.perf_counter() - started)
