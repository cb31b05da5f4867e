"""Scanned pages: a page image in, the same characters and ruled grids a text-layer page gives out.

A page without a usable text layer (no characters, only unmappable glyphs, one full-page image) is
rendered at ``SCAN_DPI``, turned upright (quarter turns, then the skew of its rulings), cleaned (a red
公章 is not ink), and read in two parts:

- **grids**: the rulings come from the image (camelot's morphological line finder), become the same
  ``PageRulings`` a vector page gives, and camelot's lattice geometry turns them into the same grids
  (extract/rulings.py);
- **characters**: each (merged) cell of a grid is cropped inside its rulings, split into its text lines,
  and each line is recognised by the OCR engine (extract/ocr_engines.py), constrained to digits and
  separators once its column reads as amounts or codes; the text outside the grids (title, 单位 line)
  is read by the engine's page reading. Recognised text becomes characters with boxes inside its line,
  so cell assignment, header inference and everything after it are the text-layer path's.

Coordinates are PDF points of the upright, deskewed page (top-left origin). Every OCR'd cell keeps its
reading, confidence (per character) and the engine's alternatives (``OcrCell``) for lineage and for the
identity-checked corrections (expectations/ocr_corrections.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from extract.cells import GridGeometry, PageChar, merged_cells, reading_order_text
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, CellGrid, OcrCell
from extract.pdf import PageInfo

if TYPE_CHECKING:
    import pypdfium2 as pdfium

    from extract.ocr_engines import OcrEngine, OcrText

#: Resolution pages are rendered at for OCR (a 10 pt character is ≈ 40 px high: what the recognisers like).
SCAN_DPI = 300
#: The longest side (pixels) a page is rendered at: A3 at 300 dpi.
MAX_RENDER_SIDE = 4961
#: Skew below this (degrees) is left alone; above ``MAX_SKEW`` it is not a skew but a drawing.
MIN_SKEW, MAX_SKEW = 0.05, 5.0
#: Margin (px at SCAN_DPI) kept away from a cell's rulings when it is cropped.
RULING_MARGIN = 4
#: A constrained reading below this confidence is tried as text too (a label in a column of numbers).
UNSURE = 0.6
#: A column with at least this many of its first cells reading as numbers is read as numbers.
NUMERIC_AFTER = 2
#: Lines longer than this many times their height are read in pieces.
MAX_LINE_RATIO = 24
#: How many rows of a grid are read as text first (header, 栏次, the first body rows).
HEAD_ROWS = 6

Kind = Literal["amount", "code", "text"]
Box = tuple[float, float, float, float]
_NUMERIC = re.compile(r"^[-−(（]?[\d,，.]*\d[\d,，.]*[)）]?$")
_CODE = re.compile(r"^\d{1,7}$")


@dataclass(frozen=True)
class ScannedPage:
    """One scanned page read: the page (its characters from OCR), its grids, its OCR'd cells, and how it was turned."""

    page: PageInfo
    grids: tuple[CellGrid, ...]
    cells: tuple[OcrCell, ...]
    quarter_turns: int
    skew_degrees: float
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- the image


def render_page(page: pdfium.PdfPage, dpi: int = SCAN_DPI) -> np.ndarray:
    """The page as displayed, rendered to an RGB array at ``dpi``."""
    bitmap = page.render(scale=dpi / 72, rev_byteorder=True)  # RGB(A) in byte order R, G, B
    array = bitmap.to_numpy()
    return np.ascontiguousarray(array[:, :, :3])


def luminance(rgb: np.ndarray) -> np.ndarray:
    """The grey image of an RGB page (ITU-R 601 weights)."""
    r, g, b = (rgb[:, :, i].astype(np.float32) for i in range(3))
    return (0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint8)


def without_red(rgb: np.ndarray) -> np.ndarray:
    """Grey image with red ink (a 公章 stamped over the table) turned to paper: black print under it stays.

    Red is any clearly reddish pixel; JPEG smears a stamp's strokes into pinkish halos, so the red mask is
    grown by two pixels, and inside it whatever has a bright red channel becomes paper (black print is dark in
    every channel, whatever ink lies over it).
    """
    import cv2

    r, g, b = (rgb[:, :, i].astype(np.int16) for i in range(3))
    grey = (0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint8)
    red = ((r - np.maximum(g, b) > 25) & (r > 100)).astype(np.uint8)
    if not red.any():
        return grey
    halo = cv2.dilate(red, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).astype(bool)
    grey[halo & (r > 110)] = 255  # print is dark in every channel; a stamp's red channel stays bright
    return grey


