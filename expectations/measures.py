"""Measure vocabulary per table type: printed header variants → one canonical measure (expectations/measures.yaml)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

MEASURES_FILE = Path(__file__).with_name("measures.yaml")

_DROP = re.compile(r"[\s“”\"'‘’]")
#: a year printed before a budget header ("2024年“三公”经费预算数"): dropped from 预算 headers
_YEAR = re.compile(r"^(?:19|20)\d{2}年度?")
#: the scopes of the 预算 tables' measures: this prefix, then the table_type (as expectations/tables.py names them)
BUDGET_PREFIX = "budget."


class VocabularyError(ValueError):
    """The measure vocabulary file is malformed."""


def _clean(token: str) -> str:
    """One header token without whitespace or quotes, with full-width parentheses."""
    return _DROP.sub("", token).replace("(", "（").replace(")", "）")


@dataclass(frozen=True)
class Vocabulary:
    """Canonical measures of every table type and the token-level rules that map printed headers onto them."""

    wrappers: frozenset[str]
    synonyms: Mapping[str, str]
    #: table code (or 预算 scope "budget.<table_type>") → canonical measures in printed order
    canonical: Mapping[str, tuple[str, ...]]
    #: table code (or 预算 scope) → normalised token key → canonical measure
    lookup: Mapping[str, Mapping[tuple[str, ...], str]]

    def key(self, header_path: str | Sequence[str], *, drop_years: bool = False) -> tuple[str, ...]:
        """Order-free matching key of a header path: cleaned tokens, wrappers dropped, synonyms applied.

        ``drop_years`` (预算 headers) first removes a year printed before a token ("2024年").
        """
        tokens = header_path.split("/") if isinstance(header_path, str) else list(header_path)
        cleaned = (_clean(t) for t in tokens)
        if drop_years:
            cleaned = (_YEAR.sub("", t) for t in cleaned)
        return tuple(sorted(self.synonyms.get(t, t) for t in cleaned if t and t not in self.wrappers))

    def scope_key(self, scope: str, header_path: str | Sequence[str]) -> tuple[str, ...]:
        """The matching key of a header path in a scope (a 决算 table code, or a 预算 scope: years dropped)."""
        return self.key(header_path, drop_years=str(scope).startswith(BUDGET_PREFIX))

    def canonical_measure(self, table_code: str, header_path: str | Sequence[str]) -> str | None:
        """The canonical measure of a printed header path in a table (or 预算 scope), or None when it is not in the vocabulary."""
        table = self.lookup.get(str(table_code))
        if table is None:
            return None
        return table.get(self.scope_key(str(table_code), header_path))


def load_vocabulary(path: Path = MEASURES_FILE) -> Vocabulary:
    """Read and check a measure vocabulary file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise VocabularyError(f"{path}: expected a mapping with a 'tables' section")
    wrappers = frozenset(_clean(str(w)) for w in data.get("wrappers") or ())
    synonyms = {_clean(str(k)): _clean(str(v)) for k, v in (data.get("synonyms") or {}).items()}
    partial = Vocabulary(wrappers, synonyms, {}, {})
    canonical: dict[str, tuple[str, ...]] = {}
    lookup: dict[str, dict[tuple[str, ...], str]] = {}
    sections = [(str(code).zfill(2), measures) for code, measures in data["tables"].items()]
    budget = data.get("budget_tables") or {}
    if not isinstance(budget, dict):
        raise VocabularyError(f"{path}: 'budget_tables' must map table types to their measures")
    sections += [(f"{BUDGET_PREFIX}{table_type}", measures or {}) for table_type, measures in budget.items()]
    for code, measures in sections:
        if not isinstance(measures, dict):
            raise VocabularyError(f"{path}: table {code}: expected canonical measure → list of variants")
        canonical[code] = tuple(str(m) for m in measures)
        table_lookup: dict[tuple[str, ...], str] = {}
        for measure, variants in measures.items():
            for printed in (str(measure), *(str(v) for v in variants or ())):
                key = partial.scope_key(code, printed)
                other = table_lookup.get(key)
                if other is not None and other != measure:
                    raise VocabularyError(f"{path}: table {code}: header {printed!r} maps to both {other!r} and {measure!r}")
                table_lookup[key] = str(measure)
        lookup[code] = table_lookup
    return Vocabulary(wrappers, synonyms, canonical, lookup)


@cache
def default_vocabulary() -> Vocabulary:
    """The reviewed vocabulary shipped in expectations/measures.yaml (read once per process)."""
    return load_vocabulary()


def canonical_measure(table_code: str, header_path: str | Sequence[str]) -> str | None:
    """Canonical measure of a printed header path (``"本年支出/小计"`` or its tokens) in a table type, else None."""
    return default_vocabulary().canonical_measure(table_code, header_path)


def table_measures(table_code: str) -> tuple[str, ...]:
    """The canonical measures of one table type, in printed order."""
    return default_vocabulary().canonical.get(str(table_code), ())
