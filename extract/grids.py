"""camelot finds the rulings of ruled pages, pdfium's characters fill the cells: ruled pages in, CellGrids out."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from extract.cells import GridGeometry, PageChar, cell_texts, page_chars
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, CellGrid
from extract.pdf import RASTER_IMAGE_SHARE, PageInfo

#: Below this many ruled pages a second process costs more than it saves.
PARALLEL_MIN_PAGES = 10
#: camelot's text layout only has to say where text lines are (for its accuracy figure): cell text comes from
#: pdfium. No vertical-text detection also keeps camelot from "de-rotating" a page, so its coordinates are
#: always those of the page as displayed, like pdfium's characters.
LAYOUT_KWARGS: dict[str, Any] = {"boxes_flow": None, "detect_vertical": False, "all_texts": False}

_pool: ProcessPoolExecutor | None = None


def triage(pages: Sequence[PageInfo]) -> tuple[list[int], list[int]]:
    """Split pages into (vector-ruled pages, pages whose ruling is only in an image)."""
    vector = [p.number for p in pages if p.is_ruled]
    raster = [
        p.number
        for p in pages
        if not p.is_ruled and p.image_share >= RASTER_IMAGE_SHARE and len(p.text.strip()) >= 20
    ]
    return vector, raster


def _edges(cell: Any) -> int:
    """Bit flags of the rulings camelot found around one cell."""
    return (
        (EDGE_LEFT if cell.left else 0)
        | (EDGE_RIGHT if cell.right else 0)
        | (EDGE_TOP if cell.top else 0)
        | (EDGE_BOTTOM if cell.bottom else 0)
    )


def _read_chunk(
    path: str, pages: list[int], engine: str, known_chars: Mapping[int, Sequence[PageChar]] | None = None
) -> tuple[list[CellGrid], list[tuple[int | None, str]]]:
    """Run camelot lattice on some pages of one file; fill the cells from the pages' characters.

    ``known_chars`` are characters already read per page (read_pages reads them for the page text);
    pages not in it are read here (worker processes read their own).
    """
    import camelot  # imported here: the import costs 0.5 s and worker processes need it anyway

    notes: list[tuple[int | None, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = camelot.read_pdf(
            path,
            pages=",".join(str(p) for p in pages),
            flavor="lattice",
            engine=engine,
            suppress_stdout=True,
            layout_kwargs=LAYOUT_KWARGS,
        )
    for w in caught:
        text = str(w.message)
        page = next((int(tok) for tok in re.findall(r"page-([0-9]+)", text)), None)
        notes.append((page, text))
    grids: list[CellGrid] = []
    pdf = pdfium.PdfDocument(path)
    try:
        chars: dict[int, tuple[float, Sequence[PageChar]]] = {}
        for table in tables:
            number = int(table.page)
            if number not in chars:
                page = pdf[number - 1]
                try:
                    known = known_chars.get(number) if known_chars is not None else None
                    chars[number] = (page.get_size()[1], known if known is not None else page_chars(page))
                finally:
                    page.close()
            height, page_text = chars[number]
            grids.append(_grid_from_table(table, number, height, page_text))
    finally:
        pdf.close()
    return grids, notes


def _grid_from_table(table: Any, page: int, height: float, chars: Sequence[PageChar]) -> CellGrid:
    """One CellGrid from camelot's rulings and the page's characters (camelot's own cell text is not used)."""
    xs = (table.cols[0][0], *(right for _, right in table.cols))
    # camelot's rows run top to bottom in y-up coordinates of the displayed page
    ys = (height - table.rows[0][0], *(height - bottom for _, bottom in table.rows))
    edges = tuple(tuple(_edges(c) for c in row) for row in table.cells)
    texts = cell_texts(GridGeometry(tuple(xs), tuple(ys), edges), chars)
    report = {k: float(v) for k, v in table.parsing_report.items() if isinstance(v, int | float)}
    report["outside_chars_pct"] = round(texts.outside_pct, 3)
    return CellGrid(page=page, cells=texts.cells, edges=edges, parsing_report=report, boxes=texts.boxes)


def _get_pool() -> ProcessPoolExecutor:
    """A process pool kept for the life of the process (spawned once, reused for every document)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def read_grids(
    path: Path,
    vector_pages: Sequence[int],
    raster_pages: Sequence[int] = (),
    parallel: bool | None = None,
    pages: Sequence[PageInfo] = (),
) -> tuple[list[CellGrid], list[tuple[int | None, str]]]:
    """Extract the ruled grids of the given pages, in page order, with camelot's warnings.

    ``pages`` (from read_pages) lend their characters to the in-process path instead of reading them again.
    """
    jobs: list[tuple[list[int], str]] = []
    vector = sorted(vector_pages)
    if parallel is None:
        parallel = len(vector) >= PARALLEL_MIN_PAGES and (os.cpu_count() or 1) > 1
    if vector:
        if parallel:
            half = (len(vector) + 1) // 2
            jobs += [(vector[:half], "vector"), (vector[half:], "vector")]
        else:
            jobs.append((vector, "vector"))
    if raster_pages:
        jobs.append((sorted(raster_pages), "raster"))
    results: list[tuple[list[CellGrid], list[tuple[int | None, str]]]]
    if parallel and len(jobs) > 1:
        pool = _get_pool()
        futures = [pool.submit(_read_chunk, str(path), chunk, engine) for chunk, engine in jobs]
        results = [f.result() for f in futures]
    else:
        known = {p.number: p.chars for p in pages if p.chars}
        results = [_read_chunk(str(path), chunk, engine, known) for chunk, engine in jobs]
    grids = [g for chunk, _ in results for g in chunk]
    notes = [n for _, chunk_notes in results for n in chunk_notes]
    grids.sort(key=lambda g: g.page)  # stable: camelot's top-to-bottom order within a page stays
    return grids, notes
