"""Harvest housekeeping against the fake site on 127.0.0.1: readable reasons, published file names,
source names beside URLs, and broken links remembered and backed off across runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from extract.fetch_manifest import FetchManifest, MemoryManifest
from extract.harvest import HarvestReport, harvest
from extract.sources import Source
from extract.store import RawStore
from tests.test_harvest_site import FakeSite, tiny_pdf
from warehouse.manifest import SqlFetchManifest, broken_links, fetched_file_name
from warehouse.models import EtlFetch


@pytest.fixture
def site() -> Iterator[FakeSite]:
    s = FakeSite()
    yield s
    s.close()


def _source(site: FakeSite, links: str, **changes: object) -> Source:
    """A depth-1 source whose one page (``/a.html``) carries ``links``."""
    site.add("/a.html", f"<html><body>{links}</body></html>")
    config: dict[str, object] = {
        "name": "site", "kind": "http_listing", "start_urls": [site.url("/a.html")], "depth": 1,
        "link_pattern": r"(?i)\.pdf$|\.jsp\?|/dl/", "politeness": {"concurrency": 2, "delay": 0},
        "timeout": 5, "retries": 0, "backoff": 0,
    }
    config.update(changes)
    return Source.model_validate(config)


# --------------------------------------------------------------------------- an HTML page served as PDF

LOGIN_PAGE = "<!DOCTYPE html><html><head><title>系统维护中</title></head><body><p>请稍后再试：政务公开系统</p>"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (LOGIN_PAGE.encode("utf-8"), "application/pdf"),  # UTF-8, nothing declared
        (LOGIN_PAGE.replace("<head>", '<head><meta charset="gbk">').encode("gbk"), "application/pdf"),
        (LOGIN_PAGE.encode("gbk"), "application/pdf"),  # GBK, nothing declared: sniffed
        (LOGIN_PAGE.encode("gbk"), "application/pdf; charset=GB2312"),
        # longer than the 1 KB looked at before the download stops: a character is cut at the end
        ((LOGIN_PAGE + "系统" * 400).encode("utf-8"), "application/pdf"),
    ],
)
def test_an_html_page_served_as_pdf_is_named_in_its_own_charset(
    site: FakeSite, tmp_path: Path, body: bytes, content_type: str
) -> None:
    site.add("/f/1.pdf", body, content_type=content_type)
    report = harvest(_source(site, '<a href="/f/1.pdf">一</a>'), RawStore(tmp_path / "raw"), MemoryManifest())
    [fetch] = report.fetches
    assert fetch.outcome == "not_pdf"
    assert fetch.error == f"an HTML page (no %PDF- header or workbook; Content-Type {content_type}; says '系统维护中')"


def test_html_without_a_title_is_named_by_its_first_words_and_binary_by_its_bytes(site: FakeSite, tmp_path: Path) -> None:
    site.add("/f/1.pdf", "<html><body><script>var x='<b>';</script><p>文件不存在&amp;已删除</p></body></html>".encode("gbk"),
             content_type="application/pdf")
    site.add("/f/2.pdf", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8, content_type="application/pdf")
    site.add("/f/3.pdf", "文件不存在".encode(), content_type="text/plain; charset=utf-8")
    source = _source(site, '<a href="/f/1.pdf">1</a><a href="/f/2.pdf">2</a><a href="/f/3.pdf">3</a>')
    errors = {f.url.rsplit("/", 1)[-1]: f.error for f in harvest(source, RawStore(tmp_path / "raw"), MemoryManifest()).fetches}
    assert errors["1.pdf"] == "an HTML page (no %PDF- header or workbook; Content-Type application/pdf; says '文件不存在&已删除')"
    assert errors["2.pdf"] == "a ZIP archive that is not an Excel workbook (no xl/workbook.xml)"  # a ZIP may be one
    assert errors["3.pdf"] == "not a PDF or spreadsheet (no %PDF- header or workbook; Content-Type text/plain; charset=utf-8; starts with '文件不存在')"


# --------------------------------------------------------------------------- the name a document is published under

NAME = "长沙市财政局2020年度部门决算.pdf"


def _disposition(raw: bytes) -> dict[str, str]:
    """A Content-Disposition header sent as these exact bytes."""
    return {"Content-Disposition": raw.decode("latin-1")}


def test_documents_behind_a_download_servlet_get_their_published_names(site: FakeSite, tmp_path: Path) -> None:
    from urllib.parse import quote

    pdf = tiny_pdf  # distinct bytes per URL: distinct documents
    site.add("/downfile.jsp?id=1", pdf("1"), headers=_disposition(b"attachment; filename*=UTF-8''" + quote(NAME).encode()))
    site.add("/downfile.jsp?id=2", pdf("2"), headers=_disposition(b'attachment; filename="' + NAME.encode("gbk") + b'"'))
    site.add("/downfile.jsp?id=3", pdf("3"), headers=_disposition(b'attachment; filename="' + NAME.encode() + b'"'))
    site.add("/downfile.jsp?id=4", pdf("4"), headers=_disposition(b"attachment;filename=" + quote(NAME, encoding="gbk").encode()))
    site.add("/downfile.jsp?id=5", pdf("5"), headers=_disposition(
        b'attachment; filename="fallback.pdf"; filename*=utf-8\'\'' + quote(NAME).encode()))
    site.add("/downfile.jsp?id=6&filename=" + quote(NAME, encoding="gbk"), pdf("6"))
    site.add("/downfile.jsp?id=7", pdf("7"))  # nothing but the link text
    site.add("/downfile.jsp?id=8", pdf("8"))  # a link text that says nothing
    site.add("/files/20210601.pdf", pdf("9"))
    site.add("/downfile.jsp?id=10", pdf("10"), headers=_disposition(b'attachment; filename="..\\\\..\\\\etc\\\\passwd.pdf"'))
    links = "".join(
        f'<a href="/downfile.jsp?id={n}">下载</a>' for n in (1, 2, 3, 4, 5, 8, 10)
    ) + (
        '<a href="/downfile.jsp?id=6&amp;filename=' + quote(NAME, encoding="gbk") + '">下载</a>'
        '<a href="/downfile.jsp?id=7">长沙市某局2020年度部门决算（说明）</a>'
        '<a href="/files/20210601.pdf">长沙市政务服务中心2020年度部门决算</a>'
    )
    manifest = MemoryManifest()
    source = _source(site, links)
    report = harvest(source, RawStore(tmp_path / "raw"), manifest)
    names = {f.url.removeprefix(site.url("")): f.file_name for f in report.fetches}
    assert {f.outcome for f in report.fetches} == {"new"}
    assert names == {
        "/downfile.jsp?id=1": NAME,  # RFC 5987
        "/downfile.jsp?id=2": NAME,  # raw GBK bytes
        "/downfile.jsp?id=3": NAME,  # raw UTF-8 bytes
        "/downfile.jsp?id=4": NAME,  # GBK, percent-encoded
        "/downfile.jsp?id=5": NAME,  # filename* wins over filename
        "/downfile.jsp?id=6&filename=" + quote(NAME, encoding="gbk"): NAME,  # the query parameter
        "/downfile.jsp?id=7": "长沙市某局2020年度部门决算（说明）.pdf",  # the link text
        "/downfile.jsp?id=8": "downfile.jsp",  # nothing better
        "/files/20210601.pdf": "20210601.pdf",  # the URL names the file
        "/downfile.jsp?id=10": "passwd.pdf",  # a label, never a path
    }
    # a 304 carries no Content-Disposition: the name stays
    again = {f.url.removeprefix(site.url("")): f for f in harvest(source, RawStore(tmp_path / "raw"), manifest).fetches}
    assert again["/downfile.jsp?id=2"].outcome == "unchanged" and again["/downfile.jsp?id=2"].file_name == NAME
    assert manifest.lookup(site.url("/downfile.jsp?id=1")).file_name == NAME  # type: ignore[union-attr]


def test_the_warehouse_manifest_keeps_source_name_and_file_name(site: FakeSite, tmp_path: Path, warehouse_engine: Engine) -> None:
    site.add("/downfile.jsp?id=1", tiny_pdf("1"), headers=_disposition(b'attachment; filename="' + NAME.encode("gbk") + b'"'))
    manifest = SqlFetchManifest(warehouse_engine)
    harvest(_source(site, '<a href="/downfile.jsp?id=1">下载</a><a href="/gone.pdf">x</a>'), RawStore(tmp_path / "raw"), manifest)
    with warehouse_engine.connect() as conn:
        rows = {r.url.removeprefix(site.url("")): r for r in conn.execute(select(EtlFetch.__table__)).all()}
    assert (rows["/downfile.jsp?id=1"].source, rows["/downfile.jsp?id=1"].file_name) == ("site", NAME)
    assert (rows["/gone.pdf"].source, rows["/gone.pdf"].file_name) == ("site", None)
    assert fetched_file_name(warehouse_engine, site.url("/downfile.jsp?id=1")) == NAME
    assert fetched_file_name(warehouse_engine, "http://elsewhere/x.pdf") is None


# --------------------------------------------------------------------------- broken links backed off across runs


class Clock:
    """A clock the test moves on: nights of 24 hours from 02:00 UTC."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _backoff_source(site: FakeSite) -> Source:
    site.add("/list.html", '<a href="/art/1.html">1</a><a href="/art/gone.html">2</a>')
    site.add("/art/1.html", '<a href="/f/ok.pdf">ok</a><a href="/f/gone.pdf">gone</a>')
    site.add("/f/ok.pdf", tiny_pdf("ok"))
    return _source(site, "", start_urls=[site.url("/list.html")], depth=2, article_pattern=r"/art/", retries=2)


