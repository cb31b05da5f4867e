"""Which spreadsheet reader: seconds per sheet and what each one gives, on the committed workbooks.

Readers measured on the same files in one run (median of ``--repeat`` runs each):

- ``openpyxl`` (what .xlsx is read with: one load of the cached values; extract/workbook.py finds formulas
  without a value in the XML), ``openpyxl-2`` (a second load with formulas, the alternative), ``openpyxl-ro``
  (read-only streaming mode: no merged ranges, no row/column dimensions);
- ``xlrd`` (what .xls is read with, ``formatting_info=True``);
- ``calamine`` (python-calamine, Rust; both formats), the baseline every ratio is against;
- ``fiscal`` the whole of ``extract.isolation.read_spreadsheet`` (read, lay out, grids), in this process.

Then what each reader gives that reading a disclosure needs (merged ranges, number formats, borders,
hidden rows/columns/sheets, formulas vs cached values), probed on the files, not taken from docs.

Usage::

    .venv/bin/python benchmarks/spreadsheets.py [--repeat 5]

Needs the ``bench`` extra for python-calamine (``pip install -c constraints.txt python-calamine``).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

XLSX = sorted((ROOT / "tests" / "data" / "producers").glob("calc-*.xlsx")) + sorted(
    p for p in (ROOT / "tests" / "data" / "spreadsheets").glob("*.xlsx") if p.name != "password.xlsx"
)
XLS = [ROOT / "tests" / "data" / "producers" / "calc-noto-sans.xls", *sorted((ROOT / "tests" / "data" / "spreadsheets").glob("*.xls"))]


def _openpyxl(data: bytes, both: bool = True) -> int:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    if both:
        openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    return sum(len(ws._cells) for ws in book.worksheets)


def _openpyxl_ro(data: bytes) -> int:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for ws in book.worksheets for row in ws.iter_rows() for _ in row)
    book.close()
    return n


def _xlrd(data: bytes) -> int:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    return sum(sh.nrows * sh.ncols for sh in book.sheets())


def _calamine(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(row) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python())


def _fiscal(path: Path) -> int:
    from extract.isolation import read_spreadsheet
    from extract.limits import Limits

    return len(read_spreadsheet(path, path.name, Limits()).grids)


def _sheets(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    return len(CalamineWorkbook.from_path(str(path)).sheet_names)


def _median(function: Callable[[], object], repeat: int) -> float:
    function()  # warm: imports and caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def speeds(repeat: int) -> None:
    """Print milliseconds per sheet of each reader on each format, and the ratio to calamine."""
    print(f"{'reader':<12} {'format':<6} {'files':>5} {'sheets':>6} {'ms/sheet':>9} {'× calamine':>11}")
    for fmt, files in (("xlsx", XLSX), ("xls", XLS)):
        blobs = [(p, p.read_bytes()) for p in files]
        n_sheets = sum(_sheets(p) for p in files)
        readers: dict[str, Callable[[Path, bytes], object]] = {"calamine": lambda p, d: _calamine(d)}
        if fmt == "xlsx":
            readers |= {
                "openpyxl": lambda p, d: _openpyxl(d, both=False),
                "openpyxl-2": lambda p, d: _openpyxl(d),
                "openpyxl-ro": lambda p, d: _openpyxl_ro(d),
            }
        else:
            readers["xlrd"] = lambda p, d: _xlrd(d)
        readers["fiscal"] = lambda p, d: _fiscal(p)
        base = None
        for name, reader in readers.items():
            seconds = _median(lambda reader=reader, blobs=blobs: [reader(p, d) for p, d in blobs], repeat)  # type: ignore[misc]
            per_sheet = 1000 * seconds / n_sheets
            base = base if base is not None else per_sheet
            print(f"{name:<12} {fmt:<6} {len(files):>5} {n_sheets:>6} {per_sheet:>9.2f} {per_sheet / base:>11.1f}")


def features() -> None:
    """Print what each reader gives on the committed files (probed, not assumed)."""
    import openpyxl
    import xlrd
    from python_calamine import CalamineWorkbook

    xlsx = ROOT / "tests" / "data" / "producers" / "calc-noto-sans.xlsx"
    xls = ROOT / "tests" / "data" / "producers" / "calc-noto-sans.xls"
    formulas = ROOT / "tests" / "data" / "spreadsheets" / "formulas.xlsx"
    ws = openpyxl.load_workbook(xlsx)["公开05表"]
    wf = openpyxl.load_workbook(formulas)["公开05表"]
    book = xlrd.open_workbook(str(xls), formatting_info=True)
    sh = book.sheet_by_name("公开05表")
    xf = book.xf_list[sh.cell(9, 3).xf_index]
    cal = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name("公开05表")
    cal_f = CalamineWorkbook.from_path(str(formulas)).get_sheet_by_name("公开05表")
    rows = [
        ("merged ranges", f"yes ({len(ws.merged_cells.ranges)})", f"yes ({len(sh.merged_cells)})", f"yes ({len(cal.merged_cell_ranges or [])})"),
        ("number format of D10", repr(ws["D10"].number_format), repr(book.format_map[xf.format_key].format_str), "no (values only)"),
        ("borders", f"yes (D10 left {ws['D10'].border.left.style})", f"yes (D10 left style {xf.border.left_line_style})", "no"),
        ("hidden rows / columns", "yes (row_dimensions, column_dimensions)", "yes (rowinfo_map, colinfo_map)", "no"),
        ("hidden sheets", "yes (sheet_state)", "yes (visibility)", "yes (sheets_metadata)"),
        ("formula and cached value", f"both (two loads: {wf['C10'].value!r})", "cached value only", f"cached value only ({cal_f.to_python()[9][2]!r})"),
    ]
    print()
    print(f"{'':<26} {'openpyxl (.xlsx)':<40} {'xlrd (.xls)':<34} calamine (both)")
    for row in rows:
        print(f"{row[0]:<26} {row[1]:<40} {row[2]:<34} {row[3]}")


def main() -> None:
    """Run the speed comparison and the feature probe."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    speeds(args.repeat)
    features()


if __name__ == "__main__":
    main()
