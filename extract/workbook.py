"""Spreadsheet files (.xlsx, .xls): recognise them by content, check their limits, read every sheet's cells.

What a sheet holds is read into ``SheetData`` (values as displayed and as stored, merged ranges, cell
rulings, hidden rows and columns); ``extract.sheet_grid`` lays it out as a page with ruled grids, so
identification, header inference, staging, validation and loading are those of PDFs.

Readers, chosen by measurement (docs/spreadsheets.md): openpyxl for .xlsx (number formats, borders,
hidden rows and columns, formulas; python-calamine is faster but gives none of these) and xlrd for
legacy .xls (``formatting_info``: formats, borders, merges, hidden rows). Both run in the isolated reader
process (extract/isolation.py), so the seconds and memory limits of a PDF bound a workbook too; the
checks here refuse, before any parser sees them, what no real disclosure holds (a part inflating past
``FISCAL_LIMIT_STREAM_MB``, a sheet of more than ``FISCAL_LIMIT_SHEET_ROWS`` rows or
``FISCAL_LIMIT_SHEET_CELLS`` cells, whatever its dimension claims).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from extract.kinds import DocumentKind, document_kind
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP
from extract.number_format import display, plain_decimal
from extract.pdf import DocumentReadError


@dataclass(frozen=True)
class SheetCell:
    """One non-empty cell: its text as displayed, and for a number the amount shown and the number stored."""

    text: str
    shown: Decimal | None = None
    stored: Decimal | None = None
    is_text: bool = False  # a string cell (a number typed or formatted as text reads as printed)


@dataclass
class SheetData:
    """What one sheet holds (rows and columns 1-based, as the spreadsheet numbers them)."""

    index: int  # position in the workbook, 1-based
    name: str
    hidden: bool = False
    cells: dict[tuple[int, int], SheetCell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1) inclusive
    rulings: dict[tuple[int, int], int] = field(default_factory=dict)  # EDGE_* flags of bordered cells
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    #: cells holding a formula without a cached value (its amount is unknown): "C12"
    formulas_without_value: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WorkbookLimits:
    """What a workbook may hold (from ``extract.limits.Limits``)."""

    sheets: int
    sheet_rows: int
    sheet_cells: int
    part_bytes: int
    total_bytes: int


def read_workbook(data: bytes, source_file: str, limits: WorkbookLimits) -> tuple[DocumentKind, list[SheetData]]:
    """Check a spreadsheet's limits and read its sheets.

    Parameters
    ----------
    data
        The file's bytes.
    source_file
        The document's name for messages.
    limits
        What it may hold.

    Returns
    -------
    tuple
        ``xlsx`` or ``xls``, and every sheet in workbook order (hidden ones flagged, not dropped).

    Raises
    ------
    DocumentReadError
        Not a workbook (another ZIP or OLE2 file), password-protected, damaged, or over a limit.

    """
    kind = document_kind(data[:1024])
    if kind == "xlsx":
        return kind, _read_xlsx(data, source_file, limits)
    if kind == "xls":
        return kind, _read_xls(data, source_file, limits)
    raise DocumentReadError(source_file, "not a spreadsheet (neither an OOXML ZIP nor an OLE2 compound file)")


# --------------------------------------------------------------------------- .xlsx


def _check_zip(archive: zipfile.ZipFile, source_file: str, limits: WorkbookLimits) -> list[str]:
    """Refuse a ZIP that is not a workbook or whose parts inflate past the limits; return its worksheet parts."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        what = (
            "a Word document (.docx)" if "word/document.xml" in names
            else "a PowerPoint file (.pptx)" if "ppt/presentation.xml" in names
            else "an OpenDocument file" if "mimetype" in names
            else "a ZIP archive"
        )
        raise DocumentReadError(source_file, f"{what}, not an Excel workbook (no xl/workbook.xml)")
    total = 0
    for info in archive.infolist():
        # zipfile never returns more than the declared size, so the declared sizes bound what parsing inflates
        if info.file_size > limits.part_bytes:
            raise DocumentReadError(
                source_file,
                f"part {info.filename} inflates to {info.file_size:,} bytes; the limit is {limits.part_bytes:,} (FISCAL_LIMIT_STREAM_MB)",
            )
        total += info.file_size
    if total > limits.total_bytes:
        raise DocumentReadError(
            source_file, f"inflates to {total:,} bytes; the limit is {limits.total_bytes:,} (FISCAL_LIMIT_DOCUMENT_MB)"
        )
    return sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _count_tags(stream: io.BufferedIOBase | Any) -> tuple[int, int, bool]:
    """Rows and cells a worksheet part writes, and whether it holds a formula, read in 1 MB chunks.

    A tag cut at a chunk's end is kept for the next chunk.
    """
    rows = cells = 0
    formulas = False
    tail = b""
    while chunk := stream.read(1 << 20):
        block = tail + chunk
        cut = max(0, len(block) - 8)
        rows += len(_ROW_TAG.findall(block, 0, cut))
        cells += len(_CELL_TAG.findall(block, 0, cut))
        formulas = formulas or _FORMULA_TAG.search(block, 0, cut) is not None
        tail = block[cut:]
    rows += len(_ROW_TAG.findall(tail))
    cells += len(_CELL_TAG.findall(tail))
    return rows, cells, formulas or _FORMULA_TAG.search(tail) is not None


