"""The PDF layer: open a file safely, read every page's text and drawing statistics, triage pages."""

from __future__ import annotations

import ctypes
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extract.cells import PageChar, page_chars, reading_order_text, reading_turns

#: A page with at least this many vector path objects is ruled (holds a lattice table).
MIN_RULING_PATHS = 8
#: A small table ruled between its rows only (a header and three rows) draws this many: its grid is read
#: (``extract.text_columns``) though the page is not counted as ruled.
MIN_ROW_RULED_PATHS = 4
#: An image covering this share of a page makes it a candidate for the raster ruling path.
RASTER_IMAGE_SHARE = 0.5


class DocumentReadError(Exception):
    """The file cannot be read as a PDF we can process; the message names the file and page."""

    def __init__(self, source_file: str, reason: str, page: int | None = None) -> None:
        self.source_file = source_file
        self.reason = reason
        self.page = page
        where = f", page {page}" if page else ""
        super().__init__(f"{source_file}{where}: {reason}")


@dataclass(frozen=True)
class PageInfo:
    """What one page holds, read with pdfium in a few milliseconds."""

    number: int  # 1-based
    text: str
    width: float
    height: float
    rotation: int
    n_paths: int
    image_share: float  # largest image's share of the page area
    #: every printed character with its box (displayed page, top-left origin), for cell text
    chars: tuple[PageChar, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_ruled(self) -> bool:
        """True when the page draws enough vector lines to hold a ruled table."""
        return self.n_paths >= MIN_RULING_PATHS

    @property
    def may_hold_grid(self) -> bool:
        """True when the page draws enough lines for a table, if only between its rows."""
        return self.n_paths >= MIN_ROW_RULED_PATHS

    @property
    def is_landscape(self) -> bool:
        """True when the page is wider than tall once its rotation is applied."""
        w, h = (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)
        return w > h


_GARBLED = re.compile(r"\(cid:\d+\)|\ufffd")
#: control characters no real text layer holds: what glyph codes without a ToUnicode map decode to
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Latin-1 letters and signs a Chinese budget never prints, but glyph codes decode to (¤¦¬¯ úû …); the signs
#: Chinese text does use (· × ÷ ° ±) are left out
_STRAY_LATIN = re.compile(r"[\u00a0-\u00ff]")
_CHINESE_SIGNS = set("·×÷°±")


def unreadable_share(text: str) -> float:
    """Share of a text's glyphs that are no character a Chinese budget prints (controls, U+FFFD, stray Latin-1)."""
    stripped = re.sub(r"\s+", "", text)
    if not stripped:
        return 0.0
    stray = sum(1 for ch in _STRAY_LATIN.findall(stripped) if ch not in _CHINESE_SIGNS)
    return (len(_CONTROLS.findall(stripped)) + stripped.count("\ufffd") + stray) / len(stripped)


def text_is_garbled(text: str) -> bool:
    """True when a text layer is mostly unmappable glyphs ((cid:N), U+FFFD, raw glyph codes).

    A font re-encoded without a ToUnicode map (a PDF printed through PostScript and distilled) decodes to
    its glyph codes: control characters and stray Latin letters, and not one Chinese character.
    """
    stripped = re.sub(r"\s+", "", text)
    if not stripped:
        return False
    bad = _GARBLED.findall(stripped)
    glyphs = len(stripped) - sum(len(b) for b in bad) + len(bad)  # one (cid:N) is one glyph
    unreadable = len(bad) + len(_CONTROLS.findall(stripped))
    if unreadable / glyphs > 0.3:
        return True
    if glyphs >= 20 and unreadable / glyphs > 0.05 and not _CJK.search(stripped):
        return True
    # one font of the page without a map (its body), the others fine (its bold headers): a share of stray glyphs
    return glyphs >= 40 and unreadable_share(stripped) > 0.15


def check_pdf_bytes(data: bytes, source_file: str) -> None:
    """Raise DocumentReadError unless ``data`` starts like a PDF and ends with an EOF marker."""
    if not data:
        raise DocumentReadError(source_file, "empty file")
    if b"%PDF-" not in data[:1024]:
        raise DocumentReadError(source_file, "not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentReadError(source_file, "truncated PDF (no %%EOF marker at the end)")


def _page_objects(page: pdfium.PdfPage, area: float) -> tuple[int, float]:
    """Vector path objects on a page (inside forms too, 3 levels deep) and the largest image's share of its area.

    Walks pdfium's object lists directly: a ruled page holds thousands of path objects and a Python
    wrapper per object would cost more than the rest of the page's triage.
    """
    count_paths = 0
    best = 0.0
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    path_type, image_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM
    get_type = pdfium_c.FPDFPageObj_GetType
    stack: list[tuple[Callable[[Any, int], Any], Any, int, int]] = [
        (pdfium_c.FPDFPage_GetObject, page.raw, pdfium_c.FPDFPage_CountObjects(page.raw), 0)
    ]
    while stack:
        get, parent, n, depth = stack.pop()
        for i in range(n):
            obj = get(parent, i)
            kind = get_type(obj)
            if kind == path_type:
                count_paths += 1
            elif kind == image_type and area and pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                best = max(best, abs((right.value - left.value) * (top.value - bottom.value)) / area)
            elif kind == form_type and depth < 2:
                stack.append((pdfium_c.FPDFFormObj_GetObject, obj, pdfium_c.FPDFFormObj_CountObjects(obj), depth + 1))
    return count_paths, best


def read_pages(path: Path, source_file: str, max_pages: int | None = None, data: bytes | None = None) -> list[PageInfo]:
    """Open the PDF with pdfium and return one PageInfo per page.

    Parameters
    ----------
    path
        The PDF file.
    source_file
        The document's name for messages.
    max_pages
        Refuse a document claiming more pages, before any page is loaded (a page tree can claim a
        million pages in a kilobyte).
    data
        The file's bytes when the caller has already read and checked them (``path`` is not read again).

    Returns
    -------
    list[PageInfo]
        Per page: text in printed reading order, characters with their boxes, size, rotation, the
        number of vector paths and the largest image's share (for triage).

    Raises
    ------
    DocumentReadError
        Not a PDF, truncated, encrypted with a user password, damaged, without pages or with too many.

    """
    if data is None:
        data = path.read_bytes()
        check_pdf_bytes(data, source_file)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise DocumentReadError(source_file, "encrypted with a user password (cannot open)") from exc
        raise DocumentReadError(source_file, f"damaged or unsupported PDF ({exc})") from exc
    pages: list[PageInfo] = []
    try:
        if max_pages is not None and len(pdf) > max_pages:
            raise DocumentReadError(source_file, f"claims {len(pdf)} pages; the limit is {max_pages} (FISCAL_LIMIT_PAGES)")
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                width, height = page.get_size()
                chars = tuple(page_chars(page, reading_turns(page)))
                text = reading_order_text(chars)
                n_paths, image_share = _page_objects(page, width * height)
                pages.append(
                    PageInfo(
                        number=index + 1,
                        text=text.replace("\r\n", "\n").replace("\r", "\n"),
                        width=width,
                        height=height,
                        rotation=page.get_rotation(),
                        n_paths=n_paths,
                        image_share=image_share,
                        chars=chars,
                    )
                )
            finally:
                page.close()
    finally:
        pdf.close()
    if not pages:
        raise DocumentReadError(source_file, "the PDF has no pages")
    return pages


def needs_ocr(page: PageInfo) -> bool:
    """True when a page's text layer cannot be read: no characters on an image page, or unmappable glyphs."""
    no_text = len(re.sub(r"\s+", "", page.text)) < 5
    return (no_text and page.image_share >= RASTER_IMAGE_SHARE) or text_is_garbled(page.text)


def check_text_layer(pages: list[PageInfo], source_file: str) -> None:
    """Raise DocumentReadError for the first page whose text layer is unusable (scan or garbled font)."""
    for page in pages:
        if needs_ocr(page):
            raise DocumentReadError(source_file, f"no text layer on page {page.number} (scanned?)", page.number)


def is_encrypted(path: Path) -> bool:
    """True when the PDF carries a security handler (an owner password, with or without a user one)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        return int(pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw)) != -1
    finally:
        pdf.close()


def write_decrypted_copy(path: Path, target: Path) -> Path:
    """Save a copy without the security handler, for readers that honour copy restrictions (camelot)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        # FPDF_REMOVE_SECURITY: government releases forbid copying with an owner password only;
        # the content is public and readable, the restriction would stop text extraction
        pdf.save(str(target), flags=pdfium_c.FPDF_REMOVE_SECURITY)
    finally:
        pdf.close()
    return target


@contextmanager
def readable_copy(path: Path) -> Iterator[Path]:
    """Yield ``path``, or a temporary decrypted copy of it when it is owner-password protected."""
    if not is_encrypted(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="fiscal-decrypted-") as folder:
        yield write_decrypted_copy(path, Path(folder) / "decrypted.pdf")
