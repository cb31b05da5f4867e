"""Great Expectations 1.x suites over stg_cells: one ExpectationSuite and one Checkpoint per table type (01 … 09).

Why the structure looks like this (measured on the 2-core machine, see benchmarks/validate.py):
- building the context and nine suites costs ≈ 0.2 s, importing GX ≈ 3.5 s: both happen once per process
  (``gx_validator()``), never per document;
- each expectation costs ≈ 2–4 ms and each validation definition ≈ 5 ms whatever the frame size, but a
  ``row_condition`` doubles an expectation's cost and GX hashes the whole batch frame once per validation
  definition, so every table type gets its own checkpoint, run on that table's rows only, over a small
  frame of precomputed helper columns (strings, no Decimal objects to hash);
- results are asked for as BOOLEAN_ONLY; only a table whose suite failed is validated again with
  COMPLETE results to name the offending cells (rare, and then speed does not matter).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.findings import Finding
from expectations.measures import Vocabulary, default_vocabulary
from extract.models import TABLE_CODES, TABLE_TITLES
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
#: tables whose rows are identified by a subject code, and which classification they use
CODED_TABLES: dict[str, str] = {"02": "functional", "03": "functional", "05": "functional", "06": "economic", "08": "functional", "09": "functional"}

MISSING = "<missing>"
SUITE_PREFIX = "stg_cells"
_GX_LOGGERS = ("great_expectations", "great_expectations.core", "great_expectations.data_context")


def suite_name(table_code: str) -> str:
    """The name of a table type's suite (shown in Data Docs)."""
    return f"{SUITE_PREFIX}.{table_code}.{TABLE_TITLES.get(table_code, 'table')}"


# --- helper columns (pure pandas; the lineage stays beside them, GX sees only what it checks) -------------


def _text(value: object) -> str | None:
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


def helper_frame(table: pd.DataFrame, table_code: str, vocabulary: Vocabulary) -> pd.DataFrame:
    """The columns one table's suite checks, one row per stg_cells row, index 0 … n-1."""
    code_column = "economic_code" if CODED_TABLES.get(table_code) == "economic" else "functional_code"
    name_column = code_column.replace("_code", "_name")
    codes = [_text(c) for c in table[code_column]]
    names = [_text(n) for n in table[name_column]]
    labels = [_text(label) for label in table["line_item"]]
    parents = [_text(p) for p in table["parent_line_item"]]
    measures = [str(m) for m in table["measure"]]
    subjects = [code or label or "" for code, label in zip(codes, labels, strict=True)]
    return pd.DataFrame(
        {
            "subject_code": codes,
            # "" for a coded row without a name (fails the length check); None where no code (skipped)
            "subject_name": [(name or "") if code else None for code, name in zip(codes, names, strict=True)],
            "amount_text": [_amount_text(a) for a in table["amount"]],
            "canonical_measure": [vocabulary.canonical_measure(table_code, m) for m in measures],
            "unit": [_text(u) or MISSING for u in table["unit"]],
            "cell_key": [
                f"{s} | {p or ''} | {m}" for s, p, m in zip(subjects, parents, measures, strict=True)
            ],
        }
    )


# --- the suites ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """How one GX rule reads back: what it expects, and the printed value of an offending row."""

    expected: str
    found: Callable[[pd.Series, pd.Series], str]


def _expectations(table_code: str, vocabulary: Vocabulary) -> list[Any]:
    """The expectations of one table type's suite, each tagged with its rule name in ``meta``."""
    import great_expectations.expectations as gxe

    units = sorted(UNIT_FACTORS)
    measures = vocabulary.canonical.get(table_code, ())
    found: list[Any] = []
    kind = CODED_TABLES.get(table_code)
    if kind is not None:
        found += [
            gxe.ExpectColumnValuesToMatchRegex(
                column="subject_code",
                regex=ECONOMIC_CODE if kind == "economic" else FUNCTIONAL_CODE,
                meta={"rule": CODE_PATTERN},
                notes=f"{'经济' if kind == 'economic' else '功能'}分类 codes of table {table_code}",
            ),
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="subject_name", min_value=1, meta={"rule": NAME_PRESENT}, notes="a coded row prints its name"
            ),
        ]
    found += [
        gxe.ExpectColumnValuesToMatchRegex(
            column="amount_text", regex=DECIMAL_TEXT, meta={"rule": AMOUNT_DECIMAL}, notes="exact Decimal amounts"
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="canonical_measure",
            meta={"rule": MEASURE_VOCABULARY},
            notes=f"headers map to a measure of table {table_code}: {', '.join(measures)}",
        ),
        gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=units, meta={"rule": UNIT_KNOWN}),
        gxe.ExpectColumnValuesToBeUnique(
            column="cell_key", meta={"rule": UNIQUE_CELL}, notes="one amount per (subject, parent row, measure)"
        ),
    ]
    return found


def _checks(table_code: str, vocabulary: Vocabulary) -> dict[str, _Check]:
    """What each rule expects, in words, and the printed value it found in an offending row."""
    kind = CODED_TABLES.get(table_code)
    digits = "3/5 digits (经济分类 类/款)" if kind == "economic" else "3/5/7 digits (功能分类 类/款/项)"
    return {
        CODE_PATTERN: _Check(f"a code of {digits}", lambda h, c: str(h["subject_code"])),
        NAME_PRESENT: _Check("the subject name printed beside its code", lambda h, c: f"no name for code {h['subject_code']}"),
        AMOUNT_DECIMAL: _Check("an exact decimal amount", lambda h, c: str(h["amount_text"])),
        MEASURE_VOCABULARY: _Check(
            f"a header of table {table_code}: {' | '.join(vocabulary.canonical.get(table_code, ()))}",
            lambda h, c: str(c["measure"]),
        ),
        UNIT_KNOWN: _Check(f"a unit in {' / '.join(sorted(UNIT_FACTORS))}", lambda h, c: str(h["unit"])),
        UNIQUE_CELL: _Check("one amount per (subject, parent row, measure)", lambda h, c: f"{c['amount']} (repeated)"),
    }


