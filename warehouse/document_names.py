"""Every name a document's bytes were received under (``etl_document_name``): recorded on receipt, listed by `fiscal show`.

Core handles only (no ORM models): `fiscal show` reads it on the CLI's fast path.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Text, column, insert, select, table, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

#: ``warehouse.models.EtlDocumentName`` as a Core handle (tests/test_document_names.py compares them)
ETL_DOCUMENT_NAME = table(
    "etl_document_name",
    column("sha256", Text),
    column("source", Text),
    column("source_file", Text),
    column("first_seen_at", DateTime(timezone=True)),
)


def record_document_name(engine: Engine, sha256: str, source: str, source_file: str, now: datetime | None = None) -> None:
    """Remember that the bytes ``sha256`` were received from ``source`` as ``source_file`` (every name is kept).

    Parameters
    ----------
    engine : Engine
        The warehouse.
    sha256 : str
        The document's bytes.
    source : str
        The URL or local path it came from (the key, with ``sha256``).
    source_file : str
        The name it came under (updated when the same source names it differently).
    now : datetime, optional
        When (default: now, UTC).

    """
    now = now or datetime.now(UTC)
    names = ETL_DOCUMENT_NAME.c
    # the same name again changes nothing (a rerun leaves the warehouse as it was); a new name is added
    renamed = (
        update(ETL_DOCUMENT_NAME)
        .where((names.sha256 == sha256) & (names.source == source) & (names.source_file != source_file))
        .values(source_file=source_file)
    )
    known = select(names.sha256).where((names.sha256 == sha256) & (names.source == source))
    row = {"sha256": sha256, "source": source, "source_file": source_file, "first_seen_at": now}
    for _ in range(2):  # another process may insert the same name between our look and our INSERT
        try:
            with engine.begin() as conn:
                if conn.execute(known).first() is None:
                    conn.execute(insert(ETL_DOCUMENT_NAME), row)
                else:
                    conn.execute(renamed)
            return
        except IntegrityError:
            continue


def document_names(engine: Engine, sha256: str) -> list[tuple[str, str]]:
    """(source, name) of every name a document was received under, first seen first."""
    names = ETL_DOCUMENT_NAME.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(names.source, names.source_file)
            .where(names.sha256 == sha256)
            .order_by(names.first_seen_at, names.source)
        ).all()
    return [(str(r.source), str(r.source_file)) for r in rows]
