"""Which received document a sha256 prefix names (what the CLI's ``DOCUMENT`` arguments accept)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select

from warehouse.errors import AmbiguousDocumentError, DocumentNotFoundError
from warehouse.read_schema import ETL_DOCUMENT

_HEX = re.compile(r"[0-9a-f]{1,64}")
#: how many matches an ambiguous prefix lists
_AMBIGUOUS_SHOWN = 5


def resolve_document(engine: Engine, prefix: str) -> str:
    """Return the sha256 of the one received document whose sha256 starts with ``prefix``.

    Raises
    ------
    DocumentNotFoundError
        ``prefix`` is not hexadecimal, or no document matches it.
    AmbiguousDocumentError
        Several documents match; the message lists some of them.

    """
    wanted = prefix.strip().lower()
    if not _HEX.fullmatch(wanted):
        raise DocumentNotFoundError(f"{prefix!r} is not a sha256 or sha256 prefix (1-64 hex digits)")
    stmt = (
        select(ETL_DOCUMENT.c.sha256)
        .where(ETL_DOCUMENT.c.sha256.startswith(wanted, autoescape=True))
        .order_by(ETL_DOCUMENT.c.sha256)
        .limit(_AMBIGUOUS_SHOWN + 1)
    )
    with engine.connect() as conn:
        matches = list(conn.execute(stmt).scalars())
    if not matches:
        raise DocumentNotFoundError(f"no document has a sha256 starting with {wanted!r}")
    if len(matches) > 1:
        shown = ", ".join(m[:16] for m in matches[:_AMBIGUOUS_SHOWN])
        more = " and more" if len(matches) > _AMBIGUOUS_SHOWN else ""
        raise AmbiguousDocumentError(
            f"sha256 prefix {wanted!r} matches several documents ({shown}{more}); give more digits"
        )
    return str(matches[0])