def _binary(grey: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0 (adaptive threshold: uneven scans and JPEG noise stay apart from print)."""
    import cv2

    blurred = cv2.medianBlur(grey, 3)
    return cv2.adaptiveThreshold(255 - blurred, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 15, -8)


def skew_angle(grey: np.ndarray) -> float:
    """The turn (degrees, as ``rotate`` takes it) that straightens a page, from its long near-horizontal rulings.

    Rulings are found as long horizontal runs of ink (a morphological opening tolerant of a few degrees:
    the page is first smeared a few pixels vertically); each one's angle is fitted through its pixels, and
    the length-weighted median of the angles is the page's skew. Text rows decide it when there are no
    rulings (a narrative page): their smeared blobs are fitted the same way.
    """
    import cv2

    binary = _binary(grey)
    height, width = binary.shape
    smear = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    runs = cv2.morphologyEx(smear, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(width // 25, 20), 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(runs)
    angles: list[float] = []
    weights: list[float] = []
    for label in range(1, count):
        x, y, w, h = stats[label, :4]
        if w < width // 6 or h > w * math.tan(math.radians(MAX_SKEW)) + 12:
            continue
        ys, xs = np.nonzero(binary[y : y + h, x : x + w] & (labels[y : y + h, x : x + w] == label).astype(np.uint8) * 255)
        if xs.size < 2 * w // 3:
            continue
        slope = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)[0]
        angles.append(-math.degrees(math.atan(slope)))  # image y runs down
        weights.append(float(w))
    if not angles:
        return 0.0
    order = sorted(range(len(angles)), key=angles.__getitem__)
    half, running = sum(weights) / 2, 0.0
    for i in order:  # the length-weighted median: a stray stroke does not move it
        running += weights[i]
        if running >= half:
            return angles[i] if abs(angles[i]) <= MAX_SKEW else 0.0
    return 0.0


def rotate(grey: np.ndarray, degrees: float) -> np.ndarray:
    """The image turned by ``degrees`` clockwise about its centre, corners filled with paper."""
    import cv2

    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -degrees, 1.0)
    return cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def _runs(ink: np.ndarray, horizontal: bool) -> int:
    """How many long runs of text the ink makes when smeared along rows (or along columns)."""
    import cv2

    gap = max(SCAN_DPI // 12, 8)
    kernel = (gap, 3) if horizontal else (3, gap)
    count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, kernel)))
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    long = np.maximum(w, h) > SCAN_DPI // 5
    return int(np.sum(long & (w > 2.5 * h))) if horizontal else int(np.sum(long & (h > 2.5 * w)))


def quarter_turns(grey: np.ndarray, engine: OcrEngine | None = None) -> int:
    """Quarter turns clockwise that make a page's text read left to right: 0, 1 or 3 (a page scanned on its side).

    Text rows smeared along their direction make long runs: a page whose ink makes far more long runs
    down than across was scanned sideways. Which way round is what the recogniser reads more surely, on a
    few lines of the page turned either way. (Upside-down pages are not turned.)
    """
    ink = _without_rulings(_binary(grey))
    across, down = _runs(ink, True), _runs(ink, False)
    if down <= 1.3 * max(across, 5):
        return 0
    if engine is None:
        return 1
    from PIL import Image

    best, best_turns = -1.0, 1
    for turns in (1, 3):
        turned = np.ascontiguousarray(np.rot90(grey, k=-turns))
        lines = sorted(text_lines_of(_without_rulings(_binary(turned))), key=lambda s: -(s[2] - s[0]))[:6]
        scores = [
            engine.recognise(Image.fromarray(_padded(turned[top:bottom, x0:x1])), "text").confidence
            for x0, top, x1, bottom in lines
        ]
        score = float(np.mean(scores)) if scores else 0.0
        if score > best:
            best, best_turns = score, turns
    return best_turns


# --------------------------------------------------------------------------- rulings and grids


def image_rulings(grey: np.ndarray, scale: float) -> Any:
    """The ruled lines of a page image as ``PageRulings`` in points (y up), for camelot's lattice geometry."""
    from camelot.image_processing import coalesce_collinear_lines, find_lines

    from extract.rulings import PageRulings

    binary = _binary(grey)
    height = grey.shape[0]
    _, horizontal = find_lines(binary, direction="horizontal", line_scale=40)
    _, vertical = find_lines(binary, direction="vertical", line_scale=40)

    def to_points(line: Sequence[float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = line
        return (x1 / scale, (height - y1) / scale, x2 / scale, (height - y2) / scale)

    # find_lines gives a horizontal line's y once and a vertical line's x once: the segments are exact
    h = [to_points(line) for line in horizontal]
    v = [to_points(line) for line in vertical]
    h = [(min(x0, x1), y0, max(x0, x1), y0) for x0, y0, x1, _ in h]
    v = [(x0, min(y0, y1), x0, max(y0, y1)) for x0, y0, _, y1 in v]
    return PageRulings(coalesce_collinear_lines(h, "horizontal"), coalesce_collinear_lines(v, "vertical"))


def ocr_spans(geometry: GridGeometry, ink: np.ndarray, scale: float) -> list[list[tuple[int, int]]]:
    """The merged cells of a scanned grid: its anchors, as ``extract.cells._spans`` gives them for a text page.

    Neighbours without a detected ruling between them are one cell, unless a ruling is there after all: a
    stroke along (nearly) the whole of their boundary, which the line finder missed in a coarse, noisy or
    bi-level scan (two amounts "0.00 | 0.00" must not become one, nor 栏次 and 合计 one cell).
    """
    def px(v: float) -> int:
        return int(round(v * scale))

    def ruled_between(r: int, c: int) -> bool:
        x = px(geometry.xs[c + 1])
        top, bottom = px(geometry.ys[r]) + RULING_MARGIN, px(geometry.ys[r + 1]) - RULING_MARGIN
        if bottom - top < 4:
            return False
        return float(np.asarray(ink[top:bottom, max(x - 3, 0) : x + 4]).any(axis=1).mean()) >= 0.8

    def ruled_below(r: int, c: int) -> bool:
        y = px(geometry.ys[r + 1])
        x0, x1 = px(geometry.xs[c]) + RULING_MARGIN, px(geometry.xs[c + 1]) - RULING_MARGIN
        if x1 - x0 < 4:
            return False
        return float(np.asarray(ink[max(y - 3, 0) : y + 4, x0:x1]).any(axis=0).mean()) >= 0.8

    sides = (len(geometry.ys) - 1, len(geometry.xs) - 1)
    beside = {
        (r, c)
        for r in range(sides[0])
        for c in range(sides[1] - 1)
        if not (geometry.edges[r][c] & EDGE_RIGHT or geometry.edges[r][c + 1] & EDGE_LEFT) and ruled_between(r, c)
    }
    above = {
        (r, c)
        for r in range(sides[0] - 1)
        for c in range(sides[1])
        if not (geometry.edges[r][c] & EDGE_BOTTOM or geometry.edges[r + 1][c] & EDGE_TOP) and ruled_below(r, c)
    }
    # apart where the ruling is there after all, side by side or stacked
    return merged_cells(geometry, lambda a, b: a in (beside if a[0] == b[0] else above))


def _geometry(table: Any, height: float) -> GridGeometry:
    """A camelot table's boundaries in top-left points, with its ruled edges."""
    from extract.grids import _edges

    xs = (table.cols[0][0], *(right for _, right in table.cols))
    ys = (height - table.rows[0][0], *(height - bottom for _, bottom in table.rows))
    edges = tuple(tuple(_edges(c) for c in row) for row in table.cells)
    return GridGeometry(tuple(xs), tuple(ys), edges)


# --------------------------------------------------------------------------- text lines and recognition


def text_bands(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The text lines of a cell crop's ink mask, top to bottom, as (x0, top, x1, bottom) pixel boxes."""
    rows = np.flatnonzero(ink.sum(axis=1) > 0)
    if rows.size == 0:
        return []
    bands: list[list[int]] = [[int(rows[0]), int(rows[0])]]
    for r in rows[1:]:
        if r - bands[-1][1] > 2:
            bands.append([int(r), int(r)])
        else:
            bands[-1][1] = int(r)
    tallest = max(b[1] - b[0] for b in bands) + 1
    merged: list[list[int]] = []
    for band in bands:  # specks and the dots of 、 are not lines of their own
        if merged and (band[1] - band[0] + 1 < 0.35 * tallest or merged[-1][1] - merged[-1][0] + 1 < 0.35 * tallest):
            merged[-1][1] = band[1]
        else:
            merged.append(band)
    out = []
    for top, bottom in merged:
        cols = np.flatnonzero(ink[top : bottom + 1].sum(axis=0) > 0)
        if cols.size and (bottom - top + 1) * (cols[-1] - cols[0] + 1) >= 12:
            out.append((int(cols[0]), top, int(cols[-1]) + 1, bottom + 1))
    return out


def _without_rulings(ink: np.ndarray) -> np.ndarray:
    """Ink without its long horizontal and vertical lines (frames, underlines): text rows stay apart."""
    import cv2

    height, width = ink.shape
    lines = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(width // 20, 10), 1))),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(height // 20, 10)))),
    )
    return cv2.bitwise_and(ink, cv2.bitwise_not(lines))


def text_lines_of(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """A page's text outside its grids as line segments (x0, top, x1, bottom px), top to bottom.

    Characters are smeared sideways into words and lines (not a projection over the whole width: a speck
    or a ruling's end anywhere on a row would join distant lines); what stays apart by more than about
    two characters is a segment of its own ("部门：…", "2020年度", "金额单位：元").
    """
    import cv2

    gap = max(SCAN_DPI // 12, 8)  # ≈ 2 mm: joins the characters of a word, not the parts of a line
    smeared = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 3)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(smeared)
    segments = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if h < 12 or h > SCAN_DPI or w < gap + 6:
            continue  # specks, rule ends, a stamp's outline: not a line of text
        if h > 3 * w:
            continue  # a vertical stroke left over from a ruling
        segments.append((x + gap // 2, y + 1, x + w - gap // 2, y + h - 1))
    merged: list[tuple[int, int, int, int]] = []
    for seg in sorted(segments, key=lambda seg: seg[0]):
        # pieces of one line a little apart (a title's “quoted” words) are read together: the recogniser needs
        # the context; parts a line's height or more apart ("部门：…" and "2020年度") stay apart
        for k, (x0, top, x1, bottom) in enumerate(merged):
            height = max(bottom - top, seg[3] - seg[1])
            overlap = min(bottom, seg[3]) - max(top, seg[1])
            if overlap >= 0.5 * min(bottom - top, seg[3] - seg[1]) and 0 <= seg[0] - x1 < 0.8 * height:
                merged[k] = (x0, min(top, seg[1]), max(x1, seg[2]), max(bottom, seg[3]))
                break
        else:
            merged.append(seg)
    return sorted((piece for seg in merged for piece in _cut_long(ink, seg)), key=lambda seg: (seg[1] // 20, seg[0]))


def _cut_long(ink: np.ndarray, segment: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """A line longer than ``MAX_LINE_RATIO`` heights, cut at gaps between characters.

    A narrative line across the page costs the recogniser hundreds of megabytes in one piece.
    """
    x0, top, x1, bottom = segment
    height = max(bottom - top, 1)
    if x1 - x0 <= MAX_LINE_RATIO * height:
        return [segment]
    empty = np.flatnonzero(~ink[top:bottom, x0:x1].any(axis=0)) + x0
    pieces = []
    start = x0
    while x1 - start > MAX_LINE_RATIO * height:
        ideal = start + int(0.8 * MAX_LINE_RATIO * height)
        near = empty[(empty > start + height) & (empty < start + MAX_LINE_RATIO * height)]
        cut = int(near[np.argmin(np.abs(near - ideal))]) if near.size else start + MAX_LINE_RATIO * height
        pieces.append((start, top, cut, bottom))
        start = cut + 1
    pieces.append((start, top, x1, bottom))
    return pieces


def _is_label(read: OcrText) -> bool:
    """A confident reading of printed words (two or more Chinese characters): 合计, a header, a subject's name."""
    return read.confidence >= 0.9 and len(re.findall(r"[\u4e00-\u9fff]", read.text)) >= 2


def _kind_of(text: str) -> Kind:
    """What a first reading looks like: a code (digits only), an amount (digits with separators) or text."""
    t = re.sub(r"\s+", "", text)
    if _CODE.match(t):
        return "code"
    if _NUMERIC.match(t):
        return "amount"
    return "text"


_SEPARATED = re.compile(r"^([-−(]?)(\d{1,3}(?:[.,]\d{3})+)[.,](\d{1,2})([)]?)$")


def _separators(read: OcrText) -> OcrText:
    """An amount's separators as printed: of two or more, the last is the decimal point, the others commas.

    Only when the last is followed by one or two digits: "1.638.45" is 1,638.45 (a comma read as a point).
    """
    from dataclasses import replace

    match = _SEPARATED.match(read.text)
    if match is None:
        return read
    sign, whole, cents, close = match.groups()
    text = f"{sign}{whole.replace('.', ',')}.{cents}{close}"
    return read if text == read.text else replace(read, text=text)


_STRAY_LEAD = re.compile(r"^[、，,.．:：]+(?=[\u4e00-\u9fff])")
_STRAY_DASH = re.compile(r"(?<=[\u4e00-\u9fff])[—–\-－](?=[\u4e00-\u9fff])")


def _tidy_label(read: OcrText) -> OcrText:
    """A label without what a recogniser adds to print.

    The punctuation a dropped ordinal leaves ("、外交支出" for "二、外交支出"); a dash between two characters
    (“三—公” for “三公”: the quotes confuse it).
    """
    from dataclasses import replace

    text = _STRAY_LEAD.sub("", read.text)
    cut = len(read.text) - len(text)
    confidences = read.char_confidences[cut:]
    kept = [i for i, _ in enumerate(text) if not _STRAY_DASH.match(text, i)]
    if cut == 0 and len(kept) == len(text):
        return read
    text = "".join(text[i] for i in kept)
    confidences = tuple(confidences[i] for i in kept) if len(confidences) >= len(kept) else confidences
    return replace(read, text=text, char_confidences=confidences)


def _full_width_brackets(read: OcrText) -> OcrText:
    """Chinese text with its brackets full-width, as it is printed (the recogniser answers ASCII ones)."""
    from dataclasses import replace

    if not re.search(r"[\u4e00-\u9fff]", read.text) or not re.search(r"[()]", read.text):
        return read
    table = str.maketrans({"(": "（", ")": "）"})
    return replace(read, text=read.text.translate(table), alternatives=tuple((t.translate(table), c) for t, c in read.alternatives))


def _padded(line: np.ndarray) -> np.ndarray:
    """A text line on white paper with a margin: recognisers drop the first or last glyph of a tight crop.

    The margin is paper, not the page around the line: a ruling or a neighbour's text never enters it.
    """
    height, width = line.shape
    pad_y, pad_x = max(8, int(0.45 * height)), max(8, int(0.35 * height))
    canvas = np.full((height + 2 * pad_y, width + 2 * pad_x), 255, dtype=np.uint8)
    canvas[pad_y : pad_y + height, pad_x : pad_x + width] = line
    return canvas


def _chars_in(text: str, box: Box) -> list[PageChar]:
    """Characters of a recognised line spread over its box (only their cell and order matter downstream)."""
    x0, top, x1, bottom = box
    glyphs = [ch for ch in text if not ch.isspace()]
    if not glyphs:
        return []
    height = max(bottom - top, 1.0)
    step = (x1 - x0) / len(glyphs)
    out = []
    x = x0
    for ch in text:
        if ch.isspace():
            continue
        out.append(PageChar(ch, round(x, 2), round(top, 2), round(x + step * 0.9, 2), round(top + height, 2)))
        x += step
    return out


@dataclass(frozen=True)
class _Span:
    """One (merged) cell of a grid to read: its column, its box in pixels and in points, its text lines."""

    col: int
    box_px: tuple[int, int, int, int]  # inside its rulings
    box_pt: Box
    lines: tuple[tuple[int, int, int, int], ...]  # text line boxes, page pixels


def _recognise_all(engine: OcrEngine, images: list[np.ndarray], kinds: list[Kind]) -> list[OcrText]:
    """Recognise line images, in model batches when the engine can (one run per batch of similar widths)."""
    from PIL import Image

    if not images:
        return []
    pictures = [Image.fromarray(image) for image in images]
    batch = getattr(engine, "recognise_batch", None)
    if batch is not None:
        return list(batch(pictures, kinds))
    return [engine.recognise(picture, kind) for picture, kind in zip(pictures, kinds, strict=True)]


@dataclass
class _Reader:
    """Recognises the cells of one grid: every line as text first, then numeric columns' cells constrained."""

    engine: OcrEngine
    page: int
    grey: np.ndarray
    ink: np.ndarray
    scale: float
    ruled: np.ndarray | None = None  # the page with a stamp's red kept (None: no red on it)

    def span(self, col: int, box_px: tuple[int, int, int, int], box_pt: Box) -> _Span | None:
        """A cell's text lines (None when it holds no ink)."""
        x0, top, x1, bottom = box_px
        x0, top, x1, bottom = x0 + RULING_MARGIN, top + RULING_MARGIN, x1 - RULING_MARGIN, bottom - RULING_MARGIN
        if x1 - x0 < 4 or bottom - top < 4:
            return None
        bands = text_bands(self.ink[top:bottom, x0:x1])
        if not bands:
            return None
        lines = tuple((x0 + bx0, top + btop, x0 + bx1, top + bbottom) for bx0, btop, bx1, bbottom in bands)
        return _Span(col, (x0, top, x1, bottom), box_pt, lines)

    def _all(self, boxes: list[tuple[int, int, int, int]], kinds: list[Kind]) -> list[OcrText]:
        """Recognise line boxes of the page (one batched call)."""
        return _recognise_all(self.engine, [self._line_image(box) for box in boxes], kinds)

    def _line_image(self, box: tuple[int, int, int, int], source: np.ndarray | None = None) -> np.ndarray:
        x0, top, x1, bottom = box
        return _padded((self.grey if source is None else source)[top:bottom, x0:x1])

    def read(self, spans: list[_Span]) -> tuple[list[PageChar], list[OcrCell]]:
        """Read the cells of a grid: characters in their boxes (points) and what was read in each.

        The first rows (header, 栏次, the first body rows) and every multi-line cell are read as text; a column
        whose cells there read as numbers is read constrained from then on; what a constrained reading cannot
        read surely (a label such as 合计 in a column of codes) is read as text too, and the surer wins.
        """
        tops = sorted({span.box_pt[1] for span in spans})
        head = set(tops[:HEAD_ROWS])
        first = [i for i, span in enumerate(spans) if span.box_pt[1] in head or len(span.lines) != 1]
        readings: dict[int, list[OcrText]] = {}
        lines = [(i, box) for i in first for box in spans[i].lines]
        for (i, _), read in zip(lines, self._all([box for _, box in lines], ["text"] * len(lines)), strict=True):
            readings.setdefault(i, []).append(read)
        kinds: dict[int, Kind] = {i: "text" for i in range(len(spans))}
        votes: dict[int, int] = {}
        for i in first:
            if len(spans[i].lines) == 1 and _kind_of(readings[i][0].text) != "text":
                votes[spans[i].col] = votes.get(spans[i].col, 0) + 1
        numeric_cols = {c for c, n in votes.items() if n >= NUMERIC_AFTER}
        # the rest, each read once: constrained in numeric columns, as text elsewhere; head cells that read as
        # numbers are read again constrained
        rest: list[tuple[int, Kind]] = []
        for i, span in enumerate(spans):
            if len(span.lines) != 1:
                continue
            if i not in readings:
                rest.append((i, "amount" if span.col in numeric_cols else "text"))
            elif (kind := _kind_of(readings[i][0].text)) != "text":
                rest.append((i, kind))
        for (i, kind), read in zip(rest, self._all([spans[i].lines[0] for i, _ in rest], [k for _, k in rest]), strict=True):
            if kind == "amount" and _CODE.match(read.text or "x") and "." not in read.text:
                kind = "code"
            previous = readings.get(i)
            if previous is None or read.text and (read.confidence >= previous[0].confidence or _kind_of(previous[0].text) != "text"):
                readings[i], kinds[i] = [_separators(read) if kind == "amount" else read], kind
        self._second_thoughts(spans, readings, kinds, set(first), numeric_cols)
        if self.ruled is not None:
            self._under_stamps(spans, readings, kinds)
        return self._assembled(spans, readings, kinds)

    def _second_thoughts(
        self, spans: list[_Span], readings: dict[int, list[OcrText]], kinds: dict[int, Kind], first: set[int],
        numeric_cols: set[int],
    ) -> None:
        """Read again the other way what looks misread.

        Unsure constrained readings (a label such as 合计), text readings that are numbers, and text in a column
        of numbers that is no label (a 栏次 digit).
        """
        doubt: list[tuple[int, Kind]] = []
        for i, span in enumerate(spans):
            if len(span.lines) != 1 or not readings[i]:
                continue
            read = readings[i][0]
            if kinds[i] != "text" and read.confidence < UNSURE:
                doubt.append((i, "text"))
            elif kinds[i] == "text" and _kind_of(read.text) != "text" and i not in first:
                doubt.append((i, _kind_of(read.text)))
            elif kinds[i] == "text" and span.col in numeric_cols and not _is_label(read):
                doubt.append((i, "amount"))  # a 栏次 number or an amount the text model misread in a column of numbers
        for (i, kind), read in zip(doubt, self._all([spans[i].lines[0] for i, _ in doubt], [k for _, k in doubt]), strict=True):
            if not read.text:
                continue
            if kind == "text":
                better = _is_label(read) and read.confidence > readings[i][0].confidence
            else:
                better = read.confidence >= min(readings[i][0].confidence, 0.5) or _kind_of(readings[i][0].text) != "text"
            if better:
                if kind == "amount" and _CODE.match(read.text) and "." not in read.text:
                    kind = "code"
                readings[i], kinds[i] = [_separators(read) if kind == "amount" else read], kind

    def _assembled(
        self, spans: list[_Span], readings: dict[int, list[OcrText]], kinds: dict[int, Kind]
    ) -> tuple[list[PageChar], list[OcrCell]]:
        """The characters (points) of what was read, and one OcrCell per cell that holds text."""
        chars: list[PageChar] = []
        cells: list[OcrCell] = []
        for i, span in enumerate(spans):
            texts = [_tidy_label(_full_width_brackets(t)) if kinds[i] == "text" else t for t in readings[i]]
            for box, read in zip(span.lines, texts, strict=False):
                chars += _chars_in(read.text, tuple(v / self.scale for v in box))  # type: ignore[arg-type]
            text = "\n".join(t.text for t in texts)
            if not text:
                continue
            confidences = tuple(c for t in texts for c in (t.char_confidences or (t.confidence,) * len(t.text)))
            alternatives = texts[0].alternatives if len(texts) == 1 else ()
            confidence = min((t.confidence for t in texts), default=0.0)
            cells.append(OcrCell(self.page, span.box_pt, kinds[i], text, confidence, confidences, alternatives))
        return chars, cells

    def _under_stamps(self, spans: list[_Span], readings: dict[int, list[OcrText]], kinds: dict[int, Kind]) -> None:
        """Cells read unsurely where red was taken out: read as printed (stamp kept) too, and keep the surer."""
        assert self.ruled is not None
        unsure = [
            i for i, span in enumerate(spans)
            if len(readings[i]) == 1 and readings[i][0].confidence < UNSURE
            and not np.array_equal(self.ruled[span.box_px[1] : span.box_px[3], span.box_px[0] : span.box_px[2]],
                                   self.grey[span.box_px[1] : span.box_px[3], span.box_px[0] : span.box_px[2]])
        ]
        images = [self._line_image(spans[i].box_px, self.ruled) for i in unsure]
        for i, read in zip(unsure, _recognise_all(self.engine, images, [kinds[i] for i in unsure]), strict=True):
            if read.text and read.confidence > readings[i][0].confidence:
                readings[i] = [_separators(read) if kinds[i] == "amount" else read]
                spans[i] = _Span(spans[i].col, spans[i].box_px, spans[i].box_pt, (spans[i].box_px,))


def _scanned_grid(
    number: int, geometry: GridGeometry, anchors: list[list[tuple[int, int]]], read: list[OcrCell]
) -> CellGrid:
    """A scanned grid with each (merged) cell's text as OCR read it in that cell.

    The text of a cell is what was read inside its rulings: characters are not assigned again by where
    they fall (a line straddling a slightly misplaced row boundary would be cut in two).
    """
    from extract.cells import _span_boxes

    by_corner = {(round(c.box[0], 2), round(c.box[1], 2)): c for c in read}
    texts = [
        tuple(
            (cell.text if (cell := by_corner.get((round(geometry.xs[c], 2), round(geometry.ys[r], 2)))) else "")
            if anchor == (r, c) else ""
            for c, anchor in enumerate(row)
        )
        for r, row in enumerate(anchors)
    ]
    n_cells = sum(len(row) for row in texts)
    empty = sum(1 for row in texts for text in row if not text.strip())
    report = {
        "accuracy": 100.0,  # no word is cut by a ruling: each cell was read inside its own
        "whitespace": round(100.0 * empty / n_cells, 2) if n_cells else 100.0,
        "page": float(number),
        "outside_chars_pct": 0.0,
        # the table's worst cell: how sure its OCR is (TableSummary.ocr_confidence, `fiscal show`)
        "ocr_confidence": round(min((c.lowest for c in read), default=1.0), 4),
    }
    # an edge wherever two cells are apart: the rulings found, and those the scan lost but its strokes show
    edges = [list(row) for row in geometry.edges]
    for r, row in enumerate(anchors):
        for c, anchor in enumerate(row):
            if c + 1 < len(row) and row[c + 1] != anchor:
                edges[r][c] |= EDGE_RIGHT
                edges[r][c + 1] |= EDGE_LEFT
            if r + 1 < len(anchors) and anchors[r + 1][c] != anchor:
                edges[r][c] |= EDGE_BOTTOM
                edges[r + 1][c] |= EDGE_TOP
    return CellGrid(
        page=number, cells=tuple(texts), edges=tuple(tuple(row) for row in edges), parsing_report=report,
        boxes=_span_boxes(geometry, anchors),
    )


def read_scanned_page(page: pdfium.PdfPage, number: int, engine: OcrEngine, dpi: int = SCAN_DPI) -> ScannedPage:
    """Render, straighten and read one scanned page into its PageInfo (OCR characters), grids and OCR'd cells."""
    from extract.rulings import WHITESPACE_REJECT, grids_of

    width_pt, height_pt = page.get_size()
    # a page larger than A3 is rendered so that its longer side has MAX_RENDER_SIDE pixels (a hostile page of
    # 200 inches would otherwise take gigabytes)
    dpi = min(dpi, int(MAX_RENDER_SIDE * 72 / max(width_pt, height_pt, 1.0)))
    scale = dpi / 72
    rgb = render_page(page, dpi)
    # text is read with a stamp's red removed; rulings are found with it kept (removing it breaks the rules under it)
    grey, ruled = without_red(rgb), luminance(rgb)
    turns = quarter_turns(grey, engine)
    if turns:
        grey, ruled = (np.ascontiguousarray(np.rot90(image, k=-turns)) for image in (grey, ruled))
    skew = skew_angle(ruled)
    if abs(skew) >= MIN_SKEW:
        grey, ruled = rotate(grey, skew), rotate(ruled, skew)
    height_px, width_px = grey.shape
    width, height = width_px / scale, height_px / scale
    ink = _binary(grey)
    ruled_ink = ink if ruled is grey else _binary(ruled)
    tables = grids_of(image_rulings(ruled, scale))
    # cell text is found on the ink without the page's long lines: a ruling's edge inside a cell is not text
    reader = _Reader(engine, number, grey, _without_rulings(ink), scale, ruled if not np.array_equal(grey, ruled) else None)
    chars: list[PageChar] = []
    cells: list[OcrCell] = []
    grids: list[CellGrid] = []
    masked = grey.copy()
    for table in tables:
        geometry = _geometry(table, height)
        anchors = ocr_spans(geometry, ruled_ink, scale)
        spans: list[_Span] = []
        for r, row in enumerate(anchors):
            for c, anchor in enumerate(row):
                if anchor != (r, c):
                    continue
                far_r = max(i for i, rr in enumerate(anchors) for a in rr if a == anchor)
                far_c = max(j for rr in anchors for j, a in enumerate(rr) if a == anchor)
                box_px = (
                    int(geometry.xs[c] * scale), int(geometry.ys[r] * scale),
                    int(geometry.xs[far_c + 1] * scale), int(geometry.ys[far_r + 1] * scale),
                )
                box_pt = (
                    round(geometry.xs[c], 2), round(geometry.ys[r], 2),
                    round(geometry.xs[far_c + 1], 2), round(geometry.ys[far_r + 1], 2),
                )  # as the grid's cell boxes are rounded (extract.cells._span_boxes): the fact's box finds its reading
                span = reader.span(c, box_px, box_pt)
                if span is not None:
                    spans.append(span)
        table_chars, table_cells = reader.read(spans)
        cells += table_cells
        grid = _scanned_grid(number, geometry, anchors, table_cells)
        if grid.parsing_report["whitespace"] >= WHITESPACE_REJECT:
            continue
        grids.append(grid)
        chars += table_chars
        x0, top, x1, bottom = geometry.bbox
        edge = 2 * RULING_MARGIN  # the grid's outer rulings are thicker than a point
        masked[max(int(top * scale) - edge, 0) : int(bottom * scale) + edge, max(int(x0 * scale) - edge, 0) : int(x1 * scale) + edge] = 255

    # the text around the grids (title, 部门/年度/单位 line, a narrative page): its lines found like a cell's, each
    # cut into segments at wide gaps and recognised (no detection model: its memory grows with the page)
    outside = _without_rulings(_binary(masked))
    segments = text_lines_of(outside)
    images = [_padded(masked[top:bottom, x0:x1]) for x0, top, x1, bottom in segments]
    for (lx0, ltop, lx1, lbottom), read in zip(segments, _recognise_all(engine, images, ["text"] * len(images)), strict=True):
        chars += _chars_in(_tidy_label(_full_width_brackets(read)).text, (lx0 / scale, ltop / scale, lx1 / scale, lbottom / scale))
    info = PageInfo(
        number=number, text=reading_order_text(chars), width=width, height=height, rotation=0,
        n_paths=8 if grids else 0, image_share=1.0, chars=tuple(chars),
    )
    notes = []
    if turns:
        notes.append(f"scanned page {number} read turned {90 * turns}°")
    if abs(skew) >= MIN_SKEW:
        notes.append(f"scanned page {number} straightened by {skew:+.2f}°")
    return ScannedPage(info, tuple(grids), tuple(cells), turns, skew, tuple(notes))
