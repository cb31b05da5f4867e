"""The seed department's 2020 预算 as both families print it: Shanghai's nine tables and Jiangsu's twelve or thirteen.

The figures are those of ``seedgen.budget`` (the 部门预算 whose execution rates ``v_budget_execution`` is tested on),
every amount a whole hundred 元 (``FIGURES``: 一般行政管理事务's project budget 20,480,625 元 becomes 20,480,600 元 and
a 会议费 of 20,000 元 is split off 其他商品和服务支出) so that each prints exactly in 元 and in 万元.  Every table
adds up by construction: two-sided totals, 类 = Σ 款 = Σ 项, 合计 = 基本 + 项目, 基本支出 = 人员经费 + 公用经费 = the
economic tables, 机关运行经费 = 公用经费, 三公 小计 = its items, Jiangsu's 合计 = 三公 + 会议费 + 培训费, procurement
totals = Σ categories = Σ economic items = Σ goods.

A table (``BudgetTable``) is a grid of header and body slots: a text, an amount (``Decimal``, 元), ``None`` (blank),
``RIGHT`` (the slot is covered by the cell to its left) or ``DOWN`` (covered by the cell above).  The office
generators (``seedgen.budget_office``) lay them out; ``expected_cells`` derives the cells a reader must find from
the same slots: each amount with its row's code (功能分类 / 经济分类, 类 款 项 columns joined) or label (the nearest
label to its left, or the row's item), and the header texts above its column, outer to inner.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from . import budget as seed_budget

RIGHT = "→"  # a slot covered by the cell to its left (a merged cell)
DOWN = "↓"  # a slot covered by the cell above
Slot = str | Decimal | None
_HUNDRED = Decimal("100")
_CENT = Decimal("0.01")
_NUMERALS = "一二三四五六七八九十"

#: Header texts over label and code columns: never part of an amount's measure.
LABEL_HEADERS = frozenset(
    {
        "项目", "项目名称", "科目编码", "科目代码", "科目名称", "功能分类科目编码", "功能分类科目名称", "功能科目编码",
        "功能科目代码", "功能科目名称", "部门预算经济分类科目编码", "经济分类科目名称", "类", "款", "项", "采购品目大类",
        "专项名称", "经济科目", "采购物品名称", "采购组织形式", "功能分类", "支出用途",
    }
)


# --------------------------------------------------------------------------- the figures


@dataclass(frozen=True)
class Figures:
    """What the department budgets (元): 功能分类 leaves, 基本支出 by 经济分类 款, 三公, 会议费/培训费, purchases."""

    leaves: tuple[seed_budget.Leaf, ...]
    economic: tuple[tuple[str, str, Decimal], ...]
    three_public: tuple[Decimal, Decimal, Decimal, Decimal]  # 因公出国(境), 车辆购置, 车辆运行, 公务接待
    meetings: Decimal
    training: Decimal
    #: (category, project, economic item, goods, how bought, amount)
    purchases: tuple[tuple[str, str, str, str, str, Decimal], ...]


def _hundreds(value: Decimal | None) -> Decimal | None:
    """A figure rounded to whole hundreds of 元 (exact in 万元 with two places)."""
    return None if value is None else (value / _HUNDRED).quantize(Decimal(1)) * _HUNDRED


def _figures() -> Figures:
    leaves = tuple(replace(leaf, basic=_hundreds(leaf.basic), project=_hundreds(leaf.project)) for leaf in seed_budget.LEAVES)
    economic = []
    for code, name, amount in seed_budget.ECONOMIC:
        if code == "30299":  # 会议费 is split off 其他商品和服务支出: Jiangsu's 三公 table prints it
            economic.append(("30215", "会议费", Decimal("20000.00")))
            amount -= Decimal("20000.00")
        economic.append((code, name, amount))
    economic.sort(key=lambda item: item[0])
    abroad, purchase, running, reception = (v * 10000 for v in seed_budget.THREE_PUBLIC)
    training = next(amount for code, _, amount in economic if code == "30216")
    meetings = next(amount for code, _, amount in economic if code == "30215")
    purchases = (
        ("货物", "政务服务大厅运行维护", "办公设备购置", "台式计算机", "政府集中采购", Decimal("120000.00")),
        ("货物", "政务服务大厅运行维护", "办公设备购置", "打印设备", "政府集中采购", Decimal("36000.00")),
        ("货物", "政务服务大厅运行维护", "专用设备购置", "自助服务终端", "分散自行组织", Decimal("480000.00")),
        ("服务", "一网通办平台运维", "信息网络及软件购置更新", "软件运维服务", "部门集中采购", Decimal("1250000.00")),
        ("服务", "政务服务大厅运行维护", "物业管理费", "物业管理服务", "政府集中采购", Decimal("960000.00")),
    )
    return Figures(leaves, tuple(economic), (abroad, purchase, running, reception), meetings, training, purchases)


FIGURES = _figures()
DEPARTMENT = seed_budget.DEPARTMENT
YEAR = seed_budget.YEAR


def functional_rows(f: Figures) -> list[tuple[str, str, Decimal, Decimal | None, Decimal | None]]:
    """The 类, 款 and 项 rows in order: (code, name, 合计, 基本支出, 项目支出)."""
    rows: list[tuple[str, str, Decimal, Decimal | None, Decimal | None]] = []
    for cls in dict.fromkeys(leaf.code[:3] for leaf in f.leaves):
        for prefix in [cls, *dict.fromkeys(leaf.code[:5] for leaf in f.leaves if leaf.code.startswith(cls))]:
            under = [leaf for leaf in f.leaves if leaf.code.startswith(prefix)]
            basic = [leaf.basic for leaf in under if leaf.basic is not None]
            project = [leaf.project for leaf in under if leaf.project is not None]
            rows.append(
                (
                    prefix,
                    seed_budget.NAMES[prefix],
                    sum((leaf.total for leaf in under), Decimal(0)),
                    sum(basic, Decimal(0)) if basic else None,
                    sum(project, Decimal(0)) if project else None,
                )
            )
            if len(prefix) == 5:
                rows += [(leaf.code, leaf.name, leaf.total, leaf.basic, leaf.project) for leaf in under]
    return rows


def totals(f: Figures) -> tuple[Decimal, Decimal, Decimal]:
    """合计, 基本支出 and 项目支出 of the whole (general) budget."""
    basic = sum((leaf.basic or Decimal(0) for leaf in f.leaves), Decimal(0))
    project = sum((leaf.project or Decimal(0) for leaf in f.leaves), Decimal(0))
    return basic + project, basic, project


def economic_rows(f: Figures, only: str | None = None) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    """The 经济分类 类 and 款 rows of 基本支出: (code, name, 合计, 人员经费, 公用经费); ``only`` one 类."""
    rows = []
    for cls in sorted(seed_budget.ECONOMIC_NAMES):
        if only and cls != only:
            continue
        items = [(code, name, amount) for code, name, amount in f.economic if code.startswith(cls)]
        total = sum((amount for _, _, amount in items), Decimal(0))
        public = cls == seed_budget.PUBLIC_FUNDS
        zero = Decimal(0)
        rows.append((cls, seed_budget.ECONOMIC_NAMES[cls], total, zero if public else total, total if public else zero))
        rows += [(code, name, a, zero if public else a, a if public else zero) for code, name, a in items]
    return rows


def public_funds(f: Figures) -> Decimal:
    """公用经费 of 基本支出 (元): the 机关运行经费."""
    return sum((amount for code, _, amount in f.economic if code.startswith(seed_budget.PUBLIC_FUNDS)), Decimal(0))


def classes(f: Figures) -> list[tuple[str, str, Decimal]]:
    """The 功能分类 类 of the budget: (code, name, 合计)."""
    return [(code, name, total) for code, name, total, _, _ in functional_rows(f) if len(code) == 3]


# --------------------------------------------------------------------------- tables


@dataclass
class BudgetTable:
    """One 预算 table: its title proper, header and body slots, and what its rows are coded by."""

    key: str  # family + kind, stable across variants ("sh-01", "js-training")
    title: str  # without year, department and number ("财务收支预算总表")
    header: list[list[Slot]]
    body: list[list[Slot]]
    classification: str | None = None  # "functional" / "economic": its leading code columns
    code_cols: int = 0
    unit: str = "元"  # the unit it is printed in (a variant may change it)
    empty_note: str | None = None  # an empty table's note (本表无数据)
    items: dict[int, str] = field(default_factory=dict)  # body row -> its line item, where not its nearest label
    wide: bool = False  # printed landscape where a layout can

    @property
    def ncols(self) -> int:
        """The number of grid columns."""
        return len(self.header[0])

    @property
    def empty(self) -> bool:
        """Whether the table prints no amount."""
        return not any(isinstance(s, Decimal) for row in self.body for s in row)


def spans(rows: list[list[Slot]]) -> list[tuple[int, int, Slot, int, int]]:
    """The cells of a grid of slots: (row, col, slot, rowspan, colspan), ``RIGHT`` / ``DOWN`` slots merged in."""
    cells = []
    for r, row in enumerate(rows):
        for c, slot in enumerate(row):
            if slot in (RIGHT, DOWN):
                continue
            cs = 1
            while c + cs < len(row) and row[c + cs] == RIGHT:
                cs += 1
            rs = 1
            while r + rs < len(rows) and rows[r + rs][c] == DOWN:
                rs += 1
            cells.append((r, c, slot, rs, cs))
    return cells


def _owner(rows: list[list[Slot]], r: int, c: int) -> tuple[int, int]:
    """The slot whose cell covers (r, c)."""
    while rows[r][c] in (RIGHT, DOWN):
        if rows[r][c] == RIGHT:
            c -= 1
        else:
            r -= 1
    return r, c


def column_tokens(table: BudgetTable, col: int) -> list[str]:
    """The header texts above a column, outer to inner, without the label headers."""
    tokens: list[str] = []
    for r in range(len(table.header)):
        rr, cc = _owner(table.header, r, col)
        text = table.header[rr][cc]
        if isinstance(text, str) and text and text not in LABEL_HEADERS and text not in tokens:
            tokens.append(text)
    return tokens


_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|\d{1,2}[、.．])\s*")


def _label(slot: Slot) -> str | None:
    """A body slot's text when it is a label (not an amount, code or blank), without its ordinal (一、 1.)."""
    if not isinstance(slot, str) or slot in (RIGHT, DOWN, "") or slot.isdigit():
        return None
    return _ORDINAL.sub("", slot)


