"""Cell text from the page's characters: every character goes to the ruled cell that holds its centre.

camelot finds the grid (its rulings) well on any producer, but assigns whole text *lines* to cells, so a
producer that writes a header row as one text run, or a subtitle just above the top rule, breaks the
table. Here the grid is kept and the text is rebuilt from pdfium's character boxes:

- coordinates are PDF points on the page as displayed (after /Rotate), origin top-left;
- a character belongs to the cell containing its centre; characters outside the grid are page context;
- a merged cell (a missing inner ruling) collects the characters of all its elementary cells, and its
  text sits in its top-left cell (the others stay ``''``), so merged headers are read whole;
- lines inside a cell are joined in reading order (top to bottom, left to right).
"""

from __future__ import annotations

import bisect
import ctypes
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (top-left origin, points)

#: A character whose centre lies this close to a drawn ruling is ambiguous (counts as outside every cell).
ON_RULE_PT = 0.6
_AMOUNT = re.compile(r"^[-−－]?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+$")


@dataclass(slots=True)
class PageChar:
    """One printed character with its box on the displayed page (and the box's centre)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    cx: float = field(init=False)
    cy: float = field(init=False)

    def __post_init__(self) -> None:
        self.cx = (self.x0 + self.x1) / 2
        self.cy = (self.top + self.bottom) / 2


def reading_turns(page: pdfium.PdfPage, sample: int = 400) -> int:
    """Quarter turns clockwise that make the page's text read horizontally (0 for almost every page).

    A producer may draw a landscape table rotated on a portrait page without /Rotate: its characters then
    run top to bottom. The most common direction of the page's characters (as displayed, after /Rotate)
    decides, when at least 60 % of them agree; cells, lines and rulings are then read in that frame.
    """
    textpage = page.get_textpage()
    try:
        count = min(textpage.count_chars(), sample * 2)
        votes = [0, 0, 0, 0]
        seen = 0
        for i in range(count):
            if seen >= sample:
                break
            if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1 or not chr(
                pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            ).strip():
                continue
            angle = math.degrees(pdfium_c.FPDFText_GetCharAngle(textpage.raw, i))
            if angle < 0:
                continue  # pdfium's error value
            seen += 1
            votes[round((angle + page.get_rotation()) / 90) % 4] += 1
    finally:
        textpage.close()
    direction = max(range(4), key=lambda q: votes[q])
    if direction == 0 or votes[direction] < 0.6 * max(seen, 1):
        return 0
    return (4 - direction) % 4


def display_size(page: pdfium.PdfPage, turns: int = 0) -> tuple[float, float]:
    """Width and height of the page as displayed (after /Rotate), turned ``turns`` quarters clockwise."""
    width, height = page.get_size()
    return (height, width) if turns % 2 else (width, height)


def display_matrix(page: pdfium.PdfPage, turns: int = 0) -> tuple[float, float, float, float, float, float]:
    """Affine map (a, b, c, d, e, f) from PDF user space to displayed top-left points: X = a·x + c·y + e.

    ``turns`` quarter turns clockwise are added to the page's own /Rotate (see ``reading_turns``).
    """
    width, height = display_size(page, turns)
    scale = 64.0  # FPDF_PageToDevice works in integer device pixels: map at 1/64 pt resolution
    size_x, size_y = int(round(width * scale)), int(round(height * scale))
    dx, dy = ctypes.c_int(), ctypes.c_int()
    points = []
    for x, y in ((0.0, 0.0), (100.0, 0.0), (0.0, 100.0)):
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, size_x, size_y, turns % 4, x, y, ctypes.byref(dx), ctypes.byref(dy))
        points.append((dx.value / scale, dy.value / scale))
    (ox, oy), (px, py), (qx, qy) = points
    return (px - ox) / 100, (py - oy) / 100, (qx - ox) / 100, (qy - oy) / 100, ox, oy


#: A font's Unicode map that names a radical for the ideograph sharing its glyph (⼊ U+2F0A for 入, ⻓ for 长):
#: Kangxi radicals by their compatibility mapping, and the supplement's radicals that print as whole characters.
RADICAL_IDEOGRAPHS = {
    **{code: unicodedata.normalize("NFKC", chr(code)) for code in range(0x2F00, 0x2FD6)},
    **{ord(radical): ideograph for radical, ideograph in zip(
        "⺁⺝⺟⺠⺩⺪⺬⺻⻄⻅⻆⻋⻓⻔⻘⻙⻚⻛⻜⻝⻢⻣⻤⻥⻦⻧⻨⻩⻬⻮⻰⻳",
        "厂月母民王疋示聿西见角车长门青韦页风飞食马骨鬼鱼鸟卤麦黄齐齿龙龟",
        strict=True,
    )},
}  # fmt: skip


def page_chars(page: pdfium.PdfPage, turns: int = 0) -> list[PageChar]:
    """Every visible, non-space character of a page with its box in displayed top-left coordinates.

    ``turns``: extra quarter turns clockwise (``reading_turns``), so that rotated text reads horizontally.
    """
    a, b, c, d, e, f = display_matrix(page, turns)
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        raw = textpage.raw
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        chars: list[PageChar] = []
        seen: dict[tuple[str, int, int], list[PageChar]] = {}
        # get_text_range returns one code unit per character index as long as no surrogate pairs occur
        aligned = len(text) == count
        get_box, get_unicode = pdfium_c.FPDFText_GetCharBox, pdfium_c.FPDFText_GetUnicode
        for i in range(count):
            ch = (text[i] if aligned else chr(get_unicode(raw, i))).translate(RADICAL_IDEOGRAPHS)
            # pdfium's generated characters are the spaces and line breaks it infers: dropped with all spaces
            if not ch.strip() or not get_box(raw, i, left, right, bottom, top):
                continue
            xs = (a * left.value + c * bottom.value + e, a * right.value + c * top.value + e)
            ys = (b * left.value + d * bottom.value + f, b * right.value + d * top.value + f)
            char = PageChar(ch, min(xs), min(ys), max(xs), max(ys))
            if not _is_overprint(char, seen):
                chars.append(char)
        return chars
    finally:
        textpage.close()


def _lines(chars: Sequence[PageChar]) -> list[list[PageChar]]:
    """Characters grouped into text lines (by vertical centre), top to bottom, each left to right."""
    lines: list[list[PageChar]] = []
    centre_sum = height_max = 0.0
    for ch in sorted(chars, key=lambda ch: ch.top + ch.bottom):
        cy, height = (ch.top + ch.bottom) / 2, ch.bottom - ch.top
        if lines and abs(cy - centre_sum / len(lines[-1])) <= 0.5 * max(height, height_max, 1.0):
            lines[-1].append(ch)
            centre_sum += cy
            height_max = max(height_max, height)
            continue
        lines.append([ch])
        centre_sum, height_max = cy, height
    for line in lines:
        line.sort(key=lambda ch: ch.x0 + ch.x1)
    return lines


def _line_text(line: Sequence[PageChar]) -> str:
    """One line's text; a gap wider than 0.6 of the character height is a word break ("2020 年度")."""
    parts = [line[0].text]
    for prev, ch in zip(line, line[1:], strict=False):
        if ch.x0 - prev.x1 > 0.6 * max(ch.bottom - ch.top, prev.bottom - prev.top, 1.0):
            parts.append(" ")
        parts.append(ch.text)
    return "".join(parts)


