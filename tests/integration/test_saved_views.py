"""Saved views and report schedules through the real accounts service (uvicorn in a thread, the
governance backends wired as `outcomelens up` wires them) on a throwaway database.

Known truth: the users this module signs in (a product manager, an enablement user, an admin) and
the views and schedules it makes; a refusal must be a 4xx naming its field, never a 500.
"""

from __future__ import annotations

import pytest
import requests
from cryptography.fernet import Fernet

from accounts.app import AccountsSettings, create_app
from accounts.manage import add_user
from outcomelens.cli.accounts_service import governance_backends
from outcomelens.core.tokens import mint_token
from outcomelens.core.warehouse import ensure_warehouse

from .support import environment, postgres_available, query, query_value, serve_in_thread, throwaway_database

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs the local Postgres")

SECRET = "saved-views-secret-" + "v" * 32
PASSWORD = "a long enough test password"
USERS = {
    "pm": ("pm@example.com", "product_manager"),
    "enable": ("enable@example.com", "enablement"),
    "admin": ("admin@example.com", "admin"),
}
HOOK_URL = "https://hooks.example.com/reports/T0SECRETPATH"
SLACK_TOKEN = "xoxb-1111-2222-abcdefSECRET"


@pytest.fixture(scope="module")
def api():
    with (
        throwaway_database("saved_views") as database,
        environment(OUTCOMELENS_MASTER_KEY=Fernet.generate_key().decode()),
    ):
        wh = ensure_warehouse(database.url(hide_password=False))
        for email, role in USERS.values():
            add_user(wh.connect, "test", "setup", email=email, name=role, role=role, password=PASSWORD)
        settings = AccountsSettings(connect=wh.connect, secret=SECRET, governance=governance_backends())
        with serve_in_thread(create_app(settings)) as url:
            headers = {}
            for key, (email, _) in USERS.items():
                token = requests.post(
                    f"{url}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
                ).json()["access_token"]
                headers[key] = {"Authorization": f"Bearer {token}"}
            yield {"url": url, "wh": wh, "h": headers}


def call(api, who: str, method: str, path: str, **kwargs) -> requests.Response:
    response = requests.request(method, api["url"] + path, headers=api["h"][who], timeout=10, **kwargs)
    assert response.status_code < 500, response.text
    return response


def save(api, who: str, name: str, href: str, shared: bool = False) -> dict:
    response = call(api, who, "POST", "/v1/saved-views", json={"name": name, "href": href, "shared": shared})
    assert response.status_code == 201, response.text
    return response.json()


def refused_field(response: requests.Response) -> str:
    detail = response.json()["detail"]
    if isinstance(detail, list):  # FastAPI's own validation: the field is the last part of loc
        return detail[0]["loc"][-1]
    assert detail["message"].startswith(detail["field"])
    return detail["field"]


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": "", "href": "/overview"}, 422, "name"),
        ({"name": "<script>", "href": "/overview"}, 422, "name"),
        ({"name": "ok", "href": "https://evil.example/overview"}, 422, "href"),
        ({"name": "ok", "href": "//evil.example"}, 422, "href"),
        ({"name": "ok", "href": "/signout"}, 422, "href"),
        ({"name": "ok", "href": "/overview?x=" + "a" * 3000}, 422, "href"),
        ({"name": "ok"}, 422, "href"),
        ({"name": 12, "href": "/overview"}, 422, "name"),
        ({"name": "ok", "href": "/overview", "shared": "perhaps"}, 422, "shared"),
    ],
)
def test_a_bad_saved_view_is_refused_naming_the_field(api, body, status, field):
    response = call(api, "pm", "POST", "/v1/saved-views", json=body)
    assert response.status_code == status and refused_field(response) == field


def test_no_token_no_saved_views(api):
    response = requests.get(api["url"] + "/v1/saved-views", timeout=10)
    assert response.status_code == 401 and "bearer token is required" in response.text


