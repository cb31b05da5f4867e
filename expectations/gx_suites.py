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
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
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


DOCUMENT = "document"


def suite_name(scope: str) -> str:
    """The name of a table type's suite (``"03"``) or of the document-wide suite (``"document"``)."""
    if scope == DOCUMENT:
        return f"{SUITE_PREFIX}.document.every_cell"
    return f"{SUITE_PREFIX}.{scope}.{TABLE_TITLES.get(scope, 'table')}"


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


def helper_frame(cells: pd.DataFrame, vocabulary: Vocabulary) -> pd.DataFrame:
    """The columns the suites check, one row per stg_cells row (same order, index 0 … n-1)."""
    tables = [str(t) for t in cells["table_code"]]
    functional = [_text(c) for c in cells["functional_code"]]
    economic = [_text(c) for c in cells["economic_code"]]
    functional_names = [_text(n) for n in cells["functional_name"]]
    economic_names = [_text(n) for n in cells["economic_name"]]
    labels = [_text(label) for label in cells["line_item"]]
    parents = [_text(p) for p in cells["parent_line_item"]]
    measures = [str(m) for m in cells["measure"]]
    # the code a table's rows are keyed by: 经济分类 in 06, 功能分类 elsewhere
    codes = [e if CODED_TABLES.get(t) == "economic" else f for t, f, e in zip(tables, functional, economic, strict=True)]
    names = [
        (fn or "") if f else (en or "") if e else None  # "" fails the length check, None is skipped
        for f, fn, e, en in zip(functional, functional_names, economic, economic_names, strict=True)
    ]
    subjects = [code or f or e or label or "" for code, f, e, label in zip(codes, functional, economic, labels, strict=True)]
    return pd.DataFrame(
        {
            "table_code": tables,
            "subject_code": codes,
            "subject_name": names,
            "amount_text": [_amount_text(a) for a in cells["amount"]],
            "measure_key": ["/".join(vocabulary.key(m)) for m in measures],
            "unit": [_text(u) or MISSING for u in cells["unit"]],
            "cell_key": [
                f"{t} | {s} | {p or ''} | {m}" for t, s, p, m in zip(tables, subjects, parents, measures, strict=True)
            ],
        }
    )


#: the helper columns each suite reads (GX hashes every column of the frame it is given, so give it only these)
SCOPE_COLUMNS: dict[str, list[str]] = {
    DOCUMENT: ["subject_name", "amount_text", "unit", "cell_key"],
    "table": ["subject_code", "measure_key"],
}


# --- the suites ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """How one GX rule reads back: what it expects, and the printed value of an offending row."""

    expected: str
    found: Callable[[pd.Series, pd.Series], str]


def _measure_keys(table_code: str, vocabulary: Vocabulary) -> list[str]:
    """Every normalised header key the vocabulary accepts for a table type."""
    return sorted("/".join(key) for key in vocabulary.lookup.get(table_code, {}))


def _expectations(scope: str, vocabulary: Vocabulary) -> list[Any]:
    """The expectations of one suite, each tagged with its rule name in ``meta``."""
    import great_expectations.expectations as gxe

    if scope == DOCUMENT:
        return [
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="subject_name", min_value=1, meta={"rule": NAME_PRESENT}, notes="a coded row prints its name"
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="amount_text", regex=DECIMAL_TEXT, meta={"rule": AMOUNT_DECIMAL}, notes="exact Decimal amounts"
            ),
            gxe.ExpectColumnValuesToBeInSet(column="unit", value_set=sorted(UNIT_FACTORS), meta={"rule": UNIT_KNOWN}),
            gxe.ExpectColumnValuesToBeUnique(
                column="cell_key", meta={"rule": UNIQUE_CELL}, notes="one amount per (table, subject, parent row, measure)"
            ),
        ]
    found: list[Any] = []
    kind = CODED_TABLES.get(scope)
    if kind is not None:
        found.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column="subject_code",
                regex=ECONOMIC_CODE if kind == "economic" else FUNCTIONAL_CODE,
                meta={"rule": CODE_PATTERN},
                notes=f"{'经济' if kind == 'economic' else '功能'}分类 codes of table {scope}",
            )
        )
    found.append(
        gxe.ExpectColumnValuesToBeInSet(
            column="measure_key",
            value_set=_measure_keys(scope, vocabulary),
            meta={"rule": MEASURE_VOCABULARY},
            notes=f"headers of table {scope} (tokens sorted, see expectations/measures.yaml): "
            + ", ".join(vocabulary.canonical.get(scope, ())),
        )
    )
    return found


