"""The crawler and downloader against a fake 预决算公开 site on 127.0.0.1 (no Prefect): links, encodings, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.fetch_manifest import MemoryManifest
from extract.harvest import harvest
from extract.links import decode_page, extract_links
from extract.sources import Source
from extract.store import RawStore, sha256_of
from tests.test_harvest_site import FakeSite, tiny_pdf

CAP = 20_000

LISTING = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>预决算公开</title></head><body><ul>
<li><a href="../art/1.html" title="长沙市XX局2020年度部门决算">长沙市XX局2020年度部门决算</a></li>
<li><a href="/art/2.html">长沙市YY局2020年度部门决算</a></li>
<li><a href="http://example.org/elsewhere.pdf">外站</a></li>
</ul><a href="index_1.html">下一页</a></body></html>"""

LISTING_1 = """<html><head><meta charset="gbk"></head><body>
<a href="/art/3.html">第三篇</a>
<a href="index.html">下一页</a></body></html>"""  # its "next" goes back to the first page: a loop

ARTICLE_1 = """<html><body><p>附件：</p>
<a href="../files/1001.pdf">长沙市XX局2020年度部门决算</a>
<a href="/files/copy-of-1001.pdf">同一文件的另一个地址</a>
<a href="/files/1001.pdf#page=2">重复链接</a>
</body></html>"""

ARTICLE_2 = """<html><body>
<a href="javascript:window.open('/files/1002.pdf')">长沙市YY局2020年度部门决算（表格）</a>
<a href="#" onclick="downloadFile('/download.jsp?fileid=1003&amp;type=pdf')">说明</a>
<a href="javascript:void(0)">打印</a>
</body></html>"""

ARTICLE_3 = """<html><body>
<a href="/files/flaky.pdf">500 then success</a>
<a href="/files/slow.pdf">too slow</a>
<a href="/files/cut.pdf">truncated</a>
<a href="/files/fake.pdf">HTML as PDF</a>
<a href="/files/missing.pdf">404</a>
<a href="/files/moved.pdf">redirect off-site</a>
<a href="/files/big.pdf">over the cap</a>
<a href="/files/big-unannounced.pdf">over the cap, no Content-Length</a>
</body></html>"""


def build_site() -> FakeSite:
    """The fake site: a GBK listing with a looping second page, three articles, every fault."""
    s = FakeSite()
    gbk = "text/html"  # no charset in the header: the page's own <meta> says GB2312/GBK
    s.add("/list/index.html", LISTING.encode("gbk"), content_type=gbk)
    s.add("/list/index_1.html", LISTING_1.encode("gbk"), content_type=gbk)
    s.add("/art/1.html", ARTICLE_1)
    s.add("/art/2.html", ARTICLE_2)
    s.add("/art/3.html", ARTICLE_3)
    xx = tiny_pdf("XX 2020")
    s.add("/files/1001.pdf", xx)
    s.add("/files/copy-of-1001.pdf", xx)
    s.add("/files/1002.pdf", tiny_pdf("YY 2020 tables"))
    s.add("/download.jsp?fileid=1003&type=pdf", tiny_pdf("YY 2020 narrative"), content_type="application/octet-stream")
    s.add("/files/flaky.pdf", tiny_pdf("flaky"), fail_first=1)
    s.add("/files/slow.pdf", tiny_pdf("slow"), delay=1.0)
    s.add("/files/cut.pdf", tiny_pdf("cut") + b" " * 2000, truncate=True)
    s.add("/files/fake.pdf", "<!DOCTYPE html><html><body>请登录</body></html>" + " " * 2000, content_type="application/pdf")
    s.add("/files/moved.pdf", b"", status=302, location=s.url("/files/1002.pdf", host="localhost"))
    big = b"%PDF-1.4\n%" + b"0" * (CAP * 2) + b"\n%%EOF\n"
    s.add("/files/big.pdf", big)
    s.add("/files/big-unannounced.pdf", big, hide_length=True)
    return s


@pytest.fixture
def site() -> Iterator[FakeSite]:
    s = build_site()
    yield s
    s.close()


def _source(site: FakeSite, **changes: object) -> Source:
    config: dict[str, object] = {
        "name": "fake",
        "kind": "http_listing",
        "start_urls": [site.url("/list/index.html")],
        "article_pattern": r"/art/\d+\.html$",
        "link_pattern": r"(?i)\.pdf$|download\.jsp\?",
        "pagination": {"next_pattern": "下一页", "max_pages": 10},
        "depth": 2,
        "allowed_hosts": ["127.0.0.1"],
        "politeness": {"concurrency": 4, "delay": 0},
        "max_bytes": CAP,
        "timeout": 0.3,
        "retries": 1,
        "backoff": 0.01,
    }
    config.update(changes)
    return Source.model_validate(config)


def _by_path(report_fetches: list, site: FakeSite) -> dict:  # type: ignore[type-arg]
    prefix = site.url("")
    return {f.url.removeprefix(prefix): f for f in report_fetches}


