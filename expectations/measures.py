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
    #: table code → canonical measures in printed order
    canonical: Mapping[str, tuple[str, ...]]
    #: table code → normalised token key → canonical measure
    lookup: Mapping[str, Mapping[tuple[str, ...], str]]

    def key(self, header_path: str | Sequence[str]) -> tuple[str, ...]:
        """Order-free matching key of a header path: cleaned tokens, wrappers dropped, synonyms applied."""
        tokens = header_path.split("/") if isinstance(header_path, str) else list(header_path)
        cleaned = (_clean(t) for t in tokens)
        return tuple(sorted(self.synonyms.get(t, t) for t in cleaned if t and t not in self.wrappers))

    def canonical_measure(self, table_code: str, header_path: str | Sequence[str]) -> str | None:
        """The canonical measure of a printed header path in a table, or None when it is not in the vocabulary."""
        table = self.lookup.get(str(table_code))
        if table is None:
            return None
        return table.get(self.key(header_path))


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
    for table_code, measures in data["tables"].items():
        code = str(table_code).zfill(2)
        if not isinstance(measures, dict):
            raise VocabularyError(f"{path}: table {code}: expected canonical measure → list of variants")
        canonical[code] = tuple(str(m) for m in measures)
        table_lookup: dict[tuple[str, ...], str] = {}
        for measure, variants in measures.items():
            for printed in (str(measure), *(str(v) for v in variants or ())):
                key = partial.key(printed)
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
