"""Ruled grids of vector pages: pdfium reads the rulings, camelot's lattice geometry builds the grids.

camelot's vector lattice engine finds tables from a page's ruled lines: it clusters them into tables by
their joints, merges close anchors into columns and rows and marks which cell edges are ruled. To get
those lines it lays out the whole page with playa, text included, which costs ten times what the lines
themselves do. Here the lines come straight from pdfium's path objects (the same rules pdfminer turns into
``LTLine``/``LTRect``: stroked segments, the edges of stroked rectangles, thin filled rectangles) and
camelot's own joint, anchor and edge code turns them into the same grids. Cell text comes from the
page's characters (``extract.cells``), so camelot's text layout is not needed at all.

Coordinates handed to camelot are those of the page as displayed (after /Rotate), y upwards, like
camelot's own.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from camelot.core import Table
from camelot.image_processing import coalesce_collinear_lines, find_joints_from_lines
from camelot.utils import merge_close_lines, segments_in_bbox

from extract.cells import display_matrix, display_size

Segment = tuple[float, float, float, float]  # x0, y0, x1, y1 (displayed page, y up)
Matrix = tuple[float, float, float, float, float, float]

#: camelot's tolerances (Lattice defaults and its vector engine's constants), so the grids are its grids.
LINE_TOL = 2.0
JOINT_TOL = 2.0
THIN_RECT = 1.5  # a filled rectangle this thin is a drawn rule (camelot's _LINE_AS_THIN_RECT_TOL)
ORTHOGONAL_TOL = 0.5
MAX_SEGMENTS = 400  # longer paths are drawings (charts, seals), not rulings
#: camelot drops grids whose cells are at least this empty (page borders, stray form rules).
WHITESPACE_REJECT = 90.0


@dataclass(frozen=True)
class PageRulings:
    """The horizontal and vertical ruled lines of one page, ready for camelot's joint clustering."""

    horizontal: list[Segment]
    vertical: list[Segment]


def _compose(outer: Matrix, inner: Matrix) -> Matrix:
    """The matrix applying ``inner`` first, then ``outer`` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer  # noqa: N806 - matrix components
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """Map one point."""
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _path_points(obj: Any) -> list[list[tuple[float, float]]] | None:
    """The sub-paths of a path object as point lists (object space), or None when it has curves."""
    n = pdfium_c.FPDFPath_CountSegments(obj)
    if n <= 0 or n > MAX_SEGMENTS:
        return None
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple[float, float]]] = []
    for i in range(n):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            return None
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([])
        subpaths[-1].append((x.value, y.value))
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            subpaths[-1].append(subpaths[-1][0])
    return subpaths


def _path_segments(obj: Any, to_page: Matrix, height: float, stroked: bool, filled: bool) -> list[Segment]:
    """Ruled segments drawn by one path object, in displayed y-up coordinates."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return []
    (x0, y0), (x1, y1) = _apply(to_page, left.value, bottom.value), _apply(to_page, right.value, top.value)
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), height - max(y0, y1), height - min(y0, y1)
    width, tall = x1 - x0, y1 - y0
    if min(width, tall) <= THIN_RECT < max(width, tall):
        # a rule: a stroked line, or a thin rectangle (filled or stroked); its bounds are the rule
        if width >= tall:
            mid = (y0 + y1) / 2
            return [(x0, mid, x1, mid)]
        mid = (x0 + x1) / 2
        return [(mid, y0, mid, y1)]
    subpaths = _path_points(obj)
    if subpaths is None:
        return []
    # the object's own matrix, then the page's: points are in object space
    matrix = pdfium_c.FS_MATRIX()
    own: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    if pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
        own = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
    full = _compose(to_page, own)
    out: list[Segment] = []
    for points in subpaths:
        mapped = [(x, height - y) for x, y in (_apply(full, px, py) for px, py in points)]
        xs, ys = [x for x, _ in mapped], [y for _, y in mapped]
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        if min(w, h) <= THIN_RECT < max(w, h) and (filled or stroked):
            # one sub-path that is a rule (Word draws a row's borders as one path of thin rectangles)
            if w >= h:
                mid = (min(ys) + max(ys)) / 2
                out.append((min(xs), mid, max(xs), mid))
            else:
                mid = (min(xs) + max(xs)) / 2
                out.append((mid, min(ys), mid, max(ys)))
            continue
        if not stroked:
            continue  # a filled area (cell shading) draws no rule
        for (ax, ay), (bx, by) in zip(mapped, mapped[1:], strict=False):
            if abs(ay - by) <= ORTHOGONAL_TOL and abs(ax - bx) > 0:
                out.append((min(ax, bx), ay, max(ax, bx), ay))
            elif abs(ax - bx) <= ORTHOGONAL_TOL and abs(ay - by) > 0:
                out.append((ax, min(ay, by), ax, max(ay, by)))
    return out


