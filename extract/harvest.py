"""Harvest disclosures from release pages (httpx): crawl listings, download PDFs, keep them content-addressed.

Real 财政局 / 部门 "预决算公开" columns list one article per department; each article carries the
PDF(s) as attachments with numeric names, sometimes behind ``javascript:`` wrappers or ``?`` download
parameters, in pages encoded as GBK/GB2312 or UTF-8. The crawler follows listing → article →
attachment links (``depth`` levels), pagination within limits, and only hosts the source allows
(every redirect hop is checked). Downloads are conditional (ETag / Last-Modified from the
manifest), size-capped while streaming, checked for the ``%PDF-`` magic and the announced length,
retried with exponential backoff on timeouts, 5xx and transport errors (4xx are recorded, not
retried), and stored through :class:`~extract.store.RawStore` under their sha256: a URL or a
header never names a file.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from extract.pdf import DocumentReadError, check_pdf_bytes
from extract.sources import Politeness, Source
from extract.store import RawStore

log = logging.getLogger(__name__)

USER_AGENT = "fiscal-etl-harvest/0.1 (+https://github.com/; disclosure archiving)"
MAX_REDIRECTS = 5

#: What happened to one document URL. ``new``: content never seen before; ``changed``: new content
#: under a URL that had other content; ``duplicate``: content already known under another URL;
#: ``unchanged``: 304 or the same bytes again; everything else is an error kind.
FetchOutcome = Literal[
    "new",
    "changed",
    "duplicate",
    "unchanged",
    "http_error",
    "timeout",
    "transport_error",
    "truncated",
    "not_pdf",
    "too_large",
    "redirect_blocked",
]
OK_OUTCOMES: frozenset[str] = frozenset({"new", "changed", "duplicate", "unchanged"})


# --------------------------------------------------------------------------- manifest protocol


@dataclass(frozen=True)
class PreviousFetch:
    """What the manifest remembers of a URL: validators for a conditional request and the last content."""

    sha256: str | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """The result of fetching one document URL (also what the manifest records)."""

    url: str
    source: str
    outcome: FetchOutcome
    sha256: str | None = None
    http_status: int | None = None
    bytes: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    hint: str | None = None
    attempts: int = 1
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        """True when the URL yielded a stored document (new, changed, duplicate or unchanged)."""
        return self.outcome in OK_OUTCOMES


class FetchManifest(Protocol):
    """Durable memory of fetched URLs (``etl_fetch`` in the warehouse; a dict in tests)."""

    def lookup(self, url: str) -> PreviousFetch | None:
        """Validators and last sha256 of ``url``, or None when never fetched successfully."""
        ...

    def known_sha(self, sha256: str) -> bool:
        """True when any URL has delivered this content before."""
        ...

    def record(self, result: FetchResult) -> None:
        """Remember one fetch (the current state of the URL, plus a history row)."""
        ...


class MemoryManifest:
    """A FetchManifest in memory (tests, dry runs)."""

    def __init__(self) -> None:
        self.current: dict[str, FetchResult] = {}
        self.history: list[FetchResult] = []

    def lookup(self, url: str) -> PreviousFetch | None:
        """Validators and last sha256 of ``url``."""
        row = self.current.get(url)
        if row is None or row.sha256 is None:
            return None
        return PreviousFetch(row.sha256, row.etag, row.last_modified)

    def known_sha(self, sha256: str) -> bool:
        """True when any URL has delivered this content before."""
        return any(r.sha256 == sha256 for r in self.current.values())

    def record(self, result: FetchResult) -> None:
        """Keep the URL's latest state (an error keeps the last good content and validators)."""
        self.history.append(result)
        previous = self.current.get(result.url)
        if not result.ok and previous is not None:
            result = replace(result, sha256=previous.sha256, etag=previous.etag, last_modified=previous.last_modified)
        self.current[result.url] = result


# --------------------------------------------------------------------------- pages and links


@dataclass(frozen=True)
class Link:
    """A link found on a page: absolute URL (fragment removed) and its text as a hint."""

    url: str
    text: str


_CHARSET_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_CHARSET_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# quoted strings inside javascript:/onclick wrappers: window.open('/a/1.pdf'), downloadFile("..."), location.href='...'
_JS_STRING = re.compile(r"""(['"])((?:(?!\1).)+)\1""")
_JS_URLISH = re.compile(r"^(?:https?://|/|\.{1,2}/|[\w%-]+(?:/[\w%.-]*)*\.[A-Za-z0-9]{2,5}(?:\?|$)|[\w%-]+\?)")
# Chinese encodings: GB18030 is a superset of GBK and GB2312, and sites mislabel one for another
_ENCODING_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


