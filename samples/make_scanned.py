"""Write the scanned test documents of issue 15 into tests/data/scanned/ (image-only PDFs + JSON sidecars).

The seed report (``samples/changsha_zwfwzx_2020_juesuan.pdf``) and some producer-matrix PDFs
(``tests/data/producers``) are rendered with pypdfium2 and degraded as scanners and fax machines do
(``seedgen.scan``): 150 / 200 / 300 dpi grey JPEG, a skew of 0.5-2°, Gaussian noise with strong JPEG
compression, a red round 公章 over part of a table (colour pages), bi-level (fax-like, CCITT G4), a 60 dpi
bi-level copy too coarse to read, pages scanned sideways (90°), and a copy of the seed whose printed totals
were altered before printing (regenerated with the seed machinery: ``seedgen.pdf.build`` on an edited seed
text), which no reading can make add up. ``--subsets`` also writes page subsets (the tables 01-03 pages)
for CI.

Every PDF has a sidecar ``<name>.json``: source, dpi, variants, pages of the source kept, the golden file
and the scale of the amounts against it, and what the pipeline must do with it (``expect``: load /
quarantine).

    python samples/make_scanned.py            # the documents and the page subsets
    python samples/make_scanned.py --only seed-150-skew --out /tmp/scans
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedgen.scan import ScanSpec, scan  # noqa: E402
from seedgen.seed import SEED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"
PRODUCERS = ROOT / "tests" / "data" / "producers"
OUT = ROOT / "tests" / "data" / "scanned"
GOLDEN = "changsha_zwfwzx_2020_juesuan.json"
DEPARTMENT = "长沙市政务服务中心"

# cover + the nine table pages of the seed (the narrative pages cost OCR time and prove nothing more)
SEED_TABLES = (1, 4, 5, 6, 7, 8, 9, 10, 11, 12)
SUBSET = (4, 5, 6)  # tables 01-03 of the seed: the page subset for CI

#: the printed total altered in the copy that must be quarantined: table 03's 合计 row, 基本支出 column
ALTERED = ("合计\t\t2,847.27\t1,203.82\t1,643.45\t0.00", "合计\t\t2,847.27\t1,208.32\t1,643.45\t0.00")


def specs(altered: Path, large: bool = False) -> list[ScanSpec]:
    """Every scanned document: the seed's variants, the altered seed, CI page subsets, producer-matrix copies.

    Full documents are the cover and the nine table pages (``seed-150``: all 13 pages); ``-p4-6`` ones
    the tables 01-03 only. The full 300-dpi copies are large (about 2 MB each): written with ``--large``
    only, not committed.
    """
    grey150: dict[str, Any] = {"dpi": 150, "quality": 35}
    grey300: dict[str, Any] = {"dpi": 300, "quality": 25}
    out = [
        ScanSpec("seed-150", SAMPLE, **grey150, variants=("grey",), notes="all 13 pages, narrative included"),
        ScanSpec(
            "seed-150-noise",
            SAMPLE,
            pages=SEED_TABLES,
            rotate=1.0,
            noise=10.0,
            **grey150,
            variants=("grey", "skew", "noise", "jpeg-strong"),
        ),
        ScanSpec(
            "seed-150-stamp",
            SAMPLE,
            pages=SEED_TABLES,
            stamp_pages=(4, 6, 8),
            rotate=0.6,
            **grey150,
            variants=("stamp", "skew"),
            notes="red 公章 over the tables of pages 4, 6 and 8 (colour pages); the others grey",
        ),
        ScanSpec("seed-200-bilevel", SAMPLE, 200, SEED_TABLES, bilevel=True, variants=("bilevel",)),
        ScanSpec(
            "seed-60-bilevel",
            SAMPLE,
            60,
            SEED_TABLES,
            bilevel=True,
            variants=("bilevel", "too-coarse"),
            notes="too coarse to read: must be quarantined with the failing rules, no facts loaded",
        ),
        ScanSpec(
            "seed-150-altered",
            altered,
            pages=SEED_TABLES,
            **grey150,
            variants=("grey", "altered-total"),
            notes="printed total altered before scanning: table 03 合计 基本支出 1,208.32 (published 1,203.82); "
            "no reading can make the identities hold: must be quarantined",
        ),
        # page subsets (tables 01-03) for CI and for the cell benchmark
        ScanSpec("seed-150-p4-6", SAMPLE, pages=SUBSET, **grey150, variants=("grey",)),
        ScanSpec("seed-300-p4-6", SAMPLE, pages=SUBSET, **grey300, variants=("grey",)),
        ScanSpec(
            "seed-150-skew-p4-6", SAMPLE, pages=SUBSET, rotate=2.0, **grey150, variants=("grey", "skew")
        ),
        ScanSpec(
            "seed-300-skew-noise-p4-6",
            SAMPLE,
            pages=SUBSET,
            rotate=1.5,
            noise=8.0,
            **grey300,
            variants=("grey", "skew", "noise", "jpeg-strong"),
        ),
        ScanSpec(
            "seed-150-stamp-p4-6",
            SAMPLE,
            pages=SUBSET,
            stamp_pages=SUBSET,
            **grey150,
            variants=("stamp",),
            notes="red 公章 over each table",
        ),
        ScanSpec("seed-200-bilevel-p4-6", SAMPLE, 200, SUBSET, bilevel=True, variants=("bilevel",)),
        ScanSpec(
            "seed-150-turned-p4-6",
            SAMPLE,
            pages=SUBSET,
            turned_pages=(5,),
            **grey150,
            variants=("grey", "rotated-90"),
            notes="the page of table 02 scanned sideways: rotated 90° counter-clockwise",
        ),
        # producer-matrix documents (other fonts, units, landscape pages, merged headers)
        ScanSpec(
            "calc-serif-yuan-landscape-150-skew",
            PRODUCERS / "calc-serif-yuan-landscape.pdf",
            pages=(1, 3, 4, 5, 6),  # cover, tables 01 (two pages) to 03
            rotate=1.2,
            **grey150,
            variants=("grey", "skew"),
        ),
        ScanSpec(
            "writer-noto-serif-150-noise",
            PRODUCERS / "writer-noto-serif.pdf",
            pages=(1, 5, 6, 7),  # cover, tables 01 to 03
            noise=8.0,
            **grey150,
            variants=("grey", "noise", "jpeg-strong"),
        ),
        ScanSpec(
            "reportlab-merged-headers-200-bilevel",
            PRODUCERS / "reportlab-merged-headers.pdf",
            200,
            (1, *range(4, 13)),
            bilevel=True,
            variants=("bilevel",),
        ),
    ]
    if large:
        out += [
            ScanSpec("seed-300", SAMPLE, pages=SEED_TABLES, **grey300, variants=("grey",)),
            ScanSpec(
                "seed-300-skew-noise",
                SAMPLE,
                pages=SEED_TABLES,
                rotate=1.5,
                noise=8.0,
                **grey300,
                variants=("grey", "skew", "noise", "jpeg-strong"),
            ),
            ScanSpec(
                "seed-150-skew", SAMPLE, pages=SEED_TABLES, rotate=2.0, **grey150, variants=("grey", "skew")
            ),
        ]
    return out


def sidecar(spec: ScanSpec, pages: list[dict[str, object]], altered: Path) -> dict[str, object]:
    """The JSON written beside a scanned document."""
    source = spec.source
    producer: dict[str, object] = {}
    if source.parent == PRODUCERS:
        producer = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))
    expect = "quarantine" if {"too-coarse", "altered-total"} & set(spec.variants) else "load"
    tables = ["01", "02", "03", "04", "05", "06", "07", "08", "09"]
    if spec.pages == SUBSET or (producer and spec.pages and len(spec.pages) < 8):
        # a page subset: its golden cells are those of tables 01-03; completeness cannot hold
        expect, tables = "subset", ["01", "02", "03"]
    return {
        "source": str(source.relative_to(ROOT))
        if source != altered
        else "generated: seed text with an altered total",
        "source_pages": list(spec.pages) if spec.pages else "all",
        "pages": len(pages),
        "dpi": spec.dpi,
        "variants": list(spec.variants),
        "skew_degrees": spec.rotate,
        "noise_sigma": spec.noise,
        "jpeg_quality": None if spec.bilevel else spec.quality,
        "stamp_pages": list(spec.stamp_pages),
        "turned_pages": list(spec.turned_pages),
        "text_layer": False,
        "golden": GOLDEN,
        "golden_path": f"tests/data/golden/{GOLDEN}",
        "scale": producer.get("scale", "1"),
        "unit": producer.get("unit", "万元"),
        "department": DEPARTMENT,
        "fiscal_year": 2020,
        "expect": expect,  # load | quarantine | subset (tables 01-03 only: compare cells, not the load)
        "tables": tables,
        "notes": spec.notes,
        "generator": f"python samples/make_scanned.py --only {spec.name}",
        # per page: the source page, the skew applied (degrees, counter-clockwise about the page centre),
        # a 90° turn (counter-clockwise) and whether a seal was pressed on it: ground truth for deskewing
        "page_details": pages,
    }


def build_altered(target: Path) -> Path:
    """The seed PDF rebuilt from a seed text whose one printed total was changed."""
    from seedgen.pdf import build

    text = SEED.read_text(encoding="utf-8")
    before, after = ALTERED
    if text.count(before) != 1:
        raise SystemExit(f"the seed no longer has exactly one line {before!r}")
    seed_copy = target.with_suffix(".txt")
    seed_copy.write_text(text.replace(before, after), encoding="utf-8")
    build("one-per-page", target, seed_copy)
    return target


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the scanned documents with their sidecars."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", action="append", default=[], help="document name (repeatable)")
    parser.add_argument("--large", action="store_true", help="also the full 300-dpi copies (not committed)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        altered = build_altered(Path(tmp) / "altered.pdf")
        documents = specs(altered, args.large)
        for spec in documents:
            if args.only and spec.name not in args.only:
                continue
            out = args.out / f"{spec.name}.pdf"
            pages = scan(spec, out, DEPARTMENT)
            meta = sidecar(spec, pages, altered)
            out.with_suffix(".json").write_text(
                json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            print(f"{out}: {len(pages)} pages, {out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
