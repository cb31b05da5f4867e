"""OCR engines behind one small interface: a cell crop or a whole page image in, text with confidences out.

Two engines, both CPU-only and without model downloads at run time (the machine reaches only the
package registries):

- ``rapidocr``: PP-OCRv4 (Chinese + digits) through ``rapidocr-onnxruntime==1.4.4``, whose wheel ships
  the ONNX models. Cell recognition runs the recognition model directly and decodes its CTC output
  ourselves, so that ``amount`` and ``code`` cells are decoded over the allowed characters only
  (the probability of '（' counts for '(', of 'O'-like shapes goes to the digits) (extract/ocr_rapid.py).
- ``tesseract``: Tesseract 5 (Debian ``tesseract-ocr`` + ``tesseract-ocr-chi-sim``) through
  ``pytesseract``; amounts and codes are read with ``tessedit_char_whitelist``, per-character
  confidences and LSTM alternatives come from its hOCR output (extract/ocr_tesseract.py).

Both prepare a cell crop the same way (extract/ocr_crops.py) and assemble their readings the same way
(extract/ocr_text.py). This module holds what the pipeline sees of them: the interface, the readings'
types and the factory. The measured comparison and the choice of the default are in ``docs/ocr.md``
(``benchmarks/ocr.py``). Engines load lazily, once per process: ``ocr_engine()`` returns the same
instance every time.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from PIL import Image

Kind = Literal["amount", "code", "text"]

#: what an ``amount`` cell may contain: digits, separators, a decimal point, a sign (minus or parentheses)
AMOUNT_CHARS = "0123456789,.-−()"
#: what a ``code`` cell (功能分类 / 经济分类 code) may contain
CODE_CHARS = "0123456789"

ENGINES = ("rapidocr", "tesseract")
DEFAULT_ENGINE = "rapidocr"


@dataclass(frozen=True)
class OcrText:
    """One reading of a cell or a line, with the engine's confidences."""

    text: str  # best reading ('' when nothing was read)
    confidence: float  # 0..1 for the whole text (geometric mean of the character confidences)
    char_confidences: tuple[float, ...]  # one per character of text
    # other whole-text readings with their confidence, best first (one character substituted, dropped or
    # inserted where the engine's per-character candidates make it plausible); may be empty
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class OcrLine:
    """A text line found on a page: its box (x0, top, x1, bottom in image pixels) and its reading."""

    box: tuple[float, float, float, float]
    text: OcrText


class OcrEngine(Protocol):
    """What the pipeline needs of an OCR engine."""

    name: str

    def recognise(self, image: Image.Image, kind: Kind) -> OcrText:
        """Read one cropped cell image, constrained by ``kind``."""
        ...

    def read_page(self, image: Image.Image) -> list[OcrLine]:
        """Detect and read every text line of a whole page."""
        ...

    def recognise_batch(self, images: list[Image.Image], kinds: list[Kind]) -> list[OcrText]:
        """``recognise`` over many cells of a page at once (same results; rapidocr batches the model)."""
        ...


class OcrUnavailable(RuntimeError):
    """The engine's package, binary or language data is missing (the message says what to install)."""


def require_module(module: str, install: str) -> None:
    """Raise ``OcrUnavailable`` with ``install`` (what to install) when ``module`` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise OcrUnavailable(install)


def engine_threads(threads: int | None) -> int | None:
    """Intra-op threads for an engine: those asked for, else FISCAL_OCR_THREADS (unset: the runtime's default)."""
    if threads is not None:
        return threads
    value = os.environ.get("FISCAL_OCR_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


_ENGINES: dict[str, OcrEngine] = {}
_FACTORY_LOCK = threading.Lock()


def ocr_engine(name: str | None = None) -> OcrEngine:
    """The named OCR engine (None: FISCAL_OCR_ENGINE, else the measured default), one per process.

    Raises
    ------
    OcrUnavailable
        The engine's package, binary or language data is missing.
    ValueError
        No engine of that name.

    """
    chosen = (name or os.environ.get("FISCAL_OCR_ENGINE") or "").strip().lower()
    if not chosen:
        # the measured default, else (e.g. Python 3.13, where rapidocr-onnxruntime does not install) the other
        try:
            return ocr_engine(DEFAULT_ENGINE)
        except OcrUnavailable as first:
            others = [e for e in ENGINES if e != DEFAULT_ENGINE]
            try:
                return ocr_engine(others[0])
            except OcrUnavailable:
                raise first from None
    name = chosen
    if name not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}: choose one of {', '.join(ENGINES)}")
    # the engines import this module (its types): they are imported here, when one is first asked for
    from extract.ocr_rapid import RapidOcrEngine
    from extract.ocr_tesseract import TesseractEngine

    with _FACTORY_LOCK:
        if name not in _ENGINES:
            _ENGINES[name] = RapidOcrEngine() if name == "rapidocr" else TesseractEngine()
        return _ENGINES[name]
