"""Validation benchmark: the validation step's own time per document (GX suites + identities + completeness).

Every document is staged first (not timed). Then, in one process:
  cold      = the first validate() of the process: GX import, context and suites built, first run
  warm      = validate() with the process's GX context reused (median of --repeat runs per document)
  baseline  = the same validation with a new GX context built for every document (what a naive
              pipeline does), measured in the same run; ratio = baseline / warm
and the warm time split into its GX part (one checkpoint run of the document suite merged from the nine
table suites) and its identities part; "9 suites s" is the GX time when every present table type is run
through its own suite, one checkpoint each (the per-table design the merge replaces; what a Data Docs
run adds per document). Target: warm
≤ 0.15 s per document.
Times are wall-clock (time.perf_counter) with CPU time (time.process_time) beside them: on a shared
2-core machine the CPU figure is the steadier one.

    .venv/bin/python benchmarks/validate.py [--repeat N] [PDF ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.15


def default_documents() -> list[Path]:
    """The bundled real documents: both samples and every seed layout (the blank template has no cells)."""
    return [*sorted((ROOT / "samples").glob("*.pdf")), *sorted((ROOT / "tests" / "data" / "seed_layouts").glob("*.pdf"))]


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_of(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds over ``repeat`` calls."""
    runs = [timed(call) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> int:
    """Run the benchmark and print one line per document and a summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("documents", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per document (median reported)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from extract.models import TABLE_CODES
    from tests.extraction import stage_pdf

    documents = args.documents or default_documents()
    staged = {}
    for path in documents:
        _, document = stage_pdf(path)
        staged[path] = document.cells
    print(f"staged {len(staged)} documents (not timed)", file=sys.stderr)

    started, cpu_started = time.perf_counter(), time.process_time()
    import great_expectations  # noqa: F401  - timed on its own: the biggest part of a cold start

    import_seconds = time.perf_counter() - started
    from expectations.gx_suites import runner as gx_runner
    from expectations.validate import validate

    first = next(iter(staged.values()))
    build_seconds, _ = timed(gx_runner.gx_validator)
    run_seconds, _ = timed(lambda: validate(first, phase="决算", present_tables=TABLE_CODES))
    cold_wall = time.perf_counter() - started
    cold_cpu = time.process_time() - cpu_started
    print(
        f"cold (first document, {documents[0].name}): {cold_wall:.2f} s wall / {cold_cpu:.2f} s CPU = "
        f"import great_expectations {import_seconds:.2f} s + context and suites {build_seconds:.2f} s "
        f"+ first validation {run_seconds:.2f} s"
    )

    header = (
        f"{'document':<48} {'cells':>5} {'warm s':>7} {'cpu s':>6} {'gx s':>6} {'ident s':>7} {'9 suites s':>10} "
        f"{'new ctx s':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    warm_walls: list[float] = []
    warm_cpus: list[float] = []
    ratios: list[float] = []
    validator = gx_runner.gx_validator()
    for path, cells in staged.items():
        if cells.empty:
            print(f"{path.name:<48} {0:>5}  (no amounts printed: nothing to validate)")
            continue
        wall, cpu = median_of(lambda c=cells: validate(c, phase="决算", present_tables=TABLE_CODES), args.repeat)
        gx_wall, _ = median_of(lambda c=cells: validator.validate(c), args.repeat)
        identities_wall, _ = median_of(lambda c=cells: validate(c, gx=False), args.repeat)
        per_table_wall, _ = median_of(lambda c=cells: validator.validate_per_table(c), max(1, args.repeat // 2))

        def fresh_context(c: object = cells) -> None:
            gx_runner._VALIDATOR = None  # the baseline: a new GX context and suites for every document
            validate(c, phase="决算", present_tables=TABLE_CODES)  # type: ignore[arg-type]

        baseline_wall, _ = median_of(fresh_context, max(1, args.repeat // 2))
        gx_runner._VALIDATOR = validator
        warm_walls.append(wall)
        warm_cpus.append(cpu)
        ratios.append(baseline_wall / wall)
        print(
            f"{path.name:<48} {len(cells):>5} {wall:>7.3f} {cpu:>6.3f} {gx_wall:>6.3f} {identities_wall:>7.3f} "
            f"{per_table_wall:>10.3f} {baseline_wall:>9.3f} {baseline_wall / wall:>5.1f}x"
        )
    if not warm_walls:
        return 0
    median_wall, median_cpu = statistics.median(warm_walls), statistics.median(warm_cpus)
    print(
        f"\nwarm median {median_wall:.3f} s wall / {median_cpu:.3f} s CPU per document "
        f"(target ≤ {TARGET_SECONDS:.2f} s: {'met' if median_wall <= TARGET_SECONDS else 'NOT met'}); "
        f"new-context baseline {statistics.median(ratios):.1f}x slower (median); "
        f"{validator.runs} checkpoint runs on one context; warm GX is one checkpoint run per document"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
