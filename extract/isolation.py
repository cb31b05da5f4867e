"""Reading a PDF in a process of its own, so that a hostile document costs its reader, not the run.

pdfium cannot be interrupted from a thread, and a document can make it allocate without end. So the
PDF libraries run in a reader process (``python -m extract.isolation``), started once and reused
for every document, talking pickles over a socket pair:

- before pdfium sees a byte, ``extract.limits.check_pdf_limits`` bounds what streams and pages
  inflate to, and ``read_pages`` refuses a page count over the limit;
- the parent watches the reader's resident memory every ``POLL_SECONDS`` and kills it (with the
  processes it started: its own process group) once a document has added more than
  ``Limits.memory_mb`` to it, or once the document has taken ``Limits.seconds``; the reader (and its
  table-reading pool) also cap their address space, so an allocation burst between two looks fails
  inside the reader instead of taking the machine;
- the reader dies with its parent (``PR_SET_PDEATHSIG``), and a killed reader is started again for
  the next document.

Each way a read can end becomes a ``DocumentReadError`` naming the file and the limit, or a
``TablesUnreadable`` (the pages were read; the tables were not).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extract.limits import Limits
    from extract.models import CellGrid, OcrCell, SheetOrigin
    from extract.ocr_engines import OcrEngine
    from extract.pdf import PageInfo
    from extract.scan import ScannedPage

#: Seconds between two looks at the reader's memory and clock.
POLL_SECONDS = 0.02
#: Seconds a new reader may take to import its libraries.
START_SECONDS = 120.0
#: The reader's address-space cap is this many times the memory budget above what it maps when idle
#: (address space counts reservations that never become resident: thread stacks, malloc arenas).
ADDRESS_SPACE_FACTOR = 4
#: Linux ``PR_SET_PDEATHSIG`` (include/uapi/linux/prctl.h)
PR_SET_PDEATHSIG = 1
#: The folder holding the ``extract`` package (the reader imports the same code as its parent).
CODE_ROOT = Path(__file__).resolve().parents[1]


def request_parent_death_signal(signum: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


class TablesUnreadable(Exception):
    """The pages were read but the table reader failed on them (``pages``: how many there are)."""

    def __init__(self, message: str, pages: int) -> None:
        super().__init__(message)
        self.pages = pages


@dataclass(frozen=True)
class PdfRead:
    """What the PDF libraries read from a document: its pages, ruled grids and the reader's notes."""

    pages: list[PageInfo]
    grids: list[CellGrid]
    notes: list[tuple[int | None, str]]
    #: what the document is: ``pdf``, or a spreadsheet (``xlsx``, ``xls``) whose sheets were laid out as pages
    kind: str = "pdf"
    #: for a spreadsheet, where each page's cells come from (sheet, rows, columns, stored numbers)
    origins: tuple[SheetOrigin, ...] = ()
    #: problems that keep the document from loading (a formula without a cached value)
    errors: tuple[str, ...] = ()
    #: what OCR read in each cell of the scanned pages (extract/scan.py), for lineage and corrections
    ocr_cells: tuple[OcrCell, ...] = ()
    #: pages whose fonts had no Unicode map, decoded through their glyph map (extract/glyph_map.py)
    decoded_pages: tuple[int, ...] = ()


def read_document(path: Path, source_file: str, parallel: bool | None, limits: Limits) -> PdfRead:
    """Read a PDF or a spreadsheet (told apart by content, not by name) into pages and grids (in this process)."""
    from extract.kinds import document_kind

    with open(path, "rb") as handle:
        head = handle.read(1024)
    if document_kind(head) in ("xlsx", "xls"):
        return read_spreadsheet(path, source_file, limits)
    return read_pdf(path, source_file, parallel, limits)


