"""Load benchmark: facts/s of ``warehouse.load.load_document`` into SQLite and PostgreSQL.

It stages the real cells of the Changsha sample (478 published amounts) once, then loads
``--documents`` documents made from them (1,000 by default: 200 departments x 5 fiscal years, each
its own sha256, so every load is a new document with its own dimension rows) one transaction per
document, into
  (a) a new SQLite file in a temp dir, and
  (b) PostgreSQL: a new database on FISCAL_TEST_POSTGRES_URL, else a throwaway cluster started with
      the test suite's own code (tests/conftest.py; as the postgres user when run as root).
Each backend runs in a fresh child process, so the peak RSS printed is that of loading alone
(not of camelot, which ran in the parent).

Baseline, measured in the same run on the same database: the facts of the first
``--baseline-documents`` documents are deleted and inserted again the naive way, one ORM object
and one INSERT (flush) per fact, in one transaction per document. The loader's figure includes
its dimension lookups and bookkeeping; the baseline's does not, so the ratio understates the gain.

    .venv/bin/python benchmarks/load.py [--documents N] [--baseline-documents M] [--backend sqlite|postgresql|both]

Target: >= 20,000 facts/s on both backends.

Each backend also prints how long one 500-fact document takes whose dimension members already
exist (the median of 5 loads after a warm-up load; the figure the loader tests used to assert as
< 2 s). It is printed, not checked.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 20_000
YEARS = (2020, 2021, 2022, 2023, 2024)
SAMPLE = ROOT / "samples" / "changsha_zwfwzx_2020_juesuan.pdf"


@dataclass(frozen=True)
class Template:
    """The staged cells and table summaries every generated document reuses."""

    cells: Any  # pandas DataFrame (stg_cells)
    tables: tuple[Any, ...]
    pages: int


@dataclass(frozen=True)
class Result:
    """What one backend measured."""

    backend: str
    documents: int
    facts: int
    load_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    baseline_facts: int
    baseline_seconds: float
    note: str = ""
    loaders: int = 1
    #: median seconds of one 500-fact document whose dimension members exist
    small_seconds: float = float("nan")

    @property
    def facts_per_second(self) -> float:
        return self.facts / self.load_seconds if self.load_seconds else 0.0

    @property
    def baseline_per_second(self) -> float:
        return self.baseline_facts / self.baseline_seconds if self.baseline_seconds else 0.0


def stage_template() -> Template:
    """Extract and stage the sample PDF (camelot) once."""
    from extract.pdf import read_pages
    from tests.extraction import stage_pdf

    _facts, staged = stage_pdf(SAMPLE)
    return Template(cells=staged.cells, tables=tuple(staged.tables), pages=len(read_pages(SAMPLE, SAMPLE.name)))


def document_for(number: int) -> tuple[Any, Any]:
    """The Document and DocumentFacts of generated document ``number`` (distinct department/year/sha256)."""
    from extract.models import Document, DocumentFacts

    department = f"长沙市基准测试部门{number // len(YEARS):04d}"
    year = YEARS[number % len(YEARS)]
    name = f"bench_{number:05d}_{year}_juesuan.pdf"
    document = Document(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        source=f"https://example.gov.cn/bench/{name}",
        source_file=name,
        path=Path("/nowhere") / name,
        size=1,
    )
    facts = DocumentFacts(
        department=department, fiscal_year=year, phase="决算", unit="万元", title=f"{department}{year}年度部门决算"
    )
    return document, facts


def _load_one(engine: Any, template: Template, number: int) -> tuple[int, float]:
    """Load generated document ``number``; return its facts and the seconds it took."""
    from warehouse.load import load_document

    document, doc_facts = document_for(number)
    t0 = time.perf_counter()
    result = load_document(
        engine,
        document=document,
        facts=doc_facts,
        pages=template.pages,
        stg_cells=template.cells,
        tables=template.tables,
        pipeline_version="bench",
    )
    return result.facts_loaded, time.perf_counter() - t0


_LOADER: dict[str, Any] = {}


def _loader_init(url: str, template: Template) -> None:
    """Loader process: its own engine (connections are never shared between processes)."""
    from warehouse.db import make_engine

    _LOADER["engine"] = make_engine(url)
    _LOADER["template"] = template


def _loader_load(number: int) -> tuple[int, float]:
    """Loader process: load one generated document."""
    return _load_one(_LOADER["engine"], _LOADER["template"], number)


def _loader_peak_rss() -> float:
    """Loader process: its peak RSS in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(
    backend: str, url: str, template: Template, documents: int, baseline_documents: int, note: str, loaders: int = 1
) -> Result:
    """Load the documents into ``url`` (schema migrated first), then run the naive baseline; child-process body.

    With ``loaders`` > 1 the documents are loaded by that many processes at once (each its own
    connection, one transaction per document, as Dask workers of the nightly flow do); the load time
    is then the wall time of the whole load, and the peak RSS the largest of the loader processes.
    """
    from concurrent.futures import ProcessPoolExecutor

    from warehouse.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    if loaders == 1:
        loaded = [_load_one(engine, template, number) for number in range(documents)]
        load_seconds = sum(seconds for _, seconds in loaded)
    else:
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(loaders, ctx, initializer=_loader_init, initargs=(url, template)) as pool:
            pool.submit(_loader_peak_rss).result()  # workers started (imports done) before the clock runs
            started = time.perf_counter()
            loaded = list(pool.map(_loader_load, range(documents), chunksize=10))
            load_seconds = time.perf_counter() - started
            peaks = [pool.submit(_loader_peak_rss).result() for _ in range(loaders * 4)]
    facts = sum(count for count, _ in loaded)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if loaders > 1:
        peak = max([peak, *peaks])
    baseline_facts, baseline_seconds = naive_reload(engine, min(baseline_documents, documents))
    small = small_document_seconds(engine)
    engine.dispose()
    return Result(
        backend, documents, facts, load_seconds, wall, peak, baseline_facts, baseline_seconds, note, loaders, small
    )


