"""The nightly harvest end to end through Prefect (prefect_test_harness), the CLI, reruns, the deployment and Dask."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from flows.cli import app
from flows.flow import warehouse_engine
from flows.harvest import NIGHTLY_CRON, NIGHTLY_TIMEZONE, nightly, nightly_deployment, rerun, task_runner
from tests.prefect_records import settled_task_runs
from tests.test_harvest_site import FakeSite, tiny_pdf
from warehouse.models import DimDepartment, DimDocument, EtlDocument, EtlFetch, EtlRun

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

LISTING = """<html><head><meta charset="gb2312"></head><body>
<a href="art/1.html">长沙市政务服务中心2020年度部门决算</a>
<a href="art/2.html">长沙市某局2020年度部门决算</a>
</body></html>"""
ARTICLE_1 = """<html><body>
<a href="javascript:window.open('/files/20210601.pdf')">长沙市政务服务中心2020年度部门决算（表格）</a>
<a href="/files/20210602.pdf">长沙市政务服务中心2020年度部门决算（说明）</a>
</body></html>"""
ARTICLE_2 = """<html><body>
<a href="/files/copy/20210601.pdf">同一文件</a>
<a href="/files/gone.pdf">已删除</a>
<a href="/files/flaky.pdf">服务器错误后成功</a>
</body></html>"""


@pytest.fixture
def site() -> Iterator[FakeSite]:
    s = FakeSite()
    s.add("/list/index.html", LISTING.encode("gbk"), content_type="text/html")
    s.add("/list/art/1.html", ARTICLE_1)
    s.add("/list/art/2.html", ARTICLE_2)
    seed = SEED_PDF.read_bytes()
    s.add("/files/20210601.pdf", seed)
    s.add("/files/copy/20210601.pdf", seed)
    s.add("/files/20210602.pdf", tiny_pdf("Part one and three: narrative only"))
    s.add("/files/flaky.pdf", tiny_pdf("another narrative"), fail_first=1)
    yield s
    s.close()


def _setup(tmp_path: Path, site: FakeSite) -> dict[str, str]:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        textwrap.dedent(
            f"""\
            sources:
              - name: changsha
                kind: http_listing
                start_urls: ["{site.url("/list/index.html")}"]
                article_pattern: '/art/\\d+\\.html$'
                link_pattern: '\\.pdf$'
                depth: 2
                allowed_hosts: [127.0.0.1]
                region: 湖南省
                city: 长沙市
                politeness: {{concurrency: 4, delay: 0}}
                timeout: 5
                retries: 2
                backoff: 0.01
            """
        ),
        encoding="utf-8",
    )
    return {
        "warehouse_url": f"sqlite:///{tmp_path / 'wh.sqlite'}",
        "data_dir": str(tmp_path / "data"),
        "sources_file": str(sources),
    }


def _pdf_hits(site: FakeSite, since: int) -> list[int]:
    return [h.status for h in site.log[since:] if h.path.endswith(".pdf")]


def _is_step(task_run_name: str) -> bool:
    """Whether a task run is one of a document's steps."""
    return task_run_name.partition(" ")[0] in ("receive", "extract", "stage", "validate", "load")


def _step_task_runs(flow_run_id: str, expected: int) -> dict[str, list[str]]:
    """The step task runs (receive … load) of a flow run, by the file name in their run name, in start order."""
    steps: dict[str, list[str]] = {}
    for task_run in settled_task_runs(flow_run_id, expected, counted=_is_step):
        step, _, file_name = task_run.name.partition(" ")
        if _is_step(task_run.name):
            steps.setdefault(file_name, []).append(step)
    return steps