def page_rulings(page: pdfium.PdfPage, turns: int = 0) -> PageRulings:
    """Every ruled line of a page (inside forms too), merged where a rule is drawn in pieces.

    ``turns``: extra quarter turns clockwise, as for the page's characters (``extract.cells.reading_turns``).
    """
    height = display_size(page, turns)[1]
    stroke, fill_mode = ctypes.c_int(), ctypes.c_int()
    matrix = pdfium_c.FS_MATRIX()
    segments: list[Segment] = []
    path_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    stack: list[tuple[Any, Any, int, Matrix, int]] = [
        (pdfium_c.FPDFPage_GetObject, page.raw, pdfium_c.FPDFPage_CountObjects(page.raw), display_matrix(page, turns), 0)
    ]
    while stack:
        get, parent, count, to_page, depth = stack.pop()
        for i in range(count):
            obj = get(parent, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == path_type:
                if not pdfium_c.FPDFPath_GetDrawMode(obj, fill_mode, stroke):
                    continue
                stroked, filled = bool(stroke.value), fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE
                if stroked or filled:
                    segments += _path_segments(obj, to_page, height, stroked, filled)
            elif kind == form_type and depth < 2 and pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
                form: Matrix = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
                count_inner = pdfium_c.FPDFFormObj_CountObjects(obj)
                stack.append((pdfium_c.FPDFFormObj_GetObject, obj, count_inner, _compose(to_page, form), depth + 1))
    horizontal = [s for s in segments if s[1] == s[3]]
    vertical = [s for s in segments if s[0] == s[2]]
    return PageRulings(coalesce_collinear_lines(horizontal, "horizontal"), coalesce_collinear_lines(vertical, "vertical"))


def _anchors(joints: Sequence[tuple[float, float]], bbox: tuple[float, float, float, float]) -> tuple[list[float], list[float]]:
    """Column and row anchors of one table from its joints (camelot's _compute_table_anchors)."""
    cols = [j[0] for j in joints] + [bbox[0], bbox[2]]
    rows = [j[1] for j in joints] + [bbox[1], bbox[3]]
    return merge_close_lines(sorted(cols), line_tol=LINE_TOL), merge_close_lines(sorted(rows, reverse=True), line_tol=LINE_TOL)


def grids_of(rulings: PageRulings) -> list[Table]:
    """Camelot Tables (geometry and ruled edges only, no text) for the ruled grids of one page, top first."""
    tables: list[Table] = []
    joints_by_bbox = find_joints_from_lines(rulings.horizontal, rulings.vertical, tol=JOINT_TOL)
    for bbox in sorted(joints_by_bbox, key=lambda b: b[1], reverse=True):
        col_anchors, row_anchors = _anchors(joints_by_bbox[bbox], bbox)
        if len(col_anchors) < 2 or len(row_anchors) < 2:
            continue
        cols = list(zip(col_anchors, col_anchors[1:], strict=False))
        rows = list(zip(row_anchors, row_anchors[1:], strict=False))
        v_s, h_s = segments_in_bbox(bbox, rulings.vertical, rulings.horizontal)
        table = Table(cols, rows)
        table._bbox = bbox
        table.set_edges(v_s, h_s, joint_tol=JOINT_TOL)
        table.set_border()
        tables.append(table)
    return tables
