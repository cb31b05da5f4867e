"""Reading the cells of a scanned grid: each cell's text lines, recognised in batches, numeric columns learnt.

Each (merged) cell is cropped inside its rulings and split into its text lines; the first rows and every
multi-line cell are read as text, a column whose cells there read as numbers is read constrained to
digits and separators from then on, and what looks misread is read again the other way. Recognised text
becomes characters with boxes inside its line (``chars_in``), so cell assignment, header inference and
everything after it are the text-layer path's; every cell keeps its reading, confidences and the
engine's alternatives (``OcrCell``) for lineage and the identity-checked corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from extract.cells import PageChar
from extract.models import OcrCell
from extract.scan_grids import RULING_MARGIN, Box
from extract.scan_lines import padded, text_bands
from extract.scan_readings import as_kept, is_label, kind_of, printed_label, settled

if TYPE_CHECKING:
    from extract.ocr_engines import Kind, OcrEngine, OcrText

#: A constrained reading below this confidence is tried as text too (a label in a column of numbers).
UNSURE = 0.6
#: A column with at least this many of its first cells reading as numbers is read as numbers.
NUMERIC_AFTER = 2
#: How many rows of a grid are read as text first (header, 栏次, the first body rows).
HEAD_ROWS = 6


def chars_in(text: str, box: Box) -> list[PageChar]:
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
class CellSpan:
    """One (merged) cell of a grid to read: its column, its box in pixels and in points, its text lines."""

    col: int
    box_px: tuple[int, int, int, int]  # inside its rulings
    box_pt: Box
    lines: tuple[tuple[int, int, int, int], ...]  # text line boxes, page pixels


def recognise_all(engine: OcrEngine, images: list[np.ndarray], kinds: list[Kind]) -> list[OcrText]:
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
class CellReader:
    """Recognises the cells of one grid: every line as text first, then numeric columns' cells constrained."""

    engine: OcrEngine
    page: int
    grey: np.ndarray
    ink: np.ndarray
    scale: float
    ruled: np.ndarray | None = None  # the page with a stamp's red kept (None: no red on it)

    def span(self, col: int, box_px: tuple[int, int, int, int], box_pt: Box) -> CellSpan | None:
        """A cell's text lines (None when it holds no ink)."""
        x0, top, x1, bottom = box_px
        x0, top, x1, bottom = x0 + RULING_MARGIN, top + RULING_MARGIN, x1 - RULING_MARGIN, bottom - RULING_MARGIN
        if x1 - x0 < 4 or bottom - top < 4:
            return None
        bands = text_bands(self.ink[top:bottom, x0:x1])
        if not bands:
            return None
        lines = tuple((x0 + bx0, top + btop, x0 + bx1, top + bbottom) for bx0, btop, bx1, bbottom in bands)
        return CellSpan(col, (x0, top, x1, bottom), box_pt, lines)

    def _all(self, boxes: list[tuple[int, int, int, int]], kinds: list[Kind]) -> list[OcrText]:
        """Recognise line boxes of the page (one batched call)."""
        return recognise_all(self.engine, [self._line_image(box) for box in boxes], kinds)

    def _line_image(self, box: tuple[int, int, int, int], source: np.ndarray | None = None) -> np.ndarray:
        x0, top, x1, bottom = box
        return padded((self.grey if source is None else source)[top:bottom, x0:x1])

    def read(self, spans: list[CellSpan]) -> tuple[list[PageChar], list[OcrCell]]:
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
            if len(spans[i].lines) == 1 and kind_of(readings[i][0].text) != "text":
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
            elif (kind := kind_of(readings[i][0].text)) != "text":
                rest.append((i, kind))
        for (i, kind), read in zip(rest, self._all([spans[i].lines[0] for i, _ in rest], [k for _, k in rest]), strict=True):
            previous = readings.get(i)
            if previous is None or read.text and (read.confidence >= previous[0].confidence or kind_of(previous[0].text) != "text"):
                kept, kinds[i] = settled(read, kind)
                readings[i] = [kept]
        self._second_thoughts(spans, readings, kinds, set(first), numeric_cols)
        if self.ruled is not None:
            self._under_stamps(spans, readings, kinds)
        return self._assembled(spans, readings, kinds)

    def _second_thoughts(
        self, spans: list[CellSpan], readings: dict[int, list[OcrText]], kinds: dict[int, Kind], first: set[int],
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
            elif kinds[i] == "text" and kind_of(read.text) != "text" and i not in first:
                doubt.append((i, kind_of(read.text)))
            elif kinds[i] == "text" and span.col in numeric_cols and not is_label(read):
                doubt.append((i, "amount"))  # a 栏次 number or an amount the text model misread in a column of numbers
        for (i, kind), read in zip(doubt, self._all([spans[i].lines[0] for i, _ in doubt], [k for _, k in doubt]), strict=True):
            if not read.text:
                continue
            if kind == "text":
                better = is_label(read) and read.confidence > readings[i][0].confidence
            else:
                better = read.confidence >= min(readings[i][0].confidence, 0.5) or kind_of(readings[i][0].text) != "text"
            if better:
                kept, kinds[i] = settled(read, kind)
                readings[i] = [kept]

    def _assembled(
        self, spans: list[CellSpan], readings: dict[int, list[OcrText]], kinds: dict[int, Kind]
    ) -> tuple[list[PageChar], list[OcrCell]]:
        """The characters (points) of what was read, and one OcrCell per cell that holds text."""
        chars: list[PageChar] = []
        cells: list[OcrCell] = []
        for i, span in enumerate(spans):
            texts = [printed_label(t) if kinds[i] == "text" else t for t in readings[i]]
            for box, read in zip(span.lines, texts, strict=False):
                chars += chars_in(read.text, tuple(v / self.scale for v in box))  # type: ignore[arg-type]
            text = "\n".join(t.text for t in texts)
            if not text:
                continue
            confidences = tuple(c for t in texts for c in (t.char_confidences or (t.confidence,) * len(t.text)))
            alternatives = texts[0].alternatives if len(texts) == 1 else ()
            confidence = min((t.confidence for t in texts), default=0.0)
            cells.append(OcrCell(self.page, span.box_pt, kinds[i], text, confidence, confidences, alternatives))
        return chars, cells

    def _under_stamps(self, spans: list[CellSpan], readings: dict[int, list[OcrText]], kinds: dict[int, Kind]) -> None:
        """Cells read unsurely where red was taken out: read as printed (stamp kept) too, and keep the surer."""
        assert self.ruled is not None
        unsure = [
            i for i, span in enumerate(spans)
            if len(readings[i]) == 1 and readings[i][0].confidence < UNSURE
            and not np.array_equal(self.ruled[span.box_px[1] : span.box_px[3], span.box_px[0] : span.box_px[2]],
                                   self.grey[span.box_px[1] : span.box_px[3], span.box_px[0] : span.box_px[2]])
        ]
        images = [self._line_image(spans[i].box_px, self.ruled) for i in unsure]
        for i, read in zip(unsure, recognise_all(self.engine, images, [kinds[i] for i in unsure]), strict=True):
            if read.text and read.confidence > readings[i][0].confidence:
                readings[i] = [as_kept(read, kinds[i])]
                spans[i] = CellSpan(spans[i].col, spans[i].box_px, spans[i].box_pt, (spans[i].box_px,))
