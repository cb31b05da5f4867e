"""The HTTP side of harvesting: polite per-host limits, retries with backoff, redirects checked, bodies checked.

Downloads are conditional (ETag / Last-Modified), size-capped while streaming, checked for the ``%PDF-``
magic and the announced length, retried with exponential backoff on timeouts, 5xx and transport errors
(4xx are final), and every redirect hop must stay on a host the source allows.

Server-side request forgery: before every request (each redirect hop too) the host is resolved and
every address it resolves to is checked (:func:`address_problem`): link-local and cloud metadata
addresses are always refused, private and loopback ones unless written literally as a start URL's
host or the source sets ``allow_private``. The request then goes to the checked address (the URL's
host becomes that address; ``Host`` and TLS SNI keep the name), so a name that resolves elsewhere
a moment later (DNS rebinding) cannot redirect the connection. Behind an HTTP proxy from the
environment the proxy connects, so the request keeps its name (the check still runs here).
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import re
import socket
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

import httpx

from extract.kinds import document_kind, kind_problem
from extract.links import decode_page, host_of
from extract.models import FetchOutcome
from extract.sources import Politeness, Source

log = logging.getLogger(__name__)

USER_AGENT = "fiscal-etl-harvest/0.1 (+https://github.com/; disclosure archiving)"
MAX_REDIRECTS = 5

Sleep = Callable[[float], Awaitable[None]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services outside 169.254.0.0/16 and fe80::/10: Alibaba Cloud (100.100.100.200, where
#: Chinese government sites are often hosted) and AWS over IPv6. Refused like link-local addresses.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}
)


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


class RetryableFetchError(Exception):
    """A failure worth another attempt (timeout, 5xx, transport error, truncated body)."""

    def __init__(self, outcome: FetchOutcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome: FetchOutcome = outcome
        self.status = status


class FinalFetchError(Exception):
    """A failure another attempt will not fix (4xx, not a PDF, too large, redirect off-site)."""

    def __init__(self, outcome: FetchOutcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome: FetchOutcome = outcome
        self.status = status


@dataclass
class Body:
    """A response that came through: final URL, status, headers of interest and bytes."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    disposition: bytes | None = None  # Content-Disposition as sent (raw: servers send UTF-8 or GBK names)


