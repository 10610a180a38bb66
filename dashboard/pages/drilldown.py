"""Drill-down: KPI → experiment → capability → action → intent → conversations → one conversation.

Each level is a bar chart of the KPI by the next dimension; clicking a bar sets that filter (the
same cross-filter as elsewhere), so the path is the filter state and lives in the URL. The
conversation list pages on the server (AG Grid's infinite row model → Cube limit/offset).
"""

from __future__ import annotations

import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import components, context, filters, metrics, theme, widgets
from dashboard.context import Ctx
from dashboard.pages.common import base_query, connect

V = "operations_drilldown"
LEVELS = ("experiment", "capability", "action", "intent")
KPIS = {"conversion_rate": ("Conversion", "percent"), "count": ("Conversations", "count"),
        "revenue": ("Revenue", "usd"), "resolution_time_mean_s": ("Resolution time", "seconds"),
        "feedback_thumbs_up_rate": ("Thumbs-up rate", "percent"),
        "feedback_csat_mean": ("CSAT", "rating"), "call_error_rate": ("LLM error rate", "percent"),
        "call_latency_mean_ms": ("LLM latency mean", "ms")}
LIST_COLUMNS = ("conversation_id", "started_at", "experiment_id", "variant", "prompt_version",
                "llm_model", "intent", "capability", "action", "converted", "attribution_reason", "resolved", "escalated",
                "order_value_usd", "customer_ref", "contact_id", "deal_id")
PAGE_SIZE = 50


def kpi_of(state: dict) -> str:
    return state.get("kpi") if state.get("kpi") in KPIS else "conversion_rate"


def next_level(state: dict) -> str | None:
    return next((key for key in LEVELS if not state.get(key)), None)


@widgets.widget("drilldown.level")
def level_query(ctx: Ctx):
    level = next_level(ctx.state)
    if level is None:
        return widgets.Unavailable("Every level is chosen: the conversations are listed below.")
    kpi = kpi_of(ctx.state)
    query = base_query(ctx, V, [kpi, "count"], dimensions=[filters.SEGMENTS[level]],
                       order={f"{V}.count": "desc"}, limit=100)
    return query if isinstance(query, widgets.Unavailable) else {"rows": query}


def render_level(result: dict, ctx: Ctx):
    rows, level, kpi = result["rows"], next_level(ctx.state), kpi_of(ctx.state)
    if not rows:
        return components.notice("No conversations under this path.")
    label, kind = KPIS[kpi]
    scale = 100 if kind == "percent" else 1
    names = [r[f"{V}.{filters.SEGMENTS[level]}"] or "(none)" for r in rows]
    fig = go.Figure(go.Bar(x=names, y=[(metrics.number(r[f"{V}.{kpi}"]) or 0) * scale for r in rows],
                           customdata=names, marker_color=theme.SERIES[0], name=label,
                           hovertemplate="%{x}: %{y:,.2f}<extra>click to drill down</extra>"))
    theme.figure_layout(fig, title=f"{label} by {filters.SEGMENT_LABELS[level].lower()} — click a bar")
    fig.update_layout(hovermode="closest", yaxis=dict(title=label + (" (%)" if scale == 100 else "")))
    return components.ready(components.graph(fig, {"type": "xfilter", "key": level, "n": "drilldown.level"}))


def _list_dimensions(ctx: Ctx) -> list[str]:
    return [c for c in LIST_COLUMNS if ctx.caps.has(V, c)]


def list_query(ctx: Ctx, start: int = 0, end: int | None = None, sort: list | None = None) -> dict:
    dims = _list_dimensions(ctx)
    order = {f"{V}.{s['colId']}": s["sort"] for s in (sort or []) if s.get("colId") in dims} or \
        {f"{V}.started_at": "desc"}
    query = base_query(ctx, V, [], dimensions=dims, order=order, offset=start,
                       limit=(end - start) if end is not None else 10000)
    return query


@widgets.widget("drilldown.conversations")
def conversations_query(ctx: Ctx):
    # The CSV of this widget is the audit sample: up to 10,000 conversations with their credited
    # deals (deal ids for the roles that may see them).
    rows = list_query(ctx)
    return rows if isinstance(rows, widgets.Unavailable) else {"rows": rows}


def count_query(ctx: Ctx) -> dict:
    return base_query(ctx, V, ["count"])


