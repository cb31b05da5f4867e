"""Cell text from characters: assignment by centre, merged cells, page context, overflowed header lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extract.cells import GridGeometry, PageChar, cell_texts, join_lines
from extract.models import EDGES_ALL

FULL = EDGES_ALL


def chars(text: str, x: float, top: float, size: float = 10.0, pitch: float | None = None) -> list[PageChar]:
    """A run of characters drawn left to right from (x, top), one glyph every ``pitch`` points."""
    step = pitch if pitch is not None else size
    return [PageChar(ch, x + i * step, top, x + i * step + size * 0.9, top + size) for i, ch in enumerate(text)]


def grid(xs: list[float], ys: list[float], edges: list[list[int]] | None = None) -> GridGeometry:
    rows, cols = len(ys) - 1, len(xs) - 1
    return GridGeometry(tuple(xs), tuple(ys), tuple(tuple(r) for r in (edges or [[FULL] * cols] * rows)))


def test_a_run_spanning_several_cells_is_split_at_the_rulings() -> None:
    # one text object for a whole row: "本年收入合计  财政拨款收入  上级补助收入" with the columns' x positions
    g = grid([0, 80, 160, 240], [0, 20])
    run = chars("本年收入合计", 2, 5) + chars("财政拨款收入", 82, 5) + chars("上级补助收入", 162, 5)
    texts = cell_texts(g, run)
    assert texts.cells == (("本年收入合计", "财政拨款收入", "上级补助收入"),)
    assert texts.outside_pct == 0.0


def test_amount_and_label_in_one_run_land_in_their_own_cells() -> None:
    g = grid([0, 60, 200], [0, 20])
    texts = cell_texts(g, chars("9746.50", 2, 5, size=6) + chars("一、一般公共服务支出", 62, 5))
    assert texts.cells == (("9746.50", "一、一般公共服务支出"),)


def test_text_above_the_top_rule_is_page_context_not_cell_text() -> None:
    g = grid([0, 100, 200], [50, 70, 90])
    page = chars("部门：长沙市政务服务中心", 0, 38) + chars("金额单位：万元", 120, 38)
    page += chars("人员经费", 2, 55) + chars("决算数", 102, 55) + chars("1.00", 102, 75, size=6)
    texts = cell_texts(g, page)
    assert texts.cells == (("人员经费", "决算数"), ("", "1.00"))
    assert texts.inside == 4 + 3 + 4


def test_lines_in_a_cell_are_joined_in_reading_order() -> None:
    g = grid([0, 60], [0, 40])
    # drawn bottom line first, then the top line: reading order is still top to bottom
    texts = cell_texts(g, chars("合计", 2, 22) + chars("本年支出", 2, 8))
    assert texts.cells == (("本年支出\n合计",),)


def test_merged_header_cell_collects_text_centred_across_its_rows_and_columns() -> None:
    # "项目" spans rows 0-2 of column 0 (no inner horizontal rulings) and sits in the middle row;
    # "收入" spans columns 1-2 of row 0 (no inner vertical ruling) and straddles the missing ruling
    t, l_, r_, b = 4, 1, 2, 8  # EDGE_TOP, EDGE_LEFT, EDGE_RIGHT, EDGE_BOTTOM
    edges = [
        [t | l_ | r_, t | l_ | b, t | r_ | b],
        [l_ | r_, FULL, FULL],
        [l_ | r_ | b, FULL, FULL],
    ]
    g = grid([0, 50, 100, 150], [0, 20, 40, 60], edges)
    page = chars("项目", 10, 25) + chars("收入", 90, 5) + chars("金额", 55, 25) + chars("1.00", 105, 45, size=6)
    texts = cell_texts(g, page)
    assert texts.cells[0] == ("项目", "收入", "")
    assert texts.cells[1] == ("", "金额", "")
    assert texts.cells[2] == ("", "", "1.00")
    assert texts.boxes[1][0] == (0, 0, 50, 60)  # every elementary cell of a span carries the span's box
    assert texts.boxes[0][2] == (50, 0, 150, 20)


def test_two_amounts_are_never_fused_where_a_ruling_was_not_detected() -> None:
    g = grid([0, 50, 100], [0, 20], [[FULL - 2, FULL - 1]])  # no ruling between the two columns
    texts = cell_texts(g, chars("1.00", 5, 5, size=6) + chars("2.00", 55, 5, size=6))
    assert texts.cells == (("1.00", "2.00"),)


def test_header_line_overflowing_its_bottom_rule_joins_the_cell_above() -> None:
    # "功能分类科目编" fills the cell down to its bottom rule at y=30; "码" is drawn just below it
    g = grid([0, 75, 150], [0, 30, 50, 70])
    page = chars("功能分类科目编", 2, 18) + chars("码", 2, 31) + chars("项目名称", 77, 10)
    page += chars("栏次", 30, 33) + chars("1", 77, 40)  # the tail shares its line with the lower cell's text
    page += chars("201", 2, 55, size=6) + chars("2.00", 77, 55, size=6)
    texts = cell_texts(g, page)
    assert texts.cells[0][0] == "功能分类科目编\n码"
    assert texts.cells[1][0] == "栏次"


def test_short_text_under_a_line_that_does_not_fill_its_cell_stays_in_its_own_cell() -> None:
    # the text above did not wrap (room for more characters): what follows below the rule is its own
    g = grid([0, 75, 150], [0, 30, 50, 70])
    page = chars("项目", 2, 18) + chars("名称", 2, 31) + chars("201", 2, 55, size=6) + chars("2.00", 77, 55, size=6)
    texts = cell_texts(g, page)
    assert texts.cells[0][0] == "项目"
    assert texts.cells[1][0] == "名称"


def test_a_normal_second_header_row_is_not_taken_for_overflow() -> None:
    # padded cells: the text below is a header of its own ("类"), the one above ends well above the rule
    g = grid([0, 75], [0, 30, 50, 70])
    page = chars("功能分类科目编码", 2, 10, size=8) + chars("类", 2, 35) + chars("201", 2, 55, size=6)
    texts = cell_texts(g, page)
    assert texts.cells == (("功能分类科目编码",), ("类",), ("201",))


def test_characters_on_a_ruling_count_as_outside_every_cell() -> None:
    g = grid([0, 50, 100], [0, 20])
    # a glyph centred on the inner ruling at x=50: ambiguous
    page = chars("支出", 5, 5) + [PageChar("费", 45, 5, 55, 15)]
    texts = cell_texts(g, page)
    assert texts.inside == 3
    assert texts.outside_cells == 1
    assert round(texts.outside_pct, 2) == 33.33


@given(st.lists(st.text(alphabet="收入支出合计预算0123456789.", min_size=1, max_size=8), min_size=1, max_size=4))
def test_join_lines_keeps_every_character_in_reading_order(lines: list[str]) -> None:
    placed: list[PageChar] = []
    for i, line in reversed(list(enumerate(lines))):  # drawn bottom-up
        placed += chars(line, 0, i * 14.0)
    assert join_lines(placed) == "\n".join(lines)


def test_text_drawn_twice_for_bold_is_read_once() -> None:
    from extract.cells import _is_overprint

    seen: dict[tuple[str, int, int], list[PageChar]] = {}
    first = chars("合计", 10, 10)
    shifted = chars("合计", 10.3, 10.2)
    kept = [c for c in first + shifted if not _is_overprint(c, seen)]
    assert "".join(c.text for c in kept) == "合计"
    # the same character one cell further is a second character, not an overprint
    assert not _is_overprint(PageChar("合", 60, 10, 69, 20), seen)


def test_a_word_cut_by_a_ruling_lowers_accuracy() -> None:
    g = grid([0, 50, 100], [0, 20])
    # "公用经费" runs on without a gap across the ruling at x=50: its characters land in two cells
    texts = cell_texts(g, chars("公用经费", 30, 5))
    assert texts.cells == (("公用", "经费"),)
    assert texts.split == 1 and texts.split_pct == 25.0
    # two words separated by a gap at the ruling are two cells' texts, not a cut word
    texts = cell_texts(g, chars("合计", 20, 5) + chars("支出", 60, 5))
    assert texts.split == 0
