"""The warehouse engine without Prefect: what the read-only `fiscal` commands need.

Importing this module costs nothing heavy; :func:`warehouse_engine` costs SQLAlchemy, and Alembic only
when the schema is not at head (never Prefect, Great Expectations or camelot; ``flows.flow``
re-exports :func:`warehouse_engine` for the flows).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: ``Settings.warehouse_url``'s default (a test keeps the two equal)
DEFAULT_WAREHOUSE_URL = "sqlite:///data/warehouse.sqlite"
_ENV_NAME = "fiscal_warehouse_url"


@lru_cache(maxsize=8)
def warehouse_engine(url: str) -> Engine:
    """One engine per warehouse URL per process, migrated to the latest schema.

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the warehouse (SQLite file or PostgreSQL database).

    Returns
    -------
    Engine
        The engine, shared by every caller in this process that asks for the same URL (Alembic runs
        only when ``alembic_version`` is not at head: ``warehouse.db.ensure_schema``).

    """
    from warehouse.db import ensure_schema, make_engine

    engine = make_engine(url)
    ensure_schema(engine)
    return engine


def warehouse_url(option: str | None = None) -> str:
    """The warehouse URL as ``Settings`` resolves it, without importing pydantic when it can.

    Parameters
    ----------
    option : str or None
        The ``--warehouse`` option; wins when given.

    Returns
    -------
    str
        ``option``, else ``FISCAL_WAREHOUSE_URL`` (any case, as pydantic-settings matches it), else the
        ``.env`` file's value or the default. The uncommon cases (two spellings of the variable, a
        ``.env`` file) are left to ``Settings`` itself.

    """
    if option:
        return option
    values = {value for name, value in os.environ.items() if name.lower() == _ENV_NAME}
    if len(values) == 1:
        return values.pop()
    if not values and not Path(".env").exists():
        return DEFAULT_WAREHOUSE_URL
    from flows.settings import Settings

    return Settings().warehouse_url
