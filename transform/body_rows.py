"""The body rows of a staged table: repaired where printing split them, and whom each amount belongs to.

Page breaks and merged cells cut rows apart (a label's tail on the next page, an ordinal at the end of
the row above, a name cell spanning rows); these are put back first. Amount columns then take their row
identity from the nearest code/name columns to their left: a subject ("code|name") for coded rows, a
printed label otherwise, with the block a repeated label belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extract.models import EDGE_TOP, CellGrid
from transform.headers import ColumnSpec
from transform.parsers import CellParseError, clean_label, is_code, join_code, looks_like_amount, squash

#: Headers of procurement columns that say how an item is bought, not what it is.
_HOW_BOUGHT = re.compile(r"组织形式|采购方式|形式$")
#: How complete row labels end; a label cut by a page break usually does not ("…国债安", "…生产补").
_COMPLETE_LABEL = re.compile(
    r"(合计|总计|小计|支出|收入|结余|分配|拨款|费用|经费|费|补助|补贴|资金|事务|管理|其他|款|金|税)$"
)
_ORDINAL_TAIL = re.compile(r"\s+([一二三四五六七八九十]+)$")


@dataclass
class BodyRow:
    """One printed body row: its page, row number in the printed grid (lineage), cells and column spec."""

    page: int
    index: int
    cells: list[str]
    spec: ColumnSpec
    continuation_start: bool = False
    boxes: tuple[tuple[float, float, float, float], ...] = ()


def fill_merged_names(cells: list[str], above: list[str], grid: CellGrid, r: int, spec: ColumnSpec) -> list[str]:
    """A name cell merged with the one above it (no ruling between them) reads as that cell's text."""
    if not grid.edges or r >= len(grid.edges):
        return cells
    filled = list(cells)
    for c, role in enumerate(spec.roles):
        if role == "name" and not squash(cells[c]) and c < len(grid.edges[r]) and not grid.edges[r][c] & EDGE_TOP:
            filled[c] = above[c]
    return filled


def fix_ordinal_spill(rows: list[BodyRow]) -> None:
    """Move an ordinal that slipped to the end of the previous row ("…支出 八" / "、社会…") back."""
    for prev, row in zip(rows, rows[1:], strict=False):
        if prev.spec is not row.spec:
            continue
        for c, text in enumerate(row.cells):
            if text.startswith("、") and c < len(prev.cells):
                m = _ORDINAL_TAIL.search(prev.cells[c])
                if m:
                    prev.cells[c] = prev.cells[c][: m.start()]
                    row.cells[c] = m.group(1) + text


def merge_split_rows(rows: list[BodyRow]) -> list[BodyRow]:
    """Join a label fragment that a page break pushed onto the next page back into its row."""
    merged: list[BodyRow] = []
    for row in rows:
        fragment = (
            row.continuation_start
            and merged
            and not any(looks_like_amount(c) or is_code(c) for c in row.cells)
            and any(squash(c) for c in row.cells)
            and len(merged[-1].cells) == len(row.cells)
            and any(
                squash(merged[-1].cells[c]) and not _COMPLETE_LABEL.search(squash(merged[-1].cells[c]))
                for c, text in enumerate(row.cells)
                if squash(text)
            )
        )
        if fragment:
            prev = merged[-1]
            prev.cells = [a + b if b else a for a, b in zip(prev.cells, row.cells, strict=True)]
            continue
        merged.append(row)
    return merged


def group_keys(spec: ColumnSpec, col: int) -> list[int]:
    """Key columns (code/name/row number) that identify the rows of amount column ``col``."""
    keys: list[int] = []
    c = col - 1
    while c >= 0 and spec.roles[c] in ("amount", "blank"):
        c -= 1
    while c >= 0 and spec.roles[c] in ("code", "name", "rowno"):
        keys.append(c)
        c -= 1
    return sorted(keys)


