"""Prefect wiring of the harvest: ``nightly`` / ``harvest`` flows over sources, ``rerun`` from stored bytes.

One task per source crawl (run in the flow: the crawler is already concurrent inside), one
``process-stored-document`` task per new or changed document (its steps nested in it as tasks, as in
the fiscal-run flow), submitted to the flow's task runner
(threads on one machine, Dask for a cluster). A document is processed once per pipeline version:
the warehouse's ``etl_document`` is the durable truth, and the task's Prefect cache policy is keyed
on the document's sha256, the pipeline version and the warehouse (never on DataFrames).
"""

from __future__ import annotations

import flows.prefect_defaults  # noqa: F401 - first: Prefect reads these settings when imported

# isort: split
import os
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from prefect import flow, task
from prefect.cache_policies import NO_CACHE, CachePolicy
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.schedules import Cron
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.hashing import hash_objects

from extract.harvest import HarvestReport, PageProblem, harvest
from extract.models import FetchResult
from extract.sources import Source, load_sources
from extract.store import RawStore
from flows.credentials import hand_over, resolve
from flows.flow import RunSummary, run_step_as_task, warehouse_engine
from flows.pipeline import DocumentOutcome, process_document
from flows.settings import PIPELINE_VERSION, Settings
from warehouse.manifest import (
    RunCounts,
    SqlFetchManifest,
    finish_run,
    processed_documents,
    rerun_selection,
    start_run,
)

NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Shanghai"
DEPLOYMENT_NAME = "nightly"
TaskRunnerKind = Literal["thread", "dask"]


# --------------------------------------------------------------------------- the document task and its cache


class DocumentVersion(CachePolicy):
    """Cache key of a document run: sha256 + pipeline version + warehouse URL (never the DataFrames)."""

    def compute_key(
        self, task_ctx: TaskRunContext, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        """Key from the task's ``sha256`` and ``warehouse_url`` inputs and the running pipeline version."""
        sha256 = inputs.get("sha256")
        if not sha256:
            return None
        # the warehouse is part of the key: the same bytes loaded into another warehouse are not done there
        return hash_objects("process-stored-document", sha256, PIPELINE_VERSION, inputs.get("warehouse_url"))


DOCUMENT_VERSION = DocumentVersion()

# PDFium is not thread-safe (two documents opened at once in one process crash it: measured, a
# segfault in read_pages): one document at a time per process. Parallelism comes from processes
# (the Dask task runner); threads still overlap crawling, cache lookups and waiting on the server.
_PDFIUM = threading.Lock()


def _pdfium_lock() -> threading.Lock:
    """The process's PDFium lock (looked up by reference, so Dask can ship the task without the lock)."""
    return _PDFIUM


@task(name="process-stored-document", cache_policy=DOCUMENT_VERSION, task_run_name="process {sha256}")
def process_stored_document(
    sha256: str,
    warehouse_url: str,
    data_dir: str,
    source: str | None = None,
    parallel: bool | None = None,
    region: str | None = None,
    city: str | None = None,
) -> DocumentOutcome:
    """Process the stored raw bytes ``<data_dir>/raw/<sha256>.pdf`` (workers connect to the warehouse themselves).

    Its steps (receive, extract, stage, validate, load) run as nested tasks, as in the fiscal-run flow: a
    failure or a retry shows which step it was in, and only the I/O steps retry.
    """
    warehouse_url = resolve(warehouse_url)  # the parameter carries no password (flows/credentials.py)
    settings = Settings(warehouse_url=warehouse_url, data_dir=Path(data_dir))
    path = RawStore(settings.raw_dir).path_for(sha256)
    with _pdfium_lock():
        return process_document(
            path, settings, warehouse_engine(warehouse_url), source=source, parallel=parallel, region=region, city=city,
            run_step=run_step_as_task,
        )


@task(name="harvest-source", task_run_name="harvest {source.name}", cache_policy=NO_CACHE)
def harvest_source(source: Source, warehouse_url: str, data_dir: str) -> HarvestReport:
    """Crawl one source and download its new or changed documents into the raw store."""
    warehouse_url = resolve(warehouse_url)
    settings = Settings(warehouse_url=warehouse_url, data_dir=Path(data_dir))
    return harvest(source, RawStore(settings.raw_dir), SqlFetchManifest(warehouse_engine(warehouse_url)))


# --------------------------------------------------------------------------- run summary and progress


@dataclass
class HarvestSummary(RunSummary):
    """What a harvest or rerun did: documents new / unchanged / loaded / quarantined / failed / skipped."""

    run_id: str = ""
    reports: list[HarvestReport] = field(default_factory=list)
    new: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)  # documents that could not be fetched or found
    known_broken: list[str] = field(default_factory=list)  # known-broken links that failed again (no exit 1)

    @property
    def fetch_errors(self) -> list[FetchResult]:
        """Document URLs that did not deliver a document."""
        return [f for r in self.reports for f in r.errors]

    @property
    def page_problems(self) -> list[PageProblem]:
        """Listing or article pages that could not be read."""
        return [p for r in self.reports for p in r.page_problems]

    @property
    def ok(self) -> bool:
        """False when a document failed or was quarantined, or something could not be fetched (skipped is fine)."""
        return not (self.count("failed") or self.count("quarantined") or self.problems)

    @property
    def counts(self) -> RunCounts:
        """The figures etl_run keeps."""
        return RunCounts(
            new=self.new, unchanged=self.unchanged, loaded=self.count("loaded"),
            quarantined=self.count("quarantined"), failed=self.count("failed"), skipped=self.count("skipped"),
            facts_loaded=self.facts_loaded,
        )

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        return (
            f"documents new: {self.new}  unchanged: {self.unchanged}  loaded: {self.count('loaded')}  "
            f"quarantined: {self.count('quarantined')}  failed: {self.count('failed')}  "
            f"skipped: {self.count('skipped')}  facts loaded: {self.facts_loaded}  "
            f"fetch problems: {len(self.problems)}  seconds: {self.seconds:.1f}"
        )


