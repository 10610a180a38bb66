"""Saved views and report schedules in the export bar, kept per user by the accounts API
(/v1/saved-views, /v1/report-schedules) and called with the signed-in user's own token.

A saved view is a link (page and query string): opening one navigates to it in the browser (as a
dcc.Link does), and the page decides what the token may see, exactly as for a shared link; one whose page this role cannot open is marked
in the menu and, opened, says why (app._page's check). "Schedule this view" turns the saved view
chosen in the menu into a daily or weekly PDF report to an alert webhook or a Slack channel.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import access, context
from dashboard.access import Capabilities
from dashboard.accounts_api import AccountsError, NotAvailable

NOT_AVAILABLE = "Saved views are not available on this accounts service (it has no /v1/saved-views)."


def page_of_href(href: str) -> str:
    return urlsplit(href).path.strip("/") or "overview"


def closed_reason(caps: Capabilities | None, href: str) -> str | None:
    """Why this role cannot open the view's page (access.why_closed), or None when it can."""
    page = page_of_href(href)
    if caps is None or page not in access.PAGES or access.can_open(caps, page):
        return None
    return access.why_closed(caps, page)


def _caps() -> Capabilities | None:
    try:
        return Capabilities.from_meta(context.client().meta())
    except Exception:  # noqa: BLE001 - Cube refused or unreachable: list the views unmarked, the page still checks
        return None


def _listed() -> tuple[list[dict], str | None]:
    """This user's views and the team's shared ones, each with `closed` (why the role cannot open it)."""
    try:
        views = context.accounts_client().saved_views()
    except NotAvailable:
        return [], NOT_AVAILABLE
    except AccountsError as exc:
        return [], f"Saved views could not be read: {exc.message}"
    caps = _caps()
    return [{**v, "closed": closed_reason(caps, v["href"])} for v in views], None


OPEN_SAVED_VIEW_JS = """
function (chosen, saved) {
    const view = (saved || []).find((v) => String(v.id) === chosen);
    if (!view) { return window.dash_clientside.no_update; }
    if (window.location.pathname + window.location.search !== view.href) {
        window.history.pushState({}, "", view.href);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    }
    return view.closed ? "\u201c" + view.name + "\u201d is closed to your role." : "";
}
"""


def _label(view: dict) -> str:
    label = view["name"]
    if not view.get("mine"):
        label += f" · shared by {view.get('owner_email') or view.get('owner')}"
    elif view.get("shared"):
        label += " · shared"
    if view.get("closed"):
        label += " · closed to your role"
    return label


def _save(name: str | None, shared: list | None, saved: list[dict], href: str) -> str:
    client = context.accounts_client()
    mine = {v["name"]: v for v in saved if v.get("mine")}
    name = (name or "").strip() or f"View {len(mine) + 1}"
    if name in mine:  # saving under a name you used again updates that view
        client.update_view(mine[name]["id"], href=href, shared=bool(shared))
        return f"Saved view “{name}” updated."
    client.save_view(name, href, bool(shared))
    return f"Saved view “{name}”" + (" (shared with the team)." if shared else ".")


def register(app: dash.Dash) -> None:
    @app.callback(
        Output("saved-views", "data"),
        Output("saved-view-message", "children"),
        Output("view-name", "value"),
        Input("url", "pathname"),
        Input("save-view", "n_clicks"),
        Input("delete-view", "n_clicks"),
        State("view-name", "value"),
        State("view-shared", "value"),
        State("saved-views", "data"),
        State("saved-views-menu", "value"),
        State("url", "search"),
    )
    def saved_views(pathname, _save_clicks, _delete_clicks, name, shared, saved, chosen, search):
        message = ""
        try:
            if ctx.triggered_id == "save-view":
                path = pathname if (pathname or "/").strip("/") else "/overview"  # "/" is the overview
                message = _save(name, shared, saved or [], f"{path}{search or ''}")
            elif ctx.triggered_id == "delete-view":
                if not chosen:
                    message = "Choose a saved view in the menu to delete it."
                else:
                    context.accounts_client().delete_view(int(chosen))
                    message = "Saved view deleted (and the report schedules made on it)."
        except NotAvailable:
            message = NOT_AVAILABLE
        except AccountsError as exc:
            message = f"Not saved: {exc.message}" if ctx.triggered_id == "save-view" else f"Refused: {exc.message}"
        views, problem = _listed()
        keep_name = no_update if ctx.triggered_id != "save-view" or message.startswith("Not saved") else ""
        if ctx.triggered_id in (None, "url") and not problem:
            return views, no_update, keep_name  # a navigation keeps the note of the view just opened
        return views, message or problem or "", keep_name

    @app.callback(Output("saved-views-menu", "options"), Input("saved-views", "data"))
    def menu(saved):
        return [{"label": _label(v), "value": str(v["id"]), "title": v.get("closed") or v["href"]} for v in saved or []]

    # In the browser, as a dcc.Link navigates (pushState, then the event dcc.Location listens to):
    # setting the Location's href from a server callback (refresh=False) would change the address
    # bar without the page following. The page then checks the role, exactly as for a shared link.
    app.clientside_callback(
        OPEN_SAVED_VIEW_JS,
        Output("saved-view-message", "children", allow_duplicate=True),
        Input("saved-views-menu", "value"),
        State("saved-views", "data"),
        prevent_initial_call=True,
    )

    _register_schedules(app)