def test_crawl_and_fault_handling_then_a_second_run_downloads_nothing_unchanged(site: FakeSite, tmp_path: Path) -> None:
    store, manifest = RawStore(tmp_path / "raw"), MemoryManifest()
    report = harvest(_source(site), store, manifest)
    got = _by_path(report.fetches, site)

    # every attachment found once: relative links, javascript:/onclick wrappers, ? download parameters
    assert set(got) == {
        "/files/1001.pdf", "/files/copy-of-1001.pdf", "/files/1002.pdf", "/download.jsp?fileid=1003&type=pdf",
        "/files/flaky.pdf", "/files/slow.pdf", "/files/cut.pdf", "/files/fake.pdf", "/files/missing.pdf",
        "/files/moved.pdf", "/files/big.pdf", "/files/big-unannounced.pdf",
    }
    assert report.ignored_links == 1  # example.org is not an allowed host
    assert any("pagination loops back" in note for note in report.notes)
    assert site.hits("/list/index.html")[0].status == 200 and len(site.hits("/list/index.html")) == 1
    # the GBK page was decoded: the link text arrives as the hint
    assert got["/files/1001.pdf"].hint == "长沙市XX局2020年度部门决算"
    assert got["/files/1002.pdf"].hint == "长沙市YY局2020年度部门决算（表格）"

    outcomes = {path: f.outcome for path, f in got.items()}
    assert outcomes == {
        "/files/1001.pdf": outcomes["/files/1001.pdf"],
        "/files/copy-of-1001.pdf": outcomes["/files/copy-of-1001.pdf"],
        "/files/1002.pdf": "new",
        "/download.jsp?fileid=1003&type=pdf": "new",
        "/files/flaky.pdf": "new",
        "/files/slow.pdf": "timeout",
        "/files/cut.pdf": "truncated",
        "/files/fake.pdf": "not_pdf",
        "/files/missing.pdf": "http_error",
        "/files/moved.pdf": "redirect_blocked",
        "/files/big.pdf": "too_large",
        "/files/big-unannounced.pdf": "too_large",
    }
    # the same bytes under two URLs: one document, two fetch rows
    assert {outcomes["/files/1001.pdf"], outcomes["/files/copy-of-1001.pdf"]} == {"new", "duplicate"}
    assert got["/files/1001.pdf"].sha256 == got["/files/copy-of-1001.pdf"].sha256
    assert len(report.documents("new", "changed")) == 4

    # retried: 500 then success; timeouts and truncation retried up to the limit; 4xx not retried
    assert [h.status for h in site.hits("/files/flaky.pdf")] == [500, 200] and got["/files/flaky.pdf"].attempts == 2
    assert len(site.hits("/files/cut.pdf")) == 2 and "body cut off after" in (got["/files/cut.pdf"].error or "")
    assert "timed out" in (got["/files/slow.pdf"].error or "") and "2 attempts" in (got["/files/slow.pdf"].error or "")
    assert len(site.hits("/files/missing.pdf")) == 1 and got["/files/missing.pdf"].http_status == 404
    assert "HTTP 404" in (got["/files/missing.pdf"].error or "")
    assert "an HTML page" in (got["/files/fake.pdf"].error or "")
    assert "'localhost'" in (got["/files/moved.pdf"].error or "") and not site.hits("/files/1002.pdf")[1:]
    assert "announced" in (got["/files/big.pdf"].error or "")
    assert "aborted" in (got["/files/big-unannounced.pdf"].error or "")

    # stored content-addressed, nothing else: 4 distinct good PDFs
    stored = sorted(p.name for p in (tmp_path / "raw").iterdir())
    assert stored == sorted(f"{sha}.pdf" for sha in report.documents())
    for sha in report.documents():
        assert sha256_of(store.path_for(sha).read_bytes()) == sha

    # second run: unchanged files answered 304 to conditional requests, nothing downloaded again
    before = len(site.log)
    second = harvest(_source(site), store, manifest)
    again = _by_path(second.fetches, site)
    pdf_hits = [h for h in site.log[before:] if h.path in {"/files/1001.pdf", "/files/copy-of-1001.pdf",
                                                           "/files/1002.pdf", "/download.jsp?fileid=1003&type=pdf",
                                                           "/files/flaky.pdf"}]
    assert pdf_hits and all(h.status == 304 and h.if_none_match for h in pdf_hits)
    for path in ("/files/1001.pdf", "/files/copy-of-1001.pdf", "/files/1002.pdf", "/files/flaky.pdf"):
        assert again[path].outcome == "unchanged", again[path].error
        assert again[path].sha256 == got[path].sha256
    assert second.documents("new", "changed") == {}

    # a changed file under the same URL: a new sha256; the old bytes stay in the store
    site.resources["/files/1002.pdf"].body = tiny_pdf("YY 2020 tables, corrected")
    third = _by_path(harvest(_source(site), store, manifest).fetches, site)
    assert third["/files/1002.pdf"].outcome == "changed"
    assert third["/files/1002.pdf"].sha256 != got["/files/1002.pdf"].sha256
    assert store.path_for(str(got["/files/1002.pdf"].sha256)).exists()
    assert manifest.current[site.url("/files/1002.pdf")].sha256 == third["/files/1002.pdf"].sha256


