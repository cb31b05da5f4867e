"""The warehouse fetch manifest (etl_fetch + etl_fetch_history) under a real crawl, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from extract.harvest import harvest
from extract.sources import Source
from extract.store import RawStore
from tests.test_harvest_site import FakeSite, tiny_pdf
from warehouse.manifest import RunCounts, SqlFetchManifest, finish_run, start_run
from warehouse.models import EtlFetch, EtlFetchHistory, EtlRun

ARTICLE = """<html><body>
<a href="/f/1.pdf">一</a><a href="/f/same-as-1.pdf">一（副本）</a><a href="/f/2.pdf">二</a><a href="/f/gone.pdf">404</a>
</body></html>"""


@pytest.fixture
def site() -> Iterator[FakeSite]:
    s = FakeSite()
    s.add("/a.html", ARTICLE)
    one = tiny_pdf("one")
    s.add("/f/1.pdf", one)
    s.add("/f/same-as-1.pdf", one)
    s.add("/f/2.pdf", tiny_pdf("two"))
    yield s
    s.close()


def _source(site: FakeSite) -> Source:
    return Source(
        name="m", kind="http_listing", start_urls=[site.url("/a.html")], depth=1, allowed_hosts=["127.0.0.1"],
        politeness={"concurrency": 2, "delay": 0}, retries=0, timeout=5,  # type: ignore[arg-type]
    )


def _rows(engine: Engine) -> dict[str, EtlFetch]:
    with engine.connect() as conn:
        return {r.url.rsplit("/", 1)[-1]: r for r in conn.execute(select(EtlFetch.__table__)).all()}  # type: ignore[misc]


def test_manifest_rows_duplicates_changes_and_errors(site: FakeSite, warehouse_engine: Engine, tmp_path: Path) -> None:
    store, manifest = RawStore(tmp_path / "raw"), SqlFetchManifest(warehouse_engine)
    first = harvest(_source(site), store, manifest)
    rows = _rows(warehouse_engine)
    assert set(rows) == {"1.pdf", "same-as-1.pdf", "2.pdf", "gone.pdf"}
    # the same content under two URLs: one sha256, two fetch rows
    assert rows["1.pdf"].sha256 == rows["same-as-1.pdf"].sha256 is not None
    assert len(first.documents()) == 2
    assert rows["2.pdf"].etag and rows["2.pdf"].last_modified and rows["2.pdf"].http_status == 200
    assert rows["2.pdf"].bytes == len(site.resources["/f/2.pdf"].body) and rows["2.pdf"].error is None
    assert rows["gone.pdf"].sha256 is None and rows["gone.pdf"].http_status == 404
    assert rows["gone.pdf"].error == "http_error: HTTP 404 Not Found"

    # second run: conditional requests answered 304; rows keep content, last_changed does not move
    before = len(site.log)
    harvest(_source(site), store, manifest)
    assert {h.status for h in site.log[before:] if h.path.startswith("/f/") and "gone" not in h.path} == {304}
    again = _rows(warehouse_engine)
    assert again["2.pdf"].sha256 == rows["2.pdf"].sha256 and again["2.pdf"].last_changed == rows["2.pdf"].last_changed
    assert again["2.pdf"].last_seen >= rows["2.pdf"].last_seen and again["2.pdf"].bytes == rows["2.pdf"].bytes

    # a changed file under the same URL: new sha256 and last_changed; the failed URL after a 5xx keeps its content
    site.resources["/f/2.pdf"].body = tiny_pdf("two, corrected")
    site.resources["/f/1.pdf"].fail_first = site.resources["/f/1.pdf"].served + 5
    third = harvest(_source(site), store, manifest)
    rows3 = _rows(warehouse_engine)
    assert rows3["2.pdf"].sha256 != rows["2.pdf"].sha256 and rows3["2.pdf"].last_changed > rows["2.pdf"].last_changed
    assert rows3["1.pdf"].sha256 == rows["1.pdf"].sha256 and rows3["1.pdf"].error.startswith("http_error: HTTP 500")
    assert [f.outcome for f in third.fetches if f.url.endswith("/2.pdf")] == ["changed"]
    with warehouse_engine.connect() as conn:
        history = conn.execute(select(EtlFetchHistory.__table__.c.url, EtlFetchHistory.__table__.c.outcome)).all()
    # three URLs, three runs, append-only; the 404 once: it is a broken link, not tried again for a night
    assert len(history) == 10 and sum(1 for h in history if "gone.pdf" in h.url) == 1
    assert sum(1 for h in history if h.outcome == "unchanged") >= 3


def test_run_rows(warehouse_engine: Engine) -> None:
    start_run(warehouse_engine, "r1", "flow-1")
    finish_run(warehouse_engine, "r1", RunCounts(new=3, unchanged=2, loaded=1, skipped=2, facts_loaded=478))
    with warehouse_engine.connect() as conn:
        row = conn.execute(select(EtlRun.__table__)).one()
    assert (row.status, row.documents_new, row.documents_skipped, row.facts_loaded) == ("completed", 3, 2, 478)
    assert row.finished_at >= row.started_at