def _row_label(cell: pd.Series) -> str:
    """How a finding names the row of a cell: its code and name, else its label, else its grid row."""
    for code_column, name_column in (("functional_code", "functional_name"), ("economic_code", "economic_name")):
        code = _text(cell.get(code_column))
        if code:
            name = _text(cell.get(name_column))
            return f"{code} {name}" if name else code
    label = _text(cell.get("line_item"))
    if label:
        parent = _text(cell.get("parent_line_item"))
        return f"{parent} / {label}" if parent else label
    return f"grid row {cell.get('row_index')}"


class GxValidator:
    """An ephemeral GX context holding one suite, validation definition and checkpoint per table type."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        """Build the context and the nine suites (≈ 0.2 s once GX is imported)."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in _GX_LOGGERS:  # GX logs every store write at INFO; the pipeline's log is ours
            logging.getLogger(name).setLevel(logging.WARNING)
        self.vocabulary = vocabulary or default_vocabulary()
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("stg_cells").add_dataframe_asset("stg_cells_table")
        batch = asset.add_batch_definition_whole_dataframe("one_table_of_one_document")
        self._checkpoints: dict[str, Any] = {}
        self._definitions: dict[str, Any] = {}
        self._checks = {code: _checks(code, self.vocabulary) for code in TABLE_CODES}
        for code in TABLE_CODES:
            suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name(code)))
            for expectation in _expectations(code, self.vocabulary):
                suite.add_expectation(expectation)
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"validate {suite.name}", data=batch, suite=suite)
            )
            self._definitions[code] = definition
            self._checkpoints[code] = self.context.checkpoints.add(
                gx.Checkpoint(
                    name=f"checkpoint {suite.name}",
                    validation_definitions=[definition],
                    result_format={"result_format": "BOOLEAN_ONLY"},
                )
            )
        self.runs = 0
        self._sites: set[str] = set()

    def validate_table(self, table_code: str, table: pd.DataFrame) -> list[Finding]:
        """Run one table's checkpoint over its stg_cells rows; a pass finding per expectation, a fail per cell."""
        helper = helper_frame(table, table_code, self.vocabulary)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GX warns about its own deprecations on every run
            result = self._checkpoints[table_code].run(batch_parameters={"dataframe": helper})
            self.runs += 1
            if result.success:
                return list(self._passes(table_code, result, len(helper)))
            # name the offending cells: validate this table again with every unexpected index
            complete = self._definitions[table_code].run(
                batch_parameters={"dataframe": helper}, result_format={"result_format": "COMPLETE"}
            )
        return list(self._findings(table_code, complete, helper, table.reset_index(drop=True)))

    def validate(self, stg_cells: pd.DataFrame) -> list[Finding]:
        """Every table of one document through its table type's checkpoint (tables without cells: nothing to check)."""
        findings: list[Finding] = []
        for code, table in stg_cells.groupby("table_code", sort=True):
            if str(code) in self._checkpoints:
                findings += self.validate_table(str(code), table)
        return findings

    def _passes(self, table_code: str, result: Any, n: int) -> Iterator[Finding]:
        for run in result.run_results.values():
            for outcome in run.results:
                rule = str(outcome.expectation_config.meta.get("rule"))
                yield Finding(
                    rule=rule,
                    severity="error",
                    table_code=table_code,
                    row="",
                    measure="",
                    expected=self._checks[table_code][rule].expected,
                    found=f"all {n} cells",
                    verdict="pass",
                )

    def _findings(self, table_code: str, result: Any, helper: pd.DataFrame, cells: pd.DataFrame) -> Iterator[Finding]:
        checks = self._checks[table_code]
        for outcome in result.results:
            rule = str(outcome.expectation_config.meta.get("rule"))
            check = checks[rule]
            if outcome.success:
                yield Finding(rule, "error", table_code, "", "", check.expected, f"all {len(helper)} cells", verdict="pass")
                continue
            indexes = outcome.result.get("unexpected_index_list") or []
            for index in indexes:
                position = int(index["index"] if isinstance(index, dict) else index)
                cell = cells.iloc[position]
                yield Finding(
                    rule=rule,
                    severity="error",
                    table_code=table_code,
                    row=_row_label(cell),
                    measure=str(cell["measure"]),
                    expected=check.expected,
                    found=check.found(helper.iloc[position], cell),
                    page=int(cell["page"]) if _text(cell.get("page")) else None,
                    verdict="fail",
                )

    def build_data_docs(self, directory: Path) -> Path:
        """Write static HTML Data Docs of the suites and of this process's validations; return index.html."""
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        site = f"fiscal_{abs(hash(str(directory)))}"
        if site not in self._sites:
            self._sites.add(site)
            self.context.add_data_docs_site(
                site_name=site,
                site_config={
                    "class_name": "SiteBuilder",
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
                },
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.context.build_data_docs(site_names=[site])
        return directory / "index.html"


_VALIDATOR: GxValidator | None = None


def gx_validator() -> GxValidator:
    """The process's GX validator, built on first use and reused for every later document."""
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = GxValidator()
    return _VALIDATOR


def build_data_docs(directory: Path) -> Path:
    """Write GX static HTML Data Docs for the validations run so far in this process; return index.html."""
    return gx_validator().build_data_docs(directory)
