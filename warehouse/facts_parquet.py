"""The facts export as Arrow and Parquet: amounts as exact decimals, never floats.

pyarrow (and pandas) are imported inside the functions: the CSV export and the read-only commands
never pay for them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def _arrow_types() -> dict[str, Any]:
    """Arrow types of the export columns; amounts are exact decimals (the warehouse's Numeric scales)."""
    import pyarrow as pa

    return {
        "fiscal_year": pa.int32(),
        "amount": pa.decimal128(20, 4),
        "amount_yuan": pa.decimal128(20, 2),
        "page": pa.int32(),
        "row_index": pa.int32(),
        "col_index": pa.int32(),
        "is_total": pa.bool_(),
        "cell_x0": pa.float64(),
        "cell_top": pa.float64(),
        "cell_x1": pa.float64(),
        "cell_bottom": pa.float64(),
        "row": pa.int32(),
        "col": pa.int32(),
        "ocr_confidence": pa.float64(),
    }


def facts_arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Return the facts export as an Arrow table: amounts ``decimal128`` (never float), other columns typed.

    ``amount`` (the published number, a decimal string in the CSV export) becomes
    ``decimal128(20, 4)`` and ``amount_yuan`` ``decimal128(20, 2)``, the scales of the warehouse
    columns (the cell box columns are float64 points); pyarrow refuses a value it could only store by rounding. Columns this function does not
    know are written as strings.
    """
    import pandas as pd
    import pyarrow as pa

    types = _arrow_types()
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for name in frame.columns:
        kind = types.get(str(name), pa.string())
        values = [None if _missing(v, pd.NA) else v for v in frame[name].tolist()]
        if kind == pa.decimal128(20, 4):
            values = [None if v is None else Decimal(str(v)) for v in values]
        elif kind == pa.bool_():
            values = [None if v is None else bool(v) for v in values]
        elif kind == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(str(name), kind, nullable=True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_facts_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write the facts export to a Parquet file (see ``facts_arrow_table`` for the column types)."""
    import pyarrow.parquet as pq

    pq.write_table(facts_arrow_table(frame), path)


def _missing(value: Any, na: Any) -> bool:
    """True for None, NaN and ``na`` (``pd.NA``: what a frame column holds for "no value")."""
    if value is None or value is na:
        return True
    return isinstance(value, float) and value != value