def small_document_seconds(engine: Any, repeat: int = 5) -> float:
    """Median seconds of loading a 500-fact document whose dimension members exist (after one warm-up load)."""
    from tests.test_warehouse_load import cell, load, make_document, make_stg

    cells = [
        cell("02", 4 + i // 100, i % 100, 1 + i % 5, f"列{i % 5}", f"{i}.{i % 100:02d}", f=("2010301", "行政运行"))
        for i in range(500)
    ]
    stg = make_stg(cells)
    load(engine, make_document("bench_500_warm.pdf"), stg)  # dimension members exist from here on
    seconds = []
    for number in range(repeat):
        t0 = time.perf_counter()
        load(engine, make_document(f"bench_500_{number}.pdf"), stg)
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def naive_reload(engine: Any, documents: int) -> tuple[int, float]:
    """Delete and re-insert the facts of the first documents one ORM object + one INSERT per fact; time it."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from warehouse.models import Base
    from warehouse.tables import DIM_DOCUMENT, FCT_AMOUNT

    fact_class = next(m.class_ for m in Base.registry.mappers if m.local_table is FCT_AMOUNT)
    columns = [c.name for c in FCT_AMOUNT.c if c.name != "amount_key"]
    total = 0
    seconds = 0.0
    for number in range(documents):
        document, _ = document_for(number)
        with engine.connect() as conn:
            key = conn.execute(
                select(DIM_DOCUMENT.c.document_key).where(DIM_DOCUMENT.c.sha256 == document.sha256)
            ).scalar_one()
            rows = [dict(r._mapping) for r in conn.execute(select(*(FCT_AMOUNT.c[c] for c in columns)).where(FCT_AMOUNT.c.document_key == key))]
        t0 = time.perf_counter()
        with Session(engine) as session, session.begin():
            session.execute(delete(FCT_AMOUNT).where(FCT_AMOUNT.c.document_key == key))
            for row in rows:
                session.add(fact_class(**row))
                session.flush()  # the naive loader: one INSERT round trip per fact
        seconds += time.perf_counter() - t0
        total += len(rows)
    return total, seconds


def _child(
    queue: Any, backend: str, url: str, template: Template, documents: int, baseline: int, note: str, loaders: int
) -> None:
    """Child-process entry: run one backend and send back its Result (or the error)."""
    try:
        queue.put(run_backend(backend, url, template, documents, baseline, note, loaders))
    except BaseException as exc:  # noqa: BLE001 - report any failure to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


def in_child(
    backend: str, url: str, template: Template, documents: int, baseline: int, note: str, loaders: int = 1
) -> Result:
    """Run one backend in a fresh (spawned) process so its peak RSS is the load's alone."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, backend, url, template, documents, baseline, note, loaders))
    process.start()
    outcome = queue.get()
    process.join()
    if isinstance(outcome, str):
        raise RuntimeError(f"{backend}: {outcome}")
    return outcome


def postgres(template: Template, documents: int, baseline: int, loaders: tuple[int, ...] = (1,)) -> list[Result]:
    """Benchmark on FISCAL_TEST_POSTGRES_URL, else on a throwaway cluster (the test suite's own code)."""
    from sqlalchemy import create_engine, text

    from tests.conftest import _admin_url_from_env, _pg_bindir, _ThrowawayCluster

    raw = os.environ.get("FISCAL_TEST_POSTGRES_URL")
    cluster = None
    if raw:
        admin_url = _admin_url_from_env(raw)
        note = "FISCAL_TEST_POSTGRES_URL"
    else:
        bindir = _pg_bindir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL: set FISCAL_TEST_POSTGRES_URL or install postgresql")
        cluster = _ThrowawayCluster(bindir)
        admin_url = cluster.start()
        note = f"throwaway cluster {bindir.parent.name} (fsync=off, synchronous_commit=off)"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    results = []
    try:
        for count in loaders:
            name = f"fiscal_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            try:
                results.append(in_child("postgresql", url, template, documents, baseline, note, count))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return results
    finally:
        admin.dispose()
        if cluster is not None:
            cluster.stop()


def sqlite(template: Template, documents: int, baseline: int, loaders: tuple[int, ...] = (1,)) -> list[Result]:
    """Benchmark on a new SQLite file in a temp dir (WAL, synchronous=NORMAL: the warehouse's own settings)."""
    results = []
    for count in loaders:
        with tempfile.TemporaryDirectory(prefix="fiscal-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            results.append(in_child("sqlite", url, template, documents, baseline, "temp file, WAL, synchronous=NORMAL", count))
    return results


def report(results: list[Result]) -> None:
    """Print one line per backend and the verdict against the target."""
    header = (
        f"{'backend':11} {'loaders':>7} {'docs':>5} {'facts':>8} {'load s':>8} {'facts/s':>9} {'wall s':>7} "
        f"{'peak RSS MB':>11} {'naive facts/s':>13} {'ratio':>6} {'500-fact s':>10}  target  setup"
    )
    print(header)
    for r in results:
        ok = "ok" if r.facts_per_second >= TARGET else "MISSED"
        ratio = r.facts_per_second / r.baseline_per_second if r.baseline_per_second else float("nan")
        print(
            f"{r.backend:11} {r.loaders:7d} {r.documents:5d} {r.facts:8d} {r.load_seconds:8.2f} {r.facts_per_second:9,.0f} "
            f"{r.wall_seconds:7.2f} {r.peak_rss_mb:11.0f} {r.baseline_per_second:13,.0f} {ratio:5.1f}x "
            f"{r.small_seconds:10.3f}  {ok:6}  {r.note}"
        )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, stage the template, run the backends, print the figures; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000, help="documents to load per backend (default 1000)")
    parser.add_argument("--baseline-documents", type=int, default=10, help="documents re-inserted naively (default 10)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--loaders", default="1,2",
        help="concurrent loaders to measure, comma-separated (default 1,2: one at a time, and two at once as "
        "concurrent flow tasks load; each is one transaction per document)",
    )
    args = parser.parse_args(argv)
    loaders = tuple(int(n) for n in args.loaders.split(","))
    t0 = time.perf_counter()
    template = stage_template()
    print(
        f"template: {SAMPLE.name}, {len(template.cells)} facts per document, staged in "
        f"{time.perf_counter() - t0:.1f} s; {args.documents} documents per backend",
        flush=True,
    )
    results = []
    if args.backend in ("sqlite", "both"):
        results += sqlite(template, args.documents, args.baseline_documents, loaders)
    if args.backend in ("postgresql", "both"):
        results += postgres(template, args.documents, args.baseline_documents, loaders)
    report(results)
    best: dict[str, float] = {}
    for r in results:
        best[r.backend] = max(best.get(r.backend, 0.0), r.facts_per_second)
    return 0 if all(v >= TARGET for v in best.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
