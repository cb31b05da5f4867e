"""Build the 预算 producer matrix: the seed department's 2020 预算 as office documents, printed to PDF by LibreOffice.

The tables are those of ``seedgen.budget_sets`` (Shanghai's nine, Jiangsu's twelve or thirteen, every identity holding
by construction); each ``seedgen.budget_office.BudgetVariant`` lays them out as a finance office would, in Calc
(.xlsx) or Writer (.docx), with the variations real releases show (fonts, 元 / 万元 / a 三公 page in 万元, every
style of printed table number, year and department title prefixes, a 目录 or none, a title in a text box drawn
after the cells, no titles at all, a table split over two pages with its header repeated, several tables to a
page, empty tables saying 本表无数据).  Each variant writes ``tests/data/budget_producers/<stem>.pdf``, its source
and a sidecar ``<stem>.json``: producer, variants, family, department, year, phase, scope, unit, the tables with
their codes, titles and units, and the expected cells (``expected``: from the generator's figures, never from
the extractor).

Needs LibreOffice (calc + writer), fonts-noto-cjk and fonts-wqy-microhei (apt) and the ``gen`` extra (openpyxl,
python-docx, fonttools).  Tests only read the committed PDFs (fonts embedded as subsets).

Usage::

    .venv/bin/python samples/make_budget_matrix.py                       # all variants
    .venv/bin/python samples/make_budget_matrix.py --only calc-sh-noto-sans --verify --render /tmp/png
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
from seedgen.budget_office import BudgetVariant, calc_budget, expected, writer_budget  # noqa: E402
from seedgen.budget_sets import DEPARTMENT, YEAR  # noqa: E402
from seedgen.libreoffice import soffice_version, to_pdf  # noqa: E402
from seedgen.matrix import fonts_of, render  # noqa: E402

OUT = ROOT / "tests" / "data" / "budget_producers"
SANS, SERIF, NARROW = "Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei"

MATRIX = [
    BudgetVariant("calc-sh-noto-sans", "calc", "shanghai", SANS, three_public_unit="万元"),
    BudgetVariant(
        "calc-sh-wqy-title-box", "calc", "shanghai", NARROW, unit="万元", numbers="gongkai", number_place="above",
        prefix="department", title_box=True, split="sh-08", thousands=False, title_wrap=True,
    ),
    BudgetVariant("writer-sh-serif-unit", "writer", "shanghai", SERIF, three_public_unit="万元", numbers="biao", scope="单位"),
    BudgetVariant(
        "writer-sh-wqy-no-contents", "writer", "shanghai", NARROW, unit="万元", numbers="gongkai_cn", number_place="above",
        prefix="none", contents=False, empty_in_grid=True, split="sh-03", thousands=False,
    ),
    BudgetVariant(
        "calc-js-serif", "calc", "jiangsu", SERIF, unit="万元", numbers="gongkai", prefix="none", empty_in_grid=True,
        split="js-12",
    ),
    BudgetVariant(
        "writer-js-sans-flow", "writer", "jiangsu", SANS, three_public_unit="万元", numbers="biao_cn", number_place="above",
        prefix="none", flow=True, carryover=True, fund_first=True,
    ),
    BudgetVariant("calc-js-untitled", "calc", "jiangsu", NARROW, unit="万元", untitled=True, thousands=False, leaders=True),
    BudgetVariant("calc-sh-horizontal-rules", "calc", "shanghai", SANS, three_public_unit="万元", borders="horizontal"),
    BudgetVariant(
        "calc-sh-untitled-dash", "calc", "shanghai", SERIF, untitled=True, zero_dash=True, spaced=True,
        numbers="gongkai", number_place="above",
    ),
    BudgetVariant(
        "writer-js-spaced", "writer", "jiangsu", SERIF, unit="万元", numbers="biao", spaced=True, zero_dash=True,
        prefix="year", carryover=True,
    ),
    BudgetVariant(
        "writer-js-wqy-department", "writer", "jiangsu", NARROW, numbers="gongkai", prefix="department", contents=False,
        split="js-06", title_wrap=True,
    ),
]


def sidecar(v: BudgetVariant, pdf: Path, version: str) -> Path:
    """Write what the document is and every cell it prints, beside the PDF."""
    tables = v.tables()
    data = {
        "producer": f"LibreOffice {'Calc' if v.app == 'calc' else 'Writer'} {version}",
        "variants": v.tags(),
        "family": v.family,
        "department": DEPARTMENT,
        "fiscal_year": YEAR,
        "phase": "预算",
        "scope": v.scope,
        "unit": v.unit,
        "tables": [
            {"table": f"{n:02d}", "title": t.title.replace("“", "").replace("”", ""), "unit": t.unit, "empty": t.empty}
            for n, t in enumerate(tables, 1)
        ],
        "contents": v.contents,
        "generator": f"python samples/make_budget_matrix.py --only {v.stem}",
        "expected": expected(v),
    }
    path = pdf.with_suffix(".json")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def build(v: BudgetVariant, out: Path, version: str) -> Path:
    """Write a variant's source, its PDF and its sidecar into out; return the PDF."""
    out.mkdir(parents=True, exist_ok=True)
    source = out / f"{v.stem}.{'xlsx' if v.app == 'calc' else 'docx'}"
    (calc_budget if v.app == "calc" else writer_budget)(v, source)
    pdf = to_pdf(source, out)
    sidecar(v, pdf, version)
    return pdf


def verify(pdf: Path) -> dict[str, object]:
    """Score a matrix PDF with the current extractor against its sidecar's expected cells."""
    sys.path.insert(0, str(ROOT))
    from tests.test_budget_producers import read_budget, score_budget

    meta = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    read = read_budget(pdf)
    return score_budget(meta, read)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and build the chosen variants."""
    parser = argparse.ArgumentParser(description="Build the LibreOffice 预算 producer matrix.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", help="variant stems (default: all)")
    parser.add_argument("--verify", action="store_true", help="check fonts, score with the current extractor")
    parser.add_argument("--verify-only", action="store_true", help="score the committed PDFs, build nothing")
    parser.add_argument("--render", type=Path, help="write PNGs of every page here")
    args = parser.parse_args(argv)
    if not args.verify_only and not shutil.which("soffice"):
        sys.exit("soffice not found: apt install libreoffice-calc libreoffice-writer")
    version = "" if args.verify_only else soffice_version()
    for v in MATRIX:
        if args.only and v.stem not in args.only:
            continue
        pdf = args.out / f"{v.stem}.pdf" if args.verify_only else build(v, args.out, version)
        print(f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: {pdf.stat().st_size // 1024} KiB")
        if args.render:
            render(pdf, args.render)
        if args.verify or args.verify_only:
            fonts = fonts_of(pdf)
            missing = [name for name, embedded in fonts.items() if not embedded]
            print("  fonts:", ", ".join(sorted(fonts)), f"(NOT embedded: {missing})" if missing else "")
            print("  extraction:", json.dumps(verify(pdf), ensure_ascii=False))


if __name__ == "__main__":
    main()
