"""OCR engines behind one small interface: a cell crop or a whole page image in, text with confidences out.

Two engines, both CPU-only and without model downloads at run time (the machine reaches only the
package registries):

- ``rapidocr``: PP-OCRv4 (Chinese + digits) through ``rapidocr-onnxruntime==1.4.4``, whose wheel ships
  the ONNX models. Cell recognition runs the recognition model directly and decodes its CTC output
  ourselves, so that ``amount`` and ``code`` cells are decoded over the allowed characters only
  (the probability of '（' counts for '(', of 'O'-like shapes goes to the digits).
- ``tesseract``: Tesseract 5 (Debian ``tesseract-ocr`` + ``tesseract-ocr-chi-sim``) through
  ``pytesseract``; amounts and codes are read with ``tessedit_char_whitelist``, per-character
  confidences and LSTM alternatives come from its hOCR output.

The measured comparison and the choice of the default are in ``docs/ocr.md`` (``benchmarks/ocr.py``).
Engines load lazily, once per process: ``ocr_engine()`` returns the same instance every time.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol
from xml.etree import ElementTree  # noqa: S405 - parses hOCR that our own tesseract subprocess wrote

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

Kind = Literal["amount", "code", "text"]

#: what an ``amount`` cell may contain: digits, separators, a decimal point, a sign (minus or parentheses)
AMOUNT_CHARS = "0123456789,.-−()"
#: what a ``code`` cell (功能分类 / 经济分类 code) may contain
CODE_CHARS = "0123456789"
#: full-width and look-alike characters read as the ASCII one they stand for in amounts
_ASCII_OF = {"，": ",", "．": ".", "（": "(", "）": ")", "－": "-", "—": "-", "−": "-", "。": "."}

ENGINES = ("rapidocr", "tesseract")
DEFAULT_ENGINE = "rapidocr"
_MAX_ALTERNATIVES = 6


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


# ---------------------------------------------------------------------------------------------- helpers


def _grey(image: Image.Image) -> np.ndarray:
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


def _prepare_cell(image: Image.Image) -> np.ndarray | None:
    """The cell's ink, trimmed to its bounding box with a margin, grey; None when the cell is blank."""
    grey = _grey(image)
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


def _line_bands(cell: np.ndarray) -> list[np.ndarray]:
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


def _joined(parts: list[OcrText]) -> OcrText:
    """Several lines of one cell read as one text (a wrapped label continues without a separator)."""
    parts = [p for p in parts if p.text]
    if not parts:
        return OcrText("", 0.0, ())
    if len(parts) == 1:
        return parts[0]
    confs = tuple(c for p in parts for c in p.char_confidences)
    return OcrText("".join(p.text for p in parts), _mean_conf(confs), confs)


def _mean_conf(confs: tuple[float, ...] | list[float]) -> float:
    """Geometric mean: one doubtful character makes the whole text doubtful."""
    if not confs:
        return 0.0
    return float(math.exp(sum(math.log(max(c, 1e-6)) for c in confs) / len(confs)))


_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")


def _tidy(text: str, kind: Kind) -> str:
    """Amounts and codes in ASCII; no spaces between Chinese characters (both engines put some there)."""
    if kind != "text":
        return "".join(_ASCII_OF.get(c, c) for c in text if not c.isspace())
    return _CJK_SPACE.sub("", text).strip()


