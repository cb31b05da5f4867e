"""Cell preparation (pure): a document's ``stg_cells`` frame → checked cells → ``fct_amount`` rows.

Nothing here touches the database: the cells are checked against the stg_cells contract and what
the columns can store exactly, the dimension members they name are collected by the caller
(``warehouse.dimensions``), and ``fact_rows`` turns cells plus the members' surrogate keys into
the rows a ``warehouse.writers.FactWriter`` writes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import pandas as pd

from extract.models import OcrCell, SheetOrigin
from transform.stg_cells import STG_CELLS_COLUMNS, check_stg_cells
from warehouse.classification import economic_level, functional_level
from warehouse.errors import LoadError

#: The values a fact's ``dq_flag`` may take besides NULL.
DQ_FLAGS: tuple[str, ...] = ("accepted",)

#: The columns of ``fct_amount`` in the order of a fact row (``fact_rows`` leaves amount_key out).
FACT_COLUMNS: tuple[str, ...] = (
    "amount_key",
    "document_key",
    "department_key",
    "fiscal_year",
    "table_code",
    "functional_key",
    "economic_key",
    "line_item_key",
    "measure_key",
    "amount",
    "amount_text",
    "unit",
    "amount_yuan",
    "is_total",
    "page",
    "row_index",
    "col_index",
    "dq_flag",
    "cell_x0",
    "cell_top",
    "cell_x1",
    "cell_bottom",
    "extraction_method",
    "sheet",
    "sheet_row",
    "sheet_col",
    "amount_stored",
    "ocr_confidence",
)

#: Optional stg_cells columns a loader may add (``with_sheet_lineage``), in FACT_COLUMNS order: how the amount
#: was read and, for a spreadsheet, where it stands in its sheet.
LINEAGE_COLUMNS: tuple[str, ...] = ("extraction_method", "sheet", "sheet_row", "sheet_col", "amount_stored", "ocr_confidence")
#: Ways an amount is read (``fct_amount.extraction_method``).
EXTRACTION_METHODS: tuple[str, ...] = ("text", "sheet", "ocr")

#: A fact row: plain values in ``FACT_COLUMNS`` order (without amount_key unless it leads).
FactRow = tuple[Any, ...]
#: A cell's place in its document: (table_code, page, row_index, col_index).
Position = tuple[str, int, int, int]

_FEN = Decimal("0.01")
_MAX_AMOUNT_DIGITS = 16  # Numeric(20, 4): 16 digits before the point
_MAX_YUAN_DIGITS = 18  # Numeric(20, 2)


class Cell(NamedTuple):
    """One stg_cells row, checked and converted to plain Python values (a NamedTuple: cheap to build)."""

    table_code: str
    page: int
    row_index: int
    col_index: int
    functional: tuple[str, str] | None
    economic: tuple[str, str] | None
    line_item: tuple[str, str, str] | None
    measure: tuple[str, str]
    amount: Decimal
    amount_text: str
    unit: str
    amount_yuan: Decimal
    is_total: bool
    dq_flag: str | None
    #: the cell's box (x0, top, x1, bottom) in points on the displayed page, or None when unknown
    box: tuple[float, float, float, float] | None
    #: (extraction_method, sheet, sheet_row, sheet_col, amount_stored, ocr_confidence): how it was read, where in a sheet
    lineage: tuple[str, str | None, int | None, int | None, str | None, float | None] = ("text", None, None, None, None, None)

    @property
    def position(self) -> Position:
        """The cell's place in the document: (table_code, page, row_index, col_index)."""
        return (self.table_code, self.page, self.row_index, self.col_index)


@dataclass(frozen=True)
class Keys:
    """Surrogate keys of the dimension members the cells refer to, by the cells' own natural-key tuples."""

    functional: dict[tuple[str, str], int]
    economic: dict[tuple[str, str], int]
    line_item: dict[tuple[str, str, str], int]
    measure: dict[tuple[str, str], int]


