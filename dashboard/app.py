"""create_app: the Dash app, its pages and the export routes, on one Flask server.

The app reads Cube only (REST, with the signed-in user's token): `cube_api_url` is Cube's API
root, e.g. http://127.0.0.1:4000/cubejs-api.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from urllib.parse import urlsplit

import dash
import flask
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import (
    access,
    accounts_api,
    context,
    engagement,
    exports,
    filters,
    saved_views,
    session,
    shell,
    sync,
    vendor,
)
from dashboard.cube import CubeError
from dashboard.pages import admin, anomalies, drilldown, experiments, overview, prompts

PAGE_MODULES = {"overview": overview, "experiments": experiments, "prompts": prompts,
                "drilldown": drilldown, "anomalies": anomalies, "admin": admin}


# Dash's index page, plus preloads of the two requests its renderer makes first: the layout (for a
# signed-in browser, its page already drawn, served_layout) and the callback graph. Fetched while
# the HTML arrives instead of after the scripts have run (about half a second), the renderer's
# own requests find them in the browser's preload cache.
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        <link rel="preload" href="/_dash-layout" as="fetch" crossorigin="anonymous">
        <link rel="preload" href="/_dash-dependencies" as="fetch" crossorigin="anonymous">
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


class _Dash(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        # Dash's documented hook for changing the index page: its scripts, as vendor.page_scripts says.
        return super().interpolate_index(**{**kwargs, "scripts": vendor.page_scripts(kwargs["scripts"])})


def page_of(pathname: str | None) -> str:
    name = (pathname or "/").strip("/").split("/")[0] or "overview"
    return name if name in PAGE_MODULES else "overview"


def create_app(cube_api_url: str, *, accounts_url: str = accounts_api.DEFAULT_URL, cache_ttl_s: float = 15.0,
               chromium: str | None = None) -> dash.Dash:
    app = _Dash(__name__, title="OutcomeLens", suppress_callback_exceptions=True,
                assets_folder=str(Path(__file__).parent / "assets"), serve_locally=True,
                update_title=None, external_scripts=vendor.external_scripts(), index_string=INDEX)
    app.server.config[context.CONFIG_KEY] = {
        "api_url": cube_api_url.rstrip("/"), "cache_ttl_s": cache_ttl_s, "chromium": chromium}
    app.layout = served_layout
    session.register(app.server, cube_api_url.rstrip("/"), accounts_url)
    exports.register(app.server)
    vendor.register(app.server)
    sync.register(app)
    _register_shell(app)
    for module in PAGE_MODULES.values():
        module.register(app)
    return app


def _page(pathname: str | None, search: str | None):
    started, name = time.monotonic(), page_of(pathname)
    try:
        built = context.build(filters.from_query(search))
    except CubeError as exc:
        return html.P(f"The semantic layer refused the request ({exc.status}): {exc.message}",
                      className="notice notice-error")
    if not access.can_open(built.caps, name):
        body = html.Div(className="forbidden", children=[
            html.H1(access.PAGES[name][0]),
            html.P(access.why_closed(built.caps, name), id="forbidden-reason", className="notice notice-error"),
        ])
    elif hasattr(PAGE_MODULES[name], "filled_layout"):
        body = PAGE_MODULES[name].filled_layout(built)
    else:
        body = PAGE_MODULES[name].layout(built.state, built.caps)
    engagement.report_page_view(name, access.main_view(built.caps, name), started)
    return body


def _frame(state: dict, pathname: str | None, href: str | None) -> shell.Frame:
    built = context.build(state)
    query, current = filters.to_query(state), page_of(pathname)
    links = [dcc.Link(title, href=f"/{name}{query}",
                      className="nav-link active" if name == current else "nav-link")
             for name, (title, _) in access.PAGES.items() if access.can_open(built.caps, name)]
    who = f"Role: {built.caps.role} · data to {built.anchor.isoformat()}"
    summary = filters.describe(state, built.start, built.end)
    generated = f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC · {summary}"
    to_conversations = {k: v for k, v in state.items() if k != "conv"}
    hide_conversations = current == "drilldown" or not access.can_open(built.caps, "drilldown")
    return shell.Frame(links, who, summary, f"/export/pdf/{current}{query}", href, generated,
                       f"/drilldown{filters.to_query(to_conversations)}", hide_conversations)


def _browser_location() -> tuple[str, str] | None:
    """The page the browser is on when it asks for the layout: Dash's renderer fetches
    /_dash-layout from that page, so it is the request's Referer (same origin only)."""
    referrer = flask.request.referrer if flask.has_request_context() else None
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != flask.request.host:
        return None
    return parts.path, f"?{parts.query}" if parts.query else ""


def served_layout() -> html.Div:
    """The frame, with the browser's page already drawn in it (the overview: its widgets filled).

    Otherwise the renderer would fetch an empty frame, then wait on the URL → filters → page →
    widgets callbacks, a round trip each. Without a Referer (a browser that sends none) the page
    is left to the page callback, as before."""
    where = _browser_location()
    if where is None or not session.current_token():
        return shell.layout()
    pathname, search = where
    state = filters.from_query(search)
    try:
        frame = _frame(state, pathname, flask.request.referrer)
    except CubeError:
        frame = shell.EMPTY_FRAME  # the page says why
    return shell.layout(state=state, page=_page(pathname, search), page_for=pathname + search, frame=frame)


def _register_shell(app: dash.Dash) -> None:
    # `page-for`: the URL the page shown was drawn for. dcc.Location reports the URL once mounted,
    # which calls this with the page the served layout already holds.
    @app.callback(Output("page", "children"), Output("page-for", "data"), Input("url", "pathname"),
                  State("url", "search"), State("page-for", "data"))
    def page(pathname, search, page_for):
        url = (pathname or "") + (search or "")
        if url == page_for:
            raise PreventUpdate
        return _page(pathname, search), url

    # Not on the first render: the served layout holds the frame already (and without it, the
    # filters store is set by the URL sync, which calls this).
    @app.callback(Output("nav", "children"), Output("who", "children"),
                  Output("filters-summary", "children"), Output("pdf-link", "href"),
                  Output("copy-link", "content"), Output("generated", "children"),
                  Output("conversations-link", "href"), Output("conversations-link", "hidden"),
                  Input("filters", "data"), State("url", "pathname"), State("url", "href"),
                  prevent_initial_call=True)
    def frame(state, pathname, href):
        if state is None:
            raise PreventUpdate
        return _frame(state, pathname, href)

    @app.callback(Output({"type": "csv", "widget": ALL}, "href"), Input("filters", "data"),
                  State({"type": "csv", "widget": ALL}, "id"))
    def csv_links(state, ids):
        query = filters.to_query(state or {})
        return [f"/export/csv/{i['widget']}{query}" for i in ids]

    saved_views.register(app)