def _local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name → its worksheet part (xl/workbook.xml's sheets through xl/_rels/workbook.xml.rels)."""
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels if _local(r.tag) == "Relationship"}
    parts = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _formulas_without_value(archive: zipfile.ZipFile, part: str) -> list[str]:
    """The cells of a worksheet part that hold a formula but no cached value (``<f>`` without ``<v>``)."""
    from defusedxml import ElementTree

    missing = []
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream, events=("end",)):
            if _local(element.tag) != "c":
                continue
            children = {_local(child.tag): child for child in element}
            value = children.get("v")
            if "f" in children and (value is None or not (value.text or "").strip()):
                missing.append(element.get("r", "?"))
            element.clear()
    return missing


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?"')


def _column_number(letters: bytes) -> int:
    """A1-style column letters as a 1-based number (b"XFD" → 16384)."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_dimension(head: bytes, part: str, source_file: str, limits: WorkbookLimits) -> None:
    """Refuse a sheet that claims (``<dimension ref=…>``) more cells than a sheet may hold, whatever it writes."""
    match = _DIMENSION.search(head)
    if match is None or match.group(3) is None:
        return
    first_col, first_row, last_col, last_row = match.groups()
    cells = (abs(int(last_row) - int(first_row)) + 1) * (abs(_column_number(last_col) - _column_number(first_col)) + 1)
    if cells > limits.sheet_cells:
        claim = f"{first_col.decode()}{int(first_row)}:{last_col.decode()}{int(last_row)}"
        raise DocumentReadError(
            source_file,
            f"{part} claims {claim} ({cells:,} cells); the limit is {limits.sheet_cells:,} (FISCAL_LIMIT_SHEET_CELLS)",
        )


def _check_sheet_sizes(archive: zipfile.ZipFile, parts: list[str], source_file: str, limits: WorkbookLimits) -> set[str]:
    """Refuse a worksheet part with more rows or cells than a disclosure holds, before openpyxl builds them.

    Returns the parts that hold formulas.
    """
    with_formulas = set()
    for part in parts:
        with archive.open(part) as stream:
            _check_dimension(stream.read(1 << 16), part, source_file, limits)
        with archive.open(part) as stream:
            rows, cells, formulas = _count_tags(stream)
        if formulas:
            with_formulas.add(part)
        if rows > limits.sheet_rows:
            raise DocumentReadError(
                source_file, f"{part} holds {rows:,} rows; the limit is {limits.sheet_rows:,} (FISCAL_LIMIT_SHEET_ROWS)"
            )
        if cells > limits.sheet_cells:
            raise DocumentReadError(
                source_file, f"{part} holds {cells:,} cells; the limit is {limits.sheet_cells:,} (FISCAL_LIMIT_SHEET_CELLS)"
            )
    return with_formulas


def _read_xlsx(data: bytes, source_file: str, limits: WorkbookLimits) -> list[SheetData]:
    """Read an .xlsx with openpyxl (values and cached formula results, formats, merges, borders, hidden parts)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentReadError(source_file, f"damaged ZIP archive ({exc})") from exc
    with archive:
        parts = _check_zip(archive, source_file, limits)
        with_formulas = _check_sheet_sizes(archive, parts, source_file, limits)
        # a formula without a cached value reads as an empty cell: find them in the XML (openpyxl would need a second load)
        uncached = {name: _formulas_without_value(archive, part) for name, part in _sheet_parts(archive).items() if part in with_formulas}
    import openpyxl  # defusedxml is installed: openpyxl parses through it (no entity expansion)

    try:
        cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl fails in many ways on damaged parts; name the file
        raise DocumentReadError(source_file, f"damaged or unsupported workbook ({type(exc).__name__}: {exc})") from exc
    if len(cached.worksheets) > limits.sheets:
        raise DocumentReadError(source_file, f"has {len(cached.worksheets)} sheets; the limit is {limits.sheets} (FISCAL_LIMIT_PAGES)")
    sheets = []
    for index, ws in enumerate(cached.worksheets, 1):
        sheet = SheetData(index=index, name=ws.title, hidden=ws.sheet_state != "visible")
        sheet.formulas_without_value = uncached.get(ws.title, [])
        sheet.hidden_rows = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
        sheet.hidden_cols = set(_hidden_columns(ws))
        for min_col, min_row, max_col, max_row in (rng.bounds for rng in ws.merged_cells.ranges):
            sheet.merges.append((min_row, min_col, max_row, max_col))
        for (row, col), cell in ws._cells.items():  # every cell the part writes, styled empty ones included
            flags = _border_flags(cell.border)
            if flags:
                sheet.rulings[(row, col)] = flags
            value = cell.value
            if value is None:
                continue
            read = _xlsx_cell(value, cell.number_format)
            if read is not None:
                sheet.cells[(row, col)] = read
        sheets.append(sheet)
    return sheets