class HttpClient:
    """GETs for one source: per-host politeness, bounded retries, redirects checked hop by hop, size cap."""

    def __init__(self, source: Source, sleep: Sleep = asyncio.sleep) -> None:
        self.source = source
        self.sleep = sleep
        self._limiters: dict[str, HostLimiter] = {}
        self._pin = True

    def open(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        """An httpx client for this source (redirects are followed by hand, see get_once)."""
        # httpx uses the environment's proxies only without a transport of ours; the proxy must get the name
        self._pin = transport is not None or not urllib.request.getproxies()
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.source.timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )

    def limiter(self, host: str) -> HostLimiter:
        """The politeness limiter of one host."""
        if host not in self._limiters:
            self._limiters[host] = HostLimiter(self.source.politeness_for(host))
        return self._limiters[host]

    async def get_once(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], want_pdf: bool
    ) -> Body:
        """One GET with redirects followed by hand (each hop must stay on an allowed host)."""
        for _hop in range(MAX_REDIRECTS + 1):
            host = host_of(url)
            if host not in self.source.hosts:
                raise FinalFetchError("redirect_blocked", f"redirect to {host or url!r}, a host the source does not allow")
            target, pinned = await self.checked_target(url)
            async with self.limiter(host):
                try:
                    async with client.stream("GET", target, headers={**headers, **pinned[0]}, extensions=pinned[1]) as response:
                        if response.status_code in (301, 302, 303, 307, 308):
                            location = response.headers.get("location", "")
                            if not location:
                                raise FinalFetchError("http_error", f"HTTP {response.status_code} without a Location", response.status_code)
                            url = urldefrag(urljoin(url, location))[0]
                            continue
                        return await self.read(response, url, want_pdf)
                except httpx.TimeoutException as exc:
                    raise RetryableFetchError("timeout", f"timed out after {self.source.timeout:g} s ({type(exc).__name__})") from exc
                except httpx.TransportError as exc:
                    raise RetryableFetchError("transport_error", f"{type(exc).__name__}: {exc}") from exc
        raise FinalFetchError("http_error", f"more than {MAX_REDIRECTS} redirects")

    async def checked_target(self, url: str) -> tuple[str, tuple[dict[str, str], dict[str, str]]]:
        """Resolve the URL's host and check every address; the URL to request (host pinned to the address), headers, extensions.

        Raises FinalFetchError ``address_blocked`` naming URL and address, or RetryableFetchError when
        the name does not resolve.
        """
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FinalFetchError("transport_error", f"not a URL that can be fetched: {url!r} ({exc})") from exc
        name = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = await asyncio.wait_for(resolve(name, port), self.source.timeout)
        except TimeoutError as exc:
            raise RetryableFetchError("timeout", f"resolving {name!r} took over {self.source.timeout:g} s") from exc
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise RetryableFetchError("transport_error", f"cannot resolve {name!r} ({exc})") from exc
        if not addresses:
            raise RetryableFetchError("transport_error", f"cannot resolve {name!r} (no addresses)")
        for address in addresses:
            problem = address_problem(address, self.source)
            if problem:
                shown = str(address) if str(address) == name else f"{name} resolves to {address}"
                raise FinalFetchError("address_blocked", f"refused {url}: {shown}, {problem}")
        if not self._pin or str(addresses[0]) == name:
            return url, ({}, {})
        pinned = str(parsed.copy_with(host=str(addresses[0])))
        return pinned, ({"Host": parsed.netloc.decode("ascii")}, {"sni_hostname": name})

    async def read(self, response: httpx.Response, url: str, want_pdf: bool) -> Body:
        """Check the status, then stream the body under the size cap and check its length."""
        status = response.status_code
        meta = {
            "content_type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        disposition = next((v for k, v in response.headers.raw if k.lower() == b"content-disposition"), None)
        if status == 304:
            return Body(url, status, b"", **meta, disposition=disposition)
        if status >= 500:
            raise RetryableFetchError("http_error", f"HTTP {status} {response.reason_phrase}", status)
        if status >= 400:
            raise FinalFetchError("http_error", f"HTTP {status} {response.reason_phrase}", status)
        if status != 200:
            raise FinalFetchError("http_error", f"unexpected HTTP {status} {response.reason_phrase}", status)
        cap = self.source.max_bytes
        announced = response.headers.get("content-length")
        expected = int(announced) if announced and announced.isdigit() else None
        if expected is not None and expected > cap:
            raise FinalFetchError("too_large", f"{expected} bytes announced, over the {cap}-byte cap", status)
        chunks: list[bytes] = []
        received = 0
        checked = False
        try:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > cap:
                    raise FinalFetchError("too_large", f"more than {cap} bytes received, over the cap (download aborted)", status)
                chunks.append(chunk)
                if want_pdf and not checked and received >= 1024:
                    # stop early when an HTML page comes instead of the PDF (a login or error page)
                    checked = True
                    head = b"".join(chunks)[:1024]
                    if document_kind(head) is None:
                        raise FinalFetchError("not_pdf", not_pdf_reason(head, meta["content_type"]), status)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            what = f"{received} of {expected} bytes" if expected is not None else f"{received} bytes"
            raise RetryableFetchError("truncated", f"body cut off after {what} ({type(exc).__name__})", status) from exc
        content = b"".join(chunks)
        if expected is not None and len(content) != expected:
            raise RetryableFetchError("truncated", f"body has {len(content)} bytes, Content-Length says {expected}", status)
        kind = document_kind(content[:1024])
        if want_pdf and kind != "pdf" and (problem := kind_problem(content)) is not None:
            # a ZIP or OLE2 file that is no workbook says so; anything else is named by what it starts with
            reason = problem if kind is not None else not_pdf_reason(content, meta["content_type"])
            raise FinalFetchError("not_pdf", reason, status)
        return Body(url, status, content, **meta, disposition=disposition)

    async def get(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None, want_pdf: bool = False
    ) -> tuple[Body, int]:
        """GET with bounded retries and exponential backoff; returns the body and the attempts used."""
        attempts = self.source.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self.get_once(client, url, dict(headers or {}), want_pdf), attempt
            except RetryableFetchError as exc:
                if attempt == attempts:
                    raise FinalFetchError(exc.outcome, f"{exc} (gave up after {attempts} attempts)", exc.status) from exc
                delay = self.source.backoff * 2 ** (attempt - 1)
                log.info("%s: %s; retry %d in %.1f s", url, exc, attempt, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (an IP literal is its own), in the resolver's order, without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: dict[IPAddress, None] = {}
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0") is not part of the address
        out[ipaddress.ip_address(text)] = None
    return list(out)


def address_problem(address: IPAddress, source: Source) -> str | None:
    """Why a request to ``address`` is refused for ``source`` (None: allowed).

    Link-local (169.254.0.0/16, fe80::/10), cloud metadata, unspecified, multicast and reserved
    addresses are always refused; other non-global ones (private, loopback, shared, unique local)
    unless the address is a start URL's literal host or the source sets ``allow_private: true``.
    """
    plain = (address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else address
    if plain.is_link_local or plain in METADATA_ADDRESSES:
        return "a link-local or cloud metadata address (always refused)"
    if plain.is_unspecified or plain.is_multicast or plain.is_reserved:
        return "not an address to fetch from (unspecified, multicast or reserved; always refused)"
    if plain.is_global or str(plain) in source.literal_addresses or str(address) in source.literal_addresses:
        return None
    if source.allow_private:
        return None
    kind = "a loopback" if plain.is_loopback else "a private"
    return f"{kind} address (allowed only as a start URL's literal host, or with allow_private: true in sources.yaml)"


def not_pdf_reason(first_chunk: bytes, content_type: str | None) -> str:
    """Say what arrived instead of a PDF or spreadsheet, decoded in the body's own charset (a steward reads this).

    The header's charset, else ``<meta charset>``, else UTF-8, else GB18030 (extract.links.decode_page):
    an HTML page is named by its title or first words, other text by its start, binary by its first bytes.
    """
    text = decode_page(first_chunk, content_type, partial=True)
    where = f"no %PDF- header or workbook; Content-Type {content_type or 'missing'}"
    start = text.lstrip()
    if start.startswith("<"):
        title = _TITLE.search(start)
        words = _words(title.group(1) if title else _BODY_START.sub("", start))
        said = f"says {words!r}" if words else f"starts with {start[:20]!r}"
        return f"an HTML page ({where}; {said})"
    if start and sum(c.isprintable() or c.isspace() for c in start[:200]) >= 0.95 * len(start[:200]):
        return f"not a PDF or spreadsheet ({where}; starts with {start[:20]!r})"
    return f"not a PDF or spreadsheet ({where}; starts with bytes {first_chunk[:16]!r})"


_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.I | re.S)
# what precedes the visible text: doctype, comments, head, scripts and styles
_BODY_START = re.compile(r"<!--.*?-->|<(script|style|head)\b.*?</\1\s*>|<!doctype[^>]*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>?")


def _words(markup: str, limit: int = 60) -> str:
    """The first visible words of some markup: tags removed, entities decoded, whitespace collapsed."""
    text = " ".join(html.unescape(_TAG.sub(" ", markup)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
