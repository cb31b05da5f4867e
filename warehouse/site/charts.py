"""The department page's charts, as plotly figures serialised to JSON for ``Plotly.newPlot`` in the browser.

Every chart reads a reporting view's rows (amounts in 元, ``Decimal``) and shows 万元: the plotted numbers
are floats (a chart needs them), the hover text is the exact Decimal, and every value axis says 万元.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from warehouse.site.data import fmt_wan, to_decimal, yuan_to_wan

#: the value axis title of every money chart
UNIT_AXIS = "金额（万元）"
_FONT = {"family": "system-ui, -apple-system, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif", "size": 12}
_COLORS = {"budget": "#9ecae1", "final": "#08519c", "basic": "#3182bd", "project": "#fd8d3c"}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "font": {"size": 14}},
        "font": _FONT,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "height": 360,
        "separators": ".,",
    }
    layout.update(extra)
    return layout


def _wan(value: Any) -> tuple[float, str]:
    """A 元 amount as (float 万元 for the chart, exact 万元 text for the hover)."""
    wan = yuan_to_wan(value) or Decimal(0)
    return float(wan), fmt_wan(wan)


def _figure(traces: Sequence[Any], layout: dict[str, Any]) -> dict[str, Any]:
    """A plotly figure as plain JSON-ready data (validated by plotly's graph objects)."""
    import plotly.graph_objects as go

    figure = go.Figure(data=list(traces), layout={**layout, "template": "none"})
    spec: dict[str, Any] = figure.to_plotly_json()
    # plotly's theme (8 KB) is written once into the site (assets/plotly-template.js), not into every chart
    spec["layout"].pop("template", None)
    return spec


def theme_script() -> str:
    """``assets/plotly-template.js``: the plotly theme every chart of the site uses, defined once."""
    import json

    import plotly.io as pio

    theme = json.dumps(pio.templates["plotly"].to_plotly_json(), separators=(",", ":"))
    return f"window.FISCAL_PLOTLY_TEMPLATE={theme};\n"


def _latest(rows: Sequence[dict[str, Any]]) -> tuple[int | None, list[dict[str, Any]]]:
    years = sorted({int(r["fiscal_year"]) for r in rows})
    if not years:
        return None, []
    return years[-1], [r for r in rows if int(r["fiscal_year"]) == years[-1]]


def _total_measure(measures: set[str]) -> str | None:
    """The column of table 03 (or 05) holding each row's total: 本年支出合计 / 合计 / 本年支出/小计."""
    for candidate in ("本年支出合计", "合计", "本年支出/合计", "本年支出/小计"):
        if candidate in measures:
            return candidate
    totals = sorted(m for m in measures if "合计" in m or "小计" in m)
    return totals[0] if totals else None


def function_rows(rows: Sequence[dict[str, Any]]) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    """The 功能分类 rollup rows the composition charts use: table 03's total column, else table 05's."""
    for table in ("03", "05"):
        of_table = [r for r in rows if r["table_code"] == table]
        measure = _total_measure({r["measure"] for r in of_table})
        if measure:
            return table, measure, [r for r in of_table if r["measure"] == measure]
    return None, None, []


def expenditure_sunburst(rows: Sequence[dict[str, Any]], year: int) -> dict[str, Any] | None:
    """类 → 款 → 项 as a sunburst (values are the rollups of leaves, so each ring sums to its parent)."""
    table, measure, of_measure = function_rows([r for r in rows if int(r["fiscal_year"]) == year])
    items = [r for r in of_measure if (to_decimal(r["amount_yuan"]) or 0) > 0]
    if not items:
        return None
    import plotly.graph_objects as go

    values, texts = zip(*(_wan(r["amount_yuan"]) for r in items), strict=True)
    trace = go.Sunburst(
        ids=[r["code"] for r in items],
        parents=[(r["code"][:3] if len(r["code"]) == 5 else r["code"][:5] if len(r["code"]) == 7 else "") for r in items],
        labels=[f"{r['code']} {r['name']}" for r in items],
        values=list(values),
        customdata=list(texts),
        branchvalues="total",
        hovertemplate="%{label}<br>%{customdata} 万元<extra></extra>",
    )
    return _figure([trace], _layout(f"{year} 支出按功能分类（表{table} {measure}，万元）", height=460))


def expenditure_bar(rows: Sequence[dict[str, Any]], year: int) -> dict[str, Any] | None:
    """The 项 of the composition chart as a bar chart sorted by amount."""
    table, measure, of_measure = function_rows([r for r in rows if int(r["fiscal_year"]) == year])
    items = sorted(
        (r for r in of_measure if r["level"] == "项"), key=lambda r: to_decimal(r["amount_yuan"]) or Decimal(0)
    )
    if not items:
        return None
    import plotly.graph_objects as go

    values, texts = zip(*(_wan(r["amount_yuan"]) for r in items), strict=True)
    trace = go.Bar(
        orientation="h",
        y=[f"{r['code']} {r['name']}" for r in items],
        x=list(values),
        customdata=list(texts),
        marker={"color": _COLORS["final"]},
        hovertemplate="%{y}<br>%{customdata} 万元<extra></extra>",
    )
    height = max(260, 60 + 24 * len(items))
    return _figure(
        [trace],
        _layout(f"{year} 功能分类 项级支出（表{table}，万元）", height=height,
                xaxis={"title": {"text": UNIT_AXIS}}, yaxis={"automargin": True}),
    )  # fmt: skip


def basic_vs_project(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """基本支出 against 项目支出 per 类 and year (table 03, else 05)."""
    for table in ("03", "05"):
        picked = [
            r
            for r in rows
            if r["table_code"] == table and r["level"] == "类" and r["measure"].split("/")[-1] in ("基本支出", "项目支出")
        ]
        if picked:
            break
    else:
        return None
    import plotly.graph_objects as go

    keys = sorted({(int(r["fiscal_year"]), r["code"], r["name"]) for r in picked})
    traces = []
    for family, color in (("基本支出", _COLORS["basic"]), ("项目支出", _COLORS["project"])):
        by_key = {(int(r["fiscal_year"]), r["code"]): r for r in picked if r["measure"].split("/")[-1] == family}
        pairs = [_wan(by_key[(y, c)]["amount_yuan"]) if (y, c) in by_key else (0.0, "0.00") for y, c, _ in keys]
        traces.append(
            go.Bar(
                name=family,
                x=[f"{y} {c} {n}" for y, c, n in keys],
                y=[p[0] for p in pairs],
                customdata=[p[1] for p in pairs],
                marker={"color": color},
                hovertemplate=family + " %{x}<br>%{customdata} 万元<extra></extra>",
            )
        )
    return _figure(traces, _layout(f"基本支出与项目支出（表{table}，按类，万元）", barmode="stack",
                                   yaxis={"title": {"text": UNIT_AXIS}}, xaxis={"automargin": True}))  # fmt: skip


def basic_by_economic(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """基本支出 by 经济分类 类 (人员经费 / 公用经费), latest year (table 06)."""
    year, latest = _latest(rows)
    items = [r for r in latest if r["level"] == "类"]
    if not items:
        return None
    import plotly.graph_objects as go

    traces = []
    for measure in sorted({r["measure"] for r in items}):
        of = sorted((r for r in items if r["measure"] == measure), key=lambda r: r["code"])
        pairs = [_wan(r["amount_yuan"]) for r in of]
        traces.append(
            go.Bar(
                name=measure,
                x=[f"{r['code']} {r['name']}" for r in of],
                y=[p[0] for p in pairs],
                customdata=[p[1] for p in pairs],
                hovertemplate="%{x}<br>%{customdata} 万元<extra></extra>",
            )
        )
    return _figure(traces, _layout(f"{year} 基本支出按经济分类（表06，万元）",
                                   yaxis={"title": {"text": UNIT_AXIS}}, xaxis={"automargin": True}))  # fmt: skip


def three_public(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """“三公” 经费: 预算数 against 决算数 per item over the years (table 07)."""
    if not rows:
        return None
    import plotly.graph_objects as go

    ordered = sorted(rows, key=lambda r: (int(r["fiscal_year"]), r["item"]))
    x = [[str(r["fiscal_year"]) for r in ordered], [r["item"] for r in ordered]]
    traces = []
    for column, label, color in (("budget_yuan", "预算数", _COLORS["budget"]), ("final_yuan", "决算数", _COLORS["final"])):
        pairs = [_wan(r[column]) if r[column] is not None else (None, "（未列）") for r in ordered]
        traces.append(
            go.Bar(
                name=label,
                x=x,
                y=[p[0] for p in pairs],
                customdata=[p[1] for p in pairs],
                marker={"color": color},
                hovertemplate=label + " %{x}<br>%{customdata} 万元<extra></extra>",
            )
        )
    return _figure(traces, _layout("“三公”经费 预算数与决算数（表07，万元）", barmode="group",
                                   yaxis={"title": {"text": UNIT_AXIS}}, xaxis={"automargin": True}))  # fmt: skip


def year_over_year(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Table 03's total per 类 over the years (by department_id: a renamed department keeps its series)."""
    items = [r for r in rows if r["level"] == "类"]
    if not items:
        return None
    import plotly.graph_objects as go

    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in items:
        series[(r["functional_code"], r["functional_name"])].append(r)
    traces = []
    for (code, name), points in sorted(series.items()):
        points.sort(key=lambda r: int(r["fiscal_year"]))
        pairs = [_wan(r["amount_yuan"]) for r in points]
        changes = [
            "" if r["change_yuan"] is None else f"<br>较上年 {fmt_wan(yuan_to_wan(r['change_yuan']))} 万元"
            + ("" if r["change_rate"] is None else f"（{(to_decimal(r['change_rate']) or 0) * 100:.1f}%）")
            for r in points
        ]
        traces.append(
            go.Scatter(
                name=f"{code} {name}",
                x=[int(r["fiscal_year"]) for r in points],
                y=[p[0] for p in pairs],
                customdata=[p[1] + " 万元" + c for p, c in zip(pairs, changes, strict=True)],
                mode="lines+markers",
                hovertemplate=f"{code} {name} %{{x}}<br>%{{customdata}}<extra></extra>",
            )
        )
    return _figure(traces, _layout("支出按类 逐年（表03 合计，万元）", xaxis={"title": {"text": "年度"}, "dtick": 1},
                                   yaxis={"title": {"text": UNIT_AXIS}}))  # fmt: skip


def budget_execution(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Budget against final per 类 (v_budget_execution, 合计 family), latest year with a budget or final."""
    items = [r for r in rows if r["level"] == "类" and r["measure_family"] == "合计"]
    year, latest = _latest(items)
    if not latest:
        return None
    import plotly.graph_objects as go

    latest.sort(key=lambda r: r["code"])
    x = [f"{r['code']} {r['name']}" for r in latest]
    traces = []
    for column, label, color in (("budget_yuan", "预算", _COLORS["budget"]), ("final_yuan", "决算", _COLORS["final"])):
        pairs = [_wan(r[column]) if r[column] is not None else (None, "（无）") for r in latest]
        rates = [
            "" if r["execution_rate"] is None else f"<br>执行率 {(to_decimal(r['execution_rate']) or 0) * 100:.1f}%"
            for r in latest
        ]
        traces.append(
            go.Bar(
                name=label,
                x=x,
                y=[p[0] for p in pairs],
                customdata=[p[1] + " 万元" + rate for p, rate in zip(pairs, rates, strict=True)],
                marker={"color": color},
                hovertemplate=label + " %{x}<br>%{customdata}<extra></extra>",
            )
        )
    return _figure(traces, _layout(f"{year} 预算执行（按类，万元）", barmode="group",
                                   yaxis={"title": {"text": UNIT_AXIS}}, xaxis={"automargin": True}))  # fmt: skip


def rename_timeline(names: Sequence[tuple[str, int, int | None]], years: Sequence[int]) -> dict[str, Any] | None:
    """The department's printed names (SCD-2 versions) as bars over the years, with its document years marked."""
    if not names:
        return None
    import plotly.graph_objects as go

    last = max([*years, *(n[1] for n in names)]) + 1
    bars = go.Bar(
        orientation="h",
        y=[n[0] for n in names],
        base=[n[1] for n in names],
        x=[(n[2] if n[2] is not None else last) - n[1] for n in names],
        customdata=[f"{n[1]}–{'' if n[2] is None else n[2] - 1}" for n in names],
        marker={"color": "#74a9cf"},
        name="名称",
        hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    )
    marks = go.Scatter(
        x=[y + 0.5 for y in years],
        y=[_name_in(names, y) for y in years],
        mode="markers",
        marker={"symbol": "diamond", "size": 10, "color": "#08306b"},
        name="文件年度",
        customdata=[str(y) for y in years],
        hovertemplate="%{customdata} 年文件<extra></extra>",
    )
    return _figure(
        [bars, marks],
        _layout("部门名称沿革（SCD-2）", height=120 + 40 * len(names), showlegend=False,
                xaxis={"title": {"text": "年度"}, "dtick": 1}, yaxis={"automargin": True}),
    )  # fmt: skip


def _name_in(names: Sequence[tuple[str, int, int | None]], year: int) -> str:
    for name, start, end in names:
        if start <= year and (end is None or year < end):
            return name
    return names[-1][0]
