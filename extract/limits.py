"""Limits a document must stay within before a PDF library is let at it, and the scan that enforces them.

A 1 MB flate stream can inflate to gigabytes, and pdfium inflates a page's whole content at once;
a 1 KB page tree can claim a million pages. ``check_pdf_limits`` reads the raw bytes first: it
inflates every Flate stream (object streams too) in bounded chunks, throwing the output away, and
stops as soon as a stream, or the content streams of one page, pass their limit; it never holds more
than one chunk. ``read_pages`` refuses a page count over ``Limits.pages`` before any page is loaded. What no scan can foresee (seconds, memory) the isolated reader bounds (extract/isolation.py).

Defaults leave room for scanned pages (a 600 dpi A4 colour page is ≈ 100 MB raw) and for OCR later;
every limit can be set with a ``FISCAL_LIMIT_*`` environment variable.
"""

from __future__ import annotations

import os
import re
import resource
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict

from extract.pdf import DocumentReadError

MB = 1024 * 1024
#: Bytes inflated at a time while measuring a stream.
CHUNK = 1 * MB


class Limits(BaseSettings):
    """What one document may cost (``FISCAL_LIMIT_PAGES``, ``FISCAL_LIMIT_STREAM_MB`` …)."""

    model_config = SettingsConfigDict(env_prefix="FISCAL_LIMIT_", frozen=True)

    pages: int = 2000
    stream_mb: int = 160
    page_mb: int = 160
    document_mb: int = 2048
    seconds: float = 600.0
    memory_mb: int = 600
    #: rows and cells one sheet of a spreadsheet may hold (a disclosure's sheets hold hundreds)
    sheet_rows: int = 100_000
    sheet_cells: int = 2_000_000
    #: read in the isolated reader process (off only to profile or debug the readers in one process)
    isolate: bool = True

    @property
    def stream_bytes(self) -> int:
        """Inflated bytes one stream may have."""
        return self.stream_mb * MB

    @property
    def document_bytes(self) -> int:
        """Inflated bytes all streams of a document may have together (also bounds the scan's time)."""
        return self.document_mb * MB

    @property
    def page_bytes(self) -> int:
        """Inflated bytes the content streams of one page may have together."""
        return self.page_mb * MB


@dataclass(frozen=True)
class _Stream:
    """One stream object of the file: its object number, dictionary and raw (still encoded) bytes."""

    number: int | None
    dictionary: bytes
    raw: bytes


_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_ENDSTREAM = re.compile(rb"(?:\r\n|\n|\r)?endstream")
_FLATE_FIRST = re.compile(rb"/Filter\s*(?:\[\s*)?/(FlateDecode|Fl)\b")
_ANY_FILTER = re.compile(rb"/Filter\b")
_CONTENTS = re.compile(rb"/Contents\s*(?:(\d+)\s+\d+\s+R|\[([\d\sR]*)\])")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_REF = re.compile(rb"(\d+)\s+\d+\s+R")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
_FIRST = re.compile(rb"/First\s+(\d+)")
_N = re.compile(rb"/N\s+(\d+)")


def _streams(data: bytes) -> Iterator[_Stream]:
    """The stream objects of a PDF, found by their keywords (a damaged xref does not hide them)."""
    position = 0
    while True:
        found = _STREAM.search(data, position)
        if found is None:
            return
        start = found.end()
        end_match = _ENDSTREAM.search(data, start)
        end = end_match.start() if end_match else len(data)
        # the object header is the last "N G obj" before the keyword
        header_from = max(0, found.start() - 4096)
        headers = list(_OBJ.finditer(data, header_from, found.start()))
        number = int(headers[-1].group(1)) if headers else None
        dictionary = data[headers[-1].end() : found.start()] if headers else data[header_from : found.start()]
        if dictionary.rstrip().endswith(b">>"):  # the word "stream" inside a string is not a stream
            yield _Stream(number, dictionary, data[start:end])
        position = end_match.end() if end_match else len(data)


def inflated_size(raw: bytes, limit: int) -> int:
    """Bytes a Flate stream inflates to, counted in ``CHUNK``s and stopped once past ``limit``.

    A stream that is damaged part-way counts what inflated before the damage (pdfium reads that much).
    """
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending:
            out = inflater.decompress(pending, CHUNK)
            total += len(out)
            if total > limit:
                return total
            pending = inflater.unconsumed_tail
            if not out and not pending:
                break
        total += len(inflater.flush())  # the little zlib still holds once all input went in
    except zlib.error:
        pass
    return total


