"""Anomalies and forecasts: a metric's daily series with the forecast and its prediction interval
as a band, markers on the days anomalies fired, and the alert list with rule, expected and
observed values and the top contributing slice."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from dash import dcc, html

from dashboard import components, metrics, theme, widgets
from dashboard.context import Ctx
from dashboard.pages.common import connect

OV, MH = "outcomes_overview", "model_health"
METRICS = ("conversion_rate", "average_order_value", "deflection_rate", "escalation_rate",
           "thumbs_up_rate", "csat", "revenue", "resolution_time_mean_s")


def metric_of(state: dict) -> str:
    return state.get("metric") if state.get("metric") in METRICS else "conversion_rate"


@widgets.widget("anomalies.series")
def series_query(ctx: Ctx):
    if OV not in ctx.caps.views:
        return widgets.Unavailable(f"Forecasts are part of the outcomes_overview view, which your role "
                                   f"({ctx.caps.role}) may not see.")
    metric = metric_of(ctx.state)
    eq = lambda m, v: {"member": f"{OV}.{m}", "operator": "equals", "values": [v]}  # noqa: E731
    queries = {
        # The forecasts are for whole series (segment "all"): the segment filters do not apply.
        "observed": {"measures": [f"{OV}.{metric}"], "timeDimensions": [
            {"dimension": f"{OV}.date_day", "dateRange": ctx.date_range, "granularity": "day"}]},
        "forecast": {"measures": [f"{OV}.forecast_yhat", f"{OV}.forecast_yhat_lower", f"{OV}.forecast_yhat_upper"],
                     "dimensions": [f"{OV}.forecast_model"],
                     "timeDimensions": [{"dimension": f"{OV}.forecast_date_day", "granularity": "day"}],
                     "filters": [eq("forecast_metric_name", metric), eq("forecast_segment_dimension", "all")]},
    }
    if MH in ctx.caps.views:
        queries["anomalies"] = {"dimensions": [f"{MH}.anomaly_date_day", f"{MH}.anomaly_observed",
                                               f"{MH}.anomaly_segment_dimension", f"{MH}.anomaly_segment_value"],
                                "filters": [{"member": f"{MH}.anomaly_metric_name", "operator": "equals",
                                             "values": [metric]}]}
    return queries


def render_series(result: dict, ctx: Ctx):
    metric = metric_of(ctx.state)
    kind = metrics.BY_NAME[metric].kind
    scale = 100 if kind == "percent" else 1
    day = lambda r, m: (r.get(f"{m}.day") or "")[:10]  # noqa: E731
    fig = go.Figure()
    obs = result["observed"]
    fig.add_scatter(x=[day(r, f"{OV}.date_day") for r in obs], y=[(metrics.number(r[f"{OV}.{metric}"]) or 0) * scale for r in obs],
                    name="Observed", mode="lines", line=dict(color=theme.SERIES[0]))
    fc = result["forecast"]
    if fc:  # one forecasting model's series (the first Cube returns), not several summed
        first_model = fc[0].get(f"{OV}.forecast_model")
        fc = [r for r in fc if r.get(f"{OV}.forecast_model") == first_model]
    xs = [day(r, f"{OV}.forecast_date_day") for r in fc]
    values = {n: [(metrics.number(r[f"{OV}.forecast_{n}"]) or 0) * scale for r in fc] for n in ("yhat", "yhat_lower", "yhat_upper")}
    if fc:
        fig.add_scatter(x=xs + xs[::-1], y=values["yhat_upper"] + values["yhat_lower"][::-1], fill="toself",
                        fillcolor=theme.BAND, line=dict(width=0), name="95% prediction interval", hoverinfo="skip")
        fig.add_scatter(x=xs, y=values["yhat"], name="Forecast", mode="lines", line=dict(color=theme.SERIES[1], dash="dash"))
    marks = result.get("anomalies", [])
    if marks:
        fig.add_scatter(x=[(r[f"{MH}.anomaly_date_day"] or "")[:10] for r in marks],
                        y=[(metrics.number(r[f"{MH}.anomaly_observed"]) or 0) * scale for r in marks], mode="markers",
                        name="Anomaly", marker=dict(color=theme.BAD, size=13, symbol="x"),
                        text=[f"{r[f'{MH}.anomaly_segment_dimension']} = {r[f'{MH}.anomaly_segment_value']}" for r in marks],
                        hovertemplate="%{text}: %{y:.3g}<extra>anomaly</extra>")
    theme.figure_layout(fig, title=f"{metrics.BY_NAME[metric].label}: observed, forecast, anomalies")
    note = None if MH in ctx.caps.views else html.P(
        "Anomaly markers need the model_health view, which your role may not see.", className="card-note")
    return components.ready(components.graph(fig, "forecast-graph"), note)


@widgets.widget("anomalies.alerts")
def alerts_query(ctx: Ctx):
    if MH not in ctx.caps.views:
        return widgets.Unavailable(f"Anomalies are part of the model_health view, which your role "
                                   f"({ctx.caps.role}) may not see.")
    names = ("date_day", "metric_name", "segment_dimension", "segment_value", "rule", "severity", "expected",
             "observed", "lower", "upper", "volume", "top_contributor_dimension", "top_contributor_value",
             "contributors", "detected_at")
    return {"rows": {"dimensions": [f"{MH}.anomaly_{n}" for n in names],
                     "timeDimensions": [{"dimension": f"{MH}.anomaly_date_day", "dateRange": ctx.date_range}],
                     "order": {f"{MH}.anomaly_date_day": "desc"}, "limit": 500}}


def _contributors(text: str | None) -> str:
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return text or ""
    return "; ".join(f"{i.get('dimension')}={i.get('value')} ({i.get('share', 0):.0%})" for i in items[:3])


def render_alerts(result: dict, ctx: Ctx):
    rows = [{k.split(".", 1)[1].replace("anomaly_", ""): v for k, v in r.items()} for r in result["rows"]]
    if not rows:
        return components.notice("No anomalies in this range.")
    for row in rows:
        row["contributors"] = _contributors(row.get("contributors"))
    columns = [{"field": c, "headerName": c.replace("_", " ")} for c in rows[0]]
    return components.ready(components.grid(rows, columns, "alerts-grid", height=320))


def layout(state: dict, caps) -> html.Div:
    picker = dcc.Dropdown(id={"type": "f-page", "key": "metric"}, value=metric_of(state), clearable=False,
                          options=[{"label": metrics.BY_NAME[m].label, "value": m} for m in METRICS],
                          className="dropdown kpi-picker")
    return html.Div(className="grid-page", children=[
        html.H1("Anomalies and forecasts"),
        html.Div([html.Label("Metric"), picker], className="filter wide-span"),
        components.card("anomalies.series", "Forecast and anomalies", wide=True,
                        note="Whole-series forecasts (segment filters do not apply)."),
        components.card("anomalies.alerts", "Alerts", wide=True),
    ])


def register(app) -> None:
    connect(app, "anomalies.series", render_series)
    connect(app, "anomalies.alerts", render_alerts)
