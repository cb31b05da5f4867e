"""sources.yaml: valid files load; every bad file is rejected with the key and the line of the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.sources import SourcesError, load_sources, parse_sources

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
sources:
  - name: changsha-czj
    kind: http_listing
    start_urls: ["http://czt.changsha.gov.cn/zfxxgk/czyjs/index.html"]
    article_pattern: '/czyjs/\\d+/t\\d+_\\d+\\.html$'
    link_pattern: '(?i)\\.pdf$|download'
    pagination: {next_pattern: 下一页, max_pages: 5}
    depth: 2
    department: 长沙市财政局
    year: 2020
    politeness: {concurrency: 1, delay: 2}
    host_politeness: {czt.changsha.gov.cn: {concurrency: 2, delay: 1}}
    max_bytes: 30000000
  - name: inbox
    kind: local_dir
    path: /srv/disclosures
"""


def test_a_good_file_loads_with_defaults_and_hosts() -> None:
    parsed = parse_sources(GOOD)
    web, inbox = parsed.sources
    assert web.hosts == frozenset({"czt.changsha.gov.cn"})  # from the start URL when allowed_hosts is absent
    assert web.politeness_for("CZT.changsha.gov.cn").concurrency == 2 and web.politeness_for("x").delay == 2
    assert web.pagination is not None and web.pagination.max_pages == 5 and web.year == 2020
    assert inbox.path == Path("/srv/disclosures") and inbox.depth == 2
    assert parsed.select("inbox") == [inbox]
    with pytest.raises(KeyError, match="known: changsha-czj, inbox"):
        parsed.select("nope")


def test_the_example_file_is_valid() -> None:
    assert load_sources(ROOT / "sources.example.yaml").sources


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("    depth: 2\n", "    depth: 9\n", r"sources\.yaml:8: sources\[0\]\.depth: Input should be less than or equal to 4"),
        ("    kind: local_dir\n", "    kind: ftp\n", r":15: sources\[1\]\.kind: Input should be 'http_listing' or 'local_dir'"),
        ("    year: 2020\n", "    yaer: 2020\n", r":10: sources\[0\]\.yaer: Extra inputs are not permitted"),
        ("max_pages: 5}", "max_pages: many}", r":7: sources\[0\]\.pagination\.max_pages: Input should be a valid integer"),
        ("'(?i)\\.pdf$|download'", "'(?i)\\.pdf$|download('", r":6: sources\[0\]\.link_pattern: not a valid regular expression"),
        ('["http://czt', '["/relative', r":4: sources\[0\]\.start_urls: not an absolute http\(s\) URL"),
        ("    path: /srv/disclosures\n", "", r":14: sources\[1\]: a local_dir source needs path"),
        ("concurrency: 1, delay: 2}", "concurrency: 0, delay: 2}", r":11: sources\[0\]\.politeness\.concurrency"),
        ("{concurrency: 2, delay: 1}}", "{concurrency: 2, delay: -1}}", r":12: sources\[0\]\.host_politeness\.czt\.changsha\.gov\.cn\.delay"),
        ("  - name: inbox\n", "  - name: changsha-czj\n", r"sources\.yaml:14: sources\[1\]\.name: duplicate source name 'changsha-czj' \(first at line 2\)"),
        ("  - name: changsha-czj\n", "  - name: 长沙 czj\n", r":2: sources\[0\]\.name: String should match pattern"),
        ("    max_bytes: 30000000\n", "    max_bytes: 10\n", r":13: sources\[0\]\.max_bytes: Input should be greater than or equal to 1024"),
        ("    politeness:", "   politeness:", r"sources\.yaml:11: not valid YAML"),
    ],
)
def test_bad_files_name_key_and_line(replace: str, by: str, message: str) -> None:
    assert replace in GOOD
    with pytest.raises(SourcesError, match=message):
        parse_sources(GOOD.replace(replace, by, 1))


@pytest.mark.parametrize("text", ["", "sources: 3\n", "- name: x\n", "sources:\n  - 1\n"])
def test_wrong_shapes_are_rejected(text: str) -> None:
    with pytest.raises(SourcesError):
        parse_sources(text)


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="copy sources.example.yaml"):
        load_sources(tmp_path / "sources.yaml")


_keys = st.sampled_from(["depht", "start_url", "linkpattern", "max_byte", "politness", "timeouts"])


@settings(max_examples=40, deadline=None)
@given(count=st.integers(min_value=1, max_value=6), bad_index=st.data(), key=_keys)
def test_a_misspelt_key_is_reported_at_its_own_line(count: int, bad_index: st.DataObject, key: str) -> None:
    sources = [{"name": f"s{i}", "kind": "local_dir", "path": f"/d/{i}"} for i in range(count)]
    index = bad_index.draw(st.integers(min_value=0, max_value=count - 1))
    sources[index][key] = 1
    text = yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True)
    expected_line = next(n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(f"{key}:"))
    with pytest.raises(SourcesError) as caught:
        parse_sources(text)
    assert str(caught.value) == f"sources.yaml:{expected_line}: sources[{index}].{key}: Extra inputs are not permitted"
