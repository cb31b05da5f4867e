"""06 一般公共预算财政拨款基本支出: 人员经费合计 / 公用经费合计 = Σ the 经济分类 类 on their side, 决算 columns only."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from expectations.findings import Finding
from expectations.identities.base import Rule, RuleSet, amounts_of, compare, first_row, labels_of
from expectations.measures import default_vocabulary

ECONOMIC = RuleSet()

#: 经济分类 类 that are personnel expenditure wherever they are printed; others follow the column they sit in.
PERSONNEL_CLASSES = ("301", "303")
PERSONNEL_TOTAL, PUBLIC_TOTAL = "人员经费合计", "公用经费合计"


def is_budget_column(measure: object) -> bool:
    """Whether a column holds 预算数 (the budget) rather than final-accounts figures: a header token says so.

    Parameters
    ----------
    measure
        The column's printed header path (``stg_cells.measure``, outer → inner joined with ``/``).

    Returns
    -------
    bool
        True when one header token, after the vocabulary's normalisation (whitespace and quotes removed,
        ``expectations/measures.yaml`` synonyms: 年初预算数 / 全年预算数 / 预算金额 → 预算数), *is* the budget
        stage: 预算数, a qualified 预算数 (调整预算数), or 预算 alone. 预算 inside a longer token is no stage:
        it names the fund (一般公共预算基本支出, 一般公共预算财政拨款 above Putuo's 人员经费 / 公用经费 columns).

    """
    return any(token in ("预算", "预算数") or token.endswith("预算数") for token in default_vocabulary().key(str(measure)))


def final_accounts_06(cells: pd.DataFrame) -> pd.DataFrame:
    """06 cells of the final-accounts columns: a 预算数 column, where printed, is a different figure."""
    t06 = cells[cells["table_code"] == "06"]
    measures = t06["measure"].astype(str)
    budget = {m: is_budget_column(m) for m in set(measures)}
    return t06[pd.Series([not budget[m] for m in measures], index=t06.index, dtype=bool)]


def _economic_sides(t06: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 类 cells of 06 on the personnel side and on the public side.

    The side is the caption above the amount column (Changsha: 人员经费/决算数) when printed, else the
    column group the 类 sits in (Putuo: the column of 人员经费合计), else the code (301/303 → personnel).
    """
    labels = labels_of(t06)
    personnel_cols = set(t06.loc[labels == PERSONNEL_TOTAL, "col_index"].astype(int))
    public_cols = set(t06.loc[labels == PUBLIC_TOTAL, "col_index"].astype(int))
    classes = t06[t06["economic_code"].fillna("").astype(str).str.len() == 3]
    personnel: list[bool] = []
    for code, measure, col in zip(classes["economic_code"], classes["measure"], classes["col_index"], strict=True):
        if "人员经费" in str(measure) or "公用经费" in str(measure):
            personnel.append("人员经费" in str(measure))
        elif int(col) in personnel_cols or int(col) in public_cols:
            personnel.append(int(col) in personnel_cols)
        else:
            personnel.append(str(code) in PERSONNEL_CLASSES)
    mask = pd.Series(personnel, index=classes.index, dtype=bool)
    return classes[mask], classes[~mask]


def _economic_total(cells: pd.DataFrame, rule: Rule, label: str, personnel: bool) -> Iterator[Finding]:
    t06 = final_accounts_06(cells)
    total = first_row(t06[labels_of(t06) == label])
    if total is None:
        return
    side = _economic_sides(t06)[0 if personnel else 1]
    yield compare(rule, "06", label, str(total["measure"]), total, amounts_of(side))


@ECONOMIC.rule("economic.personnel_total")
def check_personnel_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """06: 人员经费合计 = 301 + 303 (+ 309/399 where printed on the personnel side)."""
    yield from _economic_total(cells, rule, PERSONNEL_TOTAL, personnel=True)


@ECONOMIC.rule("economic.public_total")
def check_public_total(cells: pd.DataFrame, rule: Rule) -> Iterator[Finding]:
    """06: 公用经费合计 = Σ the other 类 (302, 307, 310, 399 …)."""
    yield from _economic_total(cells, rule, PUBLIC_TOTAL, personnel=False)
