"""The reviewed rules file (expectations/rules.yaml): every rule's severity and description, and completeness."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import yaml

from expectations.findings import SEVERITIES, Finding, Severity

if TYPE_CHECKING:
    from extract.models import RawTable

RULES_FILE = Path(__file__).with_name("rules.yaml")
COMPLETENESS_RULE = "completeness.tables"


class RulesConfigError(ValueError):
    """The rules file is malformed or names a rule that does not exist."""


@dataclass(frozen=True)
class RuleSpec:
    """Severity and one-line description of one rule."""

    name: str
    severity: Severity
    description: str


@dataclass(frozen=True)
class RulesConfig:
    """Every rule's spec, and the tables each phase must carry."""

    rules: Mapping[str, RuleSpec]
    completeness: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: Path | None = None

    def severity(self, rule: str) -> Severity:
        """The configured severity of a rule (KeyError names the rule when it is not configured)."""
        try:
            return self.rules[rule].severity
        except KeyError:
            raise KeyError(f"rule {rule!r} has no severity in {self.source or 'the rules file'}") from None


def known_rule_names() -> frozenset[str]:
    """Every rule the code implements: identities, GX expectations, completeness and extraction quality."""
    from expectations.gx_suites import GX_RULES
    from expectations.identities import RULES
    from expectations.ocr_corrections import CORRECTED_RULE, UNPROVEN_RULE
    from expectations.quality import LOW_QUALITY_RULE

    return frozenset({r.name for r in RULES} | set(GX_RULES) | {COMPLETENESS_RULE, LOW_QUALITY_RULE, CORRECTED_RULE, UNPROVEN_RULE})


def load_rules(path: Path | None = None, known: Collection[str] | None = None) -> RulesConfig:
    """Read a rules file; unknown rule names, bad severities and rules left out are errors naming the key."""
    source = path or RULES_FILE
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        raise RulesConfigError(f"{source}: expected a mapping with a 'rules' section")
    names = known_rule_names() if known is None else frozenset(known)
    specs: dict[str, RuleSpec] = {}
    for name, spec in data["rules"].items():
        key = str(name)
        if key not in names:
            raise RulesConfigError(f"{source}: unknown rule {key!r} (known rules: {', '.join(sorted(names))})")
        if not isinstance(spec, dict):
            raise RulesConfigError(f"{source}: rule {key!r}: expected severity and description")
        severity = spec.get("severity")
        if severity not in SEVERITIES:
            raise RulesConfigError(f"{source}: rule {key!r}: severity must be error or warn, not {severity!r}")
        specs[key] = RuleSpec(key, cast(Severity, severity), str(spec.get("description") or ""))
    missing = sorted(names - set(specs))
    if missing:
        raise RulesConfigError(f"{source}: no severity for rule(s) {', '.join(missing)}")
    completeness = {
        str(phase): tuple(str(code).zfill(2) for code in codes)
        for phase, codes in (data.get("completeness") or {}).items()
    }
    return RulesConfig(specs, completeness, source)


@cache
def default_rules() -> RulesConfig:
    """The reviewed rules file shipped in expectations/rules.yaml (read once per process)."""
    return load_rules()


def check_listed_tables(listed: Sequence[str], present: Sequence[RawTable], config: RulesConfig | None = None) -> list[Finding]:
    """One finding per table a 预算's 目录 lists: pass when a table of its kind was found, fail naming it when not.

    A 预算 set is not standard: what the document itself lists is what it must carry. Titles are matched by
    kind (``table_type``, as many of each kind as the 目录 lists), so "政府性基金财政拨款支出预算表" in the 目录
    finds the table printed as "政府性基金支出预算表".
    """
    from extract.table_types import table_type

    rules = config or default_rules()
    severity = rules.severity(COMPLETENESS_RULE)
    available: dict[str, list[str]] = {}
    for table in present:
        available.setdefault(table.table_type or "", []).append(table.table_code)
    findings = []
    for position, title in enumerate(listed, 1):
        kind = table_type(title)
        codes = available.get(kind.key if kind else "", [])
        code = codes.pop(0) if codes else None
        findings.append(
            Finding(
                rule=COMPLETENESS_RULE,
                severity=severity,
                table_code=code or f"{position:02d}",
                row="",
                measure="",
                expected=f"table {title} (required table {position}: its 目录, else its family) in the document",
                found="present" if code else "missing",
                verdict="pass" if code else "fail",
            )
        )
    return findings


def check_completeness(
    present_table_codes: Iterable[str], phase: str | None, config: RulesConfig | None = None
) -> list[Finding]:
    """One finding per table the phase requires: pass when present (possibly empty), fail naming it when missing."""
    from extract.models import TABLE_TITLES

    rules = config or default_rules()
    required = rules.completeness.get(phase or "", ())
    severity = rules.severity(COMPLETENESS_RULE)
    present = {str(code).zfill(2) for code in present_table_codes}
    return [
        Finding(
            rule=COMPLETENESS_RULE,
            severity=severity,
            table_code=code,
            row="",
            measure="",
            expected=f"table {code} ({TABLE_TITLES.get(code, '?')}) in a {phase}",
            found="present" if code in present else "missing",
            verdict="pass" if code in present else "fail",
        )
        for code in required
    ]