def _codec(name: str | None) -> str | None:
    """Python codec for a declared charset, or None when unknown."""
    if not name:
        return None
    name = _ENCODING_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_page(content: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page: BOM, then the Content-Type charset, then ``<meta charset>``, then sniffing."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    declared = []
    if content_type and (m := _CHARSET_HEADER.search(content_type)):
        declared.append(_codec(m.group(1)))
    if m2 := _CHARSET_META.search(content[:4096]):
        declared.append(_codec(m2.group(1).decode("ascii", "replace")))
    for codec in [c for c in declared if c]:
        try:
            return content.decode(codec)
        except UnicodeDecodeError:
            continue  # a wrong declaration (common): fall through to sniffing
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")


class _LinkParser(HTMLParser):
    """Collect <a href>/onclick targets (with their text), <iframe>/<embed> sources and <base href>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[tuple[str, str]] = []  # (raw target, text)
        self._open: list[tuple[list[str], list[str]]] = []  # (targets, text parts) of open <a>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "a":
            targets = [t for t in (a.get("href", ""), a.get("onclick", "")) if t.strip()]
            self._open.append((targets, [a.get("title", "")] if a.get("title") else []))
        elif tag in ("iframe", "embed") and a.get("src"):
            self.found.append((a["src"], ""))
        elif tag == "object" and a.get("data"):
            self.found.append((a["data"], ""))

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            targets, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            self.found.extend((t, text) for t in targets)

    def close(self) -> None:
        super().close()
        while self._open:  # unclosed <a> at the end of a sloppy page
            self.handle_endtag("a")


def _targets(raw: str) -> list[str]:
    """The URL(s) in one href/onclick value; ``javascript:`` code yields its URL-like string literals."""
    raw = raw.strip()
    lowered = raw.lower()
    if lowered.startswith(("mailto:", "tel:", "#", "data:")) or lowered in ("javascript:;", "javascript:void(0)"):
        return []
    if lowered.startswith("javascript:") or "(" in raw and not lowered.startswith(("http:", "https:", "/")):
        return [m.group(2) for m in _JS_STRING.finditer(raw) if _JS_URLISH.match(m.group(2).strip())]
    return [raw]


def extract_links(html: str, page_url: str) -> list[Link]:
    """Absolute http(s) links of a page (relative ones resolved, duplicates dropped, first text kept)."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out: dict[str, Link] = {}
    for raw, text in parser.found:
        for target in _targets(raw):
            url, _ = urldefrag(urljoin(base, target.strip()))
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            if url not in out or (text and not out[url].text):
                out[url] = Link(url, text)
    return list(out.values())


def host_of(url: str) -> str:
    """Lower-case host name of a URL ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


# --------------------------------------------------------------------------- politeness and retries


class HostLimiter:
    """Per-host politeness: at most ``concurrency`` requests at once and ``delay`` seconds between starts."""

    def __init__(self, rule: Politeness) -> None:
        self.rule = rule
        self._semaphore = asyncio.Semaphore(rule.concurrency)
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    async def __aenter__(self) -> HostLimiter:
        await self._semaphore.acquire()
        async with self._lock:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = time.monotonic() + self.rule.delay
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()


class _Retryable(Exception):
    """A failure worth another attempt (timeout, 5xx, transport error, truncated body)."""

    def __init__(self, outcome: FetchOutcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome: FetchOutcome = outcome
        self.status = status


class _Final(Exception):
    """A failure another attempt will not fix (4xx, not a PDF, too large, redirect off-site)."""

    def __init__(self, outcome: FetchOutcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome: FetchOutcome = outcome
        self.status = status


@dataclass
class _Body:
    """A response that came through: final URL, status, headers of interest and bytes."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None


# --------------------------------------------------------------------------- the crawler


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


Sleep = Callable[[float], Awaitable[None]]


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
        self._limiters: dict[str, HostLimiter] = {}
        self._recording = asyncio.Lock()

    # ---- HTTP with retries, redirects checked hop by hop, size cap

    def _limiter(self, host: str) -> HostLimiter:
        if host not in self._limiters:
            self._limiters[host] = HostLimiter(self.source.politeness_for(host))
        return self._limiters[host]

    async def _get_once(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], want_pdf: bool
    ) -> _Body:
        """One GET with redirects followed by hand (each hop must stay on an allowed host)."""
        for _hop in range(MAX_REDIRECTS + 1):
            host = host_of(url)
            if host not in self.source.hosts:
                raise _Final("redirect_blocked", f"redirect to {host or url!r}, a host the source does not allow")
            async with self._limiter(host):
                try:
                    async with client.stream("GET", url, headers=headers) as response:
                        if response.status_code in (301, 302, 303, 307, 308):
                            location = response.headers.get("location", "")
                            if not location:
                                raise _Final("http_error", f"HTTP {response.status_code} without a Location", response.status_code)
                            url = urldefrag(urljoin(url, location))[0]
                            continue
                        return await self._read(response, url, want_pdf)
                except httpx.TimeoutException as exc:
                    raise _Retryable("timeout", f"timed out after {self.source.timeout:g} s ({type(exc).__name__})") from exc
                except httpx.TransportError as exc:
                    raise _Retryable("transport_error", f"{type(exc).__name__}: {exc}") from exc
        raise _Final("http_error", f"more than {MAX_REDIRECTS} redirects")

    async def _read(self, response: httpx.Response, url: str, want_pdf: bool) -> _Body:
        """Check the status, then stream the body under the size cap and check its length."""
        status = response.status_code
        meta = {
            "content_type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        if status == 304:
            return _Body(url, status, b"", **meta)
        if status >= 500:
            raise _Retryable("http_error", f"HTTP {status} {response.reason_phrase}", status)
        if status >= 400:
            raise _Final("http_error", f"HTTP {status} {response.reason_phrase}", status)
        if status != 200:
            raise _Final("http_error", f"unexpected HTTP {status} {response.reason_phrase}", status)
        cap = self.source.max_bytes
        announced = response.headers.get("content-length")
        expected = int(announced) if announced and announced.isdigit() else None
        if expected is not None and expected > cap:
            raise _Final("too_large", f"{expected} bytes announced, over the {cap}-byte cap", status)
        chunks: list[bytes] = []
        received = 0
        checked = False
        try:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > cap:
                    raise _Final("too_large", f"more than {cap} bytes received, over the cap (download aborted)", status)
                chunks.append(chunk)
                if want_pdf and not checked and received >= 1024:
                    # stop early when an HTML page comes instead of the PDF (a login or error page)
                    checked = True
                    head = b"".join(chunks)[:1024]
                    if b"%PDF-" not in head:
                        raise _Final("not_pdf", _not_pdf_reason(head, meta["content_type"]), status)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            what = f"{received} of {expected} bytes" if expected is not None else f"{received} bytes"
            raise _Retryable("truncated", f"body cut off after {what} ({type(exc).__name__})", status) from exc
        content = b"".join(chunks)
        if expected is not None and len(content) != expected:
            raise _Retryable("truncated", f"body has {len(content)} bytes, Content-Length says {expected}", status)
        if want_pdf and b"%PDF-" not in content[:1024]:
            raise _Final("not_pdf", _not_pdf_reason(content, meta["content_type"]), status)
        return _Body(url, status, content, **meta)

    async def _get(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None, want_pdf: bool = False
    ) -> tuple[_Body, int]:
        """GET with bounded retries and exponential backoff; returns the body and the attempts used."""
        attempts = self.source.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._get_once(client, url, dict(headers or {}), want_pdf), attempt
            except _Retryable as exc:
                if attempt == attempts:
                    raise _Final(exc.outcome, f"{exc} (gave up after {attempts} attempts)", exc.status) from exc
                delay = self.source.backoff * 2 ** (attempt - 1)
                log.info("%s: %s; retry %d in %.1f s", url, exc, attempt, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

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
            body, attempts = await self._get(client, link.url, headers, want_pdf=True)
        except _Final as exc:
            failed = FetchResult(link.url, name, exc.outcome, http_status=exc.status, error=str(exc), hint=hint,
                                 attempts=self.source.retries + 1 if isinstance(exc.__cause__, _Retryable) else 1)
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
            result = FetchResult(link.url, name, _classify(previous, sha256, self.manifest), sha256=sha256,
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
            body, _ = await self._get(client, url)
        except _Final as exc:
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
        timeout = httpx.Timeout(self.source.timeout)
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}, transport=self.transport
        ) as client:
            links = await self.discover(client, report)
            report.fetches = list(await asyncio.gather(*(self.fetch_document(client, link) for link in links)))
        report.seconds = time.perf_counter() - started
        return report


def _not_pdf_reason(first_chunk: bytes, content_type: str | None) -> str:
    """Say what arrived instead of a PDF."""
    start = first_chunk[:40].decode("latin-1").strip()
    kind = "an HTML page" if start.lower().startswith(("<!doctype", "<html", "<head", "<?xml", "<")) else "not a PDF"
    return f"{kind} (no %PDF- header; Content-Type {content_type or 'missing'}; starts with {start[:20]!r})"


# --------------------------------------------------------------------------- local folders


def _classify(previous: PreviousFetch | None, sha256: str, manifest: FetchManifest) -> FetchOutcome:
    """New, changed, duplicate (known under another URL) or unchanged content for one URL."""
    if previous is not None and previous.sha256 == sha256:
        return "unchanged"
    if manifest.known_sha(sha256):
        return "duplicate"
    return "changed" if previous is not None and previous.sha256 else "new"


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
                result = FetchResult(url, source.name, _classify(previous, sha256, manifest), sha256=sha256,
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
