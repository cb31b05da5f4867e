"""Hostile input and hard stops: every bad value or environment ends in one line naming it, exit code 2, no traceback.

Bad warehouses (not a URL, an unknown database, an unreachable or password-refusing PostgreSQL, a file
that is not SQLite, a folder that is a file) for every command that opens one; a data dir that is a
file or read-only; values outside an option's documented choices; steward requests that cannot be
applied. Passwords in warehouse URLs are never printed. A genuine bug still shows its traceback.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.testing import CliRunner

from flows.cli import app
from flows.cli_common import DocumentStatus, require_rerun_matches
from flows.engine import warehouse_engine
from tests.prefect_records import settled_task_runs
from tests.sample_loads import SAMPLE_PDFS, load_samples
from warehouse.db import display_url, mask_secrets
from warehouse.export import ETL_STATUSES

ROOT = Path(__file__).resolve().parents[2]
PDF = SAMPLE_PDFS[0]
#: wide enough that click's usage-error panel holds its message on one line
WIDE = {"COLUMNS": "400"}
runner = CliRunner()


def error_line(result: object, *named: str) -> str:
    """The command's one stderr line ``error: ...``, after checking exit code 2, no traceback and the values named."""
    output, stderr = result.output, result.stderr  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for value in named:
        assert value in lines[0], (value, lines[0])
    return lines[0]


def usage_error(result: object, *named: str) -> str:
    """Click's usage error for a bad value: exit code 2, no traceback, one message line naming the values."""
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    message = [line for line in output.splitlines() if "Invalid value" in line]
    assert len(message) == 1, output
    for value in named:
        assert value in message[0], (value, message[0])
    return message[0]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def loaded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite warehouse holding both samples."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-errors') / 'warehouse.sqlite'}"
    load_samples(warehouse_engine(url))
    return url


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, writable data dir in the environment (so `fiscal run` gets as far as the warehouse)."""
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


# ------------------------------------------------------------------ bad warehouses, every command


def _bad_warehouse(kind: str, tmp_path: Path) -> tuple[str, list[str]]:
    """A warehouse URL of the kind, and what its one-line message must name."""
    if kind == "garbage":
        return "garbage", ["'garbage'", "not a database URL", "expected"]
    if kind == "unknown dialect":
        return "foo://x/y", ["'foo://x/y'", "'foo'", "expected SQLite or PostgreSQL"]
    if kind == "other database":
        return "mysql://u:SeCrEt-1@db.example/fiscal", [
            "mysql://u:***@db.example/fiscal",
            "expected SQLite or PostgreSQL",
        ]
    if kind == "bad port":
        return "postgresql://u:SeCrEt-1@localhost:port/db", [
            "postgresql://u:***@localhost:port/db",
            "expected",
        ]
    if kind == "unreachable":
        port = _free_port()
        return f"postgresql://u:SeCrEt-1@127.0.0.1:{port}/fiscal", [
            f"postgresql+psycopg://u:***@127.0.0.1:{port}/fiscal",
            "Connection refused",
            "expected a PostgreSQL server",
        ]
    if kind == "not sqlite":
        path = tmp_path / "notes.sqlite"
        path.write_text("these are notes, not a database\n" * 100, encoding="utf-8")
        return f"sqlite:///{path}", [str(path), "file is not a database", "expected a SQLite"]
    if kind == "folder is a file":
        (tmp_path / "afile").write_text("x", encoding="utf-8")
        return f"sqlite:///{tmp_path / 'afile' / 'w.sqlite'}", [str(tmp_path / "afile"), "expected a folder"]
    raise AssertionError(kind)


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``fiscal ARGS`` in a fresh interpreter (what a user's shell sees: exit code, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "-c", "from flows.cli import app; app()", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


BAD_WAREHOUSES = [
    "garbage",
    "unknown dialect",
    "other database",
    "bad port",
    "unreachable",
    "not sqlite",
    "folder is a file",
]
COMMANDS = [
    ["documents"],
    ["documents", "--format", "table"],
    ["show", "ffff"],
    ["export", "facts"],
    ["export", "fdp", "{tmp}/fdp"],
    ["report", "facts"],
    ["db", "upgrade"],
    ["run", str(PDF)],
    ["retract", "ffff", "--reason", "x"],
    ["restore", "ffff"],
    ["department", "alias", "甲局", "乙局"],
]


@pytest.mark.parametrize("kind", BAD_WAREHOUSES)
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_bad_warehouse_is_one_line_naming_it(
    kind: str, command: list[str], tmp_path: Path, data_env: Path
) -> None:
    url, named = _bad_warehouse(kind, tmp_path)
    args = [a.format(tmp=tmp_path) for a in command]
    result = runner.invoke(app, [*args, "-w", url])
    error_line(result, *named)
    assert "SeCrEt-1" not in result.output
    assert not (tmp_path / "fdp").exists()


def test_a_bad_warehouse_from_the_environment_is_named_too(tmp_path: Path, data_env: Path) -> None:
    url, named = _bad_warehouse("not sqlite", tmp_path)
    error_line(runner.invoke(app, ["documents"], env={"FISCAL_WAREHOUSE_URL": url}), *named)


def test_the_installed_command_says_one_line_too(tmp_path: Path) -> None:
    """Through the console script's entry (``app()``, as ``fiscal`` calls it), not only CliRunner."""
    port = _free_port()
    url = f"postgresql://fiscal:SeCrEt-2@127.0.0.1:{port}/fiscal"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")} | {"PYTHONPATH": str(ROOT)}
    for args in (
        ["documents", "-w", "garbage"],
        ["db", "upgrade", "-w", url],
        ["documents", "--status", "bogus"],
    ):
        done = run_cli(args, tmp_path, env)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "SeCrEt-2" not in done.stdout + done.stderr
        assert done.stderr.count("\n") <= 6, (
            done.stderr
        )  # one line, or click's usage error (usage, hint, panel)