def _hidden_columns(ws: Any) -> Iterator[int]:
    """The hidden columns of an openpyxl worksheet (a dimension may cover a range min..max)."""
    from openpyxl.utils import column_index_from_string

    for key, dim in ws.column_dimensions.items():
        if not dim.hidden:
            continue
        first = dim.min or column_index_from_string(key)
        last = dim.max or first
        yield from range(first, min(last, 16384) + 1)


def _border_flags(border: Any) -> int:
    """EDGE_* flags of the sides of a cell that carry a ruling."""
    flags = 0
    for side, flag in (("left", EDGE_LEFT), ("right", EDGE_RIGHT), ("top", EDGE_TOP), ("bottom", EDGE_BOTTOM)):
        edge = getattr(border, side, None)
        if edge is not None and edge.style not in (None, "none"):
            flags |= flag
    return flags


def _xlsx_cell(value: object, number_format: str | None) -> SheetCell | None:
    """One openpyxl value as displayed (a number through its format); None for an empty string."""
    if isinstance(value, bool):
        return SheetCell("TRUE" if value else "FALSE", is_text=True)
    if isinstance(value, int | float | Decimal):
        text, shown = display(value, number_format)
        return SheetCell(text, shown, plain_decimal(value))
    text = str(value)
    if not text.strip():
        return None
    return SheetCell(text, is_text=True)


# --------------------------------------------------------------------------- .xls


