"""Building blocks shared by the pages: widget cards with their CSV link, notices, grids."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import filters, theme


def export_href(widget: str, state: dict) -> str:
    return f"/export/csv/{widget}{filters.to_query(state or {})}"


def card(widget: str, title: str, *, wide: bool = False, note: str | None = None, body=None) -> html.Div:
    """A widget's frame: title, CSV export of its Cube rows, and a body its callback fills
    (or `body`, already filled on the server).

    The body's id is derived from the widget's name so that page callbacks, the CSV route and
    the tests all speak of the same thing.
    """
    return html.Section(
        className="card wide" if wide else "card",
        children=[
            html.Header(className="card-head", children=[
                html.H2(title),
                html.A("CSV", id={"type": "csv", "widget": widget}, className="csv-link",
                       href=export_href(widget, {}), **{"aria-label": f"Export {title} as CSV"}),
            ]),
            html.P(note, className="card-note") if note else None,
            dcc.Loading(html.Div(body, id=body_id(widget), className="card-body"), type="dot",
                        color=theme.SERIES[0]),
        ],
    )


def body_id(widget: str) -> str:
    return "w-" + widget.replace(".", "-").replace("_", "-")


def ready(*children) -> html.Div:
    """Widget content with a marker the PDF renderer and the benchmark wait for."""
    return html.Div([*children, html.Span(className="widget-ready", hidden=True)])


def notice(text: str, *, kind: str = "info") -> html.Div:
    return ready(html.P(text, className=f"notice notice-{kind}", role="status"))


def graph(figure, graph_id: str | dict | None = None) -> dcc.Graph:
    kwargs = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=figure, config={"displaylogo": False, "responsive": True}, **kwargs)


def grid(rows: list[dict], columns: list[dict], grid_id: str | None = None, height: int = 360,
         **extra) -> dag.AgGrid:
    kwargs = {"id": grid_id} if grid_id else {}
    options = {**theme.GRID_OPTIONS, "pagination": len(rows) > 20, "paginationPageSize": 20,
               # Cube names columns view.member: the dot is part of the name, not a path.
               "suppressFieldDotNotation": True}
    if extra.get("rowModelType") != "infinite":
        kwargs["rowData"] = rows  # the infinite row model asks for its rows instead
    return dag.AgGrid(
        columnDefs=columns, className="grid",
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 110,
                       "flex": 1},
        dashGridOptions={**options, **extra.pop("dashGridOptions", {})},
        style={"height": f"{height}px", "width": "100%"}, **kwargs, **extra,
    )
