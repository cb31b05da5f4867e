"""`fiscal show`, `documents --format table` and `report` tables print what they printed from DataFrames.

The commands read rows (no pandas); each reference below is the command's former pandas code, run on
the frame functions' output, on the awkward warehouse of tests/odd_warehouse.py.
"""

from __future__ import annotations

import io
import math
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows import cli_warehouse
from flows.cli import app, print_document, print_documents_table
from flows.engine import warehouse_engine
from tests.odd_warehouse import build_odd_warehouse
from warehouse.document_names import document_names
from warehouse.export import document_rows, list_documents, list_tables
from warehouse.report import REPORTS, report_frame


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-rows') / 'warehouse.sqlite'}"
    return url, build_odd_warehouse(warehouse_engine(url))


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def show_reference(url: str, sha: str) -> str:
    """`fiscal show` as it was: its printing on the records of ``list_documents`` / ``list_tables`` frames."""
    engine = warehouse_engine(url)
    docs = list_documents(engine)
    row = docs[docs["sha256"] == sha].iloc[0].to_dict()
    out = io.StringIO()
    tables = list_tables(engine, sha).to_dict("records")
    print_document(Console(file=out, width=80), row, document_names(engine, sha), tables)
    return out.getvalue()


def test_show_prints_what_it_printed(odd: tuple[str, list[str]]) -> None:
    url, shas = odd
    for sha in shas:
        assert invoke("show", sha[:10], "--warehouse", url) == show_reference(url, sha)
    # the frame's missing text printed as pandas had it: NaN in a column holding strings, else None
    failed = invoke("show", shas[2], "--warehouse", url)
    assert "department: nan" in failed and "fiscal_year: None" in failed


def documents_table_reference(frame: pd.DataFrame, wide: bool) -> str:
    """`fiscal documents --format table` as it was, on the ``list_documents`` frame."""
    from flows.cli import NARROW_COLUMNS

    shown = frame.assign(
        sha256=frame["sha256"].str[:12],
        source=frame["source"].map(lambda s: Path(str(s)).name),
        reasons=frame["reasons"].map(lambda r: len([x for x in str(r or "").split("; ") if x])),
    )
    columns = [(name, name) for name in shown.columns] if wide else list(NARROW_COLUMNS)
    cells = [["" if pd.isna(v) is True else str(v) for v in record] for record in shown[[c for _, c in columns]].itertuples(index=False)]
    return "\n".join("\t".join(row) for row in cells)


@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("width", [40, 80, 200])
def test_documents_table_prints_what_it_printed(odd: tuple[str, list[str]], wide: bool, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = odd
    engine = warehouse_engine(url)
    shown: list[list[str]] = []  # the cells given to rich's table (the layout is rich's, unchanged)
    from rich.table import Table

    original = Table.add_row

    def add_row(self: Table, *cells: object, **kw: object) -> None:
        shown.append([str(c) for c in cells])
        original(self, *cells, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Table, "add_row", add_row)
    with redirect_stdout(io.StringIO()):
        print_documents_table(document_rows(engine), wide=wide, width=width)
    expected = documents_table_reference(list_documents(engine), wide)
    assert "\n".join("\t".join(row) for row in shown) == expected


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_tables_print_what_they_printed(odd: tuple[str, list[str]], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = odd
    printed: list[tuple[list[list[str]], list[str]]] = []
    from warehouse.report import format_value

    def capture(values: list[list[object]], columns: list[str], numeric: set[str], title: str) -> None:
        printed.append(([[format_value(v) for v in row] for row in values], list(columns)))

    monkeypatch.setattr(cli_warehouse, "_print_table", capture)
    invoke("report", name, "--history", "--warehouse", url)
    frame = report_frame(warehouse_engine(url), name, current_only=False)
    if name == "facts":
        frame = frame.assign(row=frame["functional_code"].fillna(frame["economic_code"]).fillna(frame["line_item"]))
    spec = REPORTS[name]
    columns = list(spec.table_columns or frame.columns)
    expected = [[format_value(v) for v in record] for record in frame[columns].itertuples(index=False)]
    assert printed == [(expected, columns)]
    assert not any(isinstance(v, float) and math.isnan(v) for row in printed[0][0] for v in row)
