"""A 部门预算 (budget) of the seed's department and year, printed as Shanghai prints its 预算 table sets.

No real department in the corpus publishes both phases for one year, so this module makes the other
half of the seed: the 2020 部门预算 of 长沙市政务服务中心, whose 2020 决算 is the seed
(``samples/changsha_zwfwzx_2020_juesuan.pdf``).  Its general-budget functional rows use the seed's
功能分类 codes with budget figures chosen against the seed's 决算数 (table 05, 本年支出), so that the
execution rate of every 项 is known (``EXECUTION``):

=========  ======================  ==============  ===============  ========
code       name                    预算 (元)        决算 (seed, 元)   rate
=========  ======================  ==============  ===============  ========
2010301    行政运行 (基本)           11,956,400.00   11,956,400.00    100 %
2010302    一般行政管理事务 (项目)     20,480,625.00   16,384,500.00     80 %
2081199    其他残疾人事业支出 (基本)       30,800.00       15,400.00     50 %
2082502    其他农村生活救助 (项目)          40,000.00       50,000.00    125 %
2120101    行政运行 (基本)               83,000.00       66,400.00     80 %
=========  ======================  ==============  ===============  ========

The nine tables are those of a Shanghai 部门预算 (2025 Putuo, ``tests/data/real``), titled "2020年部门…"
with "编制部门：长沙市政务服务中心" and the unit on the line below the title, 功能分类 codes in three
columns (类 款 项), amounts with thousands separators, blank where nothing is budgeted: 财务收支预算总表,
收入预算总表, 支出预算总表, 财政拨款收支预算总表, 一般公共预算支出功能分类预算表, 政府性基金 and 国有资本经营
预算支出功能分类预算表 (empty, with their note), 一般公共预算基本支出部门预算经济分类预算表 (元) and
“三公”经费和机关运行经费预算表 (万元).  Every table adds up: two-sided totals, 类 = Σ 款 = Σ 项, 合计 =
基本 + 项目, 基本支出 = 人员经费 + 公用经费 (= the economic table), 三公 合计 = its items, 机关运行经费 = 公用经费.

The document: cover, 目录, one page of 编制说明, then one portrait page per table.  Written with the
reportlab pieces of the seed layouts (``cells``, ``layout``, ``draw``) and the committed font subset.

Usage (the committed file)::

    PYTHONPATH=samples .venv/bin/python -m seedgen.budget --out tests/data/budget/changsha_zwfwzx_2020_yusuan.pdf
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from .cells import Cell, body_cells, header_cells
from .draw import draw_cell_texts, draw_grid, draw_narrative, draw_printed, finish_page, narrative, start_page
from .fonts import FONT, register_fonts
from .layout import FOOTER_H, MARGIN, NOTE_LEAD, NOTE_SIZE, Printed, column_widths, row_heights, wrap
from .seed import SeedTable

DEPARTMENT = "长沙市政务服务中心"
YEAR = 2020
CITY = "长沙市"
OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "budget" / "changsha_zwfwzx_2020_yusuan.pdf"

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Leaf:
    """A budgeted 功能分类 项 (7 digits): its 基本支出 and 项目支出 (None: printed blank)."""

    code: str
    name: str
    basic: Decimal | None
    project: Decimal | None

    @property
    def total(self) -> Decimal:
        """The 合计 of the row."""
        return (self.basic or Decimal(0)) + (self.project or Decimal(0))


#: The 类 and 款 names of the seed (table 05 of the 决算).
NAMES: dict[str, str] = {
    "201": "一般公共服务支出",
    "20103": "政府办公厅（室）及相关机构事务",
    "208": "社会保障和就业支出",
    "20811": "残疾人事业",
    "20825": "其他生活救助",
    "212": "城乡社区支出",
    "21201": "城乡社区管理事务",
}
#: The budget of every 项 the seed's 决算 prints in table 05, in its order.
LEAVES: tuple[Leaf, ...] = (
    Leaf("2010301", "行政运行", Decimal("11956400.00"), None),
    Leaf("2010302", "一般行政管理事务", None, Decimal("20480625.00")),
    Leaf("2081199", "其他残疾人事业支出", Decimal("30800.00"), None),
    Leaf("2082502", "其他农村生活救助", None, Decimal("40000.00")),
    Leaf("2120101", "行政运行", Decimal("83000.00"), None),
)
#: What the seed's 决算 (table 05, 万元 → 元) spent on each 项, and the execution rate it makes.
EXECUTION: dict[str, tuple[Decimal, Decimal]] = {
    "2010301": (Decimal("11956400.00"), Decimal("1.0000")),
    "2010302": (Decimal("16384500.00"), Decimal("0.8000")),
    "2081199": (Decimal("15400.00"), Decimal("0.5000")),
    "2082502": (Decimal("50000.00"), Decimal("1.2500")),
    "2120101": (Decimal("66400.00"), Decimal("0.8000")),
}
#: 基本支出 by 经济分类 款: (code, name, amount); 301 and 303 are 人员经费, 302 公用经费.
ECONOMIC: tuple[tuple[str, str, Decimal], ...] = (
    ("30101", "基本工资", Decimal("800000.00")),
    ("30102", "津贴补贴", Decimal("900000.00")),
    ("30103", "奖金", Decimal("1800000.00")),
    ("30108", "机关事业单位基本养老保险缴费", Decimal("250000.00")),
    ("30109", "职业年金缴费", Decimal("120000.00")),
    ("30110", "职工基本医疗保险缴费", Decimal("150000.00")),
    ("30112", "其他社会保障缴费", Decimal("40000.00")),
    ("30113", "住房公积金", Decimal("420000.00")),
    ("30199", "其他工资福利支出", Decimal("6020000.00")),
    ("30201", "办公费", Decimal("100000.00")),
    ("30203", "咨询费", Decimal("30000.00")),
    ("30207", "邮电费", Decimal("20000.00")),
    ("30211", "差旅费", Decimal("30000.00")),
    ("30216", "培训费", Decimal("10000.00")),
    ("30217", "公务接待费", Decimal("32000.00")),
    ("30228", "工会经费", Decimal("40000.00")),
    ("30229", "福利费", Decimal("10000.00")),
    ("30231", "公务用车运行维护费", Decimal("65000.00")),
    ("30239", "其他交通费用", Decimal("160000.00")),
    ("30299", "其他商品和服务支出", Decimal("843200.00")),
    ("30302", "退休费", Decimal("30000.00")),
    ("30305", "生活补助", Decimal("20000.00")),
    ("30399", "其他对个人和家庭的补助", Decimal("180000.00")),
)
ECONOMIC_NAMES: dict[str, str] = {"301": "工资福利支出", "302": "商品和服务支出", "303": "对个人和家庭的补助"}
PUBLIC_FUNDS = "302"  # the 公用经费 类; the others are 人员经费
#: “三公”经费 (万元): 因公出国(境)费, 公务用车购置费, 公务用车运行费, 公务接待费 (the 决算's 预算数 of table 07).
THREE_PUBLIC: tuple[Decimal, Decimal, Decimal, Decimal] = (
    Decimal("0.00"),
    Decimal("0.00"),
    Decimal("6.50"),
    Decimal("3.20"),
)

TITLES: tuple[str, ...] = (
    "财务收支预算总表",
    "收入预算总表",
    "支出预算总表",
    "财政拨款收支预算总表",
    "一般公共预算支出功能分类预算表",
    "政府性基金预算支出功能分类预算表",
    "国有资本经营预算支出功能分类预算表",
    "一般公共预算基本支出部门预算经济分类预算表",
    "“三公”经费和机关运行经费预算表",
)


def money(value: Decimal | None) -> str:
    """An amount as Shanghai prints it (thousands separators, two places); blank for None."""
    return "" if value is None else f"{value.quantize(_CENT):,.2f}"


def _sum(values: list[Decimal | None]) -> Decimal | None:
    """The sum of the printed values; None (blank) when none is printed."""
    printed = [v for v in values if v is not None]
    return sum(printed, Decimal(0)) if printed else None


def functional_rows() -> list[tuple[str, str, Decimal, Decimal | None, Decimal | None]]:
    """The 类, 款 and 项 rows in order: (code, name, 合计, 基本支出, 项目支出)."""
    rows: list[tuple[str, str, Decimal, Decimal | None, Decimal | None]] = []
    for code in dict.fromkeys(leaf.code[:3] for leaf in LEAVES):
        for prefix in [code, *dict.fromkeys(leaf.code[:5] for leaf in LEAVES if leaf.code.startswith(code))]:
            under = [leaf for leaf in LEAVES if leaf.code.startswith(prefix)]
            rows.append(
                (
                    prefix,
                    NAMES[prefix],
                    sum((leaf.total for leaf in under), Decimal(0)),
                    _sum([leaf.basic for leaf in under]),
                    _sum([leaf.project for leaf in under]),
                )
            )
            if len(prefix) == 5:
                rows += [(leaf.code, leaf.name, leaf.total, leaf.basic, leaf.project) for leaf in under]
    return rows


def totals() -> tuple[Decimal, Decimal, Decimal]:
    """合计, 基本支出 and 项目支出 of the whole general budget."""
    basic = sum((leaf.basic or Decimal(0) for leaf in LEAVES), Decimal(0))
    project = sum((leaf.project or Decimal(0) for leaf in LEAVES), Decimal(0))
    return basic + project, basic, project


def _code_cells(code: str) -> list[str]:
    """A 功能分类 code in three columns, 类 款 项 ("2010301" → "201", "03", "01")."""
    return [code[:3], code[3:5], code[5:7]]


def _classes() -> list[tuple[str, Decimal]]:
    """The 类 of the general budget with their 合计, in order."""
    return [(code, total) for code, name, total, _, _ in functional_rows() if len(code) == 3]


def income_expenditure_summary() -> SeedTable:
    """01 财务收支预算总表: income by source against expenditure by 类, both 预算数."""
    total, _, _ = totals()
    left = [
        ("一、财政拨款收入", total),
        ("1. 一般公共预算资金", total),
        ("2. 政府性基金", None),
        ("3. 国有资本经营预算", None),
        ("二、事业收入", None),
        ("三、事业单位经营收入", None),
        ("四、其他收入", None),
    ]
    numerals = "一二三四五六七八九"
    right = [(f"{numerals[k]}、{NAMES[code]}", amount) for k, (code, amount) in enumerate(_classes())]
    body = []
    for k, (label, amount) in enumerate(left):
        other = right[k] if k < len(right) else ("", None)
        body.append([label, money(amount), other[0], money(other[1])])
    body.append(["收入总计", money(total), "支出总计", money(total)])
    header = [["本年收入", "", "本年支出", ""], ["项目", "预算数", "项目", "预算数"]]
    return _table("01", header, body)


def _functional_header(group: str, columns: list[str]) -> list[list[str]]:
    """项目 (类 款 项 and name) over a column group, as Shanghai's coded tables print it."""
    blanks = [""] * (len(columns) - 1)
    return [
        ["项目", "", "", "", group, *blanks],
        ["功能分类科目编码", "", "", "功能分类科目名称", *columns],
        ["类", "款", "项", "", *[""] * len(columns)],
    ]


