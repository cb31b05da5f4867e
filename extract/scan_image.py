"""A scanned page's image: rendered, grey with a red 公章 taken out, and its ink (with or without rulings).

Everything after works on these arrays: turning the page upright (extract/scan_upright.py), finding its
rulings (extract/scan_grids.py) and its text lines (extract/scan_lines.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pypdfium2 as pdfium

#: Resolution pages are rendered at for OCR (a 10 pt character is ≈ 40 px high: what the recognisers like).
SCAN_DPI = 300
#: The longest side (pixels) a page is rendered at: A3 at 300 dpi.
MAX_RENDER_SIDE = 4961


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


def ink_of(grey: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0 (adaptive threshold: uneven scans and JPEG noise stay apart from print)."""
    import cv2

    blurred = cv2.medianBlur(grey, 3)
    return cv2.adaptiveThreshold(255 - blurred, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 15, -8)


def without_rulings(ink: np.ndarray) -> np.ndarray:
    """Ink without its long horizontal and vertical lines (frames, underlines): text rows stay apart."""
    import cv2

    height, width = ink.shape
    lines = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(width // 20, 10), 1))),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(height // 20, 10)))),
    )
    return cv2.bitwise_and(ink, cv2.bitwise_not(lines))