def expected_cells(table: BudgetTable, code: str, unit: str) -> Iterator[dict[str, object]]:
    """The cells a reader must find in a table: one per printed amount, as ``tests/golden.py`` scores them."""
    factor = Decimal(10000) if unit == "万元" else Decimal(1)
    for r, row in enumerate(table.body):
        codes = [row[c] for c in range(table.code_cols) if isinstance(row[c], str) and row[c].isdigit()]
        joined = "".join(str(c) for c in codes)
        for c, slot in enumerate(row):
            if not isinstance(slot, Decimal):
                continue
            cell: dict[str, object] = {"table": code, "functional_code": None, "economic_code": None, "line_item": None}
            if joined:
                cell["functional_code" if table.classification == "functional" else "economic_code"] = joined
            elif r in table.items:
                cell["line_item"] = table.items[r]
            else:
                for k in range(c - 1, -1, -1):
                    rr, cc = _owner(table.body, r, k)
                    label = _label(table.body[rr][cc])
                    if label:
                        cell["line_item"] = label
                        break
            cell["measure"] = column_tokens(table, c)
            cell["amount"] = str((slot / factor).quantize(_CENT))
            yield cell


def _codes3(code: str) -> list[Slot]:
    """A 功能分类 code in Shanghai's three columns (类 款 项)."""
    return [code[:3], code[3:5] or None, code[5:7] or None]


