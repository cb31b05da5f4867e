"""Cell parsers: exact values for printed forms, and never a crash on arbitrary text (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transform.parsers import (
    AmountParseError,
    CellParseError,
    CodeParseError,
    clean_label,
    code_level,
    is_column_number_row,
    join_code,
    parse_amount,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2,846.52", Decimal("2846.52")),
        ("2846.52", Decimal("2846.52")),
        ("0.00", Decimal("0.00")),
        ("-12.30", Decimal("-12.30")),
        ("（12.30）", Decimal("-12.30")),
        ("1,234,567", Decimal("1234567")),
        (" 1,195.64\n", Decimal("1195.64")),
    ],
)
def test_printed_amounts_parse_exactly_as_decimal(text: str, value: Decimal) -> None:
    parsed = parse_amount(text)
    assert parsed == value and isinstance(parsed, Decimal)


@pytest.mark.parametrize("text", ["", "-", "—", "－", "  "])
def test_blank_and_dash_mean_no_amount(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize("text", ["合计", "1,23.4", "12.3.4", "本表无数据", "…"])
def test_text_in_an_amount_cell_is_a_typed_error(text: str) -> None:
    with pytest.raises(AmountParseError, match="not an amount"):
        parse_amount(text)


@given(st.text())
def test_amount_parser_gives_a_decimal_none_or_a_typed_error(text: str) -> None:
    try:
        value = parse_amount(text)
    except AmountParseError:
        return
    assert value is None or isinstance(value, Decimal)


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_amounts_round_trip_through_their_printed_form(value: Decimal) -> None:
    printed = f"{value:,.2f}"
    assert parse_amount(printed) == value


def test_three_code_columns_join_to_the_full_code() -> None:
    assert join_code(["201", "06", "01"]) == "2010601"
    assert join_code(["201", "", ""]) == "201"
    assert join_code(["2010601"]) == "2010601"
    assert join_code(["", ""]) is None
    with pytest.raises(CodeParseError):
        join_code(["20", "6"])


@given(st.lists(st.text(max_size=8), max_size=4))
def test_code_join_gives_a_code_none_or_a_typed_error(parts: list[str]) -> None:
    try:
        code = join_code(parts)
    except CellParseError:
        return
    assert code is None or (code.isdigit() and len(code) in (3, 5, 7))


def test_code_levels_follow_code_length() -> None:
    assert [code_level(c) for c in ("201", "20103", "2010301")] == ["类", "款", "项"]
    with pytest.raises(CodeParseError):
        code_level("2011")


@pytest.mark.parametrize(
    ("printed", "label"),
    [
        ("一、一般公共预算财政拨款收入", "一般公共预算财政拨款收入"),
        ("二十六、抗疫特别国债安排的支出", "抗疫特别国债安排的支出"),
        ("（一）基本支出", "基本支出"),
        ("机关事业单位基本养老保险\n缴费支出", "机关事业单位基本养老保险缴费支出"),
        ("因 公 出 国 （ 境 ） 费\n用", "因公出国（境）费用"),
    ],
)
def test_labels_lose_ordinals_spaces_and_line_breaks(printed: str, label: str) -> None:
    assert clean_label(printed) == label


def test_column_number_rows_are_recognised_but_amount_rows_are_not() -> None:
    assert is_column_number_row(["栏次", "", "1", "2", "3"])
    assert is_column_number_row([str(i) for i in range(1, 13)])
    assert not is_column_number_row(["9.70", "0.00", "6.50"])
    assert not is_column_number_row(["合计", "", "2,846.52"])
