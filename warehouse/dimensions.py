"""Dimensions: get-or-create of the dim_* members a document's cells name, SCD-2 versions of dim_department.

Members are found by their natural keys and created in bulk by the engine's ``FactWriter``.
Subjects (功能分类 / 经济分类) are versioned by year: a member printed in a year has its validity
widened to include it. A department has one version row per printed name; all versions share a
``department_id`` (a steward's alias joins names), ordered by ``valid_from``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, case, select, update

from extract.table_types import FINAL_TABLE_TYPES
from warehouse.cells import Cell, Keys
from warehouse.models import economic_level, functional_level, measure_fund_type, measure_stage, parent_code
from warehouse.tables import (
    DEPARTMENT,
    DIM_DEPARTMENT,
    DIM_DEPARTMENT_ALIAS,
    DIM_ECONOMIC,
    DIM_FUNCTIONAL,
    ECONOMIC,
    FUNCTIONAL,
    LINE_ITEM,
    MEASURE,
)
from warehouse.writers import FactWriter, Found

_RESOLVE = select(
    select(DIM_DEPARTMENT_ALIAS.c.department_id)
    .where(DIM_DEPARTMENT_ALIAS.c.alias_name == bindparam("name"))
    .scalar_subquery(),
    select(DIM_DEPARTMENT.c.department_id).where(DIM_DEPARTMENT.c.name == bindparam("name")).scalar_subquery(),
)


def resolve_department_id(conn: Connection, name: str) -> str:
    """Return the department identity of a printed name: its alias, else its version row, else the name."""
    alias, known = conn.execute(_RESOLVE, {"name": name}).one()  # one round trip for both lookups
    if alias is not None:
        return str(alias)
    return str(known) if known is not None else name


_DEPARTMENT_ROWS = (
    select(
        DIM_DEPARTMENT.c.department_key,
        DIM_DEPARTMENT.c.name,
        DIM_DEPARTMENT.c.department_id,
        DIM_DEPARTMENT.c.valid_from,
        DIM_DEPARTMENT.c.valid_to,
        DIM_DEPARTMENT.c.is_current,
        DIM_DEPARTMENT.c.region,
        DIM_DEPARTMENT.c.city,
    )
    .where((DIM_DEPARTMENT.c.name == bindparam("name")) | (DIM_DEPARTMENT.c.department_id == bindparam("department_id")))
    .order_by(DIM_DEPARTMENT.c.valid_from, DIM_DEPARTMENT.c.department_key)
)


def department_version(
    conn: Connection,
    writer: FactWriter,
    name: str,
    department_id: str,
    year: int,
    region: str | None,
    city: str | None,
) -> int:
    """Get or create the version row of the printed ``name``; widen its validity; return its key.

    One SELECT reads the name's row and the department's versions together; they are written
    only when something changed.
    """
    d = DIM_DEPARTMENT.c
    rows = conn.execute(_DEPARTMENT_ROWS, {"name": name, "department_id": department_id}).all()
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        members = {(name,): (name, department_id, region, city, year, None, True)}
        [found] = writer.get_or_create(conn, [(DEPARTMENT, members)])
        key = int(found[(name,)][0])
        refresh_department_versions(conn, department_id)
        return key
    key = int(row.department_key)
    changes: dict[str, Any] = {}
    if row.department_id != department_id:
        changes["department_id"] = department_id  # an alias added since the version was created
    if year < row.valid_from:
        changes["valid_from"] = year
    if region is not None and region != row.region:
        changes["region"] = region
    if city is not None and city != row.city:
        changes["city"] = city
    if changes:
        conn.execute(update(DIM_DEPARTMENT).where(d.department_key == key).values(**changes))
        refresh_department_versions(conn, department_id)
    else:  # the rows read are the department's versions as they stand
        _apply_department_versions(conn, [r for r in rows if r.department_id == department_id])
    return key


def refresh_department_versions(conn: Connection, department_id: str) -> None:
    """Recompute valid_to / is_current of a department's versions (ordered by valid_from, then key)."""
    d = DIM_DEPARTMENT.c
    rows = conn.execute(
        select(d.department_key, d.valid_from, d.valid_to, d.is_current)
        .where(d.department_id == department_id)
        .order_by(d.valid_from, d.department_key)
    ).all()
    _apply_department_versions(conn, rows)