# ------------------------------------------------------------------ PostgreSQL: wrong password, masked password


def _hba_rules(text_: str) -> list[str]:
    """The rules of a pg_hba.conf (no comments or blank lines; tabs as spaces, which COPY would escape)."""
    rules = [line.split("#", 1)[0].replace("\t", " ").strip() for line in text_.splitlines()]
    return [rule for rule in rules if rule]


def _write_hba(conn: object, path: str, rules: list[str]) -> None:
    literal = "ARRAY[" + ", ".join("'" + r.replace("'", "''") + "'" for r in rules) + "]::text[]"
    target = "'" + path.replace("'", "''") + "'"
    conn.execute(text(f"COPY (SELECT unnest({literal})) TO {target}"))  # type: ignore[attr-defined]
    conn.execute(text("SELECT pg_reload_conf()"))  # type: ignore[attr-defined]


@pytest.fixture
def password_login(postgres_admin_engine: Engine, postgres_url: str) -> Iterator[tuple[str, str, str]]:
    """A role that must give its password (scram over TCP), owning ``postgres_url``'s database.

    The throwaway cluster trusts every login; a rule for this role alone goes first in its pg_hba.conf
    (written by the server: COPY ... TO), and the original rules come back afterwards.
    Yields the right URL, the same with a wrong password, and the right password.
    """
    role, password = f"fiscal_pw_{uuid.uuid4().hex[:8]}", f"Right-{uuid.uuid4().hex[:12]}"
    database = make_url(postgres_url).database
    with postgres_admin_engine.connect() as conn:
        try:
            hba = str(conn.execute(text("SHOW hba_file")).scalar_one())
            original = _hba_rules(str(conn.execute(text("SELECT pg_read_file(:f)"), {"f": hba}).scalar_one()))
            conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'"))
        except DBAPIError:
            pytest.skip("this PostgreSQL server's pg_hba.conf cannot be edited from SQL (not a superuser)")
        conn.execute(text(f'ALTER DATABASE "{database}" OWNER TO "{role}"'))
        _write_hba(conn, hba, [f"host all {role} 127.0.0.1/32 scram-sha-256", *original])
    right = make_url(postgres_url).set(username=role, password=password)
    wrong = right.set(password="Wrong-" + uuid.uuid4().hex[:12])
    probe = create_engine(wrong)
    try:
        for _ in range(50):  # the postmaster reloads pg_hba.conf on SIGHUP, a moment later
            try:
                with probe.connect():
                    time.sleep(0.1)
            except OperationalError:
                break
        else:
            pytest.fail("the password rule did not take effect")
    finally:
        probe.dispose()
    try:
        yield (
            right.render_as_string(hide_password=False),
            wrong.render_as_string(hide_password=False),
            password,
        )
    finally:
        with postgres_admin_engine.connect() as conn:
            _write_hba(conn, hba, original)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "command", [["documents"], ["report", "facts"], ["db", "upgrade"], ["run", str(PDF)]]
)
def test_a_wrong_password_is_one_line_without_the_password(
    password_login: tuple[str, str, str], command: list[str], data_env: Path
) -> None:
    _, wrong, _ = password_login
    wrong_password = str(make_url(wrong).password)
    result = runner.invoke(app, [*command, "-w", wrong])
    line = error_line(result, "password authentication failed", str(make_url(wrong).username), "127.0.0.1")
    assert wrong_password not in result.output and "***" in line