def _functional_header(group: str, columns: list[str]) -> list[list[Slot]]:
    """项目 (类 款 项 and name) beside a column group, as Shanghai's coded tables print it."""
    n = len(columns)
    return [
        ["项目", RIGHT, RIGHT, RIGHT, group, *[RIGHT] * (n - 1)],
        ["功能分类科目编码", RIGHT, RIGHT, "功能分类科目名称", *columns],
        ["类", "款", "项", DOWN, *[DOWN] * n],
    ]


def _money(values: list[Decimal | None]) -> list[Slot]:
    return list(values)


def shanghai_tables(f: Figures = FIGURES, scope: str = "部门") -> list[BudgetTable]:
    """The nine tables of a Shanghai 部门预算 (or 单位预算: the 经济分类 table names the 预算单位)."""
    total, basic, project = totals(f)
    fn = functional_rows(f)
    cls = classes(f)
    left = [
        ("一、财政拨款收入", total), ("1. 一般公共预算资金", total), ("2. 政府性基金", None), ("3. 国有资本经营预算", None),
        ("二、事业收入", None), ("三、事业单位经营收入", None), ("四、其他收入", None),
    ]
    right = [(f"{_NUMERALS[k]}、{name}", amount) for k, (_, name, amount) in enumerate(cls)]
    body01: list[list[Slot]] = []
    for k in range(max(len(left), len(right))):
        a, x = left[k] if k < len(left) else ("", None)
        b, y = right[k] if k < len(right) else ("", None)
        body01.append([a, x, b, y])
    body01.append(["收入总计", total, "支出总计", total])
    t01 = BudgetTable("sh-01", "财务收支预算总表", [["本年收入", RIGHT, "本年支出", RIGHT], ["项目", "预算数", "项目", "预算数"]], body01)

    income_cols = ["合计", "财政拨款收入", "事业收入", "事业单位经营收入", "其他收入"]
    body02: list[list[Slot]] = [[*_codes3(code), name, t, t, None, None, None] for code, name, t, _, _ in fn]
    body02.append(["合计", RIGHT, RIGHT, RIGHT, total, total, None, None, None])
    t02 = BudgetTable("sh-02", "收入预算总表", _functional_header("收入预算", income_cols), body02, "functional", 3, wide=True)

    def expenditure_body() -> list[list[Slot]]:
        body: list[list[Slot]] = [[*_codes3(code), name, t, b, p] for code, name, t, b, p in fn]
        body.append(["合计", RIGHT, RIGHT, RIGHT, total, basic, project])
        return body

    t03 = BudgetTable("sh-03", "支出预算总表", _functional_header("支出预算", ["合计", "基本支出", "项目支出"]), expenditure_body(), "functional", 3)
    left04 = [("一、一般公共预算资金", total), ("二、政府性基金", None), ("三、国有资本经营预算", None)]
    body04: list[list[Slot]] = []
    for k in range(max(len(left04), len(right))):
        a, x = left04[k] if k < len(left04) else ("", None)
        b, y = right[k] if k < len(right) else ("", None)
        body04.append([a, x, b, y, y, None, None])
    body04.append(["收入总计", total, "支出总计", total, total, None, None])
    t04 = BudgetTable(
        "sh-04", "财政拨款收支预算总表",
        [["财政拨款收入", RIGHT, "财政拨款支出", RIGHT, RIGHT, RIGHT, RIGHT],
         ["项目", "预算数", "项目", "合计", "一般公共预算", "政府性基金预算", "国有资本经营预算"]],
        body04, wide=True,
    )
    t05 = BudgetTable(
        "sh-05", "一般公共预算支出功能分类预算表", _functional_header("一般公共预算支出", ["合计", "基本支出", "项目支出"]),
        expenditure_body(), "functional", 3,
    )

    def empty(key: str, fund: str) -> BudgetTable:
        note = f"注：本部门{YEAR}年无{fund}预算财政拨款安排的预算，本表无数据。"
        return BudgetTable(
            key, f"{fund}预算支出功能分类预算表", _functional_header(f"{fund}预算支出", ["合计", "基本支出", "项目支出"]),
            [["合计", RIGHT, RIGHT, RIGHT, None, None, None]], "functional", 3, empty_note=note,
        )

    econ = economic_rows(f)
    cls_rows = [row for row in econ if len(row[0]) == 3]
    sums = [sum((row[k] for row in cls_rows), Decimal(0)) for k in (2, 3, 4)]
    body08: list[list[Slot]] = [[code[:3], code[3:] or None, name, t, p, q] for code, name, t, p, q in econ]
    body08.append(["合计", RIGHT, RIGHT, *sums])
    unit_word = "预算单位" if scope == "单位" else "部门"
    t08 = BudgetTable(
        "sh-08", f"一般公共预算基本支出{unit_word}预算经济分类预算表",
        [["项目", RIGHT, RIGHT, "一般公共预算基本支出", RIGHT, RIGHT],
         [f"{unit_word}预算经济分类科目编码", RIGHT, "经济分类科目名称", "合计", "人员经费", "公用经费"],
         ["类", "款", DOWN, DOWN, DOWN, DOWN]],
        body08, "economic", 2,
    )
    abroad, purchase, running, reception = f.three_public
    t09 = BudgetTable(
        "sh-09", "“三公”经费和机关运行经费预算表",
        [["“三公”经费预算数", RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, "机关运行经费预算数"],
         ["合计", "因公出国(境)费", "公务用车购置及运行费", RIGHT, RIGHT, "公务接待费", DOWN],
         [DOWN, DOWN, "小计", "购置费", "运行费", DOWN, DOWN]],
        [[abroad + purchase + running + reception, abroad, purchase + running, purchase, running, reception, public_funds(f)]],
        wide=True,
    )
    return [t01, t02, t03, t04, t05, empty("sh-06", "政府性基金"), empty("sh-07", "国有资本经营"), t08, t09]


