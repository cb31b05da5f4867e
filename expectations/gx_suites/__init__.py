"""Great Expectations 1.x suites over stg_cells: one per table type, run per document as one merged suite.

Each table type (01 … 09) has its reviewed ExpectationSuite (``suites``); a document is validated in ONE
checkpoint run of the document suite generated from them (expectations/gx_merge.py) by the process's
cached validator (``runner``), whose results read back as findings (``findings``).

Why the structure looks like this (measured on the 2-core machine, see benchmarks/validate.py):
- importing GX ≈ 3.5 s and building the context and suites ≈ 0.1–0.2 s happen once per process
  (``gx_validator()``), never per document;
- GX 1.24 costs ≈ 15 ms per checkpoint run and ≈ 5 ms per expectation before it touches the data, whatever
  the frame size: nine per-table checkpoints cost ≈ 0.2 s per document, one checkpoint of the merged
  suite (six expectations: the same checks over ``"table|value"`` key columns) ≈ 0.04 s;
- the frame holds precomputed helper columns (strings, no Decimal objects for GX to hash);
- results are asked for as BOOLEAN_ONLY; only a document whose suite failed is validated again with
  COMPLETE results to name the offending cells (rare, and then speed does not matter);
- the per-table suites are run on their own only for Data Docs (``build_data_docs``) and by the tests
  that check the merged suite against them.

Importing this package does not import GX (the validator does, when first built).
"""

from __future__ import annotations

from expectations.gx_suites.findings import FindingReader
from expectations.gx_suites.runner import GxValidator, build_data_docs, gx_validator
from expectations.gx_suites.suites import (
    AMOUNT_DECIMAL,
    CODE_PATTERN,
    DOCUMENT,
    GX_RULES,
    MEASURE_VOCABULARY,
    NAME_PRESENT,
    UNIQUE_CELL,
    UNIT_KNOWN,
    helper_frame,
    suite_name,
    table_expectations,
)

__all__ = [
    "AMOUNT_DECIMAL",
    "CODE_PATTERN",
    "DOCUMENT",
    "GX_RULES",
    "MEASURE_VOCABULARY",
    "NAME_PRESENT",
    "UNIQUE_CELL",
    "UNIT_KNOWN",
    "FindingReader",
    "GxValidator",
    "build_data_docs",
    "gx_validator",
    "helper_frame",
    "suite_name",
    "table_expectations",
]
