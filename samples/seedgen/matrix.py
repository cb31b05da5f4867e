"""The producer-matrix files' sidecars, and the checks run on a matrix PDF.

Every matrix PDF ``<stem>.pdf`` (reportlab or LibreOffice) has a sidecar ``<stem>.json``: producer,
variants, unit, golden file, scale, department, fiscal year and the command that made it; ``scale``
multiplies the golden amounts (the 元 files print every amount x 10000).  ``verify`` scores a
matrix PDF with the current extractor against the golden cells scaled as its sidecar says.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from .seed import GOLDEN_NAME, Seed

ROOT = Path(__file__).resolve().parents[2]


def write_sidecar(
    pdf: Path, producer: str, variants: list[str], unit: str, scale: int, seed: Seed, generator: str
) -> Path:
    """Write the sidecar of a matrix PDF beside it; return its path."""
    sidecar = {
        "producer": producer,
        "variants": variants,
        "unit": unit,
        "golden": GOLDEN_NAME,
        "scale": str(scale),
        "department": seed.department,
        "fiscal_year": seed.fiscal_year,
        "generator": generator,
    }
    path = pdf.with_suffix(".json")
    path.write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def fonts_of(pdf: Path) -> dict[str, bool]:
    """Return every font drawn in the PDF with whether it is embedded."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    found: dict[str, bool] = {}
    doc = pdfium.PdfDocument(pdf)
    for page in doc:
        for obj in page.get_objects(max_depth=4):
            if obj.type != raw.FPDF_PAGEOBJ_TEXT:
                continue
            font = raw.FPDFTextObj_GetFont(obj.raw)
            buf = ctypes.create_string_buffer(256)
            raw.FPDFFont_GetBaseFontName(font, buf, 256)
            found[buf.value.decode("latin-1")] = bool(raw.FPDFFont_GetIsEmbedded(font))
    return found


def render(pdf: Path, outdir: Path, scale: float = 1.6) -> list[Path]:
    """Write a PNG of every page of the PDF into outdir; return their paths."""
    import pypdfium2 as pdfium

    outdir.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    paths = []
    for k, page in enumerate(doc):
        path = outdir / f"{pdf.stem}-p{k + 1:02d}.png"
        page.render(scale=scale).to_pil().save(path)
        paths.append(path)
    return paths


def verify(pdf: Path) -> dict[str, object]:
    """Run the current extractor on one matrix PDF and score it against the scaled golden cells."""
    sys.path.insert(0, str(ROOT))
    from tests.extraction import stage_pdf
    from tests.golden import load_golden, score

    sidecar = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    golden = load_golden(sidecar["golden"])
    scale = Decimal(sidecar["scale"])
    golden = {
        **golden,
        "cells": [{**g, "amount": str(Decimal(g["amount"]) * scale)} for g in golden["cells"]],
    }
    try:
        facts, staged = stage_pdf(pdf)
    except Exception as exc:  # noqa: BLE001 - reported, the matrix documents exist for failing extractors
        return {"error": f"{type(exc).__name__}: {exc}"}
    rows = staged.cells.to_dict("records")
    misses, extras = score(golden, rows)
    n = len(golden["cells"])
    return {
        "recall": (n - len(misses)) / n if n else 1.0,
        "precision": (len(rows) - len(extras)) / len(rows) if rows else 0.0,
        "golden": n,
        "extracted": len(rows),
        "missed_by_table": _count(misses, "table"),
        "extra_by_table": _count(extras, "table_code"),
        "tables": sorted(t.table_code for t in staged.tables if t.present),
        "department": facts.department,
        "fiscal_year": facts.fiscal_year,
        "unit": facts.unit,
        "phase": facts.phase,
    }


def _count(rows: list[dict[str, object]], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row.get(key))] = counts.get(str(row.get(key)), 0) + 1
    return dict(sorted(counts.items()))
