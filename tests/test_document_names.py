"""Every name a document's bytes came under is kept (etl_document_name), listed by `fiscal show`."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import process_document
from flows.settings import Settings
from warehouse.db import upgrade
from warehouse.document_names import ETL_DOCUMENT_NAME, document_names, record_document_name
from warehouse.models import EtlDocumentName

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"


def test_the_core_handle_matches_the_model() -> None:
    model = EtlDocumentName.__table__
    assert [c.name for c in ETL_DOCUMENT_NAME.columns] == [c.name for c in model.columns]
    for handle in ETL_DOCUMENT_NAME.columns:
        assert type(handle.type) is type(model.c[handle.name].type)


def test_names_are_kept_once_each_and_listed_first_seen_first(warehouse_engine: Engine) -> None:
    record_document_name(warehouse_engine, "a" * 64, "in/a.pdf", "a.pdf")
    record_document_name(warehouse_engine, "a" * 64, "in/b.pdf", "b.pdf")
    record_document_name(warehouse_engine, "a" * 64, "in/a.pdf", "a.pdf")
    record_document_name(warehouse_engine, "a" * 64, "in/b.pdf", "b-renamed.pdf")
    assert document_names(warehouse_engine, "a" * 64) == [("in/a.pdf", "a.pdf"), ("in/b.pdf", "b-renamed.pdf")]
    assert document_names(warehouse_engine, "b" * 64) == []


def test_the_same_bytes_under_two_names_keep_both_and_show_lists_them(tmp_path: Path) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    from flows.engine import warehouse_engine

    engine = warehouse_engine(settings.warehouse_url)
    upgrade(engine)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    shutil.copyfile(SEED_PDF, first)
    shutil.copyfile(SEED_PDF, second)
    seen: dict[str, str] = {}
    loaded = process_document(first, settings, engine, parallel=False, seen=seen)
    assert process_document(second, settings, engine, parallel=False, seen=seen).status == "duplicate"
    process_document(first, settings, engine, parallel=False)  # the same file again, in a later run
    assert [name for _, name in document_names(engine, loaded.sha256)] == ["first.pdf", "second.pdf"]
    shown = CliRunner().invoke(app, ["show", loaded.sha256[:12], "-w", settings.warehouse_url], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert f"first.pdf from {first}" in shown.output and f"second.pdf from {second}" in shown.output


def test_the_migration_gives_existing_documents_their_current_name(tmp_path: Path) -> None:
    from warehouse.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO etl_document (sha256, source, source_file, status, reasons, tables_found, facts_loaded,"
            " pipeline_version, updated_at) VALUES ('c', 'in/c.pdf', 'c.pdf', 'loaded', '[]', 9, 478, '1',"
            " '2026-01-01 00:00:00')"
        ))
    upgrade(engine)
    assert document_names(engine, "c") == [("in/c.pdf", "c.pdf")]
