"""Harvest disclosures from release pages: crawl listings → articles → attachments, keep PDFs content-addressed.

The crawler follows listing → article → attachment links (``depth`` levels) and pagination within
limits, on hosts the source allows (extract.links finds the links, extract.http_client fetches them);
each document is stored through :class:`~extract.store.RawStore` under its sha256 (a URL or a header
never names a file) and recorded in the fetch manifest (extract.fetch_manifest).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from extract.fetch_manifest import FetchManifest, classify
from extract.http_client import FinalFetchError, HttpClient, RetryableFetchError, Sleep
from extract.links import Link, decode_page, extract_links, host_of
from extract.models import OK_OUTCOMES, FetchOutcome, FetchResult
from extract.pdf import DocumentReadError, check_pdf_bytes
from extract.sources import Source
from extract.store import RawStore


@dataclass
class PageProblem:
    """A listing or article page that could not be read."""

    url: str
    reason: str


@dataclass
class HarvestReport:
    """What a harvest of one source did: pages read, document fetches, problems."""

    source: str
    pages: list[str] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    page_problems: list[PageProblem] = field(default_factory=list)
    ignored_links: int = 0  # links to hosts the source does not allow
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def documents(self, *outcomes: str) -> dict[str, FetchResult]:
        """sha256 → first fetch that delivered it, for fetches with one of ``outcomes`` (default: all ok)."""
        wanted = set(outcomes) if outcomes else OK_OUTCOMES
        out: dict[str, FetchResult] = {}
        for fetch in self.fetches:
            if fetch.outcome in wanted and fetch.sha256 and fetch.sha256 not in out:
                out[fetch.sha256] = fetch
        return out

    @property
    def errors(self) -> list[FetchResult]:
        """Fetches that did not yield a document."""
        return [f for f in self.fetches if not f.ok]


class Harvester:
    """Crawls one source and downloads its documents into a RawStore, recording each fetch."""

    def __init__(
        self,
        source: Source,
        store: RawStore,
        manifest: FetchManifest,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.source = source
        self.store = store
        self.manifest = manifest
        self.transport = transport
        self.sleep = sleep
        self.link_re = re.compile(source.link_pattern)
        self.article_re = re.compile(source.article_pattern) if source.article_pattern else None
        self.next_re = re.compile(source.pagination.next_pattern) if source.pagination else None
        self.http = HttpClient(source, sleep)
        self._recording = asyncio.Lock()

    # ---- documents

    async def fetch_document(self, client: httpx.AsyncClient, link: Link) -> FetchResult:
        """Download one document URL conditionally, check and store it, and record the fetch."""
        previous = self.manifest.lookup(link.url)
        headers: dict[str, str] = {}
        # validators only help when we still hold the bytes they stand for
        if previous and previous.sha256 and self.store.path_for(previous.sha256).exists():
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        name, hint = self.source.name, link.text or None
        try:
            body, attempts = await self.http.get(client, link.url, headers, want_pdf=True)
        except FinalFetchError as exc:
            failed = FetchResult(link.url, name, exc.outcome, http_status=exc.status, error=str(exc), hint=hint,
                                 attempts=self.source.retries + 1 if isinstance(exc.__cause__, RetryableFetchError) else 1)
            return await self._record(failed)
        if body.status == 304 and previous is not None:
            same = FetchResult(link.url, name, "unchanged", sha256=previous.sha256, http_status=304, hint=hint,
                               etag=body.etag or previous.etag, last_modified=body.last_modified or previous.last_modified,
                               attempts=attempts)
            return await self._record(same)
        try:
            check_pdf_bytes(body.content, link.url)
        except DocumentReadError as exc:
            outcome: FetchOutcome = "truncated" if "truncated" in exc.reason else "not_pdf"
            bad = FetchResult(link.url, name, outcome, http_status=body.status, bytes=len(body.content), hint=hint,
                              error=exc.reason, attempts=attempts)
            return await self._record(bad)
        async with self._recording:  # decide new/duplicate and record as one step (two URLs, same bytes)
            sha256, _ = await asyncio.to_thread(self.store.put, body.content)
            result = FetchResult(link.url, name, classify(previous, sha256, self.manifest), sha256=sha256,
                                 http_status=body.status, bytes=len(body.content), etag=body.etag,
                                 last_modified=body.last_modified, hint=hint, attempts=attempts)
            self.manifest.record(result)
        return result

    async def _record(self, result: FetchResult) -> FetchResult:
        async with self._recording:
            self.manifest.record(result)
        return result

    # ---- pages

    async def _page(self, client: httpx.AsyncClient, url: str, report: HarvestReport) -> tuple[str, list[Link]] | None:
        """Fetch and parse one HTML page; problems are recorded, never raised."""
        try:
            body, _ = await self.http.get(client, url)
        except FinalFetchError as exc:
            report.page_problems.append(PageProblem(url, str(exc)))
            return None
        report.pages.append(body.url)
        html = decode_page(body.content, body.content_type)
        return hashlib.sha256(body.content).hexdigest(), extract_links(html, body.url)

    def _allowed(self, links: Iterable[Link], report: HarvestReport) -> list[Link]:
        kept = []
        for link in links:
            if host_of(link.url) in self.source.hosts:
                kept.append(link)
            else:
                report.ignored_links += 1
        return kept

    async def discover(self, client: httpx.AsyncClient, report: HarvestReport) -> list[Link]:
        """Document links of the source: listing pages (with pagination) → article pages → attachments."""
        attachments: dict[str, Link] = {}
        seen_pages: set[str] = set()
        seen_bodies: set[str] = set()
        level: list[str] = []
        max_pages = self.source.pagination.max_pages if self.source.pagination else 1
        for start in self.source.start_urls:
            url: str | None = start
            for _ in range(max_pages):  # a listing and its next pages, within the limit
                if url is None:
                    break
                if url in seen_pages:  # a page seen twice: the pagination loops
                    report.notes.append(f"pagination loops back to {url}; stopped there")
                    break
                seen_pages.add(url)
                page = await self._page(client, url, report)
                if page is None:
                    break
                digest, links = page
                if digest in seen_bodies:  # same content under another URL (index_9 == index_8): a loop too
                    report.notes.append(f"{url} repeats a page already read; pagination stopped")
                    break
                seen_bodies.add(digest)
                links = self._allowed(links, report)
                level.extend(self._sort(links, attachments, follow=self.source.depth > 1))
                url = self._next_page(links, seen_pages)
        for _depth in range(2, self.source.depth + 1):
            follow = _depth < self.source.depth
            pages = [u for u in dict.fromkeys(level) if u not in seen_pages]
            seen_pages.update(pages)
            results = await asyncio.gather(*(self._page(client, u, report) for u in pages))
            level = []
            for page in results:
                if page is not None:
                    level.extend(self._sort(self._allowed(page[1], report), attachments, follow=follow))
        return list(attachments.values())

    def _sort(self, links: list[Link], attachments: dict[str, Link], *, follow: bool) -> list[str]:
        """Put document links into ``attachments``; return the article pages to read next (if ``follow``)."""
        articles = []
        for link in links:
            if self.link_re.search(link.url):
                if link.url not in attachments or (link.text and not attachments[link.url].text):
                    attachments[link.url] = link
            elif follow and self.article_re is not None and self.article_re.search(link.url):
                articles.append(link.url)
        return articles

    def _next_page(self, links: list[Link], seen: set[str]) -> str | None:
        """The first link whose text or URL matches the next-page pattern and was not read yet."""
        if self.next_re is None:
            return None
        for link in links:
            if (self.next_re.search(link.text) or self.next_re.search(link.url)) and link.url not in seen:
                return link.url
        for link in links:  # only already-read pages match: report the loop by returning one of them
            if self.next_re.search(link.text) or self.next_re.search(link.url):
                return link.url
        return None

    async def run(self) -> HarvestReport:
        """Crawl the source and fetch every document link found."""
        started = time.perf_counter()
        report = HarvestReport(source=self.source.name)
        async with self.http.open(self.transport) as client:
            links = await self.discover(client, report)
            report.fetches = list(await asyncio.gather(*(self.fetch_document(client, link) for link in links)))
        report.seconds = time.perf_counter() - started
        return report


# --------------------------------------------------------------------------- local folders


def harvest_local_dir(source: Source, store: RawStore, manifest: FetchManifest) -> HarvestReport:
    """A ``local_dir`` source: every PDF under ``path``; a file whose size and mtime did not change is not read."""
    started = time.perf_counter()
    report = HarvestReport(source=source.name)
    root = source.path or Path()
    if not root.is_dir():
        report.page_problems.append(PageProblem(str(root), "no such folder"))
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf"):
        url = path.resolve().as_uri()
        stat = path.stat()
        stamp = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'  # a validator like an ETag: size and mtime
        previous = manifest.lookup(url)
        if previous and previous.etag == stamp and previous.sha256 and store.path_for(previous.sha256).exists():
            result = FetchResult(url, source.name, "unchanged", sha256=previous.sha256, bytes=stat.st_size, etag=stamp,
                                 hint=path.name)
        elif stat.st_size > source.max_bytes:
            result = FetchResult(url, source.name, "too_large", bytes=stat.st_size, hint=path.name,
                                 error=f"{stat.st_size} bytes, over the {source.max_bytes}-byte cap")
        else:
            data = path.read_bytes()
            try:
                check_pdf_bytes(data, path.name)
            except DocumentReadError as exc:
                outcome: FetchOutcome = "truncated" if "truncated" in exc.reason else "not_pdf"
                result = FetchResult(url, source.name, outcome, bytes=len(data), error=exc.reason, hint=path.name)
            else:
                sha256, _ = store.put(data)
                result = FetchResult(url, source.name, classify(previous, sha256, manifest), sha256=sha256,
                                     bytes=len(data), etag=stamp, hint=path.name)
        manifest.record(result)
        report.fetches.append(result)
    report.seconds = time.perf_counter() - started
    return report


def harvest(
    source: Source,
    store: RawStore,
    manifest: FetchManifest,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
) -> HarvestReport:
    """Harvest one source (crawl + download, or a local folder) synchronously; never raises for bad pages."""
    if source.kind == "local_dir":
        return harvest_local_dir(source, store, manifest)
    return asyncio.run(Harvester(source, store, manifest, transport=transport, sleep=sleep).run())
