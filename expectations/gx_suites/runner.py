"""Great Expectations 1.x suites over stg_cells: one per table type, run per document as one merged suite.

Each table type (01 … 09) has its reviewed ExpectationSuite; a document is validated in ONE checkpoint run
of the document suite generated from them (expectations/gx_merge.py).

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
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.findings import Finding
from expectations.gx_merge import MergedSuite, merge_expectations
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
#: validation results kept in memory (for Data Docs); older ones are dropped so a long-running process
#: (`fiscal serve`, night after night) does not grow without bound
KEEP_RESULTS = 64
#: documents whose per-table runs Data Docs still owe (bounded: a run that never builds Data Docs keeps no more)
PENDING_FOR_DATA_DOCS = 16

#: the scope of the merged document suite (the union of the table suites)
DOCUMENT = "document"


def suite_name(scope: str) -> str:
    """The name of a table type's suite (``"03"``) or of the merged document suite (``"document"``)."""
    if scope == DOCUMENT:
        return f"{SUITE_PREFIX}.document.all_table_suites"
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
    """The columns the table suites check, one row per stg_cells row (same order, index 0 … n-1)."""
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
    keys: dict[str, str] = {}  # header keys repeat across a table's rows: normalise each header once
    for m in set(measures):
        keys[m] = "/".join(vocabulary.key(m))
    return pd.DataFrame(
        {
            "table_code": tables,
            "subject_code": codes,
            "subject_name": names,
            "amount_text": [_amount_text(a) for a in cells["amount"]],
            "measure_key": [keys[m] for m in measures],
            "unit": [_text(u) or MISSING for u in cells["unit"]],
            "cell_key": [
                f"{t} | {s} | {p or ''} | {m}" for t, s, p, m in zip(tables, subjects, parents, measures, strict=True)
            ],
        }
    )


#: the helper columns a table suite reads (GX hashes every column of the frame it is given, so give it only these)
TABLE_COLUMNS: list[str] = ["subject_code", "subject_name", "amount_text", "measure_key", "unit", "cell_key"]


# --- the suites ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """How one GX rule reads back: what it expects, and the printed value of an offending row."""

    expected: str
    found: Callable[[pd.Series, pd.Series], str]


def _measure_keys(table_code: str, vocabulary: Vocabulary) -> list[str]:
    """Every normalised header key the vocabulary accepts for a table type."""
    return sorted("/".join(key) for key in vocabulary.lookup.get(table_code, {}))


def table_expectations(table_code: str, vocabulary: Vocabulary) -> list[Any]:
    """The expectations of one table type's suite, each tagged with its rule name in ``meta``."""
    import great_expectations.expectations as gxe

    found: list[Any] = []
    kind = CODED_TABLES.get(table_code)
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
        gxe.ExpectColumnValuesToBeUnique(
            column="cell_key", meta={"rule": UNIQUE_CELL}, notes="one amount per (subject, parent row, measure) in a table"
        ),
    ]
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


def _outcome_tables(outcome: Any, default: str) -> list[str]:
    """The table suites a result stands for: the merged expectation's ``meta["tables"]``, else the one table run."""
    tables = (outcome.expectation_config.meta or {}).get("tables")
    return str(tables).split() if tables else [default]


