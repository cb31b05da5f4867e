"""Every fact says what kind of table it comes from (table_type) and the table's printed title (table_title)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from extract.table_types import FINAL_TABLE_TYPES
from flows.engine import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings
from warehouse.db import downgrade, upgrade
from warehouse.export import FACT_COLUMNS, export_facts

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"


def test_facts_carry_their_tables_type_and_title_and_the_migration_fills_old_rows(tmp_path: Path) -> None:
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")
    engine = warehouse_engine(settings.warehouse_url)
    assert process_document(SEED_PDF, settings, engine, parallel=False).status == "loaded"
    assert FACT_COLUMNS[24:26] == ("table_title", "table_type")  # appended: the earlier columns keep their places
    facts = export_facts(engine)
    kinds = facts.groupby("table_code")["table_type"].unique().to_dict()
    assert {code: list(v) for code, v in kinds.items()} == {code: [FINAL_TABLE_TYPES[code]] for code in kinds}
    titles = dict(zip(facts["table_code"], facts["table_title"], strict=False))
    assert titles["01"] == "收入支出决算总表" and titles["05"] == "一般公共预算财政拨款支出决算表"
    downgrade(engine, "0007")
    upgrade(engine)
    with engine.connect() as conn:
        filled = dict(conn.execute(text("SELECT table_code, table_type FROM etl_table")).all())
    assert filled == {code: FINAL_TABLE_TYPES[code] for code in filled} and len(filled) == 9
