"""Golden-cell matching with the semantics of ../shared/tools/check_export.py (copied here: tests stand alone)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
ORD_RE = re.compile(r"^(?:[一二三四五六七八九十百]+[、.．]|（[一二三四五六七八九十]+）)")


def load_golden(name: str) -> dict[str, Any]:
    return json.loads((DATA / "golden" / name).read_text(encoding="utf-8"))


def _norm_text(t: Any) -> str:
    t = re.sub(r"\s+", "", str(t or ""))
    return t.replace("(", "（").replace(")", "）").replace("[", "【").replace("]", "】")


def _norm_label(t: Any) -> str:
    return ORD_RE.sub("", _norm_text(t))


def _matches(g: dict[str, Any], r: dict[str, Any]) -> bool:
    if r["table_code"] != g["table"]:
        return False
    gcode = g.get("functional_code") or g.get("economic_code")
    if gcode:
        if gcode not in (r.get("functional_code") or "", r.get("economic_code") or ""):
            return False
    elif g.get("line_item"):
        if _norm_label(r.get("line_item")) != _norm_label(g["line_item"]):
            return False
    if abs(Decimal(str(r["amount"])) - Decimal(g["amount"])) > Decimal("0.005"):
        return False
    measure = _norm_text(r.get("measure"))
    return all(_norm_text(tok) in measure for tok in g["measure"])


def score(golden: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (golden cells not matched, exported rows not matched); each row matches at most once."""
    used = [False] * len(rows)
    misses = []
    for g in golden["cells"]:
        hit = next((i for i, r in enumerate(rows) if not used[i] and _matches(g, r)), None)
        if hit is None:
            misses.append(g)
        else:
            used[hit] = True
    return misses, [r for i, r in enumerate(rows) if not used[i]]