class GxValidator:
    """An ephemeral GX context: a suite per table type, the merged document suite, a checkpoint for each."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        """Build the context, the nine table suites and the document suite merged from them (≈ 0.1–0.2 s)."""
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # GX logs every store write at INFO, and some of its modules pin their own logger to INFO
        gx_loggers = [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]
        for name in (*_GX_LOGGERS, *gx_loggers):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.vocabulary = vocabulary or default_vocabulary()
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        batches = self.context.data_sources.add_pandas("stg_cells")
        self._checkpoints: dict[str, Any] = {}
        self._definitions: dict[str, Any] = {}
        self._checks = _checks(self.vocabulary)
        # a row of a table code without a suite is still checked by the rules every suite holds
        self._unknown_table = {
            **self._checks["01"],
            MEASURE_VOCABULARY: _Check(f"a table type with a suite ({' '.join(TABLE_CODES)})", lambda h, c: str(c["measure"])),
        }
        per_table = {code: table_expectations(code, self.vocabulary) for code in TABLE_CODES}
        #: the document suite, generated from the table suites (one source of truth)
        self.merged: MergedSuite = merge_expectations(per_table)
        scopes: dict[str, list[Any]] = {DOCUMENT: [m.expectation for m in self.merged.expectations], **per_table}
        for scope, expectations in scopes.items():
            asset = "all_tables_of_one_document" if scope == DOCUMENT else f"table_{scope}_of_one_document"
            batch = batches.add_dataframe_asset(asset).add_batch_definition_whole_dataframe("whole_frame")
            suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name(scope)))
            for expectation in expectations:
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
        #: (helper frame, run id) of documents validated since Data Docs were last built
        self._pending: deque[tuple[pd.DataFrame, Any]] = deque(maxlen=PENDING_FOR_DATA_DOCS)
        # a GX context is not thread-safe, and the harvest flow processes documents in threads: one at a time
        # (GX work holds the GIL anyway, so nothing is lost)
        self._lock = threading.RLock()

    # --- running ------------------------------------------------------------------------------------------

    def _run(self, scope: str, frame: pd.DataFrame, run_id: Any) -> tuple[bool, list[Any]]:
        """One checkpoint run (BOOLEAN_ONLY); on failure the same validation again with every unexpected index."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GX warns about its own deprecations on every run
            result = self._checkpoints[scope].run(batch_parameters={"dataframe": frame}, run_id=run_id)
            self.runs += 1
            if result.success:
                return True, [o for run in result.run_results.values() for o in run.results]
            # name the offending cells (rare; speed does not matter then)
            complete = self._definitions[scope].run(
                batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"}, run_id=run_id
            )
        return False, list(complete.results)

    @staticmethod
    def _run_id(run_name: str | None) -> Any:
        from great_expectations.core.run_identifier import RunIdentifier

        return RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))

    def validate(self, stg_cells: pd.DataFrame, run_name: str | None = None) -> list[Finding]:
        """A document: every table's cells through the merged document suite, in one checkpoint run.

        ``run_name`` (e.g. the document's file name or sha256) labels the run in Data Docs.
        """
        if stg_cells.empty:
            return []
        run_id = self._run_id(run_name)
        cells = stg_cells.reset_index(drop=True)
        helper = helper_frame(cells, self.vocabulary)
        tables = helper["table_code"].tolist()
        frame = self.merged.frame(helper, tables)
        with self._lock:
            _, outcomes = self._run(DOCUMENT, frame, run_id)
            self._pending.append((helper, run_id))
            self._trim_results()
        return list(self._findings(outcomes, helper, cells, DOCUMENT))

    def _trim_results(self) -> None:
        """Keep only the newest ``KEEP_RESULTS`` validation results in the context's (in-memory) store."""
        store = self.context.validation_results_store
        keys = store.list_keys()
        if len(keys) > KEEP_RESULTS:
            oldest_first = sorted(keys, key=lambda k: str(k.run_id.run_time))  # type: ignore[attr-defined]
            for key in oldest_first[: len(keys) - KEEP_RESULTS]:
                store.remove_key(key)

    def validate_table(self, table_code: str, table: pd.DataFrame) -> list[Finding]:
        """One table's rows through the document suite (used by tests and tools)."""
        return self.validate(table[table["table_code"] == table_code])

    def validate_per_table(self, stg_cells: pd.DataFrame, run_name: str | None = None) -> list[Finding]:
        """A document through each table type's own suite, one checkpoint per table (Data Docs, tests; ≈ 5× slower)."""
        if stg_cells.empty:
            return []
        cells = stg_cells.reset_index(drop=True)
        helper = helper_frame(cells, self.vocabulary)
        with self._lock:
            return list(self._per_table(helper, cells, self._run_id(run_name)))

    def _per_table(self, helper: pd.DataFrame, cells: pd.DataFrame | None, run_id: Any) -> Iterator[Finding]:
        for code, rows in helper.groupby("table_code", sort=True).groups.items():
            if str(code) not in self._checkpoints:
                continue
            table_helper = helper.loc[rows].reset_index(drop=True)
            _, outcomes = self._run(str(code), table_helper[TABLE_COLUMNS], run_id)
            if cells is not None:
                yield from self._findings(outcomes, table_helper, cells.loc[rows].reset_index(drop=True), str(code))

    # --- reading results back -----------------------------------------------------------------------------

    def _findings(self, outcomes: Iterable[Any], helper: pd.DataFrame, cells: pd.DataFrame, scope: str) -> Iterator[Finding]:
        """A fail finding per offending cell, a pass finding per (rule, table present) with none."""
        counts = Counter(helper["table_code"].tolist())
        for outcome in outcomes:
            rule = str(outcome.expectation_config.meta.get("rule"))
            failed: set[str] = set()
            if not outcome.success:
                for index in outcome.result.get("unexpected_index_list") or []:
                    position = int(index["index"] if isinstance(index, dict) else index)
                    cell = cells.iloc[position]
                    table = str(cell["table_code"])
                    failed.add(table)
                    check = self._checks.get(table, self._unknown_table)[rule]
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
            for table in _outcome_tables(outcome, scope):
                if counts.get(table) and table not in failed:
                    yield Finding(
                        rule=rule,
                        severity="error",
                        table_code=table,
                        row="",
                        measure="",
                        expected=self._checks[table][rule].expected,
                        found=f"all {counts[table]} cells",
                        verdict="pass",
                    )

    # --- Data Docs ----------------------------------------------------------------------------------------

    def forget_results(self) -> int:
        """Drop the validation results kept in memory for Data Docs (≈ 10 KB per document); return how many."""
        with self._lock:
            self._pending.clear()
            store = self.context.validation_results_store
            keys = store.list_keys()
            for key in keys:
                store.remove_key(key)
            return len(keys)

    def build_data_docs(self, directory: Path) -> Path:
        """Write static HTML Data Docs of the suites and of this process's validations; return index.html.

        The documents validated since the last build (at most ``PENDING_FOR_DATA_DOCS``) are first run through
        each table type's own suite too, under the same run name, so Data Docs show the per-table results.
        """
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        site = f"fiscal_{abs(hash(str(directory)))}"
        with self._lock:
            while self._pending:
                helper, run_id = self._pending.popleft()
                for _ in self._per_table(helper, None, run_id):
                    pass
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
