"""Ruled pages in, CellGrids out: rulings and characters from pdfium, grid geometry by camelot's lattice."""

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

from extract.cells import GridGeometry, PageChar, cell_texts, display_size, page_chars, reading_turns
from extract.limits import cap_address_space
from extract.models import EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT, EDGE_TOP, CellGrid
from extract.pdf import RASTER_IMAGE_SHARE, PageInfo
from extract.rulings import WHITESPACE_REJECT, grids_of, page_rulings
from extract.text_columns import with_text_columns

#: Below this many ruled pages a second process costs more than it saves.
PARALLEL_MIN_PAGES = 10
#: For image-ruled pages camelot lays out the text too; its text is not used (cell text comes from pdfium).
#: No vertical-text detection keeps camelot from "de-rotating" a page, so its coordinates are always those
#: of the page as displayed, like pdfium's characters.
LAYOUT_KWARGS: dict[str, Any] = {"boxes_flow": None, "detect_vertical": False, "all_texts": False}

_pool: ProcessPoolExecutor | None = None


def triage(pages: Sequence[PageInfo]) -> tuple[list[int], list[int]]:
    """Split pages into (pages whose ruling is vector paths, pages whose ruling is only in an image)."""
    raster = [
        p.number
        for p in pages
        if not p.is_ruled and p.image_share >= RASTER_IMAGE_SHARE and len(p.text.strip()) >= 20
    ]
    vector = [p.number for p in pages if p.may_hold_grid and p.number not in raster]
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
    """Read the ruled grids of some pages of one file and fill their cells from the pages' characters.

    Vector pages: rulings from pdfium, grids by camelot's lattice geometry (extract.rulings). Pages whose
    ruling is only in an image: camelot's raster lattice. ``known_chars`` are characters already read per
    page (read_pages reads them for the page text); pages not in it are read here (worker processes).
    """
    notes: list[tuple[int | None, str]] = []
    tables: dict[int, list[Any]] = {}
    if engine == "raster":
        tables = _camelot_tables(path, pages, notes)
    grids: list[CellGrid] = []
    pdf = pdfium.PdfDocument(path)
    try:
        for number in pages:
            page = pdf[number - 1]
            try:
                # camelot's raster lattice works on the page as displayed; our rulings turn with the text
                page_turns = reading_turns(page)
                turns = 0 if engine == "raster" else page_turns
                known = known_chars.get(number) if known_chars is not None and turns == page_turns else None
                chars = known if known is not None else page_chars(page, turns)
                height = display_size(page, turns)[1]
                found = (
                    tables.get(number, []) if engine == "raster"
                    else grids_of(with_text_columns(page_rulings(page, turns), chars, height))
                )  # fmt: skip
            finally:
                page.close()
            kept = [_grid_from_table(t, number, height, chars) for t in found]
            kept = [g for g in kept if g.parsing_report["whitespace"] < WHITESPACE_REJECT and holds_text(g)]
            for order, grid in enumerate(kept, start=1):
                grid.parsing_report["order"] = float(order)
            if not kept:
                notes.append((number, f"No tables found on page-{number}"))
            grids += kept
    finally:
        pdf.close()
    return grids, notes


#: fewer printed characters than this in a grid: a frame drawn around a word, or strokes of a title drawn as
#: outlines, not a table (a table's header alone prints more)
MIN_GRID_CHARS = 3


def holds_text(grid: CellGrid) -> bool:
    """True when a grid prints enough text to be a table (an empty table still prints its header)."""
    return sum(len("".join(text.split())) for row in grid.cells for text in row) >= MIN_GRID_CHARS


def _camelot_tables(path: str, pages: list[int], notes: list[tuple[int | None, str]]) -> dict[int, list[Any]]:
    """Camelot's raster lattice on some pages (rulings only in an image), tables by page; warnings to notes."""
    import camelot  # imported here: the import costs 0.5 s and only image-ruled pages need it

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = camelot.read_pdf(
            path,
            pages=",".join(str(p) for p in pages),
            flavor="lattice",
            engine="raster",
            suppress_stdout=True,
            layout_kwargs=LAYOUT_KWARGS,
        )
    for w in caught:
        text = str(w.message)
        page = next((int(tok) for tok in re.findall(r"page-([0-9]+)", text)), None)
        notes.append((page, text))
    by_page: dict[int, list[Any]] = {}
    for table in found:
        by_page.setdefault(int(table.page), []).append(table)
    return by_page