def test_a_broken_link_is_retried_after_1_2_4_nights_at_most_32_and_is_news_only_once(
    site: FakeSite, tmp_path: Path
) -> None:
    _backoff_scenario(site, tmp_path, MemoryManifest())


def test_the_warehouse_remembers_broken_links_across_runs(site: FakeSite, tmp_path: Path, warehouse_engine: Engine) -> None:
    _backoff_scenario(site, tmp_path, SqlFetchManifest(warehouse_engine))
    listed = [(b.url.removeprefix(site.url("")), b.kind, b.failures) for b in broken_links(warehouse_engine, source="site")]
    assert listed == [("/art/gone.html", "page", 9), ("/f/gone.pdf", "document", 1)]  # the longest-broken first
    assert broken_links(warehouse_engine, source="other") == []


def _backoff_scenario(site: FakeSite, tmp_path: Path, manifest: FetchManifest) -> None:
    source, store, clock = _backoff_source(site), RawStore(tmp_path / "raw"), Clock()

    def run() -> HarvestReport:
        return harvest(source, store, manifest, clock=clock)

    first = run()
    assert first.new_problems == [
        f"{site.url('/f/gone.pdf')}: http_error: HTTP 404 Not Found",
        f"{site.url('/art/gone.html')}: page not read: HTTP 404 Not Found",
    ]
    assert first.known_problems == [] and first.deferred == []
    assert len(site.hits("/f/gone.pdf")) == 1  # a 404 is final: no retries within the run either

    # the same night, and the next one until its retry is due: neither link is asked for
    clock.now += timedelta(hours=3)
    second = run()
    assert second.new_problems == [] and second.known_problems == []
    assert sorted((b.url.removeprefix(site.url("")), b.kind, b.failures) for b in second.deferred) == [
        ("/art/gone.html", "page", 1), ("/f/gone.pdf", "document", 1)
    ]
    assert len(site.hits("/f/gone.pdf")) == 1 and len(site.hits("/art/gone.html")) == 1

    # night after night: the link is asked for after 1, 2, 4, 8, 16, 32, 32 nights; never news again
    asked_on = []
    for night in range(1, 100):
        clock.now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC) + timedelta(days=night)  # a run may come earlier
        before = len(site.hits("/f/gone.pdf"))
        report = run()
        assert report.new_problems == []
        if len(site.hits("/f/gone.pdf")) > before:
            asked_on.append(night)
            assert report.known_problems[0].startswith(f"{site.url('/f/gone.pdf')}: http_error: HTTP 404 Not Found (failed")
    assert [b - a for a, b in zip([0, *asked_on], asked_on, strict=False)] == [1, 2, 4, 8, 16, 32, 32]
    broken = manifest.broken(site.url("/f/gone.pdf"))
    assert broken is not None and broken.failures == 8 and broken.source == "site" and broken.http_status == 404
    assert broken.first_failed_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert broken.reason == "http_error: HTTP 404 Not Found"

    # the file comes back: fetched when due, the streak ends; breaking again is news again
    site.add("/f/gone.pdf", tiny_pdf("back"))
    clock.now = broken.next_retry_at
    back = run()
    assert [f.outcome for f in back.fetches if f.url.endswith("gone.pdf")] == ["new"]
    assert manifest.broken(site.url("/f/gone.pdf")) is None
    del site.resources["/f/gone.pdf"]
    clock.now += timedelta(days=1)
    assert run().new_problems == [f"{site.url('/f/gone.pdf')}: http_error: HTTP 404 Not Found"]


