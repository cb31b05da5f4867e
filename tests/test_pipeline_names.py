"""The label a document is known by: the download URL's file name, else the file's own name."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from flows.pipeline import display_name

RAW = Path("data/raw/0123abcd.pdf")


def test_downloads_are_named_after_the_url_path_not_the_stored_file() -> None:
    assert display_name(RAW, "http://czt.changsha.gov.cn/files/20210601.pdf?download=1") == "20210601.pdf"
    assert display_name(RAW, "https://x.gov.cn/a/%E5%86%B3%E7%AE%97.pdf") == "决算.pdf"


def test_local_files_and_urls_without_a_path_keep_the_file_name() -> None:
    assert display_name(Path("in/putuo.pdf"), None) == "putuo.pdf"
    assert display_name(Path("in/putuo.pdf"), "in/putuo.pdf") == "putuo.pdf"
    assert display_name(RAW, "http://x.gov.cn/") == RAW.name


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_a_label_never_contains_a_slash_or_is_empty(tail: str) -> None:
    name = display_name(RAW, "http://x.gov.cn/files/" + tail)
    assert name.strip() and "/" not in name


def test_an_encoded_slash_does_not_smuggle_a_path_into_the_label() -> None:
    assert display_name(RAW, "http://x.gov.cn/files/a%2Fb.pdf") == "b.pdf"
    assert display_name(RAW, "http://x.gov.cn/files/%2F") == RAW.name
