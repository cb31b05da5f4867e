"""Real 预算 PDFs read and staged cell for cell against golden files derived without the extractor.

The golden files (``tests/data/golden/yusuan/``) were derived with pdfplumber by ``derive.py`` there,
each table checked against the document's own totals; a cell matches when table, codes, line item
(without a leading ordinal) and amount are equal and the staged measure holds every golden header token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from extract.budget_tables import identify_budget_tables
from extract.identify import read_facts
from extract.isolation import read_pdf
from extract.limits import Limits
from transform.stage import stage_document

DATA = Path(__file__).resolve().parent / "data"
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|\d{1,2}[、.．])")

#: (document, tables not yet read as the golden file has them): every other table must match exactly.
CASES = [
    ("shanghai-putuo_finance-bureau_2025_yusuan_dept", frozenset()),
    ("shanghai-putuo_govt-office_2025_yusuan_unit", frozenset()),
    ("jiangsu_procuratorate_2018_yusuan", frozenset()),
]


def _key(table: str, functional: Any, economic: Any, line_item: Any, amount: str) -> tuple[Any, ...]:
    label = _ORDINAL.sub("", re.sub(r"\s+", "", line_item)) if line_item else None
    return (table, functional or None, economic or None, label, amount)


@pytest.mark.parametrize(("name", "open_tables"), CASES, ids=[c[0] for c in CASES])
def test_a_real_budget_is_read_cell_for_cell(name: str, open_tables: frozenset[str]) -> None:
    golden = json.loads((DATA / "golden" / "yusuan" / f"{name}.json").read_text(encoding="utf-8"))
    read = read_pdf(DATA / "real" / f"{name}.pdf", f"{name}.pdf", False, Limits())
    tables = identify_budget_tables(read.pages, read.grids)
    facts = read_facts(read.pages, tables)
    assert (facts.department, facts.fiscal_year, facts.phase, facts.scope) == (
        golden["department"], golden["fiscal_year"], golden["phase"], golden["scope"]
    )
    assert [(t.table_code, t.title, list(t.pages), t.unit) for t in tables] == [
        (t["table"], t["title"].replace("“", "").replace("”", ""), t["pages"], t["unit"]) for t in golden["tables"]
    ]
    cells = stage_document(tables, facts.unit).cells
    cells = cells[~cells["table_code"].isin(open_tables)]
    expected = [c for c in golden["cells"] if c["table"] not in open_tables]
    staged: dict[tuple[Any, ...], list[str]] = {}
    for row in cells.itertuples():
        key = _key(row.table_code, row.functional_code, row.economic_code, row.line_item, format(row.amount, "f"))
        staged.setdefault(key, []).append(str(row.measure))
    misses = []
    for cell in expected:
        key = _key(cell["table"], cell["functional_code"], cell["economic_code"], cell["line_item"], cell["amount"])
        candidates = staged.get(key, [])
        found = next((m for m in candidates if all(token in m for token in cell["measure"])), None)
        if found is None:
            misses.append((key, cell["measure"], candidates))
        else:
            candidates.remove(found)
    extras = [(key, measures) for key, measures in staged.items() if measures]
    assert misses == [] and extras == []
    assert len(cells) == len(expected) > 0
