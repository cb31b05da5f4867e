"""Whether a validated document may load: the load/quarantine decision and what is said about it.

A document is quarantined when extraction left it incomplete (an error-level staging issue, no
department or year) or an error-level rule fails, unless a data steward accepted those failures
(``fiscal accept``): then it loads, flagged, and the failures are kept as notes. What is said of a
loaded document (identification and staging notes, warnings, rounding gaps) is assembled here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from expectations.validate import ValidationReport
from extract.models import DocumentFacts, ExtractionIssue


@dataclass(frozen=True)
class Decision:
    """The verdict on one document: load it or not, the reasons against, the notes to keep with it."""

    load: bool
    reasons: tuple[str, ...]  # why it does not load (empty when it loads)
    notes: tuple[str, ...]  # what is recorded with a loaded document
    accepted: bool = False  # loads only because a steward accepted its failures


def blocking_reasons(name: str, issues: Sequence[ExtractionIssue], facts: DocumentFacts) -> list[str]:
    """Reasons that stop a document whatever its rules say: error-level staging issues, no department or year."""
    reasons = [f"{name}: {issue}" for issue in issues if issue.severity == "error"]
    if facts.department is None:
        reasons.append(f"{name}: department not printed on the table pages or the cover")
    if facts.fiscal_year is None:
        reasons.append(f"{name}: fiscal year not printed on the table pages or the cover")
    return reasons


def needs_acceptance(blocking: Sequence[str], report: ValidationReport) -> bool:
    """True when only a steward's acceptance can let the document load (rules fail, nothing else blocks)."""
    return bool(report.failures) and not blocking


def decide(
    name: str,
    blocking: Sequence[str],
    report: ValidationReport,
    *,
    accepted: bool,
    notes: Sequence[str] = (),
) -> Decision:
    """Decide for one document.

    Parameters
    ----------
    name
        The document's name as people know it (prefix of every reason).
    blocking
        Reasons from :func:`blocking_reasons`.
    report
        The validation report of its staged cells.
    accepted
        Whether a data steward accepted this document's failures.
    notes
        Extraction notes to keep with a loaded document (identification, staging, reader notes).

    Returns
    -------
    Decision
        ``load`` with the notes to record, or the reasons it is quarantined.

    """
    failures = [f"{name}: {f.describe()}" for f in report.failures]
    if blocking or (failures and not accepted):
        return Decision(load=False, reasons=(*blocking, *failures), notes=())
    kept = list(notes)
    kept += [f"warning: {f.describe()}" for f in report.warnings]
    kept += [f"rounding: {f.describe()}" for f in report.notes]
    if accepted and failures:
        kept = [f"accepted despite: {f}" for f in failures] + kept
    return Decision(load=True, reasons=(), notes=tuple(kept), accepted=accepted and bool(failures))
