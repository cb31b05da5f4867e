"""What a run did, counted the same way whether the documents ran in the command or on the worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Outcome(Protocol):
    """The part of one document's outcome a summary counts."""

    @property
    def status(self) -> str:
        """loaded, quarantined, failed, skipped or duplicate."""
        ...

    @property
    def facts_loaded(self) -> int:
        """Facts the document loaded."""
        ...


class RunCounts:
    """Counts over ``outcomes`` for the CLI's summary and its exit code (mixed into the run summaries)."""

    outcomes: Sequence[Outcome]

    @property
    def documents(self) -> int:
        """Documents of the run, each counted once (bytes seen again under another name are not counted)."""
        return sum(1 for o in self.outcomes if o.status != "duplicate")

    def count(self, status: str) -> int:
        """Documents that ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def facts_loaded(self) -> int:
        """Facts loaded over all documents of the run."""
        return sum(o.facts_loaded for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """False when any document failed or was quarantined (skipped ones do not count)."""
        return not any(o.status in ("failed", "quarantined") for o in self.outcomes)