def _apply_department_versions(conn: Connection, rows: Sequence[Any]) -> None:
    """Write valid_to / is_current of version rows given in (valid_from, department_key) order, where they differ."""
    d = DIM_DEPARTMENT.c
    for number, row in enumerate(rows):
        last = number == len(rows) - 1
        valid_to = None if last else rows[number + 1].valid_from
        if row.valid_to != valid_to or bool(row.is_current) != last:
            conn.execute(
                update(DIM_DEPARTMENT)
                .where(d.department_key == row.department_key)
                .values(valid_to=valid_to, is_current=last)
            )


def dimension_keys(
    conn: Connection,
    writer: FactWriter,
    cells: Iterable[Cell],
    year: int,
    *,
    phase: str = "决算",
    table_types: Mapping[str, str] | None = None,
) -> Keys:
    """Get or create every dimension member the cells refer to (one statement on PostgreSQL).

    Subjects printed in ``year`` have their validity widened to include it (an UPDATE only when needed).
    A measure is the cell's (table_code, header path) in a ``phase`` ('决算' / '预算') document, its
    table of the kind ``measure_table_type`` says; its stage and fund type are derived from all four
    (``warehouse.models``). The keys returned are by the cells' own natural keys (``Cell.measure`` is
    (table_code, header path): one document has one phase and one kind per table).
    """
    kinds = table_types or {}
    functional: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    economic: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    line_items: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    measures: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for cell in cells:
        subject = cell.functional
        if subject is not None and subject not in functional:
            code = subject[0]
            functional[subject] = (*subject, functional_level(code), parent_code(code), year, year)
        subject = cell.economic
        if subject is not None and subject not in economic:
            code = subject[0]
            economic[subject] = (*subject, economic_level(code), parent_code(code), year, year)
        if cell.line_item is not None and cell.line_item not in line_items:
            line_items[cell.line_item] = cell.line_item
        if cell.measure not in measures:
            table, path = cell.measure
            kind = measure_table_type(table, phase, kinds)
            stage, fund = measure_stage(table, path, phase), measure_fund_type(table, path, phase, kind)
            measures[cell.measure] = (table, path, phase, kind, stage, fund)
    by_natural = {member[:4]: member for member in measures.values()}
    found: list[Found] = writer.get_or_create(
        conn, [(FUNCTIONAL, functional), (ECONOMIC, economic), (LINE_ITEM, line_items), (MEASURE, by_natural)]
    )
    functional_rows, economic_rows, line_item_rows, measure_found = found
    measure_rows = {cell_key: measure_found[member[:4]] for cell_key, member in measures.items()}
    _widen_years(conn, DIM_FUNCTIONAL, "functional_key", functional_rows.values(), year)
    _widen_years(conn, DIM_ECONOMIC, "economic_key", economic_rows.values(), year)
    return Keys(
        functional={k: v[0] for k, v in functional_rows.items()},
        economic={k: v[0] for k, v in economic_rows.items()},
        line_item={k: v[0] for k, v in line_item_rows.items()},
        measure={k: v[0] for k, v in measure_rows.items()},
    )


def measure_table_type(table_code: str, phase: str, table_types: Mapping[str, str]) -> str:
    """The kind of table a measure belongs to ('' when unknown).

    A 决算's standard codes name their kind (``FINAL_TABLE_TYPES``, as migration 0009 filled it for the
    measures loaded before); any other table is of the kind the loader was told (its TableSummary).
    """
    if phase == "决算" and table_code in FINAL_TABLE_TYPES:
        return FINAL_TABLE_TYPES[table_code]
    return table_types.get(table_code) or ""


def _widen_years(conn: Connection, table: Table, key: str, members: Iterable[tuple[Any, ...]], year: int) -> None:
    """Extend valid_from_year / valid_to_year of members (key, valid_from_year, valid_to_year) to include ``year``.

    Validity only ever widens, so a member seen valid for ``year`` stays so; the UPDATE computes
    the new bounds from the row itself (a concurrent writer may have widened it meanwhile).
    """
    stale = sorted(
        member
        for member, low, high in members
        if low is None or high is None or low > year or high < year
    )
    if not stale:
        return
    c = table.c
    first, last = c.valid_from_year, c.valid_to_year
    # one statement; on PostgreSQL the rows are locked first in key order (one lock order for all
    # writers: no deadlock between two loads widening overlapping subjects)
    locked = select(c[key]).where(c[key].in_(stale)).order_by(c[key]).with_for_update().subquery()
    conn.execute(
        update(table)
        .where(c[key] == locked.c[key])
        .values(
            valid_from_year=case((first.is_(None) | (first > year), year), else_=first),
            valid_to_year=case((last.is_(None) | (last < year), year), else_=last),
        )
    )