def income() -> SeedTable:
    """02 收入预算总表: every 功能分类 row's income by source (all 财政拨款)."""
    columns = ["合计", "财政拨款收入", "事业收入", "事业单位经营收入", "其他收入"]
    body = [[*_code_cells(code), name, money(total), money(total), "", "", ""] for code, name, total, _, _ in functional_rows()]
    grand, _, _ = totals()
    body.append(["合计", "", "", "", money(grand), money(grand), "", "", ""])
    return _table("02", _functional_header("收入预算", columns), body)


def _expenditure_body() -> list[list[str]]:
    """The 合计 / 基本支出 / 项目支出 rows of 03 and 05, and their 合计 row."""
    body = [
        [*_code_cells(code), name, money(total), money(basic), money(project)]
        for code, name, total, basic, project in functional_rows()
    ]
    grand, basic, project = totals()
    body.append(["合计", "", "", "", money(grand), money(basic), money(project)])
    return body


def expenditure() -> SeedTable:
    """03 支出预算总表: every 功能分类 row, 基本支出 and 项目支出."""
    return _table("03", _functional_header("支出预算", ["合计", "基本支出", "项目支出"]), _expenditure_body())


def appropriation_summary() -> SeedTable:
    """04 财政拨款收支预算总表: appropriations by fund against expenditure by 类 and fund."""
    total, _, _ = totals()
    left = [("一、一般公共预算资金", total), ("二、政府性基金", None), ("三、国有资本经营预算", None)]
    numerals = "一二三四五六七八九"
    right = [(f"{numerals[k]}、{NAMES[code]}", amount) for k, (code, amount) in enumerate(_classes())]
    body = []
    for k in range(max(len(left), len(right))):
        label, amount = left[k] if k < len(left) else ("", None)
        other, spent = right[k] if k < len(right) else ("", None)
        body.append([label, money(amount), other, money(spent), money(spent), "", ""])
    body.append(["收入总计", money(total), "支出总计", money(total), money(total), "", ""])
    header = [
        ["财政拨款收入", "", "财政拨款支出", "", "", "", ""],
        ["项目", "预算数", "项目", "合计", "一般公共预算", "政府性基金预算", "国有资本经营预算"],
    ]
    return _table("04", header, body)


