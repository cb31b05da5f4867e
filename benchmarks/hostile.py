"""Hostile-document benchmark: what each crafted PDF costs the isolated reader, against what one costs without limits.

The documents are made on the fly by ``tests/hostile/pdfs.py`` and written to a temp folder:

- flate bomb 1 MB / 2 MB: one page whose single content stream inflates ≈ 1000× (≈ 1 / 2 GB of spaces);
- page tree of about 1 KB claiming 10^6 pages;
- many streams: one page of 40 Flate streams of 40 MB each (each under the 160 MB stream limit, 1.6 GB
  together, over the 160 MB page limit); the same with the page dictionary in an object stream;
- watchdog: the many-streams page read with ``Limits(page_mb=100000)``, so the scan lets it through and
  only the reader's memory watchdog (``Limits.memory_mb``, 600 MB) or its address-space cap can stop it;
- baseline: the Changsha sample (samples/changsha_zwfwzx_2020_juesuan.pdf), a normal document.

Each document gets a fresh ``IsolatedReader()``: started and warmed by reading the Changsha sample, its
peak resident memory reset (``/proc/PID/clear_refs`` ← 5; where that fails, VmHWM keeps the warm
read's peak), its VmRSS recorded; then the document is read through ``reader.read`` and the row shows
the outcome (the one-line ``DocumentReadError`` reason, or what was read), wall seconds, and the memory
the document added: the reader's VmHWM after minus its VmRSS before. When the reader did not survive
the document, VmHWM is gone with it and the row shows the watchdog's own figure (``reader.peak_added``,
sampled every 20 ms) marked "killed by the watchdog" (or "reader ended" when the reader stopped
itself, an allocation failing under its address-space cap). The last column is that memory over the 600 MB budget.

The "before" comparison, in the same run: ``read_pdf`` of the 1 MB flate bomb in a child process with
``Limits(stream_mb=100000, page_mb=100000, memory_mb=100000)`` (no scan limit, no reader, no watchdog),
timed out after ``--timeout`` seconds; its peak RSS is the child's ``ru_maxrss`` (``os.wait4``), and
its added memory that minus the RSS it reported after importing what the reader imports. This process never holds more than
one document's bytes.

Prints a table; asserts nothing.

    .venv/bin/python benchmarks/hostile.py [--timeout 120] [--no-unlimited]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
MB = 1024 * 1024
NO_LIMITS = {"stream_mb": 100000, "page_mb": 100000, "memory_mb": 100000}

# the child of the "without limits" row: report RSS after imports, read, report the outcome
UNLIMITED = """
import sys
from pathlib import Path
import extract.grids, extract.limits  # what the reader imports before it is measured
from extract.isolation import read_pdf
from extract.limits import Limits
from extract.pdf import DocumentReadError
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(rss, flush=True)
try:
    read = read_pdf(Path(sys.argv[1]), "flate-1mb.pdf", False, Limits(stream_mb=100000, page_mb=100000, memory_mb=100000))
    print(f"read: {len(read.pages)} page(s), {len(read.grids)} grid(s)", flush=True)
except DocumentReadError as exc:
    print(exc.reason, flush=True)
