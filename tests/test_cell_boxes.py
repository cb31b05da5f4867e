"""Cell boxes as lineage: stg_cells → fct_amount → exports, migration 0004 → 0005, quarantine CSV (real databases)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, inspect, select, text
from typer.testing import CliRunner

from extract.models import ExtractionIssue
from flows import pipeline
from flows.cli import app
from flows.flow import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings
from tests.test_warehouse_load import make_document, make_facts, make_tables, sample_cells
from transform.stage import StagedDocument
from transform.stg_cells import BOX_COLUMNS, STG_CELLS_COLUMNS
from warehouse.db import downgrade, make_engine, upgrade
from warehouse.export import FACT_COLUMNS, export_facts, list_tables
from warehouse.load import load_document
from warehouse.models import Base
from warehouse.tables import FCT_AMOUNT

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
runner = CliRunner()

#: the columns fct_amount had before 0005, in order (append only: they must not move)
FACT_COLUMNS_0004 = [
    "amount_key", "document_key", "department_key", "fiscal_year", "table_code", "functional_key", "economic_key",
    "line_item_key", "measure_key", "amount", "amount_text", "unit", "amount_yuan", "is_total", "page", "row_index",
    "col_index", "dq_flag",
]
EXPORT_COLUMNS_0004 = [
    "document_sha256", "source_file", "department", "fiscal_year", "phase", "table_code", "functional_code",
    "functional_name", "economic_code", "economic_name", "line_item", "parent_line_item", "measure", "amount", "unit",
    "amount_yuan", "page", "row_index", "col_index", "is_total",
]


def boxed_cells(shift: float = 0.0) -> list[dict[str, Any]]:
    """The loader tests' sample cells with a box each (unrounded input), except the last (unknown box)."""
    cells = sample_cells()
    for n, cell in enumerate(cells[:-1]):
        cell.update(
            cell_x0=56.694 + 10 * n + shift,
            cell_top=100.125 + 20 * n,
            cell_x1=120.5 + 10 * n + shift,
            cell_bottom=118.4449 + 20 * n,
        )
    cells[-1].update(dict.fromkeys(BOX_COLUMNS))
    return cells


def expected_boxes(cells: list[dict[str, Any]]) -> dict[tuple[str, int, int, int], tuple[float | None, ...]]:
    """Position → box as stored: rounded to 0.01, None when unknown."""
    return {
        (c["table_code"], c["page"], c["row_index"], c["col_index"]): tuple(
            None if c[k] is None else round(c[k], 2) for k in BOX_COLUMNS
        )
        for c in cells
    }


def stored_boxes(engine: Engine) -> dict[tuple[str, int, int, int], tuple[Any, ...]]:
    f = FCT_AMOUNT.c
    stmt = select(f.table_code, f.page, f.row_index, f.col_index, f.cell_x0, f.cell_top, f.cell_x1, f.cell_bottom)
    with engine.connect() as conn:
        return {tuple(r[:4]): tuple(r[4:]) for r in conn.execute(stmt)}  # type: ignore[misc]


def amount_keys(engine: Engine) -> dict[tuple[Any, ...], int]:
    f = FCT_AMOUNT.c
    with engine.connect() as conn:
        return {tuple(r[1:]): r[0] for r in conn.execute(select(f.amount_key, f.table_code, f.page, f.row_index, f.col_index))}


def load_boxed(engine: Engine, cells: list[dict[str, Any]]) -> None:
    load_document(
        engine,
        document=make_document(),
        facts=make_facts(),
        pages=24,
        stg_cells=pd.DataFrame(cells, columns=list(STG_CELLS_COLUMNS)),
        tables=make_tables(),
        pipeline_version="0.1.0",
    )


def _box_or_none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


# ---------------------------------------------------------------- stg_cells → fct_amount → exports


