"""Grids of one page matched to the titles printed on it, whatever their numbers (a real 预算 PDF crashed this)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extract.identify import _assign
from extract.models import TABLE_CODES, CellGrid

HEADERS = {
    "06": ("科目编码", "人员经费", "公用经费"),
    "07": ("因公出国（境）费", "公务接待费", "合计"),
    "": ("项目", "金额", "备注"),
}


def grid(kind: str) -> CellGrid:
    return CellGrid(page=13, cells=(HEADERS[kind], ("1", "2", "3")))


def test_more_grids_than_titles_go_to_the_tables_on_the_page() -> None:
    # the jiangsu high court 2017 预算 prints two titles over four grids on one page
    titles = [("03", "一般公共预算支出表"), ("06", "一般公共预算基本支出表")]
    result = _assign(titles, [grid(""), grid("06"), grid(""), grid("")])
    assert sum(len(g) for g in result.values()) == 4
    assert set(result) == {"03", "06"} and result["06"][0].cells[0] == HEADERS["06"]


@given(
    st.lists(st.sampled_from(TABLE_CODES), min_size=1, max_size=4, unique=True),
    st.lists(st.sampled_from(sorted(HEADERS)), min_size=0, max_size=7),
)
def test_every_grid_is_assigned_once_to_a_printed_title(codes: list[str], kinds: list[str]) -> None:
    grids = [grid(k) for k in kinds]
    result = _assign([(c, f"title {c}") for c in codes], grids)
    assigned = [g for gs in result.values() for g in gs]
    assert len(assigned) == len(grids) and set(result) <= set(codes)