def prepare_cells(sha256: str, frame: pd.DataFrame) -> list[Cell]:
    """Check the stg_cells contract and convert every row to a Cell; raise LoadError on a bad cell."""
    checked = check_stg_cells(frame)
    columns = [checked[c].tolist() for c in STG_CELLS_COLUMNS]  # column-wise: far faster than itertuples
    columns.append(frame["dq_flag"].tolist() if "dq_flag" in frame.columns else [None] * len(checked))
    for name in LINEAGE_COLUMNS:
        default = "text" if name == "extraction_method" else None
        columns.append(frame[name].tolist() if name in frame.columns else [default] * len(checked))
    cells: list[Cell] = []
    seen: dict[Position, int] = {}
    for number, record in enumerate(zip(*columns, strict=True)):
        cell = _to_cell(sha256, number, record)
        previous = seen.setdefault(cell.position, number)
        if previous != number:
            raise LoadError(
                f"document {sha256[:12]} table {cell.table_code} page {cell.page}: two stg_cells rows "
                f"({previous} and {number}) for row {cell.row_index} column {cell.col_index}"
            )
        cells.append(cell)
    return cells


def fact_rows(
    cells: Sequence[Cell],
    keys: Keys,
    *,
    document_key: int,
    department_key: int,
    year: int,
    dq_flag: str | None = None,
) -> list[FactRow]:
    """Build the fct_amount rows as plain tuples in ``FACT_COLUMNS`` order, amount_key left out."""
    functional, economic, line_item, measure = keys.functional, keys.economic, keys.line_item, keys.measure
    return [
        (
            document_key,
            department_key,
            year,
            cell.table_code,
            None if cell.functional is None else functional[cell.functional],
            None if cell.economic is None else economic[cell.economic],
            None if cell.line_item is None else line_item[cell.line_item],
            measure[cell.measure],
            cell.amount,
            cell.amount_text,
            cell.unit,
            cell.amount_yuan,
            cell.is_total,
            cell.page,
            cell.row_index,
            cell.col_index,
            cell.dq_flag if cell.dq_flag is not None else dq_flag,
            *(cell.box or _NO_BOX),
            *cell.lineage,
        )
        for cell in cells
    ]


_NO_BOX: tuple[None, None, None, None] = (None, None, None, None)

#: Where a fact row (``fact_rows``: FACT_COLUMNS without amount_key) holds the cell's position.
_POSITION = (FACT_COLUMNS.index("table_code") - 1, FACT_COLUMNS.index("page") - 1)


def split_kept(
    rows: Sequence[FactRow], old_keys: Mapping[Position, int]
) -> tuple[list[FactRow], list[FactRow]]:
    """Split fact rows into (kept: led by the amount_key their cell had before, new: without one)."""
    kept: list[FactRow] = []
    new: list[FactRow] = []
    table_at, page_at = _POSITION
    for row in rows:
        old = old_keys.get((row[table_at], *row[page_at : page_at + 3]))
        if old is None:
            new.append(row)
        else:
            kept.append((old, *row))
    return kept, new


def _text(value: Any) -> str | None:
    """Return ``value`` as text, or None when missing (None, NaN, pd.NA, '')."""
    if type(value) is str:
        return value or None
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value)
    return text or None


def _integer(value: Any) -> int:
    """Return ``value`` as an int; raise ValueError unless it is an integral number."""
    if type(value) is int:
        return value
    number = int(value)
    if number != value:
        raise ValueError(value)
    return number


def _amount_problem(value: Decimal, *, max_digits: int, max_scale: int) -> str | None:
    """Say why ``value`` does not fit Numeric(max_digits + max_scale, max_scale) exactly, or None."""
    if not value.is_finite():
        return f"is not a finite number ({value})"
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -max_scale
        and value != value.quantize(Decimal(1).scaleb(-max_scale))
    ):
        return f"{value} has more than {max_scale} decimals"
    if value and value.adjusted() >= max_digits:
        return f"{value} has more than {max_digits} digits before the point"
    return None


