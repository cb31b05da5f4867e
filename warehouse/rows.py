"""Query results as plain rows, written as CSV exactly as ``pandas.DataFrame.to_csv(index=False)`` wrote them.

The read-only commands print warehouse rows without importing pandas (0.4 s, more than all the rest). The
published CSV must not change by a byte, so :meth:`Rows.to_csv` reproduces what pandas did with the
frame the same rows made (``DataFrame.from_records`` plus the explicit ``astype`` of the frame functions):

- the writer is :func:`csv.writer` with pandas' settings (``,``, ``"`` doubled, minimal quoting,
  ``os.linesep`` between lines);
- a missing value is the empty field: ``None``, a float NaN, a Decimal NaN (pandas' ``isna``);
- an explicit ``float64`` column prints ``repr(float(v))`` (numpy's shortest round-trip text, the same);
  ``Int64`` prints ``int(v)``; ``bool`` prints ``True``/``False`` (``None`` is ``False``, as ``astype(bool)``);
  ``object`` (a column of Python objects the frame function built) prints each value as the csv module does;
- any other column is typed as ``from_records`` infers it: a column of numbers that mixes integers with
  floats or missing values becomes float64 (``4`` prints ``4.0``); otherwise each value is printed as
  the csv module prints it (``str``, ``repr`` for floats), Decimals exactly as ``str(Decimal)``.

``tests/test_rows_csv.py`` checks this against pandas on awkward values. :func:`fetch` runs a query into
such rows and :func:`converted` types their columns, for every row function of the read side.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Engine, Select

#: A column type that the frame functions set explicitly (the others are inferred as ``from_records`` does)
Dtype = Literal["float64", "Int64", "bool", "object"]


def is_missing(value: Any) -> bool:
    """True for what pandas' ``isna`` calls missing among query values: None, a float NaN, a Decimal NaN."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return isinstance(value, Decimal) and value.is_nan()


def fetch(engine: Engine, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Run ``stmt``; its rows as tuples."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def float_or_none(value: Any) -> float | None:
    """A number as a float (the backends hand back Decimal, int or float); None stays None."""
    return None if value is None else float(value)


def converted(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], convert: Mapping[str, Callable[[Any], Any]]
) -> list[tuple[Any, ...]]:
    """``rows`` (in ``columns`` order) with the value of each column named in ``convert`` passed through its function."""
    at = [(columns.index(name), function) for name, function in convert.items()]
    out = []
    for raw in rows:
        row = list(raw)
        for index, function in at:
            row[index] = function(row[index])
        out.append(tuple(row))
    return out


@dataclass(frozen=True)
class Rows:
    """Rows of a query in a fixed column order, with the pandas dtypes their frame had set explicitly."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    dtypes: Mapping[str, Dtype] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """One dict per row, column name → value."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def select(self, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows with only ``columns``, in that order."""
        indexes = [self.columns.index(c) for c in columns]
        return [tuple(row[i] for i in indexes) for row in self.rows]

    def to_csv(self) -> str:
        """The rows as CSV text with a header line, byte for byte what pandas wrote for their frame."""
        buffer = io.StringIO()
        writer = csv.writer(
            buffer, delimiter=",", quotechar='"', doublequote=True, quoting=csv.QUOTE_MINIMAL, lineterminator=os.linesep
        )
        writer.writerow(self.columns)
        formats = [
            _formatter(self.dtypes.get(name), [row[i] for row in self.rows]) for i, name in enumerate(self.columns)
        ]
        writer.writerows([fmt(value) for fmt, value in zip(formats, row, strict=True)] for row in self.rows)
        return buffer.getvalue()

    def text_rows(self) -> list[list[str]]:
        """Each value as the text a table cell showed for the frame (``str`` of its typed value, '' when missing)."""
        formats = [
            _text_formatter(self.dtypes.get(name), [row[i] for row in self.rows]) for i, name in enumerate(self.columns)
        ]
        return [[fmt(value) for fmt, value in zip(formats, row, strict=True)] for row in self.rows]


def _formatter(dtype: Dtype | None, values: list[Any]) -> Any:
    """How pandas printed each value of a column of this dtype (inferred from ``values`` when None)."""
    if dtype == "float64" or (dtype is None and inferred_float(values)):
        return _float_field
    if dtype == "Int64":
        return _int_field
    if dtype == "bool":
        return _bool_field
    return _object_field


def _text_formatter(dtype: Dtype | None, values: list[Any]) -> Any:
    """How a value of a column of this dtype read as text (``str``) from the frame."""
    if dtype == "float64" or (dtype is None and inferred_float(values)):
        return lambda value: "" if is_missing(value) else str(float(value))
    if dtype == "Int64":
        return lambda value: "" if is_missing(value) else str(int(value))
    if dtype == "bool":
        return lambda value: str(bool(value))
    return lambda value: "" if is_missing(value) else str(value)


def inferred_float(values: Sequence[Any]) -> bool:
    """``from_records`` makes a float64 column of numbers (no bools) with a float or a missing value among them."""
    numbers = floats = missing = 0
    for value in values:
        if value is None:
            missing += 1
        elif isinstance(value, float):
            floats += 1
        elif isinstance(value, int) and not isinstance(value, bool):
            numbers += 1
        else:
            return False
    return numbers + floats > 0 and floats + missing > 0


def _float_field(value: Any) -> str:
    return "" if is_missing(value) else repr(float(value))


def _int_field(value: Any) -> str:
    return "" if is_missing(value) else str(int(value))


def _bool_field(value: Any) -> str:
    return str(bool(value))


def _object_field(value: Any) -> Any:
    return "" if is_missing(value) else value
