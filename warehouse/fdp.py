"""Fiscal Data Package export: ``datapackage.json`` plus one CSV of facts, modelled for OpenSpending-style tools.

The package is a Tabular Data Package (``profile: tabular-data-package``) with the Fiscal Data
Package ``model`` (https://specs.frictionlessdata.io/fiscal-data-package/, the ``model`` of the
published JSON Schema): measures carry currency, factor, direction and phase; dimensions carry
their attributes, primary key and type. The CSV has one row per published amount cell.

Decisions
---------
- Amounts are published in 元 with ``factor`` 1: the documents mix 元 and 万元 between tables, and
  one FDP measure has one factor. The amount as printed and its unit stay beside it
  (``amount_published``, ``unit``), so nothing of the publication is lost.
- A measure has one direction and one phase, so the single amount is spread over four measure
  columns (``executed_expenditure`` … ``approved_revenue``); exactly one of them is filled per row.
  Direction comes from the table and the column header (02 and 收入 columns are revenue, 年初结转和结余
  is a source of funds; 03/05/06/07 and 支出 columns, 年末结转和结余, are expenditure). Phase comes
  from the column header where it says 预算数 (approved) or 决算数 (executed), else from the
  document: 决算 → executed, 预算 → approved.
- Lineage (document sha256, source file, page, table, row, column) is the ``fact`` dimension;
  those attributes form the primary key of the resource. The cell's box on the page
  (``cell_x0``, ``cell_top``, ``cell_x1``, ``cell_bottom``, PDF points, origin top-left; empty
  when unknown) are further attributes of it, after all other columns.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine

from extract.models import TABLE_TITLES

Direction = Literal["expenditure", "revenue"]
FdpPhase = Literal["approved", "executed"]

CURRENCY = "CNY"
FACTS_RESOURCE = "facts"
FACTS_FILE = "facts.csv"

#: Document phase (as printed) → FDP phase.
PHASES: dict[str, FdpPhase] = {"决算": "executed", "预算": "approved"}

#: The four measure columns: (phase, direction) → column name.
MEASURE_COLUMNS: dict[tuple[FdpPhase, Direction], str] = {
    ("executed", "expenditure"): "executed_expenditure",
    ("executed", "revenue"): "executed_revenue",
    ("approved", "expenditure"): "approved_expenditure",
    ("approved", "revenue"): "approved_revenue",
}

_REVENUE_TABLES = frozenset({"02"})
_EXPENDITURE_TABLES = frozenset({"03", "05", "06", "07", "09"})

#: The CSV columns: (name, Table Schema type, FDP v1 columnType or None, description).
FIELDS: tuple[tuple[str, str, str | None, str], ...] = (
    ("document_sha256", "string", None, "sha256 of the published PDF the amount is printed in"),
    ("source_file", "string", None, "file name of the published PDF"),
    ("source", "string", None, "URL or path the PDF was received from"),
    ("department", "string", "administrative-classification:generic:label", "department as printed"),
    ("fiscal_year", "integer", "date:fiscal-year", "fiscal (= calendar) year the document reports on"),
    ("document_phase", "string", None, "决算 (final accounts) or 预算 (budget), as the document says"),
    ("table_code", "string", None, "standard table 01…09"),
    ("table_title", "string", None, "standard title of the table"),
    ("page", "integer", None, "1-based PDF page where the amount is printed"),
    ("row_index", "integer", None, "row of the cell in that page's ruled grid (0-based)"),
    ("col_index", "integer", None, "column of the cell in that page's ruled grid (0-based)"),
    ("functional_code", "string", "functional-classification:generic:code", "支出功能分类 code (3/5/7 digits)"),
    ("functional_name", "string", "functional-classification:generic:label", "功能分类 name as printed"),
    ("functional_parent_code", "string", None, "code of the parent 功能分类 subject (类 of a 款, 款 of a 项)"),
    ("economic_code", "string", "economic-classification:generic:code", "支出经济分类 code (3/5 digits)"),
    ("economic_name", "string", "economic-classification:generic:label", "经济分类 name as printed"),
    ("economic_parent_code", "string", None, "code of the parent 经济分类 subject (类 of a 款)"),
    ("line_item", "string", None, "printed label of a label-identified row (01/04 lines, 合计)"),
    ("parent_line_item", "string", None, "the block a repeated sub-row belongs to"),
    ("measure", "string", None, "column header path, outer to inner, joined with /"),
    ("direction", "string", "direction", "expenditure or revenue (FDP direction of the amount)"),
    ("phase", "string", "phase:id", "approved (预算数) or executed (决算数) (FDP phase of the amount)"),
    ("amount_published", "number", None, "the amount exactly as printed, in unit"),
    ("unit", "string", None, "unit of amount_published: 元 or 万元"),
    ("is_total", "boolean", None, "true on subtotal/total rows: sums over leaves exclude them"),
    ("executed_expenditure", "number", "value", "executed (决算) expenditure in 元"),
    ("executed_revenue", "number", "value", "executed (决算) revenue in 元"),
    ("approved_expenditure", "number", "value", "approved (预算) expenditure in 元"),
    ("approved_revenue", "number", "value", "approved (预算) revenue in 元"),
    ("cell_x0", "number", None, "left edge of the cell's box, PDF points on the page as displayed (origin top-left)"),
    ("cell_top", "number", None, "top edge of the cell's box, PDF points from the top of the displayed page"),
    ("cell_x1", "number", None, "right edge of the cell's box, PDF points"),
    ("cell_bottom", "number", None, "bottom edge of the cell's box, PDF points from the top of the displayed page"),
)

#: The cell box columns (lineage: where on the page the amount is printed; empty when unknown).
BOX_FIELDS: tuple[str, ...] = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")

PRIMARY_KEY: tuple[str, ...] = ("document_sha256", "table_code", "page", "row_index", "col_index")

#: The FDP ``model`` requirements (measures and dimensions), as a JSON Schema fragment used to check
#: a descriptor offline; it follows the ``model`` part of the spec's published JSON Schema.
FDP_MODEL_PROFILE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "title", "resources", "model", "profile"],
    "properties": {
        "profile": {"enum": ["tabular-data-package"]},
        "model": {
            "type": "object",
            "required": ["measures", "dimensions"],
            "properties": {
                "measures": {
                    "type": "object",
                    "minProperties": 1,
                    "patternProperties": {
                        r"^\w+": {
                            "type": "object",
                            "required": ["source", "currency"],
                            "properties": {
                                "source": {"type": "string"},
                                "resource": {"type": "string"},
                                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                "factor": {"type": "number"},
                                "direction": {"enum": ["expenditure", "revenue"]},
                                "phase": {"enum": ["proposed", "approved", "adjusted", "executed"]},
                            },
                        }
                    },
                },
                "dimensions": {
                    "type": "object",
                    "minProperties": 1,
                    "patternProperties": {
                        r"^\w+": {
                            "type": "object",
                            "required": ["attributes", "primaryKey"],
                            "properties": {
                                "attributes": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "patternProperties": {
                                        r"^\w+": {
                                            "type": "object",
                                            "required": ["source"],
                                            "properties": {
                                                "source": {"type": "string"},
                                                "resource": {"type": "string"},
                                                "parent": {"type": "string"},
                                                "labelfor": {"type": "string"},
                                            },
                                        }
                                    },
                                },
                                "primaryKey": {
                                    "oneOf": [
                                        {"type": "string"},
                                        {"type": "array", "minItems": 1, "items": {"type": "string"}},
                                    ]
                                },
                                "dimensionType": {
                                    "enum": [
                                        "datetime",
                                        "entity",
                                        "classification",
                                        "activity",
                                        "fact",
                                        "location",
                                        "other",
                                    ]
                                },
                                "classificationType": {"enum": ["functional", "administrative", "economic"]},
                            },
                        }
                    },
                },
            },
        },
        "countryCode": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "granularity": {"enum": ["aggregated", "transactional"]},
        "fiscalPeriod": {
            "type": "object",
            "required": ["start"],
            "properties": {
                "start": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                "end": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            },
        },
    },
}


def direction_of(table_code: str, measure: str) -> Direction:
    """Return whether an amount of ``table_code`` under column ``measure`` is revenue or expenditure."""
    head = measure.split("/", 1)[0]
    if head.startswith("年初") or "收入" in head:
        return "revenue"
    if head.startswith("年末") or "支出" in head:
        return "expenditure"
    if table_code in _REVENUE_TABLES:
        return "revenue"
    if table_code in _EXPENDITURE_TABLES:
        return "expenditure"
    # 01/04/08 columns that name neither side: the right-hand (uses) side is the larger family.
    return "revenue" if "收入" in measure else "expenditure"


def phase_of(measure: str, document_phase: str | None) -> FdpPhase:
    """Return the FDP phase of an amount: the column's 预算数/决算数 when it says so, else the document's."""
    parts = measure.split("/")
    if "预算数" in parts:
        return "approved"
    if "决算数" in parts:
        return "executed"
    return PHASES.get(document_phase or "", "executed")


def fdp_rows(facts: pd.DataFrame, sources: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Turn a facts export (``warehouse.export.export_facts`` columns) into FDP CSV rows (``FIELDS`` keys).

    ``sources`` maps a document sha256 to the URL or path it was received from. Amounts stay
    ``Decimal``; the one measure column that applies gets ``amount_yuan``.
    """
    sources = sources or {}
    rows: list[dict[str, Any]] = []
    for fact in facts.to_dict("records"):
        table = str(fact["table_code"])
        measure = str(fact["measure"])
        direction = direction_of(table, measure)
        phase = phase_of(measure, _value(fact.get("phase")))
        row: dict[str, Any] = {
            "document_sha256": fact["document_sha256"],
            "source_file": fact["source_file"],
            "source": _value(fact.get("source_url")) or sources.get(str(fact["document_sha256"])),
            "department": fact["department"],
            "fiscal_year": int(fact["fiscal_year"]),
            "document_phase": _value(fact.get("phase")),
            "table_code": table,
            "table_title": TABLE_TITLES.get(table),
            "page": int(fact["page"]),
            "row_index": int(fact["row_index"]),
            "col_index": int(fact["col_index"]),
            "functional_code": _value(fact.get("functional_code")),
            "functional_name": _value(fact.get("functional_name")),
            "functional_parent_code": _parent(_value(fact.get("functional_code"))),
            "economic_code": _value(fact.get("economic_code")),
            "economic_name": _value(fact.get("economic_name")),
            "economic_parent_code": _parent(_value(fact.get("economic_code"))),
            "line_item": _value(fact.get("line_item")),
            "parent_line_item": _value(fact.get("parent_line_item")),
            "measure": measure,
            "direction": direction,
            "phase": phase,
            "amount_published": Decimal(str(fact["amount"])),
            "unit": fact["unit"],
            "is_total": bool(fact["is_total"]),
        }
        for column in MEASURE_COLUMNS.values():
            row[column] = None
        row[MEASURE_COLUMNS[(phase, direction)]] = fact["amount_yuan"]
        for column in BOX_FIELDS:
            row[column] = _value(fact.get(column))
        rows.append(row)
    return rows


