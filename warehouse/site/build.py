"""The site builder: pages from the Jinja2 templates, data as ``<script>`` files, page images, incremental state."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from warehouse.site import charts as chart_builders
from warehouse.site.data import (
    Cell,
    DepartmentInfo,
    DocumentInfo,
    Finding,
    cells_of_finding,
    department_slug,
    document_cells,
    document_slug,
    document_tables,
    findings_of,
    fmt_wan,
    last_harvest,
    quality_rows,
    quarantined_cells,
    read_catalog,
    to_decimal,
    view_rows,
    yuan_to_wan,
)
from warehouse.site.images import SCALE, render_pages
from warehouse.site.tables import printed_tables

#: bumped when the pages' structure changes: a site built by another version is rebuilt in full
SITE_FORMAT = "1"
STATE_FILE = ".fiscal-site.json"

VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "v_expenditure_by_function": (
        "department_id", "fiscal_year", "table_code", "level", "code", "name", "measure", "amount_yuan"),
    "v_basic_expenditure_by_economic": ("department_id", "fiscal_year", "level", "code", "name", "measure", "amount_yuan"),
    "v_three_public": ("department_id", "fiscal_year", "item", "budget_yuan", "final_yuan", "execution_rate"),
    "v_yoy": ("department_id", "fiscal_year", "functional_code", "functional_name", "level", "amount_yuan",
              "previous_amount_yuan", "change_yuan", "change_rate"),
    "v_budget_execution": ("department_id", "fiscal_year", "level", "code", "name", "measure_family", "budget_yuan",
                           "budget_source", "final_yuan", "difference_yuan", "execution_rate"),
}  # fmt: skip


@dataclass
class SiteResult:
    """What one build did."""

    out: Path
    departments: int = 0
    documents: int = 0
    departments_built: int = 0
    documents_built: int = 0
    pages_rendered: int = 0
    removed: int = 0
    seconds: float = 0.0
    full: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        """The site's entry page."""
        return self.out / "index.html"


def _static_files() -> dict[str, bytes]:
    root = resources.files("warehouse.site") / "static"
    return {entry.name: entry.read_bytes() for entry in root.iterdir() if entry.is_file()}


