"""Concurrency, kill -9 in the middle of a load, and repeated runs over the samples (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from extract.models import Document, DocumentFacts
from tests.extraction import stage_pdf
from tests.test_warehouse_load import cell, count, load, make_document, make_stg, make_tables
from transform.stage import StagedDocument
from warehouse.load import LoadResult, load_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.pdf"))


def big_cells(n: int) -> list[dict[str, Any]]:
    """n distinct cells of table 02 (coded rows), enough for a slow-ish load."""
    return [
        cell("02", 4 + i // 200, i % 200, 1 + (i // 50) % 4, f"列{i % 4}", f"{i}.{i % 100:02d}", f=("2010301", "行政运行"))
        for i in range(n)
    ]


# ---------------------------------------------------------------- same document, same time


def test_same_document_loaded_concurrently_ends_with_one_copy(warehouse_engine: Engine) -> None:
    document = make_document("same.pdf")
    stg = make_stg(big_cells(400))
    barrier = threading.Barrier(4)
    results: list[LoadResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(load(warehouse_engine, document, stg))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r.facts_loaded for r in results] == [400] * 4
    assert count(warehouse_engine, "fct_amount") == 400
    assert count(warehouse_engine, "dim_document") == 1
    assert count(warehouse_engine, "etl_document") == 1
    assert count(warehouse_engine, "dim_department") == 1
    assert count(warehouse_engine, "dim_functional_subject") == 1
    assert count(warehouse_engine, "dim_measure") == 4


def test_republications_loaded_concurrently_leave_exactly_one_current(warehouse_engine: Engine) -> None:
    documents = [make_document(f"version{i}.pdf") for i in range(4)]
    barrier = threading.Barrier(len(documents))

    def worker(document: Document) -> None:
        barrier.wait()
        load(warehouse_engine, document)

    threads = [threading.Thread(target=worker, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with warehouse_engine.connect() as conn:
        statuses = sorted(conn.execute(text("SELECT status FROM etl_document")).scalars())
        current = conn.execute(text("SELECT COUNT(*) FROM dim_document WHERE is_current = TRUE")).scalar_one()
    assert statuses == ["loaded", "superseded", "superseded", "superseded"]
    assert current == 1
    assert count(warehouse_engine, "fct_amount") == 52


# ---------------------------------------------------------------- kill -9 mid-transaction

_KILLED_LOADER = """
import sys, time
from pathlib import Path
from warehouse import load as load_module
from warehouse.db import make_engine
from tests.test_warehouse_load import load, make_document, make_stg
from tests.test_warehouse_concurrency import big_cells

url, marker, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
real_insert = load_module.insert_facts

def insert_half_then_hang(conn, writer, rows, old_keys):
    real_insert(conn, writer, rows[: len(rows) // 2], old_keys)
    conn.exec_driver_sql("SELECT 1")  # the half is on the server / in the WAL, uncommitted
    marker.write_text("half")
    time.sleep(120)  # killed here

load_module.insert_facts = insert_half_then_hang
engine = make_engine(url)
load(engine, make_document(sys.argv[4]), make_stg(big_cells(n)), pipeline_version="killed")
"""


def _run_killed_load(url: str, tmp_path: Path, name: str, n: int) -> None:
    """Start a load in a subprocess, SIGKILL it once half its facts are inserted, wait for it."""
    marker = tmp_path / f"{name}.half"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _KILLED_LOADER, url, str(marker), str(n), name],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if process.poll() is not None:
                raise AssertionError(f"loader exited early: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise AssertionError("loader never reached the middle of its transaction")
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_kill_9_mid_load_leaves_no_partial_document(warehouse_engine: Engine, warehouse_url: str, tmp_path: Path) -> None:
    kept = make_document("kept.pdf")
    load(warehouse_engine, kept)
    reloaded = make_document("reloaded.pdf")
    load(warehouse_engine, reloaded, make_stg(big_cells(10)), facts=_other_year())
    before = _snapshot(warehouse_engine)
    _run_killed_load(warehouse_url, tmp_path, "new.pdf", 3000)  # a new document
    _run_killed_load(warehouse_url, tmp_path, "reloaded.pdf", 3000)  # a reload of a loaded one
    assert _snapshot(warehouse_engine) == before
    assert count(warehouse_engine, "etl_document", sha256=make_document("new.pdf").sha256) == 0
    # nothing is left locked: the next load goes through
    assert load(warehouse_engine, make_document("new.pdf"), make_stg(big_cells(20))).facts_loaded == 20


def _other_year() -> DocumentFacts:
    return DocumentFacts(department="长沙市政务服务中心", fiscal_year=2019, phase="决算", unit="万元", title=None)


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts of every table plus the facts and pipeline version per document."""
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608 - fixed names
            for table in ("fct_amount", "dim_document", "etl_document", "etl_table", "dim_measure")
        }
        per_document = sorted(
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT d.sha256, d.pipeline_version, COUNT(f.amount_key) FROM dim_document d"
                    " LEFT JOIN fct_amount f ON f.document_key = d.document_key GROUP BY d.sha256, d.pipeline_version"
                )
            )
        )
    return {"counts": counts, "documents": per_document}