def _jiangsu_functional(key: str, title: str, f: Figures, code_header: str = "功能科目编码") -> BudgetTable:
    total, _, _ = totals(f)
    body: list[list[Slot]] = [["合计", RIGHT, total]]
    body += [[code, name, t] for code, name, t, _, _ in functional_rows(f)]
    return BudgetTable(key, title, [[code_header, "功能科目名称", "金额"]], body, "functional", 1)


def _jiangsu_economic(key: str, title: str, f: Figures, column: str = "金额", only: str | None = None) -> BudgetTable:
    rows = economic_rows(f, only)
    total = sum((t for code, _, t, _, _ in rows if len(code) == 3), Decimal(0))
    body: list[list[Slot]] = [["合计", RIGHT, total]]
    body += [[code, name, t] for code, name, t, _, _ in rows]
    return BudgetTable(key, title, [["科目编码", "科目名称", column]], body, "economic", 1)


def jiangsu_tables(f: Figures = FIGURES, *, carryover: bool = False, fund_first: bool = False) -> list[BudgetTable]:
    """Jiangsu's twelve tables (2018 order; ``fund_first``: 2017's, the fund table 7th), ``carryover`` adds a 13th."""
    total, basic, project = totals(f)
    left = [
        ("一、财政拨款", total), ("1.一般公共预算", total), ("2.政府性基金预算", None), ("二、财政专户管理资金", None),
        ("三、其他资金", None),
    ]
    mid = [(f"{_NUMERALS[k]}、{name}", amount) for k, (_, name, amount) in enumerate(classes(f))]
    use = [("一、基本支出", basic), ("二、项目支出", project), ("三、单位预留机动经费", None)]
    body01: list[list[Slot]] = []
    for k in range(max(len(left), len(mid), len(use))):
        a, x = left[k] if k < len(left) else ("", None)
        b, y = mid[k] if k < len(mid) else ("", None)
        c, z = use[k] if k < len(use) else ("", None)
        body01.append([a, x, b, y, c, z])
    body01 += [
        ["当年收入小计", total, "当年支出小计", RIGHT, RIGHT, total],
        ["上年结转资金", None, "结转下年资金", RIGHT, RIGHT, None],
        ["收入合计", total, "支出合计", RIGHT, RIGHT, total],
    ]
    t01 = BudgetTable(
        "js-01", "收支预算总表",
        [["收入", RIGHT, "支出", RIGHT, RIGHT, RIGHT],
         ["项目名称", "金额", "功能分类", RIGHT, "支出用途", RIGHT],
         [DOWN, DOWN, "功能科目名称", "金额", "项目名称", "金额"]],
        body01, wide=True,
    )
    body02: list[list[Slot]] = [
        ["收入总计", RIGHT, total],
        ["一般公共预算资金", "小计", total],
        [DOWN, "公共财政拨款(补助)资金", total],
        [DOWN, "专项收入", None],
        ["政府性基金", "小计", None],
        ["财政专户管理资金", "小计", None],
        ["其他资金", "小计", None],
    ]
    t02 = BudgetTable("js-02", "收入预算总表", [["项目名称", RIGHT, "金额"]], body02)
    t03 = BudgetTable(
        "js-03", "支出预算总表", [["合计", "基本支出", "项目支出", "单位预留机动经费", "结转下年资金"]],
        [[total, basic, project, None, None]],
    )
    t04 = BudgetTable(
        "js-04", "财政拨款收支预算总表",
        [["收入", RIGHT, "支出", RIGHT], ["项目名称", "金额", "支出用途", RIGHT], [DOWN, DOWN, "项目名称", "金额"]],
        [["一、一般公共预算", total, "一、基本支出", basic], ["二、政府性基金预算", None, "二、项目支出", project],
         ["", None, "三、单位预留机动经费", None], ["收入合计", total, "支出合计", total]],
    )
    t05 = _jiangsu_functional("js-05", "财政拨款支出预算表", f)
    t06 = _jiangsu_economic("js-06", "财政拨款基本支出预算表", f)
    t07 = _jiangsu_functional("js-07", "一般公共预算支出预算表", f, "科目代码")
    t08 = _jiangsu_economic("js-08", "一般公共预算基本支出预算表", f)
    abroad, purchase, running, reception = f.three_public
    three = abroad + purchase + running + reception
    t09 = BudgetTable(
        "js-09", "一般公共预算“三公”经费、会议费、培训费支出预算表",
        [["合计", "“三公”经费", RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, "会议费", "培训费"],
         [DOWN, "小计", "因公出国（境）费", "公务用车购置及运行维护费", RIGHT, RIGHT, "公务接待费", DOWN, DOWN],
         [DOWN, DOWN, DOWN, "小计", "公务用车购置费", "公务用车运行维护费", DOWN, DOWN, DOWN]],
        [[three + f.meetings + f.training, three, abroad, purchase + running, purchase, running, reception, f.meetings, f.training]],
        wide=True,
    )
    t10 = BudgetTable(
        "js-10", "政府性基金支出预算表", [["功能科目编码", "功能科目名称", "金额"]], [["合计", RIGHT, None]],
        "functional", 1, empty_note="本表无数据",
    )
    t11 = _jiangsu_economic("js-11", "一般公共预算机关运行经费支出预算表", f, "机关运行经费支出", only="302")
    t12 = procurement(f)
    tables = [t01, t02, t03, t04, t05, t06, t07, t08, t09, t10, t11, t12]
    if fund_first:  # 2017: the fund table follows the 财政拨款 tables, 机关运行经费 before 三公
        tables = [t01, t02, t03, t04, t05, t06, t10, t07, t08, t11, t09, t12]
    if carryover:
        tables.append(
            BudgetTable(
                "js-13", "动用上年结转和结余资金支出预算总表",
                [["功能科目编码", "功能科目名称", "合计", "基本支出", "项目支出"]],
                [["合计", RIGHT, None, None, None]], "functional", 1, empty_note="本表无数据",
            )
        )
    return tables


