"""Harvest benchmark: N distinct 决算 PDFs served from 127.0.0.1, the nightly flow run twice.

Usage::

    .venv/bin/python benchmarks/harvest.py --documents 100 [--task-runner thread|dask] [--workers 2]

The documents are the seed 决算 report rendered by ``samples/make_seed_pdf.py`` with a distinct
department name each (so each one loads 478 facts for its own department); they are cached under
``--cache`` (default ``/tmp/fiscal-bench-harvest``). The site has paginated listing pages (20
articles each), one article page per document and the PDF as an attachment, like a 预决算公开
column. The Prefect server is started before the clock starts (a warm-up flow). Printed: documents
per minute of the first run, and the unchanged rerun's time as a fraction of the first run, with
the check that the rerun downloaded nothing (every PDF request answered 304) and processed nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))

PER_PAGE = 20
SEED_DEPARTMENT = "长沙市政务服务中心"


def _render(args: tuple[int, str]) -> str:
    """Render document ``n`` (the seed with department 长沙市政务服务<n>中心) unless cached."""
    import make_seed_pdf

    n, folder = args
    out = Path(folder) / f"doc{n:05d}.pdf"
    if out.exists() and out.stat().st_size > 0:
        return str(out)
    seed = Path(folder) / f"seed{n:05d}.txt"
    text = make_seed_pdf.SEED.read_text(encoding="utf-8")
    seed.write_text(text.replace(SEED_DEPARTMENT, f"长沙市政务服务{n:05d}中心"), encoding="utf-8")
    tmp = out.with_suffix(".tmp")
    make_seed_pdf.build("one-per-page", tmp, seed)
    tmp.replace(out)
    seed.unlink()
    return str(out)


def generate(count: int, folder: Path) -> list[Path]:
    """The ``count`` documents, rendered in two processes and cached in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        paths = [Path(p) for p in pool.map(_render, [(n, str(folder)) for n in range(count)], chunksize=8)]
    print(f"documents ready: {count} in {folder} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return paths


def build_site(paths: list[Path]):  # type: ignore[no-untyped-def]
    """A 预决算公开 column: paginated listing → article → PDF attachment."""
    from tests.test_harvest_site import FakeSite

    site = FakeSite()
    pages = max(1, -(-len(paths) // PER_PAGE))
    for page in range(pages):
        name = "index.html" if page == 0 else f"index_{page}.html"
        items = "\n".join(
            f'<li><a href="../art/{n}.html">长沙市政务服务{n:05d}中心2020年度部门决算</a></li>'
            for n in range(page * PER_PAGE, min(len(paths), (page + 1) * PER_PAGE))
        )
        nav = f'<a href="index_{page + 1}.html">下一页</a>' if page + 1 < pages else ""
        html = f'<html><head><meta charset="gbk"></head><body><ul>{items}</ul>{nav}</body></html>'
        site.add(f"/list/{name}", html.encode("gbk"), content_type="text/html")
    for n, path in enumerate(paths):
        site.add(f"/art/{n}.html", f'<html><body><a href="/files/{202100000 + n}.pdf">附件</a></body></html>')
        site.add(f"/files/{202100000 + n}.pdf", path.read_bytes())
    return site, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fiscal-bench-harvest")
    parser.add_argument("--task-runner", choices=("thread", "dask"), default="thread")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    paths = generate(args.documents, args.cache)
    site, pages = build_site(paths)
    work = Path(tempfile.mkdtemp(prefix="fiscal-bench-harvest-run-"))
    sources = work / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: bench\n"
        "    kind: http_listing\n"
        f"    start_urls: ['{site.url('/list/index.html')}']\n"
        "    article_pattern: '/art/\\d+\\.html$'\n"
        "    link_pattern: '\\.pdf$'\n"
        f"    pagination: {{next_pattern: 下一页, max_pages: {pages + 1}}}\n"
        "    depth: 2\n"
        "    politeness: {concurrency: 8, delay: 0}\n",
        encoding="utf-8",
    )
    params = {"warehouse_url": f"sqlite:///{work / 'warehouse.sqlite'}", "data_dir": str(work / "data"),
              "sources_file": str(sources)}

    from prefect import flow

    from flows.harvest import nightly, task_runner

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        """Start the Prefect server before the clock starts."""

    warm_up()
    runner = task_runner(args.task_runner, workers=args.workers)
    run = nightly.with_options(task_runner=runner)
    parallel = False if args.task_runner == "dask" else None

    started = time.perf_counter()
    first = run(parallel=parallel, **params)
    first_s = time.perf_counter() - started
    before = len(site.log)
    started = time.perf_counter()
    second = run(parallel=parallel, **params)
    second_s = time.perf_counter() - started
    rerun_pdf_statuses = {h.status for h in site.log[before:] if h.path.endswith(".pdf")}
    site.close()

    print(first.line())
    print(second.line())
    print(
        f"documents: {args.documents}  task runner: {args.task_runner} x{args.workers}  "
        f"first run: {first_s:.1f} s ({args.documents / first_s * 60:.1f} documents/min; crawl+download "
        f"{sum(r.seconds for r in first.reports):.1f} s)  unchanged rerun: {second_s:.2f} s "
        f"= {second_s / first_s:.1%} of the first  (rerun PDF answers: {sorted(rerun_pdf_statuses)}, "
        f"documents processed: {len(second.outcomes)})"
    )
    print(f"extrapolated to 1,000 documents: {first_s / args.documents * 1000 / 60:.1f} min")
    ok = (first.count("loaded") == args.documents and rerun_pdf_statuses == {304} and not second.outcomes
          and second.unchanged == args.documents)
    print("checks:", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