def _plotly_js() -> Path:
    """``plotly.min.js`` as the plotly wheel ships it (no CDN: the site works offline)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _builder_id() -> str:
    """Hash of what shapes every page: templates, static files, format, image scale, plotly's version."""
    import plotly

    digest = hashlib.sha256(f"{SITE_FORMAT}|{SCALE}|{plotly.__version__}".encode())
    for folder in ("templates", "static"):
        for entry in sorted((resources.files("warehouse.site") / folder).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode() + entry.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _write_if_changed(path: Path, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _script(variable: str, payload: Any) -> str:
    """A data file the pages load with ``<script src>`` (file:// forbids fetch()); ``</`` escaped for HTML."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).replace("</", "<\\/")
    return f"window.{variable}=Object.assign(window.{variable}||{{}},{text});\n"


def _json_default(value: Any) -> Any:
    # plotly figures may carry numpy arrays or Decimals; money strings are already text
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("warehouse.site", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


class SiteBuilder:
    """Builds (or refreshes) the static site of one warehouse into one folder."""

    def __init__(
        self,
        engine: Engine,
        out: Path,
        raw_dir: Path,
        quarantine_dir: Path,
        *,
        full: bool = False,
        copy_pdfs: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.out = out
        self.raw_dir = raw_dir
        self.quarantine_dir = quarantine_dir
        self.full = full
        self.copy_pdfs = copy_pdfs
        self.progress = progress or (lambda _message: None)
        self.env = _environment()
        self.built_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.timings: dict[str, float] = defaultdict(float)

    # ------------------------------------------------------------------ state
    def _load_state(self, builder: str) -> dict[str, Any]:
        path = self.out / STATE_FILE
        if self.full or not path.exists():
            return {}
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if state.get("builder") == builder else {}

    def _render(self, template: str, target: Path, **context: Any) -> None:
        started = time.perf_counter()
        html = self.env.get_template(template).render(version=SITE_FORMAT, built_at=self.built_at, **context)
        _write_if_changed(target, html)
        self.timings["templates"] += time.perf_counter() - started

    # ------------------------------------------------------------------ build
    def build(self) -> SiteResult:
        """Write every page whose inputs changed since the last build (all of them the first time)."""
        started = time.perf_counter()
        builder = _builder_id()
        state = self._load_state(builder)
        result = SiteResult(self.out, full=not state)
        self.out.mkdir(parents=True, exist_ok=True)
        self._assets()
        departments, unassigned = read_catalog(self.engine)
        documents = [d for dep in departments for d in dep.documents] + unassigned
        result.departments, result.documents = len(departments), len(documents)
        old_deps: dict[str, str] = state.get("departments", {})
        old_docs: dict[str, str] = state.get("documents", {})
        new_deps = {dep.slug: dep.fingerprint() for dep in departments}
        new_docs = {document_slug(d.sha256): self._document_fingerprint(d) for d in documents}
        changed_deps = [
            dep for dep in departments
            if old_deps.get(dep.slug) != new_deps[dep.slug] or not (self.out / "departments" / f"{dep.slug}.html").exists()
        ]  # fmt: skip
        changed_docs = [
            d for d in documents
            if old_docs.get(document_slug(d.sha256)) != new_docs[document_slug(d.sha256)]
            or not (self.out / "documents" / f"{document_slug(d.sha256)}.html").exists()
        ]  # fmt: skip
        # the department a document belongs to names it on its page: a renamed department rebuilds them
        dep_of = {d.sha256: dep for dep in departments for d in dep.documents}
        findings = findings_of(self.engine, [d.sha256 for d in changed_docs])
        for doc in changed_docs:
            result.pages_rendered += self._document_page(doc, dep_of.get(doc.sha256), findings.get(doc.sha256, []))
            result.documents_built += 1
        self._department_pages(changed_deps)
        result.departments_built = len(changed_deps)
        result.removed = self._remove_stale(set(old_deps) - set(new_deps), set(old_docs) - set(new_docs))
        self._index(departments, unassigned)
        self._quality(documents)
        _write_if_changed(
            self.out / STATE_FILE,
            json.dumps({"builder": builder, "departments": new_deps, "documents": new_docs}, indent=0),
        )
        result.seconds = time.perf_counter() - started
        result.timings = dict(self.timings)
        return result

    def _document_fingerprint(self, doc: DocumentInfo) -> str:
        raw = self.raw_dir / f"{doc.sha256}.pdf"
        quarantine = self.quarantine_dir / f"{doc.sha256}.cells.csv"
        extra = [raw.exists(), quarantine.exists() and quarantine.stat().st_mtime_ns]
        return hashlib.sha256((doc.fingerprint() + json.dumps(extra)).encode()).hexdigest()

    def _assets(self) -> None:
        assets = self.out / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        for name, data in _static_files().items():
            _write_if_changed(assets / name, data)
        _write_if_changed(assets / "plotly-template.js", chart_builders.theme_script())
        plotly_js = _plotly_js()
        target = assets / "plotly.min.js"
        # written once: the library is 4.8 MB and the same for every page
        if not target.exists() or target.stat().st_size != plotly_js.stat().st_size:
            shutil.copyfile(plotly_js, target)

    def _remove_stale(self, departments: set[str], documents: set[str]) -> int:
        removed = 0
        for slug in departments:
            for path in (self.out / "departments" / f"{slug}.html", self.out / "data" / f"{slug}.js"):
                if path.exists():
                    path.unlink()
                    removed += 1
        for slug in documents:
            for path in (self.out / "documents" / f"{slug}.html", self.out / "data" / f"doc-{slug}.js",
                         self.out / "pdf" / f"{slug}.pdf"):  # fmt: skip
                if path.exists():
                    path.unlink()
                    removed += 1
            shutil.rmtree(self.out / "pages" / slug, ignore_errors=True)
        return removed

    # ------------------------------------------------------------------ documents
    def _document_page(self, doc: DocumentInfo, department: DepartmentInfo | None, findings: list[Finding]) -> int:
        """Write one document's page and data script; render its page images once. Returns pages rendered."""
        slug = document_slug(doc.sha256)
        started = time.perf_counter()
        cells: list[Cell] | None
        if doc.status in ("quarantined", "failed", "skipped") or not doc.facts_loaded:
            cells = quarantined_cells(self.quarantine_dir, doc.sha256)
            if cells is None and doc.facts_loaded:
                cells = document_cells(self.engine, doc.sha256)
        else:
            cells = document_cells(self.engine, doc.sha256)
        tables = document_tables(self.engine, doc.sha256)
        self.timings["document queries"] += time.perf_counter() - started
        raw = self.raw_dir / f"{doc.sha256}.pdf"
        raw_missing = not raw.is_file()
        rendered = 0
        pages_info: dict[str, Any] = {"dir": f"../pages/{slug}/", "missing": raw_missing, "pages": {}}
        started = time.perf_counter()
        # a spreadsheet's bytes sit in the raw store too: its facts have no page to show (no boxes)
        if not raw_missing and cells and _is_pdf(raw):
            images = render_pages(raw, self.out / "pages" / slug, {c.page for c in cells})
            rendered = images.rendered
            pages_info["pages"] = {str(k): v for k, v in images.sizes.items()}
        self.timings["page images"] += time.perf_counter() - started
        pdf_href = None
        if not raw_missing and self.copy_pdfs:
            target = self.out / "pdf" / f"{slug}.pdf"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(raw, target)  # the raw store and the site on one disk: no second copy
                except OSError:
                    shutil.copyfile(raw, target)
            pdf_href = f"../pdf/{slug}.pdf"
        elif not raw_missing:
            pdf_href = raw.resolve().as_uri()
        shown_findings, flagged = self._locate_findings(findings, cells or [])
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for finding in shown_findings:
            by_table[finding["table_code"] or ""].append(finding)
        started = time.perf_counter()
        printed = printed_tables(cells or [], tables)
        self.timings["tables"] += time.perf_counter() - started
        _write_if_changed(self.out / "data" / f"doc-{slug}.js", _script("FISCAL_PAGES", {doc.sha256: pages_info}))
        self._render(
            "document.html.j2",
            self.out / "documents" / f"{slug}.html",
            root="../",
            charts=False,
            viewer=True,
            data_script=f"doc-{slug}.js",
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

    @staticmethod
    def _locate_findings(
        findings: Sequence[Finding], cells: Sequence[Cell]
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Each finding with the boxes of its cells; the CSS class of every cell a finding concerns."""
        shown = []
        flagged: dict[str, str] = {}
        for finding in findings:
            hits = cells_of_finding(finding, cells)
            boxed = [c for c in hits if c.bbox]
            page = boxed[0].page if boxed else (hits[0].page if hits else finding.page)
            same_page = [c for c in boxed if c.page == page]
            for cell in hits:
                css = " has-failure" if finding.outcome == "failure" else " has-finding"
                if flagged.get(cell.key) != " has-failure":
                    flagged[cell.key] = css
            shown.append(
                {
                    **finding.__dict__,
                    "page": page,
                    "boxes": ";".join(",".join(str(v) for v in c.bbox) for c in same_page if c.bbox),
                    "cell_count": len(hits),
                    "keys": [c.key for c in hits],
                }
            )
        return shown, flagged

    # ------------------------------------------------------------------ departments
    def _department_pages(self, departments: Sequence[DepartmentInfo]) -> None:
        if not departments:
            return
        started = time.perf_counter()
        ids = [d.department_id for d in departments]
        views = {view: view_rows(self.engine, view, columns, ids) for view, columns in VIEW_COLUMNS.items()}
        per_dep: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for view, rows in views.items():
            for row in rows:
                per_dep[row["department_id"]][view].append(row)
        self.timings["view queries"] += time.perf_counter() - started
        for dep in departments:
            self._department_page(dep, per_dep[dep.department_id])

    def _department_page(self, dep: DepartmentInfo, rows: dict[str, list[dict[str, Any]]]) -> None:
        started = time.perf_counter()
        function = rows["v_expenditure_by_function"]
        years = sorted({int(r["fiscal_year"]) for r in function})
        latest = years[-1] if years else None
        figures: dict[str, Any] = {
            "timeline": chart_builders.rename_timeline(dep.names, dep.years) if dep.names else None,
            "sunburst": chart_builders.expenditure_sunburst(function, latest) if latest else None,
            "bar": chart_builders.expenditure_bar(function, latest) if latest else None,
            "basic_project": chart_builders.basic_vs_project(function),
            "economic": chart_builders.basic_by_economic(rows["v_basic_expenditure_by_economic"]),
            "three_public": chart_builders.three_public(rows["v_three_public"]),
            "yoy": chart_builders.year_over_year(rows["v_yoy"]) if len({r["fiscal_year"] for r in rows["v_yoy"]}) > 1 else None,
            "execution": chart_builders.budget_execution(rows["v_budget_execution"]),
        }
        figures = {k: v for k, v in figures.items() if v is not None}
        self.timings["charts"] += time.perf_counter() - started
        _write_if_changed(self.out / "data" / f"{dep.slug}.js", _script("FISCAL_CHARTS", figures))
        yoy_rows = [
            {
                "fiscal_year": r["fiscal_year"],
                "functional_code": r["functional_code"],
                "functional_name": r["functional_name"],
                "amount": fmt_wan(yuan_to_wan(r["amount_yuan"])),
                "previous": fmt_wan(yuan_to_wan(r["previous_amount_yuan"])),
                "change": fmt_wan(yuan_to_wan(r["change_yuan"])),
                "rate": _percent(r["change_rate"]),
            }
            for r in sorted(rows["v_yoy"], key=lambda r: (r["functional_code"], int(r["fiscal_year"])))
            if r["level"] == "类" and r["previous_amount_yuan"] is not None
        ]
        execution_rows = [
            {
                **r,
                "budget": fmt_wan(yuan_to_wan(r["budget_yuan"])),
                "final": fmt_wan(yuan_to_wan(r["final_yuan"])),
                "difference": fmt_wan(yuan_to_wan(r["difference_yuan"])),
                "rate": _percent(r["execution_rate"]),
            }
            for r in sorted(rows["v_budget_execution"], key=lambda r: (-int(r["fiscal_year"]), r["code"], r["measure_family"]))
            if r["measure_family"] == "合计" and (r["budget_yuan"] is not None or r["level"] != "项")
        ]
        documents = sorted(
            ({**d.__dict__, "slug": document_slug(d.sha256)} for d in dep.documents),
            key=lambda d: (-(d["fiscal_year"] or 0), d["phase"] or "", d["source_file"]),
        )
        self._render(
            "department.html.j2",
            self.out / "departments" / f"{dep.slug}.html",
            root="../",
            charts=True,
            viewer=False,
            data_script=f"{dep.slug}.js",
            dep=dep,
            documents=documents,
            chart_ids=_Flags(figures),
            yoy_rows=yoy_rows,
            execution_rows=execution_rows,
        )

    # ------------------------------------------------------------------ index and quality
    def _index(self, departments: Sequence[DepartmentInfo], unassigned: Sequence[DocumentInfo]) -> None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        statuses: Counter[str] = Counter()
        for dep in departments:
            dep_statuses = Counter(d.status for d in dep.documents)
            statuses.update(dep_statuses)
            year_phases = sorted(
                {f"{d.fiscal_year or '?'} {d.phase or ''}".strip() for d in dep.documents}, reverse=True
            )
            fetched = [d.fetched_at or d.updated_at for d in dep.documents]
            other_names = sorted({n[0] for n in dep.names if n[0] != dep.name} | set(dep.aliases) - {dep.name})
            search = " ".join(
                [dep.name, *other_names, dep.region or "", dep.city or "", *year_phases,
                 *(d.source_file for d in dep.documents)]  # fmt: skip
            )
            groups[(dep.region or "", dep.city or "")].append(
                {
                    "info": dep,
                    "other_names": other_names,
                    "year_phases": year_phases,
                    "statuses": sorted(dep_statuses.items()),
                    "last_fetched": max(fetched)[:19] if fetched else None,
                    "search": search,
                }
            )
        statuses.update(d.status for d in unassigned)
        self._render(
            "index.html.j2",
            self.out / "index.html",
            root="",
            charts=False,
            viewer=False,
            data_script=None,
            departments=departments,
            groups=sorted(groups.items()),
            unassigned=[{**d.__dict__, "slug": document_slug(d.sha256)} for d in unassigned],
            status_counts=statuses,
            documents_total=sum(statuses.values()),
            facts_total=sum(dep.facts for dep in departments),
            last_harvest=last_harvest(self.engine),
        )

    def _quality(self, documents: Sequence[DocumentInfo]) -> None:
        rows = quality_rows(self.engine)
        shas = sorted({r["document_sha256"] for r in rows})
        cells_by_doc: dict[str, list[Cell]] = {}
        known = {d.sha256: d for d in documents}
        for sha in shas:
            doc = known.get(sha)
            if doc is None:
                continue
            if doc.status in ("quarantined", "failed", "skipped") or not doc.facts_loaded:
                cells_by_doc[sha] = quarantined_cells(self.quarantine_dir, sha) or []
            else:
                cells_by_doc[sha] = document_cells(self.engine, sha)
        pages: dict[str, Any] = {}
        for row in rows:
            sha = row["document_sha256"]
            finding = Finding(sha, 0, row["rule"], row["severity"], row["outcome"], row["table_code"], row["row_label"],
                              row["measure"], row["expected"], row["found"], row["difference"], None, bool(row["accepted"]))  # fmt: skip
            hits = [c for c in cells_of_finding(finding, cells_by_doc.get(sha, [])) if c.bbox]
            page = hits[0].page if hits else None
            row["slug"] = document_slug(sha)
            row["page"] = page
            row["boxes"] = ";".join(",".join(str(v) for v in c.bbox) for c in hits if c.page == page and c.bbox)
            row["first_key"] = hits[0].key if hits else ""
            row["accepted"] = bool(row["accepted"])
            if sha not in pages:
                sizes = self.out / "pages" / document_slug(sha) / "sizes.json"
                pages[sha] = {
                    "dir": f"pages/{document_slug(sha)}/",
                    "missing": not (self.raw_dir / f"{sha}.pdf").is_file(),
                    "pages": json.loads(sizes.read_text()) if sizes.exists() else {},
                }
        _write_if_changed(self.out / "data" / "quality.js", _script("FISCAL_PAGES", pages))
        self._render(
            "quality.html.j2",
            self.out / "quality.html",
            root="",
            charts=False,
            viewer=True,
            data_script="quality.js",
            rows=rows,
            outcomes=sorted({r["outcome"] for r in rows}),
            statuses=sorted({r["status"] for r in rows}),
            rules=sorted({r["rule"] for r in rows}),
            department_names=sorted({r["department"] for r in rows if r["department"]}),
        )


class _Flags:
    """Which charts a department page has (attribute access for the template)."""

    def __init__(self, figures: dict[str, Any]) -> None:
        self._names = set(figures)

    def __getattr__(self, name: str) -> bool:
        return name in self._names


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(1024).lstrip().startswith(b"%PDF-")


def _percent(value: Any) -> str:
    number = to_decimal(value)
    return "" if number is None else f"{number * 100:.1f}%"


__all__ = ["SiteBuilder", "SiteResult", "department_slug"]
