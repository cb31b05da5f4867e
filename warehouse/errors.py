"""Typed errors of the warehouse; the CLI turns them into messages and exit codes."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of the errors raised by ``warehouse``."""


class LoadError(WarehouseError, ValueError):
    """A document's staged cells cannot be loaded as they are (the message names document and cell)."""


class DocumentLookupError(WarehouseError, LookupError):
    """A document reference (sha256 or prefix) does not name exactly one received document."""


class DocumentNotFoundError(DocumentLookupError):
    """No received document has a sha256 starting with the given prefix."""


class AmbiguousDocumentError(DocumentLookupError):
    """More than one received document has a sha256 starting with the given prefix."""
