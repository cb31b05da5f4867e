"""Text lines in a scan's ink: the lines of a cell crop, the segments of the text around the grids.

No detection model finds them (its memory grows with the page): ink is smeared into words and lines,
and a line too long for the recogniser is cut at a gap between characters. ``padded`` gives a found line
the white margin recognisers need.
"""

from __future__ import annotations

import numpy as np

from extract.scan_image import SCAN_DPI

#: Lines longer than this many times their height are read in pieces.
MAX_LINE_RATIO = 24


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


def padded(line: np.ndarray) -> np.ndarray:
    """A text line on white paper with a margin: recognisers drop the first or last glyph of a tight crop.

    The margin is paper, not the page around the line: a ruling or a neighbour's text never enters it.
    """
    height, width = line.shape
    pad_y, pad_x = max(8, int(0.45 * height)), max(8, int(0.35 * height))
    canvas = np.full((height + 2 * pad_y, width + 2 * pad_x), 255, dtype=np.uint8)
    canvas[pad_y : pad_y + height, pad_x : pad_x + width] = line
    return canvas
