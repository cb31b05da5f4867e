#!/usr/bin/env python3
"""Derive the expected cells ("golden files") of three real 预算 PDFs, independently of fiscal-etl.

Run with a separate interpreter that has only pdfplumber installed (nothing of this repository is
imported):

    python3 -m venv /tmp/goldvenv && /tmp/goldvenv/bin/pip install pdfplumber
    /tmp/goldvenv/bin/python tests/data/golden/yusuan/derive.py            # writes the JSON files
    /tmp/goldvenv/bin/python tests/data/golden/yusuan/derive.py --show     # + page text and rows, for review

How a table is read
-------------------
* Rulings: the documents draw their grid as black-filled rectangles less than 1.5 pt thick (the Word-made
  Jiangsu file also paints white cell-background rectangles, which are ignored).  Each thin black rect
  becomes one explicit ruling segment; pdfplumber's table finder (explicit strategy) turns them into
  cells, merged cells included.
* Cell text = the characters whose centre lies in the cell, line by line, joined without spaces.
* Header rows = the grid rows above the first row holding an amount or a subject code.  The measure of
  an amount column = the texts of the header cells above it, outer to inner.  A continuation page without
  header rows takes the header of the previous page of the same table (columns matched by x position).
* Row identity = the label cells to the left of the amount (up to the previous amount column): subject
  codes (类/款/项 columns joined, or one code column) and name, or the row label of two-sided tables.
* Every amount-like word pdfplumber finds inside a grid (extract_words) must be one cell's amount and the
  other way round, so no printed figure is lost or invented by the cell reader.
Then every table is checked against its own totals and against the other tables (see CHECKS in the JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pdfplumber

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
REAL = REPO / "tests" / "data" / "real"

AMOUNT_RE = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+$")
CODE_RE = re.compile(r"^\d{2,7}$")
ORDINAL_RE = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)"
    r"|\d{1,2}[、.．](?!\d)|（\d{1,2}）|\(\d{1,2}\))"
)
LABEL_HEADERS = {"项目", "项目名称", "类", "款", "项", "功能科目代码", "科目编码", "专项名称", "经济科目",
                 "采购组织形式", "采购品目大类"}
TOLERANCE = Decimal("0.01")

# ---------------------------------------------------------------------------------------------------
# What the documents print (checked against the page text by `check_titles`)
# ---------------------------------------------------------------------------------------------------
DOCS = [
    {
        "document": "shanghai-putuo_finance-bureau_2025_yusuan_dept.pdf",
        "department": "上海市普陀区财政局",
        "department_printed_as": "预算主管部门：上海市普陀区财政局 (cover p.1); 编制部门：上海市普陀区财政局 (every table page with a title)",
        "fiscal_year": 2025,
        "scope": "部门",
        "numbering": "no table number printed on the tables; 'table' = position in the 目录 (p.2, '1. 2025年部门财务收支预算总表' … '9．2025年部门“三公”经费和机关运行经费预算表')",
        "title_prefix": r"^2025年部门",
        # table: (number, printed title, [(page, grid index on page)], kind)
        "tables": [
            ("01", "2025年部门财务收支预算总表", [(9, 0)], "two_sided"),
            ("02", "2025年部门收入预算总表", [(10, 0), (11, 0)], "code_functional"),
            ("03", "2025年部门支出预算总表", [(12, 0), (13, 0)], "code_functional"),
            ("04", "2025年部门财政拨款收支预算总表", [(14, 0)], "two_sided"),
            ("05", "2025年部门一般公共预算支出功能分类预算表", [(15, 0), (16, 0)], "code_functional"),
            ("06", "2025年部门政府性基金预算支出功能分类预算表", [(17, 0)], "code_functional"),
            ("07", "2025年部门国有资本经营预算支出功能分类预算表", [(18, 0)], "code_functional"),
            ("08", "2025年部门一般公共预算基本支出部门预算经济分类预算表", [(19, 0), (20, 0)], "code_economic"),
            ("09", "2025年部门“三公”经费和机关运行经费预算表", [(21, 0)], "single_row"),
        ],
    },
    {
        "document": "shanghai-putuo_govt-office_2025_yusuan_unit.pdf",
        "department": "上海市普陀区人民政府办公室",
        "department_printed_as": "预算单位：上海市普陀区人民政府办公室 (cover p.1); 编制单位：上海市普陀区人民政府办公室 (every table page with a title)",
        "fiscal_year": 2025,
        "scope": "单位",
        "numbering": "no table number printed on the tables; 'table' = position in the 目录 (p.2, '1. 2025年预算单位财务收支预算总表' … '9.2025年单位“三公”经费和机关运行经费预算表')",
        "title_prefix": r"^2025年(?:预算单位|单位)",
        "tables": [
            ("01", "2025年预算单位财务收支预算总表", [(8, 0)], "two_sided"),
            ("02", "2025年预算单位收入预算总表", [(9, 0), (10, 0)], "code_functional"),
            ("03", "2025年预算单位支出预算总表", [(11, 0), (12, 0)], "code_functional"),
            ("04", "2025年预算单位财政拨款收支预算总表", [(13, 0)], "two_sided"),
            ("05", "2025年预算单位一般公共预算支出功能分类预算表", [(14, 0), (15, 0)], "code_functional"),
            ("06", "2025年预算单位政府性基金预算支出功能分类预算表", [(16, 0)], "code_functional"),
            ("07", "2025年预算单位国有资本经营预算支出功能分类预算表", [(17, 0)], "code_functional"),
            ("08", "2025年预算单位一般公共预算基本支出部门预算经济分类预算表", [(18, 0), (19, 0)], "code_economic"),
            ("09", "2025年单位“三公”经费和机关运行经费预算表", [(20, 0)], "single_row"),
        ],
    },
    {
        "document": "jiangsu_procuratorate_2018_yusuan.pdf",
        "department": "江苏省人民检察院",
        "department_printed_as": "江苏省人民检察院 (cover p.1, '部门： 江苏省人民检察院' above every table)",
        "fiscal_year": 2018,
        "scope": "部门",
        "numbering": "printed on every table: '公开 01 表：收支预算总表' … '公开 12 表：政府采购支出预算表'",
        "title_prefix": r"^公开\d{2}表：",
        "tables": [
            ("01", "公开01表：收支预算总表", [(13, 0), (14, 0)], "two_sided"),
            ("02", "公开02表：收入预算总表", [(14, 1)], "tree"),
            ("03", "公开03表：支出预算总表", [(15, 0)], "single_row"),
            ("04", "公开04表：财政拨款收支预算总表", [(15, 1)], "two_sided"),
            ("05", "公开05表：财政拨款支出预算表", [(15, 2), (16, 0)], "code_functional"),
            ("06", "公开06表：财政拨款基本支出预算表", [(16, 1), (17, 0)], "code_economic"),
            ("07", "公开07表：一般公共预算支出预算表", [(17, 1), (18, 0)], "code_functional"),
            ("08", "公开08表：一般公共预算基本支出预算表", [(18, 1), (19, 0)], "code_economic"),
            ("09", "公开09表：一般公共预算“三公”经费、会议费、培训费支出预算表", [(19, 1)], "single_row"),
            ("10", "公开10表：政府性基金支出预算表", [(19, 2)], "code_functional"),
            ("11", "公开11表：一般公共预算机关运行经费支出预算表", [(20, 0)], "code_economic"),
            ("12", "公开12表：政府采购支出预算表", [(20, 1), (21, 0), (22, 0), (23, 0)], "procurement"),
        ],
    },
]


# ---------------------------------------------------------------------------------------------------
# Reading grids
# ---------------------------------------------------------------------------------------------------
def nospace(t: str) -> str:
    return re.sub(r"\s+", "", t or "")


def strip_ordinal(t: str) -> str:
    return ORDINAL_RE.sub("", nospace(t))


def amount_str(t: str) -> str:
    return nospace(t).replace(",", "")


def is_black(color) -> bool:
    if color is None:
        return False
    if isinstance(color, (int, float)):
        return color == 0
    return all(v == 0 for v in color)


def rulings(page):
    v, h = [], []
    for r in page.rects:
        if not (r["fill"] and is_black(r.get("non_stroking_color"))):
            continue
        if r["width"] < 1.5 <= r["height"]:
            x = (r["x0"] + r["x1"]) / 2
            v.append({"x0": x, "x1": x, "top": r["top"], "bottom": r["bottom"], "width": 0,
                      "height": r["height"], "orientation": "v", "object_type": "line"})
        elif r["height"] < 1.5 <= r["width"]:
            y = (r["top"] + r["bottom"]) / 2
            h.append({"x0": r["x0"], "x1": r["x1"], "top": y, "bottom": y, "width": r["width"], "height": 0,
                      "orientation": "h", "object_type": "line"})
    for ln in page.lines:  # none in these files, kept for completeness
        (v if abs(ln["x0"] - ln["x1"]) < 1 else h).append(ln)
    return v, h


class Grid:
    """One ruled table on one page: cells with grid spans and text."""

    def __init__(self, page, table):
        self.page = page
        self.pageno = page.page_number
        self.bbox = table.bbox
        bxs = sorted({round(c[0], 1) for c in table.cells} | {round(c[2], 1) for c in table.cells})
        bys = sorted({round(c[1], 1) for c in table.cells} | {round(c[3], 1) for c in table.cells})
        self.xs, self.ys = bxs, bys
        chars = [ch for ch in page.chars if ch["text"].strip()]
        self.cells = []
        used = set()
        for (x0, top, x1, bottom) in table.cells:
            inside = [i for i, ch in enumerate(chars)
                      if x0 <= (ch["x0"] + ch["x1"]) / 2 <= x1 and top <= (ch["top"] + ch["bottom"]) / 2 <= bottom]
            used.update(inside)
            lines = defaultdict(list)
            for i in inside:
                lines[round(chars[i]["top"])].append(chars[i])
            text_lines = []
            for key in sorted(lines):
                text_lines.append("".join(ch["text"] for ch in sorted(lines[key], key=lambda c: c["x0"])))
            self.cells.append({
                "bbox": (x0, top, x1, bottom),
                "c0": bxs.index(round(x0, 1)), "c1": bxs.index(round(x1, 1)),
                "r0": bys.index(round(top, 1)), "r1": bys.index(round(bottom, 1)),
                "lines": text_lines, "text": nospace("".join(text_lines)),
            })
        self.cells.sort(key=lambda c: (c["r0"], c["c0"]))
        # every printed character inside the grid's bbox must belong to a cell
        bx0, btop, bx1, bbottom = self.bbox
        stray = [ch["text"] for i, ch in enumerate(chars) if i not in used
                 and bx0 <= (ch["x0"] + ch["x1"]) / 2 <= bx1 and btop <= (ch["top"] + ch["bottom"]) / 2 <= bbottom]
        assert not stray, (self.pageno, stray)
        # cross-check with pdfplumber's words: the amounts of the cells are exactly the amount-like words
        words = [w["text"] for w in page.extract_words()
                 if bx0 <= (w["x0"] + w["x1"]) / 2 <= bx1 and btop <= (w["top"] + w["bottom"]) / 2 <= bbottom]
        w_amounts = Counter(w for w in words if AMOUNT_RE.match(w))
        c_amounts = Counter(c["text"] for c in self.cells if AMOUNT_RE.match(c["text"]))
        assert w_amounts == c_amounts, (self.pageno, w_amounts - c_amounts, c_amounts - w_amounts)
        self.ncols = len(bxs) - 1
        self.nrows = len(bys) - 1

    def is_data_cell(self, c) -> bool:
        return bool(AMOUNT_RE.match(c["text"]) or CODE_RE.match(c["text"]))

    def header_row_count(self) -> int:
        data_rows = [c["r0"] for c in self.cells if self.is_data_cell(c)]
        return min(data_rows) if data_rows else self.nrows

    def column_paths(self, nhead):
        """For each grid column, the header texts above it, outer to inner."""
        paths = {}
        for col in range(self.ncols):
            toks = []
            for c in sorted(self.cells, key=lambda c: c["r0"]):
                if c["r1"] <= nhead and c["c0"] <= col < c["c1"] and c["text"]:
                    if not toks or toks[-1] != c["text"]:
                        toks.append(c["text"])
            paths[col] = toks
        return paths

    def col_x(self, col):
        return self.xs[col], self.xs[col + 1]


def load_table(pdf, spec):
    number, title, grids, kind = spec
    out = []
    prev_paths = None
    prev_grid = None
    for pageno, idx in grids:
        page = pdf.pages[pageno - 1]
        v, h = rulings(page)
        tables = page.find_tables({"vertical_strategy": "explicit", "horizontal_strategy": "explicit",
                                   "explicit_vertical_lines": v, "explicit_horizontal_lines": h})
        tables.sort(key=lambda t: t.bbox[1])
        g = Grid(page, tables[idx])
        nhead = g.header_row_count()
        if prev_grid is not None:
            # a continuation page repeats the header only if its top rows hold the same texts as the first page's
            mine = [c["text"] for c in g.cells if c["r1"] <= nhead and c["text"]]
            first_head = [c["text"] for c in out[0].cells if c["r1"] <= out[0].nhead and c["text"]]
            if mine != first_head:
                assert not any(AMOUNT_RE.match(t) for t in mine)
                nhead = 0
        if nhead == 0:
            assert prev_paths is not None, (number, pageno, "continuation without a previous page")
            paths = {}
            for col in range(g.ncols):
                x0, x1 = g.col_x(col)
                match = [pc for pc in range(prev_grid.ncols)
                         if abs(prev_grid.col_x(pc)[0] - x0) < 2.0 and abs(prev_grid.col_x(pc)[1] - x1) < 2.0]
                assert len(match) == 1, (number, pageno, col, x0, x1)
                paths[col] = prev_paths[match[0]]
            g.inherited_header = True
        else:
            paths = g.column_paths(nhead)
            g.inherited_header = False
        g.nhead, g.paths = nhead, paths
        # label columns: a row-label header above them, or no header text and no amount anywhere below
        amount_cols = {c["c0"] for c in g.cells if AMOUNT_RE.match(c["text"])}
        g.label_cols = {col for col in range(g.ncols)
                        if is_label_col(paths[col]) or (not paths[col] and col not in amount_cols)}
        prev_paths, prev_grid = paths, g
        out.append(g)
    return out


def is_label_col(path) -> bool:
    if not path:
        return False
    leaf = path[-1]
    return leaf in LABEL_HEADERS or leaf.endswith("名称") or leaf.endswith("编码") or leaf.endswith("大类")


# ---------------------------------------------------------------------------------------------------
# Rows → cells
# ---------------------------------------------------------------------------------------------------
def row_labels(g, amount_cell):
    """Label cells left of the amount cell, from the nearest amount column on its left to it, in x order."""
    col = amount_cell["c0"]
    label_cols = []
    c = col - 1
    while c >= 0 and c not in g.label_cols:
        c -= 1  # skip the amount columns of the same side
    while c >= 0 and c in g.label_cols:
        label_cols.append(c)
        c -= 1
    label_cols.sort()
    ymid = (amount_cell["bbox"][1] + amount_cell["bbox"][3]) / 2
    found = []
    for cell in g.cells:
        if cell["r0"] < g.nhead:
            continue
        if any(cell["c0"] <= lc < cell["c1"] for lc in label_cols) and cell["bbox"][1] <= ymid <= cell["bbox"][3]:
            if cell not in found:
                found.append(cell)
    found.sort(key=lambda c: c["c0"])
    return label_cols, found


def measure_of(g, cell):
    path = g.paths[cell["c0"]]
    assert cell["c1"] == cell["c0"] + 1, ("amount cell spans columns", g.pageno, cell["text"])
    assert path and cell["c0"] not in g.label_cols, (g.pageno, cell["text"], path)
    return list(path)


def derive_table(doc, spec, grids):
    number, title, _, kind = spec
    cells = []
    context = {}
    for g in grids:
        amount_cells = [c for c in g.cells if c["r0"] >= g.nhead and AMOUNT_RE.match(c["text"])]
        # header cells never hold amounts
        assert not [c for c in g.cells if c["r0"] < g.nhead and AMOUNT_RE.match(c["text"])]
        # procurement rows are read top to bottom so that the carried-forward context is right
        amount_cells.sort(key=lambda c: (c["bbox"][1], c["bbox"][0]))
        for ac in amount_cells:
            measure = measure_of(g, ac)
            label_cols, labels = row_labels(g, ac)
            rec = {"table": number, "functional_code": None, "economic_code": None, "line_item": None,
                   "measure": measure, "amount": amount_str(ac["text"]), "page": g.pageno}
            if kind in ("code_functional", "code_economic"):
                code_cols = [lc for lc in label_cols if "编码" in "".join(g.paths[lc]) or "代码" in "".join(g.paths[lc])]
                name_cols = [lc for lc in label_cols if lc not in code_cols]
                code = "".join(c["text"] for c in labels if c["c0"] in code_cols and CODE_RE.match(c["text"]))
                name = "".join(c["text"] for c in labels if c["c0"] in name_cols)
                other = "".join(c["text"] for c in labels if c["c0"] in code_cols and not CODE_RE.match(c["text"]))
                if code:
                    assert len(code) in (3, 5, 7) and not other, (g.pageno, code, other)
                    rec["functional_code" if kind == "code_functional" else "economic_code"] = code
                    rec["label"] = name
                else:
                    label = strip_ordinal(other + name)
                    assert label in ("合计",), (g.pageno, label)
                    rec["line_item"] = label
            elif kind in ("two_sided", "tree"):
                texts = [strip_ordinal(c["text"]) for c in labels if c["text"]]
                assert texts, (g.pageno, ac["text"])
                rec["line_item"] = texts[-1]
                if len(texts) > 1:
                    rec["parent_line_item"] = texts[-2]
                    assert len(texts) == 2
            elif kind == "single_row":
                assert not labels or not any(c["text"] for c in labels), (g.pageno, labels)
            elif kind == "procurement":
                bycol = {}
                for c in labels:
                    for lc in range(c["c0"], c["c1"]):
                        bycol.setdefault(g.paths[lc][-1], c["text"])
                cat, proj, econ = bycol.get("采购品目大类", ""), bycol.get("专项名称", ""), bycol.get("经济科目", "")
                item, org = bycol.get("采购物品名称", ""), bycol.get("采购组织形式", "")
                if cat == "合计":
                    rec["line_item"] = "合计"
                    rec["level"] = "total"
                elif cat:
                    context = {"category": strip_ordinal(cat)}
                    rec["line_item"] = strip_ordinal(cat)
                    rec["level"] = "category"
                elif econ:
                    if proj:
                        context["project"] = proj
                    context["economic_item"] = econ
                    rec["line_item"] = econ
                    rec["level"] = "economic_item"
                    rec["procurement_category"] = context["category"]
                    rec["project"] = context["project"]
                else:
                    assert item and org and not proj, (g.pageno, bycol)
                    rec["line_item"] = item
                    rec["level"] = "item"
                    rec["organization"] = org
                    rec["procurement_category"] = context["category"]
                    rec["project"] = context["project"]
                    rec["economic_item"] = context["economic_item"]
            else:
                raise ValueError(kind)
            cells.append(rec)
    return cells


# ---------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------
class Checker:
    def __init__(self):
        self.counts = Counter()
        self.names = defaultdict(list)
        self.inconsistencies = []

    def eq(self, table, name, printed, parts, kind="identity"):
        """printed total vs the sum of printed parts (None = blank cell = 0)."""
        if printed is None and all(x is None for x in parts):
            return True  # all blank: nothing printed to check, not counted
        p = Decimal(printed) if printed is not None else Decimal(0)
        s = sum((Decimal(x) for x in parts if x is not None), Decimal(0))
        self.counts[table] += 1
        self.names[table].append(name)
        nparts = max(1, len([x for x in parts if x is not None]))
        if p != s:
            entry = {"kind": kind, "table": table, "check": name, "published": str(printed),
                     "computed": str(s), "diff": str(p - s),
                     "severity": "rounding" if abs(p - s) <= TOLERANCE * nparts else "error"}
            self.inconsistencies.append(entry)
        return p == s


def code_table_checks(ck, t, cells, measures):
    rows = [c for c in cells if c["table"] == t]
    codes = sorted({c["functional_code"] or c["economic_code"] for c in rows if c["functional_code"] or c["economic_code"]})
    val = {((c["functional_code"] or c["economic_code"] or c["line_item"]), tuple(c["measure"])): c["amount"] for c in rows}
    for m in measures:
        m = tuple(m)
        tops = [k for k in codes if len(k) == 3]
        if ("合计", m) in val or any((k, m) in val for k in tops):
            ck.eq(t, f"T{t} {'/'.join(m)}: 合计 = Σ类", val.get(("合计", m)), [val.get((k, m)) for k in tops])
        for k in codes:
            kids = [c for c in codes if c.startswith(k) and len(c) == len(k) + 2]
            if kids:
                ck.eq(t, f"T{t} {'/'.join(m)}: {k} = Σ{'款' if len(k) == 3 else '项'}", val.get((k, m)),
                      [val.get((c, m)) for c in kids])
    return codes, val


def row_sum_checks(ck, t, val, keys, total_m, part_ms):
    for k in keys:
        if any((k, tuple(m)) in val for m in [total_m] + part_ms):
            ck.eq(t, f"T{t} {k}: {'/'.join(total_m)} = " + " + ".join("/".join(m) for m in part_ms),
                  val.get((k, tuple(total_m))), [val.get((k, tuple(m))) for m in part_ms])


def checks_shanghai(cells, unit_level):
    ck = Checker()
    by_t = defaultdict(list)
    for c in cells:
        by_t[c["table"]].append(c)
    def li(t: str) -> dict:
        return {(c["line_item"], tuple(c["measure"])): c["amount"] for c in by_t[t]}

    # 01 财务收支预算总表
    v = li("01")
    inc = ("本年收入", "预算数")
    exp_total = ("本年支出", "预算数", "合计") if unit_level else ("本年支出", "预算数")
    income_items = ["财政拨款收入", "事业收入", "事业单位经营收入", "其他收入"]
    ck.eq("01", "T01 收入总计 = Σ收入项", v.get(("收入总计", inc)), [v.get((k, inc)) for k in income_items])
    ck.eq("01", "T01 财政拨款收入 = 一般公共预算资金 + 政府性基金 + 国有资本经营预算", v.get(("财政拨款收入", inc)),
          [v.get((k, inc)) for k in ["一般公共预算资金", "政府性基金", "国有资本经营预算"]])
    exp_items = sorted({c["line_item"] for c in by_t["01"] if c["measure"][0] == "本年支出" and c["line_item"] != "支出总计"})
    exp_ms = sorted({tuple(c["measure"]) for c in by_t["01"] if c["measure"][0] == "本年支出"})
    for m in exp_ms:
        ck.eq("01", f"T01 支出总计 = Σ支出功能分类 ({'/'.join(m)})", v.get(("支出总计", m)), [v.get((k, m)) for k in exp_items])
    ck.eq("01", "T01 收入总计 = 支出总计", v.get(("收入总计", inc)), [v.get(("支出总计", exp_total))])
    if unit_level:
        parts = [("本年支出", "预算数", "基本支出", "人员经费"), ("本年支出", "预算数", "基本支出", "公用经费"), ("本年支出", "预算数", "项目支出")]
        for k in exp_items + ["支出总计"]:
            ck.eq("01", f"T01 {k}: 合计 = 人员经费 + 公用经费 + 项目支出", v.get((k, exp_total)), [v.get((k, m)) for m in parts])

    # 02 收入预算总表
    ms02 = [("收入预算", x) for x in ["合计", "财政拨款收入", "事业收入", "事业单位经营收入", "其他收入"]]
    codes, val = code_table_checks(ck, "02", cells, [m for m in ms02 if any(tuple(c["measure"]) == m for c in by_t["02"])])
    row_sum_checks(ck, "02", val, codes + ["合计"], list(ms02[0]), [list(m) for m in ms02[1:]])
    val02 = val
    # 03 支出预算总表
    ms03 = [("支出预算", x) for x in ["合计", "基本支出", "项目支出"]]
    codes, val = code_table_checks(ck, "03", cells, ms03)
    row_sum_checks(ck, "03", val, codes + ["合计"], list(ms03[0]), [list(m) for m in ms03[1:]])
    val03 = val
    # 04 财政拨款收支预算总表
    v4 = li("04")
    inc4 = ("财政拨款收入", "预算数")
    ck.eq("04", "T04 收入总计 = Σ收入项", v4.get(("收入总计", inc4)),
          [v4.get((k, inc4)) for k in ["一般公共预算资金", "政府性基金", "国有资本经营预算"]])
    exp4 = sorted({c["line_item"] for c in by_t["04"] if c["measure"][0] == "财政拨款支出" and c["line_item"] != "支出总计"})
    ms4 = [("财政拨款支出", x) for x in ["合计", "一般公共预算", "政府性基金预算", "国有资本经营预算"]]
    for m in ms4:
        if any(tuple(c["measure"]) == m for c in by_t["04"]):
            ck.eq("04", f"T04 支出总计 = Σ支出功能分类 ({'/'.join(m)})", v4.get(("支出总计", m)), [v4.get((k, m)) for k in exp4])
    for k in exp4 + ["支出总计"]:
        ck.eq("04", f"T04 {k}: 合计 = 一般公共预算 + 政府性基金预算 + 国有资本经营预算", v4.get((k, ms4[0])), [v4.get((k, m)) for m in ms4[1:]])
    ck.eq("04", "T04 收入总计 = 支出总计", v4.get(("收入总计", inc4)), [v4.get(("支出总计", ms4[0]))])
    # 05 一般公共预算支出功能分类预算表
    ms05 = [("一般公共预算支出", x) for x in ["合计", "基本支出", "项目支出"]]
    codes, val = code_table_checks(ck, "05", cells, ms05)
    row_sum_checks(ck, "05", val, codes + ["合计"], list(ms05[0]), [list(m) for m in ms05[1:]])
    val05 = val
    # 06/07 empty
    assert not by_t["06"] and not by_t["07"]
    # 08 经济分类
    ms08 = [("一般公共预算基本支出", x) for x in ["合计", "人员经费", "公用经费"]]
    codes, val = code_table_checks(ck, "08", cells, ms08)
    row_sum_checks(ck, "08", val, codes + ["合计"], list(ms08[0]), [list(m) for m in ms08[1:]])
    val08 = val
    # 09 三公
    v9 = {tuple(c["measure"]): c["amount"] for c in by_t["09"]}
    S = "“三公”经费预算数"
    ck.eq("09", "T09 “三公”合计 = 因公出国(境)费 + 公务用车购置及运行费小计 + 公务接待费", v9.get((S, "合计")),
          [v9.get((S, "因公出国(境)费")), v9.get((S, "公务用车购置及运行费", "小计")), v9.get((S, "公务接待费"))])
    ck.eq("09", "T09 公务用车购置及运行费 小计 = 购置费 + 运行费", v9.get((S, "公务用车购置及运行费", "小计")),
          [v9.get((S, "公务用车购置及运行费", "购置费")), v9.get((S, "公务用车购置及运行费", "运行费"))])

    # cross-table
    X = "cross_table"
    ck.eq("X", "T01 收入总计 = T02 合计/收入预算合计", v.get(("收入总计", inc)), [val02.get(("合计", ms02[0]))], X)
    ck.eq("X", "T01 支出总计 = T03 合计/支出预算合计", v.get(("支出总计", exp_total)), [val03.get(("合计", ms03[0]))], X)
    ck.eq("X", "T02 合计 = T03 合计", val02.get(("合计", ms02[0])), [val03.get(("合计", ms03[0]))], X)
    for c in by_t["01"]:
        if c["measure"][0] == "本年支出" and tuple(c["measure"]) == exp_total and c["line_item"] != "支出总计":
            k = next(x["functional_code"] for x in by_t["03"] if x.get("label") == c["line_item"] and x["functional_code"] and len(x["functional_code"]) == 3)
            ck.eq("X", f"T01 {c['line_item']} = T03 类{k} 合计", c["amount"], [val03.get((k, ms03[0]))], X)
    for k in [x for x in val03 if len(str(x[0])) >= 3]:
        if k[1] in ms03:
            m5 = ("一般公共预算支出", k[1][1])
            ck.eq("X", f"T03 {k[0]} {k[1][1]} = T05", val03[k], [val05.get((k[0], m5))], X)
    for c in by_t["04"]:
        if c["measure"] == ["财政拨款支出", "一般公共预算"] and c["line_item"] != "支出总计":
            k = next(x["functional_code"] for x in by_t["05"] if x.get("label") == c["line_item"] and x["functional_code"] and len(x["functional_code"]) == 3)
            ck.eq("X", f"T04 {c['line_item']} 一般公共预算 = T05 类{k} 合计", c["amount"], [val05.get((k, ms05[0]))], X)
    ck.eq("X", "T04 支出总计/一般公共预算 = T05 合计", v4.get(("支出总计", ms4[1])), [val05.get(("合计", ms05[0]))], X)
    ck.eq("X", "T05 合计/基本支出 = T08 合计", val05.get(("合计", ms05[1])), [val08.get(("合计", ms08[0]))], X)
    if unit_level:
        ck.eq("X", "T01 支出总计/人员经费 = T08 合计/人员经费", v.get(("支出总计", ("本年支出", "预算数", "基本支出", "人员经费"))), [val08.get(("合计", ms08[1]))], X)
        ck.eq("X", "T01 支出总计/公用经费 = T08 合计/公用经费", v.get(("支出总计", ("本年支出", "预算数", "基本支出", "公用经费"))), [val08.get(("合计", ms08[2]))], X)
    return ck


def checks_jiangsu(cells):
    ck = Checker()
    by_t = defaultdict(list)
    for c in cells:
        by_t[c["table"]].append(c)
    def li(t: str) -> dict:
        return {(c["line_item"], tuple(c["measure"])): c["amount"] for c in by_t[t]}
    # 01
    v = li("01")
    inc, fun, use = ("收入", "金额"), ("支出", "功能分类", "金额"), ("支出", "支出用途", "金额")
    ck.eq("01", "T01 当年收入小计 = Σ收入项", v.get(("当年收入小计", inc)),
          [v.get((k, inc)) for k in ["财政拨款", "财政专户管理资金", "其他资金"]])
    ck.eq("01", "T01 财政拨款 = 一般公共预算 + 政府性基金预算", v.get(("财政拨款", inc)),
          [v.get((k, inc)) for k in ["一般公共预算", "政府性基金预算"]])
    ck.eq("01", "T01 收入合计 = 当年收入小计 + 上年结转资金", v.get(("收入合计", inc)), [v.get(("当年收入小计", inc)), v.get(("上年结转资金", inc))])
    fun_items = [c["line_item"] for c in by_t["01"] if tuple(c["measure"]) == fun]
    use_items = [c["line_item"] for c in by_t["01"] if tuple(c["measure"]) == use and c["line_item"] not in ("当年支出小计", "支出合计", "结转下年资金")]
    ck.eq("01", "T01 当年支出小计 = Σ功能分类支出", v.get(("当年支出小计", use)), [v.get((k, fun)) for k in fun_items])
    ck.eq("01", "T01 当年支出小计 = Σ支出用途", v.get(("当年支出小计", use)), [v.get((k, use)) for k in use_items])
    ck.eq("01", "T01 支出合计 = 当年支出小计 + 结转下年资金", v.get(("支出合计", use)), [v.get(("当年支出小计", use)), v.get(("结转下年资金", use))])
    ck.eq("01", "T01 收入合计 = 支出合计", v.get(("收入合计", inc)), [v.get(("支出合计", use))])
    # 02
    rows02 = by_t["02"]
    total = next(c["amount"] for c in rows02 if c["line_item"] == "收入总计")
    groups = defaultdict(list)
    subtot = {}
    for c in rows02:
        if c.get("parent_line_item"):
            if c["line_item"] == "小计":
                subtot[c["parent_line_item"]] = c["amount"]
            else:
                groups[c["parent_line_item"]].append(c["amount"])
    ck.eq("02", "T02 收入总计 = Σ小计", total, list(subtot.values()))
    for gname, amts in groups.items():
        ck.eq("02", f"T02 {gname} 小计 = Σ项", subtot.get(gname), amts)
    # 03
    v3 = {tuple(c["measure"]): c["amount"] for c in by_t["03"]}
    ck.eq("03", "T03 合计 = 基本支出 + 项目支出 + 单位预留机动经费 + 结转下年资金", v3.get(("合计",)),
          [v3.get((k,)) for k in ["基本支出", "项目支出", "单位预留机动经费", "结转下年资金"]])
    # 04
    v4 = li("04")
    inc4, use4 = ("收入", "金额"), ("支出", "支出用途", "金额")
    ck.eq("04", "T04 收入合计 = 一般公共预算 + 政府性基金预算", v4.get(("收入合计", inc4)), [v4.get((k, inc4)) for k in ["一般公共预算", "政府性基金预算"]])
    ck.eq("04", "T04 支出合计 = 基本支出 + 项目支出 + 单位预留机动经费", v4.get(("支出合计", use4)),
          [v4.get((k, use4)) for k in ["基本支出", "项目支出", "单位预留机动经费"]])
    ck.eq("04", "T04 收入合计 = 支出合计", v4.get(("收入合计", inc4)), [v4.get(("支出合计", use4))])
    vals = {}
    for t in ("05", "06", "07", "08", "10", "11"):
        ms = sorted({tuple(c["measure"]) for c in by_t[t]})
        _, vals[t] = code_table_checks(ck, t, cells, ms)
    # 06/08 economic: 合计 = Σ类 done above; 11 has one 类
    # 09
    v9 = {tuple(c["measure"]): c["amount"] for c in by_t["09"]}
    S = "“三公”经费"
    car = "公务用车购置及运行维护费"
    ck.eq("09", "T09 合计 = “三公”小计 + 会议费 + 培训费", v9.get(("合计",)), [v9.get((S, "小计")), v9.get(("会议费",)), v9.get(("培训费",))])
    ck.eq("09", "T09 “三公”小计 = 因公出国（境）费 + 公务用车小计 + 公务接待费", v9.get((S, "小计")),
          [v9.get((S, "因公出国（境）费")), v9.get((S, car, "小计")), v9.get((S, "公务接待费"))])
    ck.eq("09", "T09 公务用车 小计 = 购置费 + 运行维护费", v9.get((S, car, "小计")),
          [v9.get((S, car, "公务用车购置费")), v9.get((S, car, "公务用车运行维护费"))])
    # 12 procurement tree
    rows12 = by_t["12"]
    total = next(c for c in rows12 if c["level"] == "total")
    cats = [c for c in rows12 if c["level"] == "category"]
    ck.eq("12", "T12 合计 = Σ品目大类", total["amount"], [c["amount"] for c in cats])
    # economic_item subtotal rows = Σ following item rows; category = Σ its economic_item rows
    cur_cat, cur_sub, kids = None, None, defaultdict(list)
    subs = defaultdict(list)
    order = []
    for c in rows12:
        if c["level"] == "category":
            cur_cat = id(c)
            order.append(c)
        elif c["level"] == "economic_item":
            cur_sub = id(c)
            subs[cur_cat].append(c["amount"])
            order.append(c)
        elif c["level"] == "item":
            kids[cur_sub].append(c["amount"])
    for c in order:
        if c["level"] == "category":
            ck.eq("12", f"T12 {c['line_item']} = Σ经济科目", c["amount"], subs[id(c)])
        else:
            ck.eq("12", f"T12 {c['project']}/{c['line_item']} = Σ采购物品", c["amount"], kids[id(c)])
    # cross-table
    X = "cross_table"
    v5, v6, v7, v8, v11 = vals["05"], vals["06"], vals["07"], vals["08"], vals["11"]
    mm = ("金额",)
    ck.eq("X", "T01 收入合计 = T02 收入总计", v.get(("收入合计", inc)), [next(c["amount"] for c in rows02 if c["line_item"] == "收入总计")], X)
    ck.eq("X", "T01 财政拨款 = T02 一般公共预算资金 小计", v.get(("财政拨款", inc)), [subtot.get("一般公共预算资金")], X)
    ck.eq("X", "T01 其他资金 = T02 其他资金 小计", v.get(("其他资金", inc)), [subtot.get("其他资金")], X)
    ck.eq("X", "T01 支出合计 = T03 合计", v.get(("支出合计", use)), [v3.get(("合计",))], X)
    for k, k3 in [("基本支出", "基本支出"), ("项目支出", "项目支出"), ("单位预留机动经费", "单位预留机动经费")]:
        ck.eq("X", f"T01 {k} = T03 {k3}", v.get((k, use)), [v3.get((k3,))], X)
    ck.eq("X", "T04 收入合计 = T05 合计", v4.get(("收入合计", inc4)), [v5.get(("合计", mm))], X)
    ck.eq("X", "T04 基本支出 = T06 合计", v4.get(("基本支出", use4)), [v6.get(("合计", mm))], X)
    for key in v5:
        ck.eq("X", f"T05 {key[0]} = T07", v5[key], [v7.get(key)], X)
    for key in v6:
        ck.eq("X", f"T06 {key[0]} = T08", v6[key], [v8.get(key)], X)
    for key in v11:
        k = key[0] if key[0] != "合计" else "302"
        ck.eq("X", f"T11 {key[0]} = T08 {k}", v11[key], [v8.get((k, mm))], X)
    ck.eq("X", "T09 会议费 = T08 30215", v9.get(("会议费",)), [v8.get(("30215", mm))], X)
    ck.eq("X", "T09 公务用车运行维护费 = T08 30231", v9.get((S, car, "公务用车运行维护费")), [v8.get(("30231", mm))], X)
    return ck


# ---------------------------------------------------------------------------------------------------
def find_unit(page, grid, prev_bottom):
    """'单位：元' / '单位:万元' printed between the previous grid (or the page top) and this grid (None on
    continuation pages)."""
    text_above = page.crop((0, prev_bottom, page.width, grid.bbox[1])).extract_text() or ""
    m = re.findall(r"单位[：:]\s*(万元|元)", text_above)
    return m[-1] if m else None


def title_on_page(page, grid, prev_bottom):
    text = page.crop((0, prev_bottom, page.width, grid.bbox[1])).extract_text() or ""
    return nospace(text)


def derive(doc, show=False):
    path = REAL / doc["document"]
    data = path.read_bytes()
    out = {
        "document": doc["document"],
        "pdf": f"tests/data/real/{doc['document']}",
        "sha256": hashlib.sha256(data).hexdigest(),
        "department": doc["department"],
        "department_printed_as": doc["department_printed_as"],
        "fiscal_year": doc["fiscal_year"],
        "phase": "预算",
        "scope": doc["scope"],
        "expect": "load",
    }
    all_cells, tables = [], []
    with pdfplumber.open(path) as pdf:
        grid_tops = defaultdict(list)  # page -> bottoms of earlier grids, to cut the title text
        for spec in doc["tables"]:
            number, printed_title, gspec, kind = spec
            grids = load_table(pdf, spec)
            # title + unit, as printed above the first grid of the table
            first = grids[0]
            page = pdf.pages[first.pageno - 1]
            prev_bottom = max(grid_tops[first.pageno], default=0)
            above = title_on_page(page, first, prev_bottom)
            assert nospace(printed_title) in above, (number, printed_title, above)
            units = []
            for g in grids:
                u = find_unit(pdf.pages[g.pageno - 1], g, max(grid_tops[g.pageno], default=0))
                units.append(u)
                grid_tops[g.pageno].append(g.bbox[3])
            assert units[0] is not None, (number, "no unit above the table")
            assert all(u in (None, units[0]) for u in units), (number, units)
            unit = units[0]
            title = re.sub(doc["title_prefix"], "", nospace(printed_title))
            cells = derive_table(doc, spec, grids)
            for c in cells:
                c["unit"] = unit
            all_cells.extend(cells)
            tables.append({"table": number, "title": title, "printed_title": nospace(printed_title),
                           "pages": sorted({g.pageno for g in grids}), "unit": unit,
                           "header_rows_repeated_on": [g.pageno for g in grids[1:] if not g.inherited_header],
                           "header_inherited_on": [g.pageno for g in grids if g.inherited_header],
                           "cells": len(cells)})
            if show:
                print(f"\n##### {doc['document']} table {number} {title} pages {tables[-1]['pages']} unit {unit}")
                for g in grids:
                    print(f"--- page {g.pageno} grid {g.bbox} header rows {g.nhead} inherited {g.inherited_header}")
                    for col, p in g.paths.items():
                        print("   col", col, "/".join(p))
                for c in cells:
                    print("  ", json.dumps({k: v for k, v in c.items() if k not in ("table", "unit")}, ensure_ascii=False))
        if show:
            pages = sorted({p for spec in doc["tables"] for p, _ in spec[2]})
            for pg in pages:
                print(f"\n======== page {pg} text (pdfplumber extract_text) ========")
                print(pdf.pages[pg - 1].extract_text())
    unit_tables = sorted({t["unit"] for t in tables})
    out["unit"] = tables[0]["unit"] if len(unit_tables) == 1 else "mixed"
    out["units"] = {t["table"]: t["unit"] for t in tables}
    out["tables"] = [{k: t[k] for k in ("table", "title", "pages", "unit")} for t in tables]
    out["tables_with_data"] = {t["table"]: t["cells"] > 0 for t in tables}
    out["table_pages"] = {t["table"]: t["pages"] for t in tables}
    out["table_titles"] = {t["table"]: t["title"] for t in tables}
    out["cell_counts"] = {t["table"]: t["cells"] for t in tables}
    out["table_layout"] = {t["table"]: {"printed_title": t["printed_title"], "header_repeated_on": t["header_rows_repeated_on"],
                                        "continued_without_header_on": t["header_inherited_on"]} for t in tables}
    if doc["document"].startswith("jiangsu"):
        ck = checks_jiangsu(all_cells)
    else:
        ck = checks_shanghai(all_cells, unit_level=doc["scope"] == "单位")
    out["cells"] = all_cells
    return out, ck, tables


def main(argv):
    show = "--show" in argv
    for doc in DOCS:
        out, ck, tables = derive(doc, show=show)
        n = len(out["cells"])
        counts = dict(ck.counts)
        out["checks"] = {
            "identities_verified_per_table": {k: v for k, v in sorted(counts.items()) if k != "X"},
            "cross_table_identities_verified": counts.get("X", 0),
            "identities_failing": len(ck.inconsistencies),
            "rule": "an identity holds when the printed total equals the sum of the printed parts exactly (blank = 0); "
                    "any difference is listed in published_inconsistencies (severity 'rounding' if within 0.01 per summand)",
            "identities": {k: v for k, v in sorted(ck.names.items())},
        }
        out["published_inconsistencies"] = ck.inconsistencies
        out["conventions"] = CONVENTIONS[doc["document"]]
        out["method"] = METHOD
        # key order like the 决算 golden, cells last
        order = ["document", "pdf", "sha256", "department", "department_printed_as", "fiscal_year", "phase", "scope",
                 "unit", "units", "expect", "tables", "tables_with_data", "table_pages", "table_titles", "cell_counts",
                 "table_layout", "conventions", "method", "checks", "published_inconsistencies", "cells"]
        out = {k: out[k] for k in order}
        dest = HERE / (doc["document"][:-4] + ".json")
        dest.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{dest.name}: {n} cells; tables " + ", ".join(f"{t['table']}={t['cells']}" for t in tables))
        print("   identities per table:", out["checks"]["identities_verified_per_table"],
              "cross-table:", out["checks"]["cross_table_identities_verified"],
              "failing:", out["checks"]["identities_failing"])
        for i in ck.inconsistencies:
            print("   INCONSISTENT:", i)


METHOD = (
    "Derived by tests/data/golden/yusuan/derive.py with pdfplumber 0.11.10 only (separate venv; no fiscal-etl code "
    "imported or run). Grid rulings = the black-filled rects thinner than 1.5pt (white cell-background rects ignored), "
    "passed as explicit lines to pdfplumber's table finder; cell text = chars whose centre lies in the cell, lines "
    "joined without spaces; header = grid rows above the first row holding an amount or subject code, measure = header "
    "cell texts above the amount's column outer→inner; continuation pages without a header take the previous page's "
    "columns (matched by x, ±2pt). Asserted per grid: no character inside the grid falls outside a cell, and the "
    "amount-like words of pdfplumber.extract_words inside the grid equal the cells' amounts as a multiset. Titles and "
    "units asserted against the text printed above each table. Then every identity the tables carry was recomputed "
    "from the printed figures (see 'checks'), and every table page's extract_text was compared by eye with the cells "
    "(derive.py --show prints both)."
)

_COMMON = (
    "amount = printed value without thousands separators, in the unit printed on that table's page ('unit' on each "
    "cell and in 'units'); blank cells omitted, printed 0.00 kept. Code rows: line_item null, functional_code "
    "(功能分类 tables) or economic_code (经济分类 tables) = the full 3/5/7-digit code (类/款/项 columns joined), extra "
    "key 'label' = printed subject name. Total rows (合计, '合 计' printed with a space) and rows of two-sided tables: "
    "line_item = printed row label with whitespace and any leading ordinal removed (一、 / （一） and also Arabic "
    "'1.' / '1、'). measure = header tokens outer→inner as printed (wrapped header text joined without spaces); the "
    "row-label headers (项目, 功能分类科目编码/类/款/项, 功能分类科目名称 …) are not part of a measure. Tables whose only "
    "data row has no row label (三公 tables, Jiangsu 03) have line_item null and codes null. 'page' = 1-based PDF page "
    "where the amount is printed. 'table' = the number printed on the table when there is one, else its position in "
    "the 目录. "
)

CONVENTIONS = {
    "shanghai-putuo_finance-bureau_2025_yusuan_dept.pdf": _COMMON + (
        "Tables 01-08 are in 元, table 09 in 万元 ('单位:万元'), so the top-level 'unit' is 'mixed' and 'units' gives "
        "each table's unit. 01: measures ['本年收入','预算数'] / ['本年支出','预算数']; the sub-rows '1. 一般公共预算资金' "
        "… under 一、财政拨款收入 carry line_item without the '1.'. 02/03/05 repeat their header rows on the "
        "continuation page. 04: ['财政拨款收入','预算数'] and ['财政拨款支出', 合计|一般公共预算|政府性基金预算|"
        "国有资本经营预算]. 06/07 are printed empty ('故本表为空表'): no cells. 08 prints 0.00 in the cells without an "
        "amount: those 0.00 are kept. 09: measures ['“三公”经费预算数', 合计|因公出国(境)费|公务接待费] and "
        "['“三公”经费预算数','公务用车购置及运行费', 小计|购置费|运行费], plus ['机关运行经费预算数'] (header wrapped "
        "'机关运行经费预算/数'); only printed cells are listed. Quirk: the note under the empty 07 (p.18) reads "
        "'本部门2025年无政府性基金预算财政拨款安排的预算' (copied from 06); it does not change the cells."
    ),
    "shanghai-putuo_govt-office_2025_yusuan_unit.pdf": _COMMON + (
        "Tables 01-08 are in 元, table 09 in 万元, so the top-level 'unit' is 'mixed' and 'units' gives each table's "
        "unit. 01 has a 4-level expenditure header: ['本年支出','预算数','合计'], ['本年支出','预算数','基本支出',"
        "'人员经费'|'公用经费'], ['本年支出','预算数','项目支出']; income side ['本年收入','预算数']; sub-rows "
        "'1、一般公共预算资金' … carry line_item without '1、'. 02, 03, 05 and 08 continue on the next page WITHOUT "
        "repeating the header (columns taken from the first page by x position). The 02 label "
        "'其他政府办公厅（室）及相关机构事/务支出' wraps inside its cell (code 2010399). 06/07 empty: no cells. 08 "
        "leaves the empty 人员经费/公用经费 cells blank (no 0.00). 09 measures as in the 部门 file."
    ),
    "jiangsu_procuratorate_2018_yusuan.pdf": _COMMON + (
        "All 12 tables in 万元. Table numbers as printed ('公开 01 表'…'公开 12 表'). 01 收支预算总表: income "
        "['收入','金额']; expenditure by function ['支出','功能分类','金额'], by use ['支出','支出用途','金额']; the "
        "rows 当年支出小计 / 结转下年资金 / 支出合计 have one label cell spanning the whole 功能分类 half and print "
        "their amount in the last column, under 支出用途/金额, so they carry that measure. Table 01 runs p.13→p.14 "
        "without repeating its header and the label '十七、国土海洋气象等支|出' is split by the page break (no "
        "amount). Wrapped labels ('1.一般公共预|算', '三、单位预留机动|经费', '九、医疗卫生与计划生育|支出') are joined. "
        "02 收入预算总表: two label columns (group | item); line_item = the item label, extra key parent_line_item = "
        "the group label (so the three '小计' rows are told apart), '收入总计' spans both columns and has no parent. "
        "03 支出预算总表: one unlabeled data row, measures ['合计'], ['基本支出'], ['项目支出'], ['单位预留机动经费'] "
        "(header wrapped '单位预留机动经/费'), line_item null. 04: ['收入','金额'] / ['支出','支出用途','金额']. "
        "05/07 functional codes, 06/08/11 economic codes, one amount column: measure ['金额'] (11: "
        "['机关运行经费支出']); 1895.00 is printed without a thousands separator; 30211 差旅费 is printed after 30299. "
        "09: measures ['合计'], ['“三公”经费','小计'], ['“三公”经费','因公出国（境）费'], ['“三公”经费',"
        "'公务用车购置及运行维护费','小计'|'公务用车运行维护费'], ['“三公”经费','公务接待费'], ['会议费'], ['培训费'] "
        "(公务用车购置费 blank), line_item null. 10 printed empty ('此表为空'): no cells. 12 政府采购支出预算表 "
        "(pp.20-23, header only on p.20): columns 采购品目大类 | 专项名称 | 经济科目 | 采购物品名称 | 采购组织形式 | 总计; "
        "measure ['总计']. Rows are a tree: '合计' (level total), '一、货物A' / '三、服务C' (level category, line_item "
        "without the ordinal), 专项名称+经济科目 subtotal rows (level economic_item, line_item = 经济科目, keys project = "
        "专项名称 — printed only on the first row of a project and carried down, also across pages — and "
        "procurement_category), and item rows (level item, line_item = 采购物品名称 with its wrapped lines joined, keys "
        "organization = 采购组织形式, economic_item, project, procurement_category). '物业管理服务' has one merged name "
        "cell over two organisation rows (330.00 部门集中采购, 20.00 分散自行组织). Titles are the ones printed on the "
        "tables; the 目录 (p.2) words two of them differently: '十、政府性基金财政拨款支出预算表' (printed: "
        "'公开10表：政府性基金支出预算表') and '九、…培训费支出预算|表' (wrapped)."
    ),
}

if __name__ == "__main__":
    sys.exit(main(sys.argv))
