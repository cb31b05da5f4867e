"""OCR proven by the accounting identities: a scanned document's misread digits corrected only when the sums say so.

A wrong digit almost always breaks a sum. When identities fail on a scanned document, the low-confidence
OCR'd amounts of the failing tables are read again as their next-best readings (the engine's
alternatives, and the digit confusions of print scans: 0/6/8/9, 1/7, 3/8, 5/6). A reading is accepted
only when

- at least two independent identities involve the cell (a changed amount changes their balance: a row
  total and a column total, say) and both hold with the new reading, and
- once every accepted reading is in, every identity of the document holds,

with at most ``MAX_CORRECTIONS`` corrections per document. Each becomes an ``ocr.corrected`` finding (read
vs corrected, with its confidence and the identities that prove it) so that a steward sees it; otherwise
nothing is changed and the document is quarantined with its failing rules, as any other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from expectations.findings import Finding
from extract.models import OcrCell
from transform.parsers import AmountParseError, parse_amount
from transform.stg_cells import UNIT_FACTORS

#: The rule name of a correction's finding, and of an identity that fails on a scanned document (rules.yaml).
CORRECTED_RULE = "ocr.corrected"
UNPROVEN_RULE = "ocr.unproven"
#: How many of a failing table's least sure cells an ``ocr.unproven`` finding names.
NAMED_CELLS = 3
MAX_CORRECTIONS = 3
#: Cells read at least this sure are not second-guessed.
CONFIDENT = 0.98
#: How many of the least sure cells of the failing tables are tried, and readings per cell.
MAX_CANDIDATES, MAX_READINGS = 40, 12
#: Digits print scans confuse, each with the digits it is taken for.
CONFUSIONS: dict[str, str] = {"0": "689", "6": "0859", "8": "03695", "9": "08", "1": "74", "7": "1", "3": "85", "5": "63", "4": "1"}

Evaluate = Callable[[pd.DataFrame], list[Finding]]


@dataclass(frozen=True)
class Correction:
    """One accepted reading: which cell, what OCR read, what the identities say it is, and which identities."""

    index: Hashable  # the stg_cells row
    table_code: str
    page: int
    row: str
    measure: str
    read: str
    corrected: str
    confidence: float
    identities: tuple[str, ...]

    def finding(self) -> Finding:
        """The ``ocr.corrected`` finding a steward sees (read as found, corrected as expected)."""
        return Finding(
            rule=CORRECTED_RULE, severity="warn", table_code=self.table_code, row=self.row, measure=self.measure,
            expected=f"{self.corrected} (proven by {', '.join(self.identities)})",
            found=f"{self.read} (OCR confidence {self.confidence:.2f})", page=self.page, verdict="rounding",
        )


def readings_by_row(cells: pd.DataFrame, ocr: Sequence[OcrCell]) -> dict[Hashable, OcrCell]:
    """The OCR reading of each stg_cells row read from a scanned page (matched by page and cell box)."""
    by_box = {(c.page, round(c.box[0], 2), round(c.box[1], 2)): c for c in ocr}
    found: dict[Hashable, OcrCell] = {}
    if "cell_x0" not in cells.columns:
        return found
    for index, page, x0, top in zip(cells.index, cells["page"], cells["cell_x0"], cells["cell_top"], strict=True):
        if x0 is None or pd.isna(x0):
            continue
        reading = by_box.get((int(page), round(float(x0), 2), round(float(top), 2)))
        if reading is not None:
            found[index] = reading
    return found


def candidate_readings(reading: OcrCell) -> list[str]:
    """Other readings of an OCR'd amount: the engine's alternatives, then one confusable digit changed.

    Digits read with the least confidence are changed first (all digits when the engine gives no
    per-character confidences).
    """
    out: list[str] = [text for text, _ in reading.alternatives]
    text = reading.text
    scores = reading.char_confidences if len(reading.char_confidences) == len(text) else (reading.confidence,) * len(text)
    for position in sorted(range(len(text)), key=lambda i: scores[i]):
        for other in CONFUSIONS.get(text[position], ""):
            out.append(text[:position] + other + text[position + 1 :])
    seen: set[str] = {text}
    unique = []
    for candidate in out:
        if candidate not in seen and _amount(candidate) is not None:
            seen.add(candidate)
            unique.append(candidate)
    return unique[:MAX_READINGS]


def _amount(text: str) -> Decimal | None:
    """A reading as an amount, None when it is not one."""
    try:
        return parse_amount(text)
    except (AmountParseError, InvalidOperation):
        return None


def _key(finding: Finding) -> tuple[str, str | None, str, str]:
    return (finding.rule, finding.table_code, finding.row, finding.measure)


def _failing(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.outcome == "fail"]


def _with_amount(cells: pd.DataFrame, index: Hashable, text: str) -> pd.DataFrame:
    """The cells with one amount read differently (amount, amount_yuan, raw text)."""
    amount = _amount(text)
    assert amount is not None  # candidate_readings keeps amounts only
    out = cells.copy()
    unit = str(out.at[index, "unit"])
    out.at[index, "amount"] = amount
    out.at[index, "amount_yuan"] = amount * UNIT_FACTORS.get(unit, Decimal(1))
    out.at[index, "raw_text"] = text
    return out


def involved_identities(cells: pd.DataFrame, index: Hashable, evaluate: Evaluate, baseline: Sequence[Finding]) -> set[tuple[str, str | None, str, str]]:
    """The identities a cell takes part in: those whose balance moves when its amount does."""
    probe = _with_amount(cells, index, str((_amount(str(cells.at[index, "raw_text"])) or Decimal(0)) + Decimal("1000003.07")))
    before = {_key(f): f.difference for f in baseline}
    after = {_key(f): f.difference for f in evaluate(probe)}
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def correct_ocr(
    cells: pd.DataFrame, readings: Mapping[Hashable, OcrCell], evaluate: Evaluate, *, limit: int = MAX_CORRECTIONS
) -> tuple[pd.DataFrame, list[Correction]]:
    """Correct misread amounts of a scanned document where the identities prove it (module docstring).

    Parameters
    ----------
    cells
        The document's stg_cells.
    readings
        The OCR reading of each row read from a scanned page (``readings_by_row``).
    evaluate
        The document's accounting identities over a cells frame (every finding, passes included).
    limit
        At most this many corrections.

    Returns
    -------
    tuple
        The cells with the accepted corrections and the corrections, or the cells unchanged and no
        correction when the identities cannot all be made to hold.

    """
    findings = evaluate(cells)
    failing = _failing(findings)
    if not failing or not readings:
        return cells, []
    tables = {f.table_code for f in failing}
    candidates = sorted(
        (i for i, r in readings.items() if r.kind in ("amount", "code") and cells.at[i, "table_code"] in tables and r.lowest < CONFIDENT),
        key=lambda i: readings[i].lowest,
    )[:MAX_CANDIDATES]
    corrections: list[Correction] = []
    current, current_findings = cells, findings
    while _failing(current_findings) and len(corrections) < limit:
        best: tuple[int, pd.DataFrame, list[Finding], Correction] | None = None
        for index in candidates:
            if any(c.index == index for c in corrections):
                continue
            reading = readings[index]
            involved = involved_identities(current, index, evaluate, current_findings)
            if len(involved) < 2:
                continue  # one identity alone cannot tell which of its cells is wrong
            for text in candidate_readings(reading):
                tried = _with_amount(current, index, text)
                tried_findings = evaluate(tried)
                holding = [f for f in tried_findings if _key(f) in involved and f.outcome != "fail"]
                if len(holding) < 2 or len(holding) < len(involved):
                    continue
                failures = len(_failing(tried_findings))
                if failures >= len(_failing(current_findings)):
                    continue
                row = _row_of(cells, index)
                correction = Correction(
                    index, str(cells.at[index, "table_code"]), int(cells.at[index, "page"]), row, str(cells.at[index, "measure"]),
                    reading.text, text, reading.lowest, tuple(sorted({k[0] for k in involved})),
                )
                if best is None or failures < best[0]:
                    best = (failures, tried, tried_findings, correction)
        if best is None:
            break
        _, current, current_findings, accepted = best
        corrections.append(accepted)
    if _failing(current_findings):
        return cells, []  # the identities do not all hold: nothing is corrected, the document is quarantined
    return current, corrections


def _row_of(cells: pd.DataFrame, index: Hashable) -> str:
    """The printed row of a cell: its subject code, else its label."""
    for column in ("functional_code", "economic_code", "line_item"):
        value = cells.at[index, column]
        if value is not None and not pd.isna(value) and str(value):
            return str(value)
    return ""


def unproven_findings(cells: pd.DataFrame, readings: Mapping[Hashable, OcrCell], findings: Sequence[Finding]) -> list[Finding]:
    """One ``ocr.unproven`` error per identity failing on a scanned document, naming the table's least sure OCR'd cells.

    A scanned document loads only if every identity holds: a warn-level identity that fails keeps it out too.
    """
    out = []
    for failed in _failing(findings):
        if failed.table_code is None:
            continue
        in_table = sorted(
            (i for i, r in readings.items() if str(cells.at[i, "table_code"]) == failed.table_code and r.kind != "text"),
            key=lambda i: readings[i].lowest,
        )[:NAMED_CELLS]
        named = "; ".join(
            f"page {readings[i].page} row {_row_of(cells, i)} {cells.at[i, 'measure']} read {readings[i].text!r} "
            f"({readings[i].lowest:.2f})"
            for i in in_table
        )
        out.append(
            Finding(
                rule=UNPROVEN_RULE, severity="error", table_code=failed.table_code, row=failed.row, measure=failed.measure,
                expected=f"{failed.rule} to hold on a scanned page", found=f"{failed.describe()}; least sure cells: {named or 'none'}",
                page=failed.page, verdict="fail",
            )
        )
    return out