def procurement(f: Figures) -> BudgetTable:
    """政府采购支出预算表: 合计, categories, (project, economic item) subtotals and goods, each with its amount."""
    body: list[list[Slot]] = []
    items: dict[int, str] = {}
    grand = sum((p[-1] for p in f.purchases), Decimal(0))
    body.append(["合计", RIGHT, RIGHT, RIGHT, RIGHT, grand])
    for k, category in enumerate(dict.fromkeys(p[0] for p in f.purchases)):
        under = [p for p in f.purchases if p[0] == category]
        body.append([f"{_NUMERALS[k]}、{category}", RIGHT, RIGHT, RIGHT, RIGHT, sum((p[-1] for p in under), Decimal(0))])
        for project, item in dict.fromkeys((p[1], p[2]) for p in under):
            goods = [p for p in under if (p[1], p[2]) == (project, item)]
            body.append(["", project, item, "", "", sum((p[-1] for p in goods), Decimal(0))])
            for good in goods:
                items[len(body)] = good[3]
                body.append(["", "", "", good[3], good[4], good[5]])
    return BudgetTable(
        "js-12", "政府采购支出预算表", [["采购品目大类", "专项名称", "经济科目", "采购物品名称", "采购组织形式", "总计"]],
        body, items=items, wide=True,
    )