def fdp_descriptor(rows: Iterable[Mapping[str, Any]], *, name: str = "fiscal-etl-facts") -> dict[str, Any]:
    """Build the ``datapackage.json`` descriptor for the facts CSV (``FACTS_FILE``) holding ``rows``."""
    rows = list(rows)
    years = sorted({int(r["fiscal_year"]) for r in rows})
    sources = sorted({(str(r["source_file"]), str(r["source"] or "")) for r in rows})
    schema_fields = []
    for field, kind, column_type, description in FIELDS:
        spec: dict[str, Any] = {"name": field, "type": kind, "description": description}
        if column_type:
            spec["columnType"] = column_type
        if kind == "number":
            spec["bareNumber"] = True
        if field in PRIMARY_KEY:
            spec["constraints"] = {"required": True}
        schema_fields.append(spec)
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": name,
        "title": "Chinese department final accounts (部门决算): published amounts with lineage",
        "description": (
            "One row per published amount cell of the loaded 部门决算 documents, in 元 (factor 1); "
            "the amount as printed and its unit are kept in amount_published and unit."
        ),
        "countryCode": "CN",
        "granularity": "aggregated",
        "keywords": ["fiscal", "budget", "部门决算", "China"],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": FACTS_RESOURCE,
                "path": FACTS_FILE,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": schema_fields, "primaryKey": list(PRIMARY_KEY)},
            }
        ],
        "model": _model(),
    }
    if years:
        descriptor["fiscalPeriod"] = {"start": f"{years[0]}-01-01", "end": f"{years[-1]}-12-31"}
    if sources:
        descriptor["sources"] = [
            {"title": title, **({"path": path} if path.startswith(("http://", "https://")) else {})}
            for title, path in sources
        ]
    return descriptor


