"""Harvest housekeeping against the fake site on 127.0.0.1: readable reasons, published file names,
source names beside URLs, and broken links remembered and backed off across runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.fetch_manifest import MemoryManifest
from extract.harvest import harvest
from extract.sources import Source
from extract.store import RawStore
from tests.test_harvest_site import FakeSite


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
    assert fetch.error == f"an HTML page (no %PDF- header; Content-Type {content_type}; says '系统维护中')"


def test_html_without_a_title_is_named_by_its_first_words_and_binary_by_its_bytes(site: FakeSite, tmp_path: Path) -> None:
    site.add("/f/1.pdf", "<html><body><script>var x='<b>';</script><p>文件不存在&amp;已删除</p></body></html>".encode("gbk"),
             content_type="application/pdf")
    site.add("/f/2.pdf", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8, content_type="application/pdf")
    site.add("/f/3.pdf", "文件不存在".encode(), content_type="text/plain; charset=utf-8")
    source = _source(site, '<a href="/f/1.pdf">1</a><a href="/f/2.pdf">2</a><a href="/f/3.pdf">3</a>')
    errors = {f.url.rsplit("/", 1)[-1]: f.error for f in harvest(source, RawStore(tmp_path / "raw"), MemoryManifest()).fetches}
    assert errors["1.pdf"] == "an HTML page (no %PDF- header; Content-Type application/pdf; says '文件不存在&已删除')"
    assert errors["2.pdf"] == (
        "not a PDF (no %PDF- header; Content-Type application/pdf; starts with bytes b'PK\\x03\\x04\\x14\\x00\\x06\\x00"
        "\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07')"
    )
    assert errors["3.pdf"] == "not a PDF (no %PDF- header; Content-Type text/plain; charset=utf-8; starts with '文件不存在')"