# ---------------------------------------------------------------- three runs over the samples


@pytest.fixture(scope="module")
def staged_samples() -> list[tuple[Document, DocumentFacts, StagedDocument]]:
    """The sample PDFs extracted and staged once for the module."""
    out = []
    for path in SAMPLES:
        facts, staged = stage_pdf(path)
        document = make_document(path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
        out.append((document, facts, staged))
    assert len(out) >= 2
    return out


def _load_samples(engine: Engine, samples: list[tuple[Document, DocumentFacts, StagedDocument]]) -> None:
    for document, facts, staged in samples:
        load_document(
            engine,
            document=document,
            facts=facts,
            pages=20,
            stg_cells=staged.cells,
            tables=staged.tables or make_tables(),
            pipeline_version="0.1.0",
        )


def _per_table(engine: Engine) -> dict[str, tuple[int, Decimal]]:
    with engine.connect() as conn:
        result = conn.execute(
            text("SELECT table_code, COUNT(*), SUM(amount) FROM fct_amount GROUP BY table_code ORDER BY table_code")
        ).all()
    return {code: (n, Decimal(str(total)).quantize(Decimal("0.0001"))) for code, n, total in result}


def test_three_runs_give_identical_counts_and_sums(
    warehouse_engine: Engine, staged_samples: list[tuple[Document, DocumentFacts, StagedDocument]]
) -> None:
    expected: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for _, _, staged in staged_samples:
        for code, amount in zip(staged.cells["table_code"], staged.cells["amount"], strict=True):
            expected[code][0] += 1
            expected[code][1] += amount
    runs = []
    for _ in range(3):
        _load_samples(warehouse_engine, staged_samples)
        runs.append(_per_table(warehouse_engine))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0] == {code: (n, total.quantize(Decimal("0.0001"))) for code, (n, total) in expected.items()}


def test_function_rollups_from_leaves_equal_the_published_totals(
    warehouse_engine: Engine, staged_samples: list[tuple[Document, DocumentFacts, StagedDocument]]
) -> None:
    _load_samples(warehouse_engine, staged_samples)
    with warehouse_engine.connect() as conn:
        published = conn.execute(
            text(
                "SELECT department_id, fiscal_year, table_code, measure, amount_yuan FROM v_fiscal_facts"
                " WHERE line_item = '合计' AND table_code IN ('02', '03', '05') AND is_current = TRUE"
            )
        ).all()
        rolled = {
            (r[0], r[1], r[2], r[3]): (Decimal(str(r[4])), r[5])
            for r in conn.execute(
                text(
                    "SELECT department_id, fiscal_year, table_code, measure, SUM(amount_yuan), COUNT(*)"
                    " FROM v_expenditure_by_function WHERE level = '类'"
                    " GROUP BY department_id, fiscal_year, table_code, measure"
                )
            )
        }
        leaves = {
            r[0]: int(r[1])
            for r in conn.execute(
                text(
                    "SELECT table_code, COUNT(*) FROM v_fiscal_facts WHERE functional_code IS NOT NULL"
                    " AND is_total = FALSE GROUP BY table_code"
                )
            )
        }
    assert len(published) >= 10
    checked = exact = 0
    for department_id, year, table, measure, total in published:
        key = (department_id, year, table, measure)
        if key not in rolled:
            assert Decimal(str(total)) == 0, key  # a 合计 column with no coded rows must be 0
            continue
        amount, _ = rolled[key]
        tolerance = Decimal(100) * leaves[table]  # 0.01 万元 per summand ("尾数误差")
        assert abs(amount - Decimal(str(total))) <= tolerance, (key, amount, total)
        exact += amount == Decimal(str(total))
        checked += 1
    assert checked >= 10
    assert exact >= checked // 2  # most totals add up exactly; the rest within the rounding residue
