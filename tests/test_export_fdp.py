"""Exports of the samples' real facts: Parquet (decimal128) against CSV, and the Fiscal Data Package."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from flows.cli import app
from tests.sample_loads import load_samples
from warehouse.export import FACT_COLUMNS, export_facts
from warehouse.fdp import (
    FDP_MODEL_PROFILE,
    MEASURE_COLUMNS,
    direction_of,
    phase_of,
)

runner = CliRunner()

INT_COLUMNS = {"fiscal_year", "page", "row_index", "col_index"}
DECIMAL_COLUMNS = {"amount", "amount_yuan"}
BOX_COLUMNS = ("cell_x0", "cell_top", "cell_x1", "cell_bottom")


@pytest.fixture
def loaded(warehouse_engine: Engine, warehouse_url: str) -> tuple[Engine, str]:
    """Both sample documents loaded (real staged cells), on SQLite and on PostgreSQL."""
    results = load_samples(warehouse_engine)
    assert [r.facts_loaded for r in results] == [478, 195]
    return warehouse_engine, warehouse_url


def _csv_value(column: str, text: str) -> Any:
    """The typed value a CSV export cell stands for ('' is no value)."""
    if text == "":
        return None
    if column in DECIMAL_COLUMNS:
        return Decimal(text)
    if column in INT_COLUMNS:
        return int(text)
    if column == "is_total":
        return {"True": True, "False": False}[text]
    if column in BOX_COLUMNS:
        return float(text)
    return text


# ---------------------------------------------------------------- parquet


def test_parquet_round_trip_equals_csv_export_value_by_value(loaded: tuple[Engine, str], tmp_path: Path) -> None:
    _, url = loaded
    csv_path, parquet_path = tmp_path / "facts.csv", tmp_path / "facts.parquet"
    for fmt, path in (("csv", csv_path), ("parquet", parquet_path)):
        result = runner.invoke(app, ["export", "facts", "-w", url, "--format", fmt, "--output", str(path)])
        assert result.exit_code == 0, result.output

    table = pq.read_table(parquet_path)
    assert table.schema.names == list(FACT_COLUMNS)
    assert table.schema.field("amount").type == pa.decimal128(20, 4)
    assert table.schema.field("amount_yuan").type == pa.decimal128(20, 2)
    # money is never float; only the cell boxes (points on the page) and the OCR confidence (0–1) are
    assert [f.name for f in table.schema if pa.types.is_floating(f.type)] == [*BOX_COLUMNS, "ocr_confidence"]
    assert list(FACT_COLUMNS[20:24]) == list(BOX_COLUMNS) and FACT_COLUMNS[24:26] == ("table_title", "table_type")
    assert FACT_COLUMNS[26:] == ("sheet", "row", "col", "extraction_method", "amount_stored", "ocr_confidence")  # [5/7], [6/7]

    with csv_path.open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    parquet_rows = table.to_pylist()
    assert len(csv_rows) == len(parquet_rows) == 478 + 195
    for number, (from_csv, from_parquet) in enumerate(zip(csv_rows, parquet_rows, strict=True)):
        for column in FACT_COLUMNS:
            expected = _csv_value(column, from_csv[column])
            assert from_parquet[column] == expected, (number, column, from_csv[column], from_parquet[column])
            if column in DECIMAL_COLUMNS and expected is not None:
                assert isinstance(from_parquet[column], Decimal)


def test_parquet_keeps_published_amounts_exact(loaded: tuple[Engine, str], tmp_path: Path) -> None:
    engine, url = loaded
    path = tmp_path / "facts.parquet"
    assert runner.invoke(app, ["export", "facts", "-w", url, "--format", "parquet", "--output", str(path)]).exit_code == 0
    table = pq.read_table(path)
    frame = export_facts(engine)
    # the published string (scale as printed) and the stored decimal are the same number
    assert [Decimal(a) for a in frame["amount"]] == table.column("amount").to_pylist()
    assert sum(table.column("amount_yuan").to_pylist(), Decimal(0)) == sum(frame["amount_yuan"], Decimal(0))


def test_parquet_needs_an_output_file_and_unknown_formats_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    result = runner.invoke(app, ["export", "facts", "-w", url, "--format", "parquet"])
    assert result.exit_code == 2
    assert "--output" in result.output
    result = runner.invoke(app, ["export", "facts", "-w", url, "--format", "xlsx"], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "'xlsx' is not one of 'csv', 'parquet'" in result.output


# ---------------------------------------------------------------- Fiscal Data Package


@pytest.mark.parametrize(
    ("table", "measure", "direction"),
    [
        ("01", "收入/金额", "revenue"),
        ("01", "支出/决算数", "expenditure"),
        ("02", "本年收入合计", "revenue"),
        ("02", "财政拨款收入", "revenue"),
        ("03", "基本支出", "expenditure"),
        ("04", "支出/政府性基金预算财政拨款", "expenditure"),
        ("05", "合计", "expenditure"),
        ("06", "人员经费/决算数", "expenditure"),
        ("07", "预算数/公务接待费", "expenditure"),
        ("08", "年初结转和结余", "revenue"),
        ("08", "年末结转和结余", "expenditure"),
        ("08", "本年收入", "revenue"),
        ("09", "本年支出/合计", "expenditure"),
    ],
)
def test_direction_follows_the_table_and_the_column_side(table: str, measure: str, direction: str) -> None:
    assert direction_of(table, measure) == direction


@pytest.mark.parametrize(
    ("measure", "document_phase", "phase"),
    [
        ("预算数/合计", "决算", "approved"),  # 三公 budget column inside a 决算
        ("财政拨款“三公”经费/公务接待费/预算数", "决算", "approved"),
        ("决算数/公务接待费", "决算", "executed"),
        ("本年支出合计", "决算", "executed"),
        ("本年支出合计", "预算", "approved"),
        ("人员经费/决算数", "预算", "executed"),
    ],
)
def test_phase_is_the_column_stage_else_the_document_phase(measure: str, document_phase: str, phase: str) -> None:
    assert phase_of(measure, document_phase) == phase


def _export_fdp(url: str, directory: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["export", "fdp", str(directory), "-w", url])
    assert result.exit_code == 0, result.output
    return json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))


def test_fdp_package_is_valid_for_frictionless_and_the_fdp_profile(loaded: tuple[Engine, str], tmp_path: Path) -> None:
    import frictionless
    from frictionless import Metadata

    engine, url = loaded
    descriptor = _export_fdp(url, tmp_path / "fdp")

    report = frictionless.validate(str(tmp_path / "fdp" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert report.stats["errors"] == 0
    assert report.tasks[0].stats["rows"] == 478 + 195

    assert list(Metadata.metadata_validate(descriptor, profile=FDP_MODEL_PROFILE)) == []

    # what the FDP spec asks of the model, checked field by field
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    measures = descriptor["model"]["measures"]
    assert set(measures) == set(MEASURE_COLUMNS.values())
    for measure in measures.values():
        assert measure["currency"] == "CNY" and measure["factor"] == 1
        assert measure["direction"] in ("expenditure", "revenue")
        assert measure["phase"] in ("approved", "executed")
        assert fields[measure["source"]]["type"] == "number"
    dimensions = descriptor["model"]["dimensions"]
    kinds = {d.get("classificationType"): name for name, d in dimensions.items()}
    assert {"functional", "economic", "administrative"} <= set(kinds)
    assert dimensions[kinds["functional"]]["primaryKey"] == "functional_code"
    assert dimensions[kinds["economic"]]["primaryKey"] == "economic_code"
    assert dimensions[kinds["administrative"]]["primaryKey"] == "department"
    assert dimensions["date"]["dimensionType"] == "datetime"
    assert fields["fiscal_year"]["type"] == "integer"
    lineage = dimensions["lineage"]["attributes"]
    assert {"document_sha256", "page", "table_code", "row_index", "col_index"} <= set(lineage)
    for dimension in dimensions.values():
        for attribute in dimension["attributes"].values():
            assert attribute["source"] in fields
        keys = dimension["primaryKey"]
        assert set([keys] if isinstance(keys, str) else keys) <= set(dimension["attributes"])
    assert descriptor["fiscalPeriod"] == {"start": "2020-01-01", "end": "2024-12-31"}

    # the data: one measure column filled per row, and the money adds up to the warehouse's, in 元
    with (tmp_path / "fdp" / "facts.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(sum(1 for c in MEASURE_COLUMNS.values() if row[c] != "") == 1 for row in rows)
    fdp_total = sum((Decimal(row[c]) for row in rows for c in MEASURE_COLUMNS.values() if row[c]), Decimal(0))
    assert fdp_total == sum(export_facts(engine)["amount_yuan"], Decimal(0))
    approved = [row for row in rows if row["approved_expenditure"]]
    assert approved and {row["table_code"] for row in approved} == {"07"}


def test_fdp_checks_can_fail(loaded: tuple[Engine, str], tmp_path: Path) -> None:
    import frictionless
    from frictionless import Metadata

    _, url = loaded
    descriptor = _export_fdp(url, tmp_path / "fdp")
    broken = json.loads(json.dumps(descriptor))
    broken["model"]["measures"]["executed_expenditure"]["currency"] = "元"
    del broken["model"]["dimensions"]["date"]["primaryKey"]
    notes = [e.note for e in Metadata.metadata_validate(broken, profile=FDP_MODEL_PROFILE)]
    assert len(notes) == 2 and any("currency" in n for n in notes) and any("primaryKey" in n for n in notes)

    data = tmp_path / "fdp" / "facts.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",2846.52,", ",2846.52元,", 1)
    assert "2846.52元" in lines[1]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = frictionless.validate(str(tmp_path / "fdp" / "datapackage.json"))
    assert not report.valid
    assert {e.type for e in report.tasks[0].errors} == {"type-error"}


def test_exports_keep_to_current_documents(loaded: tuple[Engine, str], tmp_path: Path) -> None:
    import hashlib

    from extract.models import Document
    from tests.sample_loads import staged_samples
    from warehouse.load import load_document

    engine, url = loaded
    first = staged_samples()[0]
    corrected = hashlib.sha256(b"corrected republication").hexdigest()
    load_document(  # same department, year, phase and scope: supersedes the first document
        engine,
        document=Document(sha256=corrected, source="x", source_file="corrected.pdf", path=first.document.path, size=1),
        facts=first.facts,
        pages=first.pages,
        stg_cells=first.staged.cells,
        tables=first.staged.tables,
        pipeline_version="test",
    )
    _export_fdp(url, tmp_path / "fdp")
    with (tmp_path / "fdp" / "facts.csv").open(encoding="utf-8", newline="") as handle:
        shas = [row["document_sha256"] for row in csv.DictReader(handle)]
    assert len(shas) == 478 + 195
    assert corrected in shas and first.document.sha256 not in shas
    path = tmp_path / "facts.parquet"
    assert runner.invoke(app, ["export", "facts", "-w", url, "--format", "parquet", "--output", str(path)]).exit_code == 0
    assert set(pq.read_table(path).column("document_sha256").to_pylist()) == set(shas)
