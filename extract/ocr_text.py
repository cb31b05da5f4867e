"""What both engines do with what they read: tidy it, score it, join a cell's lines, offer alternatives."""

from __future__ import annotations

import math
import re

from extract.ocr_engines import Kind, OcrText

#: full-width and look-alike characters read as the ASCII one they stand for in amounts
ASCII_OF = {"，": ",", "．": ".", "（": "(", "）": ")", "－": "-", "—": "-", "−": "-", "。": "."}
_MAX_ALTERNATIVES = 6
_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")


def mean_confidence(confs: tuple[float, ...] | list[float]) -> float:
    """Geometric mean: one doubtful character makes the whole text doubtful."""
    if not confs:
        return 0.0
    return float(math.exp(sum(math.log(max(c, 1e-6)) for c in confs) / len(confs)))


def joined(parts: list[OcrText]) -> OcrText:
    """Several lines of one cell read as one text (a wrapped label continues without a separator)."""
    parts = [p for p in parts if p.text]
    if not parts:
        return OcrText("", 0.0, ())
    if len(parts) == 1:
        return parts[0]
    confs = tuple(c for p in parts for c in p.char_confidences)
    return OcrText("".join(p.text for p in parts), mean_confidence(confs), confs)


def tidy(text: str, kind: Kind) -> str:
    """Amounts and codes in ASCII; no spaces between Chinese characters (both engines put some there)."""
    if kind != "text":
        return "".join(ASCII_OF.get(c, c) for c in text if not c.isspace())
    return _CJK_SPACE.sub("", text).strip()


def kept_confidences(chars: list[str], confs: list[float], text: str) -> list[float]:
    """The confidences of the characters of ``chars`` that ``tidy`` kept in ``text`` (else their mean for each)."""
    kept = [c for ch, c in zip(chars, confs, strict=True) if not ch.isspace()]
    return kept if len(kept) == len(text) else [mean_confidence(confs)] * len(text)


def alternatives(
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
            found[text] = max(found.get(text, 0.0), mean_confidence(new_confs))
    for pos, char, prob in inserts:
        text = "".join(chars[:pos] + [char] + chars[pos:])
        found[text] = max(found.get(text, 0.0), mean_confidence(confs + [prob]))
    ranked = sorted(found.items(), key=lambda kv: -kv[1])[:_MAX_ALTERNATIVES]
    return tuple((t, float(c)) for t, c in ranked)