def read_spreadsheet(path: Path, source_file: str, limits: Limits) -> PdfRead:
    """Read a workbook's visible sheets as pages with ruled grids (extract/sheet_grid.py).

    Raises
    ------
    DocumentReadError
        Not a workbook, password-protected, damaged, or over a limit.

    """
    from extract.pdf import DocumentReadError
    from extract.sheet_grid import lay_out_sheet
    from extract.workbook import WorkbookLimits, read_workbook

    workbook_limits = WorkbookLimits(
        sheets=limits.pages, sheet_rows=limits.sheet_rows, sheet_cells=limits.sheet_cells,
        part_bytes=limits.stream_bytes, total_bytes=limits.document_bytes,
    )
    kind, sheets = read_workbook(path.read_bytes(), source_file, workbook_limits)
    pages: list[PageInfo] = []
    grids: list[CellGrid] = []
    origins: list[SheetOrigin] = []
    notes: list[tuple[int | None, str]] = []
    errors: list[str] = []
    for sheet in sheets:
        if sheet.hidden:
            if sheet.cells:
                notes.append((None, f"sheet {sheet.name} is hidden: not read (it is not printed)"))
            continue
        laid = lay_out_sheet(sheet)
        pages.append(laid.page)
        grids.extend(laid.grids)
        origins.append(laid.origin)
        notes.extend((None, note) for note in laid.notes)
        if sheet.formulas_without_value:
            cells = ", ".join(sheet.formulas_without_value[:10]) + (" …" if len(sheet.formulas_without_value) > 10 else "")
            errors.append(
                f"{source_file}: sheet {sheet.name}: formula without a cached value in {cells} (its amount is unknown: "
                "the workbook was saved without calculating; open and save it in Excel or LibreOffice)"
            )
    if not pages:
        raise DocumentReadError(source_file, "the workbook has no visible sheets")
    return PdfRead(pages, grids, notes, kind=kind, origins=tuple(origins), errors=tuple(errors))


def read_pdf(path: Path, source_file: str, parallel: bool | None, limits: Limits) -> PdfRead:
    """Check the limits, read the pages and their ruled grids (in this process).

    Raises
    ------
    DocumentReadError
        Not a PDF, damaged, encrypted, over a limit, or without a text layer.
    TablesUnreadable
        The table reader failed on the pages.

    """
    from extract.grids import read_grids, triage
    from extract.limits import check_pdf_limits
    from extract.pdf import check_pdf_bytes, needs_ocr, read_pages, readable_copy, text_is_garbled

    data = path.read_bytes()
    check_pdf_bytes(data, source_file)
    check_pdf_limits(data, source_file, limits)
    pages = read_pages(path, source_file, max_pages=limits.pages, data=data)
    del data
    scanned = [p.number for p in pages if needs_ocr(p)]
    ocr_cells: list[OcrCell] = []
    scan_grids: list[CellGrid] = []
    scan_notes: list[tuple[int | None, str]] = []
    glyph_pages = [p.number for p in pages if p.number in scanned and p.chars and text_is_garbled(p.text)]
    decoded: set[int] = set()
    if glyph_pages:
        pages, decoded, scan_notes = _decode_glyphs(path, pages, glyph_pages)
        scanned = [n for n in scanned if n not in decoded]
    if scanned:
        many = parallel if parallel is not None else (os.cpu_count() or 1) > 1
        pages, scan_grids, ocr_cells, notes_of_scans = _read_scanned(path, source_file, pages, scanned, many)
        scan_notes += notes_of_scans
    vector_pages, raster_pages = triage([p for p in pages if p.number not in scanned])
    try:
        with readable_copy(path) as readable:
            grids, notes = read_grids(readable, vector_pages, raster_pages, parallel=parallel, pages=pages)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - PDF readers fail in many ways on odd files; keep the batch going
        raise TablesUnreadable(f"{source_file}: tables could not be read ({type(exc).__name__}: {exc})", len(pages)) from exc
    grids = sorted([*grids, *scan_grids], key=lambda g: g.page)  # stable: top-to-bottom order within a page stays
    return PdfRead(pages, grids, [*scan_notes, *notes], ocr_cells=tuple(ocr_cells), decoded_pages=tuple(sorted(decoded)))


