"""What validation knows about the table types' rows: which tables are coded, and by which classification.

A 决算 carries the standard tables 01–09, validated by their codes (``CODED_TABLES``). A 预算 numbers its
tables as it prints them, so it is validated by each table's ``table_type`` (``extract/table_types.py``):
``table_types`` maps a document's table codes to their types, ``gx_scope`` names the GX suite of a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from expectations.measures import BUDGET_PREFIX
from extract.models import CODED_TABLES, Classification, RawTable
from extract.table_types import FINAL_TABLE_TYPES, TABLE_TYPES, table_kind

__all__ = [
    "BUDGET_SCOPE_PREFIX",
    "BUDGET_TYPES",
    "CODED_TABLES",
    "FUNCTIONAL_TABLES",
    "LINE_ITEM_TYPES",
    "Classification",
    "budget_scope",
    "document_phase",
    "gx_scope",
    "scope_classification",
    "table_types",
]

#: The tables coded by 功能分类 (02, 03, 05, 08, 09), whose 合计 row is the sum of their 类 rows.
FUNCTIONAL_TABLES: tuple[str, ...] = tuple(code for code, kind in CODED_TABLES.items() if kind == "functional")

#: Every ``table_type`` a 预算 table may have, in ``TABLE_TYPES`` order.
BUDGET_TYPES: tuple[str, ...] = tuple(dict.fromkeys(kind.key for _, kind in TABLE_TYPES))
#: Tables of items (not of subjects): a row's labels may repeat (two purchases of one kind, by one method).
LINE_ITEM_TYPES: tuple[str, ...] = ("procurement", "projects")
#: GX scopes of 预算 tables: this prefix, then the ``table_type`` ("budget.income"); 决算 scopes are the codes.
BUDGET_SCOPE_PREFIX = BUDGET_PREFIX
_UNKNOWN = "unknown"


def document_phase(phase: str | None, tables: Iterable[RawTable] = ()) -> str:
    """The phase a document is validated as: the one given, else 预算 when its tables carry a ``table_type``, else 决算."""
    if phase:
        return phase
    return "预算" if any(t.table_type for t in tables) else "决算"


def table_types(tables: Sequence[RawTable], phase: str, codes: Iterable[str] = ()) -> dict[str, str | None]:
    """Each table code's ``table_type``.

    A 决算's tables are the standard ones: the type of each code (``FINAL_TABLE_TYPES``). A 预算's come from its
    identified tables (the first table printed with a code wins); a code no table explains (``codes``: the
    codes with cells) has no type, and no 预算 rule or suite of a type reads it.
    """
    if phase != "预算":
        return {**{str(code): FINAL_TABLE_TYPES.get(str(code)) for code in codes}, **FINAL_TABLE_TYPES}
    types: dict[str, str | None] = {str(code): None for code in codes}
    for table in tables:
        if types.get(table.table_code) is None:
            types[table.table_code] = table.table_type
    return types


def budget_scope(table_type: str | None) -> str:
    """The GX scope of a 预算 table of ``table_type`` ("budget.income"; "budget.unknown" without a type)."""
    return f"{BUDGET_SCOPE_PREFIX}{table_type or _UNKNOWN}"


def gx_scope(table_code: str, table_type: str | None, phase: str) -> str:
    """The GX suite a table is validated by: its code for a 决算, its type's budget scope for a 预算."""
    return budget_scope(table_type) if phase == "预算" else table_code


def scope_classification(scope: str) -> Classification | None:
    """How the rows of a scope's tables are coded: 功能分类, 经济分类, or None (lines, items)."""
    if scope.startswith(BUDGET_SCOPE_PREFIX):
        kind = table_kind(scope[len(BUDGET_SCOPE_PREFIX) :])
        classification = kind.classification if kind is not None else None
        return "economic" if classification == "economic" else "functional" if classification == "functional" else None
    return CODED_TABLES.get(scope)