class RunObserver:
    """Progress hooks for a caller (the CLI's progress bars); they run in the flow's process."""

    def harvested(self, report: HarvestReport) -> None:
        """A source was crawled."""

    def planned(self, documents: int) -> None:
        """``documents`` more documents were submitted for processing."""

    def processed(self, outcome: DocumentOutcome) -> None:
        """One document finished."""


_observers: list[RunObserver] = []


# --------------------------------------------------------------------------- the shared body


@dataclass(frozen=True)
class _Job:
    """A document to process and where it came from."""

    sha256: str
    source: str | None
    region: str | None = None
    city: str | None = None


def _process(jobs: Sequence[_Job], warehouse_url: str, data_dir: str, *, force: bool, parallel: bool | None,
             summary: HarvestSummary) -> None:
    """Submit the documents to the task runner and gather their outcomes as they finish."""
    if not jobs:
        return
    for observer in _observers:
        observer.planned(len(jobs))
    task_ = process_stored_document.with_options(refresh_cache=True) if force else process_stored_document
    by_sha = {job.sha256: job for job in jobs}
    futures: list[PrefectFuture[DocumentOutcome]] = [
        task_.submit(job.sha256, warehouse_url, data_dir, job.source, parallel, job.region, job.city) for job in jobs
    ]
    stale: list[_Job] = []
    cached: list[DocumentOutcome] = []
    for future in as_completed(futures):
        outcome = future.result()
        if future.state.name == "Cached":
            cached.append(outcome)
            continue
        summary.outcomes.append(outcome)
        for observer in _observers:
            observer.processed(outcome)
    if cached:
        # a cache hit stands only when the warehouse agrees that the document was processed
        done = processed_documents(warehouse_engine(resolve(warehouse_url)), (o.sha256 for o in cached), PIPELINE_VERSION)
        for outcome in cached:
            if outcome.sha256 in done:
                summary.unchanged += 1
                for observer in _observers:
                    observer.processed(outcome)
            else:
                stale.append(by_sha[outcome.sha256])
        _process(stale, warehouse_url, data_dir, force=True, parallel=parallel, summary=summary)


def _harvest_body(
    sources: Iterable[Source], settings: Settings, *, force: bool, parallel: bool | None
) -> HarvestSummary:
    """Crawl each source, then process its new or changed documents (already processed ones are skipped)."""
    started = time.perf_counter()
    summary = HarvestSummary(run_id=uuid.uuid4().hex)
    url, data_dir = hand_over(settings.warehouse_url), str(settings.data_dir)  # tasks get it without its password
    engine = warehouse_engine(settings.warehouse_url)
    start_run(engine, summary.run_id, _flow_run_id())
    status = "failed"
    try:
        seen: set[str] = set()
        for source in sources:
            try:
                report = harvest_source(source, url, data_dir)
            except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others
                summary.problems.append(f"source {source.name}: harvest failed ({type(exc).__name__}: {exc})")
                continue
            summary.reports.append(report)
            for observer in _observers:
                observer.harvested(report)
            summary.problems += report.new_problems  # a known-broken link failing again is not news (backed off)
            summary.known_broken += report.known_problems
            documents = {sha: f for sha, f in report.documents().items() if sha not in seen}
            seen.update(documents)
            summary.new += len(report.documents("new", "changed").keys() & documents.keys())
            done = set() if force else processed_documents(engine, documents, PIPELINE_VERSION)
            summary.unchanged += len(done)
            jobs = [_Job(sha, f.url, source.region, source.city) for sha, f in documents.items() if sha not in done]
            _process(jobs, url, data_dir, force=force, parallel=parallel, summary=summary)
        status = "completed"
    finally:
        summary.seconds = time.perf_counter() - started
        finish_run(engine, summary.run_id, summary.counts, status)
    return summary


