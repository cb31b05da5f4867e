"""Harvest disclosures from release pages: crawl listings → articles → attachments, keep PDFs content-addressed.

The crawler follows listing → article → attachment links (``depth`` levels) and pagination within
limits, on hosts the source allows (extract.links finds the links, extract.http_client fetches them);
each document is stored through :class:`~extract.store.RawStore` under its sha256 (a URL or a header
never names a file) and recorded in the fetch manifest (extract.fetch_manifest) with the name it is
published under (extract.links.published_name: a label, never a path).

Broken links are backed off across runs: a document link or article page whose last fetch failed is
not fetched again before the manifest's ``next_retry_at`` (1, 2, 4 … nights, at most 32; listed in
``HarvestReport.deferred``), and when it fails again the failure is known, not news
(``HarvestReport.new_problems`` / ``known_problems``). Listing pages (start URLs and their pagination)
are always fetched: without them the source yields nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from extract.fetch_manifest import BrokenLink, FetchManifest, classify
from extract.http_client import FinalFetchError, HttpClient, RetryableFetchError, Sleep
from extract.kinds import SUFFIXES, kind_problem
from extract.links import Link, decode_page, extract_links, host_of, published_name
from extract.models import OK_OUTCOMES, FetchOutcome, FetchResult
from extract.sources import Source
from extract.store import RawStore


@dataclass
class PageProblem:
    """A listing or article page that could not be read."""

    url: str
    reason: str
    known_failures: int = 0  # consecutive failures of this page before (0: news)


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


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
    deferred: list[BrokenLink] = field(default_factory=list)  # known-broken links not fetched this run (backed off)

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

    @property
    def new_errors(self) -> list[FetchResult]:
        """Fetches that failed for a URL not known to be broken: news."""
        return [f for f in self.errors if not f.known_failures]

    @property
    def known_errors(self) -> list[FetchResult]:
        """Fetches of known-broken URLs, due for a retry, that failed again."""
        return [f for f in self.errors if f.known_failures]

    @property
    def new_problems(self) -> list[str]:
        """One line per new failure (document or page): what a run reports as a problem."""
        return [f"{f.url}: {f.outcome}: {f.error}" for f in self.new_errors] + [
            f"{p.url}: page not read: {p.reason}" for p in self.page_problems if not p.known_failures
        ]

    @property
    def known_problems(self) -> list[str]:
        """One line per known-broken link that failed again (backed off; not news)."""
        return [f"{f.url}: {f.outcome}: {f.error} (failed {f.known_failures + 1} times in a row)" for f in self.known_errors] + [
            f"{p.url}: page not read: {p.reason} (failed {p.known_failures + 1} times in a row)"
            for p in self.page_problems if p.known_failures
        ]


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
        clock: Clock = utc_now,
    ) -> None:
        self.source = source
        self.store = store
        self.manifest = manifest
        self.transport = transport
        self.sleep = sleep
        self.clock = clock
        self.link_re = re.compile(source.link_pattern)
        self.article_re = re.compile(source.article_pattern) if source.article_pattern else None
        self.next_re = re.compile(source.pagination.next_pattern) if source.pagination else None
        self.http = HttpClient(source, sleep)
        self._recording = asyncio.Lock()

    # ---- documents

    def _result(self, link: Link, outcome: FetchOutcome, known: BrokenLink | None, **fields: Any) -> FetchResult:
        """A FetchResult of ``link`` at the harvester's clock."""
        return FetchResult(link.url, self.source.name, outcome, hint=link.text or None, fetched_at=self.clock(),
                           known_failures=known.failures if known else 0, **fields)

    async def fetch_document(self, client: httpx.AsyncClient, link: Link, known: BrokenLink | None = None) -> FetchResult:
        """Download one document URL conditionally, check and store it, and record the fetch.

        ``known``: the URL's failure streak, when it is a broken link due for a retry.
        """
        previous = self.manifest.lookup(link.url)
        headers: dict[str, str] = {}
        # validators only help when we still hold the bytes they stand for
        if previous and previous.sha256 and self.store.path_for(previous.sha256).exists():
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        try:
            body, attempts = await self.http.get(client, link.url, headers, want_pdf=True)
        except FinalFetchError as exc:
            failed = self._result(link, exc.outcome, known, http_status=exc.status, error=str(exc),
                                  attempts=self.source.retries + 1 if isinstance(exc.__cause__, RetryableFetchError) else 1)
            return await self._record(failed)
        named = published_name(link.url, link.text, body.disposition, body.url)
        if body.status == 304 and previous is not None:
            same = self._result(link, "unchanged", known, sha256=previous.sha256, http_status=304,
                                etag=body.etag or previous.etag, last_modified=body.last_modified or previous.last_modified,
                                attempts=attempts, file_name=named if body.disposition else previous.file_name or named)
            return await self._record(same)
        problem = kind_problem(body.content)
        if problem is not None:
            outcome: FetchOutcome = "truncated" if "truncated" in problem else "not_pdf"
            bad = self._result(link, outcome, known, http_status=body.status, bytes=len(body.content), error=problem,
                               attempts=attempts)
            return await self._record(bad)
        async with self._recording:  # decide new/duplicate and record as one step (two URLs, same bytes)
            sha256, _ = await asyncio.to_thread(self.store.put, body.content)
            result = self._result(link, classify(previous, sha256, self.manifest), known, sha256=sha256,
                                  http_status=body.status, bytes=len(body.content), etag=body.etag,
                                  last_modified=body.last_modified, attempts=attempts, file_name=named)
            self.manifest.record(result)
        return result

    async def _record(self, result: FetchResult) -> FetchResult:
        async with self._recording:
            self.manifest.record(result)
        return result

    # ---- pages

    async def _page(
        self, client: httpx.AsyncClient, url: str, report: HarvestReport, *, tracked: bool = False
    ) -> tuple[str, list[Link]] | None:
        """Fetch and parse one HTML page; problems are recorded, never raised.

        ``tracked`` (article pages): a known-broken page is not fetched before its retry is due, and
        the page's failure streak is kept in the manifest.
        """
        known = self.manifest.broken(url) if tracked else None
        if known is not None and not known.due(self.clock()):
            report.deferred.append(known)
            return None
        try:
            body, _ = await self.http.get(client, url)
        except FinalFetchError as exc:
            report.page_problems.append(PageProblem(url, str(exc), known.failures if known else 0))
            if tracked:
                async with self._recording:
                    self.manifest.record_page(url, self.source.name, self.clock(), str(exc), exc.status)
            return None
        if known is not None:
            async with self._recording:
                self.manifest.record_page(url, self.source.name, self.clock())
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
            results = await asyncio.gather(*(self._page(client, u, report, tracked=True) for u in pages))
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
            now, due = self.clock(), []
            for link in links:
                known = self.manifest.broken(link.url)
                if known is not None and not known.due(now):
                    report.deferred.append(known)  # backed off: not tried again before known.next_retry_at
                else:
                    due.append((link, known))
            report.fetches = list(await asyncio.gather(*(self.fetch_document(client, link, known) for link, known in due)))
        report.seconds = time.perf_counter() - started
        return report