"""


@dataclass
class Case:
    """One document to read: its name, how to make its bytes, the limits to read it with."""

    name: str
    make: Callable[[], bytes]
    limits: dict[str, int]


@dataclass
class Row:
    """One line of the table."""

    name: str
    size: int
    outcome: str
    seconds: float
    added: int | None  # bytes
    killed: str = ""  # how the reader ended, when it did not survive the document
    note: str = ""


def cases() -> list[Case]:
    """The documents, in the order of the table."""
    from tests.hostile.pdfs import flate_bomb, many_streams_page, object_stream_page_bomb, page_bomb

    return [
        Case("changsha sample (normal document)", SAMPLE.read_bytes, {}),
        Case("flate bomb 1 MB", lambda: flate_bomb(1.0), {}),
        Case("flate bomb 2 MB", lambda: flate_bomb(2.0), {}),
        Case("page tree claiming 10^6 pages", lambda: page_bomb(1_000_000), {}),
        Case("page of 40 x 40 MB streams", lambda: many_streams_page(streams=40, each_mb=40), {}),
        Case("same, page in an object stream", lambda: object_stream_page_bomb(each_mb=40, streams=40), {}),
        Case("40 x 40 MB page, page_mb=100000 (watchdog)", lambda: many_streams_page(streams=40, each_mb=40), {"page_mb": 100000}),
    ]


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` figure in bytes (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its VmRSS (Linux ≥ 4.0); False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(case: Case, path: Path) -> Row:
    """Read one document in a fresh, warmed reader; the added memory and how the read ended."""
    from extract.isolation import IsolatedReader, TablesUnreadable
    from extract.limits import Limits
    from extract.pdf import DocumentReadError

    limits = Limits(**case.limits)
    reader = IsolatedReader()
    try:
        reader.read(SAMPLE, SAMPLE.name, False, limits)  # start and warm (same memory budget: no restart)
        pid = reader.pid
        assert pid is not None
        note = "" if reset_peak(pid) else "VmHWM not reset"
        before = status_kb(pid, "VmRSS")
        reader.peak_added = 0
        started = time.perf_counter()
        try:
            read = reader.read(path, path.name, False, limits)
            outcome = f"read: {len(read.pages)} pages, {len(read.grids)} grids"
        except DocumentReadError as exc:
            outcome = exc.reason
        except TablesUnreadable as exc:
            outcome = str(exc).split(": ", 1)[-1]
        seconds = time.perf_counter() - started
        if reader.pid == pid:
            return Row(case.name, path.stat().st_size, outcome, seconds, status_kb(pid, "VmHWM") - before, note=note)
        how = "killed by the watchdog" if reader.peak_added > limits.memory_mb * MB else "reader ended"
        return Row(case.name, path.stat().st_size, outcome, seconds, reader.peak_added, killed=how, note=note)
    finally:
        reader.stop()


def unlimited(path: Path, timeout: float) -> Row:
    """``read_pdf`` of the document without limits, in a child process: its peak RSS and seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    out = tempfile.TemporaryFile()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", UNLIMITED, str(path)], stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            timed_out = True
            os.kill(child.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    out.seek(0)
    lines = out.read().decode(errors="replace").splitlines()
    peak = usage.ru_maxrss * 1024
    idle = int(lines[0]) * 1024 if lines and lines[0].isdigit() else None
    if timed_out:
        outcome = f"TIMED OUT after {timeout:g} s (killed)"
    elif len(lines) > 1:
        outcome = lines[1]
    else:
        outcome = f"child ended with exit code {child.returncode}"
    added = peak - idle if idle is not None else None
    return Row("flate bomb 1 MB WITHOUT limits (child)", path.stat().st_size, outcome, seconds, added,
               note=f"peak RSS {peak / MB:.0f} MB" + (f", {idle / MB:.0f} MB after imports" if idle else ""))


def main() -> None:
    """Make the documents, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for the read without limits (default 120)")
    parser.add_argument("--no-unlimited", action="store_true", help="skip the read without limits")
    args = parser.parse_args()
    from extract.limits import Limits

    budget = Limits().memory_mb * MB
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fiscal-hostile-bench-") as tmp:
        for index, case in enumerate(cases()):
            path = Path(tmp) / f"{index}.pdf"
            path.write_bytes(case.make())
            print(f"{case.name} …", file=sys.stderr)
            rows.append(measure(case, path))
            if index == 1 and not args.no_unlimited:  # the 1 MB flate bomb: the "before" row, while the file is there
                print("the same without limits, in a child process …", file=sys.stderr)
                rows.append(unlimited(path, args.timeout))
            path.unlink()

    print(f"\n{'document':44} {'file KB':>8} {'s':>7} {'added MB':>9} {'/ 600 MB':>8}  outcome")
    for row in rows:
        added = f"{row.added / MB:9.1f}" if row.added is not None else f"{'?':>9}"
        ratio = f"{row.added / budget:8.3f}" if row.added is not None else f"{'?':>8}"
        outcome = (f"{row.killed}: " if row.killed else "") + row.outcome + (f" [{row.note}]" if row.note else "")
        print(f"{row.name[:44]:44} {row.size / 1024:8.1f} {row.seconds:7.2f} {added} {ratio}  {outcome}")
    print(
        f"\nadded MB: the reader's VmHWM after the document minus its VmRSS before (fresh reader warmed with the sample); "
        f"killed: the watchdog's sampled peak_added instead. Machine: {os.cpu_count()} cores."
    )


if __name__ == "__main__":
    main()
