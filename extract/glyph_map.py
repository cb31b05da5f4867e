"""Fonts without a Unicode map: learn what each glyph says by reading the rendered page, then keep the text layer.

A PDF printed through a PostScript driver and distilled (and some other producers) embeds its fonts without a
ToUnicode map: the text layer decodes to glyph codes (``extract.pdf.text_is_garbled``), while every glyph is
still drawn where it stands. Reading such a page as a scan throws the exact geometry away. Instead each run of
glyphs (a line's characters up to a column gap) is rendered and recognised as a line of text; where the reading
has one character per glyph, each (font, glyph code) gets a vote for the character read. Codes repeat across the
document (every digit, separator and common character hundreds of times), so the majority is right even where
single readings are not. The decoded characters keep their boxes, and the page goes the text-layer way: rulings,
cells, headers as any vector page.

A document whose glyphs cannot be decoded this way (codes shared by several glyphs, too few agreeing readings,
a page turned sideways) keeps its pages on the scan path (``extract.scan``).
"""

from __future__ import annotations

import ctypes
import difflib
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extract.cells import (
    RADICAL_IDEOGRAPHS,
    PageChar,
    display_matrix,
    display_size,
    reading_order_text,
    reading_turns,
)
from extract.pdf import PageInfo, text_is_garbled, unreadable_share
from extract.rulings import page_rulings

if TYPE_CHECKING:
    from extract.ocr_engines import OcrEngine

#: rendering resolution for the runs' images (a 9 pt glyph ≈ 30 px: what the recognisers read well)
GLYPH_DPI = 250
#: a gap wider than this share of the line's height ends a run (a column rule, a cell's padding)
RUN_GAP = 0.9
#: a code's reading must win at least this share of its votes (else the code names several glyphs)
MIN_AGREEMENT = 0.6
#: share of a page's glyphs that must decode for the page to keep its text layer
MIN_DECODED = 0.97

GlyphKey = tuple[str, str]  # (font: name and program digest, the character pdfium decodes the glyph code to)


@dataclass(frozen=True)
class Glyph:
    """One drawn glyph: its key and its box on the displayed page (points, top-left origin)."""

    key: GlyphKey
    box: PageChar  # the ink's box, as ``extract.cells.page_chars`` gives it
    line: PageChar  # the font's box (ascent to descent): a decimal point stands on its line like a digit


def _font_key(font: object, seen: dict[int, str]) -> str:
    """A font's identity: its base name and a digest of its embedded program (subsets of one font differ)."""
    address = ctypes.cast(font, ctypes.c_void_p).value or 0  # type: ignore[arg-type]
    if address not in seen:
        name = ctypes.create_string_buffer(256)
        pdfium_c.FPDFFont_GetBaseFontName(font, name, 256)
        size = ctypes.c_size_t()
        digest = ""
        if pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size)) and size.value:
            data = (ctypes.c_ubyte * size.value)()
            pdfium_c.FPDFFont_GetFontData(font, data, size.value, ctypes.byref(size))
            digest = hashlib.sha256(bytes(data)[: size.value]).hexdigest()[:16]
        seen[address] = f"{name.value.decode('latin-1')}#{digest}"
    return seen[address]


def page_glyphs(page: pdfium.PdfPage, fonts: dict[int, str] | None = None) -> list[Glyph]:
    """Every visible glyph of an upright page with its font and box (``fonts``: font keys already made)."""
    a, b, c, d, e, f = display_matrix(page, 0)
    fonts = {} if fonts is None else fonts
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        left, right, bottom, top, origin_x, origin_y = (ctypes.c_double() for _ in range(6))
        loose = pdfium_c.FS_RECTF()
        glyphs: list[Glyph] = []
        for i in range(textpage.count_chars()):
            if pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
                continue
            ch = chr(pdfium_c.FPDFText_GetUnicode(raw, i))
            if not pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top):
                continue
            if not ch.strip() and (right.value - left.value < 0.5 or top.value - bottom.value < 0.5):
                continue  # a space; a glyph code that decodes to whitespace still draws ink (a box)
            text_object = pdfium_c.FPDFText_GetTextObject(raw, i)
            font = _font_key(pdfium_c.FPDFTextObj_GetFont(text_object), fonts) if text_object else "?"
            if not ch.strip() or ch in "\ufffd\x00":
                # codes pdfium decodes to one blank character are many glyphs: told apart by their ink's shape
                size = pdfium_c.FPDFText_GetFontSize(raw, i) or 1.0
                pdfium_c.FPDFText_GetCharOrigin(raw, i, origin_x, origin_y)
                ch += "|" + ",".join(
                    str(round(v / size * 16))
                    for v in (right.value - left.value, top.value - bottom.value, left.value - origin_x.value, top.value - origin_y.value)
                )
            xs = (a * left.value + c * bottom.value + e, a * right.value + c * top.value + e)
            ys = (b * left.value + d * bottom.value + f, b * right.value + d * top.value + f)
            box = PageChar(ch, min(xs), min(ys), max(xs), max(ys))
            if pdfium_c.FPDFText_GetLooseCharBox(raw, i, loose):
                lx = (a * loose.left + c * loose.bottom + e, a * loose.right + c * loose.top + e)
                ly = (b * loose.left + d * loose.bottom + f, b * loose.right + d * loose.top + f)
                line = PageChar(ch, min(lx), min(ly), max(lx), max(ly))
            else:
                line = box
            glyphs.append(Glyph((font, ch), box, line))
        return glyphs
    finally:
        textpage.close()