def _destination_options(found: dict) -> list[dict]:
    options = [{"label": f"Webhook: {name}", "value": f"webhook:{name}"} for name in found.get("webhooks", [])]
    if found.get("slack"):
        options.append({"label": "A Slack channel (id below)", "value": "slack"})
    return options


def _schedule_item(s: dict) -> html.Li:
    when = (
        f"every {s['weekday'].capitalize()}" if s["frequency"] == "weekly" else "daily"
    ) + f" at {s['hour']:02d}:00 UTC"
    to = s["destination"]
    sent = f"last sent {s['last_sent_at'][:16].replace('T', ' ')}" if s.get("last_sent_at") else "not sent yet"
    error = f" · last attempt failed: {s['last_error']}" if s.get("last_error") else ""
    return html.Li(
        className="schedule-item",
        children=[
            html.Span(f"“{s['view_name']}” {when} to {to['kind']} {to['name']} · {sent}{error}"),
            html.Button("Delete", id={"type": "schedule-delete", "id": s["id"]}, className="button button-quiet"),
        ],
    )


def _schedule_request(chosen, frequency, weekday, hour, destination, channel) -> dict:
    if not destination:
        raise ValueError("Choose where to send it.")
    kind, _, name = destination.partition(":")
    target = (
        {"kind": "webhook", "name": name}
        if kind == "webhook"
        else {"kind": "slack", "channel_id": (channel or "").strip()}
    )
    return {
        "view_id": int(chosen),
        "frequency": frequency,
        "hour": hour,
        "destination": target,
        "weekday": weekday if frequency == "weekly" else None,
    }


def _register_schedules(app: dash.Dash) -> None:
    @app.callback(
        Output("schedule-weekday", "disabled"),
        Output("schedule-slack-channel", "disabled"),
        Input("schedule-frequency", "value"),
        Input("schedule-destination", "value"),
    )
    def form(frequency, destination):
        return frequency != "weekly", destination != "slack"

    @app.callback(
        Output("schedule-list", "children"),
        Output("schedule-message", "children"),
        Output("schedule-destination", "options"),
        Input("saved-views", "data"),
        Input("saved-views-menu", "value"),
        Input("schedule-create", "n_clicks"),
        Input({"type": "schedule-delete", "id": ALL}, "n_clicks"),
        State("schedule-frequency", "value"),
        State("schedule-weekday", "value"),
        State("schedule-hour", "value"),
        State("schedule-destination", "value"),
        State("schedule-slack-channel", "value"),
    )
    def schedules(_views, chosen, _create, deletes, frequency, weekday, hour, destination, channel):
        # Read again whenever the saved views are (a deleted view takes its schedules with it) and
        # when a view is chosen (the one a schedule is made for).
        client, message = context.accounts_client(), ""
        trigger = ctx.triggered_id
        try:
            if trigger == "schedule-create":
                if not chosen:
                    message = "Save this view or choose a saved view in the menu first: a schedule sends a saved view."
                else:
                    made = client.schedule_report(
                        _schedule_request(chosen, frequency, weekday, hour, destination, channel)
                    )
                    message = (
                        f"Scheduled “{made['view_name']}”: next report "
                        f"{made['next_due_at'][:16].replace('T', ' ')} UTC."
                    )
            elif isinstance(trigger, dict) and trigger.get("type") == "schedule-delete":
                if not any(deletes):
                    raise PreventUpdate  # the list was redrawn, nothing was clicked
                client.delete_schedule(int(trigger["id"]))
                message = "Report schedule deleted."
        except ValueError as exc:
            message = str(exc)
        except NotAvailable:
            return [], "Report schedules are not available on this accounts service.", []
        except AccountsError as exc:
            message = f"Refused: {exc.message}"
        try:
            listed, found = client.report_schedules(), client.report_destinations()
        except AccountsError as exc:
            return [], message or f"Report schedules could not be read: {exc.message}", []
        if not found.get("webhooks") and not found.get("slack") and not message:
            message = "No destination yet: an admin adds an alert webhook or a Slack bot token (Admin)."
        return [_schedule_item(s) for s in listed], message, _destination_options(found)