class RowIdentities:
    """Whom the body rows of one table are, per amount column group, remembered from row to row.

    Codes printed only in part are filled from the row above; a label seen before is a sub-row of the
    block the last new label opened (``parent``). ``most_specific``: see :func:`_identify`.
    """

    def __init__(self, most_specific: bool = False) -> None:
        self.most_specific = most_specific
        self._last_codes: dict[tuple[int, ...], list[str]] = {}
        self._seen_labels: dict[tuple[int, ...], list[str]] = {}
        self._block_parent: dict[tuple[int, ...], str | None] = {}
        # identifying counts the labels seen: a row is identified once per column group, however many amounts it prints
        self._known: dict[tuple[int, tuple[int, ...]], tuple[str | None, str | None]] = {}

    def identify(self, row: BodyRow, keys: tuple[int, ...]) -> tuple[str | None, str | None]:
        """Row identity for one column group: ("code|name", None) for coded rows, (None, label) otherwise."""
        identity = self._known.get((id(row), keys))
        if identity is None:
            identity = _identify(
                row, keys, self._last_codes, self._seen_labels, self._block_parent, most_specific=self.most_specific
            )
            self._known[(id(row), keys)] = identity
        return identity

    def parent(self, keys: tuple[int, ...], label: str | None) -> str | None:
        """The label of the block a repeated ``label`` is a sub-row of; None for a label seen the first time."""
        return self._block_parent.get(keys) if label and label in self._seen_labels.get(keys, [])[:-1] else None


def _identify(
    row: BodyRow,
    keys: tuple[int, ...],
    last_codes: dict[tuple[int, ...], list[str]],
    seen_labels: dict[tuple[int, ...], list[str]],
    block_parent: dict[tuple[int, ...], str | None],
    most_specific: bool = False,
) -> tuple[str | None, str | None]:
    """Row identity for one column group: ("code|name", None) for coded rows, (None, label) otherwise.

    ``most_specific``: the label is the last description the row prints (an item, not its category or
    project), leaving out how it is bought (采购组织形式, 采购方式).
    """
    spec = row.spec
    code_cols = [c for c in keys if spec.roles[c] == "code"]
    name_cols = [c for c in keys if spec.roles[c] == "name"]
    # a 款/项 printed as one digit ("2" for 02: seen where a producer drops the leading zero) is that part
    parts = [row.cells[c] for c in code_cols]
    parts = [("0" + squash(p)) if i > 0 and re.fullmatch(r"\d", squash(p)) else p for i, p in enumerate(parts)]
    name = "".join(squash(row.cells[c]) for c in name_cols)
    if parts and all(is_code(p) or not squash(p) for p in parts) and any(squash(p) for p in parts):
        previous = last_codes.get(keys, [])
        filled = [squash(p) for p in parts]
        # codes inherited from the row above when only the 款/项 parts are printed
        for i, part in enumerate(filled):
            if part:
                break
            if i < len(previous):
                filled[i] = previous[i]
        try:
            subject = join_code(filled)
        except CellParseError:
            subject = None
        if subject:
            last_codes[keys] = filled
            return f"{subject}|{clean_label(name) if name else ''}", None
    if most_specific:
        name_cols = [c for c in name_cols if not _HOW_BOUGHT.search("".join(spec.paths[c]))][::-1]
    texts = [squash(row.cells[c]) for c in name_cols if squash(row.cells[c])]
    texts += [squash(row.cells[c]) for c in code_cols if squash(row.cells[c])]
    label = clean_label(texts[0]) if texts else None
    if label is None:
        # the label of a merged total row sits further left (e.g. 06 "公用经费合计 | … | 166.76")
        for c in range(min(keys) - 1 if keys else len(row.cells) - 1, -1, -1):
            text = squash(row.cells[c])
            if text and not looks_like_amount(text) and not text.isdigit():
                label = clean_label(text)
                break
    if label:
        seen = seen_labels.setdefault(keys, [])
        if label in seen:
            pass  # a repeated label is a sub-row of the block opened by the last new label
        else:
            block_parent[keys] = label
        seen.append(label)
    return None, label
