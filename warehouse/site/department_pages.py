"""The department pages (plotly charts and tables of the reporting views, in 万元) and the index that lists them.

The index groups departments by region and city, with their document status and a search text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from warehouse.site import charts as chart_builders
from warehouse.site.context import Site
from warehouse.site.data import (
    DepartmentInfo,
    DocumentInfo,
    document_slug,
    fmt_wan,
    last_harvest,
    to_decimal,
    view_rows,
    yuan_to_wan,
)

#: the reporting views a department page shows, and the columns it reads of each
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


def write_department_pages(site: Site, departments: Sequence[DepartmentInfo]) -> None:
    """Write the page and chart data of each department (one query per view for all of them)."""
    if not departments:
        return
    with site.timed("view queries"):
        ids = [d.department_id for d in departments]
        views = {view: view_rows(site.engine, view, columns, ids) for view, columns in VIEW_COLUMNS.items()}
        per_dep: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for view, rows in views.items():
            for row in rows:
                per_dep[row["department_id"]][view].append(row)
    for dep in departments:
        _department_page(site, dep, per_dep[dep.department_id])


def _department_page(site: Site, dep: DepartmentInfo, rows: dict[str, list[dict[str, Any]]]) -> None:
    with site.timed("charts"):
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
    site.write_data(f"{dep.slug}.js", "FISCAL_CHARTS", figures)
    site.render(
        "department.html.j2",
        f"departments/{dep.slug}.html",
        data_script=f"{dep.slug}.js",
        charts=True,
        dep=dep,
        documents=_documents(dep),
        chart_ids=_Flags(figures),
        yoy_rows=_yoy_rows(rows["v_yoy"]),
        execution_rows=_execution_rows(rows["v_budget_execution"]),
    )


def _documents(dep: DepartmentInfo) -> list[dict[str, Any]]:
    """The department's documents for its page's list: newest year first, then phase and file name."""
    return sorted(
        ({**d.__dict__, "slug": document_slug(d.sha256)} for d in dep.documents),
        key=lambda d: (-(d["fiscal_year"] or 0), d["phase"] or "", d["source_file"]),
    )


def _yoy_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The year-over-year table: each 类 that has a previous year, in 万元."""
    return [
        {
            "fiscal_year": r["fiscal_year"],
            "functional_code": r["functional_code"],
            "functional_name": r["functional_name"],
            "amount": fmt_wan(yuan_to_wan(r["amount_yuan"])),
            "previous": fmt_wan(yuan_to_wan(r["previous_amount_yuan"])),
            "change": fmt_wan(yuan_to_wan(r["change_yuan"])),
            "rate": _percent(r["change_rate"]),
        }
        for r in sorted(rows, key=lambda r: (r["functional_code"], int(r["fiscal_year"])))
        if r["level"] == "类" and r["previous_amount_yuan"] is not None
    ]


def _execution_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The budget-execution table: the 合计 columns, a 项 only when it has a budget; newest year first, in 万元."""
    return [
        {
            **r,
            "budget": fmt_wan(yuan_to_wan(r["budget_yuan"])),
            "final": fmt_wan(yuan_to_wan(r["final_yuan"])),
            "difference": fmt_wan(yuan_to_wan(r["difference_yuan"])),
            "rate": _percent(r["execution_rate"]),
        }
        for r in sorted(rows, key=lambda r: (-int(r["fiscal_year"]), r["code"], r["measure_family"]))
        if r["measure_family"] == "合计" and (r["budget_yuan"] is not None or r["level"] != "项")
    ]


def write_index(site: Site, departments: Sequence[DepartmentInfo], unassigned: Sequence[DocumentInfo]) -> None:
    """Write ``OUT/index.html``: departments by region and city, document status counts, search."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    for dep in departments:
        dep_statuses = Counter(d.status for d in dep.documents)
        statuses.update(dep_statuses)
        year_phases = sorted({f"{d.fiscal_year or '?'} {d.phase or ''}".strip() for d in dep.documents}, reverse=True)
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
    site.render(
        "index.html.j2",
        "index.html",
        departments=departments,
        groups=sorted(groups.items()),
        unassigned=[{**d.__dict__, "slug": document_slug(d.sha256)} for d in unassigned],
        status_counts=statuses,
        documents_total=sum(statuses.values()),
        facts_total=sum(dep.facts for dep in departments),
        last_harvest=last_harvest(site.engine),
    )


class _Flags:
    """Which charts a department page has (attribute access for the template)."""

    def __init__(self, figures: dict[str, Any]) -> None:
        self._names = set(figures)

    def __getattr__(self, name: str) -> bool:
        return name in self._names


def _percent(value: Any) -> str:
    number = to_decimal(value)
    return "" if number is None else f"{number * 100:.1f}%"
