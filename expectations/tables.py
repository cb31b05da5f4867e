"""What validation knows about the table types' rows: which tables are coded, and by which classification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Classification = Literal["functional", "economic"]

#: The tables whose rows are identified by a subject code, and the classification of that code:
#: 功能分类 (类/款/项: 3/5/7 digits) or 经济分类 (类/款: 3/5 digits, 06). 01, 04 and 07 are not coded.
CODED_TABLES: Mapping[str, Classification] = {
    "02": "functional",
    "03": "functional",
    "05": "functional",
    "06": "economic",
    "08": "functional",
    "09": "functional",
}

#: The tables coded by 功能分类 (02, 03, 05, 08, 09), whose 合计 row is the sum of their 类 rows.
FUNCTIONAL_TABLES: tuple[str, ...] = tuple(code for code, kind in CODED_TABLES.items() if kind == "functional")
