"""A SQLite snapshot of any warehouse (``fiscal export sqlite``): what Datasette serves for a PostgreSQL install.

The snapshot is a real warehouse: the Alembic migrations create its tables and views (so the reporting
views are the SQLite versions of the same SQL), then every table's rows are copied in dependency order,
in batches, inside one transaction. Money keeps its exact value (PostgreSQL ``numeric`` arrives as
``Decimal``; SQLAlchemy's ``Numeric`` stores it in SQLite without going through a binary float's error
for amounts below 10^13 元, as every SQLite warehouse does).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, delete, insert, select

from warehouse.db import make_engine, upgrade

_BATCH = 5000


def export_sqlite(source: Engine, target: Path) -> dict[str, int]:
    """Copy every table of ``source`` into a new SQLite warehouse at ``target``; rows copied per table.

    Parameters
    ----------
    source : Engine
        The warehouse to snapshot (PostgreSQL or SQLite), at the latest schema.
    target : Path
        The SQLite file to write; replaced when it exists.

    Returns
    -------
    dict[str, int]
        Table name → rows copied.

    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    destination = make_engine(f"sqlite:///{partial}")
    try:
        upgrade(destination)
        wanted = MetaData()
        wanted.reflect(destination)
        have = MetaData()
        have.reflect(source, only=[t for t in wanted.tables if t != "alembic_version"])
        counts: dict[str, int] = {}
        with source.connect() as reader, destination.begin() as writer:
            for table in wanted.sorted_tables:
                if table.name == "alembic_version" or table.name not in have.tables:
                    continue
                origin = have.tables[table.name]
                names = [c.name for c in table.columns if c.name in origin.columns]
                writer.execute(delete(table))
                result = reader.execution_options(stream_results=True).execute(
                    select(*(origin.c[n] for n in names))
                )
                counts[table.name] = 0
                while batch := result.fetchmany(_BATCH):
                    writer.execute(insert(table), [dict(zip(names, row, strict=True)) for row in batch])
                    counts[table.name] += len(batch)
    finally:
        destination.dispose()
    partial.replace(target)
    return counts
