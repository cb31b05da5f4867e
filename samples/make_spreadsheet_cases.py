"""Build the spreadsheet test documents that need LibreOffice or an encryption tool (tests only read them).

From the producer matrix's ``tests/data/producers/calc-noto-sans.xlsx`` (the seed 决算 as a Calc workbook):

- ``calc-noto-sans.xls``: the same workbook saved by LibreOffice as legacy Excel 97 (BIFF8);
- ``tests/data/spreadsheets/formulas.xlsx``: every 小计 of 公开05表 and the 合计 row written as ``=SUM(…)``
  formulas, recalculated and saved by LibreOffice so that each formula carries its cached value;
- ``tests/data/spreadsheets/password.xlsx``: the workbook encrypted with a password (msoffcrypto-tool,
  the ``gen`` extra): an OLE2 file holding an ``EncryptedPackage``.

Usage::

    .venv/bin/python samples/make_spreadsheet_cases.py
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "producers" / "calc-noto-sans.xlsx"
OUT = ROOT / "tests" / "data" / "spreadsheets"


def convert(source: Path, target_format: str, out_dir: Path) -> Path:
    """Open ``source`` in LibreOffice Calc (which recalculates) and save it as ``target_format`` into ``out_dir``."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target_format,
             "--outdir", str(out_dir), str(source)],
            check=True, capture_output=True, timeout=180,
        )
    return out_dir / f"{source.stem}.{target_format.split(':')[0]}"


def with_formulas(target: Path) -> None:
    """公开05表 with its 小计 column and 合计 row as formulas (no cached values until LibreOffice saves it)."""
    book = openpyxl.load_workbook(BASE)
    sheet = book["公开05表"]
    body = [r for r in range(8, sheet.max_row + 1) if isinstance(sheet.cell(r, 4).value, int | float)]
    for r in body:
        sheet.cell(r, 3).value = f"=D{r}+E{r}"  # 小计 = 基本支出 + 项目支出
    classes = [r for r in body if len(str(sheet.cell(r, 1).value or "")) == 3]
    for col in "DE":
        sheet[f"{col}7"] = "=" + "+".join(f"{col}{r}" for r in classes)  # 合计 = the 类 rows
    sheet["C7"] = "=D7+E7"
    book.save(target)


def encrypted(source: Path, target: Path, password: str = "fiscal") -> None:
    """``source`` encrypted with ``password`` (ECMA-376 agile encryption)."""
    import msoffcrypto.format.ooxml

    with source.open("rb") as plain:
        office = msoffcrypto.format.ooxml.OOXMLFile(plain)
        out = io.BytesIO()
        office.encrypt(password, out)
    target.write_bytes(out.getvalue())


def main() -> None:
    """Write the three documents."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sheet-cases-") as tmp:
        folder = Path(tmp)
        xls = convert(BASE, "xls", folder)
        shutil.copyfile(xls, BASE.with_suffix(".xls"))
        raw = folder / "formulas-raw" / "formulas.xlsx"
        raw.parent.mkdir()
        with_formulas(raw)
        saved = convert(raw, "xlsx:Calc MS Excel 2007 XML", folder)
        shutil.copyfile(saved, OUT / "formulas.xlsx")
        encrypted(BASE, OUT / "password.xlsx")
    for path in (BASE.with_suffix(".xls"), OUT / "formulas.xlsx", OUT / "password.xlsx"):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
