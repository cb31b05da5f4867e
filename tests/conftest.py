"""Shared fixtures. Database fixtures: ``warehouse_url`` (SQLite and PostgreSQL) and ``warehouse_engine``.

PostgreSQL comes from ``FISCAL_TEST_POSTGRES_URL`` (a server where the user may CREATE DATABASE)
or, when server binaries exist under /usr/lib/postgresql/*/bin, from a throwaway cluster started
once per session (as the ``postgres`` system user when running as root). Each test gets a fresh
database, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

PG_UNAVAILABLE = "PostgreSQL not available: set FISCAL_TEST_POSTGRES_URL or install postgresql"


def _pg_bindir() -> Path | None:
    """Newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, if any."""

    def version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else 0

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if os.access(os.path.join(bindir, "initdb"), os.X_OK) and os.access(
            os.path.join(bindir, "pg_ctl"), os.X_OK
        ):
            return Path(bindir)
    return None


def _fast_tmp() -> str | None:
    """/dev/shm when it is a roomy writable tmpfs (CREATE DATABASE is ~10x faster there), else the default."""
    shm = "/dev/shm"
    try:
        roomy = shutil.disk_usage(shm).free > 1 << 30
    except OSError:
        return None
    return shm if roomy and os.access(shm, os.W_OK) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _ThrowawayCluster:
    """A PostgreSQL cluster in a temp dir, on 127.0.0.1 only, trust auth, durability off."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.tmp = Path(tempfile.mkdtemp(prefix="fiscal-pg-", dir=_fast_tmp()))
        self.data = self.tmp / "data"
        self.log = self.tmp / "server.log"
        self.port = _free_port()
        if self.as_root:  # initdb refuses root: the cluster belongs to the postgres system user
            shutil.chown(self.tmp, user="postgres", group="postgres")

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> URL:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.tmp}"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50 -c wal_level=minimal -c max_wal_senders=0"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        return URL.create(
            "postgresql+psycopg", username="postgres", host="127.0.0.1", port=self.port, database="postgres"
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _admin_url_from_env(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


@pytest.fixture(scope="session")
def postgres_admin_engine() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on a PostgreSQL server where databases may be created (session-wide)."""
    raw = os.environ.get("FISCAL_TEST_POSTGRES_URL")
    cluster: _ThrowawayCluster | None = None
    if raw:
        url = _admin_url_from_env(raw)
    else:
        bindir = _pg_bindir()
        if bindir is None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(PG_UNAVAILABLE)
            pytest.skip(PG_UNAVAILABLE)
        cluster = _ThrowawayCluster(bindir)
        try:
            url = cluster.start()
        except Exception:
            cluster.stop()
            raise
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def postgres_url(postgres_admin_engine: Engine) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"fiscal_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin_engine.url.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with postgres_admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file in the test's temp dir (its parent folder does not exist yet)."""
    return f"sqlite:///{tmp_path / 'warehouse' / 'warehouse.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """URL of an empty warehouse database, once per backend (SQLite temp file, PostgreSQL fresh db)."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def warehouse_engine(warehouse_url: str) -> Iterator[Engine]:
    """Engine on ``warehouse_url`` with the migrations applied to head; disposed after the test."""
    from warehouse.db import make_engine, upgrade

    engine = make_engine(warehouse_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every test that runs flows (it takes 10–25 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
