"""The seed 决算 report text: its parts and tables, and the rules both generators read its cells by.

The seed (the published report; table rows tab-separated) is ground truth: the generators only lay
it out.  Here: parsing it into narrative parts and tables, merging header and body cells as its
blank cells imply, undoing its in-cell wrap marks, classifying cells (amount, 栏次/行次, code, label),
printing amounts in another unit or format, and the rules for 部门/年度/单位 lines, titles and
narrative paragraphs that the reportlab and the office generators share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seed" / "changsha_zwfwzx_2020_juesuan.txt"
GOLDEN_NAME = "changsha_zwfwzx_2020_juesuan.json"  # the golden cells of the seed (tests/data/golden)
WIDE = {"02", "03", "04", "06", "07", "08"}  # tables printed landscape where a layout can
UNITS = {1: "万元", 10000: "元"}  # amount scale against the seed -> the unit they are printed in
TITLE09 = {  # table 09 as producers title it: the seed's 支出 or 收入支出
    "支出": "国有资本经营预算财政拨款支出决算表",
    "收入支出": "国有资本经营预算财政拨款收入支出决算表",
}

AMOUNT = re.compile(r"-?[\d,]+\.\d\d")
CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’]"
CJK_GAP = re.compile(rf"(?<={CJK}) (?={CJK})")  # where the seed shows a wrapped line
LATIN_GAP = re.compile(rf"(?<={CJK}) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z%]) (?={CJK})")
PART = re.compile(r"第[一二三四五]部分")


@dataclass
class SeedTable:
    """One 公开 table of the seed: title, meta lines, header rows, body rows and notes."""

    number: str
    title: str
    meta: list[str]
    header: list[list[str]]
    body: list[list[str]]
    continued: list[int]  # body rows the original page break cut off the row before them
    notes: list[str]


@dataclass
class Seed:
    """The parts of the seed text the documents show."""

    department: str
    year: str
    toc: list[str]
    part1: list[str]
    part3: list[str]
    tables: list[SeedTable]

    @property
    def fiscal_year(self) -> int:
        """Return the year as a number (2020 of "2020 年度")."""
        return int(re.sub(r"\D", "", self.year))


def read_seed(path: Path = SEED) -> Seed:
    """Read and parse a seed text file."""
    return parse_seed(path.read_text(encoding="utf-8"))


def parse_seed(text: str) -> Seed:
    """Split the seed text into narrative parts and tables."""
    lines = [line.strip(" ") for line in text.split("\n")]
    part = {n: lines.index(f"第{n}部分") for n in "一二三四"}

    def block(start: int, end: int) -> list[str]:
        return [line for line in lines[start:end] if line.strip()]

    department = next(line for line in lines if line.startswith("部门："))[3:]
    return Seed(
        department=department,
        year=block(0, part["一"])[0],
        toc=block(lines.index("目 录"), part["一"]),
        part1=block(part["一"], part["二"]),
        part3=block(part["三"], part["四"]),
        tables=parse_tables(lines[part["二"] : part["三"]]),
    )


def parse_tables(lines: list[str]) -> list[SeedTable]:
    """Cut the 第二部分 lines into tables at their 公开 NN 表 markers."""
    marks = [i for i, line in enumerate(lines) if re.fullmatch(r"公开 \d\d 表", line)]
    titles = [max(i for i in range(m) if lines[i].strip()) for m in marks]
    tables = []
    for k, mark in enumerate(marks):
        end = titles[k + 1] if k + 1 < len(marks) else len(lines)
        meta: list[str] = []
        notes: list[str] = []
        rows: list[list[str]] = []
        continued: list[int] = []
        gap = False
        for line in lines[mark + 1 : end]:
            if "\t" in line:
                if gap and rows:
                    continued.append(len(rows))
                rows.append([cell.strip() for cell in line.split("\t")])
                gap = False
            elif not line.strip():
                gap = True
            else:
                (notes if rows else meta).append(line.strip())
        nhead = next(i for i, row in enumerate(rows) if row[0] == "栏次" or row[0].isdigit())
        tables.append(
            SeedTable(
                number=lines[mark].split()[1],
                title=lines[titles[k]],
                meta=meta,
                header=rows[:nhead],
                body=rows[nhead:],
                continued=[i - nhead for i in continued],
                notes=notes,
            )
        )
    return tables


def joined_body(table: SeedTable) -> list[list[str]]:
    """Return the body rows with the page-break continuation rows joined back onto their row."""
    rows: list[list[str]] = []
    for i, row in enumerate(table.body):
        if i in table.continued:
            rows[-1] = [a + b for a, b in zip(rows[-1], row, strict=True)]
        else:
            rows.append(list(row))
    return rows


# --------------------------------------------------------------------------- merged cells


def header_spans(rows: list[list[str]]) -> list[tuple[int, int, str, int, int]]:
    """Merge the header slots as the seed's blank header cells imply: (row, col, text, rowspan, colspan).

    A text spans right over blank slots that have sub-headers below them, and down over slots
    that stay blank to the last header row.
    """
    spans, covered = [], set()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            cs = 1
            while (
                text
                and c + cs < len(row)
                and not row[c + cs]
                and (r, c + cs) not in covered
                and any(below[c + cs] for below in rows[r + 1 :])
            ):
                cs += 1
            rs = 1
            while text and r + rs < len(rows) and not any(rows[r + rs][c : c + cs]):
                rs += 1
            covered |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
            spans.append((r, c, text, rs, cs))
    return spans


def body_spans(rows: list[list[str]], span_ordinal: bool = False) -> Iterator[tuple[int, int, str, int]]:
    """Yield one (row, col, text, colspan) per body cell: a 合计 label spans the blank cells after it.

    With span_ordinal, a 栏次 label spans its blank cells too.
    """
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            text, cs = row[c], 1
            if text.endswith("合计") or (span_ordinal and text == "栏次"):
                while c + cs < len(row) and not row[c + cs]:
                    cs += 1
            yield r, c, text, cs
            c += cs


# --------------------------------------------------------------------------- cell texts


def unwrap(text: str, joiner: str = "") -> str:
    """Handle the seed's in-cell wrap marks (a space between CJK characters): join them with joiner.

    A letter-spaced text ("收 入") keeps its spaces.  A header text is rewrapped to its column
    (joiner ""); a body label may keep the break where the seed shows it (joiner "\\n").
    """
    parts = text.split(" ")
    if all(len(p) == 1 for p in parts):
        return text
    return CJK_GAP.sub(joiner, text)


def tidy(text: str) -> str:
    """Text as typed in an office document: no space between CJK and digits ("2020 年度" -> "2020年度")."""
    return LATIN_GAP.sub("", text)


def kind_of(text: str) -> str:
    """Classify a cell text: blank, amount, ordinal (栏次, 行次 numbers), code or label."""
    if not text:
        return "blank"
    if AMOUNT.fullmatch(text):
        return "amount"
    if text == "栏次" or (text.isdigit() and len(text) <= 2):
        return "ordinal"
    if text.isdigit():
        return "code"
    return "label"


def alignment(text: str) -> str:
    """Amounts right, 行次/栏次 numbers centred, codes and labels left."""
    return {"amount": "r", "ordinal": "c"}.get(kind_of(text), "l")


def scaled_amount(text: str, scale: int) -> Decimal:
    """Return a seed amount (万元, thousands separators) times scale (10000: in 元)."""
    return (Decimal(text.replace(",", "")) * scale).quantize(Decimal("0.01"))


def amount_text(value: Decimal, thousands: bool) -> str:
    """Print an amount with or without thousands separators: 2,846.52 or 2846.52."""
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


# --------------------------------------------------------------------------- titles and lines


def meta_align(line: str) -> str:
    """部门 (or 编制单位) left, 金额单位 right, 年度 centred."""
    return "l" if line.startswith(("部门", "编制")) else "r" if line.startswith("金额单位") else "c"


def table_title(table: SeedTable, income09: bool = False) -> str:
    """Return a table's title; table 09 titled 收入支出决算表 with income09."""
    if table.number == "09":
        return TITLE09["收入支出" if income09 else "支出"]
    return table.title


def split_title(title: str) -> list[str]:
    """Break a long title after 财政拨款 (where printed reports break it)."""
    k = title.find("财政拨款")
    if len(title) > 12 and 0 < k and k + 4 < len(title) - 3:
        return [title[: k + 4], title[k + 4 :]]
    return [title]


def narrative_kind(line: str, previous: str | None) -> str:
    """Tag a narrative line: part (第N部分), title (the first line or the one after a part), head or text.

    A head is a short line not ending with 。; every other line is a body paragraph.
    """
    if PART.fullmatch(line):
        return "part"
    if previous in (None, "part"):
        return "title"
    if len(line) <= 30 and not line.endswith("。"):
        return "head"
    return "text"
