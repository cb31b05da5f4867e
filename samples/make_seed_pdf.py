"""Render the seed 决算 report text into realistic, vector-ruled PDFs for extraction tests.

The seed text (the published report; table rows tab-separated) is ground truth: this script only
lays it out.  A cover, the 目录 and 第一部分 narrative, the nine 公开 tables as ruled grids with
merged header cells, then one narrative page of 第三部分.  ``--layout`` chooses how tables sit on pages:

- ``one-per-page``: every table on one portrait page (the committed sample);
- ``landscape``: the wide tables on landscape (842x595) pages, the rest portrait;
- ``rotated``: as ``landscape``, but the landscape pages are portrait pages with ``/Rotate 90``;
- ``continued-repeat-header``: tables 02, 03, 04, 06 continue on a second page that repeats the header
  (and 栏次) rows; 04 and 06 break where the seed's own page break split a row;
- ``continued-no-header``: the same, the continuation page carrying only the bare grid.

The committed files: ``samples/changsha_zwfwzx_2020_juesuan.pdf`` (one-per-page) and
``tests/data/seed_layouts/<layout>.pdf`` for the other layouts.

``--variant`` (repeatable) renders the same report the way other producers print it (the names in
``seedgen.style.VARIANTS``).  ``--matrix OUTDIR`` writes the producer-matrix files
``reportlab-<name>.pdf`` (``seedgen.style.MATRIX``), each with a ``.json`` sidecar naming its
variants, unit and the scale of its amounts against the golden cells.  The committed matrix:
``tests/data/producers/reportlab-*.pdf`` and ``.json``.

Every PDF embeds its fonts, subsets committed in ``samples/fonts/``; ``--make-font-subset`` rebuilds
them from the system fonts (``seedgen.fonts``).

The work is done by the package ``samples/seedgen``: ``seed`` (the seed text), ``fonts``, ``style``
(variants), ``cells`` (pages and grid cells), ``layout`` (geometry), ``draw`` (the canvas) and
``pdf`` (the document, the matrix).

Usage::

    python samples/make_seed_pdf.py --layout one-per-page --out samples/changsha_zwfwzx_2020_juesuan.pdf
    python samples/make_seed_pdf.py --make-font-subset
    python samples/make_seed_pdf.py --variant unit-yuan --variant narrow-columns --out /tmp/x.pdf
    python samples/make_seed_pdf.py --matrix tests/data/producers
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedgen.cells import LAYOUTS  # noqa: E402
from seedgen.fonts import make_font_subsets  # noqa: E402
from seedgen.pdf import build, build_matrix  # noqa: E402
from seedgen.seed import SEED  # noqa: E402
from seedgen.style import VARIANTS, style_of  # noqa: E402

__all__ = ["LAYOUTS", "SEED", "VARIANTS", "build", "build_matrix", "main", "make_font_subsets", "style_of"]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the PDF."""
    parser = argparse.ArgumentParser(description="Render the seed 决算 report text into a ruled PDF.")
    parser.add_argument("--layout", choices=LAYOUTS, default="one-per-page")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        choices=sorted(VARIANTS),
        help="print as another producer does",
    )
    parser.add_argument(
        "--matrix", type=Path, metavar="OUTDIR", help="write the producer-matrix files and sidecars"
    )
    parser.add_argument(
        "--make-font-subset", action="store_true", help="rebuild samples/fonts/ from the system fonts"
    )
    parser.add_argument("--seed", type=Path, default=SEED, help="seed report text")
    parser.add_argument("--user-password", help="encrypt; readers must give this password to open")
    parser.add_argument("--owner-password", help="encrypt with copy/modify restrictions only")
    args = parser.parse_args(argv)
    if args.make_font_subset:
        make_font_subsets()
        return
    if args.matrix is not None:
        build_matrix(args.matrix, args.seed)
        return
    if args.out is None:
        parser.error("--out is required")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pages = build(
        args.layout, args.out, args.seed, args.user_password, args.owner_password, style_of(args.variant)
    )
    for number, what in enumerate(pages, start=1):
        print(f"page {number}: {what}")


if __name__ == "__main__":
    main()