def _model() -> dict[str, Any]:
    """The FDP ``model``: four measures in CNY (factor 1) and the typed dimensions."""
    measures = {
        column: {
            "source": column,
            "resource": FACTS_RESOURCE,
            "currency": CURRENCY,
            "factor": 1,
            "direction": direction,
            "phase": phase,
        }
        for (phase, direction), column in MEASURE_COLUMNS.items()
    }

    def attrs(*names: str, **extra: dict[str, str]) -> dict[str, Any]:
        return {n: {"source": n, "resource": FACTS_RESOURCE, **extra.get(n, {})} for n in names}

    dimensions: dict[str, Any] = {
        "functional_classification": {
            "dimensionType": "classification",
            "classificationType": "functional",
            "primaryKey": "functional_code",
            "attributes": attrs(
                "functional_code",
                "functional_name",
                "functional_parent_code",
                functional_name={"labelfor": "functional_code"},
                functional_code={"parent": "functional_parent_code"},
            ),
        },
        "economic_classification": {
            "dimensionType": "classification",
            "classificationType": "economic",
            "primaryKey": "economic_code",
            "attributes": attrs(
                "economic_code",
                "economic_name",
                "economic_parent_code",
                economic_name={"labelfor": "economic_code"},
                economic_code={"parent": "economic_parent_code"},
            ),
        },
        "administrative_classification": {
            "dimensionType": "classification",
            "classificationType": "administrative",
            "primaryKey": "department",
            "attributes": attrs("department"),
        },
        "date": {"dimensionType": "datetime", "primaryKey": "fiscal_year", "attributes": attrs("fiscal_year")},
        "line_item": {
            "dimensionType": "other",
            "primaryKey": ["line_item", "parent_line_item"],
            "attributes": attrs("line_item", "parent_line_item"),
        },
        "table_column": {
            "dimensionType": "other",
            "primaryKey": ["table_code", "measure"],
            "attributes": attrs("table_code", "table_title", "measure", table_title={"labelfor": "table_code"}),
        },
        "published_amount": {
            "dimensionType": "other",
            "primaryKey": ["amount_published", "unit"],
            "attributes": attrs("amount_published", "unit", "is_total"),
        },
        "lineage": {
            "dimensionType": "fact",
            "primaryKey": list(PRIMARY_KEY),
            "attributes": attrs(
                "document_sha256", "source_file", "source", "document_phase", *PRIMARY_KEY[1:], *BOX_FIELDS
            ),
        },
    }
    return {"measures": measures, "dimensions": dimensions}