#: How far apart two drawings of the same glyph may be to be one character printed twice (points).
OVERPRINT_PT = 0.5


def _is_overprint(char: PageChar, seen: dict[tuple[str, int, int], list[PageChar]]) -> bool:
    """True when the same glyph was already drawn at (almost) the same place; remember it otherwise.

    Word and WPS make "bold" CJK text by drawing every string two or more times, shifted by a fraction
    of a point: read once, "合计" would come out as "合合计计".
    """
    cx, cy, text = char.cx, char.cy, char.text
    ix, iy = int(cx), int(cy)
    # the buckets (1 pt) that can hold a drawing within OVERPRINT_PT: this one and the nearer neighbours
    xs = (ix, ix - 1) if cx - ix < OVERPRINT_PT else (ix, ix + 1) if ix + 1 - cx < OVERPRINT_PT else (ix,)
    ys = (iy, iy - 1) if cy - iy < OVERPRINT_PT else (iy, iy + 1) if iy + 1 - cy < OVERPRINT_PT else (iy,)
    for bx in xs:
        for by in ys:
            others = seen.get((text, bx, by))
            if others and any(abs(o.cx - cx) < OVERPRINT_PT and abs(o.cy - cy) < OVERPRINT_PT for o in others):
                return True
    seen.setdefault((text, ix, iy), []).append(char)
    return False


