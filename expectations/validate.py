"""One entry point: validate a document (GX suites, accounting identities, completeness, extraction quality)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from expectations.config import (
    RulesConfig,
    check_completeness,
    check_listed_tables,
    default_rules,
    load_rules,
)
from expectations.findings import Finding, finding_record
from expectations.identities import RULES, Rule, evaluate, rules_for
from expectations.ocr_corrections import correct_ocr, readings_by_row, unproven_findings
from expectations.quality import low_quality_findings
from expectations.tables import document_phase, table_types
from extract.models import OcrCell, RawTable

__all__ = [
    "Finding", "ValidationReport", "build_data_docs", "finding_record", "identity_findings", "ocr_checked",
    "recognised_headers_checked", "validate",
]


@dataclass(frozen=True)
class ValidationReport:
    """All findings of one document, split into failures (block the load), warnings, notes and passes."""

    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> list[Finding]:
        """Error-level findings beyond tolerance: the document must not load."""
        return [f for f in self.findings if f.outcome == "fail" and f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Warn-level findings beyond tolerance: recorded, the document still loads."""
        return [f for f in self.findings if f.outcome == "fail" and f.severity == "warn"]

    @property
    def notes(self) -> list[Finding]:
        """Gaps within the rounding tolerance the reports warn about."""
        return [f for f in self.findings if f.outcome == "rounding"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the load."""
        return not self.failures

    def records(self, *, include_passes: bool = False) -> list[dict[str, str | int | None]]:
        """Findings as ``etl_finding`` records (notes, warnings, failures; passes only when asked)."""
        return [finding_record(f) for f in self.findings if include_passes or f.outcome != "pass"]


def _configured(rules: tuple[Rule, ...], config: RulesConfig) -> tuple[Rule, ...]:
    """The identities with the severities of the rules file."""
    return tuple(replace(rule, severity=config.severity(rule.name)) for rule in rules)


def _with_config(findings: Iterable[Finding], config: RulesConfig) -> list[Finding]:
    return [f.with_severity(config.severity(f.rule)) for f in findings]


def validate(
    stg_cells: pd.DataFrame,
    rules: tuple[Rule, ...] = RULES,
    *,
    rules_file: Path | None = None,
    data_docs_dir: Path | None = None,
    phase: str | None = None,
    present_tables: Iterable[str] | None = None,
    run_name: str | None = None,
    gx: bool = True,
    tables: Sequence[RawTable] = (),
    listed_tables: Sequence[str] | None = None,
) -> ValidationReport:
    """Validate one document's staged cells: GX suites per table type, accounting identities, completeness.

    Parameters
    ----------
    stg_cells
        The document's cells (contract in transform/stg_cells.py).
    rules
        The accounting identities to evaluate (all by default).
    rules_file
        A rules file of the shape of expectations/rules.yaml (severities); the shipped one by default.
    data_docs_dir
        When given, GX static HTML Data Docs of this process's validations are (re)written there.
    phase
        The document's phase (决算 / 预算): completeness is checked when given. It chooses the rules and
        suites: a 决算's standard tables are validated by their codes 01–09, a 预算's by each table's
        ``table_type`` (from ``tables``), with the 预算 identities. Unknown (None): 预算 when ``tables`` carry
        a ``table_type``, else 决算.
    present_tables
        Table codes present in the document (empty tables included); defaults to the codes with cells.
    run_name
        Labels this document's GX runs in Data Docs (e.g. its file name or sha256).
    gx
        Run the Great Expectations suites (turn off only to time or test the identities alone).
    tables
        The document's identified tables (with their grids' parsing reports): each table read with
        low quality gets an ``extract.low_quality`` finding (``expectations.quality``); a 预算's tables give
        each table code its ``table_type``.
    listed_tables
        The table titles a 预算's 目录 lists (``extract.budget_tables.contents_order``): its completeness is
        that each is present (``check_listed_tables``); a 预算 without a 目录 has no completeness requirement.

    Returns
    -------
    ValidationReport
        Every finding of the document, under the rules file's severities: completeness (when ``phase`` is
        given), the GX suites (when ``gx``), the accounting identities, extraction quality. ``report.ok`` is
        False when an error-level rule failed (quarantine); ``failures``, ``warnings`` and ``notes`` split
        the rest.

    """
    config = default_rules() if rules_file is None else load_rules(rules_file)
    findings: list[Finding] = []
    if phase is not None:
        present = present_tables if present_tables is not None else set(stg_cells["table_code"].astype(str))
        findings += check_completeness(present, phase, config)
    if listed_tables:
        findings += check_listed_tables(listed_tables, tables, config)
    validated_as = document_phase(phase, tables)
    types = table_types(tables, validated_as, set(stg_cells["table_code"].astype(str)))
    if gx and not stg_cells.empty:
        from expectations.gx_suites import gx_validator  # GX takes seconds to import: only when validating

        budget_types = types if validated_as == "预算" else None
        findings += _with_config(gx_validator().validate(stg_cells, run_name, table_types=budget_types), config)
    phase_rules = _configured(rules_for(validated_as, rules), config)
    findings += evaluate(stg_cells, phase_rules, phase=validated_as, table_types=types)
    findings += low_quality_findings(tables, config)
    if data_docs_dir is not None:
        build_data_docs(data_docs_dir)
    return ValidationReport(tuple(findings))


def identity_findings(
    stg_cells: pd.DataFrame, *, phase: str | None = None, rules_file: Path | None = None, tables: Sequence[RawTable] = ()
) -> list[Finding]:
    """The accounting identities alone over a document's cells, under the rules file's severities (passes included)."""
    config = default_rules() if rules_file is None else load_rules(rules_file)
    validated_as = document_phase(phase, tables)
    types = table_types(tables, validated_as, set(stg_cells["table_code"].astype(str)))
    return evaluate(stg_cells, _configured(rules_for(validated_as, RULES), config), phase=validated_as, table_types=types)


def ocr_checked(
    stg_cells: pd.DataFrame,
    ocr_cells: Sequence[OcrCell],
    *,
    phase: str | None = None,
    rules_file: Path | None = None,
    tables: Sequence[RawTable] = (),
) -> tuple[pd.DataFrame, list[Finding]]:
    """A scanned document's cells with the misreadings two identities prove corrected, and the OCR findings.

    The findings are ``ocr.corrected`` (one per corrected amount) and ``ocr.unproven`` (a failing identity
    that an unsure reading takes part in); add them to :func:`validate`'s report of the returned cells.
    """
    readings = readings_by_row(stg_cells, ocr_cells)

    def identities(cells: pd.DataFrame) -> list[Finding]:
        return identity_findings(cells, phase=phase, rules_file=rules_file, tables=tables)

    corrected, corrections = correct_ocr(stg_cells, readings, identities)
    cells = corrected if corrections else stg_cells
    return cells, [c.finding() for c in corrections] + unproven_findings(cells, readings, identities(cells))


def recognised_headers_checked(report: ValidationReport, recognised_pages: Iterable[int]) -> ValidationReport:
    """The report with headers outside the measure vocabulary made errors on pages whose text was recognised.

    A page decoded through its glyph map (extract/glyph_map.py) reads its rarely printed characters by OCR: a
    header the vocabulary does not know there is most likely misread, and its amounts would load under a wrong
    measure. The document waits for a steward instead (who can accept it).
    """
    pages = set(recognised_pages)
    if not pages:
        return report
    return ValidationReport(
        tuple(
            f.with_severity("error")
            if f.rule == "gx.measure_vocabulary" and f.outcome == "fail" and (f.page is None or f.page in pages)
            else f
            for f in report.findings
        )
    )


def build_data_docs(directory: Path) -> Path:
    """Write GX static HTML Data Docs of the suites and of this process's validations; return index.html."""
    from expectations.gx_suites import build_data_docs as build

    return build(Path(directory))
