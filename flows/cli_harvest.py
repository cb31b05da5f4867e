"""Orchestration commands of `fiscal`: harvest, rerun, serve, and the background Prefect server (server start/status/stop).

The flow commands import Prefect only inside ``flows.server.flow_api``, which first points
``PREFECT_API_URL`` at a server started by `fiscal server start` when one runs. `fiscal server start`
also starts the worker (flows/worker.py) that runs `fiscal run`'s documents; `stop` stops both.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import (
    TEMPORARY_SERVER_NOTE,
    Commands,
    WarehouseOption,
    engine_for,
    err,
    print_outcome,
    require_data_dir,
    require_rerun_matches,
    settings_for,
)

if TYPE_CHECKING:
    from extract.fetch_manifest import BrokenLink
    from extract.harvest import HarvestReport
    from flows.harvest import HarvestSummary
    from flows.pipeline import DocumentOutcome


class RunnerName(StrEnum):
    """Where document tasks run."""

    thread = "thread"
    dask = "dask"


RunnerOption = Annotated[
    RunnerName,
    typer.Option("--task-runner", help="thread: this machine; dask: a Dask cluster (LocalCluster unless --dask-address)."),
]
DaskAddressOption = Annotated[
    str | None, typer.Option("--dask-address", help="Scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
]
WorkersOption = Annotated[int | None, typer.Option("--workers", min=1, help="Threads or LocalCluster workers (default: CPUs).")]
ForceOption = Annotated[bool, typer.Option("--force", help="Process documents again even if this pipeline version did.")]


def _progress_run(run: object, *, kind: RunnerName, address: str | None, workers: int | None, **params: object) -> HarvestSummary:
    """Run a flow with progress bars on stderr and return its summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows import harvest as h

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        bar = progress.add_task("documents", total=0)

        class Bars(h.RunObserver):
            def harvested(self, report: HarvestReport) -> None:
                new = len(report.documents("new", "changed"))
                progress.console.print(
                    f"[bold]{report.source}[/bold]: {len(report.pages)} pages, {len(report.fetches)} document links, "
                    f"{new} new or changed, {len(report.errors)} not fetched ({report.seconds:.1f} s)"
                )
                for problem in report.new_errors[:20]:
                    progress.console.print(f"  [red]{problem.outcome:16}[/red] {problem.url}  [dim]{problem.error}[/dim]")
                for page in [p for p in report.page_problems if not p.known_failures][:20]:
                    progress.console.print(f"  [red]page not read   [/red] {page.url}  [dim]{page.reason}[/dim]")
                for known in report.known_problems[:20]:
                    progress.console.print(f"  [yellow]still broken    [/yellow] {known}", markup=False, soft_wrap=True)
                if report.deferred:
                    progress.console.print(
                        f"  [dim]{len(report.deferred)} known-broken link(s) not tried again yet "
                        "(`fiscal harvest --broken` lists them)[/dim]"
                    )
                for note in report.notes:
                    progress.console.print(f"  [dim]{note}[/dim]")

            def planned(self, documents: int) -> None:
                progress.update(bar, total=(progress.tasks[0].total or 0) + documents)

            def processed(self, outcome: DocumentOutcome) -> None:
                print_outcome(progress.console, outcome, f"{outcome.sha256[:12]} {outcome.source_file}", max_reasons=3)
                progress.advance(bar)

        observer = Bars()
        h._observers.append(observer)
        try:
            runner = h.task_runner(kind.value, address, workers)
            flow_ = run.with_options(task_runner=runner)  # type: ignore[attr-defined]
            # daemonic Dask worker processes may not start camelot's process pool
            parallel = False if kind is RunnerName.dask else None
            summary: HarvestSummary = flow_(parallel=parallel, **params)
        finally:
            h._observers.remove(observer)
    return summary


def _finish(summary: HarvestSummary) -> None:
    """Print the summary; exit 1 when something failed, was quarantined or newly could not be fetched."""
    err.print(summary.line())
    if summary.known_broken:  # a rerun's summary has none
        err.print(f"[yellow]{len(summary.known_broken)} known-broken link(s) failed again[/yellow] (not news: retried after 1, 2, 4 … "
                  "32 nights; `fiscal harvest --broken` lists them)", soft_wrap=True)
    if not summary.ok:
        raise typer.Exit(1)


