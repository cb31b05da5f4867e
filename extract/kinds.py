"""What a received file is, by its first bytes: a PDF or a spreadsheet (never by its name).

Light on purpose (no PDF or spreadsheet library): the harvester, the raw store and the folder walker
use it before anything parses the bytes.
"""

from __future__ import annotations

from typing import Literal

DocumentKind = Literal["pdf", "xlsx", "xls"]

#: ZIP local file header (OOXML workbooks are ZIP archives) and OLE2 compound file header (legacy .xls).
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: File name endings of each kind (the raw store's names; the suffixes taken from folders).
SUFFIXES: dict[DocumentKind, str] = {"pdf": ".pdf", "xlsx": ".xlsx", "xls": ".xls"}


def document_kind(head: bytes) -> DocumentKind | None:
    """``pdf`` (a %PDF- header in the first KB), ``xlsx`` (a ZIP), ``xls`` (an OLE2 file), else None."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(ZIP_SIGNATURE):
        return "xlsx"
    if head.startswith(OLE2_SIGNATURE):
        return "xls"
    return None


def kind_problem(data: bytes) -> str | None:
    """Why some bytes are not a document we read (None when they may be one); a PDF must end with %%EOF."""
    if not data:
        return "empty file"
    kind = document_kind(data[:1024])
    if kind is None:
        return "neither a PDF (no %PDF- header) nor a spreadsheet (no ZIP or OLE2 signature)"
    if kind == "pdf" and b"%%EOF" not in data[-2048:]:
        return "truncated PDF (no %%EOF marker at the end)"
    # part and stream names are stored uncompressed: a ZIP or OLE2 file that is no workbook says so in its bytes
    if kind == "xlsx" and b"xl/workbook.xml" not in data:
        return "a ZIP archive that is not an Excel workbook (no xl/workbook.xml)"
    if kind == "xls" and not any(name in data for name in _WORKBOOK_STREAMS):
        return "an OLE2 file that is not an Excel workbook (no Workbook stream)"
    return None


#: Names (UTF-16LE, as an OLE2 directory stores them) of the streams an Excel or encrypted OOXML file holds.
_WORKBOOK_STREAMS: tuple[bytes, ...] = tuple(n.encode("utf-16-le") for n in ("Workbook", "Book", "EncryptedPackage"))


def cell_name(row: int, col: int) -> str:
    """A1-style name of a spreadsheet cell (1-based row and column): ``cell_name(12, 3) == "C12"``."""
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"
