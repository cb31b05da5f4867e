"""Site benchmark: `fiscal site` build time and size, for the 2 samples and for N documents; plotly against Vega-Altair.

1. The two samples (real staged cells, raw bytes in a temp raw store): a full build, its time per
   document and the site's size.
2. ``--documents`` documents (200 by default): the two samples' staged cells loaded under many
   department names (N/2 departments x 2 fiscal years, alternating the samples), each with its own
   raw bytes (the sample's PDF with a trailing comment: a distinct sha256, the same pages) into a temp
   SQLite warehouse. Full build (seconds per document, size per document apart from the chart
   library), a rebuild with nothing changed, and an incremental rebuild after one document changed
   (retracted: its department and its document page are written again).
3. The department charts drawn with plotly (what the site uses) and with Vega-Altair (the same data
   and chart kinds where Vega-Lite has them: no sunburst): seconds to build them per department and
   bytes of the figure JSON, plus the JavaScript each needs once (plotly.min.js; Vega + Vega-Lite +
   vega-embed from ``vl-convert-python``, the ``bench`` extra: Altair's wheel ships no JavaScript).

    .venv/bin/python benchmarks/site.py [--documents N] [--no-altair]

Targets (2-core machine): full build <= 0.5 s per document; incremental rebuild after one changed
document <= 5 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEARS = (2020, 2021)


def folder_size(folder: Path, exclude: Sequence[str] = ()) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name not in exclude)


def load_documents(engine: Any, raw_dir: Path, documents: int) -> list[str]:
    """Load ``documents`` copies of the samples under generated departments and years; their sha256s."""
    from extract.models import Document
    from tests.sample_loads import staged_samples
    from warehouse.load import load_document

    samples = staged_samples()
    shas = []
    for number in range(documents):
        sample = samples[number % len(samples)]
        department = f"基准测试部门{number // (2 * len(YEARS)):04d}-{number % 2}"
        year = YEARS[(number // 2) % len(YEARS)]
        data = sample.document.path.read_bytes() + f"\n% bench {number}\n".encode()
        sha = hashlib.sha256(data).hexdigest()
        (raw_dir / f"{sha}.pdf").write_bytes(data)
        name = f"bench_{number:05d}_{year}.pdf"
        document = Document(sha256=sha, source=f"bench/{name}", source_file=name, path=raw_dir / f"{sha}.pdf", size=len(data))
        facts = dataclasses.replace(sample.facts, department=department, fiscal_year=year)
        load_document(engine, document=document, facts=facts, pages=sample.pages, stg_cells=sample.staged.cells,
                      tables=sample.staged.tables, pipeline_version="bench")  # fmt: skip
        shas.append(sha)
    return shas


def build(engine: Any, out: Path, raw_dir: Path, full: bool = False) -> Any:
    from warehouse.site import build_site

    return build_site(engine, out, raw_dir, raw_dir.parent / "quarantine", full=full)


def samples_figures(work: Path) -> dict[str, Any]:
    from tests.sample_loads import load_samples, staged_samples
    from warehouse.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{work / 'samples.sqlite'}")
    upgrade(engine)
    raw = work / "samples-data" / "raw"
    raw.mkdir(parents=True)
    for sample in staged_samples():
        (raw / f"{sample.document.sha256}.pdf").write_bytes(sample.document.path.read_bytes())
    load_samples(engine)
    result = build(engine, work / "samples-site", raw)
    size = folder_size(work / "samples-site")
    library = (work / "samples-site" / "assets" / "plotly.min.js").stat().st_size
    return {"documents": result.documents, "seconds": result.seconds, "per_document": result.seconds / result.documents,
            "bytes": size, "bytes_without_library": size - library, "timings": result.timings}  # fmt: skip


def many_figures(work: Path, documents: int) -> dict[str, Any]:
    from warehouse.db import make_engine, upgrade
    from warehouse.steward import retract_document

    engine = make_engine(f"sqlite:///{work / 'many.sqlite'}")
    upgrade(engine)
    raw = work / "many-data" / "raw"
    raw.mkdir(parents=True)
    started = time.perf_counter()
    shas = load_documents(engine, raw, documents)
    loading = time.perf_counter() - started
    out = work / "many-site"
    full = build(engine, out, raw)
    library = (out / "assets" / "plotly.min.js").stat().st_size
    size = folder_size(out)
    pdfs = folder_size(out / "pdf")
    unchanged = build(engine, out, raw)
    retract_document(engine, shas[len(shas) // 2], "benchmark: one changed document")
    changed = build(engine, out, raw)
    return {
        "documents": full.documents, "departments": full.departments, "load_seconds": loading,
        "full_seconds": full.seconds, "per_document": full.seconds / full.documents, "timings": full.timings,
        "pages_rendered": full.pages_rendered, "bytes": size, "pdf_bytes": pdfs,
        "bytes_per_document": (size - library - pdfs) / full.documents,
        "unchanged_seconds": unchanged.seconds, "incremental_seconds": changed.seconds,
        "incremental_built": (changed.departments_built, changed.documents_built),
        "engine": engine,
    }  # fmt: skip


def altair_charts(rows: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """The department charts of warehouse.site.charts, in Vega-Altair (no sunburst: Vega-Lite has none)."""
    import altair as alt

    from warehouse.site.charts import function_rows
    from warehouse.site.data import yuan_to_wan

    def wan(value: Any) -> float | None:
        number = yuan_to_wan(value)
        return None if number is None else float(number)

    charts = []
    function = rows["v_expenditure_by_function"]
    _table, _measure, totals = function_rows(function)
    items = [{"subject": f"{r['code']} {r['name']}", "wan": wan(r["amount_yuan"]), "year": int(r["fiscal_year"])}
             for r in totals if r["level"] == "项"]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=items)).mark_bar().encode(
        x=alt.X("wan:Q", title="金额（万元）"), y=alt.Y("subject:N", sort="-x"), tooltip=["subject:N", "wan:Q"]))
    families = [{"subject": f"{r['fiscal_year']} {r['code']} {r['name']}", "family": r["measure"], "wan": wan(r["amount_yuan"])}
                for r in function if r["table_code"] == "03" and r["level"] == "类" and r["measure"] in ("基本支出", "项目支出")]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=families)).mark_bar().encode(
        x="subject:N", y=alt.Y("wan:Q", title="金额（万元）", stack=True), color="family:N"))
    economic = [{"subject": f"{r['code']} {r['name']}", "measure": r["measure"], "wan": wan(r["amount_yuan"])}
                for r in rows["v_basic_expenditure_by_economic"] if r["level"] == "类"]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=economic)).mark_bar().encode(
        x="subject:N", y=alt.Y("wan:Q", title="金额（万元）"), color="measure:N", xOffset="measure:N"))
    three = [{"item": f"{r['fiscal_year']} {r['item']}", "kind": kind, "wan": wan(r[column])}
             for r in rows["v_three_public"] for kind, column in (("预算数", "budget_yuan"), ("决算数", "final_yuan"))]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=three)).mark_bar().encode(
        x="item:N", y=alt.Y("wan:Q", title="金额（万元）"), color="kind:N", xOffset="kind:N"))
    yoy = [{"year": int(r["fiscal_year"]), "subject": f"{r['functional_code']} {r['functional_name']}", "wan": wan(r["amount_yuan"])}
           for r in rows["v_yoy"] if r["level"] == "类"]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=yoy)).mark_line(point=True).encode(
        x="year:O", y=alt.Y("wan:Q", title="金额（万元）"), color="subject:N"))
    execution = [{"subject": f"{r['code']} {r['name']}", "kind": kind, "wan": wan(r[column])}
                 for r in rows["v_budget_execution"] if r["level"] == "类" and r["measure_family"] == "合计"
                 for kind, column in (("预算", "budget_yuan"), ("决算", "final_yuan"))]  # fmt: skip
    charts.append(alt.Chart(alt.Data(values=execution)).mark_bar().encode(
        x="subject:N", y=alt.Y("wan:Q", title="金额（万元）"), color="kind:N", xOffset="kind:N"))
    return charts


def compare_libraries(engine: Any, departments: int = 20) -> dict[str, Any]:
    """Per department: seconds and bytes of the chart JSON, plotly against Vega-Altair; the JS each needs."""
    from warehouse.site import charts as plotly_charts
    from warehouse.site.build import VIEW_COLUMNS
    from warehouse.site.data import read_catalog, view_rows

    deps = [d for d in read_catalog(engine)[0] if d.documents][:departments]
    ids = [d.department_id for d in deps]
    per: dict[str, dict[str, list[dict[str, Any]]]] = {i: {v: [] for v in VIEW_COLUMNS} for i in ids}
    for view, columns in VIEW_COLUMNS.items():
        for row in view_rows(engine, view, columns, ids):
            per[row["department_id"]][view].append(row)
    out: dict[str, Any] = {}
    started = time.perf_counter()
    plotly_bytes = 0
    for dep in ids:
        rows = per[dep]
        function = rows["v_expenditure_by_function"]
        year = max(int(r["fiscal_year"]) for r in function)
        figures = [plotly_charts.expenditure_bar(function, year), plotly_charts.basic_vs_project(function),
                   plotly_charts.basic_by_economic(rows["v_basic_expenditure_by_economic"]),
                   plotly_charts.three_public(rows["v_three_public"]), plotly_charts.year_over_year(rows["v_yoy"]),
                   plotly_charts.budget_execution(rows["v_budget_execution"])]  # fmt: skip
        plotly_bytes += len(json.dumps([f for f in figures if f], ensure_ascii=False, separators=(",", ":"), default=str))
    plotly_seconds = time.perf_counter() - started
    import plotly

    out["plotly"] = {"seconds_per_department": plotly_seconds / len(ids), "json_bytes_per_department": plotly_bytes / len(ids),
                     "library_bytes": (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").stat().st_size}  # fmt: skip
    try:
        import altair  # noqa: F401
    except ImportError:
        return out
    started = time.perf_counter()
    altair_bytes = 0
    for dep in ids:
        specs = [chart.to_json(indent=0, validate=True) for chart in altair_charts(per[dep])]
        altair_bytes += sum(len(s) for s in specs)
    altair_seconds = time.perf_counter() - started
    library: int | None
    try:
        import vl_convert

        library = len(vl_convert.javascript_bundle().encode())
    except ImportError:
        library = None
    out["altair"] = {"seconds_per_department": altair_seconds / len(ids), "json_bytes_per_department": altair_bytes / len(ids),
                     "library_bytes": library}  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--no-altair", action="store_true", help="skip the plotly/Vega-Altair comparison")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fiscal-site-bench-") as folder:
        work = Path(folder)
        samples = samples_figures(work)
        print(f"2 samples: full build {samples['seconds']:.2f} s ({samples['per_document']:.3f} s/document);"
              f" site {samples['bytes'] / 1e6:.1f} MB ({samples['bytes_without_library'] / 1e6:.2f} MB without plotly.min.js)")  # fmt: skip
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in samples["timings"].items()))
        many = many_figures(work, args.documents)
        print(f"{many['documents']} documents ({many['departments']} departments; loaded in {many['load_seconds']:.1f} s):"
              f" full build {many['full_seconds']:.1f} s = {many['per_document']:.3f} s/document"
              f" ({many['pages_rendered']} page images); target <= 0.5 s/document")  # fmt: skip
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in many["timings"].items()))
        print(f"  site {many['bytes'] / 1e6:.1f} MB; per document {many['bytes_per_document'] / 1e3:.0f} KB"
              f" (pages, data, images; PDFs {many['pdf_bytes'] / 1e6:.1f} MB as hard links, plotly.min.js once)")  # fmt: skip
        print(f"  rebuild, nothing changed: {many['unchanged_seconds']:.2f} s; after one changed document:"
              f" {many['incremental_seconds']:.2f} s (departments, documents rebuilt: {many['incremental_built']});"
              " target <= 5 s")  # fmt: skip
        if not args.no_altair:
            libraries = compare_libraries(many["engine"])
            for name, figures in libraries.items():
                lib = figures["library_bytes"]
                print(f"{name}: {figures['seconds_per_department'] * 1000:.1f} ms and"
                      f" {figures['json_bytes_per_department'] / 1e3:.1f} KB of chart JSON per department (6 charts);"
                      f" JavaScript {'n/a (pip install -e .[bench])' if lib is None else f'{lib / 1e6:.2f} MB'}")  # fmt: skip
        many["engine"].dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
