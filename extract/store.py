"""Storage of documents: the raw store and the quarantine.

The raw store keeps bytes content-addressed (``<root>/<sha256>.pdf``, ``.xlsx`` or ``.xls``, written atomically); the quarantine
keeps the cells and reasons of a document that did not load.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from extract.kinds import SUFFIXES, document_kind


def sha256_of(data: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def suffix_of(data: bytes) -> str:
    """The file name ending for some bytes: ``.xlsx`` for a ZIP, ``.xls`` for an OLE2 file, else ``.pdf``."""
    return SUFFIXES[document_kind(data[:1024]) or "pdf"]


class RawStore:
    """Keeps every received file's bytes under its sha256, so nothing received is ever lost."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the bytes of ``sha256`` live: the stored file (``.pdf``, ``.xlsx`` or ``.xls``), else its PDF name."""
        for suffix in (SUFFIXES["xlsx"], SUFFIXES["xls"]):
            stored = self.root / f"{sha256}{suffix}"
            if stored.exists():
                return stored
        return self.root / f"{sha256}.pdf"

    def put(self, data: bytes) -> tuple[str, Path]:
        """Store bytes (atomically, once) and return their sha256 and path (named by what the bytes are)."""
        digest = sha256_of(data)
        target = self.root / f"{digest}{suffix_of(data)}"
        if target.exists() and target.stat().st_size == len(data):
            return digest, target
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, target


class QuarantineStore:
    """Keeps what was extracted from a document that did not load, and why, beside its raw bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, sha256: str, source_file: str, cells: pd.DataFrame, reasons: list[str]) -> Path:
        """Write ``<sha256>.cells.csv`` (the staged cells) and ``<sha256>.reasons.json``; return the CSV's path."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / f"{sha256}.cells.csv"
        cells.to_csv(target, index=False)
        (self.root / f"{sha256}.reasons.json").write_text(
            json.dumps({"source_file": source_file, "reasons": reasons}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return target
