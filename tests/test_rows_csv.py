"""The row functions print exactly what the DataFrame functions printed: CSV byte for byte, table cells alike.

The read-only commands print ``warehouse.rows.Rows`` (no pandas); pandas' ``to_csv`` of the frame
functions is the reference, on synthetic columns of every mix of types and on a warehouse of awkward
values (SQLite and PostgreSQL). Also: the Core table handles of ``warehouse.export`` are typed as the models.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, Numeric

from tests.odd_warehouse import build_odd_warehouse
from warehouse.export import (
    CORE_TABLES,
    ETL_STATUSES,
    document_rows,
    export_facts,
    fact_rows,
    list_documents,
    list_tables,
    table_rows,
)
from warehouse.models import ETL_STATUSES as MODEL_STATUSES
from warehouse.models import Base
from warehouse.report import REPORTS, report_frame, report_rows
from warehouse.rows import Dtype, Rows

# every kind of value a query hands back, the awkward ones included
VALUES: list[Any] = [
    None,
    "",
    "plain",
    'a,b "quoted"\nnew line',
    " spaced ",
    "\r\n",
    "长沙市",
    0,
    -7,
    2020,
    2**53 + 1,
    0.0,
    -0.0,
    2.5,
    1e-05,
    1e16,
    0.1 + 0.2,
    float("nan"),
    True,
    False,
    Decimal("28465200.00"),
    Decimal("0.10"),
    Decimal("-3.1000"),
    Decimal("1E+2"),
    Decimal("NaN"),
]


def frame_csv(rows: Rows) -> str:
    """What pandas wrote: ``from_records`` then the explicit dtypes, as the frame functions do."""
    frame = pd.DataFrame.from_records(rows.rows, columns=list(rows.columns))
    for name, dtype in rows.dtypes.items():
        frame[name] = pd.Series([row[rows.columns.index(name)] for row in rows.rows], dtype=object) if dtype == "object" else frame[name].astype(dtype)
    return str(frame.to_csv(index=False))


def frame_cells(frame: pd.DataFrame) -> list[list[str]]:
    """What the table output showed: ``str`` of each itertuples value, '' when missing."""
    return [["" if pd.isna(v) else str(v) for v in row] for row in frame.itertuples(index=False)]


@pytest.mark.parametrize("pair", list(itertools.combinations(range(len(VALUES)), 2)))
def test_inferred_columns_print_as_pandas_printed_them(pair: tuple[int, int]) -> None:
    first, second = (VALUES[i] for i in pair)
    columns = [[first, second], [second, first], [first, first, None], [first], [second, second]]
    rows = Rows(tuple(f"c{i}" for i in range(len(columns))), list(itertools.zip_longest(*columns)))
    assert rows.to_csv() == frame_csv(rows)


@pytest.mark.parametrize(
    ("dtype", "values"),
    [
        ("float64", [None, 1, 2.5, -0.0, 1e16, 1e-05, 0.1 + 0.2, float("nan"), 237.01]),
        ("Int64", [None, 0, 2020, -1]),
        ("bool", [None, True, False, 0, 1]),
        ("object", VALUES),
    ],
)
def test_explicit_dtypes_print_as_pandas_printed_them(dtype: Dtype, values: list[Any]) -> None:
    rows = Rows(("x", "text"), [(v, "t") for v in values], {"x": dtype})
    assert rows.to_csv() == frame_csv(rows)
    frame = pd.DataFrame.from_records(rows.rows, columns=["x", "text"])
    frame["x"] = pd.Series(values, dtype=object) if dtype == "object" else frame["x"].astype(dtype)
    assert rows.text_rows() == frame_cells(frame)


def test_no_rows_is_the_header_alone() -> None:
    rows = Rows(("a", "b"), [], {"a": "Int64"})
    assert rows.to_csv() == frame_csv(rows) == "a,b\n"


@pytest.fixture
def odd(warehouse_engine: Engine) -> tuple[Engine, list[str]]:
    """The awkward warehouse (tests/odd_warehouse.py) on SQLite and PostgreSQL."""
    return warehouse_engine, build_odd_warehouse(warehouse_engine)


def test_facts_csv_is_the_frame_csv(odd: tuple[Engine, list[str]]) -> None:
    engine, shas = odd
    for document in (None, shas[0], shas[1][:8]):
        rows = fact_rows(engine, document)
        frame = export_facts(engine, document)
        assert rows.to_csv() == frame.to_csv(index=False)
        assert len(rows) == len(frame)
    text = fact_rows(engine).to_csv()
    assert '"a,b ""quoted""\nnew line"' in text and "28465000.00" in text and ",True," in text


def test_documents_and_tables_csv_and_cells_are_the_frames(odd: tuple[Engine, list[str]]) -> None:
    engine, shas = odd
    for status in (None, *ETL_STATUSES):
        frame = list_documents(engine, status=status)
        rows = document_rows(engine, status=status)
        assert rows.to_csv() == frame.to_csv(index=False)
        assert rows.text_rows() == frame_cells(frame)
    for document in (None, *shas):
        frame = list_tables(engine, document)
        rows = table_rows(engine, document)
        assert rows.to_csv() == frame.to_csv(index=False)
        assert rows.text_rows() == frame_cells(frame)
    with pytest.raises(ValueError, match="status must be one of"):
        document_rows(engine, status="done")


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_csv_is_the_frame_csv(odd: tuple[Engine, list[str]], name: str) -> None:
    engine, _ = odd
    for options in ({}, {"current_only": False}, {"department": "局", "limit": 2}, {"year": 2021}):
        rows = report_rows(engine, name, **options)  # type: ignore[arg-type]
        frame = report_frame(engine, name, **options)  # type: ignore[arg-type]
        assert rows.to_csv() == frame.to_csv(index=False)
        assert [list(r) for r in rows.rows] == [list(r) for r in frame.itertuples(index=False)]


def test_core_tables_are_typed_as_the_models() -> None:
    for core in CORE_TABLES:
        model = Base.metadata.tables[core.name]
        for column in core.c:
            expected = model.c[column.name].type
            assert type(column.type) is type(expected), f"{core.name}.{column.name}"
            if isinstance(expected, Numeric):
                assert (column.type.precision, column.type.scale) == (expected.precision, expected.scale)  # type: ignore[attr-defined]
    assert ETL_STATUSES == MODEL_STATUSES
