"""The reviewed GX suite definitions: one suite per table type over the helper columns of stg_cells."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from expectations.measures import Vocabulary
from expectations.tables import (
    BUDGET_SCOPE_PREFIX,
    BUDGET_TYPES,
    LINE_ITEM_TYPES,
    budget_scope,
    scope_classification,
)
from extract.models import TABLE_TITLES
from extract.table_types import table_kind
from transform.stg_cells import UNIT_FACTORS

#: GX rule names, as configured in expectations/rules.yaml
CODE_PATTERN = "gx.code_pattern"
NAME_PRESENT = "gx.name_present"
AMOUNT_DECIMAL = "gx.amount_decimal"
MEASURE_VOCABULARY = "gx.measure_vocabulary"
UNIT_KNOWN = "gx.unit_known"
UNIQUE_CELL = "gx.unique_cell"
GX_RULES: tuple[str, ...] = (CODE_PATTERN, NAME_PRESENT, AMOUNT_DECIMAL, MEASURE_VOCABULARY, UNIT_KNOWN, UNIQUE_CELL)

#: 功能分类: 类 3 digits, 款 5, 项 7; 经济分类: 类 3, 款 5.
FUNCTIONAL_CODE = r"^\d{3}(\d{2}){0,2}$"
ECONOMIC_CODE = r"^\d{3}(\d{2})?$"
#: an exact decimal as printed in fixed notation (what format(Decimal, "f") gives for a finite amount)
DECIMAL_TEXT = r"^-?\d+(\.\d+)?$"

MISSING = "<missing>"
SUITE_PREFIX = "stg_cells"

#: the scope of the merged document suite of a 决算 (the union of the standard tables' suites)
DOCUMENT = "document"
#: the scope of the merged document suite of a 预算 (the union of the suites of the 预算 table types)
BUDGET_DOCUMENT = f"{BUDGET_SCOPE_PREFIX}document"
#: the scopes of the 预算 table types' suites ("budget.income" …)
BUDGET_SCOPES: tuple[str, ...] = tuple(budget_scope(key) for key in BUDGET_TYPES)


def suite_name(scope: str) -> str:
    """The name of a table type's suite (``"03"``, ``"budget.income"``) or of a merged document suite."""
    if scope == DOCUMENT:
        return f"{SUITE_PREFIX}.document.all_table_suites"
    if scope == BUDGET_DOCUMENT:
        return f"{SUITE_PREFIX}.{BUDGET_DOCUMENT}.all_table_suites"
    if scope.startswith(BUDGET_SCOPE_PREFIX):
        kind = table_kind(scope[len(BUDGET_SCOPE_PREFIX) :])
        return f"{SUITE_PREFIX}.{scope}.{kind.label if kind else 'table'}"
    return f"{SUITE_PREFIX}.{scope}.{TABLE_TITLES.get(scope, 'table')}"


# --- helper columns (pure pandas; the lineage stays beside them, GX sees only what it checks) -------------


