"""Prompts and models: latency (mean, p50, p95), time to first token, errors, tokens and cost by
prompt version, config and model; and the last hour of calls, refreshed every 15 seconds."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dashboard import components, context, metrics, theme, widgets
from dashboard.context import Ctx
from dashboard.cube import CubeError
from dashboard.pages.common import LATENCY_VIEWS, base_query, connect, pick_view
from dashboard.pages.experiments import _formatter

MEASURES = ["llm_calls", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "ttft_mean_ms",
            "error_rate", "total_tokens", "cost", "cost_per_conversation"]
GROUPS = ["prompt_version", "config_hash", "llm_model"]
LIVE_SECONDS = 15


@widgets.widget("prompts.by_version")
def by_version_query(ctx: Ctx):
    view = pick_view(ctx, ("latency_p95_ms", *GROUPS), LATENCY_VIEWS)
    if not view:
        return widgets.Unavailable("Your role sees no view with latency by prompt version.")
    names = [m for m in MEASURES if ctx.caps.has(view, m)]
    query = base_query(ctx, view, names, dimensions=GROUPS, order={f"{view}.llm_calls": "desc"})
    return query if isinstance(query, widgets.Unavailable) else {"rows": query}


def render_by_version(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No LLM calls in this range.")
    view = next(iter(rows[0])).split(".")[0]
    columns = [{"field": f"{view}.{g}", "headerName": g.replace("_", " ")} for g in GROUPS]
    present = [m for m in MEASURES if f"{view}.{m}" in rows[0]]
    columns += [{"field": f"{view}.{m}", "headerName": metrics.BY_NAME[m].label, "type": "numericColumn",
                 "valueFormatter": {"function": _formatter(metrics.BY_NAME[m].kind)}} for m in present]
    data = [{k: (metrics.number(v) if k.split(".")[1] in present else v) for k, v in r.items()} for r in rows]
    labels = [f"{r[f'{view}.prompt_version']} · {r[f'{view}.llm_model']}" for r in rows]
    fig = go.Figure()
    for i, name in enumerate(("latency_mean_ms", "latency_p50_ms", "latency_p95_ms")):
        fig.add_bar(x=labels, y=[metrics.number(r.get(f"{view}.{name}")) for r in rows],
                    name=metrics.BY_NAME[name].label + " (ms)", marker_color=theme.SERIES[i],
                    customdata=[r[f"{view}.prompt_version"] for r in rows])
    fig.add_scatter(x=labels, y=[(metrics.number(r.get(f"{view}.error_rate")) or 0) * 100 for r in rows],
                    name="Error rate (%)", yaxis="y2", mode="markers",
                    marker=dict(size=11, color=theme.BAD, symbol="diamond"))
    theme.figure_layout(fig, y2="Error rate (%)")
    fig.update_layout(barmode="group", yaxis=dict(title="Latency (ms)"), hovermode="x unified")
    return components.ready(
        components.graph(fig, {"type": "xfilter", "key": "version", "n": "prompts.by_version"}),
        components.grid(data, columns, "versions-grid", height=320))


@widgets.widget("prompts.latency_trend")
def trend_query(ctx: Ctx):
    view = pick_view(ctx, ("latency_p50_ms", "latency_p95_ms", "error_rate"), LATENCY_VIEWS)
    if not view:
        return widgets.Unavailable("Your role sees no view with latency per day.")
    query = base_query(ctx, view, ["latency_p50_ms", "latency_p95_ms", "error_rate"], granularity="day")
    return query if isinstance(query, widgets.Unavailable) else {"rows": query}


def render_trend(result: dict, ctx: Ctx):
    rows = result["rows"]
    if not rows:
        return components.notice("No LLM calls in this range.")
    view = next(iter(rows[0])).split(".")[0]
    days = [r[f"{view}.date_day.day"][:10] for r in rows]
    fig = go.Figure()
    for i, name in enumerate(("latency_p50_ms", "latency_p95_ms")):
        fig.add_scatter(x=days, y=[metrics.number(r[f"{view}.{name}"]) for r in rows], mode="lines",
                        name=metrics.BY_NAME[name].label + " (ms)", line=dict(color=theme.SERIES[i]))
    fig.add_scatter(x=days, y=[(metrics.number(r[f"{view}.error_rate"]) or 0) * 100 for r in rows],
                    name="Error rate (%)", yaxis="y2", mode="lines", line=dict(color=theme.BAD, dash="dot"))
    theme.figure_layout(fig, y2="Error rate (%)")
    fig.update_layout(yaxis=dict(title="Latency (ms)"))
    return components.ready(components.graph(fig))


@widgets.widget("prompts.live")
def live_query(ctx: Ctx):
    v = "operations_drilldown"
    if v not in ctx.caps.views:
        return widgets.Unavailable("The last hour is read from single LLM calls (the operations_drilldown "
                                   f"view), which your role ({ctx.caps.role}) may not see; the figures "
                                   "above are per day.")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    window = [(now - dt.timedelta(hours=1)).isoformat(timespec="seconds"), now.isoformat(timespec="seconds")]
    query = base_query(ctx, v, ["call_count", "call_errors", "call_latency_mean_ms", "call_cost"],
                       dimensions=["llm_model"], granularity=None, date_range=window)
    if isinstance(query, widgets.Unavailable):
        return query
    query["timeDimensions"] = [{"dimension": f"{v}.call_occurred_at", "dateRange": window}]
    return {"rows": query}


def render_live(result: dict, ctx: Ctx):
    rows = result["rows"]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S UTC")
    if not rows:
        return components.notice(f"No LLM calls in the last hour (checked {stamp}).")
    columns = [{"field": k, "headerName": k.split(".")[1].replace("call_", "").replace("_", " ")} for k in rows[0]]
    return components.ready(html.P(f"Updated {stamp}", className="card-note"),
                            components.grid(rows, columns, "live-grid", height=220))


def layout(state: dict, caps) -> html.Div:
    return html.Div(className="grid-page", children=[
        html.H1("Prompts and models"),
        components.card("prompts.by_version", "Latency, errors, tokens and cost by prompt version, config and model",
                        wide=True, note="Click a bar to filter the page by that prompt version."),
        components.card("prompts.latency_trend", "Latency percentiles and error rate per day", wide=True),
        components.card("prompts.live", "Last hour (auto-refresh)", wide=True),
        dcc.Interval(id="live-tick", interval=LIVE_SECONDS * 1000),
    ])


def register(app) -> None:
    connect(app, "prompts.by_version", render_by_version)
    connect(app, "prompts.latency_trend", render_trend)

    @app.callback(Output(components.body_id("prompts.live"), "children"),
                  Input("filters", "data"), Input("live-tick", "n_intervals"))
    def live(state, _tick):
        try:
            built = context.build(state or {})
            result = widgets.run("prompts.live", built)
        except CubeError as exc:
            return components.notice(f"The semantic layer refused this ({exc.status}): {exc.message}", kind="error")
        if isinstance(result, widgets.Unavailable):
            return components.notice(result.reason)
        return render_live(result, built)
