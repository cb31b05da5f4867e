"""Other producers for the producer matrix: matrix documents printed again by a browser, Ghostscript or cairo.

Real 决算 reach the web through many hands: an office file saved as HTML and printed from a browser, a
document printed through a PostScript driver and distilled, a PDF rewritten by a viewer.  Each writes
text and rules its own way (glyph runs and spacing, fonts re-subset or re-encoded, rules as strokes or as
thin filled rectangles, tables split across pages with no repeated header).  A ``Reprint`` takes a matrix
source (an office file or a matrix PDF) and writes ``<stem>.pdf`` with its sidecar, whose golden cells and
scale are those of the source (the content is the same; only the producer differs):

- ``chromium``: the office file saved as HTML by LibreOffice, printed by headless Chromium (Skia/PDF);
- ``ghostscript``: the matrix PDF printed to PostScript and distilled back (``pdf2ps`` + ``ps2pdf``);
- ``cairo``: the matrix PDF rewritten by poppler's ``pdftocairo -pdf``.

The 预算 matrix gets reprints the same way (``folder``).

Needs LibreOffice, Chromium, Ghostscript and poppler-utils (apt), and the CJK fonts of the office matrix.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reprint:
    """One matrix document printed again by another producer."""

    stem: str
    source: str  # a matrix file name (.docx/.xlsx for chromium, .pdf otherwise)
    via: str  # chromium | ghostscript | cairo
    page_css: str = ""  # chromium: extra @page / print CSS (e.g. landscape paper)
    folder: str = "producers"  # the matrix under tests/data: producers (决算) | budget_producers (预算)

    def tags(self) -> list[str]:
        """Return the variant tags this reprint adds to its source's."""
        tags = [f"reprinted-by:{self.via}", f"reprinted-from:{self.source}"]
        if self.page_css:
            tags.append("page-css:" + re.sub(r"\s+", " ", self.page_css.strip()))
        return tags


#: printed to PostScript and distilled back: the fonts lose their ToUnicode maps, the pages go to OCR; not in
#: the matrix (``tests/data/pdfs/ghostscript-distilled-writer.pdf`` is the first of them)
DISTILLED = [
    Reprint("ghostscript-writer", "writer-horizontal-rules.pdf", "ghostscript"),
    Reprint("ghostscript-calc", "calc-wqy-narrow.pdf", "ghostscript"),
]

REPRINTS = [
    Reprint(
        "chromium-writer-html",
        "writer-noto-serif.docx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 15mm; }",
    ),
    Reprint(
        "chromium-calc-html-landscape",
        "calc-serif-yuan-landscape.xlsx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 12mm; }",
    ),
    Reprint(
        "chromium-calc-html-portrait",
        "calc-noto-sans.xlsx",
        "chromium",
        page_css="@page { size: A4 portrait; margin: 12mm; }",
    ),
    Reprint(
        "chromium-calc-html-header-cut",
        "calc-noto-sans.xlsx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 20mm; }",
    ),
    Reprint(
        "chromium-calc-html-orphan-titles",
        "calc-wqy-narrow.xlsx",
        "chromium",
        page_css="@page { size: A4 portrait; margin: 25mm; }",
    ),
    Reprint("cairo-calc", "calc-header-first.pdf", "cairo"),
    # cairo's Unicode maps name Kangxi radicals for 入 支 目 行 金 (⼊ ⽀ ⽬ ⾏ ⾦): the glyph is shared in the font
    Reprint("cairo-chromium-radicals", "chromium-calc-html-portrait.pdf", "cairo"),
    Reprint(
        "chromium-js-writer-html",
        "writer-js-sans-flow.docx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 15mm; }",
        folder="budget_producers",
    ),
    Reprint(
        "chromium-sh-calc-html",
        "calc-sh-noto-sans.xlsx",
        "chromium",
        page_css="@page { size: A4 portrait; margin: 12mm; }",
        folder="budget_producers",
    ),
    Reprint(
        "chromium-sh-calc-html-landscape",
        "calc-sh-noto-sans.xlsx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 10mm; }",
        folder="budget_producers",
    ),
    Reprint(
        "chromium-sh-writer-html",
        "writer-sh-serif-unit.docx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 15mm; }",
        folder="budget_producers",
    ),
    Reprint(
        "chromium-js-writer-spaced-html",
        "writer-js-spaced.docx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 20mm; }",
        folder="budget_producers",
    ),
    Reprint(  # a header alone at a page's foot, its body on the next page
        "chromium-js-calc-html-portrait",
        "calc-js-serif.xlsx",
        "chromium",
        page_css="@page { size: A4 portrait; margin: 15mm; }",
        folder="budget_producers",
    ),
    Reprint(  # a header repeated over a table's closing total alone
        "chromium-sh-writer-repeated-header",
        "writer-sh-wqy-no-contents.docx",
        "chromium",
        page_css="@page { size: A4 landscape; margin: 25mm; }",
        folder="budget_producers",
    ),
    Reprint("cairo-sh-title-box", "calc-sh-wqy-title-box.pdf", "cairo", folder="budget_producers"),
]


