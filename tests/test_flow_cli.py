"""End to end through Prefect (prefect_test_harness) and the Typer CLI (CliRunner), on a temp SQLite warehouse."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from typer.testing import CliRunner

from flows.cli import app
from flows.flow import run, warehouse_engine
from flows.settings import Settings
from tests.golden import load_golden, score

ROOT = Path(__file__).resolve().parents[1]
SEED_PDF = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
PUTUO_PDF = ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A folder as users have them: two good 决算 PDFs, a non-PDF and a truncated PDF."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(SEED_PDF, folder / SEED_PDF.name)
    shutil.copy(PUTUO_PDF, folder / PUTUO_PDF.name)
    (folder / "notes.pdf").write_text("<html>not a pdf</html>", encoding="utf-8")
    (folder / "cut.pdf").write_bytes(SEED_PDF.read_bytes()[:20000])
    return folder


def _settings(tmp_path: Path) -> Settings:
    return Settings(warehouse_url=f"sqlite:///{tmp_path / 'wh.sqlite'}", data_dir=tmp_path / "data")


def _dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every warehouse table, timestamps left out."""
    engine = warehouse_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            cols = [c for c in table.columns if not c.name.endswith("_at")]
            out[name] = sorted(conn.execute(select(*cols)).all(), key=repr)
    return out


