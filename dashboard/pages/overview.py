"""Overview: KPI tiles against the previous period, trends with release markers, segment bars
that cross-filter the page when clicked."""

from __future__ import annotations

from dash import html

from dashboard import components, filters, metrics, theme, widgets
from dashboard.context import Ctx
from dashboard.pages.common import (
    LATENCY_VIEWS,
    OUTCOME_VIEWS,
    base_query,
    connect_page,
    fill_page,
    pick_view,
    time_dimension,
)


def _kpi_views(ctx: Ctx) -> dict[str, list[str]]:
    """View -> the KPIs read from it (the latency p95 lives in other views than the outcomes)."""
    chosen: dict[str, list[str]] = {}
    for kpi in metrics.KPIS:
        preferred = LATENCY_VIEWS if kpi.name.startswith("latency") else OUTCOME_VIEWS
        view = pick_view(ctx, (kpi.name,), preferred)
        if view:
            chosen.setdefault(view, []).append(kpi.name)
    return chosen


@widgets.widget("overview.kpis")
def kpis_query(ctx: Ctx):
    queries = {}
    for view, names in _kpi_views(ctx).items():
        for period, days in (("current", ctx.date_range), ("previous", ctx.previous)):
            query = base_query(ctx, view, names, date_range=days)
            if not isinstance(query, widgets.Unavailable):
                queries[f"{view}:{period}"] = query
    return queries or widgets.Unavailable("None of the KPIs can follow the filters in force.")


def _tile(kpi: metrics.Metric, current, previous) -> html.Div:
    absolute, relative, delta = metrics.fmt_change(current, previous, kpi.kind)
    good = delta is not None and delta != 0 and ((delta > 0) == (kpi.better == "up"))
    tone = "flat" if not delta else ("good" if good else "bad")
    return html.Div(className="kpi", id=f"kpi-{kpi.name}", **{"data-value": str(current)}, children=[
        html.Div(kpi.label, className="kpi-label"),
        html.Div(metrics.fmt(current, kpi.kind), className="kpi-value"),
        html.Div(className=f"kpi-change {tone}", children=[
            html.Span(absolute), html.Span(f" ({relative})"),
            html.Span(" vs previous period", className="kpi-vs")]),
    ])


def render_kpis(result: dict, ctx: Ctx):
    view_of = {name: view for view, names in _kpi_views(ctx).items() for name in names}
    tiles, absent = [], []
    for kpi in metrics.KPIS:
        view = view_of.get(kpi.name)
        if view is None or f"{view}:current" not in result:
            absent.append(kpi.label)
            continue
        member = f"{view}.{kpi.name}"
        current = (result[f"{view}:current"] or [{}])[0].get(member)
        previous = (result.get(f"{view}:previous") or [{}])[0].get(member)
        tiles.append(_tile(kpi, current, previous))
    note = html.P(f"Not available to your role or under these filters: {', '.join(absent)}.",
                  className="card-note") if absent else None
    return components.ready(html.Div(tiles, className="kpi-grid"), note)


@widgets.widget("overview.trend")
def trend_query(ctx: Ctx):
    view = pick_view(ctx, ("conversion_rate", "revenue"), OUTCOME_VIEWS)
    if not view:
        return widgets.Unavailable("Your role sees no view with conversion and revenue by day.")
    queries = {"rows": base_query(ctx, view, ["conversion_rate", "revenue", "conversations"],
                                  granularity="day")}
    if ctx.caps.has(view, "prompt_version"):
        # Release markers: the first day each prompt version appears, over all time.
        queries["releases"] = {"measures": [f"{view}.conversations"],
                               "dimensions": [f"{view}.prompt_version"],
                               "timeDimensions": [{"dimension": f"{view}.date_day", "granularity": "day"}],
                               "order": {f"{view}.date_day": "asc"}, "limit": 50000}
    if any(isinstance(q, widgets.Unavailable) for q in queries.values()):
        return next(q for q in queries.values() if isinstance(q, widgets.Unavailable))
    return queries


def first_appearances(rows: list[dict]) -> dict[str, str]:
    first: dict[str, str] = {}
    for row in rows:
        version = next((v for k, v in row.items() if k.endswith(".prompt_version")), None)
        day = next((v for k, v in row.items() if k.endswith(".date_day.day")), None)
        if version and day and (version not in first or day < first[version]):
            first[version] = day
    return first