def join_lines(chars: Sequence[PageChar]) -> str:
    """Text of a set of characters in reading order: lines top to bottom, characters left to right."""
    return "\n".join(_line_text(line) for line in _lines(chars))


def text_lines(chars: Sequence[PageChar]) -> list[tuple[float, float, str]]:
    """The printed lines of a set of characters, top to bottom: (top, bottom, text) each."""
    return [(min(c.top for c in line), max(c.bottom for c in line), _line_text(line)) for line in _lines(chars)]


def reading_order_text(chars: Sequence[PageChar]) -> str:
    """A page's text as printed: lines top to bottom, each left to right (not the content stream's order).

    Producers write text in any order (a title in a text box comes after the table it heads); titles, the
    部门/年度/单位 line and the 目录 are found by where they are printed.
    """
    return join_lines(chars)


#: Header words that stand in a cell of their own; never taken for the overflow of the cell above.
_STANDALONE = frozenset({"类", "款", "项", "栏次", "行次", "合计", "小计", "总计", "金额", "预算数", "决算数", "项目"})


def _words(line: Sequence[PageChar]) -> list[list[PageChar]]:
    """A line split where the gap between characters is a word break (as _line_text puts a space)."""
    words = [[line[0]]]
    for prev, ch in zip(line, line[1:], strict=False):
        if ch.x0 - prev.x1 > 0.6 * max(ch.bottom - ch.top, prev.bottom - prev.top, 1.0):
            words.append([])
        words[-1].append(ch)
    return words


def _overflow_line(above: Sequence[PageChar], box: Box, cell: Sequence[PageChar]) -> list[PageChar]:
    """The characters of ``cell`` that are the wrapped tail of the text above, drawn past the ruling.

    A producer that does not grow a row to fit wrapped text draws the last line of a header cell just below
    the cell's bottom rule ("功能分类科目编" / "码"), where it may share a line with the lower cell's own text
    ("码   栏次"). The tail is the first word of the lower cell's first line when the text above wrapped
    (its last line fills the cell's width), the tail starts right below the rule at the text's own line
    pitch, is aligned with the line above (left edges or centres), is shorter than it, and is no amount
    or standalone header word.
    """
    if not above or not cell:
        return []
    above_lines, lines = _lines(above), _lines(cell)
    last, tail = above_lines[-1], _words(lines[0])[0]
    height = max(c.bottom - c.top for c in last)
    width = max(c.x1 - c.x0 for c in last)
    text = "".join(c.text for c in tail)
    if text in _STANDALONE or _AMOUNT.match(text) or text.isdigit() or len(tail) >= len(last):
        return []
    if abs(max(c.bottom - c.top for c in tail) - height) > 0.2 * height:
        return []
    x0, rule, x1, _ = box
    full = (last[0].x0 - x0) + (x1 - last[-1].x1) < 2.5 * width  # no room left for one more character
    below_gap = min(c.top for c in lines[0]) - rule
    pitch_gap = min(c.top for c in tail) - max(c.bottom for c in last)
    if not full or not (-0.1 * height <= below_gap <= 0.5 * height) or not (0 <= pitch_gap <= 1.25 * height):
        return []
    left_aligned = abs(tail[0].x0 - last[0].x0) <= 0.5 * height
    centred = abs((tail[0].x0 + tail[-1].x1) - (last[0].x0 + last[-1].x1)) / 2 <= 0.5 * height
    return list(tail) if left_aligned or centred else []


@dataclass(frozen=True)
class GridGeometry:
    """A ruled grid's column and row boundaries (top-left coordinates) and the rulings around each cell."""

    xs: tuple[float, ...]  # n_cols + 1 boundaries, left to right
    ys: tuple[float, ...]  # n_rows + 1 boundaries, top to bottom
    edges: tuple[tuple[int, ...], ...]  # EDGE_* flags per elementary cell

    @property
    def bbox(self) -> Box:
        """The grid's outer box."""
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def box(self, r: int, c: int) -> Box:
        """The box of one elementary cell."""
        return self.xs[c], self.ys[r], self.xs[c + 1], self.ys[r + 1]