def test_nightly_fetches_processes_and_a_second_run_downloads_and_extracts_nothing(
    site: FakeSite, tmp_path: Path
) -> None:
    params = _setup(tmp_path, site)
    summary = nightly(**params)
    by_status = {o.status: o for o in summary.outcomes}
    assert sorted(o.status for o in summary.outcomes) == ["loaded", "skipped", "skipped"]
    assert by_status["loaded"].facts_loaded == 478 and summary.facts_loaded == 478
    assert "no standard 决算 tables found" in by_status["skipped"].reasons[0]
    assert summary.new == 3 and summary.unchanged == 0
    assert [p for p in summary.problems if "gone.pdf" in p] == [
        f"{site.url('/files/gone.pdf')}: http_error: HTTP 404 Not Found"
    ]
    assert not summary.ok  # the 404 is reported; skipped documents alone would not fail the run
    assert [h.status for h in site.hits("/files/flaky.pdf")] == [500, 200]

    engine = warehouse_engine(params["warehouse_url"])
    with engine.connect() as conn:
        docs = conn.execute(
            select(
                EtlDocument.__table__.c.sha256, EtlDocument.__table__.c.source, EtlDocument.__table__.c.status
            )
        ).all()
        runs = conn.execute(select(EtlRun.__table__)).all()
        fetches = conn.execute(select(EtlFetch.__table__.c.url, EtlFetch.__table__.c.sha256)).all()
    assert len(docs) == 3  # the copy under a second URL is the same document
    assert {d.source for d in docs if d.status == "loaded"} <= {
        site.url("/files/20210601.pdf"),
        site.url("/files/copy/20210601.pdf"),
    }
    assert len(fetches) == 5 and len({f.sha256 for f in fetches if f.sha256}) == 3
    assert [
        (r.status, r.documents_new, r.documents_loaded, r.documents_skipped, r.facts_loaded) for r in runs
    ] == [("completed", 3, 1, 2, 478)]
    assert runs[0].flow_run_id
    # each document's steps ran as tasks of their own, nested in its process-stored-document task
    # three documents received and read; the one with tables staged, validated and loaded
    expected_steps = ["receive"] * 3 + ["extract"] * 3 + ["stage", "validate", "load"]
    steps = [
        step for names in _step_task_runs(runs[0].flow_run_id, len(expected_steps)).values() for step in names
    ]
    assert sorted(steps) == sorted(expected_steps)
    # the loaded document says where and when it was downloaded, and is listed by the URL's file name
    with engine.connect() as conn:
        loaded = conn.execute(
            select(
                DimDocument.__table__.c.source_url,
                DimDocument.__table__.c.fetched_at,
                DimDocument.__table__.c.source_file,
            )
        ).one()
    assert loaded.source_url in {site.url("/files/20210601.pdf"), site.url("/files/copy/20210601.pdf")}
    assert loaded.fetched_at is not None and loaded.source_file == "20210601.pdf"
    with engine.connect() as conn:
        where = conn.execute(
            select(
                DimDepartment.__table__.c.name,
                DimDepartment.__table__.c.region,
                DimDepartment.__table__.c.city,
            )
        ).all()
    assert [tuple(w) for w in where] == [
        ("长沙市政务服务中心", "湖南省", "长沙市")
    ]  # from the source's hints

    # unchanged rerun: conditional requests only (304), nothing processed
    before = len(site.log)
    second = nightly(**params)
    assert set(_pdf_hits(site, before)) == {304}  # the 404 is a known-broken link now: not asked for a night
    assert second.outcomes == [] and second.unchanged == 3 and second.new == 0
    assert second.ok and second.problems == []  # and not news: the run succeeds

    # a corrected file under the same URL: one new document, processed
    site.resources["/files/20210602.pdf"].body = tiny_pdf("Part one and three: narrative, corrected")
    third = nightly(**params)
    assert third.new == 1 and [o.status for o in third.outcomes] == ["skipped"] and third.unchanged == 2


def test_rerun_reprocesses_stored_bytes_without_downloading(site: FakeSite, tmp_path: Path) -> None:
    params = _setup(tmp_path, site)
    first = nightly(**params)
    loaded = next(o for o in first.outcomes if o.status == "loaded")
    before = len(site.log)
    lazy = rerun(
        document=loaded.sha256[:10], warehouse_url=params["warehouse_url"], data_dir=params["data_dir"]
    )
    assert lazy.outcomes == [] and lazy.unchanged == 1  # this pipeline version already did it
    forced = rerun(year=2020, force=True, warehouse_url=params["warehouse_url"], data_dir=params["data_dir"])
    assert [(o.sha256, o.status, o.facts_loaded) for o in forced.outcomes] == [(loaded.sha256, "loaded", 478)]
    assert len(site.log) == before  # nothing fetched