def _checks(vocabulary: Vocabulary) -> dict[str, dict[str, _Check]]:
    """Per table code: what each rule expects, in words, and the printed value it found in an offending row."""
    checks: dict[str, dict[str, _Check]] = {}
    for code in TABLE_CODES:
        digits = "3/5 digits (经济分类 类/款)" if CODED_TABLES.get(code) == "economic" else "3/5/7 digits (功能分类 类/款/项)"
        checks[code] = {
            CODE_PATTERN: _Check(f"a code of {digits}", lambda h, c: str(h["subject_code"])),
            NAME_PRESENT: _Check("the subject name printed beside its code", lambda h, c: f"no name for code {h['subject_code']}"),
            AMOUNT_DECIMAL: _Check("an exact decimal amount", lambda h, c: str(h["amount_text"])),
            MEASURE_VOCABULARY: _Check(
                f"a header of table {code}: {' | '.join(vocabulary.canonical.get(code, ()))}", lambda h, c: str(c["measure"])
            ),
            UNIT_KNOWN: _Check(f"a unit in {' / '.join(sorted(UNIT_FACTORS))}", lambda h, c: str(h["unit"])),
            UNIQUE_CELL: _Check("one amount per (subject, parent row, measure)", lambda h, c: f"{c['amount']} (repeated)"),
        }
    return checks


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
    """An ephemeral GX context: one suite, validation definition and checkpoint per table type, plus one for every cell."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        """Build the context and the ten suites (≈ 0.2 s once GX is imported)."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in _GX_LOGGERS:  # GX logs every store write at INFO; the pipeline's log is ours
            logging.getLogger(name).setLevel(logging.WARNING)
        self.vocabulary = vocabulary or default_vocabulary()
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        batches = self.context.data_sources.add_pandas("stg_cells")
        self._checkpoints: dict[str, Any] = {}
        self._definitions: dict[str, Any] = {}
        self._checks = _checks(self.vocabulary)
        for scope in (DOCUMENT, *TABLE_CODES):
            asset = "every_cell_of_one_document" if scope == DOCUMENT else f"table_{scope}_of_one_document"
            batch = batches.add_dataframe_asset(asset).add_batch_definition_whole_dataframe("whole_frame")
            suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name(scope)))
            for expectation in _expectations(scope, self.vocabulary):
                suite.add_expectation(expectation)
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"validate {suite.name}", data=batch, suite=suite)
            )
            self._definitions[scope] = definition
            self._checkpoints[scope] = self.context.checkpoints.add(
                gx.Checkpoint(
                    name=f"checkpoint {suite.name}",
                    validation_definitions=[definition],
                    result_format={"result_format": "BOOLEAN_ONLY"},
                )
            )
        self.runs = 0
        self._sites: set[str] = set()
        # a GX context is not thread-safe, and the harvest flow processes documents in threads: one at a time
        # (GX work holds the GIL anyway, so nothing is lost)
        self._lock = threading.RLock()

    def _run(self, scope: str, helper: pd.DataFrame, cells: pd.DataFrame, run_id: Any) -> list[Finding]:
        """One checkpoint run; on failure the same validation again with every unexpected index."""
        frame = helper[SCOPE_COLUMNS[DOCUMENT if scope == DOCUMENT else "table"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GX warns about its own deprecations on every run
            result = self._checkpoints[scope].run(batch_parameters={"dataframe": frame}, run_id=run_id)
            self.runs += 1
            if result.success:
                outcomes = [o for run in result.run_results.values() for o in run.results]
                return list(self._passes(scope, outcomes, len(frame)))
            # name the offending cells (rare; speed does not matter then)
            complete = self._definitions[scope].run(
                batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"}, run_id=run_id
            )
        return list(self._findings(scope, complete, helper, cells))

    def validate_table(self, table_code: str, table: pd.DataFrame) -> list[Finding]:
        """One table's rows through the document suite and its table type's suite (used by tests and tools)."""
        return self.validate(table[table["table_code"] == table_code])

    def validate(self, stg_cells: pd.DataFrame, run_name: str | None = None) -> list[Finding]:
        """A document: every cell through the document suite, each table through its table type's suite.

        ``run_name`` (e.g. the document's file name or sha256) labels the runs in Data Docs.
        """
        if stg_cells.empty:
            return []
        from great_expectations.core.run_identifier import RunIdentifier

        run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
        cells = stg_cells.reset_index(drop=True)
        helper = helper_frame(cells, self.vocabulary)
        with self._lock:
            findings = self._run(DOCUMENT, helper, cells, run_id)
            for code, rows in helper.groupby("table_code", sort=True).groups.items():
                if str(code) in self._checkpoints:
                    table_helper, table_cells = helper.loc[rows].reset_index(drop=True), cells.loc[rows].reset_index(drop=True)
                    findings += self._run(str(code), table_helper, table_cells, run_id)
        return findings

    def _passes(self, scope: str, outcomes: Iterable[Any], n: int) -> Iterator[Finding]:
        """One pass finding per expectation that held (table None for the document suite)."""
        table = None if scope == DOCUMENT else scope
        for outcome in outcomes:
            rule = str(outcome.expectation_config.meta.get("rule"))
            yield Finding(
                rule=rule,
                severity="error",
                table_code=table,
                row="",
                measure="",
                expected=self._checks[table or "01"][rule].expected,
                found=f"all {n} cells",
                verdict="pass",
            )

    def _findings(self, scope: str, result: Any, helper: pd.DataFrame, cells: pd.DataFrame) -> Iterator[Finding]:
        for outcome in result.results:
            rule = str(outcome.expectation_config.meta.get("rule"))
            if outcome.success:
                yield from self._passes(scope, [outcome], len(helper))
                continue
            for index in outcome.result.get("unexpected_index_list") or []:
                position = int(index["index"] if isinstance(index, dict) else index)
                cell = cells.iloc[position]
                table = str(cell["table_code"])
                check = self._checks.get(table, self._checks["01"])[rule]
                yield Finding(
                    rule=rule,
                    severity="error",
                    table_code=table,
                    row=_row_label(cell),
                    measure=str(cell["measure"]),
                    expected=check.expected,
                    found=check.found(helper.iloc[position], cell),
                    page=int(cell["page"]) if _text(cell.get("page")) else None,
                    verdict="fail",
                )

    def forget_results(self) -> int:
        """Drop the validation results kept in memory for Data Docs (≈ 70 KB per document); return how many."""
        with self._lock:
            store = self.context.validation_results_store
            keys = store.list_keys()
            for key in keys:
                store.remove_key(key)
            return len(keys)

    def build_data_docs(self, directory: Path) -> Path:
        """Write static HTML Data Docs of the suites and of this process's validations; return index.html."""
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        site = f"fiscal_{abs(hash(str(directory)))}"
        with self._lock:
            return self._build_data_docs(site, directory)

    def _build_data_docs(self, site: str, directory: Path) -> Path:
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
_BUILDING = threading.Lock()


def gx_validator() -> GxValidator:
    """The process's GX validator, built on first use and reused for every later document (thread-safe)."""
    global _VALIDATOR
    with _BUILDING:
        if _VALIDATOR is None:
            _VALIDATOR = GxValidator()
        return _VALIDATOR


def build_data_docs(directory: Path) -> Path:
    """Write GX static HTML Data Docs for the validations run so far in this process; return index.html."""
    return gx_validator().build_data_docs(directory)
