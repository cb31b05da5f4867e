"""The CJK fonts every reportlab PDF embeds: registering the committed subsets, rebuilding them.

A subset of WenQuanYi Micro Hei (and of WenQuanYi Zen Hei, the second font of ``two-fonts``) is
committed in ``samples/fonts/``: a machine without CJK fonts, as CI is, must still read the Chinese
text.  ``make_font_subsets`` rebuilds them from the system fonts (Debian ``fonts-wqy-microhei``,
``fonts-wqy-zenhei``; needs fontTools, the ``gen`` extra); the same input gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .seed import SEED

HERE = Path(__file__).resolve().parent
FONTS = HERE.parent / "fonts"
# TrueType (glyf) fonts reportlab embeds as subsets; (registered name, committed subset, system source)
FONT_FILES = {
    "WQYMicroHei": (
        FONTS / "wqy-microhei-subset.ttf",
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ),
    "WQYZenHei": (  # the second font of the two-fonts variant
        FONTS / "wqy-zenhei-subset.ttf",
        Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    ),
}
FONT = "WQYMicroHei"  # every text of every generated PDF
SECOND_FONT = "WQYZenHei"  # titles and header cells of the two-fonts variant
# the sources whose literal strings the reportlab PDFs can print
PRINTING = [HERE.parent / "make_seed_pdf.py"] + [
    HERE / f"{name}.py" for name in ("seed", "fonts", "style", "cells", "layout", "draw", "pdf", "budget")
]


def register_fonts(text: str = "") -> None:
    """Register the committed font subsets; fail if text has a character they lack."""
    for name, (path, _) in FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames() and path.exists():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    covered = pdfmetrics.getFont(FONT).face.charToGlyph
    missing = sorted({ch for ch in text if ord(ch) not in covered and ch.isprintable() and ch not in "\t\n"})
    if missing:
        raise ValueError(
            f"{FONT_FILES[FONT][0].name} lacks {''.join(missing[:40])!r}: "
            "add them to subset_chars() and run --make-font-subset"
        )


def subset_chars(extra: str = "", common: bool = True) -> set[str]:
    """Return the characters a font subset carries.

    Everything the generator can print: the seed text, every character of its sources (their
    literal strings, PRINTING), printable ASCII, CJK and full-width punctuation; with common, also
    the 3,755 GB2312 level-1 hanzi, so that a seed with another department or city still renders.
    """
    chars = set(SEED.read_text(encoding="utf-8")) | set(extra)
    for source in PRINTING:
        chars |= set(source.read_text(encoding="utf-8"))
    chars |= {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    chars |= set(
        "\u00b7\u00d7\u00f7\u2014\u2015\u2018\u2019\u201c\u201d\u2026\u2030\u2103\u2116\u2160\u2161\u2162\u2163\u2164"
    )
    if common:
        for hi in range(0xB0, 0xD8):
            for lo in range(0xA1, 0xFF):
                try:
                    chars.add(bytes([hi, lo]).decode("gb2312"))
                except UnicodeDecodeError:
                    pass
    return {ch for ch in chars if ch.isprintable() and ch != "\ufeff"}


def make_font_subset(source: Path, out: Path, chars: set[str], font_number: int = 0) -> int:
    """Write a TrueType subset of a system font (a .ttc face) holding chars; return its size.

    Keeps every name record (copyright, license), drops hinting; the same input gives the same bytes.
    """
    from fontTools import subset  # the gen extra: only needed to rebuild the committed subsets
    from fontTools.ttLib import TTFont as FontToolsFont

    font = FontToolsFont(str(source), fontNumber=font_number, recalcTimestamp=False, lazy=False)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.layout_features = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(ch) for ch in chars))
    subsetter.subset(font)
    absent = {ch for ch in chars if ord(ch) not in font.getBestCmap()}
    if absent - {chr(c) for c in range(0x3000, 0x3040)} - {chr(c) for c in range(0xFF01, 0xFF5F)}:
        print(f"{source.name} has no glyph for {len(absent)} characters: {''.join(sorted(absent))[:60]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return out.stat().st_size


def make_font_subsets() -> None:
    """Rebuild every committed font subset from its system font."""
    for name, (path, source) in FONT_FILES.items():
        if not source.exists() and path.exists():
            print(f"{path}: kept ({source} is not installed)")
            continue
        size = make_font_subset(source, path, subset_chars(common=name == FONT))
        print(f"{path}: {size:,} bytes from {source}")
