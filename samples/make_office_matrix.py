"""Build the producer matrix: the seed 决算 report as office documents, printed to PDF by LibreOffice.

The seed report (``samples/seed/changsha_zwfwzx_2020_juesuan.txt``, read with ``seedgen.seed``) is
laid out the way finance offices lay it out by hand:

- **Calc**: an .xlsx workbook (openpyxl, ``seedgen.calc``) with a cover sheet, a 目录 sheet and one
  sheet per 公开 table (merged title row, 部门/年度/金额单位 row, merged multi-row header, 栏次 rows,
  bordered grid, notes, print setup); one variant types the title into a text box drawn after the
  cells, so the PDF's text has the column headers and the body before the title;
- **Writer**: a .docx (python-docx, ``seedgen.writer``) with cover, 目录, 第一部分, the nine tables as
  Word tables with merged header cells, and some of 第三部分.

Both are printed with ``soffice --headless --convert-to pdf`` (``seedgen.libreoffice``; fonts embedded
as subsets).  Each variant (``seedgen.office.MATRIX``) writes ``tests/data/producers/<stem>.pdf``,
its source ``<stem>.xlsx``/``<stem>.docx`` and a sidecar ``<stem>.json`` (producer, variants, unit,
golden file, scale, department, fiscal year; ``seedgen.matrix``); ``scale`` multiplies the golden
amounts (the 元 file prints every amount x 10000).

Needs LibreOffice (calc + writer), fonts-noto-cjk and fonts-wqy-microhei (apt) and the ``gen`` extra
(openpyxl, python-docx, fonttools).  Tests only read the committed PDFs.

Usage::

    .venv/bin/python samples/make_office_matrix.py                  # all variants
    .venv/bin/python samples/make_office_matrix.py --only calc-wqy-narrow --verify --render /tmp/png
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from seedgen.libreoffice import build, soffice_version  # noqa: E402
from seedgen.matrix import fonts_of, render, verify  # noqa: E402
from seedgen.office import MATRIX  # noqa: E402

OUT = ROOT / "tests" / "data" / "producers"


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and build the chosen variants."""
    parser = argparse.ArgumentParser(description="Build the LibreOffice producer matrix of the seed report.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", help="variant stems (default: all)")
    parser.add_argument("--verify", action="store_true", help="check fonts, score with the current extractor")
    parser.add_argument("--render", type=Path, help="write PNGs of every page here")
    args = parser.parse_args(argv)
    if not shutil.which("soffice"):
        sys.exit("soffice not found: apt install libreoffice-calc libreoffice-writer")
    version = soffice_version()
    for v in MATRIX:
        if args.only and v.stem not in args.only:
            continue
        pdf = build(v, args.out, version)
        print(
            f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: {pdf.stat().st_size // 1024} KiB"
        )
        if args.render:
            render(pdf, args.render)
        if args.verify:
            fonts = fonts_of(pdf)
            print(
                "  fonts:",
                ", ".join(f"{name}{'' if emb else ' (NOT embedded)'}" for name, emb in sorted(fonts.items())),
            )
            print("  extraction:", json.dumps(verify(pdf), ensure_ascii=False))


if __name__ == "__main__":
    main()
