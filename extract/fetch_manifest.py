"""The fetch manifest: what the harvester remembers of every URL (``etl_fetch`` in the warehouse).

It also remembers broken links (``etl_broken_link``): a URL whose fetch failed is not fetched again
before its ``next_retry_at`` (1, 2, 4 … nights after the last failure, at most 32), and only its first
failure is news (the nightly run exits 1 for new failures only; ``fiscal harvest --broken`` lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from extract.models import FetchOutcome, FetchResult, PreviousFetch

LinkKind = Literal["document", "page"]

#: the longest wait between two attempts at a broken link, in nights
MAX_BACKOFF_NIGHTS = 32
NIGHT = timedelta(days=1)
#: a night's run may reach a URL earlier in the night than the run that failed on it did
EARLY = timedelta(hours=12)


@dataclass(frozen=True)
class BrokenLink:
    """A URL whose last fetches failed: since when, how often, why, and when to try it again."""

    url: str
    source: str | None
    kind: LinkKind
    failures: int
    first_failed_at: datetime
    last_failed_at: datetime
    next_retry_at: datetime
    reason: str
    http_status: int | None = None

    def due(self, now: datetime) -> bool:
        """True when the link may be fetched again at ``now``."""
        return now >= self.next_retry_at


def backoff_nights(failures: int) -> int:
    """Nights to wait after the ``failures``-th failure in a row: 1, 2, 4 … at most 32."""
    return min(2 ** max(failures - 1, 0), MAX_BACKOFF_NIGHTS)


def failed_again(
    previous: BrokenLink | None, *, url: str, source: str | None, kind: LinkKind, reason: str, at: datetime,
    http_status: int | None = None,
) -> BrokenLink:
    """The broken-link state after one more failure of ``url`` at ``at``."""
    failures = previous.failures + 1 if previous else 1
    return BrokenLink(
        url=url, source=source, kind=kind, failures=failures,
        first_failed_at=previous.first_failed_at if previous else at, last_failed_at=at,
        next_retry_at=at + backoff_nights(failures) * NIGHT - EARLY, reason=reason, http_status=http_status,
    )


def failure_reason(result: FetchResult) -> str:
    """How a failed fetch is remembered: ``outcome: error``."""
    return f"{result.outcome}: {result.error}" if result.error else result.outcome


class FetchManifest(Protocol):
    """Durable memory of fetched URLs (``etl_fetch`` in the warehouse; a dict in tests)."""

    def lookup(self, url: str) -> PreviousFetch | None:
        """Validators and last sha256 of ``url``, or None when never fetched successfully."""
        ...

    def known_sha(self, sha256: str) -> bool:
        """True when any URL has delivered this content before."""
        ...

    def record(self, result: FetchResult) -> None:
        """Remember one fetch (the current state of the URL, plus a history row; a failure marks it broken)."""
        ...

    def broken(self, url: str) -> BrokenLink | None:
        """The URL's failure streak, or None when its last fetch worked (or it was never fetched)."""
        ...

    def record_page(self, url: str, source: str, at: datetime, problem: str | None = None,
                    http_status: int | None = None) -> None:
        """Remember whether an article page could be read (``problem`` None: it could; a failure marks it broken)."""
        ...


class MemoryManifest:
    """A FetchManifest in memory (tests, dry runs)."""

    def __init__(self) -> None:
        self.current: dict[str, FetchResult] = {}
        self.history: list[FetchResult] = []
        self.broken_links: dict[str, BrokenLink] = {}

    def lookup(self, url: str) -> PreviousFetch | None:
        """Validators and last sha256 of ``url``."""
        row = self.current.get(url)
        if row is None or row.sha256 is None:
            return None
        return PreviousFetch(row.sha256, row.etag, row.last_modified, row.file_name)

    def known_sha(self, sha256: str) -> bool:
        """True when any URL has delivered this content before."""
        return any(r.sha256 == sha256 for r in self.current.values())

    def record(self, result: FetchResult) -> None:
        """Keep the URL's latest state (an error keeps the last good content and validators) and its failure streak."""
        self.history.append(result)
        previous = self.current.get(result.url)
        if not result.ok and previous is not None:
            result = replace(result, sha256=previous.sha256, etag=previous.etag, last_modified=previous.last_modified,
                             file_name=previous.file_name)
        self.current[result.url] = result
        if result.ok:
            self.broken_links.pop(result.url, None)
        else:
            self.broken_links[result.url] = failed_again(
                self.broken_links.get(result.url), url=result.url, source=result.source, kind="document",
                reason=failure_reason(result), at=result.fetched_at, http_status=result.http_status,
            )

    def broken(self, url: str) -> BrokenLink | None:
        """The URL's failure streak, if any."""
        return self.broken_links.get(url)

    def record_page(self, url: str, source: str, at: datetime, problem: str | None = None,
                    http_status: int | None = None) -> None:
        """Clear or extend a page's failure streak."""
        if problem is None:
            self.broken_links.pop(url, None)
        else:
            self.broken_links[url] = failed_again(self.broken_links.get(url), url=url, source=source, kind="page",
                                                  reason=problem, at=at, http_status=http_status)


def classify(previous: PreviousFetch | None, sha256: str, manifest: FetchManifest) -> FetchOutcome:
    """New, changed, duplicate (known under another URL) or unchanged content for one URL."""
    if previous is not None and previous.sha256 == sha256:
        return "unchanged"
    if manifest.known_sha(sha256):
        return "duplicate"
    return "changed" if previous is not None and previous.sha256 else "new"
