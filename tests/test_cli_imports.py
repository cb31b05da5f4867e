"""`fiscal --help` and the read-only commands answer at once: they import no Prefect, Great Expectations or camelot.

The commands that print rows (`documents` in every format, `show`, `export facts` as CSV, `report`)
import no pandas, Alembic or ORM models either. Each command runs in a fresh interpreter against a temp
warehouse holding the two samples; the modules loaded when it ends are checked. Also: the warehouse URL
found without pydantic is the one ``Settings`` finds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.engine import DEFAULT_WAREHOUSE_URL, warehouse_engine, warehouse_url
from flows.settings import Settings
from tests.sample_loads import load_samples

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("prefect", "great_expectations", "camelot")
#: what the row-printing commands do without: pandas (0.4 s), Alembic (0.13 s: the schema is at head),
#: the ORM models (0.1 s: Core handles suffice), and pyarrow
ROW_PATH_FREE = ("pandas", "pyarrow", "alembic", "sqlalchemy.orm", "warehouse.models", "warehouse.tables")

# runs a `fiscal` command in this interpreter, then writes the top-level packages it loaded to argv[1]
RUNNER = """
import json, sys
out, sys.argv = sys.argv[1], ["fiscal", *sys.argv[2:]]
code = 0
try:
    from flows.cli import app
    app()
except SystemExit as exc:
    code = exc.code or 0
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A temp working dir, the URL of a warehouse there with both samples loaded, and one sample's sha256."""
    folder = tmp_path_factory.mktemp("cli-imports")
    url = f"sqlite:///{folder / 'warehouse.sqlite'}"
    results = load_samples(warehouse_engine(url))
    return folder, url, results[-1].sha256


def run_cli(folder: Path, url: str, *args: str) -> tuple[int, set[str]]:
    """Run ``fiscal ARGS`` in a fresh interpreter; its exit code and the modules it imported (packages and submodules)."""
    out = folder / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FISCAL_", "PREFECT_API_URL"))}
    env.update(FISCAL_WAREHOUSE_URL=url, FISCAL_DATA_DIR=str(folder / "data"), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(out), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.exists(), result.stderr[-3000:]
    dump = json.loads(out.read_text())
    modules = set(dump["modules"])
    return int(dump["code"]), modules | {m.split(".")[0] for m in modules}


READ_ONLY = [
    ["--help"],
    ["documents"],
    ["documents", "--format", "table"],
    ["documents", "--format", "table", "--wide"],
    ["documents", "--tables"],
    ["show", "{sha}"],
    ["export", "facts"],
    ["export", "facts", "--format", "parquet", "--output", "facts.parquet"],
    ["export", "fdp", "fdp"],
    ["report", "facts", "--limit", "5"],
    ["report", "expenditure-by-function", "--format", "csv"],
    ["report", "data-quality"],
    ["server", "status"],
    ["run", "--help"],
    ["harvest", "--help"],
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_read_only_commands_import_no_prefect_gx_or_camelot(loaded: tuple[Path, str, str], args: list[str]) -> None:
    folder, url, sha = loaded
    code, modules = run_cli(folder, url, *(a.format(sha=sha[:12]) for a in args))
    assert code == (1 if args == ["server", "status"] else 0)  # no server runs: status says so with 1
    assert not modules & set(HEAVY), f"fiscal {' '.join(args)} imported {sorted(modules & set(HEAVY))}"


ROWS_ONLY = [
    ["--help"],
    ["documents"],
    ["documents", "--format", "table"],
    ["documents", "--format", "table", "--wide"],
    ["documents", "--tables"],
    ["documents", "--tables", "--format", "table"],
    ["documents", "--status", "loaded"],
    ["show", "{sha}"],
    ["export", "facts"],
    ["export", "facts", "--document", "{sha}", "--output", "facts.csv"],
    ["report", "facts", "--limit", "5"],
    ["report", "facts", "--format", "csv"],
    ["report", "expenditure-by-function", "--format", "csv"],
    ["report", "three-public"],
    ["report", "data-quality"],
]


@pytest.mark.parametrize("args", ROWS_ONLY, ids=[" ".join(a) for a in ROWS_ONLY])
def test_row_commands_import_no_pandas_alembic_or_models(loaded: tuple[Path, str, str], args: list[str]) -> None:
    folder, url, sha = loaded
    code, modules = run_cli(folder, url, *(a.format(sha=sha[:12]) for a in args))
    assert code == 0
    assert not modules & set(ROW_PATH_FREE), f"fiscal {' '.join(args)} imported {sorted(modules & set(ROW_PATH_FREE))}"


def test_help_imports_neither_pandas_nor_the_warehouse(loaded: tuple[Path, str, str]) -> None:
    folder, url, _ = loaded
    code, modules = run_cli(folder, url, "--help")
    assert code == 0
    assert not modules & {"pandas", "pyarrow", "alembic", "pydantic_settings", "warehouse", "extract", "expectations"}


@pytest.mark.parametrize(
    ("env", "dotenv", "option"),
    [
        ({}, None, None),
        ({}, None, "sqlite:///opt.sqlite"),
        ({"FISCAL_WAREHOUSE_URL": "sqlite:///env.sqlite"}, None, None),
        ({"fiscal_warehouse_url": "sqlite:///lower.sqlite"}, None, None),
        ({"FISCAL_WAREHOUSE_URL": "sqlite:///env.sqlite"}, "FISCAL_WAREHOUSE_URL=sqlite:///dotenv.sqlite\n", None),
        ({}, "FISCAL_WAREHOUSE_URL=sqlite:///dotenv.sqlite\n", None),
        ({}, "FISCAL_DATA_DIR=elsewhere\n", None),
        ({"FISCAL_WAREHOUSE_URL": "sqlite:///env.sqlite"}, None, "sqlite:///opt.sqlite"),
    ],
)
def test_warehouse_url_is_the_one_settings_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], dotenv: str | None, option: str | None
) -> None:
    for name in [n for n in os.environ if n.lower() == "fiscal_warehouse_url"]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    settings = Settings()
    expected = option or settings.warehouse_url
    assert warehouse_url(option) == expected


def test_default_warehouse_url_is_the_settings_default() -> None:
    assert Settings.model_fields["warehouse_url"].default == DEFAULT_WAREHOUSE_URL


def test_flow_module_uses_the_same_engine_cache() -> None:
    import flows.engine
    import flows.flow

    assert flows.flow.warehouse_engine is flows.engine.warehouse_engine