def release_markers(releases: list[dict], days: list[str]) -> dict:
    """Dotted vertical lines (and their labels) on the first day of each prompt version in view."""
    shapes, notes = [], []
    for version, day in sorted(first_appearances(releases).items(), key=lambda kv: kv[1]):
        if days and days[0] <= day[:10] <= days[-1]:
            shapes.append({"type": "line", "x0": day[:10], "x1": day[:10], "xref": "x", "y0": 0, "y1": 1,
                           "yref": "y domain", "line": {"color": theme.SERIES[1], "dash": "dot", "width": 1}})
            notes.append({"x": day[:10], "y": 1, "yref": "paper", "text": f"{version} released",
                          "showarrow": False, "font": {"size": 11, "color": theme.SERIES[1]},
                          "xanchor": "left", "yanchor": "top"})
    return {"shapes": shapes, "annotations": notes}


def render_trend(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No conversations in this range.")
    view = next(iter(rows[0])).split(".")[0]
    days = [r[f"{view}.date_day.day"][:10] for r in rows]
    fig = theme.figure([
        {"type": "bar", "x": days, "y": [metrics.number(r[f"{view}.revenue"]) for r in rows],
         "name": "Revenue ($)", "yaxis": "y2", "marker": {"color": "rgba(92, 200, 255, 0.35)"},
         "hovertemplate": "$%{y:,.0f}"},
        {"type": "scatter", "x": days, "mode": "lines+markers", "name": "Conversion (%)",
         "y": [(metrics.number(r[f"{view}.conversion_rate"]) or 0) * 100 for r in rows],
         "line": {"color": theme.SERIES[1], "width": 2}, "hovertemplate": "%{y:.2f}%"},
    ], y2="Revenue ($)", yaxis={"title": {"text": "Conversion (%)"}},
        **release_markers(result.get("releases", []), days))
    return components.ready(components.graph(fig, "trend-graph"))


@widgets.widget("overview.quality")
def quality_query(ctx: Ctx):
    names = ("deflection_rate", "escalation_rate", "resolution_time_mean_s")
    view = pick_view(ctx, names, OUTCOME_VIEWS)
    if not view:
        return widgets.Unavailable("Your role sees no view with deflection, escalation and resolution time.")
    query = base_query(ctx, view, list(names), granularity="day")
    return query if isinstance(query, widgets.Unavailable) else {"rows": query}


def render_quality(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No conversations in this range.")
    view = next(iter(rows[0])).split(".")[0]
    days = [r[f"{view}.date_day.day"][:10] for r in rows]
    data = [{"type": "scatter", "x": days, "mode": "lines", "name": label,
             "y": [(metrics.number(r[f"{view}.{name}"]) or 0) * 100 for r in rows],
             "line": {"color": theme.SERIES[2 + i]}, "hovertemplate": "%{y:.1f}%"}
            for i, (name, label) in enumerate((("deflection_rate", "Deflection (%)"),
                                               ("escalation_rate", "Escalation (%)")))]
    data.append({"type": "scatter", "x": days, "mode": "lines", "name": "Resolution time (s)", "yaxis": "y2",
                 "y": [metrics.number(r[f"{view}.resolution_time_mean_s"]) for r in rows],
                 "line": {"color": theme.SERIES[4], "dash": "dash"}, "hovertemplate": "%{y:,.0f} s"})
    fig = theme.figure(data, y2="Resolution time (s)", yaxis={"title": {"text": "Rate (%)"}})
    return components.ready(components.graph(fig))


def _segment_widget(name: str, dimension: str, key: str):
    @widgets.widget(name)
    def query(ctx: Ctx):
        view = pick_view(ctx, ("conversion_rate", "revenue", dimension), OUTCOME_VIEWS)
        if not view:
            return widgets.Unavailable(f"Your role sees no view with conversion by {dimension}.")
        built = base_query(ctx, view, ["conversion_rate", "conversations", "revenue"],
                           dimensions=[dimension], order={f"{view}.conversations": "desc"})
        return built if isinstance(built, widgets.Unavailable) else {"rows": built}

    def render(result: dict, ctx: Ctx):
        rows = result["rows"]
        if not rows:
            return components.notice("No conversations in this range.")
        view = next(iter(rows[0])).split(".")[0]
        labels = [r[f"{view}.{dimension}"] or "(none)" for r in rows]
        fig = _bars_and_counts(labels, [(metrics.number(r[f"{view}.conversion_rate"]) or 0) * 100 for r in rows],
                               [metrics.number(r[f"{view}.conversations"]) for r in rows],
                               bar={"name": "Conversion (%)", "marker": {"color": theme.SERIES[0]},
                                    "hovertemplate": "%{x}: %{y:.2f}%<extra>click to filter</extra>"},
                               counts_label="Conversations", y_title="Conversion (%)")
        return components.ready(components.graph(fig, {"type": "xfilter", "key": key, "n": name}))

    return render


def _bars_and_counts(labels: list, values: list, counts: list, *, bar: dict, counts_label: str, y_title: str) -> dict:
    """A bar per segment (its value in customdata: a click filters by it) and its count on a
    second axis."""
    return theme.figure([
        {"type": "bar", "x": labels, "y": values, "customdata": labels, **bar},
        {"type": "scatter", "x": labels, "y": counts, "name": counts_label, "yaxis": "y2", "mode": "markers",
         "marker": {"color": theme.SERIES[1], "size": 10}, "hovertemplate": "%{y:,.0f}"},
    ], y2=counts_label, yaxis={"title": {"text": y_title}}, hovermode="closest")


# The outcome-metric records (CSV, API, CRM) by type; their fields carry an `outcome_` prefix.
OUTCOME_RECORD_DIMENSIONS = {"model": "outcome_llm_model", "experiment": "outcome_experiment_id",
                             "intent": "outcome_intent", "capability": "outcome_capability",
                             "action": "outcome_action", "mtype": "outcome_metric_name",
                             "version": "outcome_prompt_version"}  # no such field: cannot follow


@widgets.widget("overview.outcome_metrics")
def outcome_metrics_query(ctx: Ctx):
    view = "outcomes_overview"
    if not ctx.caps.has(view, "outcome_metric_name", "outcome_events"):
        return widgets.Unavailable(f"Outcome-metric records are part of the {view} view, which your role "
                                   f"({ctx.caps.role}) may not see.")
    seg, missing = filters.segment_filters(view, ctx.state, ctx.caps.members[view], OUTCOME_RECORD_DIMENSIONS)
    if missing:
        return widgets.cannot_follow(view, missing)
    return {"rows": {"measures": [f"{view}.outcome_events", f"{view}.outcome_value_mean", f"{view}.outcome_value_sum"],
                     "dimensions": [f"{view}.outcome_metric_name"], "filters": seg,
                     "timeDimensions": [time_dimension(view, ctx.date_range, member="outcome_date_day")],
                     "order": {f"{view}.outcome_events": "desc"}}}


def render_outcome_metrics(result: dict, ctx: Ctx):
    rows, v = result["rows"], "outcomes_overview"
    if not rows:
        return components.notice("No outcome-metric records in this range.")
    names = [r[f"{v}.outcome_metric_name"] for r in rows]
    fig = _bars_and_counts(names, [metrics.number(r[f"{v}.outcome_value_mean"]) for r in rows],
                           [metrics.number(r[f"{v}.outcome_events"]) for r in rows],
                           bar={"name": "Mean value", "marker": {"color": theme.SERIES[2]},
                                "hovertemplate": "%{x}: mean %{y:,.3g}<extra>click to filter</extra>"},
                           counts_label="Records", y_title="Mean value")
    return components.ready(components.graph(fig, {"type": "xfilter", "key": "mtype", "n": "overview.outcome_metrics"}))


def layout(state: dict, caps, bodies: dict | None = None) -> html.Div:
    """The page's cards; `bodies` (widget -> its filled body) when drawn on the server."""
    def card(widget: str, title: str, **options):
        return components.card(widget, title, body=(bodies or {}).get(widget), **options)

    return html.Div(className="grid-page", children=[
        html.H1("Overview"),
        card("overview.kpis", "Key figures", wide=True),
        card("overview.trend", "Conversion and revenue per day", wide=True,
             note="Dotted lines: the first day a prompt version appears."),
        card("overview.quality", "Deflection, escalation and resolution time", wide=True),
        card("overview.by_intent", "Conversion by intent",
             note="Click a bar to filter the whole page by that intent."),
        card("overview.by_version", "Conversion by prompt version",
             note="Click a bar to filter the whole page by that version."),
        card("overview.outcome_metrics", "Outcome metrics by type (CSV, API, CRM records)", wide=True,
             note="Click a bar to filter by that outcome metric type."),
    ])


WIDGETS = [
    ("overview.kpis", render_kpis),
    ("overview.trend", render_trend),
    ("overview.quality", render_quality),
    ("overview.by_intent", _segment_widget("overview.by_intent", "intent", "intent")),
    ("overview.by_version", _segment_widget("overview.by_version", "prompt_version", "version")),
    ("overview.outcome_metrics", render_outcome_metrics),
]


def filled_layout(ctx: Ctx) -> html.Div:
    """The page with every widget already drawn: it reaches the browser in the same answer as its
    layout, with no callback round trip before the figures (one fan-out of all the queries)."""
    return layout(ctx.state, ctx.caps, dict(zip((name for name, _ in WIDGETS), fill_page(WIDGETS, ctx))))


def register(app) -> None:
    # One callback for the whole page when the filters change: one context, one fan-out.
    connect_page(app, WIDGETS)