def _when(value: object) -> str:
    """A UTC timestamp to the minute."""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def print_broken(links: list[BrokenLink]) -> None:
    """Print the known-broken links on stdout, one block each (the URL whole on its own line; times in UTC).

    Parameters
    ----------
    links : list of BrokenLink
        ``warehouse.manifest.broken_links``.

    """
    lines = []
    for b in links:
        lines += [
            b.url,
            f"  source {b.source or '?'}  {b.kind}  failures {b.failures}  first failure {_when(b.first_failed_at)}  "
            f"last failure {_when(b.last_failed_at)}  next retry {_when(b.next_retry_at)}",
            f"  last reason: {b.reason}",
        ]
    lines.append(f"{len(links)} known-broken link(s); times in UTC")
    typer.echo("\n".join(lines))


def harvest_cmd(
    source: Annotated[str | None, typer.Option("--source", help="Only this source of sources.yaml.")] = None,
    force: ForceOption = False,
    task_runner: RunnerOption = RunnerName.thread,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default: FISCAL_SOURCES_FILE or sources.yaml).")] = None,
    warehouse: WarehouseOption = None,
    broken: Annotated[
        bool,
        typer.Option("--broken", help="Only list the known-broken links (URL, source, first/last failure, failures, "
                                      "next retry, last reason; --source: of one source) and exit; nothing is fetched."),
    ] = False,
) -> None:
    """Crawl the sources of sources.yaml, download new or changed PDFs and process them.

    A link whose fetch fails is remembered and not tried again for 1, 2, 4 … at most 32 nights; the
    command exits 1 for new failures only (``--broken`` lists the known ones).
    """
    if broken:
        from warehouse.manifest import broken_links

        links = broken_links(engine_for(warehouse), source=source)
        if not links:
            err.print("no known-broken links" + (f" of source {source!r}" if source else ""), markup=False)
            return
        print_broken(links)
        return
    from extract.sources import SourcesError, load_sources
    from flows.server import flow_api

    settings = settings_for(warehouse)
    sources_file = sources or settings.sources_file
    try:
        load_sources(sources_file).select(source)  # fail fast, before Prefect starts
    except (SourcesError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        err.print(message, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    require_data_dir(settings)  # a data dir or warehouse that cannot work ends here, in one line
    engine_for(warehouse)
    with flow_api(settings.data_dir) as api:
        if api is None:
            err.print(TEMPORARY_SERVER_NOTE, soft_wrap=True)
        from flows.credentials import hand_over
        from flows.harvest import harvest_flow

        summary = _progress_run(
            harvest_flow, kind=task_runner, address=dask_address, workers=workers, source=source, force=force,
            warehouse_url=hand_over(settings.warehouse_url), data_dir=str(settings.data_dir), sources_file=str(sources_file),
        )
    _finish(summary)


def rerun_cmd(
    document: Annotated[str | None, typer.Option("--document", help="sha256 or a prefix of it.")] = None,
    department: Annotated[str | None, typer.Option("--department", help="Department name (or part of it).")] = None,
    year: Annotated[int | None, typer.Option("--year", min=1990, max=2100, help="Fiscal year.")] = None,
    force: ForceOption = False,
    task_runner: RunnerOption = RunnerName.thread,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Reprocess stored raw bytes (data/raw/<sha256>.pdf) without downloading; --force for the current version too."""
    from flows.server import flow_api

    if not (document or department or year):
        raise typer.BadParameter("give --document SHA, --department NAME or --year YYYY", param_hint="--document")
    settings = settings_for(warehouse)
    require_data_dir(settings)
    # before Prefect starts: a selection that matches nothing is refused, not a run that does nothing
    require_rerun_matches(engine_for(warehouse), document, department, year)
    with flow_api(settings.data_dir) as api:
        if api is None:
            err.print(TEMPORARY_SERVER_NOTE, soft_wrap=True)
        from flows.credentials import hand_over
        from flows.harvest import rerun

        summary = _progress_run(
            rerun, kind=task_runner, address=dask_address, workers=workers, document=document, department=department,
            year=year, force=force, warehouse_url=hand_over(settings.warehouse_url), data_dir=str(settings.data_dir),
        )
    if summary.unchanged and not force:
        err.print(f"[dim]{summary.unchanged} document(s) already processed by this pipeline version: --force to redo[/dim]")
    _finish(summary)


def serve_cmd() -> None:
    """Serve the nightly deployment (cron 0 2 * * *, Asia/Shanghai) until stopped; needs a Prefect server."""
    from flows.server import flow_api

    with flow_api(settings_for(None).data_dir) as api:
        if not api:
            err.print(
                "[red]schedules need a real Prefect server:[/red] run `fiscal server start` (or `prefect server "
                "start` and `export PREFECT_API_URL=http://127.0.0.1:4200/api`), then `fiscal serve` again",
                soft_wrap=True,
            )
            raise typer.Exit(2)
        from flows.harvest import serve

        serve()


server_app = typer.Typer(
    help="A local Prefect server in the background, with a worker that runs `fiscal run`'s flows warm.",
    no_args_is_help=True,
)


@server_app.command("start")
def server_start_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 4200,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the server (and the worker) to answer.")] = 120.0,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Also start the worker that runs `fiscal run`'s documents.")
    ] = True,
) -> None:
    """Start `prefect server start` and the worker detached (files under <data dir>/prefect-server); print the API URL."""
    from flows.server import ServerError, read_server, server_files, start_server
    from flows.worker_control import read_worker, start_worker

    data_dir = settings_for(None).data_dir
    files = server_files(data_dir)
    state = read_server(data_dir)
    serving = read_worker(data_dir)
    if state.running and (serving.ready or not worker):
        err.print(f"already running, pid {state.pid}; `fiscal server stop` stops it")
        typer.echo(state.url)
        return
    try:
        if not state.running:
            err.print(f"starting a Prefect server; log: {files.log}")
            state = start_server(data_dir, host=host, port=port, timeout=timeout)
            err.print(f"[green]Prefect server running[/green], pid {state.pid}, UI {(state.url or '').removesuffix('/api')}")
        if worker:
            err.print(f"starting the worker (Prefect, the pipeline and Great Expectations, once); log: {files.worker_log}")
            serving = start_worker(data_dir, state.url or "", timeout=timeout)
            err.print(f"[green]worker serving fiscal-run/local[/green], pid {serving.pid}")
    except ServerError as exc:
        err.print(f"[red]{exc}[/red]", markup=False, style="red")
        raise typer.Exit(1) from exc
    err.print(
        "`fiscal run` hands its documents to the worker; `harvest`, `rerun` and `serve` use the server; "
        "`fiscal server stop` stops both",
        soft_wrap=True,
    )
    typer.echo(state.url or "")


@server_app.command("status")
def server_status_cmd() -> None:
    """Say whether the background Prefect server runs (exit 0) or not (exit 1), its API URL and its worker."""
    import os

    from flows.server import clean_stale, read_server
    from flows.worker_control import clean_stale_worker, read_worker

    data_dir = settings_for(None).data_dir
    state = read_server(data_dir)
    serving = read_worker(data_dir)
    explicit = os.environ.get("PREFECT_API_URL")
    if explicit:
        err.print(f"PREFECT_API_URL is set: flow runs use {explicit}")
    if state.running:
        typer.echo(f"running {state.url} pid {state.pid}")
    elif state.alive:
        typer.echo(f"not answering {state.url} pid {state.pid} (starting, or stuck: see its log)")
    elif state.stale and clean_stale(data_dir):
        typer.echo(f"not running (removed a stale pidfile of pid {state.pid})")
    else:
        typer.echo("not running")
    if serving.ready:
        typer.echo(f"worker serving fiscal-run/local pid {serving.pid}")
    elif serving.alive:
        typer.echo(f"worker starting pid {serving.pid}")
    elif serving.stale and clean_stale_worker(data_dir):
        typer.echo(f"worker not running (removed a stale pidfile of pid {serving.pid})")
    elif state.running:
        typer.echo("worker not running: `fiscal run` runs its flows in its own process; `fiscal server start` starts it")
    if not state.running:
        raise typer.Exit(1)


@server_app.command("stop")
def server_stop_cmd(
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait after SIGTERM before SIGKILL.")] = 20.0,
) -> None:
    """Stop the worker and the background Prefect server (by their pidfiles) and remove the pidfiles."""
    from flows.server import stop_server
    from flows.worker_control import stop_worker

    data_dir = settings_for(None).data_dir
    serving = stop_worker(data_dir, timeout=timeout)
    if serving.alive:
        err.print(f"stopped the worker (pid {serving.pid})")
    elif serving.stale:
        err.print(f"worker not running (removed a stale pidfile of pid {serving.pid})")
    state = stop_server(data_dir, timeout=timeout)
    if state.alive:
        err.print(f"stopped the Prefect server (pid {state.pid})")
    elif state.stale:
        err.print(f"not running (removed a stale pidfile of pid {state.pid})")
    else:
        err.print("not running")


#: registered by flows/cli.py
COMMANDS = Commands({"harvest": harvest_cmd, "rerun": rerun_cmd, "serve": serve_cmd}, groups={"server": server_app})
