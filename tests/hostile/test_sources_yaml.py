"""Hostile sources.yaml files ([3/7]): alias bombs, oversized, deeply nested, Python tags, not UTF-8."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from extract.sources import SourcesError, load_sources, parse_sources
from tests.test_harvest_sources import GOOD


def _alias_bomb(levels: int = 9) -> str:
    """A "billion laughs" file: each level lists the previous one nine times (9**levels strings from ~1 KB)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines.append(f"sources: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    bomb = _alias_bomb()
    assert len(bomb) < 1100  # small file, 9**9 strings once expanded
    path = tmp_path / "sources.yaml"
    path.write_text(bomb, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(SourcesError, match=r"sources\.yaml:1: YAML anchor &a0: anchors and aliases are not allowed"):
            load_sources(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak  # refused before expanding: 9**9 strings would take gigabytes


def test_an_alias_without_anchor_and_a_merge_key_are_refused() -> None:
    merge = GOOD.replace("  - name: inbox\n", "  - <<: *defaults\n    name: inbox\n")
    with pytest.raises(SourcesError, match=r"sources\.yaml:14: YAML alias \*defaults: anchors and aliases are not allowed"):
        parse_sources(merge)


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    from extract.sources import MAX_SOURCES_BYTES

    path = tmp_path / "sources.yaml"
    path.write_text(GOOD + "#" * MAX_SOURCES_BYTES + "\n", encoding="utf-8")
    with pytest.raises(SourcesError, match=r"over the 1048576-byte limit"):
        load_sources(path)
    with pytest.raises(SourcesError, match=r"over the 1048576-byte limit"):
        parse_sources(GOOD + "#" * MAX_SOURCES_BYTES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, r"nested too deeply|not valid YAML"),
        ("sources: !!python/object/apply:os.system ['true']\n", r"sources\.yaml:1: not valid YAML"),
    ],
)
def test_deep_nesting_and_python_tags_are_errors_not_tracebacks(text: str, message: str) -> None:
    with pytest.raises(SourcesError, match=message):
        parse_sources(text)


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_bytes(GOOD.encode("gbk"))  # a GBK editor: the first Chinese is 下一页 on line 7
    with pytest.raises(SourcesError, match=r"sources\.yaml:7: not UTF-8"):
        load_sources(path)
