"""OCR engine benchmark (issue 15): rapidocr against tesseract on the same cell crops of the scanned documents.

Ground truth: the grid cells of the text-layer PDF each scanned copy was made from (tests/data/scanned/*.json
name the source and its pages): their text and their box in PDF points, scaled by dpi/72 onto the scan. A
skewed scan is turned back by the skew recorded in its sidecar first (the pipeline deskews by measurement;
this benchmark measures the engines, not the deskewing). Each non-empty cell is read with its kind (amount:
a number; code: 3-7 digits; text: the rest).

For each engine, in a fresh process each (so model load and peak RSS are its own):
  accuracy  character accuracy (1 - edit distance / length) and whole-cell exact rate, amounts and codes;
            exact rate of text cells (labels)
  1 core    seconds per page (every non-empty cell of the page), FISCAL_OCR_THREADS=1, OMP_THREAD_LIMIT=1
  2 procs   seconds per page with two worker processes sharing the pages (wall time / pages)
  memory    peak RSS of the one-core process (MB)
Baseline, measured in the same run: pypdfium2 rendering the page at the scan's dpi (what any scanned page
costs before OCR); the table prints OCR seconds per page as a multiple of it.

    .venv/bin/python benchmarks/ocr.py [--engines rapidocr,tesseract] [--docs seed-150-p4-6,...] [--pages N]

``--matrix`` runs the pipeline instead (``flows.pipeline.process_document``, the isolated reader, two OCR
processes) on every scanned document of tests/data/scanned: status, recall and precision against the golden
cells of the tables it carries, identity failures, seconds and seconds per page; the text-layer seed PDF
through the same pipeline in the same run is the baseline (× text).

    .venv/bin/python benchmarks/ocr.py --matrix
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCANNED = ROOT / "tests" / "data" / "scanned"

DEFAULT_DOCS = (
    "seed-150-p4-6",
    "seed-300-p4-6",
    "seed-150-skew-p4-6",
    "seed-300-skew-noise-p4-6",
    "seed-150-stamp-p4-6",
    "seed-200-bilevel-p4-6",
)
AMOUNT_RE = re.compile(r"^[-(]?\d{1,3}(,\d{3})*(\.\d+)?\)?$|^[-(]?\d+(\.\d+)?\)?$")
CODE_RE = re.compile(r"^\d{3,7}$")


def kind_of(text: str) -> str:
    """The cell kind the pipeline would ask for."""
    if CODE_RE.match(text):
        return "code"
    if AMOUNT_RE.match(text):
        return "amount"
    return "text"


def truth_cells(
    source: Path, pages: list[int]
) -> dict[int, list[tuple[str, str, tuple[float, float, float, float]]]]:
    """Per source page: (kind, text, box in points) of every non-empty grid cell of the text-layer PDF."""
    from extract.grids import read_grids, triage
    from extract.pdf import read_pages

    infos = read_pages(source, source.name)
    vector, raster = triage(infos)
    grids, _ = read_grids(
        source,
        [p for p in vector if p in pages],
        [p for p in raster if p in pages],
        parallel=False,
        pages=infos,
    )
    out: dict[int, list[tuple[str, str, tuple[float, float, float, float]]]] = {p: [] for p in pages}
    for grid in grids:
        seen: set[tuple[float, float, float, float]] = set()
        for row_texts, row_boxes in zip(grid.cells, grid.boxes, strict=True):
            for text, box in zip(row_texts, row_boxes, strict=True):
                text = re.sub(r"\s+", "", text)
                if not text or box in seen:  # a merged cell repeats its box: read it once
                    continue
                seen.add(box)
                out[grid.page].append((kind_of(text), text, box))
    return out


def crops(doc: str, max_pages: int | None) -> list[dict[str, Any]]:
    """The cell crops of one scanned document, page by page, with their truth."""
    import pypdfium2 as pdfium
    from PIL import Image

    meta = json.loads((SCANNED / f"{doc}.json").read_text(encoding="utf-8"))
    source = ROOT / meta["source"]
    details = meta["page_details"][:max_pages] if max_pages else meta["page_details"]
    truth = truth_cells(source, [d["source_page"] for d in details])
    dpi = meta["dpi"]
    pdf = pdfium.PdfDocument(str(SCANNED / f"{doc}.pdf"))
    pages = []
    for index, detail in enumerate(details):
        started = time.perf_counter()
        image = pdf[index].render(scale=dpi / 72, grayscale=not detail["stamp"]).to_pil()
        render_seconds = time.perf_counter() - started
        if detail["turned_degrees"]:
            image = image.transpose(Image.Transpose.ROTATE_270)
        if detail["skew_degrees"]:
            fill = 255 if image.mode == "L" else (255, 255, 255)
            image = image.rotate(-detail["skew_degrees"], resample=Image.Resampling.BICUBIC, fillcolor=fill)
        cells = []
        for kind, text, (x0, top, x1, bottom) in truth[detail["source_page"]]:
            k = dpi / 72
            cells.append(
                (kind, text, image.crop((round(x0 * k), round(top * k), round(x1 * k), round(bottom * k))))
            )
        pages.append({"doc": doc, "page": index + 1, "dpi": dpi, "render": render_seconds, "cells": cells})
    pdf.close()
    return pages


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def read_page(engine_name: str, page: dict[str, Any]) -> dict[str, Any]:
    """Read every cell of one page; return timings and per-kind errors."""
    from extract.ocr_engines import ocr_engine

    engine = ocr_engine(engine_name)
    started = time.perf_counter()
    read = engine.recognise_batch([c[2] for c in page["cells"]], [c[0] for c in page["cells"]])
    results = [(kind, text, r.text) for (kind, text, _), r in zip(page["cells"], read, strict=True)]
    seconds = time.perf_counter() - started
    stats: dict[str, list[int]] = {}
    misses = []
    for kind, truth, read in results:
        s = stats.setdefault(kind, [0, 0, 0, 0])  # chars, char errors, cells, exact cells
        s[0] += len(truth)
        s[1] += min(len(truth), distance(truth, read))
        s[2] += 1
        s[3] += truth == read
        if truth != read and kind != "text":
            misses.append((truth, read))
    return {
        "doc": page["doc"],
        "page": page["page"],
        "seconds": seconds,
        "render": page["render"],
        "stats": stats,
        "misses": misses,
    }


def one_core(engine_name: str, pages: list[dict[str, Any]], queue: Any) -> None:
    """Worker: load the engine, read every page on one thread, report results and peak RSS."""
    os.environ["FISCAL_OCR_THREADS"] = "1"
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from extract.ocr_engines import ocr_engine

    started = time.perf_counter()
    engine = ocr_engine(engine_name)
    if pages and pages[0]["cells"]:
        engine.recognise(pages[0]["cells"][0][2], "amount")  # the model loads on first use
    load = time.perf_counter() - started
    results = [read_page(engine_name, page) for page in pages]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"load": load, "results": results, "rss_mb": rss})


def _init_worker() -> None:
    """Pool initialiser: one thread per process."""
    os.environ["FISCAL_OCR_THREADS"] = "1"
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _warm(engine_name: str) -> None:
    """Load the engine's model in a pool worker."""
    from PIL import Image

    from extract.ocr_engines import ocr_engine

    ocr_engine(engine_name).recognise(Image.new("L", (40, 20), 255), "amount")