def _read_xls(data: bytes, source_file: str, limits: WorkbookLimits) -> list[SheetData]:
    """Read a legacy .xls with xlrd (cached formula results, formats, merges, borders, hidden rows/columns)."""
    streams = _ole_streams(data, source_file)
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise DocumentReadError(source_file, "password-protected workbook (encrypted; cannot be read without its password)")
    if not streams & {"Workbook", "Book"}:
        what = "a Word document (.doc)" if "WordDocument" in streams else "an OLE2 compound file"
        raise DocumentReadError(source_file, f"{what}, not an Excel workbook (no Workbook stream)")
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, ragged_rows=True, on_demand=True)
    except xlrd.XLRDError as exc:
        reason = str(exc)
        if "encrypted" in reason.lower():
            raise DocumentReadError(source_file, "password-protected workbook (encrypted; cannot be read without its password)") from exc
        raise DocumentReadError(source_file, f"damaged or unsupported workbook ({reason})") from exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - xlrd fails in many ways on damaged files; name the file
        raise DocumentReadError(source_file, f"damaged or unsupported workbook ({type(exc).__name__}: {exc})") from exc
    if book.nsheets > limits.sheets:
        raise DocumentReadError(source_file, f"has {book.nsheets} sheets; the limit is {limits.sheets} (FISCAL_LIMIT_PAGES)")
    sheets = []
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            if sh.nrows > limits.sheet_rows:
                raise DocumentReadError(
                    source_file, f"sheet {sh.name} holds {sh.nrows:,} rows; the limit is {limits.sheet_rows:,} (FISCAL_LIMIT_SHEET_ROWS)"
                )
            sheets.append(_xls_sheet(book, sh, index + 1, source_file, limits))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets


def _ole_streams(data: bytes, source_file: str) -> set[str]:
    """The top-level stream names of an OLE2 compound file (olefile reads only its directory here)."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            return {entry[0] for entry in ole.listdir(streams=True, storages=True) if entry}
    except (OSError, ValueError, IndexError) as exc:
        raise DocumentReadError(source_file, f"damaged OLE2 compound file ({exc})") from exc


def _xls_sheet(book: Any, sh: Any, index: int, source_file: str, limits: WorkbookLimits) -> SheetData:
    """One xlrd sheet as SheetData (rows and columns made 1-based)."""
    import xlrd

    sheet = SheetData(index=index, name=sh.name, hidden=sh.visibility != 0)
    sheet.hidden_rows = {r + 1 for r, info in sh.rowinfo_map.items() if info.hidden}
    sheet.hidden_cols = {c + 1 for c, info in sh.colinfo_map.items() if info.hidden}
    sheet.merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in sh.merged_cells]  # xlrd: half-open ranges
    n_cells = 0
    for r in range(sh.nrows):
        n_cells += sh.row_len(r)
        if n_cells > limits.sheet_cells:
            raise DocumentReadError(
                source_file, f"sheet {sh.name} holds over {limits.sheet_cells:,} cells (FISCAL_LIMIT_SHEET_CELLS)"
            )
        for c in range(sh.row_len(r)):
            cell = sh.cell(r, c)
            xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
            if xf is not None:
                flags = _xls_border_flags(xf.border)
                if flags:
                    sheet.rulings[(r + 1, c + 1)] = flags
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                continue
            if cell.ctype == xlrd.XL_CELL_NUMBER:
                fmt = book.format_map.get(xf.format_key).format_str if xf is not None and xf.format_key in book.format_map else None
                text, shown = display(cell.value, fmt)
                sheet.cells[(r + 1, c + 1)] = SheetCell(text, shown, plain_decimal(cell.value))
            elif cell.ctype == xlrd.XL_CELL_TEXT and str(cell.value).strip():
                sheet.cells[(r + 1, c + 1)] = SheetCell(str(cell.value), is_text=True)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                sheet.cells[(r + 1, c + 1)] = SheetCell("TRUE" if cell.value else "FALSE", is_text=True)
    return sheet


def _xls_border_flags(border: Any) -> int:
    """EDGE_* flags of an xlrd XF border (line style 0 is none)."""
    flags = 0
    for attr, flag in (
        ("left_line_style", EDGE_LEFT), ("right_line_style", EDGE_RIGHT),
        ("top_line_style", EDGE_TOP), ("bottom_line_style", EDGE_BOTTOM),
    ):
        if getattr(border, attr, 0):
            flags |= flag
    return flags
