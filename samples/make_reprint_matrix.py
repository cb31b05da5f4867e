"""Add other producers to the producer matrix: matrix documents printed again by Chromium, Ghostscript, cairo.

``seedgen.reprint`` says how each reprint is made; its golden cells are its source's.  Tests only read
the committed PDFs.

Usage::

    .venv/bin/python samples/make_reprint_matrix.py                  # all reprints
    .venv/bin/python samples/make_reprint_matrix.py --only cairo-calc --verify --render /tmp/png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from seedgen.matrix import fonts_of, render, verify  # noqa: E402
from seedgen.reprint import DISTILLED, REPRINTS, reprint  # noqa: E402

DATA = ROOT / "tests" / "data"


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and build the chosen reprints."""
    parser = argparse.ArgumentParser(description="Reprint producer-matrix documents with other producers.")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder holding the matrix folders")
    parser.add_argument("--only", nargs="*", help="reprint stems (default: all)")
    parser.add_argument("--verify", action="store_true", help="check fonts, score with the current extractor")
    parser.add_argument("--render", type=Path, help="write PNGs of every page here")
    args = parser.parse_args(argv)
    for r in [*REPRINTS, *DISTILLED] if args.only else REPRINTS:
        if args.only and r.stem not in args.only:
            continue
        pdf = reprint(r, args.data)
        print(f"{pdf.name}: {pdf.stat().st_size // 1024} KiB")
        if args.render:
            render(pdf, args.render)
        if args.verify:
            fonts = fonts_of(pdf)
            print("  fonts:", ", ".join(f"{n}{'' if e else ' (NOT embedded)'}" for n, e in sorted(fonts.items())))
            if r.folder == "producers":  # the 预算 matrix is scored by its test (tests/test_budget_producers.py)
                print("  extraction:", json.dumps(verify(pdf), ensure_ascii=False))


if __name__ == "__main__":
    main()
