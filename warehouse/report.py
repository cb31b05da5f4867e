"""Reports: the reporting views (migrations 0003, 0004, 0009) read as rows or DataFrames, filtered by department and year.

Each report is one view. Amounts come back as ``Decimal`` on both backends: SQLite hands the
views' NUMERIC values back as int/float/str, PostgreSQL as Decimal; ``report_rows`` (no pandas: the
CLI's) and ``report_frame`` turn every money column into a Decimal with 2 places (元), rates into
Decimals with 4 places, and the published amount into the Decimal it was printed as.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, Select, column, or_, select, table

from warehouse.rows import Rows, fetch, float_or_none, inferred_float

if TYPE_CHECKING:
    import pandas as pd

ColumnKind = Literal["text", "int", "bool", "money", "rate", "published"]

_FEN = Decimal("0.01")
_RATE = Decimal("0.0001")


@dataclass(frozen=True)
class ReportSpec:
    """One report: its view, columns (name → kind), sort order and the columns a terminal table shows."""

    view: str
    columns: Mapping[str, ColumnKind]
    order_by: Sequence[str]
    description: str
    #: columns that hold the department's name(s), matched by --department (substring)
    department_columns: Sequence[str] = ("department",)
    #: the view has department_id: --department also matches any name the department was ever printed under
    has_department_id: bool = True
    #: the view has is_current (document currency): reports show current documents unless asked
    has_is_current: bool = False
    table_columns: Sequence[str] = field(default_factory=tuple)

    @property
    def numeric(self) -> set[str]:
        """Columns shown right-aligned."""
        return {c for c, k in self.columns.items() if k in ("int", "money", "rate", "published")}


#: The kind of every column of the views that is not text, by name: a name means the same in every view.
_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(("amount_key", "fiscal_year", "page", "row_index", "col_index", "finding_no"), "int"),
    **dict.fromkeys(("is_total", "is_current", "accepted"), "bool"),
    "amount": "published",
    **dict.fromkeys(
        ("amount_yuan", "budget_yuan", "final_yuan", "difference_yuan", "previous_amount_yuan", "change_yuan"), "money"
    ),
    **dict.fromkeys(("execution_rate", "change_rate"), "rate"),
}


def _cols(text: str) -> dict[str, ColumnKind]:
    """Build an ordered column map from a comma list; each name's kind from ``_KINDS`` (text when not there)."""
    return {name.strip(): _KINDS.get(name.strip(), "text") for name in text.split(",")}


REPORTS: dict[str, ReportSpec] = {
    "facts": ReportSpec(
        view="v_fiscal_facts",
        columns=_cols(
            "amount_key, document_sha256, source_file, source_url, department_id, department, department_printed,"
            " fiscal_year, phase, scope, table_code, functional_code, functional_name, functional_level,"
            " economic_code, economic_name, economic_level, line_item, parent_line_item, measure, stage,"
            " fund_type, amount, unit, amount_yuan, is_total, page, row_index, col_index, dq_flag, is_current"
        ),
        order_by=("department", "fiscal_year", "document_sha256", "table_code", "page", "row_index", "col_index"),
        description="one row per published amount, with names and lineage",
        department_columns=("department", "department_printed"),
        has_is_current=True,
        # "row" is added by the CLI: functional code, else economic code, else the printed label
        table_columns=("department", "fiscal_year", "table_code", "row", "measure", "amount", "unit", "amount_yuan", "page"),
    ),
    "expenditure-by-function": ReportSpec(
        view="v_expenditure_by_function",
        columns=_cols("department_id, department, fiscal_year, table_code, level, code, name, measure, amount_yuan"),
        order_by=("department", "fiscal_year", "table_code", "measure", "code"),
        description="功能分类 类/款/项 rollups of leaf amounts per department and year",
        table_columns=("department", "fiscal_year", "table_code", "level", "code", "name", "measure", "amount_yuan"),
    ),
    "basic-by-economic": ReportSpec(
        view="v_basic_expenditure_by_economic",
        columns=_cols("department_id, department, fiscal_year, level, code, name, measure, amount_yuan"),
        order_by=("department", "fiscal_year", "measure", "code"),
        description="基本支出 by 经济分类 类/款 per department and year",
        table_columns=("department", "fiscal_year", "level", "code", "name", "measure", "amount_yuan"),
    ),
    "three-public": ReportSpec(
        view="v_three_public",
        columns=_cols("department_id, department, fiscal_year, item, budget_yuan, final_yuan, execution_rate"),
        order_by=("department", "fiscal_year", "item"),
        description="“三公” expenses: 预算数 against 决算数 and the execution rate",
        table_columns=("department", "fiscal_year", "item", "budget_yuan", "final_yuan", "execution_rate"),
    ),
    "yoy": ReportSpec(
        view="v_yoy",
        columns=_cols(
            "department_id, department, fiscal_year, functional_code, functional_name, level, amount_yuan,"
            " previous_amount_yuan, change_yuan, change_rate"
        ),
        order_by=("department", "functional_code", "fiscal_year"),
        description="year over year per department and 功能分类 subject",
        table_columns=(
            "department",
            "fiscal_year",
            "functional_code",
            "functional_name",
            "level",
            "amount_yuan",
            "previous_amount_yuan",
            "change_yuan",
            "change_rate",
        ),
    ),
    "budget-execution": ReportSpec(
        view="v_budget_execution",
        columns=_cols(
            "department_id, department, fiscal_year, level, code, name, measure_family, budget_yuan, budget_source,"
            " final_yuan, difference_yuan, execution_rate"
        ),
        order_by=("department", "fiscal_year", "measure_family", "code"),
        description="功能分类 类/款/项: the 预算 (or a 决算's 预算数 column) against the 决算 and the execution rate",
        table_columns=(
            "department",
            "fiscal_year",
            "level",
            "code",
            "name",
            "measure_family",
            "budget_yuan",
            "budget_source",
            "final_yuan",
            "difference_yuan",
            "execution_rate",
        ),
    ),
    "data-quality": ReportSpec(
        view="v_data_quality",
        columns=_cols(
            "document_sha256, source_file, department, fiscal_year, status, rule, severity, outcome, accepted,"
            " table_code, row_label, measure, expected, found, difference, accept_reason, finding_no, page"
        ),
        order_by=("source_file", "document_sha256", "rule", "table_code", "row_label", "measure"),
        description="validation notes and accepted failures per document",
        has_department_id=False,
        table_columns=(
            "source_file",
            "department",
            "fiscal_year",
            "status",
            "rule",
            "outcome",
            "accepted",
            "table_code",
            "row_label",
            "measure",
            "expected",
            "found",
            "difference",
        ),
    ),
}