def general_budget_functional() -> SeedTable:
    """05 一般公共预算支出功能分类预算表: the table ``v_budget_execution`` reads."""
    header = _functional_header("一般公共预算支出", ["合计", "基本支出", "项目支出"])
    return _table("05", header, _expenditure_body())


def _empty_fund_table(number: str, fund: str) -> SeedTable:
    """06 / 07: a fund the department has no budget of: the header, an empty 合计 row and the note."""
    header = _functional_header(f"{fund}预算支出", ["合计", "基本支出", "项目支出"])
    note = f"注：本部门{YEAR}年无{fund}预算财政拨款安排的预算，故本表为空表。"
    return _table(number, header, [["合计", "", "", "", "", "", ""]], [note])


def economic_rows() -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    """The 经济分类 类 and 款 rows of the basic expenditure: (code, name, 合计, 人员经费, 公用经费)."""
    rows = []
    for cls in sorted(ECONOMIC_NAMES):
        items = [(code, name, amount) for code, name, amount in ECONOMIC if code.startswith(cls)]
        total = sum((amount for _, _, amount in items), Decimal(0))
        public = cls == PUBLIC_FUNDS
        zero = Decimal(0)
        rows.append((cls, ECONOMIC_NAMES[cls], total, zero if public else total, total if public else zero))
        rows += [(code, name, a, zero if public else a, a if public else zero) for code, name, a in items]
    return rows


