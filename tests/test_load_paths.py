"""Paths of the fast loader that the main loader tests do not reach: COPY escaping, the one-statement
dimension get-or-create, skipped deletes for new documents, widened subject years, and the same
stored result on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.test_warehouse_load import cell, dump, load, make_document, make_facts, make_stg, make_tables
from warehouse import load as load_module
from warehouse.bookkeeping import FindingRow
from warehouse.db import make_engine, upgrade
from warehouse.load import record_document
from warehouse.tables import FCT_AMOUNT, LINE_ITEM
from warehouse.writers import fact_writer

AWKWARD = "a\tb\\c\nd\re 行"  # every character COPY text format escapes, plus CJK


def awkward_cells() -> list[dict[str, Any]]:
    return [
        cell("01", 3, 1, 1, "收入/金额", "1.5", item=AWKWARD, parent="\\N"),
        cell("01", 3, 2, 1, "收入/金额", "-0.0001", item="\\N"),
        cell("02", 4, 3, 2, "本年\t收入", "99999999.9999", f=("201", "名称\\带反斜杠")),
        cell("06", 8, 5, 1, "人员经费/决算数", "123456789012.1234", e=("301", "工资\n福利")),
    ]


def facts_of(engine: Engine) -> list[tuple[Any, ...]]:
    f = FCT_AMOUNT.c
    columns = [c for c in FCT_AMOUNT.c if c.name != "amount_key"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(f.table_code, f.row_index, f.col_index))]


def test_awkward_text_and_amounts_round_trip_exactly(warehouse_engine: Engine) -> None:
    load(warehouse_engine, stg=make_stg(awkward_cells()))
    with warehouse_engine.connect() as conn:
        items = set(conn.exec_driver_sql("SELECT line_item, parent_line_item FROM dim_line_item").all())
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM dim_functional_subject").all()}
        economic = {r[0] for r in conn.exec_driver_sql("SELECT name FROM dim_economic_subject").all()}
        measures = {r[0] for r in conn.exec_driver_sql("SELECT header_path FROM dim_measure").all()}
    assert items == {(AWKWARD, "\\N"), ("\\N", "")}
    assert names == {"名称\\带反斜杠"} and economic == {"工资\n福利"} and "本年\t收入" in measures
    rows = facts_of(warehouse_engine)
    amounts = sorted((r[9], r[8]) for r in rows)  # amount_text, amount
    assert amounts == sorted(
        (t, Decimal(t)) for t in ("1.5", "-0.0001", "99999999.9999", "123456789012.1234")
    )


def test_same_input_gives_the_same_rows_on_sqlite_and_postgresql(
    tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    pytest.importorskip("psycopg")
    try:
        pg_url = request.getfixturevalue("postgres_url")
    except pytest.skip.Exception:
        pytest.skip("PostgreSQL not available")
    engines = [make_engine(f"sqlite:///{tmp_path / 'same.sqlite'}"), make_engine(pg_url)]
    try:
        dumps = []
        for engine in engines:
            upgrade(engine)
            load(engine, stg=make_stg(awkward_cells()))
            load(engine, document=make_document("second.pdf"), facts=make_facts(fiscal_year=2021))
            load(engine, stg=make_stg(awkward_cells()[:2]))  # reload: fewer cells, kept keys
            # timestamps (loaded_at, first_loaded_at, …) differ by when the load ran, nothing else may
            dumps.append(
                {t: [tuple(v for v in r if not isinstance(v, datetime)) for r in rows] for t, rows in dump(engine).items()}
            )
        assert dumps[0] == dumps[1]
    finally:
        for engine in engines:
            engine.dispose()


def test_reload_keeps_amount_keys_and_copies_new_cells(warehouse_engine: Engine) -> None:
    cells = awkward_cells()
    load(warehouse_engine, stg=make_stg(cells[:2]))
    with warehouse_engine.connect() as conn:
        before = dict(conn.execute(select(FCT_AMOUNT.c.row_index, FCT_AMOUNT.c.amount_key)).tuples().all())
    load(warehouse_engine, stg=make_stg(cells))
    with warehouse_engine.connect() as conn:
        after = dict(conn.execute(select(FCT_AMOUNT.c.row_index, FCT_AMOUNT.c.amount_key)).tuples().all())
    assert {k: after[k] for k in before} == before
    assert len(after) == 4 and len(set(after.values())) == 4
    assert min(after[3], after[5]) > max(before.values())  # new cells: fresh keys from the sequence


def test_new_document_skips_deletes_but_a_recorded_one_is_replaced(
    warehouse_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    real = load_module.replace_findings

    def spy(conn: Any, writer: Any, sha256: str, rows: Any, *, fresh: bool = False) -> None:
        calls.append(fresh)
        real(conn, writer, sha256, rows, fresh=fresh)

    monkeypatch.setattr(load_module, "replace_findings", spy)
    document = make_document("recorded.pdf")
    record_document(
        warehouse_engine,
        document=document,
        facts=make_facts(),
        pages=3,
        status="failed",
        reasons=["x"],
        tables=make_tables(),
        pipeline_version="0",
        findings=[FindingRow("r1", "error", "failure"), FindingRow("r2", "warn", "warning")],
    )
    load(warehouse_engine, document=document, findings=[FindingRow("r3", "warn", "note")])
    load(warehouse_engine, document=make_document("brand_new.pdf"))
    assert calls == [False, False, True]  # record_document, load after record, first load
    with warehouse_engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT sha256, rule FROM etl_finding").all()
        tables = conn.exec_driver_sql("SELECT sha256, COUNT(*) FROM etl_table GROUP BY sha256").all()
    assert [r[1] for r in found] == ["r3"]
    assert sorted(n for _, n in tables) == [len(make_tables())] * 2


def test_subject_years_widen_both_ways(warehouse_engine: Engine) -> None:
    subject = [cell("02", 4, 6, 2, "本年收入合计", "1.00", f=("201", "一般公共服务支出"))]
    for number, year in enumerate((2022, 2020, 2024, 2021)):
        load(
            warehouse_engine,
            document=make_document(f"y{number}.pdf"),
            stg=make_stg(subject),
            facts=make_facts(fiscal_year=year),
        )
    with warehouse_engine.connect() as conn:
        years = conn.exec_driver_sql("SELECT valid_from_year, valid_to_year FROM dim_functional_subject").all()
    assert [tuple(r) for r in years] == [(2020, 2024)]


def test_dimension_get_or_create_finds_existing_and_creates_missing(warehouse_engine: Engine) -> None:
    members = {
        ("01", "甲", ""): ("01", "甲", ""),
        ("01", "乙", "甲"): ("01", "乙", "甲"),
    }
    more = {**members, ("02", "丙", ""): ("02", "丙", "")}
    writer = fact_writer(warehouse_engine)
    with warehouse_engine.begin() as conn:
        [first] = writer.get_or_create(conn, [(LINE_ITEM, members)])
        [second] = writer.get_or_create(conn, [(LINE_ITEM, more)])
        stored = {
            (t, li, p): k
            for k, t, li, p in conn.exec_driver_sql(
                "SELECT line_item_key, table_code, line_item, parent_line_item FROM dim_line_item"
            )
        }
    assert {k: v[0] for k, v in second.items()} == stored
    assert {k: second[k] for k in members} == first