def text_or_none(value: object) -> str | None:
    """A cell value as stripped text, or None when blank."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _amount_text(value: object) -> str:
    """Fixed-notation text of a finite Decimal amount; anything else is shown with its type so it fails."""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else f"Decimal:{value}"
    if value is None or (isinstance(value, float) and value != value):
        return MISSING
    return f"{type(value).__name__}:{value}"


def helper_frame(cells: pd.DataFrame, vocabulary: Vocabulary, scopes: list[str] | None = None) -> pd.DataFrame:
    """The columns the table suites check, one row per stg_cells row (same order, index 0 … n-1).

    ``scopes`` names each row's suite (a 预算's "budget.<table_type>"); by default its table code (a 决算).
    """
    tables = [str(t) for t in cells["table_code"]]
    scopes = tables if scopes is None else scopes
    functional = [text_or_none(c) for c in cells["functional_code"]]
    economic = [text_or_none(c) for c in cells["economic_code"]]
    functional_names = [text_or_none(n) for n in cells["functional_name"]]
    economic_names = [text_or_none(n) for n in cells["economic_name"]]
    labels = [text_or_none(label) for label in cells["line_item"]]
    parents = [text_or_none(p) for p in cells["parent_line_item"]]
    measures = [str(m) for m in cells["measure"]]
    # the code a table's rows are keyed by: 经济分类 in 06 (and a 预算's economic tables), 功能分类 elsewhere
    economic_scopes = {s for s in set(scopes) if scope_classification(s) == "economic"}
    codes = [e if s in economic_scopes else f for s, f, e in zip(scopes, functional, economic, strict=True)]
    names = [
        (fn or "") if f else (en or "") if e else None  # "" fails the length check, None is skipped
        for f, fn, e, en in zip(functional, functional_names, economic, economic_names, strict=True)
    ]
    subjects = [code or f or e or label or "" for code, f, e, label in zip(codes, functional, economic, labels, strict=True)]
    keys: dict[tuple[bool, str], str] = {}  # header keys repeat across a table's rows: normalise each header once
    budget = [s.startswith(BUDGET_SCOPE_PREFIX) for s in scopes]
    for in_budget, m in set(zip(budget, measures, strict=True)):
        keys[in_budget, m] = "/".join(vocabulary.key(m, drop_years=in_budget))
    return pd.DataFrame(
        {
            "table_code": tables,
            "scope": scopes,
            "subject_code": codes,
            "subject_name": names,
            "amount_text": [_amount_text(a) for a in cells["amount"]],
            "measure_key": [keys[b, m] for b, m in zip(budget, measures, strict=True)],
            "unit": [text_or_none(u) or MISSING for u in cells["unit"]],
            "cell_key": [
                f"{t} | {s} | {p or ''} | {m}" for t, s, p, m in zip(tables, subjects, parents, measures, strict=True)
            ],
        }
    )


#: the helper columns a table suite reads (GX hashes every column of the frame it is given, so give it only these)
TABLE_COLUMNS: list[str] = ["subject_code", "subject_name", "amount_text", "measure_key", "unit", "cell_key"]


# --- the suites ---------------------------------------------------------------------------------------------


def _measure_keys(table_code: str, vocabulary: Vocabulary) -> list[str]:
    """Every normalised header key the vocabulary accepts for a table type."""
    return sorted("/".join(key) for key in vocabulary.lookup.get(table_code, {}))


def table_expectations(table_code: str, vocabulary: Vocabulary) -> list[Any]:
    """The expectations of one table type's suite (a 决算 code or a 预算 scope), each tagged with its rule in ``meta``.

    A 预算 table of items (``LINE_ITEM_TYPES``: 政府采购, projects) may repeat a row's labels: no uniqueness.
    """
    import great_expectations.expectations as gxe

    found: list[Any] = []
    kind = scope_classification(table_code)
    if kind is not None:
        found.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column="subject_code",
                regex=ECONOMIC_CODE if kind == "economic" else FUNCTIONAL_CODE,
                meta={"rule": CODE_PATTERN},
                notes=f"{'经济' if kind == 'economic' else '功能'}分类 codes of table {table_code}",
            )
        )
    found += [
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="subject_name", min_value=1, meta={"rule": NAME_PRESENT}, notes="a coded row prints its name"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="amount_text", regex=DECIMAL_TEXT, meta={"rule": AMOUNT_DECIMAL}, notes="exact Decimal amounts"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="measure_key",
            value_set=_measure_keys(table_code, vocabulary),
            meta={"rule": MEASURE_VOCABULARY},
            notes=f"headers of table {table_code} (tokens sorted, see expectations/measures.yaml): "
            + ", ".join(vocabulary.canonical.get(table_code, ())),
        ),
        gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=sorted(UNIT_FACTORS), meta={"rule": UNIT_KNOWN}),
    ]
    items = table_code.startswith(BUDGET_SCOPE_PREFIX) and table_code.removeprefix(BUDGET_SCOPE_PREFIX) in LINE_ITEM_TYPES
    if not items:
        found.append(
            gxe.ExpectColumnValuesToBeUnique(
                column="cell_key", meta={"rule": UNIQUE_CELL}, notes="one amount per (subject, parent row, measure) in a table"
            )
        )
    return found
