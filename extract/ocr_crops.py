"""A cell crop made ready for a recogniser: grey, without its rulings and specks, trimmed, split into lines.

Both engines (extract/ocr_rapid.py, extract/ocr_tesseract.py) read what ``prepare_cell`` gives: the
crop the pipeline cut inside a cell's rulings still carries pieces of them (a skewed ruling, a frame
around the crop, a ruling broken by a seal), which a recogniser would read as 1, | or -.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image


def grey_of(image: Image.Image) -> np.ndarray:
    """Greyscale pixels; of a colour image the red channel, with clearly red pixels (a 公章 seal) made white."""
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
        red = rgb[:, :, 0]
        # black print over the seal stays dark (it is dark in every channel); the seal's ink goes
        seal = (red - np.maximum(rgb[:, :, 1], rgb[:, :, 2]) > 60) & (red > 110)
        grey = np.where(seal, 255, red)
        return np.asarray(grey, dtype=np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _ink_mask(grey: np.ndarray) -> np.ndarray:
    """Dark pixels, without isolated specks of scanner or JPEG noise (a median would erase thin dashes)."""
    import cv2

    dark = (grey < 128).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    speck = stats[:, cv2.CC_STAT_AREA] <= 2
    speck[0] = False
    return np.asarray((labels > 0) & ~speck[labels])


def _drop_rulings(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whiten what is left of the cell's rulings in the crop (straight lines, long thin components) and specks.

    Returns the cleaned grey image and its ink mask.
    """
    import cv2

    h, w = grey.shape
    grey = grey.copy()
    dark = (grey < 128).astype(np.uint8)
    # straight rulings (a frame drawn around the crop included): runs far longer than any glyph stroke
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(24, int(0.5 * w)), 1))
    down = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(24, int(0.85 * h))))
    lines = np.maximum(
        cv2.morphologyEx(dark, cv2.MORPH_OPEN, across), cv2.morphologyEx(dark, cv2.MORPH_OPEN, down)
    )
    grey[cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0] = 255
    ink = _ink_mask(grey)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    drop = np.zeros(count, dtype=bool)
    for i in range(1, count):
        cw, ch, area = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT], stats[i, cv2.CC_STAT_AREA]
        # a skewed ruling spans most of the crop and is thin across it
        horizontal = cw >= 0.6 * w and ch <= max(6, 0.25 * h) and area <= 0.5 * cw * ch + 8 * cw
        vertical = ch >= 0.6 * h and cw <= max(6, 0.12 * w) and area <= 0.5 * cw * ch + 8 * ch
        # a piece of ruling at the crop's edge (the rest of it hidden under a seal or broken by the scan)
        x, y = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_TOP]
        at_top_or_bottom = (y <= 1 or y + ch >= h - 1) and ch <= max(3, 0.12 * h) and cw >= 2 * ch
        at_side = (x <= 1 or x + cw >= w - 1) and cw <= max(3, 0.08 * w) and ch >= 2 * cw
        drop[i] = horizontal or vertical or at_top_or_bottom or at_side
    if drop.any():
        gone = (drop[labels] & (labels > 0)).astype(np.uint8)
        grey[cv2.dilate(gone, np.ones((3, 3), np.uint8)) > 0] = 255
        ink = ink & ~drop[labels]
    return grey, ink


def prepare_cell(image: Image.Image) -> np.ndarray | None:
    """The cell's ink, trimmed to its bounding box with a margin, grey; None when the cell is blank."""
    grey = grey_of(image)
    if grey.size == 0 or min(grey.shape) < 3:
        return None
    grey, ink = _drop_rulings(grey)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0 or ink.sum() < 6:
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # the margin is copied from the image (faint anti-aliased edges), white only beyond the crop
    pad = max(6, int(0.35 * (bottom - top)))
    out = np.full((bottom - top + 2 * pad, right - left + 2 * pad), 255, dtype=np.uint8)
    y0, y1 = max(0, top - pad), min(grey.shape[0], bottom + pad)
    x0, x1 = max(0, left - pad), min(grey.shape[1], right + pad)
    out[y0 - (top - pad) : y1 - (top - pad), x0 - (left - pad) : x1 - (left - pad)] = grey[y0:y1, x0:x1]
    return out


def line_bands(cell: np.ndarray) -> list[np.ndarray]:
    """Split a prepared cell into its text lines (horizontal bands of ink separated by white rows)."""
    ink = [bool(v) for v in np.asarray(_ink_mask(cell).any(axis=1)).ravel()]
    bands: list[tuple[int, int]] = []
    start: int | None = None
    for y, has_ink in enumerate(ink):
        if has_ink and start is None:
            start = y
        elif not has_ink and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(ink)))
    tall = max((b - a for a, b in bands), default=0)
    # accents of noise (a band far thinner than the text) merge into their neighbour instead of splitting
    bands = [(a, b) for a, b in bands if b - a >= 0.35 * tall]
    if len(bands) <= 1:
        return [cell]
    out = []
    for a, b in bands:
        pad = max(4, int(0.25 * (b - a)))
        band = np.full((b - a + 2 * pad, cell.shape[1]), 255, dtype=np.uint8)
        band[pad : pad + b - a] = cell[a:b]
        out.append(band)
    return out
