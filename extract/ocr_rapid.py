"""The rapidocr engine: PP-OCRv4 through rapidocr-onnxruntime 1.4.4, with CTC decoding constrained per cell kind.

Cell recognition runs the recognition model directly and decodes its CTC output here, so that ``amount``
and ``code`` cells are decoded over the allowed characters only: the model's dictionary columns are
summed into them (the probability of '（' counts for '(', of 'O'-like shapes goes to the digits).
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from extract.ocr_crops import line_bands, prepare_cell
from extract.ocr_engines import CODE_CHARS, Kind, OcrLine, OcrText, engine_threads, require_module
from extract.ocr_text import ASCII_OF, alternatives, joined, kept_confidences, mean_confidence, tidy

if TYPE_CHECKING:
    from PIL import Image


class RapidOcrEngine:
    """PP-OCRv4 through rapidocr-onnxruntime 1.4.4, with CTC decoding constrained per cell kind."""

    name = "rapidocr"

    def __init__(self, threads: int | None = None) -> None:
        require_module(
            "rapidocr_onnxruntime",
            "the rapidocr engine needs rapidocr-onnxruntime 1.4.4 (its wheel ships the models): "
            "pip install -c constraints.txt -e '.[ocr]' (see the Makefile's install target)",
        )
        self._threads = engine_threads(threads)
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
                ascii_char = ASCII_OF.get(char, char) if kind == "amount" else char
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
        text = tidy("".join(chars), kind)
        if text != "".join(chars):  # spaces removed: confidences follow the kept characters
            confs = kept_confidences(chars, confs, text)
            seconds = []
            inserts = []
        others = alternatives(list(text), confs, seconds, inserts)
        return OcrText(text, mean_confidence(confs) if text else 0.0, tuple(confs), others)

    def _read_lines(self, lines: list[np.ndarray], kind: Kind) -> list[OcrText]:
        """Recognise grey line images (one model batch)."""
        return [self._decode(p, kind) for p in self._logits(lines)]

    def recognise(self, image: Image.Image, kind: Kind) -> OcrText:
        """Read one cropped cell image; amounts and codes decoded over their allowed characters only."""
        cell = prepare_cell(image)
        if cell is None:
            return OcrText("", 1.0, ())
        bands = line_bands(cell) if kind == "text" else [cell]
        return joined(self._read_lines(bands, kind))

    def recognise_batch(self, images: list[Image.Image], kinds: list[Kind]) -> list[OcrText]:
        """``recognise`` over many cells at once: one model run per batch of similar widths (faster)."""
        lines: list[tuple[int, Kind, np.ndarray]] = []
        blank: set[int] = set()
        for index, (image, kind) in enumerate(zip(images, kinds, strict=True)):
            cell = prepare_cell(image)
            if cell is None:
                blank.add(index)
                continue
            lines += [(index, kind, band) for band in (line_bands(cell) if kind == "text" else [cell])]
        parts: dict[int, list[OcrText]] = {}
        for (index, kind, _), probs in zip(lines, self._logits([band for _, _, band in lines]), strict=True):
            parts.setdefault(index, []).append(self._decode(probs, kind))
        return [OcrText("", 1.0, ()) if i in blank else joined(parts.get(i, [])) for i in range(len(images))]

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