def _grid_from_table(table: Any, page: int, height: float, chars: Sequence[PageChar]) -> CellGrid:
    """One CellGrid from a camelot table's geometry and the page's characters (camelot's text is not used).

    The parsing report: ``whitespace`` (share of empty cells, as camelot defines it), ``accuracy`` (100 less
    the share of characters whose word is cut by a ruling) and ``outside_chars_pct`` (characters on a ruling).
    """
    xs = (table.cols[0][0], *(right for _, right in table.cols))
    # camelot's rows run top to bottom in y-up coordinates of the displayed page
    ys = (height - table.rows[0][0], *(height - bottom for _, bottom in table.rows))
    edges = tuple(tuple(_edges(c) for c in row) for row in table.cells)
    texts = cell_texts(GridGeometry(tuple(xs), tuple(ys), edges), chars)
    n_cells = sum(len(row) for row in texts.cells)
    empty = sum(1 for row in texts.cells for text in row if not text.strip())
    report = {
        "accuracy": round(100.0 - texts.split_pct, 2),
        "whitespace": round(100.0 * empty / n_cells, 2) if n_cells else 100.0,
        "page": float(page),
        "outside_chars_pct": round(texts.outside_pct, 3),
    }
    return CellGrid(page=page, cells=texts.cells, edges=edges, parsing_report=report, boxes=texts.boxes)


def _cap_pool_process() -> None:
    """In a pool process of the isolated reader: cap the address space as the reader capped its own."""
    budget = os.environ.get("FISCAL_READER_ADDRESS_BUDGET")
    if budget:
        cap_address_space(int(budget))
    os.environ.setdefault("FISCAL_OCR_THREADS", "1")  # two pool processes share two cores: one thread each


def _get_pool() -> ProcessPoolExecutor:
    """A process pool kept for the life of the process (spawned once, reused for every document)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=_cap_pool_process
        )
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def read_grids(
    path: Path,
    vector_pages: Sequence[int],
    raster_pages: Sequence[int] = (),
    parallel: bool | None = None,
    pages: Sequence[PageInfo] = (),
) -> tuple[list[CellGrid], list[tuple[int | None, str]]]:
    """Extract the ruled grids of the given pages, in page order, with the reader's notes.

    Parameters
    ----------
    path
        The PDF (a readable copy when the original is owner-password protected).
    vector_pages, raster_pages
        1-based pages whose ruling is vector paths, and pages ruled only in an image (``triage``).
    parallel
        Two worker processes (default: for documents with at least ``PARALLEL_MIN_PAGES`` ruled pages).
    pages
        ``read_pages``' pages: they lend their characters to the in-process path instead of reading
        them again.

    Returns
    -------
    tuple[list[CellGrid], list[tuple[int | None, str]]]
        The grids (cell text from the characters, cell boxes, rulings, parsing report) and notes by page
        (pages where no table was found).

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
    known = {p.number: p.chars for p in pages if p.chars}
    if parallel and len(jobs) > 1:
        pool = _get_pool()
        # the pages' characters go along: a page decoded through its glyph map (extract.glyph_map) reads
        # differently from its text layer
        futures = [
            pool.submit(_read_chunk, str(path), chunk, engine, {n: known[n] for n in chunk if n in known})
            for chunk, engine in jobs
        ]
        results = [f.result() for f in futures]
    else:
        results = [_read_chunk(str(path), chunk, engine, known) for chunk, engine in jobs]
    grids = [g for chunk, _ in results for g in chunk]
    notes = [n for _, chunk_notes in results for n in chunk_notes]
    grids.sort(key=lambda g: g.page)  # stable: camelot's top-to-bottom order within a page stays
    return grids, notes