def _inflate(raw: bytes, limit: int) -> bytes | None:
    """A Flate stream's bytes when they stay within ``limit`` (object streams only), else None."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        return None
    return None if len(out) > limit else out


def _objects_in_stream(content: bytes, dictionary: bytes) -> Iterator[tuple[int, bytes]]:
    """The (object number, text) pairs packed in an inflated object stream."""
    first, count = _FIRST.search(dictionary), _N.search(dictionary)
    if first is None or count is None:
        return
    offset = int(first.group(1))
    numbers = content[:offset].split()
    pairs = [(int(numbers[i]), int(numbers[i + 1])) for i in range(0, min(len(numbers) - 1, 2 * int(count.group(1))), 2)]
    for index, (number, start) in enumerate(pairs):
        end = pairs[index + 1][1] if index + 1 < len(pairs) else len(content) - offset
        yield number, content[offset + start : offset + end]


def check_pdf_limits(data: bytes, source_file: str, limits: Limits | None = None) -> None:
    """Refuse a PDF whose streams, pages or whole inflate past ``limits``, inflating no more than the limits allow.

    Pages come first: each page's content streams are inflated in turn against what is left of the
    page's budget, so a page of many streams stops at ``Limits.page_mb``; then every other Flate stream
    against ``Limits.stream_mb``; and all of it against ``Limits.document_mb``, which bounds the scan's
    own time. Nothing inflated is kept (one chunk at a time).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    source_file : str
        The document's name for messages.
    limits : Limits, optional
        Default: ``Limits()`` (environment).

    Raises
    ------
    DocumentReadError
        Naming the objects and the limit passed.

    """
    scan = _Scan(data, source_file, limits or Limits())
    for refs in scan.page_contents():
        scan.check_page(refs)
    scan.check_other_streams()


class _Scan:
    """The streams and pages of one file, and the inflated bytes spent measuring them."""

    def __init__(self, data: bytes, source_file: str, limits: Limits) -> None:
        self.data, self.source_file, self.limits = data, source_file, limits
        self.streams: dict[int, _Stream] = {}
        self.unnumbered: list[_Stream] = []
        self.page_objects: list[bytes] = []
        self.measured: dict[int, int] = {}  # exact sizes (within the limits)
        self.spent = 0
        for stream in _streams(data):
            if stream.number is None:
                self.unnumbered.append(stream)
            else:
                self.streams[stream.number] = stream  # an incremental update's copy replaces the older one
            if _OBJSTM.search(stream.dictionary) and _FLATE_FIRST.search(stream.dictionary):
                content = _inflate(stream.raw, limits.stream_bytes)
                if content is not None:
                    self.page_objects += [t for _, t in _objects_in_stream(content, stream.dictionary) if _PAGE.search(t)]
        for header in _OBJ.finditer(data):
            body = data[header.end() : header.end() + 4096].split(b"endobj", 1)[0]
            if _PAGE.search(body):
                self.page_objects.append(body)

    def page_contents(self) -> Iterator[list[int]]:
        """The content stream object numbers of each page dictionary found."""
        for body in self.page_objects:
            contents = _CONTENTS.search(body)
            if contents is not None:
                yield [int(contents.group(1))] if contents.group(1) else [int(r) for r in _REF.findall(contents.group(2) or b"")]

    def measure(self, stream: _Stream, limit: int) -> int:
        """Inflated size of one stream (stopped past ``limit``), charged to the document's budget."""
        if not _FLATE_FIRST.search(stream.dictionary):
            return len(stream.raw)  # unfiltered or other filters: judged by their encoded size
        size = inflated_size(stream.raw, min(limit, self.limits.document_bytes - self.spent))
        self.spent += size
        if self.spent > self.limits.document_bytes:
            raise DocumentReadError(
                self.source_file,
                f"its streams inflate to more than {self.limits.document_mb} MB in all (limit FISCAL_LIMIT_DOCUMENT_MB)",
            )
        return size

    def check_page(self, refs: list[int]) -> None:
        """Raise when one page's content streams inflate past the page limit (or one past the stream limit)."""
        limits, total = self.limits, 0
        for ref in refs:
            stream = self.streams.get(ref)
            if stream is None:
                continue
            if ref not in self.measured:
                size = self.measure(stream, min(limits.stream_bytes, limits.page_bytes - total))
                if size > limits.stream_bytes:
                    raise _stream_too_big(self.source_file, ref, limits)
                if size > limits.page_bytes - total:
                    total += size
                    break  # the page is over; the size is a lower bound, not kept
                self.measured[ref] = size
            total += self.measured[ref]
        if total > limits.page_bytes:
            shown = ", ".join(map(str, refs[:5])) + (" …" if len(refs) > 5 else "")
            raise DocumentReadError(
                self.source_file,
                f"the content streams of a page (objects {shown}) inflate to more than {limits.page_mb} MB "
                "(limit FISCAL_LIMIT_PAGE_MB)",
            )

    def check_other_streams(self) -> None:
        """Raise when a stream no page's content measured inflates past the stream limit."""
        others = [(n, s) for n, s in self.streams.items() if n not in self.measured]
        for number, stream in [*others, *((None, s) for s in self.unnumbered)]:
            if self.measure(stream, self.limits.stream_bytes) > self.limits.stream_bytes:
                raise _stream_too_big(self.source_file, number, self.limits)


def _stream_too_big(source_file: str, number: int | None, limits: Limits) -> DocumentReadError:
    """The error for one stream over ``Limits.stream_mb``."""
    name = f"stream object {number}" if number is not None else "a stream"
    return DocumentReadError(source_file, f"{name} inflates to more than {limits.stream_mb} MB (limit FISCAL_LIMIT_STREAM_MB)")


def address_space_bytes() -> int | None:
    """The virtual memory size of this process now (Linux ``/proc/self/statm``), None where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def cap_address_space(budget: int) -> int | None:
    """Let this process map at most ``budget`` more bytes than it maps now (``RLIMIT_AS``); return the cap.

    Called once a reader process has imported what it reads with, so the budget is what a document
    may add. An allocation past it fails (MemoryError in Python, a failed or aborted allocation in
    pdfium) instead of taking the machine's memory.
    """
    current = address_space_bytes()
    if current is None:
        return None
    cap = current + budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap
