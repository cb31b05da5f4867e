"""`fiscal documents --format table` fits an 80-column terminal with every value whole; `--wide` shows every column."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from extract.models import Document, DocumentFacts
from flows.cli import app
from flows.engine import warehouse_engine
from tests.sample_loads import load_samples
from warehouse.export import list_documents
from warehouse.load import record_document

LONG_NAME = "hunan-changsha_people-government-general-office_2021_juesuan_revised-edition.pdf"
LONG_DEPARTMENT = "长沙市人民政府办公厅机关事务管理局后勤服务中心"  # 22 characters, 44 terminal cells


def _document(name: str) -> Document:
    return Document(
        sha256=hashlib.sha256(name.encode()).hexdigest(), source=f"https://example.gov.cn/a/b/{name}",
        source_file=name, path=Path("/nowhere") / name, size=1,
    )


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The two samples loaded, a quarantined document with a long name and department, a failed one with neither."""
    url = f"sqlite:///{tmp_path_factory.mktemp('documents-table') / 'warehouse.sqlite'}"
    engine = warehouse_engine(url)
    load_samples(engine)
    record_document(
        engine, document=_document(LONG_NAME), pages=30, status="quarantined", reasons=["table 03: sums differ", "x"],
        facts=DocumentFacts(department=LONG_DEPARTMENT, fiscal_year=2021, phase="决算", unit="万元", title="t"),
        tables=[], pipeline_version="test",
    )
    record_document(
        engine, document=_document("cut.pdf"), pages=None, status="failed", reasons=["cut.pdf: truncated PDF"],
        facts=None, tables=[], pipeline_version="test",
    )
    return url


def _columns(text: str) -> list[dict[str, str]]:
    """Read the table back: column spans from the heading rule, a row's folded lines joined per column."""
    lines = text.rstrip("\n").split("\n")
    headings, rule, body = lines[0], lines[1], lines[2:]

    def cells(line: str) -> list[str]:  # one entry per terminal cell ('' after a wide character)
        out: list[str] = []
        for ch in line:
            out += [ch] + [""] * (cell_len(ch) - 1)
        return out

    spans, start = [], None
    for i, ch in enumerate([*cells(rule), " "]):
        if ch == "─" and start is None:
            start = i
        elif ch != "─" and start is not None:
            spans.append((start, i))
            start = None
    names = ["".join(cells(headings)[a:b]).strip() for a, b in spans]
    rows: list[list[list[str]]] = []
    for line in body:
        parts = ["".join(cells(line)[a:b]).strip() for a, b in spans]
        if parts[0]:  # a new row starts with its sha; folded lines leave that column blank
            rows.append([[p] for p in parts])
        else:
            for column, part in zip(rows[-1], parts, strict=True):
                column.append(part)
    return [dict(zip(names, ("".join(p) for p in row), strict=True)) for row in rows]


def test_table_fits_80_columns_and_cuts_no_value(url: str) -> None:
    result = CliRunner().invoke(app, ["documents", "--format", "table", "--warehouse", url], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= 80
    assert "…" not in result.stdout
    shown = _columns(result.stdout)
    assert list(shown[0]) == ["sha256", "file", "department", "year", "phase", "scope", "status", "facts"]
    expected = [
        {
            "sha256": r["sha256"][:12], "file": Path(r["source"]).name, "department": r["department"] or "",
            "year": "" if r["fiscal_year"] is None or r["fiscal_year"] != r["fiscal_year"] else str(r["fiscal_year"]),
            "phase": r["phase"] or "", "scope": r["scope"] or "", "status": r["status"], "facts": str(r["facts_loaded"]),
        }
        for r in list_documents(warehouse_engine(url)).astype(object).where(lambda f: f.notna(), None).to_dict("records")
    ]
    assert shown == expected
    assert {r["file"] for r in shown} >= {LONG_NAME, "changsha_zwfwzx_2020_juesuan.pdf", "cut.pdf"}
    assert LONG_DEPARTMENT in {r["department"] for r in shown}


def test_wide_table_shows_every_column_on_one_line_per_document(url: str) -> None:
    result = CliRunner().invoke(
        app, ["documents", "--format", "table", "--wide", "--warehouse", url], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").split("\n")
    assert lines[0].split() == [
        "sha256", "source", "department", "fiscal_year", "phase", "status", "reasons", "pages", "tables_found", "facts_loaded",
        "scope",
    ]
    assert len(lines) == 2 + 4 and "…" not in result.stdout
    quarantined = next(line for line in lines if LONG_NAME in line)
    assert LONG_DEPARTMENT in quarantined and quarantined.split()[-5:] == ["quarantined", "2", "30", "0", "0"]  # no scope: never read that far


def test_csv_output_is_unchanged_by_the_table_options(url: str) -> None:
    plain = CliRunner().invoke(app, ["documents", "--warehouse", url])
    wide = CliRunner().invoke(app, ["documents", "--wide", "--warehouse", url])
    assert plain.exit_code == wide.exit_code == 0
    assert plain.stdout == wide.stdout == list_documents(warehouse_engine(url)).to_csv(index=False)
