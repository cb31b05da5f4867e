"""07 一般公共预算财政拨款“三公”经费: 小计 and 合计 = Σ their items, for 预算数 and for 决算数."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import Rule, RuleSet, compare, header_tokens

THREE_PUBLIC = RuleSet()


def _stage(measure: str) -> str | None:
    """The 预算数 / 决算数 element of a 07 header path."""
    for token in header_tokens(measure):
        if "预算" in token:
            return "预算数"
        if "决算" in token:
            return "决算数"
    return None


def _pick(cells_by_measure: dict[str, pd.Series], match: Callable[[list[str]], bool]) -> pd.Series | None:
    for measure, cell in cells_by_measure.items():
        if match(header_tokens(measure)):
            return cell
    return None


def _has(predicate: Callable[[str], bool]) -> Callable[[list[str]], bool]:
    return lambda tokens: any(predicate(t) for t in tokens)


_TOTAL = _has(lambda t: t == "合计")
_SUBTOTAL = _has(lambda t: t == "小计")
_PURCHASE = _has(lambda t: t == "公务用车购置费")
_RUNNING = _has(lambda t: t.startswith("公务用车运行"))
_ABROAD = _has(lambda t: t.startswith("因公出国"))
_RECEPTION = _has(lambda t: t.startswith("公务接待"))


def _three_public_groups(cells: pd.DataFrame) -> Iterator[tuple[str, dict[str, pd.Series]]]:
    frame = cells[cells["table_code"] == "07"]
    for _, row in frame.groupby(["page", "row_index"], sort=True):
        stages: dict[str, dict[str, pd.Series]] = {}
        for _, cell in row.iterrows():
            stage = _stage(str(cell["measure"]))
            if stage is not None:
                stages.setdefault(stage, {}).setdefault(str(cell["measure"]), cell)
        yield from stages.items()


def _present(*cells: pd.Series | None) -> list[Decimal]:
    return [Decimal(c["amount"]) for c in cells if c is not None]


@THREE_PUBLIC.rule("three_public.subtotal")
def check_three_public_subtotal(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """07: 小计 = 公务用车购置费 + 公务用车运行(维护)费, for 预算数 and 决算数."""
    for stage, by_measure in _three_public_groups(cells):
        subtotal = _pick(by_measure, _SUBTOTAL)
        if subtotal is None:
            continue
        parts = _present(_pick(by_measure, _PURCHASE), _pick(by_measure, _RUNNING))
        yield compare(rule, "07", stage, str(subtotal["measure"]), subtotal, parts)


@THREE_PUBLIC.rule("three_public.total")
def check_three_public_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """07: 合计 = 因公出国（境）费 + 公务用车购置及运行费小计 + 公务接待费, for 预算数 and 决算数."""
    for stage, by_measure in _three_public_groups(cells):
        total = _pick(by_measure, _TOTAL)
        if total is None:
            continue
        subtotal = _pick(by_measure, _SUBTOTAL)
        cars = _present(subtotal) if subtotal is not None else _present(_pick(by_measure, _PURCHASE), _pick(by_measure, _RUNNING))
        parts = _present(_pick(by_measure, _ABROAD)) + cars + _present(_pick(by_measure, _RECEPTION))
        yield compare(rule, "07", stage, str(total["measure"]), total, parts)
