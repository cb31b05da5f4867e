"""Fonts without a Unicode map: each glyph's character learnt from readings of the rendered runs (extract/glyph_map.py).

The document: the Writer rendering of the seed report printed to PostScript and distilled back
(``samples/seedgen/reprint.py``, ``DISTILLED``): its text layer decodes to glyph codes, its golden cells are the
seed's (in 元). Before the glyph map it went to the scan path and not one cell was read.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expectations.validate import validate
from extract.cells import PageChar
from extract.glyph_map import Glyph, _amount_marks, _nearest_shape, glyph_map, glyph_runs, glyph_votes
from extract.identify import identify_tables, read_facts
from extract.isolation import read_pdf
from extract.limits import Limits
from tests.golden import load_golden, score
from transform.stage import stage_document

ROOT = Path(__file__).resolve().parents[1]
DISTILLED = ROOT / "tests" / "data" / "pdfs" / "ghostscript-distilled-writer.pdf"
FONT = "Noto#1"


def key(code: str, font: str = FONT) -> tuple[str, str]:
    return (font, code)


def test_readings_with_one_character_per_glyph_vote_and_the_majority_decides() -> None:
    readings = [
        ((key("a"), key("b"), key("c")), "2.5"),
        ((key("a"), key("c")), "25"),
        ((key("a"), key("b")), "7."),  # a misreading: outvoted
        ((key("a"), key("b"), key("c")), "2.50"),  # a character too many: no vote
        ((key("a"), key("c")), "2"),
    ]
    votes = glyph_votes(readings)
    assert votes[key("a")] == Counter({"2": 2, "7": 1}) and votes[key("c")] == Counter({"5": 2})
    assert glyph_map(votes) == {key("a"): "2", key("b"): ".", key("c"): "5"}


def test_a_code_whose_readings_disagree_is_left_unknown() -> None:
    votes = glyph_votes([((key("x"),), "置"), ((key("x"),), "理"), ((key("x"),), "置")])
    assert glyph_map(votes) == {key("x"): "置"}  # two of three: agreement enough
    votes = glyph_votes([((key("x"),), "置"), ((key("x"),), "理")])
    assert glyph_map(votes) == {}


def test_known_glyphs_place_an_unknown_one_in_a_reading_that_lost_a_character_elsewhere() -> None:
    keys = (key("p"), key("q"), key("r"), key("s"), key("t"))
    known = {key("p"): "公", key("q"): "用", key("s"): "费", key("t"): "合"}
    # readings that lost a character (合 in the first, the last glyph's in the second): lengths differ, yet the
    # known glyphs around the unknown one place it; the lost character's glyph gets no vote
    votes = glyph_votes([(keys, "公用经费"), ((*keys, key("u")), "公用经费合")], known)
    assert votes[key("r")] == Counter({"经": 2}) and key("u") not in votes
    assert glyph_votes([(keys, "公用经费")])[key("r")] == Counter()  # without a first map: no vote


def test_amount_marks_are_read_as_printed() -> None:
    assert _amount_marks("2846·52") == "2846.52" and _amount_marks("1，195．64") == "1,195.64"
    assert _amount_marks("“三公”经费·说明") == "“三公”经费·说明"  # no digits around: as read


def test_a_blank_coded_glyph_takes_the_key_of_its_nearest_shape() -> None:
    mapping = {key(" |15,14,1,13"): "公", key(" |7,12,1,12"): "0"}
    assert _nearest_shape(key(" |14,14,1,13"), mapping) == key(" |15,14,1,13")
    assert _nearest_shape(key(" |11,14,1,13"), mapping) == key(" |11,14,1,13")  # too far from any
    assert _nearest_shape(key(" |15,14,1,13", "Other#2"), mapping) == key(" |15,14,1,13", "Other#2")


def glyph(code: str, x0: float, top: float = 100.0, width: float = 6.0) -> Glyph:
    box = PageChar(code, x0, top, x0 + width, top + 10)
    return Glyph(key(code), box, box)


def test_runs_end_at_a_column_rule_and_at_a_wide_gap() -> None:
    glyphs = [glyph("a", 10), glyph("b", 16), glyph("c", 22), glyph("d", 40), glyph("e", 46), glyph("f", 70)]
    runs = glyph_runs(glyphs, rules=[(37.0, 90.0, 120.0)])
    assert [[g.key[1] for g in run] for run in runs] == [["a", "b", "c"], ["d", "e"], ["f"]]
    low = [glyph("1", 10), Glyph(key("."), PageChar(".", 16, 108, 18, 110), PageChar(".", 16, 100, 19, 110))]
    assert [[g.key[1] for g in run] for run in glyph_runs(low)] == [["1", "."]]  # a point stands on its line


@pytest.mark.slow
def test_a_distilled_document_is_read_through_its_glyph_map_and_its_identities_judge_it() -> None:
    read = read_pdf(DISTILLED, DISTILLED.name, None, Limits())
    decoded = {page for page, note in read.notes if page and "decoded through the glyphs" in note}
    assert len(decoded) >= 12  # every table page
    assert not read.ocr_cells  # no page went the scan way
    tables, _ = identify_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    assert (facts.department, facts.fiscal_year, facts.unit) == ("长沙市政务服务中心", 2020, "元")
    staged = stage_document(tables, facts.unit)
    golden = load_golden("changsha_zwfwzx_2020_juesuan.json")
    golden = {**golden, "cells": [{**c, "amount": str(Decimal(c["amount"]) * 10000)} for c in golden["cells"]]}
    rows = staged.cells.to_dict("records")
    misses, extras = score(golden, rows)
    # pdfium's text layer leaves out one glyph coded as a space (the 公 of 公用经费合计): its row loses its label,
    # every amount is read exactly, and the identities see the missing total
    assert len(rows) == len(golden["cells"]) and len(misses) == len(extras) <= 1
    assert all(m["amount"] == str(e["amount"]) for m, e in zip(misses, extras, strict=True))
    report = validate(staged.cells, phase="决算", present_tables=[t.table_code for t in tables], tables=tables, gx=False)
    assert {f.rule for f in report.failures} == ({"cross.t05_basic_eq_t06"} if misses else set())


@given(
    st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.sampled_from("0123456789.,合计公用经费支出"), min_size=1),
    st.data(),
)
@settings(max_examples=100, deadline=None)
def test_votes_from_exact_readings_recover_every_glyph_seen_whatever_the_dropped_characters(
    codes: dict[str, str], data: st.DataObject
) -> None:
    alphabet = sorted(codes)
    runs = data.draw(st.lists(st.lists(st.sampled_from(alphabet), min_size=1, max_size=8), min_size=1, max_size=12))
    readings = []
    for run in runs:
        text = "".join(codes[c] for c in run)
        if data.draw(st.booleans()) and len(text) > 1:
            cut = data.draw(st.integers(0, len(text) - 1))
            text = text[:cut] + text[cut + 1 :]  # the recogniser lost a character
        readings.append((tuple(key(c) for c in run), text))
    first = glyph_map(glyph_votes(readings))
    mapping = first | glyph_map(glyph_votes(readings, first))
    exact = {c for (keys, text) in readings if len(text) == len(keys) for _, c in keys}
    assert {k[1] for k in first} == exact  # exact readings alone decide the first map …
    assert all(mapping[k] == codes[k[1]] for k in mapping)  # … and nothing is ever decoded wrong


MIXED = ROOT / "tests" / "data" / "pdfs" / "writer-body-font-without-unicode-map.pdf"


@pytest.mark.slow
def test_a_body_font_without_a_map_beside_readable_headers_is_decoded_exactly() -> None:
    # samples/strip_unicode_maps.py: the Writer rendering with its regular fonts stripped, its bold ones kept; a
    # page reads partly (its headers) and was taken for a readable one before
    read = read_pdf(MIXED, MIXED.name, None, Limits())
    assert sum("decoded through the glyphs" in note for _, note in read.notes) >= 12 and not read.ocr_cells
    tables, _ = identify_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    assert (facts.department, facts.fiscal_year, facts.unit) == ("长沙市政务服务中心", 2020, "万元")
    staged = stage_document(tables, facts.unit)
    golden = load_golden("changsha_zwfwzx_2020_juesuan.json")
    misses, extras = score(golden, staged.cells.to_dict("records"))
    assert not misses and not extras
    report = validate(staged.cells, phase="决算", present_tables=[t.table_code for t in tables], tables=tables, gx=False)
    assert not report.failures


def test_a_header_outside_the_vocabulary_on_a_decoded_page_keeps_the_document_for_a_steward() -> None:
    from expectations.findings import Finding
    from expectations.validate import ValidationReport, recognised_headers_checked

    def unknown_header(page: int) -> Finding:
        return Finding("gx.measure_vocabulary", "warn", "02", "合计", "体属单位上缴收入", "a known measure",
                       "体属单位上缴收入", page=page, verdict="fail")  # fmt: skip

    report = ValidationReport((unknown_header(5), unknown_header(9)))
    assert not report.failures and len(report.warnings) == 2  # a printed (text-layer) header: a warning
    checked = recognised_headers_checked(report, (5, 6))  # page 5 decoded through its glyph map, page 9 not
    assert [f.page for f in checked.failures] == [5] and [f.page for f in checked.warnings] == [9]
    assert recognised_headers_checked(report, ()) is report
