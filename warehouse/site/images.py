"""Page images for the cell viewer: each page that holds a table rendered once, with pypdfium2, from the raw store.

Images are PNG, grayscale (the documents are black line art: a third of the bytes of colour, no loss),
at :data:`SCALE` pixels per PDF point. pdfium renders the page as displayed (its /Rotate applied), the
same frame the stored cell boxes use, so a box in points times the scale is a box in pixels. A page
already rendered is never rendered again (the name holds the page number; the folder the document's
sha256, so changed bytes are a new folder).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: pixels per PDF point (1.5: 108 dpi, small print stays legible, a page is about 45 KB)
SCALE = 1.5
_SIZES = "sizes.json"


@dataclass(frozen=True)
class PageImages:
    """The rendered pages of one document: page number → (width, height) in PDF points as displayed."""

    folder: Path
    sizes: dict[int, tuple[float, float]]
    rendered: int  # pages rendered by this call (0 when every image existed already)


def render_pages(pdf_path: Path, folder: Path, pages: Iterable[int], scale: float = SCALE) -> PageImages:
    """Render the given 1-based pages of ``pdf_path`` as ``folder/p<N>.png`` unless already there.

    Parameters
    ----------
    pdf_path : Path
        The document's raw bytes (``data/raw/<sha256>.pdf``).
    folder : Path
        Where the images and ``sizes.json`` (each page's displayed size in points) go.
    pages : Iterable[int]
        Page numbers to render (pages out of range are ignored).
    scale : float
        Pixels per point.

    Returns
    -------
    PageImages
        The sizes of every page rendered now or before.

    """
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    sizes_file = folder / _SIZES
    sizes: dict[int, tuple[float, float]] = {}
    if sizes_file.exists():
        sizes = {int(k): (float(v[0]), float(v[1])) for k, v in json.loads(sizes_file.read_text()).items()}
    wanted = sorted({p for p in pages if p not in sizes or not (folder / f"p{p}.png").exists()})
    rendered = 0
    if wanted:
        pdf = pdfium.PdfDocument(str(pdf_path))
        try:
            for number in wanted:
                if not 1 <= number <= len(pdf):
                    continue
                page = pdf[number - 1]
                try:
                    bitmap = page.render(scale=scale, grayscale=True)
                    image = bitmap.to_pil()
                    # the displayed size in points, from the bitmap: pdfium applied /Rotate to both
                    sizes[number] = (round(image.width / scale, 2), round(image.height / scale, 2))
                    image.save(folder / f"p{number}.png", "PNG", compress_level=6)
                    rendered += 1
                finally:
                    page.close()
        finally:
            pdf.close()
        sizes_file.write_text(json.dumps({str(k): list(v) for k, v in sorted(sizes.items())}))
    return PageImages(folder, sizes, rendered)