def tool_versions() -> dict[str, str]:
    """Return the version of each reprinting tool installed (missing ones left out)."""
    found = {}
    for name, cmd, pattern in (
        ("chromium", ["chromium", "--version"], r"Chromium (\S+)"),
        ("ghostscript", ["gs", "--version"], r"(\S+)"),
        ("cairo", ["pdftocairo", "-v"], r"pdftocairo version (\S+)"),
    ):
        if shutil.which(cmd[0]):
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            match = re.search(pattern, out.stdout + out.stderr)
            if match:
                found[name] = match.group(1)
    return found


def _html_of(office: Path, workdir: Path, page_css: str) -> Path:
    """Save an office file as HTML with LibreOffice; add the print CSS; return the HTML file."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "html",
             "--outdir", str(workdir), str(office)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    html = workdir / (office.stem + ".html")
    if not html.exists():
        raise RuntimeError(f"LibreOffice wrote no HTML for {office}")
    if page_css:
        text = html.read_text(encoding="utf-8", errors="replace")
        html.write_text(text.replace("</head>", f"<style>{page_css}</style></head>", 1), encoding="utf-8")
    return html


def _chromium(html: Path, pdf: Path) -> None:
    """Print an HTML file to PDF with headless Chromium (no header/footer lines)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip


def reprint(r: Reprint, data: Path) -> Path:
    """Print one reprint's source again with its producer into its matrix folder under ``data``; return the PDF."""
    matrix = data / r.folder
    source = matrix / r.source
    pdf = matrix / f"{r.stem}.pdf"
    versions = tool_versions()
    with tempfile.TemporaryDirectory(prefix="reprint-") as tmp:
        work = Path(tmp)
        if r.via == "chromium":
            _chromium(_html_of(source, work, r.page_css), pdf)
        elif r.via == "ghostscript":
            ps = work / "printed.ps"
            subprocess.run(["pdf2ps", str(source), str(ps)], check=True, capture_output=True, timeout=300)
            subprocess.run(["ps2pdf", str(ps), str(pdf)], check=True, capture_output=True, timeout=300)
        elif r.via == "cairo":
            subprocess.run(["pdftocairo", "-pdf", str(source), str(pdf)], check=True, capture_output=True, timeout=300)
        else:
            raise ValueError(f"unknown reprinting producer {r.via!r}")
    base = json.loads((matrix / (Path(r.source).stem + ".json")).read_text(encoding="utf-8"))
    producer = {"chromium": "Chromium Skia/PDF", "ghostscript": "GPL Ghostscript", "cairo": "cairo (pdftocairo)"}[r.via]
    sidecar = {
        **base,
        "producer": f"{producer} {versions.get(r.via, '?')}",
        "variants": [*base["variants"], *r.tags()],
        "generator": f"python samples/make_reprint_matrix.py --only {r.stem}",
    }
    pdf.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return pdf
