"""Turning a scanned page upright: quarter turns when it was scanned on its side, then the skew of its rulings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from extract.scan_image import SCAN_DPI, ink_of, without_rulings
from extract.scan_lines import padded, text_lines_of

if TYPE_CHECKING:
    from extract.ocr_engines import OcrEngine

#: Skew below this (degrees) is left alone; above ``MAX_SKEW`` it is not a skew but a drawing.
MIN_SKEW, MAX_SKEW = 0.05, 5.0


def skew_angle(grey: np.ndarray) -> float:
    """The turn (degrees, as ``rotate`` takes it) that straightens a page, from its long near-horizontal rulings.

    Rulings are found as long horizontal runs of ink (a morphological opening tolerant of a few degrees:
    the page is first smeared a few pixels vertically); each one's angle is fitted through its pixels, and
    the length-weighted median of the angles is the page's skew. Text rows decide it when there are no
    rulings (a narrative page): their smeared blobs are fitted the same way.
    """
    import cv2

    binary = ink_of(grey)
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
    ink = without_rulings(ink_of(grey))
    across, down = _runs(ink, True), _runs(ink, False)
    if down <= 1.3 * max(across, 5):
        return 0
    if engine is None:
        return 1
    from PIL import Image

    best, best_turns = -1.0, 1
    for turns in (1, 3):
        turned = np.ascontiguousarray(np.rot90(grey, k=-turns))
        lines = sorted(text_lines_of(without_rulings(ink_of(turned))), key=lambda s: -(s[2] - s[0]))[:6]
        scores = [
            engine.recognise(Image.fromarray(padded(turned[top:bottom, x0:x1])), "text").confidence
            for x0, top, x1, bottom in lines
        ]
        score = float(np.mean(scores)) if scores else 0.0
        if score > best:
            best, best_turns = score, turns
    return best_turns