@pytest.mark.postgres
def test_db_upgrade_with_a_password_prints_it_masked(
    password_login: tuple[str, str, str], tmp_path: Path
) -> None:
    right, _, password = password_login
    result = runner.invoke(app, ["db", "upgrade", "-w", right])
    assert result.exit_code == 0, result.output
    assert password not in result.output
    assert display_url(make_url(right).set(drivername="postgresql+psycopg")) in result.stderr
    # and as a process (the Alembic log lines included), then commands on the upgraded warehouse
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCAL_")} | {"PYTHONPATH": str(ROOT)}
    for args in (
        ["db", "upgrade", "-w", right],
        ["documents", "-w", right],
        ["report", "facts", "-w", right],
    ):
        done = run_cli(args, tmp_path, env)
        assert done.returncode == 0, done.stderr
        assert password not in done.stdout + done.stderr


def test_display_url_and_mask_secrets_hide_passwords() -> None:
    assert display_url("postgresql://u:p%40ss-word@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert display_url("sqlite:///data/w.sqlite") == "sqlite:///data/w.sqlite"
    assert (
        display_url("postgresql://u:pw-x@h:port/db") == "postgresql://u:***@h:port/db"
    )  # not parseable: by pattern
    make_url_and_register = __import__("warehouse.db", fromlist=["normalize_url"]).normalize_url
    make_url_and_register("postgresql://u:Hunter-22@h/db")
    assert mask_secrets('FATAL: password "Hunter-22" for user "u" at postgresql://u:other@h/db') == (
        'FATAL: password "***" for user "u" at postgresql://u:***@h/db'
    )


# ------------------------------------------------------------------ data dir


def test_run_with_a_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").write_text("x", encoding="utf-8")
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["run", str(PDF), "-w", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    error_line(result, repr(str(tmp_path / "data")), "is a file", "expected a folder")
    monkeypatch.setenv("FISCAL_DATA_DIR", str(tmp_path / "data" / "below"))
    result = runner.invoke(app, ["run", str(PDF), "-w", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    error_line(result, str(tmp_path / "data" / "below"), "a file", "expected a folder")


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder no file can be created in: immutable (chattr +i) as root, mode 0555 otherwise."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    immutable = False
    if os.geteuid() == 0:
        immutable = (
            subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode == 0
        )
    else:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        try:
            (folder / "probe").touch()
        except OSError:
            yield folder
        else:
            pytest.skip("no way to make a read-only folder here")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(stat.S_IRWXU)


def test_run_with_a_read_only_data_dir(
    read_only_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FISCAL_DATA_DIR", str(read_only_dir))

    def no_server(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a Prefect server was started for a command that cannot run")

    monkeypatch.setattr("flows.server.temporary_server", no_server)  # refused before any server starts
    result = runner.invoke(app, ["run", str(PDF), "-w", f"sqlite:///{tmp_path / 'w.sqlite'}"])
    error_line(
        result, repr(str(read_only_dir)), str(read_only_dir / "raw"), "expected a folder this user may write"
    )


def test_a_new_warehouse_in_a_read_only_folder(read_only_dir: Path) -> None:
    result = runner.invoke(app, ["documents", "-w", f"sqlite:///{read_only_dir / 'w.sqlite'}"])
    error_line(result, str(read_only_dir / "w.sqlite"), "expected a folder this user may write")


# ------------------------------------------------------------------ option values


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["documents", "--format", "xml"], ["'xml'", "'csv'", "'table'"]),
        (["documents", "--status", "bogus"], ["'bogus'", "'quarantined'", "'retracted'"]),
        (["documents", "--tables", "--format", "json"], ["'json'", "'csv'"]),
        (["report", "facts", "--format", "xml"], ["'xml'", "'table'", "'csv'"]),
        (["export", "facts", "--format", "xlsx"], ["'xlsx'", "'csv'", "'parquet'"]),
        (["export", "facts", "--output", "{tmp}"], ["'{tmp}'", "directory"]),
        (["export", "fdp", "{tmp}/afile"], ["'{tmp}/afile'", "is a file"]),
    ],
)
def test_values_outside_the_documented_ones_are_refused(
    args: list[str], named: list[str], tmp_path: Path, loaded_url: str
) -> None:
    (tmp_path / "afile").write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, [*(a.format(tmp=tmp_path) for a in args), "-w", loaded_url], env=WIDE)
    usage_error(result, *(n.format(tmp=tmp_path) for n in named))
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "keep me"


def test_output_below_a_file_or_missing_folder_is_one_line(tmp_path: Path, loaded_url: str) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = runner.invoke(
        app, ["export", "facts", "--output", str(tmp_path / "afile" / "f.csv"), "-w", loaded_url]
    )
    error_line(result, str(tmp_path / "afile" / "f.csv"), "expected folders")
    result = runner.invoke(
        app, ["export", "facts", "--output", str(tmp_path / "nowhere" / "f.csv"), "-w", loaded_url]
    )
    error_line(result, str(tmp_path / "nowhere" / "f.csv"), "no such file or folder")
    result = runner.invoke(app, ["export", "fdp", str(tmp_path / "afile" / "pkg"), "-w", loaded_url])
    error_line(result, str(tmp_path / "afile" / "pkg"), "expected folders")


def test_status_choices_are_the_warehouse_statuses() -> None:
    assert tuple(DocumentStatus) == ETL_STATUSES


def test_documents_by_status_still_filters(loaded_url: str) -> None:
    result = runner.invoke(app, ["documents", "--status", "loaded", "-w", loaded_url])
    assert result.exit_code == 0 and result.stdout.count("\n") == 3  # header and the two samples
    result = runner.invoke(app, ["documents", "--status", "quarantined", "-w", loaded_url])
    assert result.exit_code == 0 and result.stdout.count("\n") == 1


# ------------------------------------------------------------------ steward requests that cannot be applied


def _sha(url: str, index: int = 0) -> str:
    rows = runner.invoke(app, ["documents", "-w", url]).stdout.splitlines()[1:]
    return sorted(row.split(",")[0] for row in rows)[index]


def test_restore_of_a_document_never_retracted_is_refused(loaded_url: str) -> None:
    sha = _sha(loaded_url)
    result = runner.invoke(app, ["restore", sha[:12], "-w", loaded_url])
    error_line(result, sha[:12], "not retracted", "status loaded", "nothing to restore")


def test_alias_to_a_department_that_does_not_exist_is_refused(loaded_url: str) -> None:
    engine = warehouse_engine(loaded_url)
    query = text("SELECT name, department_id FROM dim_department ORDER BY name")
    with engine.connect() as conn:
        before = conn.execute(query).all()
    result = runner.invoke(
        app, ["department", "alias", "上海市普陀区财政局", "普陀区财政局（新）", "-w", loaded_url]
    )
    error_line(result, "'普陀区财政局（新）'", "'上海市普陀区财政局'", "exists")
    with engine.connect() as conn:
        assert conn.execute(query).all() == before
        assert conn.execute(text("SELECT COUNT(*) FROM dim_department_alias")).scalar_one() == 0


def test_unknown_document_is_one_line(loaded_url: str) -> None:
    error_line(runner.invoke(app, ["show", "ffff", "-w", loaded_url]), "ffff")


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        ({"document": "ffff"}, ["--document 'ffff'", "sha256 starts with"]),
        ({"document": "not-hex"}, ["--document 'not-hex'"]),
        ({"department": "不存在的局"}, ["--department '不存在的局'", "department contains"]),
        ({"year": 1999}, ["--year 1999", "fiscal year"]),
        ({"department": "长沙", "year": 2024}, ["--department '长沙' and --year 2024 together"]),
    ],
)
def test_a_rerun_selection_matching_nothing_is_refused(
    selection: dict[str, object], named: list[str], loaded_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = warehouse_engine(loaded_url)
    args = {"document": None, "department": None, "year": None} | selection
    with pytest.raises(typer.Exit) as stopped:
        require_rerun_matches(engine, **args)  # type: ignore[arg-type]
    assert stopped.value.exit_code == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("error: ") and "\n" not in line
    for value in named:
        assert value in line


def test_a_rerun_selection_matching_documents_passes(loaded_url: str) -> None:
    engine = warehouse_engine(loaded_url)
    require_rerun_matches(engine, _sha(loaded_url)[:8], None, None)
    require_rerun_matches(engine, None, "长沙", 2020)


def test_fiscal_rerun_of_nothing_and_harvest_into_a_bad_warehouse_stop_before_prefect(
    loaded_url: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["rerun", "--document", "ffff", "-w", loaded_url], env=WIDE)
    assert result.exit_code == 2 and "ffff" in result.output and "Traceback" not in result.output
    assert "Flow run" not in result.output  # refused before any flow ran
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - name: x\n    kind: http_listing\n    start_urls: ['http://127.0.0.1:9/']\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["harvest", "--sources", str(sources), "-w", "nonsense://"], env=WIDE)
    assert result.exit_code == 2 and "nonsense://" in result.output and "Flow run" not in result.output


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_leaves_the_password_in_no_output_and_no_prefect_record(
    password_login: tuple[str, str, str], data_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as json_module

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import get_current_settings

    from flows.credentials import SECRETS_ENV

    right, _, password = password_login
    monkeypatch.setenv(SECRETS_ENV, "")  # what the run hands over is forgotten after the test
    result = runner.invoke(app, ["run", str(PDF), "-w", right], env=WIDE)
    assert result.exit_code == 0, result.output
    assert password not in result.output
    with get_client(sync_client=True) as client:
        (flow_run,) = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
    task_runs = settled_task_runs(flow_run.id, 5)  # logs and task runs arrive after the run returns
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id])))
    assert flow_run.parameters["warehouse_url"] == display_url(right)  # masked, resolved where the flow runs
    records = json_module.dumps(
        [r.model_dump(mode="json") for r in [flow_run, *task_runs, *logs]], ensure_ascii=False
    )
    assert password not in records and len(task_runs) == 5
    # and nowhere in the Prefect database's files
    connection_url = get_current_settings().server.database.connection_url
    secret = getattr(connection_url, "get_secret_value", None)
    database = make_url(secret() if secret else str(connection_url))
    if database.get_backend_name() == "sqlite" and database.database:
        files = list(Path(database.database).parent.glob(Path(database.database).name + "*"))
        assert files
        for path in files:
            assert password.encode() not in path.read_bytes(), path


