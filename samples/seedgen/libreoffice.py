"""Printing the office producer-matrix documents to PDF with LibreOffice (``soffice --headless``).

``build`` writes a variant's source (.xlsx or .docx), prints it with ``soffice --convert-to pdf``
(fonts embedded as subsets) and writes the sidecar.  Needs LibreOffice (calc + writer),
fonts-noto-cjk and fonts-wqy-microhei (apt) and the ``gen`` extra (openpyxl, python-docx, fonttools).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from .calc import calc_workbook
from .matrix import write_sidecar
from .office import Variant
from .seed import read_seed
from .writer import writer_document


def soffice_version() -> str:
    """Return the version of the installed LibreOffice (7.4.7.2)."""
    out = subprocess.run(["soffice", "--version"], capture_output=True, text=True, check=True).stdout
    return re.search(r"LibreOffice (\d+(?:\.\d+)+)", out).group(1)  # type: ignore[union-attr]


def to_pdf(source: Path, outdir: Path) -> Path:
    """Print an office file to PDF with a throwaway LibreOffice profile."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = outdir / (source.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice wrote no PDF for {source}")
    return pdf


def build(v: Variant, out: Path, version: str) -> Path:
    """Write a variant's source document, its PDF and its sidecar into out; return the PDF."""
    seed = read_seed()
    out.mkdir(parents=True, exist_ok=True)
    source = out / f"{v.stem}.{'xlsx' if v.app == 'calc' else 'docx'}"
    (calc_workbook if v.app == "calc" else writer_document)(seed, v, source)
    pdf = to_pdf(source, out)
    producer = f"LibreOffice {'Calc' if v.app == 'calc' else 'Writer'} {version}"
    generator = f"python samples/make_office_matrix.py --only {v.stem}"
    write_sidecar(pdf, producer, v.tags(), v.unit, v.scale, seed, generator)
    return pdf