def test_own_and_shared_views_are_listed_and_only_the_owner_deletes(api):
    private = save(api, "pm", "PM private", "/overview?range=7D&intent=buy")
    shared = save(api, "pm", "Team drill-down", "/drilldown?range=1M", shared=True)
    duplicate = call(api, "pm", "POST", "/v1/saved-views", json={"name": "PM private", "href": "/overview"})
    assert duplicate.status_code == 409 and refused_field(duplicate) == "name"

    mine = {v["name"]: v for v in call(api, "pm", "GET", "/v1/saved-views").json()}
    assert {"PM private", "Team drill-down"} <= set(mine) and mine["PM private"]["mine"]
    assert mine["Team drill-down"]["page"] == "drilldown" and mine["Team drill-down"]["shared"]
    theirs = {v["name"]: v for v in call(api, "enable", "GET", "/v1/saved-views").json()}
    assert "PM private" not in theirs  # not shared: not listed ...
    assert theirs["Team drill-down"]["owner_email"] == "pm@example.com" and not theirs["Team drill-down"]["mine"]
    # ... nor reachable by id (a 404 that does not say it exists).
    assert call(api, "enable", "DELETE", f"/v1/saved-views/{private['id']}").status_code == 404
    forbidden = call(api, "enable", "DELETE", f"/v1/saved-views/{shared['id']}")
    assert forbidden.status_code == 403 and "only its owner (pm@example.com)" in forbidden.text
    assert call(api, "admin", "DELETE", f"/v1/saved-views/{shared['id']}").status_code == 403
    changed = call(api, "enable", "PATCH", f"/v1/saved-views/{shared['id']}", json={"href": "https://x.example"})
    assert changed.status_code == 403

    renamed = call(api, "pm", "PATCH", f"/v1/saved-views/{private['id']}", json={"shared": True, "name": "PM buyers"})
    assert renamed.status_code == 200 and renamed.json()["shared"] and renamed.json()["name"] == "PM buyers"
    assert "PM buyers" in {v["name"] for v in call(api, "enable", "GET", "/v1/saved-views").json()}
    assert call(api, "pm", "DELETE", f"/v1/saved-views/{shared['id']}").status_code == 204
    assert "Team drill-down" not in {v["name"] for v in call(api, "enable", "GET", "/v1/saved-views").json()}

    pm_id = query_value(api["wh"], "select user_id from ops.users where email = 'pm@example.com'")
    events = query(
        api["wh"],
        "select action, target from ops.audit_log where actor = %s and action like 'saved_view.%%' order by event_id",
        (pm_id,),
    )
    assert events == [
        ("saved_view.create", str(private["id"])),
        ("saved_view.create", str(shared["id"])),
        ("saved_view.update", str(private["id"])),
        ("saved_view.delete", str(shared["id"])),
    ]


def test_a_pasted_service_token_keeps_its_own_views(api):
    # `outcomelens token` tokens have no user behind them: their subject keys the views.
    headers = {"Authorization": "Bearer " + mint_token("engineer", SECRET)}
    made = requests.post(
        api["url"] + "/v1/saved-views",
        headers=headers,
        timeout=10,
        json={"name": "Engineer health", "href": "/prompts?range=1D"},
    )
    assert made.status_code == 201 and made.json()["owner"] == "dev:engineer"
    listed = requests.get(api["url"] + "/v1/saved-views", headers=headers, timeout=10).json()
    assert [v["name"] for v in listed if v["mine"]] == ["Engineer health"]


def _schedule(api, who: str, body: dict) -> requests.Response:
    return call(api, who, "POST", "/v1/report-schedules", json=body)