@dataclass(frozen=True)
class CellTexts:
    """What the characters of one grid say: cell texts, cell boxes and how many characters were ambiguous."""

    cells: tuple[tuple[str, ...], ...]
    boxes: tuple[tuple[Box, ...], ...]
    inside: int  # characters whose centre lies inside the grid's box
    outside_cells: int  # of those, characters on a ruling or straddling one (in no single cell)
    split: int = 0  # characters whose word continues, without a gap, in the next cell (a ruling cuts it)

    @property
    def split_pct(self) -> float:
        """Share (0–100) of the grid's characters whose word a ruling cuts."""
        return 100.0 * self.split / self.inside if self.inside else 0.0

    @property
    def outside_pct(self) -> float:
        """Share (0–100) of the grid's characters that fell in no cell."""
        return 100.0 * self.outside_cells / self.inside if self.inside else 0.0


def _locate(bounds: Sequence[float], value: float) -> int:
    """Index of the interval of ``bounds`` holding ``value`` (bounds ascending), or -1 outside."""
    if value < bounds[0] or value > bounds[-1]:
        return -1
    return min(max(bisect.bisect_right(bounds, value) - 1, 0), len(bounds) - 2)


def _spans(geometry: GridGeometry, text: Callable[[int, int], str]) -> list[list[tuple[int, int]]]:
    """Anchor (top-left cell) of the merged cell each elementary cell belongs to."""

    def amounts(a: tuple[int, int], b: tuple[int, int]) -> bool:
        # two printed amounts side by side are two cells even where a ruling was not detected
        return bool(_AMOUNT.match(text(*a)) and _AMOUNT.match(text(*b)))

    return merged_cells(geometry, amounts)


def merged_cells(
    geometry: GridGeometry, apart: Callable[[tuple[int, int], tuple[int, int]], bool]
) -> list[list[tuple[int, int]]]:
    """Anchor (top-left cell) of the merged cell each elementary cell belongs to.

    Neighbours without a ruling between them are one cell unless ``apart(a, b)`` says otherwise; only a
    rectangle is a merged cell (a ragged union means a ruling was missed: its cells stay apart).
    """
    n_rows, n_cols = len(geometry.ys) - 1, len(geometry.xs) - 1
    parent = {(r, c): (r, c) for r in range(n_rows) for c in range(n_cols)}

    def find(key: tuple[int, int]) -> tuple[int, int]:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: tuple[int, int], b: tuple[int, int]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(n_rows):
        for c in range(n_cols):
            edges = geometry.edges[r][c]
            if c + 1 < n_cols and not (edges & EDGE_RIGHT or geometry.edges[r][c + 1] & EDGE_LEFT):
                if not apart((r, c), (r, c + 1)):
                    union((r, c), (r, c + 1))
            if r + 1 < n_rows and not (edges & EDGE_BOTTOM or geometry.edges[r + 1][c] & EDGE_TOP):
                if not apart((r, c), (r + 1, c)):
                    union((r, c), (r + 1, c))
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)
    anchors = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    for members in groups.values():
        rows = sorted({r for r, _ in members})
        cols = sorted({c for _, c in members})
        if len(members) == len(rows) * len(cols) and len(members) > 1:
            anchor = (rows[0], cols[0])
            for key in members:
                anchors[key[0]][key[1]] = anchor
    return anchors


