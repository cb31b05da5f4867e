"""A data steward's path: a quarantined document, its failure list, `fiscal accept`, retract / restore, aliases."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from flows.cli import app
from flows.flow import warehouse_engine
from flows.pipeline import process_document
from flows.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXT = ROOT / "samples" / "seed" / "changsha_zwfwzx_2020_juesuan.txt"
PUTUO_PDF = ROOT / "samples" / "shanghai-putuo_finance-bureau_2024_juesuan.pdf"
TAMPERED_LINE = "2010302\t一般行政管理事务\t1,638.45\t0.00\t1,638.45"


@pytest.fixture(scope="module")
def tampered_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed 决算 with one 03 表 cell raised by 100.00 (本年支出合计 of 2010302)."""
    folder = tmp_path_factory.mktemp("tampered")
    seed = SEED_TEXT.read_text(encoding="utf-8")
    before, marker, after = seed.partition("支出决算表\n\n公开 03 表")
    assert marker and TAMPERED_LINE in after
    after = after.replace(TAMPERED_LINE, TAMPERED_LINE.replace("\t1,638.45\t0.00", "\t1,738.45\t0.00"), 1)
    (folder / "tampered.txt").write_text(before + marker + after, encoding="utf-8")
    out = folder / "tampered.pdf"
    subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_seed_pdf.py"), "--seed", str(folder / "tampered.txt"), "--out", str(out)],
        check=True,
    )
    return out


@pytest.fixture
def steward_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, str]:
    """A temp warehouse and data dir, set in the environment for the CLI."""
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    return Settings(warehouse_url=url, data_dir=tmp_path / "data"), url


def _csv(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_quarantined_document_is_listed_shown_and_can_be_accepted(
    tampered_pdf: Path, steward_env: tuple[Settings, str]
) -> None:
    settings, url = steward_env
    engine = warehouse_engine(url)
    outcome = process_document(tampered_pdf, settings, engine)
    assert outcome.status == "quarantined"
    runner = CliRunner()

    quarantined = _csv(runner.invoke(app, ["documents", "--status", "quarantined", "-w", url]).stdout)
    assert [d["sha256"] for d in quarantined] == [outcome.sha256]
    shown = runner.invoke(app, ["show", outcome.sha256[:10], "-w", url])
    assert "table 03" in shown.stdout and "+100.00" in shown.stdout.replace("-100.00", "+100.00")

    # the failures are queryable before acceptance, and nothing reached the fact table
    quality = _csv(runner.invoke(app, ["report", "data-quality", "--format", "csv", "-w", url]).stdout)
    failures = [q for q in quality if q["outcome"] == "failure"]
    assert failures and all(q["table_code"] in ("03", "01") or q["rule"].startswith("cross") for q in failures)
    assert {q["accepted"] for q in failures} <= {"False", "false", "0"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM fct_amount")).scalar_one() == 0

    missing_reason = runner.invoke(app, ["accept", outcome.sha256[:10], "-w", url])
    assert missing_reason.exit_code != 0  # --reason is required

    result = runner.invoke(app, ["accept", outcome.sha256[:10], "--reason", "printed so in the source; checked by phone", "-w", url])
    assert result.exit_code == 0, result.output
    docs = {d["sha256"]: d for d in _csv(runner.invoke(app, ["documents", "-w", url]).stdout)}
    assert docs[outcome.sha256]["status"] == "loaded"
    with engine.connect() as conn:
        flags = conn.execute(text("SELECT DISTINCT dq_flag FROM fct_amount")).scalars().all()
        facts = conn.execute(text("SELECT COUNT(*) FROM fct_amount")).scalar_one()
    assert flags == ["accepted"] and facts == 478

    quality = _csv(runner.invoke(app, ["report", "data-quality", "--format", "csv", "-w", url]).stdout)
    accepted = [q for q in quality if q["outcome"] == "failure"]
    assert accepted and all(q["accepted"] in ("True", "true", "1") for q in accepted)
    assert {q["accept_reason"] for q in accepted} == {"printed so in the source; checked by phone"}

    # the acceptance is durable: processing the same bytes again keeps the document loaded and flagged
    again = process_document(tampered_pdf, settings, engine)
    assert again.status == "loaded" and any("accepted despite" in n for n in again.notes)

    # accepting a loaded document is refused
    assert runner.invoke(app, ["accept", outcome.sha256[:10], "--reason", "x", "-w", url]).exit_code == 2


def test_retract_restore_and_department_alias(steward_env: tuple[Settings, str]) -> None:
    settings, url = steward_env
    engine = warehouse_engine(url)
    outcome = process_document(PUTUO_PDF, settings, engine)
    assert outcome.status == "loaded"
    runner = CliRunner()

    def statuses() -> dict[str, str]:
        return {d["sha256"]: d["status"] for d in _csv(runner.invoke(app, ["documents", "-w", url]).stdout)}

    result = runner.invoke(app, ["retract", outcome.sha256[:12], "--reason", "withdrawn by the publisher", "-w", url])
    assert result.exit_code == 0, result.output
    assert statuses()[outcome.sha256] == "retracted"
    with engine.connect() as conn:
        current = conn.execute(text("SELECT COUNT(*) FROM v_fiscal_facts WHERE is_current")).scalar_one()
        kept = conn.execute(text("SELECT COUNT(*) FROM fct_amount")).scalar_one()
    assert current == 0 and kept == 195  # history kept, nothing current

    assert runner.invoke(app, ["restore", outcome.sha256[:12], "-w", url]).exit_code == 0
    assert statuses()[outcome.sha256] == "loaded"
    result = runner.invoke(app, ["restore", outcome.sha256[:12], "-w", url])  # not retracted any more
    assert result.exit_code == 2 and "not retracted" in result.stderr
    assert runner.invoke(app, ["retract", outcome.sha256[:12], "--reason", " ", "-w", url]).exit_code == 2

    # a department that does not exist cannot be joined (it would become the identity of this one)
    result = runner.invoke(app, ["department", "alias", "上海市普陀区财政局", "普陀区财政局（新）", "--note", "renamed", "-w", url])
    assert result.exit_code == 2 and "'普陀区财政局（新）'" in result.stderr
    # a name not printed yet can join an existing department: its documents will belong to it
    result = runner.invoke(app, ["department", "alias", "普陀区财政局（新）", "上海市普陀区财政局", "--note", "renamed", "-w", url])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT DISTINCT department_id, department_printed FROM v_fiscal_facts")).all()
        alias = conn.execute(text("SELECT alias_name, department_id, note FROM dim_department_alias")).all()
    # the printed name stays on the facts and the department keeps its identity; the new name points at it
    assert ids == [("上海市普陀区财政局", "上海市普陀区财政局")] and ids[0][0] in result.stderr
    assert [(a[0], a[1], a[2]) for a in alias] == [("普陀区财政局（新）", ids[0][0], "renamed")]
