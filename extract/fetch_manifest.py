"""The fetch manifest: what the harvester remembers of every URL (``etl_fetch`` in the warehouse)."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from extract.models import FetchOutcome, FetchResult, PreviousFetch


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


def classify(previous: PreviousFetch | None, sha256: str, manifest: FetchManifest) -> FetchOutcome:
    """New, changed, duplicate (known under another URL) or unchanged content for one URL."""
    if previous is not None and previous.sha256 == sha256:
        return "unchanged"
    if manifest.known_sha(sha256):
        return "duplicate"
    return "changed" if previous is not None and previous.sha256 else "new"