def two_processes(engine_name: str, pages: list[dict[str, Any]]) -> float:
    """Wall seconds per page with two warmed worker processes sharing the pages."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(2, initializer=_init_worker) as pool:
        pool.map(_warm, [engine_name, engine_name])
        started = time.perf_counter()
        pool.starmap(read_page, [(engine_name, page) for page in pages], chunksize=1)
        return (time.perf_counter() - started) / len(pages)


def summarise(engine_name: str, run: dict[str, Any], two: float) -> dict[str, Any]:
    """Accuracy and speed of one engine over all pages."""
    totals: dict[str, list[int]] = {}
    by_doc: dict[str, dict[str, list[int]]] = {}
    for r in run["results"]:
        for kind, s in r["stats"].items():
            for target in (
                totals.setdefault(kind, [0, 0, 0, 0]),
                by_doc.setdefault(r["doc"], {}).setdefault(kind, [0, 0, 0, 0]),
            ):
                for i in range(4):
                    target[i] += s[i]
    per_page = [r["seconds"] for r in run["results"]]
    renders = [r["render"] for r in run["results"]]
    return {
        "engine": engine_name,
        "totals": totals,
        "by_doc": by_doc,
        "page_s": statistics.mean(per_page),
        "render_s": statistics.mean(renders),
        "two_s": two,
        "load_s": run["load"],
        "rss_mb": run["rss_mb"],
        "misses": [m for r in run["results"] for m in r["misses"]],
    }


def char_acc(s: list[int]) -> str:
    """Character accuracy as a percentage."""
    return f"{100 * (1 - s[1] / s[0]):.2f}" if s and s[0] else "-"


def exact(s: list[int]) -> str:
    """Whole-cell exact rate as a percentage."""
    return f"{100 * s[3] / s[2]:.1f}" if s and s[2] else "-"


def matrix() -> None:
    """Every scanned document through the pipeline: what it loads, how exactly, how fast (see the docstring)."""
    import tempfile
    from decimal import Decimal

    from expectations.ocr_corrections import readings_by_row  # noqa: F401 - the pipeline's, imported up front
    from flows.engine import warehouse_engine
    from flows.pipeline import process_document
    from flows.settings import Settings
    from tests.golden import load_golden, score
    from warehouse.compare import document_facts

    folder = Path(tempfile.mkdtemp(prefix="ocr-matrix-"))
    settings = Settings(warehouse_url=f"sqlite:///{folder / 'wh.sqlite'}", data_dir=folder / "data")
    engine = warehouse_engine(settings.warehouse_url)
    started = time.perf_counter()
    text = process_document(ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf", settings, engine)
    text_s = time.perf_counter() - started
    print(f"baseline: the text-layer seed (13 pages) through the pipeline: {text.status}, {text_s:.1f} s\n")
    print("| document | pages | expect | status | recall | precision | identity failures | corrections | s | s/page | × text |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for sidecar in sorted(SCANNED.glob("*.json")):
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        started = time.perf_counter()
        outcome = process_document(sidecar.with_suffix(".pdf"), settings, engine)
        seconds = time.perf_counter() - started
        records = document_facts(engine, outcome.sha256)
        if not records and outcome.status == "quarantined":
            import pandas as pd

            kept = settings.quarantine_dir / f"{outcome.sha256}.cells.csv"
            records = pd.read_csv(kept, dtype=str, keep_default_na=False).to_dict("records") if kept.is_file() else []
        golden = load_golden(meta["golden"])
        factor = Decimal(str(meta.get("scale", "1")))
        cells = [{**c, "amount": str(Decimal(c["amount"]) * factor)} for c in golden["cells"] if c["table"] in meta["tables"]]
        rows = [{**r, "amount": str(r.get("amount_text", r.get("amount")))} for r in records]
        misses, extras = score({**golden, "cells": cells}, rows)
        recall = (len(cells) - len(misses)) / max(len(cells), 1)
        precision = (len(rows) - len(extras)) / max(len(rows), 1)
        failures = sum(1 for r in outcome.reasons if re.match(r"[^:]+: (hierarchy|row|two_sided|cross|economic|three_public)\.", r))
        corrections = sum(1 for n in outcome.notes if "ocr.corrected" in n)
        pages = meta["pages"]
        print(
            f"| {sidecar.stem} | {pages} | {meta['expect']} | {outcome.status} | {recall:.4f} | {precision:.4f} | {failures} "
            f"| {corrections} | {seconds:.1f} | {seconds / pages:.2f} | {seconds / pages / (text_s / 13):.1f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the tables."""
    if argv is None and "--matrix" in sys.argv[1:] or argv is not None and "--matrix" in argv:
        matrix()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--docs", default=",".join(DEFAULT_DOCS))
    parser.add_argument("--pages", type=int, default=None, help="at most N pages per document")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    pages = [page for doc in args.docs.split(",") for page in crops(doc, args.pages)]
    cells = sum(len(p["cells"]) for p in pages)
    print(f"{len(pages)} pages, {cells} non-empty cells from {args.docs}")
    summaries = []
    ctx = mp.get_context("spawn")
    for name in args.engines.split(","):
        queue = ctx.Queue()
        proc = ctx.Process(target=one_core, args=(name, pages, queue))
        proc.start()
        run = queue.get()
        proc.join()
        two = two_processes(name, pages)
        summaries.append(summarise(name, run, two))
    base = summaries[0]["render_s"]
    print(f"\nbaseline: pypdfium2 renders a page in {base * 1000:.0f} ms (mean over the pages, same run)\n")
    print(
        "| engine | amount char acc % | amount cells exact % | code char acc % | code cells exact % | text cells exact % "
        "| s/page 1 core | × render | s/page 2 procs | model load s | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summaries:
        t = s["totals"]
        print(
            f"| {s['engine']} | {char_acc(t.get('amount', []))} | {exact(t.get('amount', []))} | {char_acc(t.get('code', []))} "
            f"| {exact(t.get('code', []))} | {exact(t.get('text', []))} | {s['page_s']:.2f} | {s['page_s'] / base:.0f} "
            f"| {s['two_s']:.2f} | {s['load_s']:.1f} | {s['rss_mb']:.0f} |"
        )
    print("\nper document (amount char acc / amount exact / code exact / text exact, %):\n")
    print("| document | " + " | ".join(s["engine"] for s in summaries) + " |")
    print("|---|" + "---|" * len(summaries))
    for doc in args.docs.split(","):
        row = []
        for s in summaries:
            d = s["by_doc"].get(doc, {})
            row.append(
                f"{char_acc(d.get('amount', []))} / {exact(d.get('amount', []))} / {exact(d.get('code', []))} / {exact(d.get('text', []))}"
            )
        print(f"| {doc} | " + " | ".join(row) + " |")
    for s in summaries:
        print(f"\n{s['engine']}: {len(s['misses'])} amount/code cells misread, e.g. {s['misses'][:12]}")
    if args.json:
        args.json.write_text(json.dumps(summaries, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
