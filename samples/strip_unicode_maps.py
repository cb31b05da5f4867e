"""Make a PDF whose fonts lost their Unicode maps: drop ``/ToUnicode`` from the fonts whose name holds a word.

What some producers publish: the glyphs stand where they should, the text layer decodes to glyph codes. The
committed ``tests/data/pdfs/writer-body-font-without-unicode-map.pdf`` is the Writer matrix rendering with its
regular (body) fonts stripped and its bold (header) fonts kept::

    pip install pikepdf
    python samples/strip_unicode_maps.py tests/data/producers/writer-noto-serif.pdf \\
        tests/data/pdfs/writer-body-font-without-unicode-map.pdf --fonts Regular

Tests only read the committed PDF.
"""

from __future__ import annotations

import argparse

import pikepdf  # type: ignore[import-not-found]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the stripped copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--fonts", default="", help="strip fonts whose base name holds this (default: every font)")
    args = parser.parse_args(argv)
    stripped: set[str] = set()
    with pikepdf.open(args.source) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                name = str(font.get("/BaseFont"))
                if args.fonts in name and "/ToUnicode" in font:
                    del font["/ToUnicode"]
                    stripped.add(name)
        pdf.save(args.target)
    print("stripped:", ", ".join(sorted(stripped)) or "nothing")


if __name__ == "__main__":
    main()