def test_a_failed_fetch_keeps_the_last_good_content_in_the_manifest(site: FakeSite, tmp_path: Path) -> None:
    store, manifest = RawStore(tmp_path / "raw"), MemoryManifest()
    source = _source(site, start_urls=[site.url("/art/1.html")], depth=1, pagination=None)
    first = _by_path(harvest(source, store, manifest).fetches, site)
    del site.resources["/files/1001.pdf"]  # the site drops the file
    second = _by_path(harvest(source, store, manifest).fetches, site)
    assert second["/files/1001.pdf"].outcome == "http_error"
    assert manifest.lookup(site.url("/files/1001.pdf")).sha256 == first["/files/1001.pdf"].sha256  # type: ignore[union-attr]
    assert len(manifest.history) == 4  # two URLs (the #page=2 link is the same URL), two runs


def test_unreachable_start_page_is_a_page_problem_not_a_crash(tmp_path: Path, site: FakeSite) -> None:
    source = _source(site, start_urls=[site.url("/list/nope.html")])
    report = harvest(source, RawStore(tmp_path / "raw"), MemoryManifest())
    assert report.fetches == [] and "HTTP 404" in report.page_problems[0].reason


def test_depth_one_reads_attachments_on_the_listing_only(site: FakeSite, tmp_path: Path) -> None:
    source = _source(site, start_urls=[site.url("/art/2.html")], depth=1, pagination=None)
    report = harvest(source, RawStore(tmp_path / "raw"), MemoryManifest())
    assert sorted(_by_path(report.fetches, site)) == ["/download.jsp?fileid=1003&type=pdf", "/files/1002.pdf"]


def test_local_dir_source_reads_changed_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(tiny_pdf("a"))
    (folder / "b.pdf").write_bytes(b"<html>not a pdf</html>")
    source = Source(name="inbox", kind="local_dir", path=folder)
    store, manifest = RawStore(tmp_path / "raw"), MemoryManifest()
    first = {Path(f.url).name: f for f in harvest(source, store, manifest).fetches}
    assert first["a.pdf"].outcome == "new" and first["b.pdf"].outcome == "not_pdf"
    second = {Path(f.url).name: f for f in harvest(source, store, manifest).fetches}
    assert second["a.pdf"].outcome == "unchanged"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("<meta charset='gbk'>预决算公开", None, "预决算公开"),
        ("预决算公开", "text/html; charset=GB2312", "预决算公开"),
        ("<meta charset='utf-8'>预决算公开", None, "预决算公开"),  # declared UTF-8, really GBK: sniffed
        ("部门决算", None, "部门决算"),  # nothing declared: GBK sniffed when not UTF-8
    ],
)
def test_decode_page_gbk_and_mislabelled(body: str, content_type: str | None, expected: str) -> None:
    assert expected in decode_page(body.encode("gbk"), content_type)


def test_decode_page_utf8_with_bom_and_header() -> None:
    assert decode_page("\ufeff决算".encode(), None) == "决算"
    assert decode_page("决算".encode(), "text/html; charset=utf-8") == "决算"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="1.pdf">x</a>', "http://h/a/b/1.pdf"),
        ('<a href="../f/2.pdf">x</a>', "http://h/a/f/2.pdf"),
        ("<a href=\"javascript:window.open('/x/123.pdf')\">x</a>", "http://h/x/123.pdf"),
        ("<a href=\"#\" onclick=\"downloadFile('/dl?id=9')\">x</a>", "http://h/dl?id=9"),
        ('<a href="javascript:openFile(&quot;456.pdf&quot;)">x</a>', "http://h/a/b/456.pdf"),
        ('<a href="https://o/x.pdf#p=1">x</a>', "https://o/x.pdf"),
        ('<base href="http://h/base/"><a href="7.pdf">x</a>', "http://h/base/7.pdf"),
        ('<iframe src="/v/8.pdf"></iframe>', "http://h/v/8.pdf"),
    ],
)
def test_extract_links_resolves_wrappers_and_relative_links(html: str, expected: str) -> None:
    assert [link.url for link in extract_links(html, "http://h/a/b/page.html")] == [expected]


def test_extract_links_drops_duplicates_and_non_http_and_keeps_text() -> None:
    html = (
        '<a href="1.pdf"></a><a href="1.pdf">长沙市2020年度部门决算</a><a href="mailto:x@y">m</a>'
        '<a href="javascript:void(0)">p</a><a href="javascript:;">q</a>'
    )
    links = extract_links(html, "http://h/")
    assert [(link.url, link.text) for link in links] == [("http://h/1.pdf", "长沙市2020年度部门决算")]