def export_fdp(engine: Engine, directory: Path, document: str | None = None) -> Path:
    """Write the Fiscal Data Package of the loaded documents (or of one, by sha256 prefix) into ``directory``."""
    from warehouse.export import export_facts, list_documents

    documents = list_documents(engine)
    sources = dict(zip(documents["sha256"], documents["source"], strict=True))
    return write_fdp(export_facts(engine, document), directory, sources=sources)


def write_fdp(
    facts: pd.DataFrame,
    directory: Path,
    *,
    sources: Mapping[str, str] | None = None,
    name: str = "fiscal-etl-facts",
) -> Path:
    """Write ``facts.csv`` and ``datapackage.json`` for a facts export into ``directory``; return the descriptor path."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = fdp_rows(facts, sources)
    columns = [f[0] for f in FIELDS]
    with (directory / FACTS_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_text(row[c]) for c in columns])
    path = directory / "datapackage.json"
    path.write_text(
        json.dumps(fdp_descriptor(rows, name=name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path


def _value(value: Any) -> Any:
    """Return None for missing values (None, NaN, pd.NA, ''), the value otherwise."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or value == "":
        return None
    return value


def _parent(code: str | None) -> str | None:
    """Return the parent subject code (first 3 or 5 digits) of a 5/7-digit code, else None."""
    return code[:-2] if code and len(code) > 3 else None


def _csv_text(value: Any) -> str:
    """Render one CSV cell: Decimal in plain notation (never float), booleans as true/false, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
