"""A scan's grids: rulings found in the image, camelot's lattice geometry, merged cells, the CellGrid of what was read.

The rulings come from the image (camelot's morphological line finder) and become the same ``PageRulings``
a vector page gives, so camelot's lattice geometry turns them into the same grids (extract/rulings.py).
A ruling the line finder missed in a coarse or noisy scan is told by its stroke (``ocr_spans``). The grid
handed on holds what OCR read inside each of its cells (extract/scan_cells.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from extract.cells import GridGeometry, merged_cells
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, CellGrid, OcrCell
from extract.scan_image import ink_of

#: Margin (px at SCAN_DPI) kept away from a cell's rulings when it is cropped.
RULING_MARGIN = 4

Box = tuple[float, float, float, float]


def image_rulings(grey: np.ndarray, scale: float) -> Any:
    """The ruled lines of a page image as ``PageRulings`` in points (y up), for camelot's lattice geometry."""
    from camelot.image_processing import coalesce_collinear_lines, find_lines

    from extract.rulings import PageRulings

    binary = ink_of(grey)
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


def grid_geometry(table: Any, height: float) -> GridGeometry:
    """A camelot table's boundaries in top-left points, with its ruled edges."""
    from extract.grids import _edges

    xs = (table.cols[0][0], *(right for _, right in table.cols))
    ys = (height - table.rows[0][0], *(height - bottom for _, bottom in table.rows))
    edges = tuple(tuple(_edges(c) for c in row) for row in table.cells)
    return GridGeometry(tuple(xs), tuple(ys), edges)


def merged_cell_boxes(
    geometry: GridGeometry, anchors: list[list[tuple[int, int]]], scale: float
) -> Iterator[tuple[int, tuple[int, int, int, int], Box]]:
    """Each merged cell of a grid, row by row: its first column, its box in page pixels and in points."""
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
            yield c, box_px, box_pt


def scanned_grid(
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