def scan_pages(path: str, numbers: list[int], engine: OcrEngine | None = None) -> list[ScannedPage]:
    """Read some scanned pages of a PDF (extract/scan.py), in this process (a pool process loads its engine once)."""
    import pypdfium2 as pdfium

    from extract.ocr_engines import ocr_engine
    from extract.scan import read_scanned_page

    engine = engine or ocr_engine()
    out = []
    pdf = pdfium.PdfDocument(path)
    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                out.append(read_scanned_page(page, number, engine))
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def _decode_glyphs(
    path: Path, pages: list[PageInfo], numbers: list[int]
) -> tuple[list[PageInfo], set[int], list[tuple[int | None, str]]]:
    """Decode the pages whose fonts lack a Unicode map through their glyph map (extract/glyph_map.py).

    Returns the pages (decoded ones replaced), the numbers of those decoded, and a note for each; pages that do
    not decode (or no OCR engine) are left to the scan path.
    """
    from extract.glyph_map import decode_glyph_pages
    from extract.grids import _get_pool
    from extract.ocr_engines import OcrUnavailable, ocr_engine

    try:
        ocr_engine()
    except OcrUnavailable:
        return pages, set(), []
    # in the table pool's processes, like OCR of scans: the recogniser's memory stays out of the reader
    decoded = _get_pool().submit(decode_glyph_pages, str(path), [p for p in pages if p.number in numbers], numbers).result()
    by_number = {p.number: p for p in pages} | {p.number: p for p in decoded}
    notes: list[tuple[int | None, str]] = [
        (p.number, "fonts without a Unicode map: the text layer was decoded through the glyphs' rendered readings")
        for p in decoded
    ]
    return [by_number[p.number] for p in pages], {p.number for p in decoded}, notes


def _read_scanned(
    path: Path, source_file: str, pages: list[PageInfo], scanned: list[int], parallel: bool | None
) -> tuple[list[PageInfo], list[CellGrid], list[OcrCell], list[tuple[int | None, str]]]:
    """OCR the pages without a usable text layer (extract/scan.py): their pages, grids, OCR'd cells and notes."""
    from extract.ocr_engines import OcrUnavailable, ocr_engine
    from extract.pdf import DocumentReadError

    try:
        ocr_engine()  # is one installed? (its models load in the pool's processes, on first use)
    except OcrUnavailable as exc:
        raise DocumentReadError(source_file, f"no text layer on page {scanned[0]} (scanned?) and no OCR engine: {exc}", scanned[0]) from exc
    by_number = {p.number: p for p in pages}
    grids: list[CellGrid] = []
    cells: list[OcrCell] = []
    notes: list[tuple[int | None, str]] = []
    from extract.grids import _get_pool

    # OCR runs in the table pool's processes (address space capped like the reader's; the recogniser's memory
    # stays out of the reader), two of them with pages dealt alternately unless told to read in one
    pool = _get_pool()
    chunks = [scanned[i::2] for i in range(2)] if parallel and len(scanned) >= 2 else [scanned]
    futures = [pool.submit(scan_pages, str(path), chunk) for chunk in chunks]
    read_pages_ = [page for future in futures for page in future.result()]
    for read in sorted(read_pages_, key=lambda r: r.page.number):
        by_number[read.page.number] = read.page
        grids += read.grids
        cells += read.cells
        notes += [(read.page.number, note) for note in read.notes]
    return [by_number[p.number] for p in pages], grids, cells, notes


# --------------------------------------------------------------------------- the reader process


def _serve(connection: Connection, budget: int) -> None:
    """The reader's loop: one (path, name, parallel, limits) job in, one (kind, payload) answer out."""
    # warm: what every read imports, before the address space is measured
    import extract.grids  # noqa: F401
    import extract.limits  # noqa: F401
    from extract.limits import cap_address_space

    address_budget = ADDRESS_SPACE_FACTOR * budget
    os.environ["FISCAL_READER_ADDRESS_BUDGET"] = str(address_budget)  # the table pool's processes cap themselves too
    cap_address_space(address_budget)
    connection.send(("ready", None))
    from extract.pdf import DocumentReadError

    while True:
        try:
            path, source_file, parallel, limits = connection.recv()
        except (EOFError, OSError):
            return
        answer: tuple[str, Any]
        try:
            answer = ("ok", read_document(Path(path), source_file, parallel, limits))
        except DocumentReadError as exc:
            answer = ("unreadable", (exc.source_file, exc.reason, exc.page))
        except TablesUnreadable as exc:
            answer = ("tables", (str(exc), exc.pages))
        except MemoryError:
            answer = ("memory", None)
        except Exception as exc:  # noqa: BLE001 - said to the parent, which books it as the document's failure
            answer = ("tables", (f"{source_file}: tables could not be read ({type(exc).__name__}: {exc})", 0))
        try:
            connection.send(answer)
        except MemoryError:
            connection.send(("memory", None))
        if answer[0] == "memory":
            return  # after a failed allocation nothing in this process is trusted: the next read starts afresh


def main() -> int:
    """Entry of ``python -m extract.isolation FD BUDGET``: tie to the parent, serve jobs until it hangs up."""
    fd, budget = int(sys.argv[1]), int(sys.argv[2])
    parent = os.getppid()
    request_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        return 1
    os.setpgrp()  # the parent stops this process and its table pool together
    _serve(Connection(fd), budget)
    return 0