def test_listing_pages_are_never_backed_off(site: FakeSite, tmp_path: Path) -> None:
    source, manifest, clock = _source(site, "", start_urls=[site.url("/nope.html")]), MemoryManifest(), Clock()
    for _ in range(3):
        report = harvest(source, RawStore(tmp_path / "raw"), manifest, clock=clock)
        assert [p.reason for p in report.page_problems] == ["HTTP 404 Not Found"] and report.new_problems
    assert len(site.hits("/nope.html")) == 3 and manifest.broken_links == {}


# --------------------------------------------------------------------------- through the CLI and the nightly flow


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_cli_exits_1_for_new_failures_only_lists_broken_links_and_filters_documents_by_source(
    site: FakeSite, tmp_path: Path
) -> None:
    import csv
    import io
    import textwrap

    from sqlalchemy import update
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.engine import warehouse_engine
    from warehouse.models import EtlBrokenLink

    site.add("/list.html", '<a href="/downfile.jsp?id=1">下载</a><a href="/f/gone.pdf">已删除</a>')
    site.add("/downfile.jsp?id=1", tiny_pdf("town 2020"), headers=_disposition(b'attachment; filename="' + NAME.encode("gbk") + b'"'))
    sources = tmp_path / "sources.yaml"
    sources.write_text(textwrap.dedent(f"""\
        sources:
          - name: town
            kind: http_listing
            start_urls: ["{site.url('/list.html')}"]
            link_pattern: '\\.pdf$|downfile\\.jsp'
            depth: 1
            politeness: {{concurrency: 2, delay: 0}}
            timeout: 5
            retries: 1
            backoff: 0
        """), encoding="utf-8")
    warehouse = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    env = {"FISCAL_WAREHOUSE_URL": warehouse, "FISCAL_DATA_DIR": str(tmp_path / "data"), "FISCAL_SOURCES_FILE": str(sources)}
    runner = CliRunner()

    first = runner.invoke(app, ["harvest"], env=env)
    assert first.exit_code == 1, first.output  # a new failure
    assert f"{site.url('/f/gone.pdf')}" in first.output and "fetch problems: 1" in first.output
    second = runner.invoke(app, ["harvest"], env=env)
    assert second.exit_code == 0, second.output  # known-broken, backed off: not asked, not news
    assert "1 known-broken link(s) not tried again yet" in second.output and "fetch problems: 0" in second.output
    assert len(site.hits("/f/gone.pdf")) == 1  # asked once (a 404 is final), then backed off
    listed = runner.invoke(app, ["harvest", "--broken"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "gone.pdf" in listed.output and "town" in listed.output and "http_error: HTTP 404 Not Found" in listed.output
    assert "1 known-broken link(s); times in UTC" in listed.output

    # a night later the link is due: asked again, fails again, still not news
    with warehouse_engine(warehouse).begin() as conn:
        conn.execute(update(EtlBrokenLink.__table__).values(next_retry_at=datetime(2000, 1, 1, tzinfo=UTC)))
    third = runner.invoke(app, ["harvest"], env=env)
    assert third.exit_code == 0, third.output
    assert "1 known-broken link(s) failed again" in third.output and "still broken" in third.output
    again = runner.invoke(app, ["harvest", "--broken", "--source", "town"], env=env)
    assert "failures 2 " in again.output  # two in a row
    assert "no known-broken links of source 'other'" in runner.invoke(app, ["harvest", "--broken", "--source", "other"], env=env).output

    # the source's documents, by its name; the published name in the manifest
    mine = list(csv.DictReader(io.StringIO(runner.invoke(app, ["documents", "--source", "town"], env=env).stdout)))
    assert [row["source"] for row in mine] == [site.url("/downfile.jsp?id=1")]
    assert runner.invoke(app, ["documents", "--source", "other"], env=env).stdout.splitlines()[1:] == []
    assert fetched_file_name(warehouse_engine(warehouse), site.url("/downfile.jsp?id=1")) == NAME


# --------------------------------------------------------------------------- migration 0006


def test_migration_0006_keeps_the_manifest_and_goes_back(warehouse_url: str, tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    from warehouse.db import downgrade, make_engine, upgrade

    engine = make_engine(warehouse_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO etl_fetch (url, sha256, first_seen, last_seen) VALUES ('http://h/1.pdf', 'ab', "
                              "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT url, sha256, source, file_name FROM etl_fetch")).all() == [
                ("http://h/1.pdf", "ab", None, None)
            ]
        # the next fetch fills the new columns; a failure starts a streak
        manifest = SqlFetchManifest(engine)
        at = datetime(2026, 12, 1, 2, tzinfo=UTC)
        from extract.models import FetchResult

        manifest.record(FetchResult("http://h/1.pdf", "town", "unchanged", sha256="ab", fetched_at=at, file_name="一.pdf"))
        manifest.record(FetchResult("http://h/2.pdf", "town", "http_error", http_status=404, error="HTTP 404", fetched_at=at))
        assert manifest.lookup("http://h/1.pdf").file_name == "一.pdf"  # type: ignore[union-attr]
        [broken] = broken_links(engine)
        assert (broken.url, broken.failures, broken.next_retry_at) == ("http://h/2.pdf", 1, at + timedelta(hours=12))
        downgrade(engine, "0005")
        assert "etl_broken_link" not in inspect(engine).get_table_names()
        assert {"source", "file_name"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("etl_fetch"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM etl_fetch")).scalar_one() == 2
    finally:
        engine.dispose()
