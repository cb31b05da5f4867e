"""The 预算 producer matrix: the seed department's 2020 预算 of both families laid out by LibreOffice Calc and Writer.

Each ``tests/data/budget_producers/<name>.pdf`` has a sidecar ``<name>.json`` (``samples/make_budget_matrix.py``)
naming its producer, variants, family, department, year, scope, unit, tables and every cell it prints
(``expected``: from the generator's figures, never from the extractor). Each document goes the pipeline's way
(``flows.pipeline.extract_step``: the 决算 reader tells the phase, the 预算 reader finds the tables) and must
be read with recall and precision 1.0, its department, year, unit, phase and scope read from the document,
every 预算 identity holding and every table its 目录 lists (else its family's) found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from expectations.validate import validate
from extract.budget_tables import contents_order, identify_budget_tables, required_tables
from extract.identify import identify_tables, read_facts
from extract.isolation import read_pdf
from extract.limits import Limits
from extract.models import DocumentFacts, RawTable
from extract.table_types import squash, table_type
from tests.golden import DATA, score
from transform.stage import stage_document

MATRIX = DATA / "budget_producers"
SIDECARS = sorted(MATRIX.glob("*.json"))


@dataclass(frozen=True)
class BudgetRead:
    """What the pipeline reads of one 预算 PDF."""

    facts: DocumentFacts
    tables: tuple[RawTable, ...]
    listed: tuple[str, ...]  # the tables its 目录 lists, else its family's
    contents: tuple[str, ...]  # the 目录 alone
    cells: pd.DataFrame
    issues: tuple[str, ...]


@cache
def read_budget(pdf: Path) -> BudgetRead:
    """Read a PDF as ``flows.pipeline.extract_step`` and ``stage_step`` do."""
    read = read_pdf(pdf, pdf.name, False, Limits())
    tables, _ = identify_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    assert facts.phase == "预算", facts
    budget = identify_budget_tables(read.pages, read.grids)
    facts = read_facts(read.pages, budget) if budget else facts
    staged = stage_document(budget, facts.unit)
    return BudgetRead(
        facts, tuple(budget), required_tables(read.pages, budget), tuple(contents_order(read.pages)), staged.cells,
        tuple(str(i) for i in staged.issues),
    )


def score_budget(meta: dict[str, Any], read: BudgetRead) -> dict[str, object]:
    """Recall and precision of the staged cells against the sidecar's expected cells, with what was missed."""
    rows = read.cells.to_dict("records")
    misses, extras = score({"cells": meta["expected"]}, rows)
    n = len(meta["expected"])
    return {
        "recall": (n - len(misses)) / n if n else 1.0,
        "precision": (len(rows) - len(extras)) / len(rows) if rows else 0.0,
        "expected": n,
        "extracted": len(rows),
        "missed": [(m["table"], m.get("functional_code") or m.get("economic_code") or m.get("line_item"), m["measure"], m["amount"]) for m in misses[:8]],
        "extra": [(r["table_code"], r.get("functional_code") or r.get("economic_code") or r.get("line_item"), r["measure"], str(r["amount"])) for r in extras[:8]],
        "tables": [(t.table_code, t.title, t.unit, list(t.pages)) for t in read.tables],
        "facts": [read.facts.department, read.facts.fiscal_year, read.facts.unit, read.facts.phase, read.facts.scope],
    }


def case(sidecar: Path) -> tuple[dict[str, Any], BudgetRead]:
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    return meta, read_budget(sidecar.with_suffix(".pdf"))


def test_the_matrix_covers_both_families_both_producers_and_every_variant() -> None:
    metas = [json.loads(s.read_text(encoding="utf-8")) for s in SIDECARS]
    assert {m["family"] for m in metas} == {"shanghai", "jiangsu"}
    producers = {" ".join(m["producer"].split()[:2]) for m in metas}
    assert {"LibreOffice Calc", "LibreOffice Writer", "Chromium Skia/PDF", "cairo (pdftocairo)"} <= producers
    variants = {v for m in metas for v in m["variants"]}
    for needed in (
        "title-in-text-box", "no-table-titles", "contents-page", "no-contents-page", "several-tables-a-page",
        "thirteen-tables", "unit:元", "unit:万元", "three-public-unit:万元", "empty-table-note-in-grid",
        "empty-table-note-below", "scope:单位", "title-prefix:department", "title-prefix:year", "title-prefix:none",
        "title-broken-mid-title", "contents-dot-leaders", "zero-as-dash", "letter-spaced-labels", "order-2017",
    ):
        assert needed in variants, needed
    assert {v.split(":")[1] for v in variants if v.startswith("numbers:")} == {"none", "gongkai", "biao", "gongkai_cn", "biao_cn"}
    assert {v.split(":")[1] for v in variants if v.startswith("font:")} == {"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei"}
    assert any(v.startswith("split-over-two-pages") for v in variants)
    assert sum(p.stat().st_size for p in MATRIX.iterdir()) < 8 * 1024 * 1024


@pytest.mark.parametrize("sidecar", SIDECARS, ids=[s.stem for s in SIDECARS])
def test_every_budget_variant_is_read_exactly(sidecar: Path) -> None:
    meta, read = case(sidecar)
    result = score_budget(meta, read)
    assert result["recall"] == 1.0 and result["precision"] == 1.0, result
    assert read.issues == ()


@pytest.mark.parametrize("sidecar", SIDECARS, ids=[s.stem for s in SIDECARS])
def test_every_budget_variant_reads_what_the_document_says_about_itself(sidecar: Path) -> None:
    meta, read = case(sidecar)
    facts = read.facts
    assert (facts.department, facts.fiscal_year, facts.unit, facts.phase, facts.scope) == (
        meta["department"], meta["fiscal_year"], meta["unit"], meta["phase"], meta["scope"]
    )
    assert [(t.table_code, squash(t.title), t.unit) for t in read.tables] == [
        (t["table"], t["title"], t["unit"]) for t in meta["tables"]
    ]
    assert [t.table_type for t in read.tables] == [
        (kind.key if (kind := table_type(t["title"])) else None) for t in meta["tables"]
    ]
    with_cells = set(read.cells["table_code"])
    assert [t.table_code not in with_cells for t in read.tables] == [t["empty"] for t in meta["tables"]]
    # an empty table is present and says why it is empty (本表无数据 in its grid or under it)
    assert all(t.empty_note or t.grids for t in read.tables)


@pytest.mark.parametrize("sidecar", SIDECARS, ids=[s.stem for s in SIDECARS])
def test_every_budget_variant_is_complete_and_adds_up(sidecar: Path) -> None:
    meta, read = case(sidecar)
    titles = [t["title"] for t in meta["tables"]]
    if meta["contents"]:
        assert list(read.contents) == titles  # the 目录 is read, in order
    assert read.listed, "no table set to check completeness against"
    report = validate(
        read.cells, phase="预算", present_tables=[t.table_code for t in read.tables], tables=list(read.tables),
        listed_tables=read.listed, gx=True, run_name=sidecar.stem,
    )
    failures = [(f.rule, f.table_code, f.row, f.measure, f.expected, f.found) for f in report.failures]
    assert failures == []
    assert [(f.rule, f.table_code, f.row, f.measure) for f in report.warnings] == []
    # figures in whole hundreds of 元: every identity holds exactly, not merely within the tolerance
    assert all(f.difference in (None, Decimal(0)) for f in report.findings if f.outcome != "pass"), [
        f.describe() for f in report.findings if f.outcome != "pass"
    ]