def vertical_rules(page: pdfium.PdfPage) -> list[tuple[float, float, float]]:
    """The page's vertical ruled lines as (x, top, bottom) in displayed top-left points."""
    height = display_size(page, 0)[1]
    return [(x0, height - max(y0, y1), height - min(y0, y1)) for x0, y0, _, y1 in page_rulings(page, 0).vertical]


def _ruled_between(left: Glyph, right: Glyph, rules: Sequence[tuple[float, float, float]]) -> bool:
    """True when a vertical rule runs between two neighbouring glyphs (a cell's edge)."""
    cy = (left.line.cy + right.line.cy) / 2
    return any(left.line.cx < x < right.line.cx and top <= cy <= bottom for x, top, bottom in rules)


def glyph_runs(glyphs: Sequence[Glyph], rules: Sequence[tuple[float, float, float]] = ()) -> list[list[Glyph]]:
    """The glyphs in printed runs: lines (by vertical centre) cut at a vertical rule or a gap wider than ``RUN_GAP``."""
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: g.line.cy):
        height = glyph.line.bottom - glyph.line.top
        if lines and abs(glyph.line.cy - lines[-1][-1].line.cy) <= 0.5 * max(height, 1.0):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    runs: list[list[Glyph]] = []
    for line in lines:
        line.sort(key=lambda g: g.line.x0)
        height = max(g.line.bottom - g.line.top for g in line)
        run = [line[0]]
        for glyph in line[1:]:
            if glyph.line.x0 - run[-1].line.x1 > RUN_GAP * height or _ruled_between(run[-1], glyph, rules):
                runs.append(run)
                run = []
            run.append(glyph)
        runs.append(run)
    return runs


def _run_image(image: object, run: Sequence[Glyph], scale: float) -> object:
    """The run's box cut from the page image, with a margin of a third of its height."""
    x0 = min(g.line.x0 for g in run)
    x1 = max(g.line.x1 for g in run)
    top = min(g.line.top for g in run)
    bottom = max(g.line.bottom for g in run)
    pad = (bottom - top) / 3
    return image.crop(  # type: ignore[attr-defined]
        (int((x0 - pad) * scale), int((top - pad) * scale), int((x1 + pad) * scale) + 1, int((bottom + pad) * scale) + 1)
    )


Reading = tuple[tuple[GlyphKey, ...], str]  # a run's glyph keys and what the recogniser read in its image


def page_readings(page: pdfium.PdfPage, engine: OcrEngine) -> tuple[list[Glyph], list[Reading]]:
    """A page's glyphs, and each of its runs with its reading (whitespace removed, amounts' marks as printed)."""
    glyphs = page_glyphs(page)
    runs = glyph_runs(glyphs, vertical_rules(page))
    scale = GLYPH_DPI / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    images = [_run_image(image, run, scale) for run in runs]
    readings = engine.recognise_batch(images, ["text"] * len(images))  # type: ignore[arg-type]
    return glyphs, [
        (tuple(g.key for g in run), _amount_marks("".join(reading.text.split())))
        for run, reading in zip(runs, readings, strict=True)
    ]


def glyph_votes(readings: Sequence[Reading], known: dict[GlyphKey, str] | None = None) -> dict[GlyphKey, Counter[str]]:
    """Votes for each glyph key's character.

    Without ``known``: from the readings with one character per glyph. With it (a first map): also from the
    others, where the glyphs already known anchor the reading and a stretch of unknown glyphs between two
    anchors faces as many read characters (a reading that lost a character elsewhere in its run).
    """
    votes: dict[GlyphKey, Counter[str]] = defaultdict(Counter)
    for keys, text in readings:
        if len(text) == len(keys):
            for key, ch in zip(keys, text, strict=True):
                votes[key][ch] += 1
        elif known is not None and text:
            decoded = "".join(known.get(key, "\0") for key in keys)
            matcher = difflib.SequenceMatcher(None, decoded, text, autojunk=False)
            for op, a0, a1, b0, b1 in matcher.get_opcodes():
                if op == "replace" and a1 - a0 == b1 - b0 and all(keys[i] not in known for i in range(a0, a1)):
                    for i, ch in zip(range(a0, a1), text[b0:b1], strict=True):
                        votes[keys[i]][ch] += 1
    return votes