def cell_texts(geometry: GridGeometry, chars: Sequence[PageChar]) -> CellTexts:
    """Assign characters to the grid's cells by their centres and join each (merged) cell's text."""
    n_rows, n_cols = len(geometry.ys) - 1, len(geometry.xs) - 1
    members: list[list[list[PageChar]]] = [[[] for _ in range(n_cols)] for _ in range(n_rows)]
    inside = ambiguous = 0
    for ch in chars:
        r, c = _locate(geometry.ys, ch.cy), _locate(geometry.xs, ch.cx)
        if r < 0 or c < 0:
            continue
        inside += 1
        members[r][c].append(ch)
        if _on_ruling(geometry, r, c, ch):
            ambiguous += 1
    cache: dict[tuple[int, int], str] = {}

    def elementary(r: int, c: int) -> str:
        if (r, c) not in cache:
            cache[(r, c)] = join_lines(members[r][c]).replace(" ", "")
        return cache[(r, c)]

    anchors = _spans(geometry, elementary)
    first_data = next((r for r in range(n_rows) if any(_AMOUNT.match(elementary(r, c)) for c in range(n_cols))), n_rows)
    _move_overflow(geometry, anchors, members, first_data)
    merged: dict[tuple[int, int], list[PageChar]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            merged.setdefault(anchors[r][c], []).extend(members[r][c])
    cells = tuple(
        tuple(join_lines(merged[(r, c)]) if anchors[r][c] == (r, c) else "" for c in range(n_cols)) for r in range(n_rows)
    )
    return CellTexts(cells, _span_boxes(geometry, anchors), inside, ambiguous, _split_words(members, anchors))


def _split_words(members: list[list[list[PageChar]]], anchors: list[list[tuple[int, int]]]) -> int:
    """Characters followed, on the same line and without a word gap, by a character of another cell."""
    split = 0
    for r, row in enumerate(members):
        where = {id(ch): anchors[r][c] for c, cell in enumerate(row) for ch in cell}
        for line in _lines([ch for cell in row for ch in cell]):
            for prev, ch in zip(line, line[1:], strict=False):
                if where[id(prev)] != where[id(ch)] and ch.x0 - prev.x1 < 0.25 * max(ch.bottom - ch.top, 1.0):
                    split += 1
    return split


def _move_overflow(
    geometry: GridGeometry, anchors: list[list[tuple[int, int]]], members: list[list[list[PageChar]]], first_data: int
) -> None:
    """Give lines that overflowed a header cell's bottom rule back to that cell (see _overflow_line).

    Only header cells overflow this way (body rows grow with their text), so only rows down to the first
    row that prints an amount are looked at.
    """
    for r in range(1, min(first_data + 1, len(members))):
        for c in range(len(members[r])):
            above = anchors[r - 1][c]
            if anchors[r][c] == above or not geometry.edges[r][c] & EDGE_TOP and not geometry.edges[r - 1][c] & EDGE_BOTTOM:
                continue
            span = [ch for i, row in enumerate(anchors) for j, a in enumerate(row) if a == above for ch in members[i][j]]
            cols = [j for row in anchors for j, a in enumerate(row) if a == above]
            box = (geometry.xs[min(cols)], geometry.ys[r], geometry.xs[max(cols) + 1], geometry.ys[r])
            moved = _overflow_line(span, box, members[r][c])
            if moved:
                members[above[0]][above[1]].extend(moved)
                members[r][c] = [ch for ch in members[r][c] if ch not in moved]


def _span_boxes(geometry: GridGeometry, anchors: list[list[tuple[int, int]]]) -> tuple[tuple[Box, ...], ...]:
    """The box of the merged cell each elementary cell belongs to, rounded to 0.01 pt."""
    far: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(anchors):
        for c, anchor in enumerate(row):
            last = far.get(anchor, anchor)
            far[anchor] = (max(last[0], r), max(last[1], c))
    out = []
    for row in anchors:
        boxes = []
        for anchor in row:
            (r0, c0), (r1, c1) = anchor, far[anchor]
            x0, top, x1, bottom = geometry.xs[c0], geometry.ys[r0], geometry.xs[c1 + 1], geometry.ys[r1 + 1]
            boxes.append((round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2)))
        out.append(tuple(boxes))
    return tuple(out)


def _on_ruling(geometry: GridGeometry, r: int, c: int, ch: PageChar) -> bool:
    """True when a character sits on, or straddles by more than a third of its width, a drawn ruling."""
    edges = geometry.edges[r][c]
    x0, top, x1, bottom = geometry.box(r, c)
    width, height = max(ch.x1 - ch.x0, 0.1), max(ch.bottom - ch.top, 0.1)
    for ruled, pos, lo, hi, size in (
        (edges & EDGE_LEFT, x0, ch.x0, ch.x1, width),
        (edges & EDGE_RIGHT, x1, ch.x0, ch.x1, width),
        (edges & EDGE_TOP, top, ch.top, ch.bottom, height),
        (edges & EDGE_BOTTOM, bottom, ch.top, ch.bottom, height),
    ):
        if not ruled:
            continue
        centre = (lo + hi) / 2
        if abs(centre - pos) < ON_RULE_PT:
            return True
        if lo < pos < hi and min(pos - lo, hi - pos) > size / 3:
            return True
    return False
