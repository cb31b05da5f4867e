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

This module reads a page from end to end; each step has its own: the image (extract/scan_image.py),
turning it upright (extract/scan_upright.py), its grids (extract/scan_grids.py), text lines
(extract/scan_lines.py), the cells' recognition (extract/scan_cells.py) and how readings are kept
(extract/scan_readings.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from extract.cells import PageChar, reading_order_text
from extract.models import CellGrid, OcrCell
from extract.pdf import PageInfo
from extract.scan_cells import CellReader, chars_in, recognise_all
from extract.scan_grids import (
    RULING_MARGIN,
    grid_geometry,
    image_rulings,
    merged_cell_boxes,
    ocr_spans,
    scanned_grid,
)
from extract.scan_image import (
    MAX_RENDER_SIDE,
    SCAN_DPI,
    ink_of,
    luminance,
    render_page,
    without_red,
    without_rulings,
)
from extract.scan_lines import padded, text_lines_of
from extract.scan_readings import printed_label
from extract.scan_upright import MIN_SKEW, quarter_turns, rotate, skew_angle

if TYPE_CHECKING:
    import pypdfium2 as pdfium

    from extract.ocr_engines import OcrEngine


@dataclass(frozen=True)
class ScannedPage:
    """One scanned page read: the page (its characters from OCR), its grids, its OCR'd cells, and how it was turned."""

    page: PageInfo
    grids: tuple[CellGrid, ...]
    cells: tuple[OcrCell, ...]
    quarter_turns: int
    skew_degrees: float
    notes: tuple[str, ...] = field(default=())


def _upright(rgb: np.ndarray, engine: OcrEngine) -> tuple[np.ndarray, np.ndarray, int, float]:
    """The page upright: grey with a stamp's red taken out, grey with it kept, the quarter turns and the skew."""
    # text is read with a stamp's red removed; rulings are found with it kept (removing it breaks the rules under it)
    grey, ruled = without_red(rgb), luminance(rgb)
    turns = quarter_turns(grey, engine)
    if turns:
        grey, ruled = (np.ascontiguousarray(np.rot90(image, k=-turns)) for image in (grey, ruled))
    skew = skew_angle(ruled)
    if abs(skew) >= MIN_SKEW:
        grey, ruled = rotate(grey, skew), rotate(ruled, skew)
    return grey, ruled, turns, skew


def _text_around(masked: np.ndarray, engine: OcrEngine, scale: float) -> list[PageChar]:
    """The characters of the text around the grids (title, 部门/年度/单位 line, a narrative page).

    Its lines are found like a cell's, each cut into segments at wide gaps and recognised (no detection
    model: its memory grows with the page).
    """
    segments = text_lines_of(without_rulings(ink_of(masked)))
    images = [padded(masked[top:bottom, x0:x1]) for x0, top, x1, bottom in segments]
    chars: list[PageChar] = []
    for (lx0, ltop, lx1, lbottom), read in zip(segments, recognise_all(engine, images, ["text"] * len(images)), strict=True):
        chars += chars_in(printed_label(read).text, (lx0 / scale, ltop / scale, lx1 / scale, lbottom / scale))
    return chars


def read_scanned_page(page: pdfium.PdfPage, number: int, engine: OcrEngine, dpi: int = SCAN_DPI) -> ScannedPage:
    """Render, straighten and read one scanned page into its PageInfo (OCR characters), grids and OCR'd cells."""
    from extract.rulings import WHITESPACE_REJECT, grids_of

    width_pt, height_pt = page.get_size()
    # a page larger than A3 is rendered so that its longer side has MAX_RENDER_SIDE pixels (a hostile page of
    # 200 inches would otherwise take gigabytes)
    dpi = min(dpi, int(MAX_RENDER_SIDE * 72 / max(width_pt, height_pt, 1.0)))
    scale = dpi / 72
    grey, ruled, turns, skew = _upright(render_page(page, dpi), engine)
    height_px, width_px = grey.shape
    width, height = width_px / scale, height_px / scale
    ink = ink_of(grey)
    ruled_ink = ink if ruled is grey else ink_of(ruled)
    tables = grids_of(image_rulings(ruled, scale))
    # cell text is found on the ink without the page's long lines: a ruling's edge inside a cell is not text
    reader = CellReader(engine, number, grey, without_rulings(ink), scale, ruled if not np.array_equal(grey, ruled) else None)
    chars: list[PageChar] = []
    cells: list[OcrCell] = []
    grids: list[CellGrid] = []
    masked = grey.copy()
    for table in tables:
        geometry = grid_geometry(table, height)
        anchors = ocr_spans(geometry, ruled_ink, scale)
        spans = [
            span for col, box_px, box_pt in merged_cell_boxes(geometry, anchors, scale)
            if (span := reader.span(col, box_px, box_pt)) is not None
        ]
        table_chars, table_cells = reader.read(spans)
        cells += table_cells
        grid = scanned_grid(number, geometry, anchors, table_cells)
        if grid.parsing_report["whitespace"] >= WHITESPACE_REJECT:
            continue
        grids.append(grid)
        chars += table_chars
        x0, top, x1, bottom = geometry.bbox
        edge = 2 * RULING_MARGIN  # the grid's outer rulings are thicker than a point
        masked[max(int(top * scale) - edge, 0) : int(bottom * scale) + edge, max(int(x0 * scale) - edge, 0) : int(x1 * scale) + edge] = 255
    chars += _text_around(masked, engine, scale)
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