def test_flow_loads_good_documents_and_records_bad_ones_without_stopping(batch: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    summary = run(sorted(batch.iterdir()), settings)
    by_name = {o.source_file: o for o in summary.outcomes}
    assert by_name[SEED_PDF.name].status == "loaded" and by_name[SEED_PDF.name].facts_loaded == 478
    assert by_name[PUTUO_PDF.name].status == "loaded" and by_name[PUTUO_PDF.name].facts_loaded == 195
    assert by_name["notes.pdf"].status == "failed" and "notes.pdf: not a PDF" in by_name["notes.pdf"].reasons[0]
    assert by_name["cut.pdf"].status == "failed" and "cut.pdf: truncated PDF" in by_name["cut.pdf"].reasons[0]
    assert not summary.ok
    # nothing received is lost: every file's bytes are in the raw store
    assert len(list((tmp_path / "data" / "raw").glob("*.pdf"))) == 4


def test_running_the_same_input_twice_leaves_the_warehouse_identical(batch: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    run(sorted(batch.iterdir()), settings)
    first = _dump(settings.warehouse_url)
    run(sorted(batch.iterdir()), settings)
    assert _dump(settings.warehouse_url) == first
    assert len(first["fct_amount"]) == 478 + 195


def test_tampered_amount_quarantines_the_document_and_the_rest_loads(tmp_path: Path) -> None:
    seed_text = (ROOT / "samples" / "seed" / "changsha_zwfwzx_2020_juesuan.txt").read_text(encoding="utf-8")
    # one 03 表 cell changed by 100.00: 2010302 一般行政管理事务, 本年支出合计 1,638.45 → 1,738.45
    before, marker, after = seed_text.partition("支出决算表\n\n公开 03 表")
    assert marker
    tampered_line = "2010302\t一般行政管理事务\t1,638.45\t0.00\t1,638.45"
    assert tampered_line in after
    after = after.replace(tampered_line, tampered_line.replace("\t1,638.45\t0.00", "\t1,738.45\t0.00"), 1)
    seed = tmp_path / "tampered.txt"
    seed.write_text(before + marker + after, encoding="utf-8")
    folder = tmp_path / "batch"
    folder.mkdir()
    subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_seed_pdf.py"), "--seed", str(seed), "--out", str(folder / "tampered.pdf")],
        check=True,
    )
    shutil.copy(PUTUO_PDF, folder / PUTUO_PDF.name)
    summary = run(sorted(folder.iterdir()), _settings(tmp_path))
    by_name = {o.source_file: o for o in summary.outcomes}
    bad = by_name["tampered.pdf"]
    assert bad.status == "quarantined" and bad.facts_loaded == 0
    reason = " ".join(bad.reasons)
    assert "table 03" in reason and "20103" in reason and "+100.00" in reason.replace("-100.00", "+100.00")
    assert by_name[PUTUO_PDF.name].status == "loaded"
    # the quarantined document's extracted cells and reasons are kept
    assert (tmp_path / "data" / "quarantine" / f"{bad.sha256}.cells.csv").exists()


def test_cli_run_export_documents_show(batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    runner = CliRunner()
    result = runner.invoke(app, ["run", str(batch), "--warehouse", url])
    assert result.exit_code == 1, result.output  # two bad files: non-zero exit
    assert "loaded: 2" in result.stderr and "failed: 2" in result.stderr

    result = runner.invoke(app, ["export", "facts", "--warehouse", url])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0].keys() >= {
        "document_sha256", "source_file", "department", "fiscal_year", "phase", "table_code", "functional_code",
        "functional_name", "economic_code", "economic_name", "line_item", "parent_line_item", "measure", "amount",
        "unit", "amount_yuan", "page",
    }
    for golden_name, pdf in (("changsha_zwfwzx_2020_juesuan.json", SEED_PDF), ("shanghai-putuo_finance-bureau_2024_juesuan.json", PUTUO_PDF)):
        mine = [r for r in rows if r["source_file"] == pdf.name]
        misses, extras = score(load_golden(golden_name), mine)
        assert not misses and not extras, (golden_name, misses[:3], extras[:3])

    result = runner.invoke(app, ["documents", "--warehouse", url])
    docs = {r["source"].rsplit("/", 1)[-1]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(next(iter(docs.values())).keys())[:10] == [
        "sha256", "source", "department", "fiscal_year", "phase", "status", "reasons", "pages", "tables_found", "facts_loaded"
    ]
    assert docs[SEED_PDF.name]["status"] == "loaded" and docs[SEED_PDF.name]["tables_found"] == "9"
    assert docs["cut.pdf"]["status"] == "failed"

    result = runner.invoke(app, ["documents", "--tables", "--warehouse", url])
    assert result.exit_code == 0
    tables = list(csv.DictReader(io.StringIO(result.stdout)))
    putuo = docs[PUTUO_PDF.name]["sha256"]
    empty = {t["table_code"] for t in tables if t["sha256"] == putuo and t["is_empty"] in ("True", "1", "true")}
    assert empty == {"08", "09"}

    result = runner.invoke(app, ["show", putuo[:10], "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert "上海市普陀区财政局" in result.stdout and "loaded" in result.stdout
    # quality signals per table: camelot's accuracy / whitespace, rows and cells, rounding notes
    assert "accuracy" in result.stdout and "whitespace" in result.stdout and "rounding" in result.stdout

    result = runner.invoke(app, ["show", "ffff", "--warehouse", url])
    assert result.exit_code == 2


def test_cli_export_of_one_document_by_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'one.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(SEED_PDF), "--warehouse", url]).exit_code == 0
    out = tmp_path / "facts.csv"
    sha = "".join(__import__("hashlib").sha256(SEED_PDF.read_bytes()).hexdigest())
    result = runner.invoke(app, ["export", "facts", "--warehouse", url, "--document", sha[:12], "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 478 and {r["document_sha256"] for r in rows} == {sha}
    assert {r["unit"] for r in rows} == {"万元"}


def test_cli_run_with_data_docs_writes_the_gx_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'docs.sqlite'}"
    result = CliRunner().invoke(app, ["run", str(PUTUO_PDF), "--warehouse", url, "--data-docs"])
    assert result.exit_code == 0, result.output
    index = tmp_path / "data" / "docs" / "index.html"
    assert index.is_file() and "Data Docs" in result.stderr
    html = index.read_text(encoding="utf-8")
    assert "stg_cells" in html  # the suites validated in this run are listed