def _amount_marks(text: str) -> str:
    """A reading with the marks between digits as amounts print them (a decimal point read as a middle dot)."""
    return re.sub(r"(?<=\d)[·•．。](?=\d)", ".", re.sub(r"(?<=\d)[，、](?=\d)", ",", text))


def readable_fonts(readings: Sequence[Reading]) -> dict[GlyphKey, str]:
    """The glyphs of the fonts whose text layer reads (a page's bold headers, where only its body font has no map).

    A font reads when hardly any of its glyphs decodes to a control character or a stray Latin-1 letter: its
    glyphs keep the characters pdfium decodes them to.
    """
    by_font: dict[str, set[GlyphKey]] = defaultdict(set)
    for keys, _ in readings:
        for key in keys:
            by_font[key[0]].add(key)
    kept: dict[GlyphKey, str] = {}
    for font_keys in by_font.values():
        codes = [code for _, code in font_keys if "|" not in code]
        if len(codes) == len(font_keys) and unreadable_share("".join(codes)) <= 0.02:
            kept.update((key, key[1].translate(RADICAL_IDEOGRAPHS)) for key in font_keys)
    return kept


def glyph_map(votes: dict[GlyphKey, Counter[str]]) -> dict[GlyphKey, str]:
    """Each glyph key's character: its reading's majority, where the readings agree enough."""
    decoded: dict[GlyphKey, str] = {}
    for key, counter in votes.items():
        ch, count = counter.most_common(1)[0]
        if count >= MIN_AGREEMENT * sum(counter.values()):
            decoded[key] = ch
    return decoded


def decode_pages(path: str, pages: Sequence[PageInfo], numbers: Sequence[int], engine: OcrEngine) -> list[PageInfo]:
    """The pages among ``numbers`` whose glyphs decode, with their characters and text read through the glyph map."""
    glyphs_by_page: dict[int, list[Glyph]] = {}
    readings: list[Reading] = []
    pdf = pdfium.PdfDocument(path)
    try:
        for number in numbers:
            page = pdf[number - 1]
            try:
                if reading_turns(page) == 0:  # a page turned sideways stays on the scan path
                    glyphs_by_page[number], page_runs = page_readings(page, engine)
                    readings += page_runs
            finally:
                page.close()
    finally:
        pdf.close()
    readable = readable_fonts(readings)
    first = glyph_map(glyph_votes(readings)) | readable
    # unknown glyphs placed by the known ones; a font whose text layer reads keeps it
    mapping = first | glyph_map(glyph_votes(readings, first)) | readable
    if not mapping:
        return []
    by_number = {p.number: p for p in pages}
    decoded_pages: list[PageInfo] = []
    for number, page_glyph_list in glyphs_by_page.items():
        glyphs = [replace(g, key=_nearest_shape(g.key, mapping)) for g in page_glyph_list]
        known = [g for g in glyphs if g.key in mapping]
        if not glyphs or len(known) < MIN_DECODED * len(glyphs):
            continue
        chars = tuple(replace(g.box, text=mapping[g.key]) for g in known)
        text = reading_order_text(chars)
        if text_is_garbled(text):
            continue
        decoded_pages.append(replace(by_number[number], text=text, chars=chars))
    return decoded_pages


def _nearest_shape(key: GlyphKey, mapping: dict[GlyphKey, str]) -> GlyphKey:
    """A blank-coded glyph's key, or the known key of its font and code whose ink is within a unit of its shape.

    A shape rounds to a neighbouring sixteenth of an em where the glyph is drawn at another size.
    """
    font, code = key
    if key in mapping or "|" not in code:
        return key
    base, _, shape = code.partition("|")
    mine = [int(v) for v in shape.split(",")]
    best: tuple[int, GlyphKey] | None = None
    for other in mapping:
        if other[0] != font or not other[1].startswith(base + "|"):
            continue
        theirs = [int(v) for v in other[1].partition("|")[2].split(",")]
        if all(abs(a - b) <= 1 for a, b in zip(mine, theirs, strict=True)):
            distance = sum(abs(a - b) for a, b in zip(mine, theirs, strict=True))
            if best is None or distance < best[0]:
                best = (distance, other)
    return best[1] if best else key


def decode_glyph_pages(path: str, pages: Sequence[PageInfo], numbers: Sequence[int]) -> list[PageInfo]:
    """``decode_pages`` with this process's OCR engine (run in a pool process, which loads it once)."""
    from extract.ocr_engines import ocr_engine

    return decode_pages(path, pages, numbers, ocr_engine())