def _flow_run_id() -> str | None:
    """The Prefect flow run this code runs in, if any."""
    from prefect.runtime import flow_run

    value = flow_run.id
    return str(value) if value else None


def _settings(warehouse_url: str | None, data_dir: str | None, sources_file: str | None = None) -> Settings:
    """Settings from the environment, overridden by explicit flow parameters."""
    settings = Settings()
    update: dict[str, Any] = {}
    if warehouse_url:
        update["warehouse_url"] = resolve(warehouse_url)  # a parameter carries no password (flows/credentials.py)
    if data_dir:
        update["data_dir"] = Path(data_dir)
    if sources_file:
        update["sources_file"] = Path(sources_file)
    return settings.model_copy(update=update) if update else settings


# --------------------------------------------------------------------------- flows


@flow(name="fiscal-harvest", log_prints=False)
def harvest_flow(
    source: str | None = None,
    force: bool = False,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    sources_file: str | None = None,
    parallel: bool | None = None,
) -> HarvestSummary:
    """Harvest one source (or all) from sources.yaml and process what is new or changed."""
    settings = _settings(warehouse_url, data_dir, sources_file)
    sources = load_sources(settings.sources_file).select(source)
    return _harvest_body(sources, settings, force=force, parallel=parallel)


@flow(name="fiscal-nightly", log_prints=False)
def nightly(
    force: bool = False,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    sources_file: str | None = None,
    parallel: bool | None = None,
) -> HarvestSummary:
    """Every source of sources.yaml: crawl, download what changed, process it (the scheduled deployment)."""
    settings = _settings(warehouse_url, data_dir, sources_file)
    return _harvest_body(load_sources(settings.sources_file).sources, settings, force=force, parallel=parallel)


@flow(name="fiscal-rerun", log_prints=False)
def rerun(
    document: str | None = None,
    department: str | None = None,
    year: int | None = None,
    force: bool = False,
    warehouse_url: str | None = None,
    data_dir: str | None = None,
    parallel: bool | None = None,
) -> HarvestSummary:
    """Reprocess stored raw bytes of documents chosen by sha256 prefix, department or year (no download).

    Without ``force`` only documents processed by an older pipeline version are reprocessed.
    """
    if not (document or department or year):
        raise ValueError("choose documents to rerun: document (sha256 prefix), department or year")
    started = time.perf_counter()
    settings = _settings(warehouse_url, data_dir)
    engine = warehouse_engine(settings.warehouse_url)
    summary = HarvestSummary(run_id=uuid.uuid4().hex)
    start_run(engine, summary.run_id, _flow_run_id())
    status = "failed"
    try:
        store = RawStore(settings.raw_dir)
        jobs = []
        for stored in rerun_selection(engine, document=document, department=department, year=year):
            if not store.path_for(stored.sha256).exists():
                summary.problems.append(f"{stored.sha256}: raw bytes not in {settings.raw_dir} (fetch it again)")
            elif force or stored.pipeline_version != PIPELINE_VERSION:
                jobs.append(_Job(stored.sha256, stored.source))
            else:
                summary.unchanged += 1
        _process(jobs, hand_over(settings.warehouse_url), str(settings.data_dir), force=force, parallel=parallel, summary=summary)
        status = "completed"
    finally:
        summary.seconds = time.perf_counter() - started
        finish_run(engine, summary.run_id, summary.counts, status)
    return summary


# --------------------------------------------------------------------------- task runners, deployment


def task_runner(kind: TaskRunnerKind = "thread", address: str | None = None, workers: int | None = None) -> TaskRunner:
    """The task runner for document tasks: threads on this machine, or Dask (a cluster address or a LocalCluster)."""
    if kind == "thread":
        return ThreadPoolTaskRunner(max_workers=workers or os.cpu_count() or 2)
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    # processes, one thread each: camelot and pdfium hold the GIL, so threads inside a worker do not help
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": workers or os.cpu_count() or 2, "threads_per_worker": 1, "processes": True,
                        "dashboard_address": None},
    )


def nightly_deployment(name: str = DEPLOYMENT_NAME) -> Any:
    """The ``nightly`` flow as a deployment with its cron schedule (0 2 * * *, Asia/Shanghai)."""
    return nightly.to_deployment(
        name=name,
        schedules=[Cron(NIGHTLY_CRON, timezone=NIGHTLY_TIMEZONE)],
        description="Harvest every source of sources.yaml and process new or changed disclosures.",
        tags=["fiscal-etl", "harvest"],
    )


def serve() -> None:
    """Serve the nightly deployment from this process until stopped (needs a real Prefect server)."""
    from prefect import serve as prefect_serve

    prefect_serve(nightly_deployment())
