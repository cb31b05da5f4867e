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
    seconds: float = 600.0
    memory_mb: int = 600
    #: read in the isolated reader process (off only to profile or debug the readers in one process)
    isolate: bool = True

    @property
    def stream_bytes(self) -> int:
        """Inflated bytes one stream may have."""
        return self.stream_mb * MB

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
    """Refuse a PDF whose streams or pages inflate past ``limits``, without inflating more than one chunk at a time.

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
        Naming the object (and page) and the limit passed.

    """
    limits = limits or Limits()
    sizes: dict[int, int] = {}
    page_objects: list[bytes] = []
    for stream in _streams(data):
        name = f"stream object {stream.number}" if stream.number is not None else "a stream"
        if _FLATE_FIRST.search(stream.dictionary):
            size = inflated_size(stream.raw, limits.stream_bytes)
            if size > limits.stream_bytes:
                raise DocumentReadError(
                    source_file, f"{name} inflates to more than {limits.stream_mb} MB (limit FISCAL_LIMIT_STREAM_MB)"
                )
            if _OBJSTM.search(stream.dictionary):
                content = _inflate(stream.raw, limits.stream_bytes)
                if content is not None:
                    page_objects += [text for _, text in _objects_in_stream(content, stream.dictionary) if _PAGE.search(text)]
        elif _ANY_FILTER.search(stream.dictionary):
            size = len(stream.raw)  # other filters: judged by their encoded size (pdfium bounds them itself)
        else:
            size = len(stream.raw)
        if stream.number is not None:
            sizes[stream.number] = max(size, sizes.get(stream.number, 0))  # an incremental update may repeat it
    for header in _OBJ.finditer(data):
        body = data[header.end() : header.end() + 4096].split(b"endobj", 1)[0]
        if _PAGE.search(body):
            page_objects.append(body)
    for body in page_objects:
        contents = _CONTENTS.search(body)
        if contents is None:
            continue
        refs = [int(contents.group(1))] if contents.group(1) else [int(r) for r in _REF.findall(contents.group(2) or b"")]
        total = sum(sizes.get(ref, 0) for ref in refs)
        if total > limits.page_bytes:
            shown = ", ".join(map(str, refs[:5])) + (" …" if len(refs) > 5 else "")
            raise DocumentReadError(
                source_file,
                f"the content streams of a page (objects {shown}) inflate to more than {limits.page_mb} MB "
                "(limit FISCAL_LIMIT_PAGE_MB)",
            )


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