# --------------------------------------------------------------------------- local folders

#: The files a ``local_dir`` source takes (PDFs and spreadsheets; what they are is then read from their bytes).
DOCUMENT_SUFFIXES: frozenset[str] = frozenset(SUFFIXES.values())


def harvest_local_dir(source: Source, store: RawStore, manifest: FetchManifest) -> HarvestReport:
    """A ``local_dir`` source: every PDF under ``path``; a file whose size and mtime did not change is not read."""
    started = time.perf_counter()
    report = HarvestReport(source=source.name)
    root = source.path or Path()
    if not root.is_dir():
        report.page_problems.append(PageProblem(str(root), "no such folder"))
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES):
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
            problem = kind_problem(data)
            if problem is not None:
                outcome: FetchOutcome = "truncated" if "truncated" in problem else "not_pdf"
                result = FetchResult(url, source.name, outcome, bytes=len(data), error=problem, hint=path.name)
            else:
                sha256, _ = store.put(data)
                result = FetchResult(url, source.name, classify(previous, sha256, manifest), sha256=sha256,
                                     bytes=len(data), etag=stamp, hint=path.name)
        known = manifest.broken(url)  # a bad file is news once, until it is fixed
        result = replace(result, file_name=path.name, known_failures=known.failures if known else 0)
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
    clock: Clock = utc_now,
) -> HarvestReport:
    """Harvest one source (crawl + download, or a local folder) synchronously; never raises for bad pages.

    Parameters
    ----------
    source : Source
        The source, from sources.yaml.
    store : RawStore
        Where documents are kept, by sha256.
    manifest : FetchManifest
        What was fetched before (validators, content, broken links); every fetch is recorded in it.
    transport : httpx.AsyncBaseTransport or None
        An httpx transport to use instead of the network (tests).
    sleep : Sleep
        How to wait between retries (tests pass one that does not).
    clock : Clock
        The time of fetches and of broken-link retries (tests move it on by nights).

    Returns
    -------
    HarvestReport
        Pages read, fetches, problems, and the broken links backed off this time.

    """
    if source.kind == "local_dir":
        return harvest_local_dir(source, store, manifest)
    return asyncio.run(Harvester(source, store, manifest, transport=transport, sleep=sleep, clock=clock).run())
