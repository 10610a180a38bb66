"""The frame around every page: header, navigation, the filters panel and the export bar."""

from __future__ import annotations

from dash import dcc, html

from dashboard import filters

RANGE_OPTIONS = [{"label": k, "value": k} for k in filters.PRESETS] + [
    {"label": "Custom", "value": "custom"}]


def filters_panel() -> html.Aside:
    dropdowns = [
        html.Div(className="filter", children=[
            html.Label(label, htmlFor=f"f-seg-{key}"),
            dcc.Dropdown(id={"type": "f-seg", "key": key}, multi=True, searchable=True,
                         placeholder=f"All {label.lower()}s", options=[], value=[],
                         className="dropdown"),
        ])
        for key, label in filters.SEGMENT_LABELS.items()
    ]
    return html.Aside(id="filters-panel", className="filters", **{"aria-label": "Filters"}, children=[
        html.Div(className="filter filter-range", children=[
            html.Label("Time range"),
            dcc.RadioItems(id="f-range", options=RANGE_OPTIONS, value=filters.DEFAULT_RANGE,
                           className="range-buttons", inline=True),
            dcc.DatePickerRange(id="f-dates", display_format="YYYY-MM-DD", className="dates"),
        ]),
        *dropdowns,
    ])


def export_bar() -> html.Div:
    return html.Div(className="export-bar", children=[
        html.P(id="filters-summary", className="filters-summary"),
        html.Div(className="export-actions", children=[
            html.A("Export PDF report", id="pdf-link", className="button", href="/export/pdf"),
            dcc.Clipboard(id="copy-link", title="Copy the shareable link", className="button clip"),
            html.Span("Copy link", className="clip-label"),
            dcc.Input(id="view-name", placeholder="Name this view", className="view-name"),
            html.Button("Save view", id="save-view", className="button"),
            dcc.Dropdown(id="saved-views-menu", placeholder="Saved views", className="dropdown saved"),
        ]),
    ])


def layout() -> html.Div:
    return html.Div(className="app", children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="filters"),
        dcc.Store(id="saved-views", storage_type="local"),
        html.Header(className="topbar", children=[
            html.Div("OutcomeLens", className="brand"),
            html.Nav(id="nav", className="nav", **{"aria-label": "Pages"}),
            html.Div(id="who", className="who"),
            html.A("Sign out", href="/signout", className="signout"),
        ]),
        html.P(id="generated", className="print-only"),
        filters_panel(),
        export_bar(),
        html.Main(id="page", className="page"),
    ])
