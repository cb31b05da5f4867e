"""The tesseract engine: Tesseract 5 (LSTM) through pytesseract, the fallback where rapidocr cannot install.

Amounts and codes are read with ``tessedit_char_whitelist``; per-character confidences and the LSTM's
runner-ups (for the alternatives) come from its hOCR output.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING
from xml.etree import ElementTree  # noqa: S405 - parses hOCR that our own tesseract subprocess wrote

import numpy as np

from extract.ocr_crops import grey_of, line_bands, prepare_cell
from extract.ocr_engines import Kind, OcrLine, OcrText, OcrUnavailable, engine_threads, require_module
from extract.ocr_text import alternatives, joined, kept_confidences, mean_confidence, tidy

if TYPE_CHECKING:
    from PIL import Image

_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_XCONF = re.compile(r"x_confs? ([\d.]+)")


class TesseractEngine:
    """Tesseract 5 (LSTM) through pytesseract: chi_sim for text, eng with a whitelist for amounts/codes."""

    name = "tesseract"

    def __init__(self, threads: int | None = None) -> None:
        require_module("pytesseract", "the tesseract engine needs pytesseract: pip install -c constraints.txt -e '.[ocr]'")
        if shutil.which("tesseract") is None:
            raise OcrUnavailable(
                "the tesseract engine needs the tesseract binary: apt-get install -y tesseract-ocr tesseract-ocr-chi-sim"
            )
        import pytesseract

        languages = set(pytesseract.get_languages(config=""))
        missing = {"chi_sim", "eng"} - languages
        if missing:
            raise OcrUnavailable(
                f"tesseract has no {', '.join(sorted(missing))} language data: "
                "apt-get install -y tesseract-ocr-chi-sim tesseract-ocr-eng"
            )
        # Tesseract's own OpenMP threads oversubscribe small cell images; one per process unless told
        os.environ.setdefault("OMP_THREAD_LIMIT", str(engine_threads(threads) or 1))

    @staticmethod
    def _config(kind: Kind, psm: int) -> tuple[str, str]:
        """Language and command-line config for one kind of cell."""
        base = f"--psm {psm} -c hocr_char_boxes=1 -c lstm_choice_mode=2"
        if kind == "amount":
            return "eng", base + " -c tessedit_char_whitelist=0123456789,.-()"
        if kind == "code":
            return "eng", base + " -c tessedit_char_whitelist=0123456789"
        return "chi_sim", base

    def _hocr(
        self, image: Image.Image | np.ndarray, kind: Kind, psm: int
    ) -> list[tuple[tuple[float, ...], OcrText]]:
        """Run tesseract once and read its hOCR: per line, the box and the text with char confidences."""
        import pytesseract
        from PIL import Image as PILImage

        pil = PILImage.fromarray(image) if isinstance(image, np.ndarray) else image
        lang, config = self._config(kind, psm)
        hocr = pytesseract.image_to_pdf_or_hocr(pil, lang=lang, extension="hocr", config=config)
        return _parse_hocr(hocr, kind)

    def recognise(self, image: Image.Image, kind: Kind) -> OcrText:
        """Read one cropped cell image; amounts and codes with tesseract's character whitelist."""
        cell = prepare_cell(image)
        if cell is None:
            return OcrText("", 1.0, ())
        # the LSTM models read best at a text height of 30-40 px: small scans are enlarged first
        if cell.shape[0] < 48:
            import cv2

            scale = 48 / cell.shape[0]
            cell = cv2.resize(cell, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        bands = line_bands(cell) if kind == "text" else [cell]
        parts = []
        for band in bands:
            lines = self._hocr(band, kind, psm=7)
            parts.append(joined([t for _, t in lines]))
        return joined(parts)

    def recognise_batch(self, images: list[Image.Image], kinds: list[Kind]) -> list[OcrText]:
        """``recognise`` over many cells (one tesseract run each: no batching to gain)."""
        return [self.recognise(image, kind) for image, kind in zip(images, kinds, strict=True)]

    def read_page(self, image: Image.Image) -> list[OcrLine]:
        """Tesseract's own page layout analysis (psm 3) over the whole page, one OcrLine per text line."""
        grey = grey_of(image)
        return [
            OcrLine((box[0], box[1], box[2], box[3]), text)
            for box, text in self._hocr(grey, "text", psm=3)
            if text.text
        ]


def _parse_hocr(hocr: bytes, kind: Kind) -> list[tuple[tuple[float, ...], OcrText]]:
    """Lines of a tesseract hOCR document with per-character confidences and LSTM runner-ups."""
    root = ElementTree.fromstring(hocr)  # noqa: S314 - our own subprocess's output
    out = []
    for line in root.iter():
        if line.get("class") not in ("ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat"):
            continue
        box = _BBOX.search(line.get("title", ""))
        chars: list[str] = []
        confs: list[float] = []
        seconds: list[tuple[str, float]] = []
        for word_index, word in enumerate(w for w in line.iter() if w.get("class") == "ocrx_word"):
            if word_index and kind == "text":
                chars.append(" ")
                confs.append(1.0)
                seconds.append(("", 0.0))
            for span in word:
                if span.get("class") != "ocrx_cinfo":
                    continue
                title = span.get("title", "")
                if "x_bboxes" in title:  # an emitted character
                    conf = _XCONF.search(title)
                    chars.append(span.text or "")
                    confs.append(float(conf.group(1)) / 100 if conf else 0.0)
                    seconds.append(("", 0.0))
                elif (span.get("id") or "").startswith("lstm_choices") and chars:
                    choices = [
                        (c.text or "", float(m.group(1)) / 100)
                        for c in span
                        if (m := _XCONF.search(c.get("title", ""))) is not None
                    ]
                    others = [c for c in choices if c[0] != chars[-1] and c[1] > 0]
                    if others:
                        seconds[-1] = max(others, key=lambda c: c[1])
        raw = "".join(chars)
        text = tidy(raw, kind)
        if not text:
            continue
        if text != raw:
            confs = kept_confidences(chars, confs, text)
            seconds = []
        coords = tuple(float(v) for v in box.groups()) if box else (0.0, 0.0, 0.0, 0.0)
        out.append(
            (
                coords,
                OcrText(text, mean_confidence(confs), tuple(confs), alternatives(list(text), confs, seconds, [])),
            )
        )
    return out
