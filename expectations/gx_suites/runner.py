"""Running the suites: the process's cached GX context, one checkpoint per document, and Data Docs."""

from __future__ import annotations

import logging
import threading
import warnings
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.findings import Finding
from expectations.gx_merge import MergedSuite, merge_expectations
from expectations.gx_suites.findings import FindingReader
from expectations.gx_suites.suites import (
    BUDGET_DOCUMENT,
    BUDGET_SCOPES,
    DOCUMENT,
    TABLE_COLUMNS,
    helper_frame,
    suite_name,
    table_expectations,
)
from expectations.measures import Vocabulary, default_vocabulary
from expectations.tables import budget_scope
from extract.models import TABLE_CODES

_GX_LOGGERS = ("great_expectations", "great_expectations.core", "great_expectations.data_context")
#: validation results kept in memory (for Data Docs); older ones are dropped so a long-running process
#: (`fiscal serve`, night after night) does not grow without bound
KEEP_RESULTS = 64
#: documents whose per-table runs Data Docs still owe (bounded: a run that never builds Data Docs keeps no more)
PENDING_FOR_DATA_DOCS = 16


class GxValidator:
    """An ephemeral GX context: a suite per table type, the merged document suites, a checkpoint for each.

    A 决算's tables are validated by the suites of their standard codes (merged into ``DOCUMENT``), a 预算's by
    the suites of their ``table_type`` ("budget.income" …, merged into ``BUDGET_DOCUMENT``).
    """

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        """Build the context, the table suites of both phases and the document suites merged from them (≈ 0.2–0.4 s)."""
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
        self._reader = FindingReader(self.vocabulary)
        per_table = {code: table_expectations(code, self.vocabulary) for code in TABLE_CODES}
        per_type = {scope: table_expectations(scope, self.vocabulary) for scope in BUDGET_SCOPES}
        #: the document suites, generated from the table suites (one source of truth): 决算, 预算
        self.merged: MergedSuite = merge_expectations(per_table)
        self.budget_merged: MergedSuite = merge_expectations(per_type)
        scopes: dict[str, list[Any]] = {
            DOCUMENT: [m.expectation for m in self.merged.expectations],
            **per_table,
            BUDGET_DOCUMENT: [m.expectation for m in self.budget_merged.expectations],
            **per_type,
        }
        for scope, expectations in scopes.items():
            asset = {DOCUMENT: "all_tables_of_one_document", BUDGET_DOCUMENT: "all_tables_of_one_budget"}.get(
                scope, f"table_{scope}_of_one_document"
            )
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

    def validate(
        self, stg_cells: pd.DataFrame, run_name: str | None = None, *, table_types: Mapping[str, str | None] | None = None
    ) -> list[Finding]:
        """A document: every table's cells through the merged document suite, in one checkpoint run.

        ``run_name`` (e.g. the document's file name or sha256) labels the run in Data Docs. ``table_types``
        (a 预算: each table code's ``table_type``) validates each table by the suite of its type, through the
        预算 document suite; without it, each table is validated by the suite of its standard 决算 code.
        """
        if stg_cells.empty:
            return []
        run_id = self._run_id(run_name)
        cells = stg_cells.reset_index(drop=True)
        if table_types is None:
            scope, merged, scopes = DOCUMENT, self.merged, None
        else:
            scope, merged = BUDGET_DOCUMENT, self.budget_merged
            scopes = [budget_scope(table_types.get(str(code))) for code in cells["table_code"]]
        helper = helper_frame(cells, self.vocabulary, scopes)
        frame = merged.frame(helper, helper["scope"].tolist())
        with self._lock:
            _, outcomes = self._run(scope, frame, run_id)
            self._pending.append((helper, run_id))
            self._trim_results()
        return list(self._reader.findings(outcomes, helper, cells, scope))

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

    def validate_per_table(
        self, stg_cells: pd.DataFrame, run_name: str | None = None, *, table_types: Mapping[str, str | None] | None = None
    ) -> list[Finding]:
        """A document through each table type's own suite, one checkpoint per table (Data Docs, tests; ≈ 5× slower)."""
        if stg_cells.empty:
            return []
        cells = stg_cells.reset_index(drop=True)
        scopes = None if table_types is None else [budget_scope(table_types.get(str(c))) for c in cells["table_code"]]
        helper = helper_frame(cells, self.vocabulary, scopes)
        with self._lock:
            return list(self._per_table(helper, cells, self._run_id(run_name)))

    def _per_table(self, helper: pd.DataFrame, cells: pd.DataFrame | None, run_id: Any) -> Iterator[Finding]:
        for scope, rows in helper.groupby("scope", sort=True).groups.items():
            if str(scope) not in self._checkpoints or str(scope) in (DOCUMENT, BUDGET_DOCUMENT):
                continue
            table_helper = helper.loc[rows].reset_index(drop=True)
            _, outcomes = self._run(str(scope), table_helper[TABLE_COLUMNS], run_id)
            if cells is not None:
                yield from self._reader.findings(outcomes, table_helper, cells.loc[rows].reset_index(drop=True), str(scope))

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