def test_boxes_round_trip_from_stg_cells_to_fct_amount_and_every_export(
    warehouse_engine: Engine, warehouse_url: str, tmp_path: Path
) -> None:
    cells = boxed_cells()
    want = expected_boxes(cells)
    load_boxed(warehouse_engine, cells)
    assert stored_boxes(warehouse_engine) == want
    assert want[("06", 8, 6, 4)] == (None, None, None, None)  # the unknown box stays NULL
    assert want[("01", 3, 4, 1)] == (56.69, 100.12, 120.5, 118.44)

    # the append-only contract: the old columns keep their places, the box columns after them (then 0010's lineage)
    fct_columns = [c["name"] for c in inspect(warehouse_engine).get_columns("fct_amount")]
    assert fct_columns == [*FACT_COLUMNS_0004, *BOX_COLUMNS, "extraction_method", "sheet", "sheet_row", "sheet_col", "amount_stored", "ocr_confidence"]
    assert list(FACT_COLUMNS) == [
        *EXPORT_COLUMNS_0004, *BOX_COLUMNS, "table_title", "table_type", "sheet", "row", "col", "extraction_method", "amount_stored",
        "ocr_confidence",
    ]  # 0008, then 0010 and 0011 after

    frame = export_facts(warehouse_engine)
    assert list(frame.columns) == list(FACT_COLUMNS)
    exported = {
        (r["table_code"], r["page"], r["row_index"], r["col_index"]): tuple(_box_or_none(r[k]) for k in BOX_COLUMNS)
        for r in frame.to_dict("records")
    }
    assert exported == want

    # CSV (fiscal export facts): the four box columns after the 0004 ones, points as plain numbers, '' when unknown
    result = runner.invoke(app, ["export", "facts", "-w", warehouse_url])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == list(FACT_COLUMNS)
    from_csv = {
        (r["table_code"], int(r["page"]), int(r["row_index"]), int(r["col_index"])): tuple(
            float(r[k]) if r[k] else None for k in BOX_COLUMNS
        )
        for r in reader
    }
    assert from_csv == want

    # Parquet: float64 points (money stays decimal128), null when unknown
    parquet = tmp_path / "facts.parquet"
    result = runner.invoke(app, ["export", "facts", "-w", warehouse_url, "--format", "parquet", "--output", str(parquet)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(parquet)
    assert table.schema.names == list(FACT_COLUMNS)
    assert {str(table.schema.field(k).type) for k in BOX_COLUMNS} == {"double"}
    from_parquet = {
        (r["table_code"], r["page"], r["row_index"], r["col_index"]): tuple(r[k] for k in BOX_COLUMNS)
        for r in table.to_pylist()
    }
    assert from_parquet == want

    # Fiscal Data Package: the schema lists the four number fields last; the CSV carries them; it validates
    import frictionless

    result = runner.invoke(app, ["export", "fdp", str(tmp_path / "fdp"), "-w", warehouse_url])
    assert result.exit_code == 0, result.output
    descriptor = json.loads((tmp_path / "fdp" / "datapackage.json").read_text(encoding="utf-8"))
    fields = descriptor["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields[-4:]] == list(BOX_COLUMNS)
    assert {f["type"] for f in fields[-4:]} == {"number"}
    assert set(BOX_COLUMNS) <= set(descriptor["model"]["dimensions"]["lineage"]["attributes"])
    with (tmp_path / "fdp" / "facts.csv").open(encoding="utf-8", newline="") as handle:
        fdp_rows = list(csv.DictReader(handle))
    from_fdp = {
        (r["table_code"], int(r["page"]), int(r["row_index"]), int(r["col_index"])): tuple(
            float(r[k]) if r[k] else None for k in BOX_COLUMNS
        )
        for r in fdp_rows
    }
    assert from_fdp == want
    report = frictionless.validate(str(tmp_path / "fdp" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_a_reload_replaces_the_boxes_and_keeps_the_amount_keys(warehouse_engine: Engine) -> None:
    load_boxed(warehouse_engine, boxed_cells())
    keys = amount_keys(warehouse_engine)
    moved = boxed_cells(shift=1.5)
    moved[-1].update(cell_x0=10, cell_top=20, cell_x1=30, cell_bottom=40)  # a box learnt on the reload
    load_boxed(warehouse_engine, moved)  # every cell known: the kept-key path (COPY with amount_key on PostgreSQL)
    assert amount_keys(warehouse_engine) == keys
    assert stored_boxes(warehouse_engine) == expected_boxes(moved)

    fewer = boxed_cells()[:3] + [  # one cell new: the new-key path in the same load
        {**boxed_cells()[3], "row_index": 99, "cell_x0": 1.0, "cell_top": 2.0, "cell_x1": 3.0, "cell_bottom": 4.0}
    ]
    load_boxed(warehouse_engine, fewer)
    assert stored_boxes(warehouse_engine) == expected_boxes(fewer)


# ---------------------------------------------------------------- migration 0004 → 0005


def _dump_without_boxes(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every star table's rows, all columns but the 0005 ones and timestamps, in a stable order."""
    skip = {*BOX_COLUMNS, "outside_chars_pct", "loaded_at", "updated_at", "table_type"}  # 0008's: refilled from codes
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "etl_document_name":  # 0007's: dropped by the downgrade to 0004, refilled from etl_document
                continue
            cols = [c for c in table.c if c.name not in skip]
            out[table.name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*cols))]
    return out


def test_migration_0004_to_0005_keeps_existing_facts_with_null_boxes(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    try:
        upgrade(engine)
        tables = make_tables()
        tables[0] = dataclasses.replace(tables[0], outside_chars_pct=0.25)
        load_document(
            engine,
            document=make_document(),
            facts=make_facts(),
            pages=24,
            stg_cells=pd.DataFrame(boxed_cells(), columns=list(STG_CELLS_COLUMNS)),
            tables=tables,
            pipeline_version="0.1.0",
        )
        before = _dump_without_boxes(engine)
        assert len(before["fct_amount"]) == len(sample_cells())

        downgrade(engine, "0004")  # a warehouse as 0004 left it, with its facts
        assert [c["name"] for c in inspect(engine).get_columns("fct_amount")] == FACT_COLUMNS_0004
        assert "outside_chars_pct" not in {c["name"] for c in inspect(engine).get_columns("etl_table")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM v_fiscal_facts")).scalar_one() == len(sample_cells())

        upgrade(engine)
        assert _dump_without_boxes(engine) == before
        assert set(stored_boxes(engine).values()) == {(None, None, None, None)}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM etl_table WHERE outside_chars_pct IS NOT NULL")).scalar_one() == 0
            assert conn.execute(text("SELECT COUNT(*) FROM v_fiscal_facts")).scalar_one() == len(sample_cells())
        frame = export_facts(engine)
        assert frame[list(BOX_COLUMNS)].isna().all().all()
        assert list_tables(engine)["outside_chars_pct"].isna().all()

        # loading the document again fills the boxes in, keeping every amount_key
        keys = amount_keys(engine)
        load_boxed(engine, boxed_cells())
        assert amount_keys(engine) == keys
        assert stored_boxes(engine) == expected_boxes(boxed_cells())
    finally:
        engine.dispose()


# ---------------------------------------------------------------- quarantine CSV


def test_the_quarantine_csv_carries_the_boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    real_stage = pipeline.stage_document

    def stage_with_boxes_and_an_error(tables, unit):  # type: ignore[no-untyped-def]
        staged = real_stage(tables, unit)
        cells = staged.cells.copy()
        unknown = cells["cell_x0"].isna()
        # boxes where the extractor gave none (a stand-in until every grid carries its geometry)
        for k, column in enumerate(BOX_COLUMNS):
            filled = [float(10 * (n % 50) + (20 if k >= 2 else 0) + (0.25 if k % 2 else 0)) for n in range(len(cells))]
            cells[column] = [f if missing else v for f, v, missing in zip(filled, cells[column], unknown, strict=True)]
        issue = ExtractionIssue("a forced error (test)", 1, "03")
        return StagedDocument(cells, staged.tables, (*staged.issues, issue))

    monkeypatch.setattr(pipeline, "stage_document", stage_with_boxes_and_an_error)
    outcome = process_document(SEED_PDF, settings, engine, parallel=False)
    assert outcome.status == "quarantined" and outcome.facts_loaded == 0
    path = settings.quarantine_dir / f"{outcome.sha256}.cells.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(STG_CELLS_COLUMNS)
    assert len(frame) == 478
    x0, top, x1, bottom = (frame[c].astype(float) for c in BOX_COLUMNS)
    assert ((x0 < x1) & (top < bottom)).all()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM fct_amount")).scalar_one() == 0