def test_cli_harvest_and_rerun(site: FakeSite, tmp_path: Path) -> None:
    params = _setup(tmp_path, site)
    env = {
        "FISCAL_WAREHOUSE_URL": params["warehouse_url"],
        "FISCAL_DATA_DIR": params["data_dir"],
        "FISCAL_SOURCES_FILE": params["sources_file"],
    }
    runner = CliRunner()
    result = runner.invoke(app, ["harvest", "--source", "changsha"], env=env)
    assert result.exit_code == 1, result.output  # the 404 link
    assert "documents new: 3  unchanged: 0  loaded: 1  quarantined: 0  failed: 0  skipped: 2" in result.output
    assert "http_error" in result.output and "gone.pdf" in result.output

    site.resources.pop("/files/gone.pdf", None)
    site.resources["/list/art/2.html"].body = ARTICLE_2.replace(
        '<a href="/files/gone.pdf">已删除</a>', ""
    ).encode()
    result = runner.invoke(app, ["harvest"], env=env)
    assert result.exit_code == 0, result.output
    assert "documents new: 0  unchanged: 3  loaded: 0" in result.output

    result = runner.invoke(app, ["rerun", "--department", "政务服务中心", "--force"], env=env)
    assert result.exit_code == 0, result.output
    assert "loaded: 1" in result.output and "facts loaded: 478" in result.output

    assert runner.invoke(app, ["rerun"], env=env).exit_code == 2
    unknown = runner.invoke(app, ["harvest", "--source", "nope"], env=env)
    assert unknown.exit_code == 2 and "no source named 'nope'" in unknown.output


def test_cli_harvest_rejects_a_bad_sources_file_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  - name: x\n    kind: http_listing\n    start_urls: [ftp://x]\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["harvest", "--sources", str(bad)])
    assert result.exit_code == 2 and f"{bad}:4: sources[0].start_urls" in result.output


def test_deployment_has_the_nightly_schedule_and_registers_with_it() -> None:
    deployment = nightly_deployment()
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")

    # prefect.yaml says the same
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [entry] = [d for d in config["deployments"] if d["name"] == "nightly"]
    assert entry["entrypoint"] == "flows/harvest.py:nightly"
    assert entry["schedules"] == [{"cron": NIGHTLY_CRON, "timezone": NIGHTLY_TIMEZONE, "active": True}]

    # registered against the test server and read back
    from prefect.client.orchestration import get_client

    deployment_id = deployment.apply()
    with get_client(sync_client=True) as client:
        stored = client.read_deployment(deployment_id)
    assert stored.name == "nightly"
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in stored.schedules] == [
        ("0 2 * * *", "Asia/Shanghai", True)
    ]


@pytest.mark.postgres
def test_tiny_harvest_through_dask_into_postgresql(site: FakeSite, tmp_path: Path, postgres_url: str) -> None:
    # the scale-out setup: Dask worker processes, each connecting to the PostgreSQL warehouse itself
    params = {**_setup(tmp_path, site), "warehouse_url": postgres_url}
    flow_ = nightly.with_options(task_runner=task_runner("dask", workers=2))
    summary = flow_(parallel=False, **params)
    assert sorted(o.status for o in summary.outcomes) == ["loaded", "skipped", "skipped"]
    assert summary.facts_loaded == 478
    engine = warehouse_engine(params["warehouse_url"])
    with engine.connect() as conn:
        statuses = sorted(conn.execute(select(EtlDocument.__table__.c.status)).scalars())
    assert statuses == ["loaded", "skipped", "skipped"]


def test_a_cache_hit_the_warehouse_does_not_confirm_is_processed_again(
    site: FakeSite, tmp_path: Path
) -> None:
    from sqlalchemy import delete

    from warehouse.models import DimDocument, EtlFinding, EtlTable

    params = _setup(tmp_path, site)
    first = nightly(**params)
    skipped = next(o for o in first.outcomes if o.status == "skipped")
    engine = warehouse_engine(params["warehouse_url"])
    with engine.begin() as conn:  # the warehouse forgets the document; Prefect's cache still has it
        for model in (EtlFinding, EtlTable, DimDocument, EtlDocument):
            conn.execute(delete(model.__table__).where(model.__table__.c.sha256 == skipped.sha256))
    second = nightly(**params)
    assert [(o.sha256, o.status) for o in second.outcomes] == [(skipped.sha256, "skipped")]
    assert second.unchanged == 2
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(EtlDocument.__table__.c.status).where(EtlDocument.__table__.c.sha256 == skipped.sha256)
            ).scalar_one()
            == "skipped"
        )
