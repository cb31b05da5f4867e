"""The producer matrix: the seed report laid out by several producers, every variant read exactly.

Each ``tests/data/producers/<name>.pdf`` has a sidecar ``<name>.json`` naming its producer, variants, unit and
golden cells (``tests/data/golden/``, derived from the seed text, never from the extractor) with the factor
its printed amounts carry (``scale``: 10000 when the file prints 元). Every file must load with recall and
precision 1.0, the department, year and unit read from the document, and every accounting identity holding.
The generators are ``samples/make_seed_pdf.py`` (reportlab) and ``samples/make_office_matrix.py``
(LibreOffice Calc and Writer).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expectations.validate import validate
from extract.models import TABLE_CODES
from tests.extraction import stage_pdf
from tests.golden import DATA, load_golden, score

MATRIX = DATA / "producers"
SIDECARS = sorted(MATRIX.glob("*.json"))


def case(sidecar: Path) -> tuple[dict[str, Any], Path]:
    return json.loads(sidecar.read_text(encoding="utf-8")), sidecar.with_suffix(".pdf")


def scaled_golden(meta: dict[str, Any]) -> dict[str, Any]:
    golden = load_golden(meta["golden"])
    factor = Decimal(str(meta.get("scale", "1")))
    cells = [{**c, "amount": str(Decimal(c["amount"]) * factor)} for c in golden["cells"]]
    return {**golden, "cells": cells}


def test_the_matrix_covers_several_producers_and_every_variant() -> None:
    metas = [case(s)[0] for s in SIDECARS]
    producers = {" ".join(m["producer"].split()[:2]) for m in metas}  # "LibreOffice Calc 7.4" → "LibreOffice Calc"
    assert len(producers) >= 3, producers
    variants = {v for m in metas for v in m["variants"]}
    assert len(variants) >= 10, variants
    assert {m["unit"] for m in metas} == {"元", "万元"}
    assert sum(p.stat().st_size for p in MATRIX.iterdir()) < 15 * 1024 * 1024


@pytest.mark.parametrize("sidecar", SIDECARS, ids=[s.stem for s in SIDECARS])
def test_every_variant_loads_exactly_with_every_identity_holding(sidecar: Path) -> None:
    meta, pdf = case(sidecar)
    golden = scaled_golden(meta)
    facts, staged = stage_pdf(pdf)
    rows = staged.cells.to_dict("records")
    misses, extras = score(golden, rows)
    assert not misses, f"{len(misses)} of {len(golden['cells'])} golden cells missed, first: {misses[:3]}"
    assert not extras, f"{len(extras)} extra cells, first: {[{k: r[k] for k in ('table_code', 'page', 'measure', 'amount')} for r in extras[:3]]}"
    assert facts.unit == meta["unit"]
    assert facts.fiscal_year == meta["fiscal_year"]
    assert (facts.department or "").replace(" ", "") == meta["department"]
    report = validate(staged.cells, phase="决算", present_tables=TABLE_CODES, gx=False)
    assert not report.failures, [(f.rule, f.table_code, f.row, f.measure, f.expected, f.found) for f in report.failures[:5]]
