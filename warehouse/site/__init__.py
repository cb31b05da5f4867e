"""The report site: a static, offline HTML site of the warehouse with charts and cell-level provenance.

``build_site`` writes ``OUT/index.html`` (departments by region and city, document status, search),
one page per department (plotly charts of the reporting views, amounts in 万元), one page per
document (every table as printed, each amount opening its page image with the cell outlined) and
``OUT/quality.html`` (``v_data_quality``). Data travel as ``<script>`` files and the chart library is
copied into ``OUT/assets`` once, so the site opens from ``file://`` and from any static host. A second
build rewrites only what changed (see :mod:`warehouse.site.build`). ``warehouse.site.browse`` serves the
warehouse with Datasette.

The modules: :mod:`~warehouse.site.data` and :mod:`~warehouse.site.cells` read the warehouse,
:mod:`~warehouse.site.department_pages` and :mod:`~warehouse.site.document_pages` write the pages through a
:class:`~warehouse.site.context.Site`, :mod:`~warehouse.site.charts`, :mod:`~warehouse.site.tables` and
:mod:`~warehouse.site.images` make their charts, printed tables and page images.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from warehouse.site.build import SiteBuilder, SiteResult
from warehouse.site.context import Site


def build_site(
    engine: Engine,
    out: Path,
    raw_dir: Path,
    quarantine_dir: Path,
    *,
    full: bool = False,
    copy_pdfs: bool = True,
) -> SiteResult:
    """Build or refresh the static report site of a warehouse.

    Parameters
    ----------
    engine : Engine
        The warehouse (SQLite or PostgreSQL), migrated.
    out : Path
        The site's folder (made if missing). A site built there before is refreshed: only the pages
        of departments and documents whose inputs changed are written again.
    raw_dir : Path
        The raw store (``data/raw``): the documents' bytes, for page images and the PDF links.
    quarantine_dir : Path
        The quarantine (``data/quarantine``): the cells of documents that did not load.
    full : bool
        Rebuild every page, ignoring what the last build left.
    copy_pdfs : bool
        Put each document's PDF into ``OUT/pdf`` (a hard link when possible) so the site links to it
        wherever it is hosted; otherwise link to the raw store by ``file://`` URL.

    Returns
    -------
    SiteResult
        Counts of what was built, rendered and removed, and the time taken.

    """
    site = Site(engine, out, raw_dir, quarantine_dir, copy_pdfs=copy_pdfs)
    return SiteBuilder(site, full=full).build()


__all__ = ["SiteResult", "build_site"]