def test_report_schedules_are_checked_listed_and_deleted(api):
    view = save(api, "pm", "Weekly buyers", "/overview?range=7D&intent=buy")
    other = save(api, "admin", "Admin private", "/overview")
    hook = call(
        api,
        "admin",
        "POST",
        "/v1/governance/alert-channels",
        json={"name": "reports-hook", "kind": "webhook", "url": HOOK_URL},
    )
    assert hook.status_code == 201
    call(
        api,
        "admin",
        "POST",
        "/v1/governance/alert-channels",
        json={"name": "slack-alerts", "kind": "slack", "url": "https://hooks.slack.com/services/T/B/XSECRET"},
    )
    found = call(api, "pm", "GET", "/v1/report-schedules/destinations")
    # Signed webhooks only (a Slack incoming webhook takes no file), and never a URL or secret.
    assert found.json() == {"webhooks": ["reports-hook"], "webhooks_listed": True, "slack": False}
    assert "SECRET" not in found.text and "hooks.example.com" not in found.text

    weekly = {
        "view_id": view["id"],
        "frequency": "weekly",
        "weekday": "monday",
        "hour": 7,
        "destination": {"kind": "webhook", "name": "reports-hook"},
    }
    for change, status, field in [
        ({"frequency": "hourly"}, 422, "frequency"),
        ({"weekday": None}, 422, "weekday"),
        ({"weekday": "someday"}, 422, "weekday"),
        ({"hour": 24}, 422, "hour"),
        ({"hour": "7"}, 422, "hour"),
        ({"destination": {"kind": "webhook", "name": "slack-alerts"}}, 422, "destination.name"),
        ({"destination": {"kind": "email", "name": "x"}}, 422, "destination.kind"),
        ({"destination": {"kind": "slack", "channel_id": "#reports"}}, 422, "destination.channel_id"),
        ({"destination": {"kind": "slack", "channel_id": "C0REPORTS1"}}, 409, "destination"),  # no bot token yet
        ({"view_id": other["id"]}, 404, "view_id"),  # someone else's private view
        ({"view_id": "one"}, 422, "view_id"),
    ]:
        response = _schedule(api, "pm", {**weekly, **change})
        assert (response.status_code, refused_field(response)) == (status, field), (change, response.text)

    made = _schedule(api, "pm", weekly)
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert schedule["destination"] == {"kind": "webhook", "name": "reports-hook"} and schedule["weekday"] == "monday"
    assert schedule["next_due_at"].endswith("T07:00:00+00:00") and schedule["last_sent_at"] is None

    # The Slack bot token: set by an admin, stored encrypted, never answered.
    assert call(api, "pm", "PUT", "/v1/governance/slack", json={"bot_token": SLACK_TOKEN}).status_code == 403
    set_token = call(api, "admin", "PUT", "/v1/governance/slack", json={"bot_token": SLACK_TOKEN})
    assert set_token.status_code == 200 and set_token.json()["connected"] and "SECRET" not in set_token.text
    assert "SECRET" not in query_value(api["wh"], "select token_encrypted from ops.slack_connection")
    audit = query(api["wh"], "select detail::text from ops.audit_log where action = 'slack.set_token'")
    assert audit and all("SECRET" not in d for (d,) in audit)
    assert _schedule(api, "enable", {**weekly, "frequency": "daily", "weekday": None}).status_code == 404
    theirs = save(api, "enable", "Enablement standard", "/overview?range=1M")
    daily = _schedule(
        api,
        "enable",
        {
            "view_id": theirs["id"],
            "frequency": "daily",
            "hour": 6,
            "destination": {"kind": "slack", "channel_id": "C0REPORTS1"},
        },
    )
    assert daily.status_code == 201, daily.text
    assert daily.json()["destination"] == {"kind": "slack", "name": "C0REPORTS1"}

    ids = lambda who: [s["id"] for s in call(api, who, "GET", "/v1/report-schedules").json()]  # noqa: E731
    assert ids("pm") == [schedule["id"]] and ids("enable") == [daily.json()["id"]]
    assert {schedule["id"], daily.json()["id"]} <= set(ids("admin"))  # an admin sees everyone's
    assert call(api, "enable", "DELETE", f"/v1/report-schedules/{schedule['id']}").status_code == 404
    assert call(api, "admin", "DELETE", f"/v1/report-schedules/{daily.json()['id']}").status_code == 204
    assert ids("enable") == []
    # Deleting a saved view deletes the schedules made on it.
    assert call(api, "pm", "DELETE", f"/v1/saved-views/{view['id']}").status_code == 204
    assert ids("pm") == [] and schedule["id"] not in ids("admin")
    actions = [
        a
        for (a,) in query(
            api["wh"], "select action from ops.audit_log where action like 'report_schedule.%%' order by event_id"
        )
    ]
    assert actions == ["report_schedule.create", "report_schedule.create", "report_schedule.delete"]