def _to_cell(sha256: str, number: int, record: tuple[Any, ...]) -> Cell:
    """Convert one stg_cells record (STG_CELLS_COLUMNS order, then dq_flag) to a Cell.

    Written for speed (it runs once per fact): plain values take fast paths, anything unusual
    goes through the general checks, which name the cell in the error.
    """
    (table_code, page, row_index, col_index, f_code, f_name, e_code, e_name, line_item, parent, measure) = (
        record[:11]
    )
    amount, unit, amount_yuan, is_total, _raw_text, x0, top, x1, bottom, flag = record[11:21]
    lineage = _lineage(sha256, number, record[21:27]) if len(record) > 21 else Cell._field_defaults["lineage"]
    table = table_code if type(table_code) is str else str(table_code)
    if type(page) is not int or type(row_index) is not int or type(col_index) is not int:
        position = []
        for what, value in (("page", page), ("row_index", row_index), ("col_index", col_index)):
            try:
                position.append(_integer(value))
            except (TypeError, ValueError, OverflowError):
                raise _cell_error(
                    sha256, number, table, page, row_index, col_index, f"{what} must be an integer, got {value!r}"
                ) from None
        page, row_index, col_index = position
    f_code, e_code = _text(f_code), _text(e_code)
    try:  # a code of no level: the classification's own message names it
        if f_code is not None:
            functional_level(f_code)
        if e_code is not None:
            economic_level(e_code)
    except ValueError as exc:
        raise _cell_error(sha256, number, table, page, row_index, col_index, str(exc)) from None
    functional = None if f_code is None else (f_code, _text(f_name) or "")
    economic = None if e_code is None else (e_code, _text(e_name) or "")
    amount_text = format(amount, "f")
    if not _plain_decimal(amount_text, max_digits=_MAX_AMOUNT_DIGITS, max_scale=4):
        problem = _amount_problem(amount, max_digits=_MAX_AMOUNT_DIGITS, max_scale=4)
        if problem:
            raise _cell_error(sha256, number, table, page, row_index, col_index, f"amount {problem}")
    if amount_yuan.is_finite() and amount_yuan.adjusted() < _MAX_YUAN_DIGITS:
        amount_yuan = amount_yuan.quantize(_FEN, rounding=ROUND_HALF_UP)
    if not (amount_yuan.is_finite() and amount_yuan.adjusted() < _MAX_YUAN_DIGITS):  # 0 → adjusted() <= 0
        problem = _amount_problem(amount_yuan, max_digits=_MAX_YUAN_DIGITS, max_scale=2)
        if problem:
            raise _cell_error(sha256, number, table, page, row_index, col_index, f"amount_yuan {problem}")
    label = _text(line_item)
    if is_total is not True and is_total is not False:
        is_total = is_total is not None and not pd.isna(is_total) and bool(is_total)
    return Cell(
        table,
        page,
        row_index,
        col_index,
        functional,
        economic,
        (table, label, _text(parent) or "") if label is not None else None,
        (table, measure if type(measure) is str else str(measure)),
        amount,
        amount_text,
        unit if type(unit) is str else str(unit),
        amount_yuan,
        is_total,
        _text(flag),
        None if x0 is None else (x0, top, x1, bottom),  # check_stg_cells: floats, all four or none
        lineage,
    )


def _lineage(
    sha256: str, number: int, values: tuple[Any, ...]
) -> tuple[str, str | None, int | None, int | None, str | None, float | None]:
    """The lineage columns of one cell, checked: a known method; a sheet's row and column whole; a confidence in 0–1."""
    method, sheet, row, col, stored, confidence = values
    method = _text(method) or "text"
    if method not in EXTRACTION_METHODS:
        raise LoadError(f"document {sha256[:12]} stg_cells row {number}: extraction_method {method!r} is not one of {EXTRACTION_METHODS}")
    return (
        method,
        _text(sheet),
        None if _text(row) is None else _integer(row),
        None if _text(col) is None else _integer(col),
        _text(stored),
        _confidence(sha256, number, confidence),
    )


