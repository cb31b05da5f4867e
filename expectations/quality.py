"""Extraction quality: a table whose words rulings cut, or whose text fell outside its cells, is flagged.

Rule ``extract.low_quality`` (severity in expectations/rules.yaml, shipped as warn): one finding per
table whose worst page has ``accuracy`` (100 less the share of characters whose word a ruling cuts,
camelot's notion of accuracy on our cell assignment) below ``MIN_ACCURACY`` or ``outside_chars_pct``
(share of the characters inside the grid's bounding box that fell in no cell) above
``MAX_OUTSIDE_CHARS_PCT``. The figures are the ones ``etl_table`` stores (worst page over the
table's grids, ``transform.stage.worst_report_figure``); the finding names the page of each.
"""

from __future__ import annotations

from collections.abc import Iterable

from expectations.config import RulesConfig, default_rules
from expectations.findings import Finding
from extract.models import RawTable
from transform.stage import worst_report_figure

LOW_QUALITY_RULE = "extract.low_quality"
#: accuracy (0–100) on a table's worst page below this is low quality (90 itself is fine)
MIN_ACCURACY = 90.0
#: share (0–100) of a grid's characters that fell in no cell above this is low quality (0.5 itself is fine)
MAX_OUTSIDE_CHARS_PCT = 0.5


def low_quality_findings(tables: Iterable[RawTable], config: RulesConfig | None = None) -> list[Finding]:
    """One ``extract.low_quality`` failure per table with worst accuracy < 90 or outside_chars_pct > 0.5.

    The finding names the table, the page of the (first) figure that triggered it, and every
    triggering figure with its page; tables within both thresholds, or without figures, give none.
    """
    severity = (config or default_rules()).severity(LOW_QUALITY_RULE)
    findings: list[Finding] = []
    for table in tables:
        triggered: list[tuple[str, str, str, int]] = []  # (figure, expected, found, page)
        accuracy = worst_report_figure(table, "accuracy")
        if accuracy is not None and accuracy[0] < MIN_ACCURACY:
            value, page = accuracy
            triggered.append(("accuracy", f"accuracy >= {MIN_ACCURACY:g}", f"accuracy {value:.2f} (page {page})", page))
        outside = worst_report_figure(table, "outside_chars_pct")
        if outside is not None and outside[0] > MAX_OUTSIDE_CHARS_PCT:
            value, page = outside
            triggered.append(
                (
                    "outside_chars_pct",
                    f"outside_chars_pct <= {MAX_OUTSIDE_CHARS_PCT:g}",
                    f"outside_chars_pct {value:.2f} (page {page})",
                    page,
                )
            )
        if not triggered:
            continue
        findings.append(
            Finding(
                rule=LOW_QUALITY_RULE,
                severity=severity,
                table_code=table.table_code,
                row="",
                measure=", ".join(t[0] for t in triggered),
                expected="; ".join(t[1] for t in triggered),
                found="; ".join(t[2] for t in triggered),
                page=triggered[0][3],
                verdict="fail",
            )
        )
    return findings
