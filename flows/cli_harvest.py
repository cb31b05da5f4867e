"""Harvest commands of `fiscal`: harvest, rerun, serve."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import WarehouseOption, err, print_outcome, settings_for

if TYPE_CHECKING:
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
                for problem in report.errors[:20]:
                    progress.console.print(f"  [red]{problem.outcome:16}[/red] {problem.url}  [dim]{problem.error}[/dim]")
                for page in report.page_problems[:20]:
                    progress.console.print(f"  [red]page not read   [/red] {page.url}  [dim]{page.reason}[/dim]")
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
    """Print the summary; exit 1 when something failed, was quarantined or could not be fetched."""
    err.print(summary.line())
    if not summary.ok:
        raise typer.Exit(1)


def harvest_cmd(
    source: Annotated[str | None, typer.Option("--source", help="Only this source of sources.yaml.")] = None,
    force: ForceOption = False,
    task_runner: RunnerOption = RunnerName.thread,
    dask_address: DaskAddressOption = None,
    workers: WorkersOption = None,
    sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default: FISCAL_SOURCES_FILE or sources.yaml).")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Crawl the sources of sources.yaml, download new or changed PDFs and process them."""
    from extract.sources import SourcesError, load_sources
    from flows.harvest import harvest_flow

    settings = settings_for(warehouse)
    sources_file = sources or settings.sources_file
    try:
        load_sources(sources_file).select(source)  # fail fast, before Prefect starts
    except (SourcesError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        err.print(message, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    summary = _progress_run(
        harvest_flow, kind=task_runner, address=dask_address, workers=workers, source=source, force=force,
        warehouse_url=settings.warehouse_url, data_dir=str(settings.data_dir), sources_file=str(sources_file),
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
    from flows.harvest import rerun

    if not (document or department or year):
        raise typer.BadParameter("give --document SHA, --department NAME or --year YYYY", param_hint="--document")
    settings = settings_for(warehouse)
    summary = _progress_run(
        rerun, kind=task_runner, address=dask_address, workers=workers, document=document, department=department,
        year=year, force=force, warehouse_url=settings.warehouse_url, data_dir=str(settings.data_dir),
    )
    if summary.unchanged and not force:
        err.print(f"[dim]{summary.unchanged} document(s) already processed by this pipeline version: --force to redo[/dim]")
    _finish(summary)


def serve_cmd() -> None:
    """Serve the nightly deployment (cron 0 2 * * *, Asia/Shanghai) until stopped; needs a Prefect server."""
    from prefect.settings import get_current_settings

    from flows.harvest import serve

    if not get_current_settings().api.url:
        err.print(
            "[red]schedules need a real Prefect server:[/red] run `prefect server start`, then "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` and `fiscal serve` again"
        )
        raise typer.Exit(2)
    serve()


def register(app: typer.Typer, *sub_apps: typer.Typer) -> None:
    """Add this module's commands to the `fiscal` app (and its sub-apps)."""
    app.command("harvest")(harvest_cmd)
    app.command("rerun")(rerun_cmd)
    app.command("serve")(serve_cmd)
