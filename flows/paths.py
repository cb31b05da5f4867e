"""Local input paths as a batch meets them: walking folders, reading files safely, naming them, passing them on.

File names are bytes on Linux: a name written by a Chinese Windows tool is often GBK, which Python
holds as a ``str`` with lone surrogates (``os.fsdecode``). Such a string cannot be written to JSON
(Prefect's flow parameters), to the warehouse or to the terminal, so:

- ``path_label`` gives the name people can read (UTF-8, else GB18030, else with replacement marks);
- ``path_parameter`` / ``path_from_parameter`` carry any path through JSON and back, byte for byte;
- ``read_input`` reads only regular files, never past a size limit, and opens without blocking (a FIFO
  named ``x.pdf`` would otherwise hang the batch), raising ``InputError`` with a one-line reason;
- ``collect_inputs`` walks folders without stopping at what vanishes or cannot be listed.

This module imports nothing beyond the standard library (the CLI's fast path uses it).
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

#: The largest input file read (bytes); published 决算 PDFs are under 20 MB, scanned ones under 100 MB.
MAX_INPUT_BYTES = 256 * 1024 * 1024
#: Prefix of a path parameter that is not valid UTF-8 (the path's bytes, base64).
BYTES_PREFIX = "fs-bytes:"
#: Suffixes taken from folders: PDFs and spreadsheets (a file named on the command line is read whatever its suffix).
DOCUMENT_SUFFIXES = (".pdf", ".xlsx", ".xls")


class InputError(OSError):
    """A local input that cannot be read as a document (one line: the path and why)."""


def decode_name(raw: bytes) -> str:
    """Bytes of a file name as text people can read: UTF-8, else GB18030, else UTF-8 with replacement marks."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def path_label(path: Path | str) -> str:
    """The path as printable, storable text (its bytes decoded by ``decode_name``)."""
    return decode_name(os.fsencode(path))


def is_portable(text: str) -> bool:
    """Whether a string encodes to UTF-8 (no lone surrogates from undecodable file-name bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def path_parameter(path: Path | str) -> str:
    """A JSON-safe string for ``path``: itself when it is valid UTF-8, else its bytes in base64."""
    text = os.fspath(path)
    if is_portable(text) and not text.startswith(BYTES_PREFIX):
        return text
    return BYTES_PREFIX + base64.urlsafe_b64encode(os.fsencode(text)).decode("ascii")


def path_from_parameter(parameter: str) -> Path:
    """The path a ``path_parameter`` string stands for (the same bytes)."""
    if parameter.startswith(BYTES_PREFIX):
        return Path(os.fsdecode(base64.urlsafe_b64decode(parameter[len(BYTES_PREFIX) :].encode("ascii"))))
    return Path(parameter)


def read_input(path: Path, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file, read without blocking on open and never past ``max_bytes``.

    Parameters
    ----------
    path : Path
        The file.
    max_bytes : int
        Refuse a file larger than this (checked before reading, and again while reading: a file that
        grows, or a special file claiming size 0, is never read past it).

    Returns
    -------
    bytes
        The file's bytes.

    Raises
    ------
    InputError
        Not there, not a regular file (FIFO, device, socket, folder), unreadable, or too large.

    """
    label = path_label(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{label}: no such file (removed while the batch ran?)") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{label}: not a regular file ({_kind(info.st_mode)}); only regular files are read")
        if info.st_size > max_bytes:
            raise InputError(f"{label}: {info.st_size} bytes; the limit is {max_bytes} bytes per document")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            except OSError as exc:  # /proc/self/mem and the like: listed as regular, unreadable
                raise InputError(f"{label}: cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputError(f"{label}: more than {max_bytes} bytes; the limit is {max_bytes} bytes per document")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in (
        (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _walk(folder: Path, problems: list[str]) -> Iterator[Path]:
    """Every entry under ``folder`` whose name ends in a document suffix, sorted by name bytes; listing errors noted."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        problems.append(f"{path_label(folder)}: cannot be listed ({exc.strerror or exc})")
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(Path(entry.path), problems)
        elif entry.name.lower().endswith(DOCUMENT_SUFFIXES):
            yield Path(entry.path)  # not checked here: a FIFO or device is read (and refused) as a document


def collect_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[str], list[str]]:
    """Expand folders to the PDF-named entries under them; keep files named directly, each once.

    Parameters
    ----------
    paths : iterable of Path
        Files and folders from the command line.

    Returns
    -------
    inputs : list of Path
        What to process, in order (folders sorted), each once by resolved path.
    missing : list of str
        Arguments that do not exist (labels).
    problems : list of str
        Folders that could not be listed, one line each (the rest of the batch goes on).

    """
    found: list[Path] = []
    missing: list[str] = []
    problems: list[str] = []
    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            missing.append(path_label(path))
            continue
        except OSError as exc:
            problems.append(f"{path_label(path)}: cannot be examined ({exc.strerror or exc})")
            continue
        if stat.S_ISDIR(info.st_mode):
            found.extend(_walk(path, problems))
        else:
            found.append(path)
    seen: set[str] = set()
    unique: list[Path] = []
    for path in found:
        try:
            key = os.fspath(path.resolve())
        except (OSError, RuntimeError):  # a symlink loop: keep the path as given
            key = os.fspath(path.absolute())
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique, missing, problems