# --------------------------------------------------------------------------- the parent's side


def _resident_bytes(pid: int) -> int | None:
    """Resident memory of a process (``/proc/PID/statm``), None once it is gone."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class IsolatedReader:
    """The parent's handle on a reader process: one document at a time, started on first use."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._budget = 0
        self._lock = threading.Lock()
        self.peak_added = 0  # the most resident memory one document added to the reader, in bytes

    @property
    def pid(self) -> int | None:
        """The reader's pid while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def read(self, path: Path, source_file: str, parallel: bool | None, limits: Limits) -> PdfRead:
        """Read a document in the reader process within ``limits`` (see the module's docstring)."""
        from extract.pdf import DocumentReadError

        with self._lock:
            connection, process = self._ensure(limits.memory_mb * 1024 * 1024)
            baseline = _resident_bytes(process.pid) or 0
            connection.send((str(path), source_file, parallel, limits))
            deadline = time.monotonic() + limits.seconds
            budget = limits.memory_mb * 1024 * 1024
            while not connection.poll(POLL_SECONDS):
                resident = _resident_bytes(process.pid)
                if resident is None or process.poll() is not None:
                    break  # it died: the recv below says how
                self.peak_added = max(self.peak_added, resident - baseline)
                if resident - baseline > budget:
                    self.stop()
                    raise DocumentReadError(
                        source_file, f"reading needed more than {limits.memory_mb} MB of memory (FISCAL_LIMIT_MEMORY_MB)"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    raise DocumentReadError(source_file, f"reading took more than {limits.seconds:g} s (FISCAL_LIMIT_SECONDS)")
            try:
                kind, payload = connection.recv()
            except (EOFError, OSError, pickle.UnpicklingError, AttributeError):
                code = process.wait()
                self.stop()
                how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
                raise DocumentReadError(source_file, f"the PDF reader died reading it ({how})") from None
            resident = _resident_bytes(process.pid)
            if resident is not None:
                self.peak_added = max(self.peak_added, resident - baseline)
        if kind == "ok":
            result: PdfRead = payload
            return result
        if kind == "unreadable":
            name, reason, page = payload
            raise DocumentReadError(name, reason, page)
        if kind == "tables":
            message, pages = payload
            raise TablesUnreadable(message, pages)
        self.stop()  # "memory": the reader exits after saying it
        raise DocumentReadError(source_file, f"reading needed more than {limits.memory_mb} MB of memory (FISCAL_LIMIT_MEMORY_MB)")

    def _ensure(self, budget: int) -> tuple[Connection, subprocess.Popen[bytes]]:
        """The running reader (started, or restarted with a new memory budget)."""
        if self._process is not None and (self._process.poll() is not None or budget != self._budget):
            self.stop()
        if self._process is None or self._connection is None:
            ours, theirs = socket.socketpair()
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join([str(CODE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
            env.setdefault("MALLOC_ARENA_MAX", "2")  # fewer 64 MB arena reservations against the address-space cap
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "extract.isolation", str(theirs.fileno()), str(budget)],
                    pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
                )
            finally:
                theirs.close()
            connection = Connection(ours.detach())
            if not connection.poll(START_SECONDS):
                process.kill()
                process.wait()
                connection.close()
                raise RuntimeError(f"the PDF reader process did not start within {START_SECONDS:.0f} s")
            try:
                connection.recv()  # "ready"
            except EOFError:
                code = process.wait()
                connection.close()
                raise RuntimeError(f"the PDF reader process exited while starting (exit code {code})") from None
            self._process, self._connection, self._budget = process, connection, budget
        return self._connection, self._process

    def stop(self) -> None:
        """Kill the reader and the processes it started (its process group); the next read starts a new one."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        process.wait()


_reader: IsolatedReader | None = None
_reader_lock = threading.Lock()


def isolated_reader() -> IsolatedReader:
    """The reader of this process (one per process; it reads one document at a time)."""
    global _reader
    with _reader_lock:
        if _reader is None:
            import atexit

            _reader = IsolatedReader()
            atexit.register(_reader.stop)
        return _reader


if __name__ == "__main__":
    # run the module's own copy, not __main__'s: what the reader pickles must name extract.isolation's classes
    from extract.isolation import main as reader_main

    sys.exit(reader_main())