def basic_economic() -> SeedTable:
    """08 一般公共预算基本支出部门预算经济分类预算表: 合计 = 人员经费 + 公用经费 per 经济分类 row."""
    header = [
        ["项目", "", "", "一般公共预算基本支出", "", ""],
        ["部门预算经济分类科目编码", "", "经济分类科目名称", "合计", "人员经费", "公用经费"],
        ["类", "款", "", "", "", ""],
    ]
    body = [
        [code[:3], code[3:], name, money(total), money(personnel), money(public)]
        for code, name, total, personnel, public in economic_rows()
    ]
    classes = [row for row in economic_rows() if len(row[0]) == 3]
    sums = [sum((row[k] for row in classes), Decimal(0)) for k in (2, 3, 4)]
    body.append(["合计", "", "", *(money(s) for s in sums)])
    return _table("08", header, body)


def public_funds() -> Decimal:
    """公用经费 of the basic expenditure (元): the 机关运行经费."""
    return sum((amount for code, _, amount in ECONOMIC if code.startswith(PUBLIC_FUNDS)), Decimal(0))


def three_public() -> SeedTable:
    """09 “三公”经费和机关运行经费预算表, in 万元."""
    abroad, purchase, running, reception = THREE_PUBLIC
    vehicles = purchase + running
    operating = (public_funds() / 10000).quantize(_CENT)
    header = [
        ["“三公”经费预算数", "", "", "", "", "", "机关运行经费预算数"],
        ["合计", "因公出国(境)费", "公务用车购置及运行费", "", "", "公务接待费", ""],
        ["", "", "小计", "购置费", "运行费", "", ""],
    ]
    values = [abroad + vehicles + reception, abroad, vehicles, purchase, running, reception, operating]
    return _table("09", header, [[money(v) for v in values]], unit="万元")


def _table(number: str, header: list[list[str]], body: list[list[str]], notes: list[str] | None = None, unit: str = "元") -> SeedTable:
    """A table as the seed layouts hold one: title, 编制部门 / unit line, header and body rows, notes."""
    title = f"{YEAR}年部门{TITLES[int(number) - 1]}"
    meta = [f"编制部门：{DEPARTMENT}", f"单位：{unit}"]
    return SeedTable(number, title, meta, header, body, [], notes or [])


def budget_tables() -> list[SeedTable]:
    """The nine tables of the 部门预算, in the order printed."""
    return [
        income_expenditure_summary(),
        income(),
        expenditure(),
        appropriation_summary(),
        general_budget_functional(),
        _empty_fund_table("06", "政府性基金"),
        _empty_fund_table("07", "国有资本经营"),
        basic_economic(),
        three_public(),
    ]


def contents() -> list[str]:
    """The 目录 lines (as Shanghai prints them: the tables numbered 1. … 9.)."""
    lines = ["目 录", "一、部门主要职能", "二、部门预算编制说明", "三、部门预算表"]
    return lines + [f"{k}. {YEAR}年部门{title}" for k, title in enumerate(TITLES, 1)]


