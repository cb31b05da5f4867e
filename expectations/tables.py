"""What validation knows about the table types' rows: which tables are coded, and by which classification."""

from __future__ import annotations

from extract.models import CODED_TABLES, Classification

__all__ = ["CODED_TABLES", "FUNCTIONAL_TABLES", "Classification"]

#: The tables coded by 功能分类 (02, 03, 05, 08, 09), whose 合计 row is the sum of their 类 rows.
FUNCTIONAL_TABLES: tuple[str, ...] = tuple(code for code, kind in CODED_TABLES.items() if kind == "functional")
