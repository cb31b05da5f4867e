"""The pages that show printed cells: one page per document, and the data-quality page.

A document page shows every table as printed, each amount opening its page image with the cell
outlined, and the document's findings beside the cells they concern. The data-quality page lists
``v_data_quality``, each finding opening the page image of its cells.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from warehouse.site.cells import Cell, Finding, cells_of_finding, document_cells, document_tables, shown_cells
from warehouse.site.context import Site
from warehouse.site.data import DepartmentInfo, DocumentInfo, document_slug, quality_rows
from warehouse.site.images import render_pages
from warehouse.site.tables import printed_tables


def write_document_page(site: Site, doc: DocumentInfo, department: DepartmentInfo | None, findings: list[Finding]) -> int:
    """Write one document's page and data script; render its page images once. Returns pages rendered."""
    slug = document_slug(doc.sha256)
    with site.timed("document queries"):
        cells = shown_cells(site.engine, site.quarantine_dir, doc)
        # booked as not loaded, no staged cells kept, yet facts in the warehouse: those are what it has
        if cells is None and doc.facts_loaded:
            cells = document_cells(site.engine, doc.sha256)
        tables = document_tables(site.engine, doc.sha256)
    raw = site.raw_file(doc.sha256)
    raw_missing = not raw.is_file()
    rendered = 0
    pages_info: dict[str, Any] = {"dir": f"../pages/{slug}/", "missing": raw_missing, "pages": {}}
    with site.timed("page images"):
        # a spreadsheet's bytes sit in the raw store too: its facts have no page to show (no boxes)
        if not raw_missing and cells and _is_pdf(raw):
            images = render_pages(raw, site.out / "pages" / slug, {c.page for c in cells})
            rendered = images.rendered
            pages_info["pages"] = {str(k): v for k, v in images.sizes.items()}
    pdf_href = None if raw_missing else _pdf_href(site, raw, slug)
    shown_findings, flagged = _locate_findings(findings, cells or [])
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in shown_findings:
        by_table[finding["table_code"] or ""].append(finding)
    with site.timed("tables"):
        printed = printed_tables(cells or [], tables)
    site.write_data(f"doc-{slug}.js", "FISCAL_PAGES", {doc.sha256: pages_info})
    site.render(
        "document.html.j2",
        f"documents/{slug}.html",
        data_script=f"doc-{slug}.js",
        viewer=True,
        doc=doc,
        department=department,
        tables=printed,
        findings=shown_findings,
        table_findings=by_table,
        flagged=flagged,
        raw_missing=raw_missing,
        cells_missing=cells is None and doc.status == "quarantined",
        pdf_href=pdf_href,
    )
    return rendered


def _pdf_href(site: Site, raw: Path, slug: str) -> str:
    """The document page's link to its PDF: a copy in ``OUT/pdf``, else the raw store's file:// URL."""
    if not site.copy_pdfs:
        return raw.resolve().as_uri()
    target = site.out / "pdf" / f"{slug}.pdf"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(raw, target)  # the raw store and the site on one disk: no second copy
        except OSError:
            shutil.copyfile(raw, target)
    return f"../pdf/{slug}.pdf"


def _locate_findings(findings: Sequence[Finding], cells: Sequence[Cell]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each finding with the boxes of its cells; the CSS class of every cell a finding concerns."""
    shown = []
    flagged: dict[str, str] = {}
    for finding in findings:
        hits = cells_of_finding(finding, cells)
        boxed = [c for c in hits if c.bbox]
        page = boxed[0].page if boxed else (hits[0].page if hits else finding.page)
        for cell in hits:
            css = " has-failure" if finding.outcome == "failure" else " has-finding"
            if flagged.get(cell.key) != " has-failure":
                flagged[cell.key] = css
        shown.append(
            {
                **finding.__dict__,
                "page": page,
                "boxes": _boxes(c for c in boxed if c.page == page),
                "cell_count": len(hits),
                "keys": [c.key for c in hits],
            }
        )
    return shown, flagged


def write_quality_page(site: Site, documents: Sequence[DocumentInfo]) -> None:
    """Write ``OUT/quality.html`` (``v_data_quality``), each finding located on its document's page images."""
    rows = quality_rows(site.engine)
    cells_by_doc: dict[str, list[Cell]] = {}
    known = {d.sha256: d for d in documents}
    for sha in sorted({r["document_sha256"] for r in rows}):
        doc = known.get(sha)
        if doc is not None:
            cells_by_doc[sha] = shown_cells(site.engine, site.quarantine_dir, doc) or []
    pages: dict[str, Any] = {}
    for row in rows:
        sha = row["document_sha256"]
        finding = Finding(sha, 0, row["rule"], row["severity"], row["outcome"], row["table_code"], row["row_label"],
                          row["measure"], row["expected"], row["found"], row["difference"], None, bool(row["accepted"]))  # fmt: skip
        hits = [c for c in cells_of_finding(finding, cells_by_doc.get(sha, [])) if c.bbox]
        page = hits[0].page if hits else None
        row["slug"] = document_slug(sha)
        row["page"] = page
        row["boxes"] = _boxes(c for c in hits if c.page == page)
        row["first_key"] = hits[0].key if hits else ""
        row["accepted"] = bool(row["accepted"])
        if sha not in pages:
            # the document pages rendered these images and recorded their sizes
            sizes = site.out / "pages" / document_slug(sha) / "sizes.json"
            pages[sha] = {
                "dir": f"pages/{document_slug(sha)}/",
                "missing": not site.raw_file(sha).is_file(),
                "pages": json.loads(sizes.read_text()) if sizes.exists() else {},
            }
    site.write_data("quality.js", "FISCAL_PAGES", pages)
    site.render(
        "quality.html.j2",
        "quality.html",
        data_script="quality.js",
        viewer=True,
        rows=rows,
        outcomes=sorted({r["outcome"] for r in rows}),
        statuses=sorted({r["status"] for r in rows}),
        rules=sorted({r["rule"] for r in rows}),
        department_names=sorted({r["department"] for r in rows if r["department"]}),
    )


def _boxes(cells: Iterable[Cell]) -> str:
    """The boxes of the cells that have one, as the page viewer reads them: ``x0,top,x1,bottom;…``."""
    return ";".join(",".join(str(v) for v in c.bbox) for c in cells if c.bbox)


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(1024).lstrip().startswith(b"%PDF-")