def explanation() -> list[str]:
    """One page of 编制说明: what the budget adds up to."""
    total, basic, project = totals()
    return [
        f"{DEPARTMENT}{YEAR}年部门预算编制说明",
        "一、部门主要职能",
        f"{DEPARTMENT}负责全市政务服务体系建设与管理，统筹推进政务服务标准化、规范化、便利化。",
        "二、部门预算编制说明",
        f"{YEAR}年部门预算收入{money(total)}元，全部为一般公共预算财政拨款收入；"
        f"预算支出{money(total)}元，其中基本支出{money(basic)}元，项目支出{money(project)}元。",
        "三、部门预算表",
        "本部门预算表共九张，金额单位除“三公”经费和机关运行经费预算表为万元外均为元。",
    ]


def _heading(table: SeedTable) -> tuple[list[Printed], float]:
    """Title (centred), then 编制部门 (left) and the unit (right) on one line below it."""
    title = Printed("title", table.title, FONT, 16, "c", 16.0)
    department, unit = table.meta
    return [title, Printed("meta", department, FONT, 9, "l", 38.0), Printed("meta", unit, FONT, 9, "r", 38.0)], 48.0


def _grid_cells(table: SeedTable) -> tuple[list[Cell], int]:
    """The header and body cells of a table's grid, and its row count."""
    cells = header_cells(table.header) + body_cells(table.body, len(table.header))
    return cells, max(cell.row + cell.rowspan for cell in cells)


def draw_budget_table(canvas: Canvas, table: SeedTable, number: int) -> None:
    """One portrait page: heading, the ruled grid at the largest size that fits, notes."""
    width, height = start_page(canvas, "portrait")
    margin = MARGIN["portrait"]
    items, heading_h = _heading(table)
    draw_printed(canvas, items, width, margin, height - margin)
    cells, nrows = _grid_cells(table)
    ncols = len(table.header[0])
    inner = width - 2 * margin
    notes = [line for note in table.notes for line in wrap(note, inner, NOTE_SIZE)]
    room = height - 2 * margin - heading_h - FOOTER_H - len(notes) * NOTE_LEAD - 6.0
    size = 9.0
    while True:
        widths = column_widths(cells, ncols, size, inner)
        if widths is not None:
            heights = row_heights(cells, nrows, widths, size)
            if sum(heights) <= room:
                break
        size -= 0.25
        if size < 5.5:
            raise ValueError(f"table {table.number} does not fit its page")
    top = height - margin - heading_h
    left = margin + max(0.0, (inner - sum(widths)) / 2)
    draw_grid(canvas, cells, widths, heights, left, top)
    draw_cell_texts(canvas, cells, widths, heights, (left, top), size)
    y = top - sum(heights) - 6
    canvas.setFont(FONT, NOTE_SIZE)
    for line in notes:
        y -= NOTE_LEAD
        canvas.drawString(margin, y, line)
    finish_page(canvas, width, number, margin)


def _all_text(tables: list[SeedTable]) -> str:
    """Every text the document prints (to check the font subset holds it)."""
    parts = [f"{CITY}{YEAR}年市级部门预算", f"预算主管部门：{DEPARTMENT}", *contents(), *explanation()]
    for table in tables:
        parts += [table.title, *table.meta, *table.notes]
        parts += [cell for row in table.header + table.body for cell in row]
    return "\n".join(parts)


def build_budget(out: Path = OUT) -> list[str]:
    """Write the 预算 PDF; return what each page holds."""
    tables = budget_tables()
    register_fonts(_all_text(tables))
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{CITY}{YEAR}年市级部门预算 {DEPARTMENT}")
    width, height = start_page(canvas, "portrait")
    canvas.setFont(FONT, 26)
    canvas.drawCentredString(width / 2, height * 0.62, f"{CITY}{YEAR}年市级部门预算")
    canvas.setFont(FONT, 16)
    canvas.drawCentredString(width / 2, height * 0.62 - 56, f"预算主管部门：{DEPARTMENT}")
    canvas.showPage()
    pages = ["cover"]
    for lines, what in ((contents(), "目录"), (explanation(), "编制说明")):
        width, height = start_page(canvas, "portrait")
        items = narrative(lines, toc=what == "目录")
        if draw_narrative(canvas, items, width, height) != len(items):
            raise ValueError(f"{what} does not fit its page")
        finish_page(canvas, width, len(pages), MARGIN["portrait"])
        pages.append(what)
    for table in tables:
        draw_budget_table(canvas, table, len(pages))
        pages.append(f"table {table.number}")
    canvas.save()
    return pages


def main(argv: list[str] | None = None) -> None:
    """Write the 预算 PDF (default: the committed file)."""
    parser = argparse.ArgumentParser(description="Render the seed department's 2020 部门预算 as a ruled PDF.")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    pages = build_budget(args.out)
    print(f"{args.out}: {len(pages)} pages")


if __name__ == "__main__":
    main()