def _confidence(sha256: str, number: int, value: Any) -> float | None:
    """An OCR confidence as a float in 0–1 rounded to 0.0001, None when there is none."""
    if _text(value) is None:
        return None
    confidence = float(value)
    if not 0.0 <= confidence <= 1.0:
        raise LoadError(f"document {sha256[:12]} stg_cells row {number}: ocr_confidence {value!r} is not in 0–1")
    return round(confidence, 4)


def with_sheet_lineage(frame: pd.DataFrame, origins: Sequence[SheetOrigin]) -> pd.DataFrame:
    """A spreadsheet's stg_cells with their sheet, row, column and stored number, and no box (pure).

    Each cell's box on the page its sheet was laid out as (``extract.sheet_grid``) names its sheet row and
    column again (``SheetOrigin.locate``); the box itself is of no use to a reader of the spreadsheet.
    """
    by_page = {origin.page: origin for origin in origins}
    sheets: list[str | None] = []
    rows: list[int | None] = []
    cols: list[int | None] = []
    stored: list[str | None] = []
    for page, x0, top in zip(frame["page"].tolist(), frame["cell_x0"].tolist(), frame["cell_top"].tolist(), strict=True):
        origin = by_page.get(int(page))
        where = origin.locate(float(x0), float(top)) if origin is not None and x0 is not None and not pd.isna(x0) else None
        sheets.append(origin.sheet if origin is not None else None)
        rows.append(where[0] if where else None)
        cols.append(where[1] if where else None)
        stored.append(origin.stored.get(where) if origin is not None and where else None)
    out = frame.copy()
    for name in ("cell_x0", "cell_top", "cell_x1", "cell_bottom"):
        out[name] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["extraction_method"] = "sheet"
    out["sheet"] = pd.Series(sheets, index=out.index, dtype=object)
    out["sheet_row"] = pd.Series(rows, index=out.index, dtype=object)
    out["sheet_col"] = pd.Series(cols, index=out.index, dtype=object)
    out["amount_stored"] = pd.Series(stored, index=out.index, dtype=object)
    return out


def _plain_decimal(text: str, *, max_digits: int, max_scale: int) -> bool:
    """True when the 'f'-formatted decimal ``text`` has at most max_digits before and max_scale after the point.

    A fast sufficient test: False only sends the value to ``_amount_problem`` for the exact verdict.
    """
    point = text.find(".")
    sign = 1 if text[:1] == "-" else 0
    if point < 0:
        return text[sign:].isdigit() and len(text) - sign <= max_digits
    return point - sign <= max_digits and len(text) - point - 1 <= max_scale and text[sign:point].isdigit()


def _cell_error(
    sha256: str, number: int, table: str, page: Any, row_index: Any, col_index: Any, problem: str
) -> LoadError:
    """Build a LoadError naming the cell as precisely as it is known."""
    where = f"document {sha256[:12]} table {table}"
    where += f" page {page} row {row_index} column {col_index} (stg_cells row {number})"
    return LoadError(f"{where}: {problem}")


def with_ocr_lineage(frame: pd.DataFrame, readings: Mapping[Any, OcrCell]) -> pd.DataFrame:
    """Cells read by OCR marked so (``extraction_method`` 'ocr') with their lowest character confidence (pure).

    ``readings`` maps stg_cells rows to what OCR read there (``expectations.ocr_corrections.readings_by_row``).
    """
    out = frame.copy()
    methods = out["extraction_method"].tolist() if "extraction_method" in out.columns else ["text"] * len(out)
    confidences: list[float | None] = [None] * len(out)
    for position, index in enumerate(out.index):
        reading = readings.get(index)
        if reading is not None:
            methods[position] = "ocr"
            confidences[position] = round(reading.lowest, 4)
    out["extraction_method"] = pd.Series(methods, index=out.index, dtype=object)
    out["ocr_confidence"] = pd.Series(confidences, index=out.index, dtype=object)
    return out