class UnknownReportError(ValueError):
    """The report name is not one of ``REPORTS``."""


def report_spec(name: str) -> ReportSpec:
    """Return the report called ``name``; raise UnknownReportError listing the valid names otherwise."""
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(f"no report called {name!r}; reports: {', '.join(REPORTS)}") from None


def report_query(
    name: str,
    department: str | None = None,
    year: int | None = None,
    limit: int | None = None,
    current_only: bool = True,
) -> Select[Any]:
    """Build the SELECT of report ``name`` with the filters as bound parameters."""
    spec = report_spec(name)
    view = table(spec.view, *(column(c) for c in spec.columns))
    stmt: Select[Any] = select(*(view.c[c] for c in spec.columns))
    if department:
        matches = [view.c[c].contains(department, autoescape=True) for c in spec.department_columns]
        if spec.has_department_id:
            # any name the department was ever printed under (SCD-2 versions share department_id)
            departments = table("dim_department", column("department_id"), column("name"))
            printed = select(departments.c.department_id).where(
                departments.c.name.contains(department, autoescape=True)
            )
            matches.append(view.c.department_id.in_(printed))
        stmt = stmt.where(or_(*matches))
    if year is not None:
        stmt = stmt.where(view.c.fiscal_year == year)
    if current_only and spec.has_is_current:
        stmt = stmt.where(view.c.is_current.is_(True))
    stmt = stmt.order_by(*(view.c[c] for c in spec.order_by))
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def report_rows(
    engine: Engine,
    name: str,
    department: str | None = None,
    year: int | None = None,
    limit: int | None = None,
    current_only: bool = True,
) -> Rows:
    """Return report ``name`` as rows (columns in the view's documented order), amounts as Decimal.

    ``department`` matches, as a substring, the department's current name, the name printed in the
    document, or any name it was printed under before; ``year`` is the fiscal year. The facts report
    keeps to current documents unless ``current_only`` is False (the other views do so themselves).
    Every value is converted to its column kind's Python type (None stays None); ``to_csv`` is the CSV
    of :func:`report_frame`, whose columns hold the same objects.
    """
    spec = report_spec(name)
    stmt = report_query(name, department, year, limit, current_only)
    raw = fetch(engine, stmt)
    columns = []
    for index, kind in enumerate(spec.columns.values()):
        values = [row[index] for row in raw]
        if inferred_float(values):
            # as the values went through a DataFrame before: SQLite's NUMERIC ints among floats are floats
            values = [float_or_none(v) for v in values]
        convert = _converter(kind)
        columns.append([None if _missing(v) else convert(v) for v in values])
    rows = list(zip(*columns, strict=True)) if raw else []
    return Rows(tuple(spec.columns), rows, dict.fromkeys(spec.columns, "object"))


def report_frame(
    engine: Engine,
    name: str,
    department: str | None = None,
    year: int | None = None,
    limit: int | None = None,
    current_only: bool = True,
) -> pd.DataFrame:
    """Return report ``name`` as a DataFrame of object columns (see :func:`report_rows`), amounts as Decimal."""
    import pandas as pd

    rows = report_rows(engine, name, department, year, limit, current_only)
    frame = pd.DataFrame.from_records(rows.rows, columns=list(rows.columns))
    for index, name_ in enumerate(rows.columns):
        frame[name_] = pd.Series([row[index] for row in rows.rows], dtype=object)
    return frame


def _converter(kind: ColumnKind) -> Callable[[Any], Any]:
    """The function turning one raw (not missing) value into the kind's Python type."""
    if kind == "text":
        return str
    if kind == "int":
        return int
    if kind == "bool":
        return _bool
    return lambda value: _decimal(value, kind)


def _missing(value: Any) -> bool:
    """True for SQL NULL (and the NaN pandas may hand back)."""
    return value is None or (isinstance(value, float) and value != value)


def _bool(value: Any) -> bool:
    """SQLite gives booleans as 0/1, PostgreSQL as bool."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true")
    return bool(value)


def _decimal(value: Any, kind: ColumnKind) -> Decimal:
    """Turn a NUMERIC value from either backend into a Decimal of the kind's scale."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        # SQLite returns NUMERIC sums as doubles: repr is the shortest text that reads back the same
        number = Decimal(repr(value))
    else:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if kind == "money":
        return number.quantize(_FEN, rounding=ROUND_HALF_UP)
    if kind == "rate":
        return number.quantize(_RATE, rounding=ROUND_HALF_UP)
    # the published amount: two places as printed unless it has more (PostgreSQL keeps scale 4)
    two = number.quantize(_FEN, rounding=ROUND_HALF_UP)
    return two if two == number else number.normalize()


def format_value(value: Any) -> str:
    """Render one report cell for a terminal: Decimals in plain notation (never float, never 1E+2)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
