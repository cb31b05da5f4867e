"""Identity tolerance follows the printed rounding: 元 figures converted from 万元 carry 0.01 万元 gaps."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from expectations.identities import evaluate, rounding_steps


def cells(amounts: list[str], unit: str, total: str) -> pd.DataFrame:
    """Table 02: a 合计 row and 类 rows 201, 202, … with the given amounts in one measure."""
    rows = [
        {"table_code": "02", "page": 1, "row_index": 0, "col_index": 2, "functional_code": None, "functional_name": None,
         "economic_code": None, "economic_name": None, "line_item": "合计", "parent_line_item": None, "measure": "本年收入合计",
         "amount": Decimal(total), "unit": unit, "amount_yuan": Decimal(total), "is_total": True, "raw_text": total}
    ]
    for i, amount in enumerate(amounts):
        code = str(201 + i)
        rows.append({**rows[0], "row_index": i + 1, "functional_code": code, "functional_name": f"科目{code}",
                     "line_item": None, "amount": Decimal(amount), "is_total": False, "raw_text": amount})
    return pd.DataFrame(rows)


def outcome(frame: pd.DataFrame) -> str:
    found = [f for f in evaluate(frame) if f.rule == "hierarchy.total_eq_sum_of_classes"]
    assert len(found) == 1
    return found[0].outcome


def test_yuan_amounts_converted_from_wan_yuan_allow_their_rounding() -> None:
    amounts = [str(100 * (i + 1)) + "00.00" for i in range(25)]  # 10000.00, 20000.00, … all multiples of 100
    total = str(sum(Decimal(a) for a in amounts) + 100)  # the published 0.01 万元 residue, now 100 元
    frame = cells(amounts, "元", total)
    assert rounding_steps(frame) == {"元": Decimal(100)}
    assert outcome(frame) == "rounding"
    frame = cells(amounts, "元", str(sum(Decimal(a) for a in amounts) + 10000))
    assert outcome(frame) == "fail"  # a real gap is still a failure


def test_yuan_amounts_printed_to_the_cent_keep_the_cent_tolerance() -> None:
    amounts = [f"{1000 * (i + 1)}.{i:02d}" for i in range(25)]
    frame = cells(amounts, "元", str(sum(Decimal(a) for a in amounts) + 100))
    assert rounding_steps(frame) == {"元": Decimal("0.01")}
    assert outcome(frame) == "fail"


def test_few_amounts_or_wan_yuan_never_widen_the_tolerance() -> None:
    few = cells(["10000.00", "20000.00"], "元", "30100.00")
    assert rounding_steps(few) == {"元": Decimal("0.01")}
    assert outcome(few) == "fail"
    wan = cells([f"{i + 1}00.00" for i in range(25)], "万元", "1.00")
    assert rounding_steps(wan) == {"万元": Decimal("0.01")}
