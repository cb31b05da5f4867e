"""Warehouse URLs in flow parameters without their passwords.

Prefect stores every flow run's parameters in its database, where its UI and API show them. A
warehouse URL is therefore handed to a flow as ``warehouse.db.display_url`` gives it (password as
``***``), and the flow resolves it back in the process that runs it, from:

- ``FISCAL_WAREHOUSE_SECRETS``: full URLs the command handed over (``hand_over`` adds them to this
  process's environment, so the processes it starts, Dask workers included, inherit them; nothing is
  written to disk or to Prefect);
- ``FISCAL_WAREHOUSE_URL``: the configured warehouse (how the worker of `fiscal server start` knows
  the password of its environment's warehouse).

A URL without a password passes through unchanged.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from warehouse.db import display_url

#: Environment variable holding the full warehouse URLs handed over to flows (one per line).
SECRETS_ENV = "FISCAL_WAREHOUSE_SECRETS"
MASK = "***"


class WarehousePasswordUnknown(LookupError):
    """A flow got a warehouse URL whose password this process does not know."""


def has_masked_password(url: str) -> bool:
    """Whether ``url`` is a URL whose password was replaced by ``***``."""
    try:
        return make_url(url).password == MASK
    except (ArgumentError, ValueError):
        return False


def hand_over(url: str) -> str:
    """Keep the full ``url`` in this process's environment and return the form to put in flow parameters."""
    public = display_url(url)
    if public != url:
        known = [line for line in os.environ.get(SECRETS_ENV, "").splitlines() if line]
        if url not in known:
            os.environ[SECRETS_ENV] = "\n".join([*known, url])
    return public


def known_warehouses() -> list[str]:
    """The public forms of the full warehouse URLs this process can resolve (for a worker to announce)."""
    urls = [*os.environ.get(SECRETS_ENV, "").splitlines(), os.environ.get("FISCAL_WAREHOUSE_URL", "")]
    return sorted({display_url(url) for url in urls if url})


def resolve(url: str) -> str:
    """The full warehouse URL a flow parameter stands for.

    Raises
    ------
    WarehousePasswordUnknown
        The URL's password is masked and no known URL matches it.

    """
    if not has_masked_password(url):
        return url
    for candidate in [*os.environ.get(SECRETS_ENV, "").splitlines(), os.environ.get("FISCAL_WAREHOUSE_URL", "")]:
        if candidate and display_url(candidate) == url:
            return candidate
    raise WarehousePasswordUnknown(
        f"the password of warehouse {url} is not known to this process (pid {os.getpid()}): "
        "set FISCAL_WAREHOUSE_URL, with its password, where the flow runs"
    )
