"""Admin (admin role): users and roles, the audit log, ingestion and provider keys, alert channels,
the HubSpot connection, the Slack bot token of scheduled reports and the anomaly rules, all through the accounts API with the admin's own
token (a signed-in admin's access token is also an admin-API token).

Each section reads one endpoint. An endpoint this accounts service does not have (404 "Not Found")
shows "not available" in its section only; a refusal (403: a pasted query token is not an admin
token) says why. Secrets the API answers once (a one-time password, a new ingestion key, a
generated webhook secret) are shown once, in the message line, and kept nowhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import components, context, widgets
from dashboard.accounts_api import AccountsError, NotAvailable
from dashboard.context import Ctx
from dashboard.pages.common import connect, time_dimension

ROLES = ("admin", "product_manager", "prompt_engineer", "operations", "engineer", "enablement")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    path: str
    columns: tuple[str, ...] = ()  # shown in this order when present; others follow


SECTIONS = (
    Section("users", "Users and roles", "/v1/users", ("email", "name", "role", "status")),
    Section("ingestion-keys", "Ingestion keys", "/v1/governance/ingestion-keys", ("id", "project", "name")),
    Section("provider-keys", "Provider keys", "/v1/governance/provider-keys", ("provider", "name")),
    Section("alert-channels", "Alert channels", "/v1/governance/alert-channels", ("id", "name", "kind")),
    Section("hubspot", "HubSpot connection", "/v1/governance/hubspot"),
    Section("slack", "Slack bot token (scheduled reports upload with it)", "/v1/governance/slack"),
    Section("rules", "Anomaly rules and forecast settings", "/v1/governance/rules"),
    Section("audit", "Audit log", "/v1/audit", ("event_id", "occurred_at", "actor", "action", "target")),
)
BY_KEY = {s.key: s for s in SECTIONS}


def _cell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _table(section: Section, rows: list[dict]):
    if not rows:
        return html.P("None yet.", className="card-note")
    names = [c for c in section.columns if c in rows[0]] + [c for c in rows[0] if c not in section.columns]
    data = [{k: _cell(v) for k, v in r.items()} for r in rows]
    columns = [{"field": n, "headerName": n.replace("_", " ")} for n in names]
    return components.grid(data, columns, f"admin-{section.key}-grid", height=min(80 + 42 * len(rows), 360))


def _body(section: Section, answer):
    if isinstance(answer, NotAvailable):
        return html.P(
            f"Not available: this accounts service has no {section.path} yet.",
            className="notice",
            id=f"admin-{section.key}-unavailable",
        )
    if isinstance(answer, AccountsError):
        hint = (
            " Sign in with your e-mail and password: a pasted query token is not an admin token."
            if answer.status in (401, 403)
            else ""
        )
        return html.P(
            f"The accounts API refused this ({answer.status}): {answer.message}.{hint}", className="notice notice-error"
        )
    if isinstance(answer, list):
        return _table(section, answer)
    return html.Pre(json.dumps(answer, indent=2, default=str), className="json")


def _read(client, section: Section):
    try:
        return client.call("GET", section.path, params={"limit": 200} if section.key == "audit" else None)
    except AccountsError as exc:  # NotAvailable included: shown in its section only
        return exc


def _options(answer, value_key: str, label) -> list[dict]:
    if not isinstance(answer, list):
        return []
    return [{"label": label(r), "value": r[value_key]} for r in answer if r.get(value_key) is not None]


def _input(id_: str, placeholder: str, kind: str = "text"):
    return dcc.Input(id=id_, placeholder=placeholder, type=kind, className="view-name admin-input", debounce=False)


def _section(section: Section, controls=None) -> html.Section:
    return html.Section(
        className="card wide",
        children=[
            html.Header(className="card-head", children=[html.H2(section.title)]),
            html.Div(controls, className="admin-controls") if controls else None,
            html.Div(id=f"admin-{section.key}", className="admin-body"),
        ],
    )


def _user_controls():
    return [
        _input("admin-user-email", "e-mail", "email"),
        _input("admin-user-name", "name"),
        dcc.Dropdown(
            id="admin-user-role",
            options=list(ROLES),
            value="enablement",
            clearable=False,
            className="dropdown admin-pick",
        ),
        html.Button("Add user", id="admin-user-add"),
        dcc.Dropdown(id="admin-target", placeholder="Choose a user", className="dropdown admin-pick wide-pick"),
        dcc.Dropdown(
            id="admin-target-role", options=list(ROLES), placeholder="New role", className="dropdown admin-pick"
        ),
        html.Button("Set role", id="admin-set-role"),
        html.Button("Disable", id="admin-disable", className="danger"),
    ]


def _key_controls():
    return [
        _input("admin-ikey-project", "project"),
        _input("admin-ikey-name", "key name"),
        html.Button("Create ingestion key", id="admin-ikey-create"),
        dcc.Dropdown(id="admin-ikey-target", placeholder="Choose a key", className="dropdown admin-pick wide-pick"),
        html.Button("Revoke", id="admin-ikey-revoke", className="danger"),
    ]


def _provider_controls():
    return [
        dcc.Dropdown(
            id="admin-pkey-provider",
            options=["openai", "anthropic", "google"],
            placeholder="provider",
            className="dropdown admin-pick",
        ),
        _input("admin-pkey-name", "name"),
        _input("admin-pkey-secret", "API key", "password"),
        html.Button("Add provider key", id="admin-pkey-add"),
        dcc.Dropdown(id="admin-pkey-target", placeholder="Choose a key", className="dropdown admin-pick wide-pick"),
        html.Button("Remove", id="admin-pkey-remove", className="danger"),
    ]


def _channel_controls():
    return [
        _input("admin-chan-name", "name"),
        dcc.Dropdown(
            id="admin-chan-kind",
            options=["webhook", "slack"],
            value="webhook",
            clearable=False,
            className="dropdown admin-pick",
        ),
        _input("admin-chan-url", "https://…", "url"),
        html.Button("Add channel", id="admin-chan-add"),
        dcc.Dropdown(id="admin-chan-target", placeholder="Choose a channel", className="dropdown admin-pick wide-pick"),
        html.Button("Remove", id="admin-chan-remove", className="danger"),
    ]


def _slack_controls():
    return [
        _input("admin-slack-token", "xoxb-… (files:write)", "password"),
        html.Button("Set Slack token", id="admin-slack-set"),
        html.Button("Remove", id="admin-slack-remove", className="danger"),
    ]


ENGAGEMENT = "engagement"
ENGAGEMENT_MEASURES = ("active_users", "page_views", "api_queries", "response_ms_mean")


@widgets.widget("admin.engagement")
def engagement_query(ctx: Ctx):
    """Engagement by role: read from the semantic layer like any metric (the accounts service
    records the page views, Cube the queries it answers)."""
    if not ctx.caps.has(ENGAGEMENT, "role", "engaged_at", *ENGAGEMENT_MEASURES):
        return widgets.Unavailable("Not available: the semantic layer has no engagement view yet.")
    return {
        "rows": {
            "measures": [f"{ENGAGEMENT}.{m}" for m in ENGAGEMENT_MEASURES],
            "dimensions": [f"{ENGAGEMENT}.role"],
            "timeDimensions": [time_dimension(ENGAGEMENT, ctx.date_range, member="engaged_at")],
            "order": {f"{ENGAGEMENT}.page_views": "desc"},
        }
    }


def render_engagement(result: dict, ctx: Ctx):
    rows = [{k.split(".", 1)[1]: v for k, v in r.items()} for r in result["rows"]]
    if not rows:
        return components.notice("No page views or queries in this range.")
    columns = [{"field": c, "headerName": c.replace("_", " ")} for c in ("role", *ENGAGEMENT_MEASURES)]
    return components.ready(components.grid(rows, columns, "admin-engagement-grid", height=260))


def layout(state: dict, caps) -> html.Div:
    controls = {
        "users": _user_controls(),
        "ingestion-keys": _key_controls(),
        "provider-keys": _provider_controls(),
        "alert-channels": _channel_controls(),
        "slack": _slack_controls(),
    }
    return html.Div(
        className="grid-page admin",
        children=[
            html.H1("Admin"),
            dcc.Store(id="admin-version", data=0),
            html.P(
                id="admin-message",
                className="notice wide-span",
                role="status",
                children="Changes here are made with your own token and recorded in the audit log.",
            ),
            components.card(
                "admin.engagement",
                "Engagement by role",
                wide=True,
                note="Active users, page views and semantic-layer queries in the time range.",
            ),
            *[_section(s, controls.get(s.key)) for s in SECTIONS],
        ],
    )


# ---- actions: (method, path, body) from the form values; every one is one accounts API call


def _action(trigger: str, v: dict) -> tuple[str, str, dict | None, str]:
    """(method, path, body, what was done) for the button `trigger`; ValueError names a missing field."""

    def need(name: str, label: str):
        if not v.get(name):
            raise ValueError(f"{label} is required")
        return v[name]

    if trigger == "admin-user-add":
        return (
            "POST",
            "/v1/users",
            {"email": need("email", "e-mail"), "name": v.get("name") or "", "role": need("role", "role")},
            "User added",
        )
    if trigger == "admin-set-role":
        user = need("target", "a user")
        return "POST", f"/v1/users/{quote(user)}/role", {"role": need("target_role", "the new role")}, "Role set"
    if trigger == "admin-disable":
        return "POST", f"/v1/users/{quote(need('target', 'a user'))}/disable", None, "User disabled"
    if trigger == "admin-ikey-create":
        return (
            "POST",
            "/v1/governance/ingestion-keys",
            {"project": need("ikey_project", "project"), "name": v.get("ikey_name") or "default"},
            "Key created",
        )
    if trigger == "admin-ikey-revoke":
        return (
            "POST",
            f"/v1/governance/ingestion-keys/{quote(need('ikey_target', 'a key'))}/revoke",
            None,
            "Key revoked",
        )
    if trigger == "admin-pkey-add":
        return (
            "POST",
            "/v1/governance/provider-keys",
            {
                "provider": need("pkey_provider", "provider"),
                "name": need("pkey_name", "name"),
                "api_key": need("pkey_secret", "API key"),
            },
            "Provider key added",
        )
    if trigger == "admin-pkey-remove":
        provider, _, name = need("pkey_target", "a key").partition("/")
        return "DELETE", f"/v1/governance/provider-keys/{quote(provider)}/{quote(name)}", None, "Provider key removed"
    if trigger == "admin-chan-add":
        return (
            "POST",
            "/v1/governance/alert-channels",
            {"name": need("chan_name", "name"), "kind": need("chan_kind", "kind"), "url": need("chan_url", "URL")},
            "Channel added",
        )
    if trigger == "admin-chan-remove":
        return (
            "DELETE",
            f"/v1/governance/alert-channels/{quote(need('chan_target', 'a channel'))}",
            None,
            "Channel removed",
        )
    if trigger == "admin-slack-set":
        return "PUT", "/v1/governance/slack", {"bot_token": need("slack_token", "a Slack bot token")}, "Slack token set"
    if trigger == "admin-slack-remove":
        return "DELETE", "/v1/governance/slack", None, "Slack token removed"
    raise PreventUpdate


def _once(answer) -> str:
    """The secret an answer carries once (one-time password, new key, generated webhook secret)."""
    if not isinstance(answer, dict):
        return ""
    for key, label in (
        ("one_time_password", "One-time password"),
        ("key", "Ingestion key"),
        ("generated_secret", "Webhook secret"),
    ):
        if answer.get(key):
            return f" {label} (shown once, copy it now): {answer[key]}"
    return ""


_FIELDS = {  # form value name -> (component id, property)
    "email": ("admin-user-email", "value"),
    "name": ("admin-user-name", "value"),
    "role": ("admin-user-role", "value"),
    "target": ("admin-target", "value"),
    "target_role": ("admin-target-role", "value"),
    "ikey_project": ("admin-ikey-project", "value"),
    "ikey_name": ("admin-ikey-name", "value"),
    "ikey_target": ("admin-ikey-target", "value"),
    "pkey_provider": ("admin-pkey-provider", "value"),
    "pkey_name": ("admin-pkey-name", "value"),
    "pkey_secret": ("admin-pkey-secret", "value"),
    "pkey_target": ("admin-pkey-target", "value"),
    "chan_name": ("admin-chan-name", "value"),
    "chan_kind": ("admin-chan-kind", "value"),
    "chan_url": ("admin-chan-url", "value"),
    "chan_target": ("admin-chan-target", "value"),
    "slack_token": ("admin-slack-token", "value"),
}
_BUTTONS = (
    "admin-user-add",
    "admin-set-role",
    "admin-disable",
    "admin-ikey-create",
    "admin-ikey-revoke",
    "admin-pkey-add",
    "admin-pkey-remove",
    "admin-chan-add",
    "admin-chan-remove",
    "admin-slack-set",
    "admin-slack-remove",
)


def register(app) -> None:
    connect(app, "admin.engagement", render_engagement)

    @app.callback(
        *[Output(f"admin-{s.key}", "children") for s in SECTIONS],
        Output("admin-target", "options"),
        Output("admin-ikey-target", "options"),
        Output("admin-pkey-target", "options"),
        Output("admin-chan-target", "options"),
        Input("admin-version", "data"),
    )
    def load(_version):
        client = context.accounts_client()
        answers = {s.key: _read(client, s) for s in SECTIONS}
        return (
            *[_body(s, answers[s.key]) for s in SECTIONS],
            _options(answers["users"], "user_id", lambda r: f"{r.get('email')} ({r.get('role')}, {r.get('status')})"),
            _options(answers["ingestion-keys"], "id", lambda r: f"{r.get('project')}/{r.get('name')} ({r['id']})"),
            _options(
                [{**r, "key": f"{r.get('provider')}/{r.get('name')}"} for r in answers["provider-keys"]]
                if isinstance(answers["provider-keys"], list)
                else None,
                "key",
                lambda r: r["key"],
            ),
            _options(answers["alert-channels"], "id", lambda r: f"{r.get('name')} ({r.get('kind', '')})"),
        )

    @app.callback(
        Output("admin-message", "children"),
        Output("admin-version", "data"),
        *[Input(b, "n_clicks") for b in _BUTTONS],
        *[State(i, p) for i, p in _FIELDS.values()],
        State("admin-version", "data"),
        prevent_initial_call=True,
    )
    def act(*args):
        values = dict(zip(_FIELDS, args[len(_BUTTONS) : -1]))
        if not ctx.triggered_id or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        try:
            method, path, body, done = _action(ctx.triggered_id, values)
            answer = context.accounts_client().call(method, path, json=body)
        except ValueError as exc:
            return f"Not done: {exc}.", no_update
        except AccountsError as exc:
            return f"Not done ({exc.status}): {exc.message}", (args[-1] or 0) + 1
        return f"{done}.{_once(answer)}", (args[-1] or 0) + 1