def _threads() -> int | None:
    """Intra-op threads per engine from FISCAL_OCR_THREADS (unset: the runtime's own default)."""
    value = os.environ.get("FISCAL_OCR_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


# --------------------------------------------------------------------------------------------- rapidocr


class RapidOcrEngine:
    """PP-OCRv4 through rapidocr-onnxruntime 1.4.4, with CTC decoding constrained per cell kind."""

    name = "rapidocr"

    def __init__(self, threads: int | None = None) -> None:
        if importlib.util.find_spec("rapidocr_onnxruntime") is None:
            raise OcrUnavailable(
                "the rapidocr engine needs rapidocr-onnxruntime 1.4.4 (its wheel ships the models): "
                "pip install -c constraints.txt -e '.[ocr]' (see the Makefile's install target)"
            )
        self._threads = threads if threads is not None else _threads()
        self._lock = threading.Lock()
        self._ocr: Any = None
        self._groups: dict[str, tuple[np.ndarray | None, list[str]]] = {}

    def _model(self) -> Any:
        """The RapidOCR pipeline, loaded on first use (about a second)."""
        with self._lock:
            if self._ocr is None:
                from rapidocr_onnxruntime import RapidOCR

                kwargs: dict[str, Any] = {}
                if self._threads:
                    kwargs["intra_op_num_threads"] = self._threads
                    kwargs["inter_op_num_threads"] = 1
                self._ocr = RapidOCR(**kwargs)
            return self._ocr

    def _grouping(self, kind: Kind) -> tuple[np.ndarray | None, list[str]]:
        """Columns of the model's dictionary summed into the output characters allowed for ``kind``."""
        if kind in self._groups:
            return self._groups[kind]
        characters: list[str] = self._model().text_rec.postprocess_op.character
        matrix: np.ndarray | None = None
        if kind == "text":
            labels = ["", *characters[1:]]
        else:
            allowed = CODE_CHARS if kind == "code" else "0123456789,.-()"
            labels = ["", *allowed]
            matrix = np.zeros((len(characters), len(labels)), dtype=np.float32)
            matrix[0, 0] = 1.0  # CTC blank
            for index, char in enumerate(characters[1:], start=1):
                ascii_char = _ASCII_OF.get(char, char) if kind == "amount" else char
                if ascii_char in allowed:
                    matrix[index, labels.index(ascii_char)] = 1.0
        self._groups[kind] = (matrix, labels)
        return matrix, labels

    def _logits(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """Per-frame character probabilities of the recognition model for each grey line image."""
        rec = self._model().text_rec
        img_h, img_w = rec.rec_image_shape[1], rec.rec_image_shape[2]
        out: list[np.ndarray] = [np.zeros((0, 0))] * len(crops)
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        batch = max(1, int(rec.rec_batch_num))
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            ratio = max([img_w / img_h] + [crops[i].shape[1] / crops[i].shape[0] for i in idx])
            norm = [rec.resize_norm_img(np.repeat(crops[i][:, :, None], 3, axis=2), ratio) for i in idx]
            preds = rec.session(np.stack(norm).astype(np.float32))[0]
            for j, i in enumerate(idx):
                # frames beyond the image's own width are padding: drop them so they add no blanks' doubt
                width = min(math.ceil(img_h * crops[i].shape[1] / crops[i].shape[0]), int(img_h * ratio))
                frames = max(1, math.ceil(preds.shape[1] * width / (img_h * ratio)))
                out[i] = preds[j, :frames]
        return out

    def _decode(self, probs: np.ndarray, kind: Kind) -> OcrText:
        """Greedy CTC decoding over the allowed characters, with per-character candidates."""
        matrix, labels = self._grouping(kind)
        grouped = probs @ matrix if matrix is not None else probs
        frames = np.arange(len(grouped))
        # the two best labels of every frame, and the best non-blank one (for a character the blank hid)
        top2 = (
            np.argpartition(grouped, -2, axis=1)[:, -2:]
            if grouped.shape[1] > 2
            else np.zeros((len(grouped), 2), int)
        )
        swap = grouped[frames, top2[:, 0]] > grouped[frames, top2[:, 1]]
        best, second = np.where(swap, top2[:, 0], top2[:, 1]), np.where(swap, top2[:, 1], top2[:, 0])
        p_best, p_second = grouped[frames, best], grouped[frames, second]
        nonblank = grouped[:, 1:].argmax(axis=1) + 1
        p_nonblank = grouped[frames, nonblank]
        chars: list[str] = []
        confs: list[float] = []
        seconds: list[tuple[str, float]] = []  # per emitted character: the runner-up ('' = drop it)
        inserts: list[tuple[int, str, float]] = []  # (position, char, prob) where a blank narrowly won
        previous = 0
        for frame in range(len(grouped)):
            label = int(best[frame])
            if label != 0 and label != previous:
                chars.append(labels[label])
                confs.append(float(p_best[frame]))
                seconds.append((labels[int(second[frame])], float(p_second[frame])))
            elif label != 0 and chars and float(p_best[frame]) > confs[-1]:
                # the run's most confident frame stands for the character
                confs[-1] = float(p_best[frame])
                seconds[-1] = (labels[int(second[frame])], float(p_second[frame]))
            elif label == 0 and p_nonblank[frame] >= 0.05:
                candidate = labels[int(nonblank[frame])]
                if not chars or candidate != chars[-1]:
                    inserts.append((len(chars), candidate, float(p_nonblank[frame])))
            previous = label
        text = _tidy("".join(chars), kind)
        if text != "".join(chars):  # spaces removed: confidences follow the kept characters
            kept = [c for ch, c in zip(chars, confs, strict=True) if not ch.isspace()]
            confs = kept if len(kept) == len(text) else [_mean_conf(confs)] * len(text)
            seconds = []
            inserts = []
        alternatives = _alternatives(list(text), confs, seconds, inserts)
        return OcrText(text, _mean_conf(confs) if text else 0.0, tuple(confs), alternatives)

    def _read_lines(self, lines: list[np.ndarray], kind: Kind) -> list[OcrText]:
        """Recognise grey line images (one model batch)."""
        return [self._decode(p, kind) for p in self._logits(lines)]

    def recognise(self, image: Image.Image, kind: Kind) -> OcrText:
        """Read one cropped cell image; amounts and codes decoded over their allowed characters only."""
        cell = _prepare_cell(image)
        if cell is None:
            return OcrText("", 1.0, ())
        bands = _line_bands(cell) if kind == "text" else [cell]
        return _joined(self._read_lines(bands, kind))

    def recognise_batch(self, images: list[Image.Image], kinds: list[Kind]) -> list[OcrText]:
        """``recognise`` over many cells at once: one model run per batch of similar widths (faster)."""
        lines: list[tuple[int, Kind, np.ndarray]] = []
        blank: set[int] = set()
        for index, (image, kind) in enumerate(zip(images, kinds, strict=True)):
            cell = _prepare_cell(image)
            if cell is None:
                blank.add(index)
                continue
            lines += [(index, kind, band) for band in (_line_bands(cell) if kind == "text" else [cell])]
        parts: dict[int, list[OcrText]] = {}
        for (index, kind, _), probs in zip(lines, self._logits([band for _, _, band in lines]), strict=True):
            parts.setdefault(index, []).append(self._decode(probs, kind))
        return [OcrText("", 1.0, ()) if i in blank else _joined(parts.get(i, [])) for i in range(len(images))]

    def read_page(self, image: Image.Image) -> list[OcrLine]:
        """Detect the page's text lines (PP-OCR detector, angle classifier) and read each one."""
        ocr = self._model()
        rgb = np.asarray(image.convert("RGB"))
        found, _ = ocr(rgb, use_cls=False, use_rec=False)
        if not found:
            return []
        quads = [np.asarray(q, dtype=np.float32) for q in found]
        crops = ocr.get_crop_img_list(rgb, quads)
        crops, _, _ = ocr.text_cls(crops)
        greys = [np.asarray(c[:, :, 0], dtype=np.uint8) for c in crops]  # red channel: stamps fade
        texts = self._read_lines(greys, "text")
        lines = []
        for quad, text in zip(quads, texts, strict=True):
            if not text.text:
                continue
            xs, ys = quad[:, 0], quad[:, 1]
            lines.append(OcrLine((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())), text))
        return lines


def _alternatives(
    chars: list[str],
    confs: list[float],
    seconds: list[tuple[str, float]],
    inserts: list[tuple[int, str, float]],
) -> tuple[tuple[str, float], ...]:
    """Whole-text readings that differ from the best by one character, ranked by confidence."""
    if not seconds and not inserts:
        return ()
    base = "".join(chars)
    found: dict[str, float] = {}
    for pos, (char, prob) in enumerate(seconds):
        if prob < 1e-4:
            continue
        if char:
            new_confs = confs[:pos] + [prob] + confs[pos + 1 :]
            text = "".join(chars[:pos] + [char] + chars[pos + 1 :])
        else:  # the blank came second: the character may not be there at all
            new_confs = confs[:pos] + confs[pos + 1 :] + [prob]
            text = "".join(chars[:pos] + chars[pos + 1 :])
        if text != base:
            found[text] = max(found.get(text, 0.0), _mean_conf(new_confs))
    for pos, char, prob in inserts:
        text = "".join(chars[:pos] + [char] + chars[pos:])
        found[text] = max(found.get(text, 0.0), _mean_conf(confs + [prob]))
    ranked = sorted(found.items(), key=lambda kv: -kv[1])[:_MAX_ALTERNATIVES]
    return tuple((t, float(c)) for t, c in ranked)


# -------------------------------------------------------------------------------------------- tesseract


class TesseractEngine:
    """Tesseract 5 (LSTM) through pytesseract: chi_sim for text, eng with a whitelist for amounts/codes."""

    name = "tesseract"

    def __init__(self, threads: int | None = None) -> None:
        if importlib.util.find_spec("pytesseract") is None:
            raise OcrUnavailable(
                "the tesseract engine needs pytesseract: pip install -c constraints.txt -e '.[ocr]'"
            )
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
        threads = threads if threads is not None else _threads()
        # Tesseract's own OpenMP threads oversubscribe small cell images; one per process unless told
        os.environ.setdefault("OMP_THREAD_LIMIT", str(threads or 1))

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
        cell = _prepare_cell(image)
        if cell is None:
            return OcrText("", 1.0, ())
        # the LSTM models read best at a text height of 30-40 px: small scans are enlarged first
        if cell.shape[0] < 48:
            import cv2

            scale = 48 / cell.shape[0]
            cell = cv2.resize(cell, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        bands = _line_bands(cell) if kind == "text" else [cell]
        parts = []
        for band in bands:
            lines = self._hocr(band, kind, psm=7)
            parts.append(_joined([t for _, t in lines]))
        return _joined(parts)

    def recognise_batch(self, images: list[Image.Image], kinds: list[Kind]) -> list[OcrText]:
        """``recognise`` over many cells (one tesseract run each: no batching to gain)."""
        return [self.recognise(image, kind) for image, kind in zip(images, kinds, strict=True)]

    def read_page(self, image: Image.Image) -> list[OcrLine]:
        """Tesseract's own page layout analysis (psm 3) over the whole page, one OcrLine per text line."""
        grey = _grey(image)
        return [
            OcrLine((box[0], box[1], box[2], box[3]), text)
            for box, text in self._hocr(grey, "text", psm=3)
            if text.text
        ]


_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_XCONF = re.compile(r"x_confs? ([\d.]+)")


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
        text = _tidy(raw, kind)
        if not text:
            continue
        if text != raw:
            kept = [c for ch, c in zip(chars, confs, strict=True) if not ch.isspace()]
            confs = kept if len(kept) == len(text) else [_mean_conf(confs)] * len(text)
            seconds = []
        coords = tuple(float(v) for v in box.groups()) if box else (0.0, 0.0, 0.0, 0.0)
        out.append(
            (
                coords,
                OcrText(text, _mean_conf(confs), tuple(confs), _alternatives(list(text), confs, seconds, [])),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------- factory

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
    with _FACTORY_LOCK:
        if name not in _ENGINES:
            _ENGINES[name] = RapidOcrEngine() if name == "rapidocr" else TesseractEngine()
        return _ENGINES[name]
