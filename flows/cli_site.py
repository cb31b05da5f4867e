"""Report site commands of `fiscal`: ``site`` (static HTML site), ``browse`` (Datasette) and ``export sqlite``.

Jinja2, plotly and Datasette are imported inside the commands: `fiscal --help` stays fast.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from flows.cli_common import Commands, WarehouseOption, engine_for, err, settings_for


def site_cmd(
    out: Annotated[Path, typer.Argument(file_okay=False, help="Folder of the site (made if missing; refreshed when built before).")],
    warehouse: WarehouseOption = None,
    full: Annotated[bool, typer.Option("--full", help="Rebuild every page, not only what changed.")] = False,
    no_pdf_copy: Annotated[
        bool, typer.Option("--no-pdf-copy", help="Link the PDFs in the raw store (file://) instead of putting them into OUT/pdf.")
    ] = False,
) -> None:
    """Build the static report site (index, departments, documents, data quality) into OUT; open OUT/index.html."""
    from warehouse.site import build_site

    settings = settings_for(warehouse)
    engine = engine_for(warehouse)
    result = build_site(
        engine, out, settings.raw_dir, settings.quarantine_dir, full=full, copy_pdfs=not no_pdf_copy
    )
    err.print(
        f"site: {result.departments} departments, {result.documents} documents; rebuilt"
        f" {result.departments_built} department and {result.documents_built} document pages,"
        f" {result.pages_rendered} page images rendered, {result.removed} files removed"
        f" in {result.seconds:.2f} s",
        markup=False,
        soft_wrap=True,
    )
    print(result.index.resolve())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browse_cmd(
    warehouse: WarehouseOption = None,
    site: Annotated[
        Path | None, typer.Option(file_okay=False, help="A site built by `fiscal site`: served at /site/, facts link to their cell.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8001,
    metadata_out: Annotated[
        Path | None, typer.Option("--metadata-out", help="Also write the Datasette metadata to this file.")
    ] = None,
) -> None:
    """Serve the warehouse read-only with Datasette: every column described with its unit, the reporting views as canned queries.

    A PostgreSQL warehouse is browsed through a snapshot: `fiscal export sqlite snap.sqlite -w postgresql://…`,
    then `fiscal browse -w sqlite:///snap.sqlite`.
    """
    from sqlalchemy.engine import make_url

    from flows.engine import warehouse_url
    from warehouse.site.browse import datasette_metadata

    url = make_url(warehouse_url(warehouse))
    if url.get_backend_name() != "sqlite" or not url.database:
        err.print(
            "fiscal browse serves a SQLite file: make a snapshot of this warehouse first with\n"
            "  fiscal export sqlite snapshot.sqlite --warehouse URL\n"
            "then run  fiscal browse --warehouse sqlite:///snapshot.sqlite",
            markup=False,
        )
        raise typer.Exit(2)
    database = Path(url.database)
    engine = engine_for(warehouse)  # migrated to head: the views the metadata describes exist
    port = port or _free_port()
    site_base = f"http://{host}:{port}/site/" if site else None
    metadata = datasette_metadata(engine, database.stem, site_base)
    engine.dispose()
    if metadata_out:
        metadata_out.write_text(json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="fiscal-browse-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        # opened mutable so a running load's WAL is read (``-i`` would ignore it); Datasette 0.65 opens
        # such files read-only (mode=ro) and its SQL page runs SELECTs only: it never writes the warehouse
        command = [sys.executable, "-m", "datasette", "serve", str(database), "--metadata", str(meta),
                   "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000"]  # fmt: skip
        if site:
            command += ["--static", f"site:{site.resolve()}"]
        err.print(f"Datasette on http://{host}:{port}/{database.stem} (Ctrl-C stops it)", markup=False)
        try:
            code = subprocess.call(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except KeyboardInterrupt:
            code = 0
    raise typer.Exit(code)


def export_sqlite_cmd(
    target: Annotated[Path, typer.Argument(dir_okay=False, help="SQLite file to write (replaced when it exists).")],
    warehouse: WarehouseOption = None,
) -> None:
    """A SQLite snapshot of the warehouse (tables and reporting views), e.g. of PostgreSQL for `fiscal browse`."""
    from warehouse.site.snapshot import export_sqlite

    counts = export_sqlite(engine_for(warehouse), target)
    err.print(
        f"SQLite snapshot written: {target} ({sum(counts.values())} rows in {len(counts)} tables,"
        f" {counts.get('fct_amount', 0)} amounts)",
        markup=False,
        soft_wrap=True,
    )


#: registered by flows/cli.py
COMMANDS = Commands({"site": site_cmd, "browse": browse_cmd}, export={"sqlite": export_sqlite_cmd})