def render_conversations(result: dict, ctx: Ctx):
    # `result` is not shown as such: the grid asks for its pages itself (getRowsRequest).
    total = context.load_all(ctx.client, {"n": count_query(ctx)})["n"]
    n = int(metrics.number((total or [{}])[0].get(f"{V}.count")) or 0)
    columns = [{"field": c, "headerName": c.replace("_", " "), "filter": False} for c in _list_dimensions(ctx)]
    grid = components.grid([], columns, None, height=420, rowModelType="infinite",
                           getRowId="params.data.conversation_id",
                           dashGridOptions={"cacheBlockSize": PAGE_SIZE, "pagination": True,
                                            "paginationPageSize": PAGE_SIZE, "maxBlocksInCache": 4})
    grid.id = {"type": "rowpick", "key": "conv"}
    return components.ready(html.P(f"{n:,} conversations — click one to open it.", id="conversation-count",
                                   className="card-note", **{"data-count": str(n)}), grid)


def register_paging(app) -> None:
    @app.callback(Output({"type": "rowpick", "key": "conv"}, "getRowsResponse"),
                  Input({"type": "rowpick", "key": "conv"}, "getRowsRequest"), State("filters", "data"))
    def page(request, state):
        if not request:
            raise PreventUpdate
        built = context.build(state or {})
        query = list_query(built, request["startRow"], request["endRow"], request.get("sortModel"))
        parts = context.load_all(built.client, {"rows": query, "n": count_query(built)})
        rows = [{k.split(".", 1)[1]: v for k, v in r.items()} for r in parts["rows"]]
        total = int(metrics.number((parts["n"] or [{}])[0].get(f"{V}.count")) or 0)
        return {"rowData": rows, "rowCount": total}


def crumbs(state: dict) -> html.Nav:
    """KPI › experiment › capability › action › intent; each link goes back to that level."""
    kpi = kpi_of(state)
    base = {k: v for k, v in state.items() if k not in LEVELS and k != "conv"}
    items = [dcc.Link(f"KPI: {KPIS[kpi][0]}", href=f"/drilldown{filters.to_query(base)}")]
    path = dict(base)
    for level in LEVELS:
        if not state.get(level):
            break
        path[level] = state[level]
        items += [html.Span("›"), dcc.Link(f"{filters.SEGMENT_LABELS[level]}: {', '.join(state[level])}",
                                            href=f"/drilldown{filters.to_query(path)}")]
    return html.Nav(items, className="crumbs", id="crumbs", **{"aria-label": "Drill-down path"})


def _cards(conversation_open: bool) -> list:
    if conversation_open:
        return [components.card("drilldown.conversation", "Conversation", wide=True)]
    return [components.card("drilldown.level", "Drill down", wide=True),
            components.card("drilldown.conversations", "Conversations", wide=True,
                            note="Paged on the server. The CSV is the audit sample: conversations "
                                 "with their credited deals.")]


def layout(state: dict, caps) -> html.Div:
    kpi_picker = dcc.Dropdown(id={"type": "f-page", "key": "kpi"}, value=kpi_of(state), clearable=False,
                              options=[{"label": v[0], "value": k} for k, v in KPIS.items()
                                       if caps.has(V, k)], className="dropdown kpi-picker")
    return html.Div(className="grid-page", children=[
        html.H1("Drill-down"), html.Div(id="crumbs-box", className="crumbs", children=crumbs(state)),
        html.Div([html.Label("KPI"), kpi_picker], className="filter"),
        dcc.Store(id="drill-mode", data=bool(state.get("conv"))),
        html.Div(id="drill-body", className="grid-page wide-span", children=_cards(bool(state.get("conv")))),
    ])


def register(app) -> None:
    from dashboard.pages import conversation
    connect(app, "drilldown.level", render_level)
    connect(app, "drilldown.conversation", conversation.render)
    register_paging(app)

    @app.callback(Output(components.body_id("drilldown.conversations"), "children"),
                  Input("filters", "data"))
    def conversations(state):
        if state is None:
            raise PreventUpdate
        return render_conversations({}, context.build(state))

    @app.callback(Output("drill-body", "children"), Output("drill-mode", "data"),
                  Input("filters", "data"), State("drill-mode", "data"))
    def switch(state, conversation_open):
        # Swap the list for one conversation (and back) only when that changes, so that the
        # widgets are not rebuilt on every filter change.
        wanted = bool((state or {}).get("conv"))
        if wanted == conversation_open:
            raise PreventUpdate
        return _cards(wanted), wanted

    @app.callback(Output("crumbs-box", "children"), Input("filters", "data"))
    def update_crumbs(state):
        return crumbs(state or {})