# ------------------------------------------------------------------ bugs keep their traceback


def test_a_genuine_bug_still_shows_its_traceback(loaded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import warehouse.export

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(warehouse.export, "document_rows", broken)
    result = runner.invoke(app, ["documents", "-w", loaded_url])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)

    def bad_sql(*_: object, **__: object) -> None:
        with warehouse_engine(loaded_url).connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(warehouse.export, "document_rows", bad_sql)
    result = runner.invoke(app, ["documents", "-w", loaded_url])
    assert result.exit_code == 1 and isinstance(result.exception, OperationalError)


def test_a_flow_resolves_a_masked_warehouse_url_only_from_what_its_process_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.credentials import SECRETS_ENV, WarehousePasswordUnknown, hand_over, known_warehouses, resolve

    monkeypatch.setenv(SECRETS_ENV, "")
    monkeypatch.delenv("FISCAL_WAREHOUSE_URL", raising=False)
    full = "postgresql+psycopg://etl:S3cret-pw@db.example/fiscal"
    public = "postgresql+psycopg://etl:***@db.example/fiscal"
    with pytest.raises(
        WarehousePasswordUnknown,
        match=r"password of warehouse postgresql\+psycopg://etl:\*\*\*@db.example/fiscal",
    ):
        resolve(public)
    assert hand_over(full) == public and hand_over(full) == public  # handed over once
    assert os.environ[SECRETS_ENV] == full and resolve(public) == full
    assert known_warehouses() == [public]
    monkeypatch.setenv(SECRETS_ENV, "")
    monkeypatch.setenv("FISCAL_WAREHOUSE_URL", full)  # the worker's own environment
    assert resolve(public) == full
    assert (
        hand_over("sqlite:///data/w.sqlite")
        == resolve("sqlite:///data/w.sqlite")
        == "sqlite:///data/w.sqlite"
    )
