"""`fiscal browse` (Datasette) and `fiscal export sqlite`: metadata for every column, canned queries, the JSON API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.test_site_common import BuiltSite, build_sample_site
from warehouse.db import make_engine, upgrade
from warehouse.site.browse import CANNED, datasette_metadata, undocumented, warehouse_columns
from warehouse.site.data import to_decimal
from warehouse.site.snapshot import export_sqlite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_sample_site(tmp_path_factory.mktemp("browse-site"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(site: BuiltSite) -> Iterator[str]:
    """`fiscal browse` on the sample warehouse with the site mounted, as a user starts it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-c", "from flows.cli import app; app()", "browse", "-w", site.url, "--port", str(port),
         "--site", str(site.folder)],  # fmt: skip
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the Datasette child stops with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "fiscal browse did not answer in 60 s"
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_every_table_and_view_column_is_described(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    upgrade(engine)
    columns = warehouse_columns(engine)
    assert {"fct_amount", "v_fiscal_facts", "v_budget_execution", "v_data_quality"} <= set(columns)
    assert undocumented(columns) == []
    metadata = datasette_metadata(engine, "w")
    tables = metadata["databases"]["w"]["tables"]
    assert "元" in tables["v_fiscal_facts"]["columns"]["amount_yuan"]
    assert "points" in tables["fct_amount"]["columns"]["cell_x0"]
    queries = metadata["databases"]["w"]["queries"]
    assert set(queries) == set(CANNED)
    with engine.connect() as conn:  # every canned query runs as written
        for query in queries.values():
            conn.execute(text(query["sql"]), {"department": "", "year": ""}).all()


def test_browse_serves_the_json_api_with_metadata_canned_queries_and_site_links(site: BuiltSite, server: str) -> None:
    database = "warehouse"
    facts = httpx.get(f"{server}/{database}/v_fiscal_facts.json", params={"_shape": "array", "_size": "max"}).json()
    assert len(facts) == 478 + 195
    rows = httpx.get(
        f"{server}/{database}/facts.json",
        params={"_shape": "array", "department": "普陀", "year": "2024", "_size": "max"},
    ).json()
    assert len(rows) == 195 and {r["department"] for r in rows} == {"上海市普陀区财政局"}
    link = rows[0]["site_cell"]
    assert link.startswith(f"{server}/site/documents/") and link.endswith(f"#a{rows[0]['amount_key']}")
    page = httpx.get(link.split("#")[0])
    assert page.status_code == 200 and f'id="a{rows[0]["amount_key"]}"' in page.text
    budget = httpx.get(f"{server}/{database}/budget_execution.json", params={"_shape": "array", "department": "", "year": ""})
    assert budget.status_code == 200 and budget.json()
    metadata = httpx.get(f"{server}/-/metadata.json").json()
    described = metadata["databases"][database]["tables"]["v_budget_execution"]["columns"]
    assert "元" in described["budget_yuan"] and set(described) >= {"execution_rate", "final_yuan"}
    # read-only: Datasette opened the file immutable, writes are refused
    write = httpx.post(f"{server}/{database}", data={"sql": "DELETE FROM fct_amount"})
    assert write.status_code in (400, 403, 404, 405)
    assert len(httpx.get(f"{server}/{database}/fct_amount.json", params={"_shape": "array", "_size": "max"}).json()) == 673


def test_browse_refuses_postgresql_and_names_the_snapshot(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["browse", "-w", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "fiscal export sqlite" in result.output


@pytest.mark.postgres
def test_export_sqlite_snapshots_postgresql_with_its_views(postgres_url: str, tmp_path: Path, site: BuiltSite) -> None:
    from tests.sample_loads import load_samples

    source = make_engine(postgres_url)
    upgrade(source)
    load_samples(source)
    target = tmp_path / "snapshot.sqlite"
    counts = export_sqlite(source, target)
    assert counts["fct_amount"] == 673
    snapshot = make_engine(f"sqlite:///{target}")
    query = "SELECT department, code, amount_yuan FROM v_expenditure_by_function WHERE level = '类' ORDER BY 1, 2, 3"
    with source.connect() as a, snapshot.connect() as b:
        pg = [(d, c, to_decimal(v)) for d, c, v in a.execute(text(query))]
        lite = [(d, c, to_decimal(v)) for d, c, v in b.execute(text(query))]
    assert pg and pg == lite  # the same Decimals (SQLite hands back ints/floats of the exact values)
    assert undocumented(warehouse_columns(snapshot)) == []
