"""The incremental site build: which pages' inputs changed since the last build, what to remove, the assets.

A build leaves ``OUT/.fiscal-site.json``: a hash of what shapes every page (templates, static files,
the page-writing modules, plotly's version) and a fingerprint per department and document. The next
build rewrites only the pages whose fingerprint changed, or every page when that hash did.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from warehouse.site import charts as chart_builders
from warehouse.site.cells import findings_of
from warehouse.site.context import SITE_FORMAT, Site, write_if_changed
from warehouse.site.data import DocumentInfo, department_slug, document_slug, read_catalog
from warehouse.site.department_pages import VIEW_COLUMNS, write_department_pages, write_index
from warehouse.site.document_pages import write_document_page, write_quality_page
from warehouse.site.images import SCALE

STATE_FILE = ".fiscal-site.json"
#: the modules that write the pages: a change to any of them rebuilds every page
_PAGE_MODULES = ("build.py", "context.py", "department_pages.py", "document_pages.py")


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
    """Hash of what shapes every page: templates, static files, format, image scale, plotly's version, the code."""
    import plotly

    package = resources.files("warehouse.site")
    digest = hashlib.sha256(f"{SITE_FORMAT}|{SCALE}|{plotly.__version__}".encode())
    for folder in ("templates", "static"):
        for entry in sorted((package / folder).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                digest.update(entry.name.encode() + entry.read_bytes())
    for module in _PAGE_MODULES:
        digest.update((package / module).read_bytes())
    return digest.hexdigest()


class SiteBuilder:
    """Builds (or refreshes) the static site of one warehouse into one folder."""

    def __init__(self, site: Site, *, full: bool = False) -> None:
        self.site = site
        self.full = full

    def _load_state(self, builder: str) -> dict[str, Any]:
        path = self.site.out / STATE_FILE
        if self.full or not path.exists():
            return {}
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if state.get("builder") == builder else {}

    def build(self) -> SiteResult:
        """Write every page whose inputs changed since the last build (all of them the first time)."""
        started = time.perf_counter()
        site, out = self.site, self.site.out
        builder = _builder_id()
        state = self._load_state(builder)
        result = SiteResult(out, full=not state)
        out.mkdir(parents=True, exist_ok=True)
        self._assets()
        departments, unassigned = read_catalog(site.engine)
        documents = [d for dep in departments for d in dep.documents] + unassigned
        result.departments, result.documents = len(departments), len(documents)
        old_deps: dict[str, str] = state.get("departments", {})
        old_docs: dict[str, str] = state.get("documents", {})
        new_deps = {dep.slug: dep.fingerprint() for dep in departments}
        new_docs = {document_slug(d.sha256): self._document_fingerprint(d) for d in documents}
        changed_deps = [
            dep for dep in departments
            if old_deps.get(dep.slug) != new_deps[dep.slug] or not (out / "departments" / f"{dep.slug}.html").exists()
        ]  # fmt: skip
        changed_docs = [
            d for d in documents
            if old_docs.get(document_slug(d.sha256)) != new_docs[document_slug(d.sha256)]
            or not (out / "documents" / f"{document_slug(d.sha256)}.html").exists()
        ]  # fmt: skip
        # the department a document belongs to names it on its page: a renamed department rebuilds them
        dep_of = {d.sha256: dep for dep in departments for d in dep.documents}
        findings = findings_of(site.engine, [d.sha256 for d in changed_docs])
        for doc in changed_docs:
            result.pages_rendered += write_document_page(site, doc, dep_of.get(doc.sha256), findings.get(doc.sha256, []))
            result.documents_built += 1
        write_department_pages(site, changed_deps)
        result.departments_built = len(changed_deps)
        result.removed = self._remove_stale(set(old_deps) - set(new_deps), set(old_docs) - set(new_docs))
        write_index(site, departments, unassigned)
        write_quality_page(site, documents)
        write_if_changed(
            out / STATE_FILE,
            json.dumps({"builder": builder, "departments": new_deps, "documents": new_docs}, indent=0),
        )
        result.seconds = time.perf_counter() - started
        result.timings = dict(site.timings)
        return result

    def _document_fingerprint(self, doc: DocumentInfo) -> str:
        # the page also shows whether the raw bytes are there and the quarantine's cells as they are now
        quarantine = self.site.quarantine_dir / f"{doc.sha256}.cells.csv"
        extra = [self.site.raw_file(doc.sha256).exists(), quarantine.exists() and quarantine.stat().st_mtime_ns]
        return hashlib.sha256((doc.fingerprint() + json.dumps(extra)).encode()).hexdigest()

    def _assets(self) -> None:
        assets = self.site.out / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        for name, data in _static_files().items():
            write_if_changed(assets / name, data)
        write_if_changed(assets / "plotly-template.js", chart_builders.theme_script())
        plotly_js = _plotly_js()
        target = assets / "plotly.min.js"
        # written once: the library is 4.8 MB and the same for every page
        if not target.exists() or target.stat().st_size != plotly_js.stat().st_size:
            shutil.copyfile(plotly_js, target)

    def _remove_stale(self, departments: set[str], documents: set[str]) -> int:
        out = self.site.out
        removed = 0
        for slug in departments:
            for path in (out / "departments" / f"{slug}.html", out / "data" / f"{slug}.js"):
                if path.exists():
                    path.unlink()
                    removed += 1
        for slug in documents:
            for path in (out / "documents" / f"{slug}.html", out / "data" / f"doc-{slug}.js", out / "pdf" / f"{slug}.pdf"):
                if path.exists():
                    path.unlink()
                    removed += 1
            shutil.rmtree(out / "pages" / slug, ignore_errors=True)
        return removed


__all__ = ["SITE_FORMAT", "VIEW_COLUMNS", "SiteBuilder", "SiteResult", "department_slug"]
