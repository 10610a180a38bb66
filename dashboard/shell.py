"""The frame around every page: header, navigation, the filters panel and the export bar."""

from __future__ import annotations

from typing import NamedTuple

from dash import dcc, html

from dashboard import context, filters
from dashboard.access import Capabilities
from dashboard.cube import CubeError

# Where each filter's options are read from: the first view the token may see that has it.
_OPTION_VIEWS = ("outcomes_overview", "prompt_variants", "experiments", "model_health",
                 "operations_drilldown", "standard_reports")
OPTIONS_TTL_S = 300.0  # the values change with the data only


def segment_options() -> dict[str, list[dict]]:
    """Each filter's values, from Cube, most frequent first. Read while the page layout is
    served, so that a dropdown opened from a shared link already knows the values it holds
    (Dash drops a value that is not among a dropdown's options)."""
    try:
        cube = context.client()
        caps = Capabilities.from_meta(cube.meta())
    except CubeError:
        return {}
    queries = {}
    for key, dimension in filters.SEGMENTS.items():
        view = next((v for v in _OPTION_VIEWS if caps.has(v, dimension)), None)
        if view:
            count = "outcome_events" if key == "mtype" else (
                "count" if view == "operations_drilldown" else "conversations")
            queries[key] = {"dimensions": [f"{view}.{dimension}"], "measures": [f"{view}.{count}"],
                            "order": {f"{view}.{count}": "desc"}, "limit": 500}
    cube.cache_ttl_s = OPTIONS_TTL_S
    rows = context.load_all(cube, queries)
    return {key: [{"label": v, "value": v} for v in (r.get(f"{q['dimensions'][0]}") for r in rows[key])
                  if v is not None] for key, q in queries.items()}

RANGE_OPTIONS = [{"label": k, "value": k} for k in filters.PRESETS] + [
    {"label": "Custom", "value": "custom"}]


def filters_panel(state: dict) -> html.Aside:
    """The filter controls, set to `state` (the URL's filters)."""
    options = segment_options()
    dropdowns = [
        html.Div(className="filter", children=[
            html.Label(label, htmlFor=f"f-seg-{key}"),
            dcc.Dropdown(id={"type": "f-seg", "key": key}, multi=True, searchable=True,
                         placeholder=f"All {label.lower()}s", options=options.get(key, []), value=state.get(key, []),
                         className="dropdown"),
        ])
        for key, label in filters.SEGMENT_LABELS.items()
    ]
    return html.Aside(id="filters-panel", className="filters", **{"aria-label": "Filters"}, children=[
        html.Div(className="filter filter-range", children=[
            html.Label("Time range"),
            dcc.RadioItems(id="f-range", options=RANGE_OPTIONS, value=state["range"],
                           className="range-buttons", inline=True),
            dcc.DatePickerRange(id="f-dates", display_format="YYYY-MM-DD", className="dates",
                                start_date=state.get("from"), end_date=state.get("to")),
        ]),
        *dropdowns,
    ])


class Frame(NamedTuple):
    """What the frame shows for a page and its filters (app.py's frame callback, in its outputs' order)."""
    nav: list
    who: str | None
    summary: str | None
    pdf_href: str
    link: str | None  # the shareable link the clipboard copies
    generated: str | None
    conversations_href: str
    conversations_hidden: bool


EMPTY_FRAME = Frame([], None, None, "/export/pdf", None, None, "/drilldown", True)


def export_bar(frame: Frame) -> html.Div:
    return html.Div(className="export-bar", children=[
        html.P(frame.summary, id="filters-summary", className="filters-summary"),
        html.Div(className="export-actions", children=[
            html.A("Export PDF report", id="pdf-link", className="button", href=frame.pdf_href),
            # After a cross-filter click: the conversations behind the figures (drill-down roles only).
            html.A("Open the conversations", id="conversations-link", className="button",
                   href=frame.conversations_href, hidden=frame.conversations_hidden),
            dcc.Clipboard(id="copy-link", title="Copy the shareable link", className="button clip",
                          content=frame.link),
            html.Span("Copy link", className="clip-label"),
            dcc.Input(id="view-name", placeholder="Name this view", className="view-name", maxLength=100),
            dcc.Checklist(id="view-shared", options=[{"label": "Share with the team", "value": "shared"}],
                          value=[], className="view-shared"),
            html.Button("Save view", id="save-view", className="button"),
            dcc.Dropdown(id="saved-views-menu", placeholder="Saved views", className="dropdown saved"),
            html.Button("Delete view", id="delete-view", className="button button-quiet"),
            html.Span(id="saved-view-message", className="saved-view-message", role="status"),
        ]),
        schedule_panel(),
    ])


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def schedule_panel() -> html.Details:
    """"Schedule this view": the saved view chosen in the menu as a daily or weekly PDF report."""
    return html.Details(id="schedule-panel", className="schedule-panel", children=[
        html.Summary("Schedule this view"),
        html.Div(className="schedule-form", children=[
            dcc.RadioItems(id="schedule-frequency", inline=True, value="weekly", className="range-buttons",
                           options=[{"label": "Weekly", "value": "weekly"}, {"label": "Daily", "value": "daily"}]),
            dcc.Dropdown(id="schedule-weekday", value="monday", clearable=False, className="dropdown schedule-day",
                         options=[{"label": d.capitalize(), "value": d} for d in WEEKDAYS]),
            dcc.Dropdown(id="schedule-hour", value=7, clearable=False, className="dropdown schedule-hour",
                         options=[{"label": f"{h:02d}:00 UTC", "value": h} for h in range(24)]),
            dcc.Dropdown(id="schedule-destination", placeholder="Send to…", className="dropdown schedule-to"),
            dcc.Input(id="schedule-slack-channel", placeholder="Slack channel id (C…)", className="view-name",
                      maxLength=21),
            html.Button("Schedule", id="schedule-create", className="button"),
        ]),
        html.P(id="schedule-message", className="saved-view-message", role="status"),
        html.Ul(id="schedule-list", className="schedule-list"),
    ])


def layout(state: dict | None = None, page=None, page_for: str | None = None,
           frame: Frame = EMPTY_FRAME) -> html.Div:
    """The frame; `page`, the filters `state` it was drawn for and the `frame`'s contents when
    drawn on the server for the URL `page_for`, so that no callback has to run before the page shows."""
    return html.Div(className="app", children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="filters", data=state),
        dcc.Store(id="page-for", data=page_for),
        dcc.Store(id="saved-views"),  # the accounts API's answer for this user (no copy kept in the browser)
        html.Header(className="topbar", children=[
            html.Div("OutcomeLens", className="brand"),
            html.Nav(frame.nav, id="nav", className="nav", **{"aria-label": "Pages"}),
            html.Div(frame.who, id="who", className="who"),
            html.A("Sign out", href="/signout", className="signout"),
        ]),
        html.P(frame.generated, id="generated", className="print-only"),
        filters_panel(state or filters.from_query("")),
        export_bar(frame),
        html.Main(page, id="page", className="page"),
    ])
