"""What a scanned cell's reading is (a code, an amount, a label) and how it is kept: as it is printed.

Recognisers answer ASCII brackets, a comma read as a point, the punctuation of a dropped ordinal; the
cell reader (extract/scan_cells.py) keeps each reading the way the page prints it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extract.ocr_engines import Kind, OcrText

_NUMERIC = re.compile(r"^[-−(（]?[\d,，.]*\d[\d,，.]*[)）]?$")
_CODE = re.compile(r"^\d{1,7}$")


def is_label(read: OcrText) -> bool:
    """A confident reading of printed words (two or more Chinese characters): 合计, a header, a subject's name."""
    return read.confidence >= 0.9 and len(re.findall(r"[\u4e00-\u9fff]", read.text)) >= 2


def kind_of(text: str) -> Kind:
    """What a first reading looks like: a code (digits only), an amount (digits with separators) or text."""
    t = re.sub(r"\s+", "", text)
    if _CODE.match(t):
        return "code"
    if _NUMERIC.match(t):
        return "amount"
    return "text"


def settled(read: OcrText, kind: Kind) -> tuple[OcrText, Kind]:
    """A constrained reading as it is kept, with its kind: an amount of digits alone (no point) is a code."""
    if kind == "amount" and _CODE.match(read.text) and "." not in read.text:
        kind = "code"
    return as_kept(read, kind), kind


def as_kept(read: OcrText, kind: Kind) -> OcrText:
    """A reading as it is kept: an amount with its separators as printed, any other as read."""
    return _separators(read) if kind == "amount" else read


def printed_label(read: OcrText) -> OcrText:
    """A text reading as printed: brackets full-width, without the punctuation and dashes recognisers add."""
    return _tidy_label(_full_width_brackets(read))


_SEPARATED = re.compile(r"^([-−(]?)(\d{1,3}(?:[.,]\d{3})+)[.,](\d{1,2})([)]?)$")


def _separators(read: OcrText) -> OcrText:
    """An amount's separators as printed: of two or more, the last is the decimal point, the others commas.

    Only when the last is followed by one or two digits: "1.638.45" is 1,638.45 (a comma read as a point).
    """
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
    if not re.search(r"[\u4e00-\u9fff]", read.text) or not re.search(r"[()]", read.text):
        return read
    table = str.maketrans({"(": "（", ")": "）"})
    return replace(read, text=read.text.translate(table), alternatives=tuple((t.translate(table), c) for t, c in read.alternatives))
