"""A 预算's “三公” table (``three_public``): 公务用车 小计, the 三公 total, and Jiangsu's 合计 with 会议费 and 培训费.

Shanghai prints “三公”经费预算数 / 合计, 因公出国(境)费, 公务用车购置及运行费 (小计, 购置费, 运行费), 公务接待费,
beside 机关运行经费预算数 (not a 三公 item); Jiangsu prints 合计 = “三公”经费 (小计, 因公出国（境）费,
公务用车购置及运行维护费 …, 公务接待费) + 会议费 + 培训费. Columns are compared within one printed row and one
stage (the header that names 预算数 / 上年 / 本年 / 增减, when printed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import BUDGET, Cell, Rule, RuleSet, compare, header_tokens, of_types
from expectations.identities.rows import printed_rows
from extract.table_types import squash

BUDGET_THREE_PUBLIC = RuleSet(BUDGET)

_STAGE_WORDS = ("预算数", "决算数", "上年", "本年", "增减")
_TOTALS = ("合计", "小计")


def _tokens(measure: object) -> list[str]:
    return [squash(t).replace("(", "（").replace(")", "）") for t in header_tokens(measure)]


def _stage(tokens: list[str]) -> str:
    """The stage a column belongs to: its header naming 预算数 / 上年 / 本年 / 增减 (三公 and the year removed)."""
    for token in tokens:
        if any(word in token for word in _STAGE_WORDS) and "机关运行" not in token:
            return token.replace("三公经费", "").lstrip("0123456789年")
    return ""


def _is_cars(token: str) -> bool:
    return token.startswith("公务用车购置及运行")


Pick = Callable[[list[str]], bool]


def _last(*names: str) -> Pick:
    """The column whose last header is one of ``names`` (or starts with one, for names ending in "…")."""
    exact = tuple(n for n in names if not n.endswith("…"))
    starts = tuple(n[:-1] for n in names if n.endswith("…"))
    return lambda tokens: tokens[-1] in exact or bool(starts) and tokens[-1].startswith(starts)


_ABROAD, _RECEPTION = _last("因公出国…"), _last("公务接待…")
_MEETINGS, _TRAINING = _last("会议费"), _last("培训费")
_PURCHASE, _RUNNING = _last("购置费", "公务用车购置费"), _last("运行…", "公务用车运行…")
_CARS_LEAF = _last("公务用车购置及运行…")


def _cars_subtotal(tokens: list[str]) -> bool:
    """公务用车购置及运行费 / 小计 (合计)."""
    return tokens[-1] in _TOTALS and any(_is_cars(t) for t in tokens[:-1])


def _three_total(tokens: list[str]) -> bool:
    """The 合计 / 小计 of the “三公” columns (under a header naming 三公, not under 公务用车)."""
    return tokens[-1] in _TOTALS and any("三公" in t for t in tokens) and not any(_is_cars(t) for t in tokens)


def _outer_total(tokens: list[str]) -> bool:
    """A 合计 / 小计 outside the “三公” and 公务用车 columns."""
    return tokens[-1] in _TOTALS and not any("三公" in t or _is_cars(t) for t in tokens)


class _Group:
    """The cells of one printed row and one stage, by their header tokens."""

    def __init__(self) -> None:
        self.cells: list[tuple[list[str], Cell]] = []

    def pick(self, match: Pick) -> Cell | None:
        return next((cell for tokens, cell in self.cells if match(tokens)), None)

    def amounts(self, *matches: Pick) -> list[Decimal]:
        return [Decimal(c["amount"]) for c in (self.pick(m) for m in matches) if c is not None]

    def has(self, match: Pick) -> bool:
        return self.pick(match) is not None

    def three_total(self) -> Cell | None:
        """The 三公 total: a 合计/小计 under “三公”, else (a table of 三公 alone) the 合计 outside every group."""
        found = self.pick(_three_total)
        if found is None and not (self.has(_MEETINGS) or self.has(_TRAINING)):
            found = self.pick(_outer_total)
        return found

    def cars(self) -> list[Decimal]:
        """公务用车购置及运行费: its 小计, else its printed parts, else the column itself."""
        if self.has(_cars_subtotal):
            return self.amounts(_cars_subtotal)
        if self.has(_PURCHASE) or self.has(_RUNNING):
            return self.amounts(_PURCHASE, _RUNNING)
        return self.amounts(_CARS_LEAF)


def _groups(cells: pd.DataFrame) -> Iterator[tuple[str, str, _Group]]:
    """(table, stage, group) per printed row of each 三公 table."""
    for table, frame in of_types(cells, ("three_public",)).groupby("table_code", sort=True):
        for row in printed_rows(frame):
            groups: dict[str, _Group] = {}
            for cell in row:
                tokens = _tokens(cell["measure"])
                groups.setdefault(_stage(tokens), _Group()).cells.append((tokens, cell))
            for stage, group in groups.items():
                yield str(table), stage, group


def _row(stage: str, what: str) -> str:
    return f"{stage} {what}".strip()


@BUDGET_THREE_PUBLIC.rule("budget.three_public.vehicles")
def check_vehicles(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """公务用车购置及运行(维护)费 小计 = 购置费 + 运行(维护)费."""
    for table, stage, group in _groups(cells):
        subtotal = group.pick(_cars_subtotal)
        if subtotal is not None:
            yield compare(rule, table, _row(stage, "公务用车购置及运行费"), str(subtotal["measure"]), subtotal,
                          group.amounts(_PURCHASE, _RUNNING))


@BUDGET_THREE_PUBLIC.rule("budget.three_public.total")
def check_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """“三公”经费 合计 (Jiangsu: 小计) = 因公出国(境)费 + 公务用车购置及运行费 + 公务接待费."""
    for table, stage, group in _groups(cells):
        total = group.three_total()
        if total is not None:
            parts = group.amounts(_ABROAD) + group.cars() + group.amounts(_RECEPTION)
            yield compare(rule, table, _row(stage, "“三公”经费"), str(total["measure"]), total, parts)


@BUDGET_THREE_PUBLIC.rule("budget.three_public.with_meetings_training")
def check_with_meetings_training(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """Jiangsu: 合计 = “三公”经费 + 会议费 + 培训费 (a 合计 printed outside the 三公 columns, beside 会议费 / 培训费)."""
    for table, stage, group in _groups(cells):
        outer = group.pick(_outer_total)
        if outer is None or not (group.has(_MEETINGS) or group.has(_TRAINING)):
            continue
        three = group.pick(_three_total)
        if three is not None:
            three_public = [Decimal(three["amount"])]
        else:
            three_public = group.amounts(_ABROAD) + group.cars() + group.amounts(_RECEPTION)
        parts = three_public + group.amounts(_MEETINGS, _TRAINING)
        yield compare(rule, table, _row(stage, "合计"), str(outer["measure"]), outer, parts)
