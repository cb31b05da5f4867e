"""The reportlab PDF of the seed report: cover, 目录, 第一部分, the nine 公开 tables, 第三部分.

``build`` writes one layout in one style (optionally encrypted as government releases are);
``build_matrix`` writes the reportlab producer-matrix files with their sidecars.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from .cells import table_pages
from .draw import draw_cover, draw_narrative, draw_table_page, finish_page, narrative, start_page
from .fonts import register_fonts
from .layout import MARGIN, fit_table
from .matrix import write_sidecar
from .seed import SEED, parse_seed, read_seed
from .style import MATRIX, PLAIN, Style, style_of


def build(
    layout: str,
    out: Path,
    seed_path: Path = SEED,
    user_password: str | None = None,
    owner_password: str | None = None,
    style: Style = PLAIN,
) -> list[str]:
    """Write the PDF of one layout; return what each page holds."""
    seed_text = seed_path.read_text(encoding="utf-8")
    register_fonts(seed_text)
    seed = parse_seed(seed_text)
    encrypt = None
    if user_password is not None or owner_password is not None:
        # as government releases do: an owner password forbidding copy/modify, often no user password
        encrypt = StandardEncryption(
            user_password or "", owner_password or "owner", canPrint=1, canModify=0, canCopy=0, canAnnotate=0
        )
    canvas = Canvas(str(out), pagesize=A4, invariant=1, pageCompression=1, encrypt=encrypt)
    canvas.setTitle(f"{seed.department}{seed.year}部门决算")
    draw_cover(canvas, seed)
    contents = ["cover"]
    for lines, toc in ((seed.toc, True), (seed.part1, False)):
        items = narrative(lines, toc)
        while items:
            width, height = start_page(canvas, "portrait")
            done = draw_narrative(canvas, items, width, height)
            if not done:
                raise ValueError(f"paragraph too long for a page: {items[0][1][:20]}")
            finish_page(canvas, width, len(contents), MARGIN["portrait"])
            contents.append("目录" if toc else "第一部分")
            items = items[done:]
    for pages in table_pages(seed.tables, layout, style):
        size, widths = fit_table(pages)
        for k, page in enumerate(pages):
            draw_table_page(canvas, page, size, widths, len(contents))
            contents.append(f"table {page.table.number}" + (" (continued)" if k else ""))
    width, height = start_page(canvas, "portrait")
    draw_narrative(canvas, narrative(seed.part3), width, height)  # one page of it
    finish_page(canvas, width, len(contents), MARGIN["portrait"])
    contents.append("第三部分")
    canvas.save()
    return contents


def build_matrix(outdir: Path, seed_path: Path = SEED) -> list[Path]:
    """Write every producer-matrix file with its sidecar; return the PDFs written."""
    seed = read_seed(seed_path)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, variants in MATRIX.items():
        style = style_of(variants)
        out = outdir / f"reportlab-{name}.pdf"
        build("one-per-page", out, seed_path, style=style)
        generator = f"python samples/make_seed_pdf.py --matrix {outdir.as_posix()}"
        write_sidecar(out, "reportlab", list(variants), style.unit, style.scale, seed, generator)
        written.append(out)
        print(f"{out}: {', '.join(variants)}")
    return written
