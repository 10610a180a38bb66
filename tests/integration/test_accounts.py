"""Accounts end to end: a real accounts service (uvicorn in a thread), a real collector admin API and a
real Cube server asking the accounts service about every token, over cube_fixtures' synthetic world.

Known truth: roles from docs/design.md §5 (enablement sees standard_reports only, engineer also
model_health); the lockout policy given to the service (3 failures); the actions this module performs.
"""

from __future__ import annotations

import os
import subprocess
import time

import jwt
import pytest
import requests
from cryptography.fernet import Fernet

from accounts.app import AccountsSettings, create_app
from accounts.lockout import LockoutPolicy
from accounts.manage import add_user, first_admin_at_setup
from accounts.oidc import OidcProvider
from accounts.passwords import verify_password
from accounts.users import credentials
from ingestion.collector.app import CollectorSettings
from ingestion.collector.app import create_app as create_collector
from ingestion.sources.hubspot.pipeline import run_hubspot
from outcomelens.cli.accounts_service import governance_backends
from outcomelens.core import cube_server, paths
from outcomelens.core.cube_server import CubeServer
from outcomelens.core.external_tokens import SupabaseProject
from outcomelens.core.provider_keys import ProviderKeyStore
from outcomelens.core.tokens import ADMIN_AUDIENCE, API_AUDIENCE, mint_token
from outcomelens.core.warehouse import ensure_warehouse
from tests.mocks.hubspot import MockHubSpot
from tests.mocks.oidc import MockOidc, OidcUser
from tests.mocks.supabase import MockSupabase, SupabaseUser

from .cube_fixtures import create_contract_tables, load_world, synthetic_world
from .support import Dbt, assert_docs_served_locally, environment, query_value, serve_in_thread, throwaway_database
from .test_collector import llm_call

SECRET = "accounts-secret-" + "a" * 32
ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "correct horse battery staple"
CACHE_S = 2  # Cube's introspection cache in this module; the default (and maximum) is 30 s
STANDARD = {"measures": ["standard_reports.conversations"]}
HEALTH = {"measures": ["model_health.llm_calls"]}
OUTCOMELENS = str(paths.PROJECT_ROOT / ".venv" / "bin" / "outcomelens")
HUBSPOT_TOKEN = "pat-na1-governance-token"
SUPABASE_SECRET = "supabase-project-jwt-secret-" + "s" * 20
OIDC_SECRET = "oidc-client-secret-" + "o" * 20
OIDC_ROLE_MAP = {"outcomelens-engineers": "engineer", "outcomelens-pms": "product_manager"}
SUPABASE_USERS = [SupabaseUser("sb-eng@example.com", "sb-password-1", "engineer"),
                  SupabaseUser("sb-none@example.com", "sb-password-2", None),
                  SupabaseUser("sb-admin@example.com", "sb-password-3", "admin")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    cube_server.install()
    tmp = tmp_path_factory.mktemp("accounts")
    with throwaway_database("accounts") as database, MockHubSpot(HUBSPOT_TOKEN, {}) as hub, \
            MockSupabase(SUPABASE_USERS, SUPABASE_SECRET) as supabase, MockOidc("outcomelens", OIDC_SECRET) as oidc, \
            environment(OUTCOMELENS_MASTER_KEY=Fernet.generate_key().decode(), OUTCOMELENS_HUBSPOT_BASE_URL=hub.url):
        world = create_contract_tables(database)
        load_world(world, synthetic_world(n_conversations=60))
        wh = ensure_warehouse(world.url(hide_password=False))  # the product's migrations, 0004 included
        add_user(wh.connect, "test", "setup", email=ADMIN_EMAIL, name="Root", role="admin", password=ADMIN_PASSWORD)
        settings = AccountsSettings(connect=wh.connect, secret=SECRET, lockout=LockoutPolicy(max_failures=3),
                                    governance=governance_backends(),
                                    external=[SupabaseProject(supabase.url, SUPABASE_SECRET)],
                                    oidc=OidcProvider(oidc.url, "outcomelens", OIDC_SECRET, role_claim="groups",
                                                      role_map=OIDC_ROLE_MAP))
        collector = CollectorSettings(spool_dir=str(tmp / "spool"), connect=wh.connect, admin_secret=SECRET,
                                      provider_keys=ProviderKeyStore(wh.connect, Fernet.generate_key()))
        with serve_in_thread(create_app(settings)) as accounts_url, \
                serve_in_thread(create_collector(collector)) as collector_url:
            cube = CubeServer(wh, SECRET, log_path=tmp / "cube.log", port=cube_server.free_port(),
                              extra_env={"OUTCOMELENS_AUTH_CACHE_S": str(CACHE_S)})
            cube.extra_env["OUTCOMELENS_AUTH_URL"] = accounts_url
            assert cube.env()["OUTCOMELENS_AUTH_URL"] == accounts_url
            with cube:
                yield {"accounts": accounts_url, "collector": collector_url, "cube": cube, "wh": wh, "tmp": tmp,
                       "hub": hub, "supabase": supabase, "oidc": oidc}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(stack, email: str, password: str) -> requests.Response:
    return requests.post(f"{stack['accounts']}/v1/auth/login", json={"email": email, "password": password}, timeout=10)


@pytest.fixture(scope="module")
def admin(stack) -> dict:
    response = login(stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def new_user(stack, admin, email: str, role: str) -> tuple[str, str]:
    created = requests.post(f"{stack['accounts']}/v1/users", json={"email": email, "name": email, "role": role},
                            headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()["user_id"], created.json()["one_time_password"]


def cube_status(stack, token: str, query: dict) -> int:
    response = requests.post(f"{stack['cube'].api_url}/v1/load", json={"query": query}, headers=bearer(token), timeout=60)
    return response.status_code


def test_sign_in_gives_cube_the_users_role(stack, admin):
    user_id, password = new_user(stack, admin, "ena@example.com", "enablement")
    tokens = login(stack, "ENA@example.com ", password).json()
    assert tokens["expires_in"] <= 3600 and tokens["token_type"] == "Bearer"
    rows = stack["cube"].load(STANDARD, tokens["access_token"])["data"]
    assert int(rows[0]["standard_reports.conversations"]) == 60
    assert cube_status(stack, tokens["access_token"], HEALTH) == 403  # enablement: standard reports only
    changed = requests.post(f"{stack['accounts']}/v1/users/{user_id}/role", json={"role": "engineer"}, headers=admin, timeout=10)
    assert changed.json()["role"] == "engineer"
    refreshed = requests.post(f"{stack['accounts']}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10)
    assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != tokens["refresh_token"]
    assert cube_status(stack, refreshed.json()["access_token"], HEALTH) == 200


def test_disabled_user_loses_refresh_at_once_and_cube_within_a_minute(stack, admin):
    user_id, password = new_user(stack, admin, "ops@example.com", "operations")
    tokens = login(stack, "ops@example.com", password).json()
    assert cube_status(stack, tokens["access_token"], STANDARD) == 200  # now in Cube's cache
    disabled_at = time.monotonic()
    assert requests.post(f"{stack['accounts']}/v1/users/{user_id}/disable", headers=admin, timeout=10).json()["status"] == "disabled"
    refresh = requests.post(f"{stack['accounts']}/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10)
    assert refresh.status_code == 401
    while cube_status(stack, tokens["access_token"], STANDARD) == 200:
        assert time.monotonic() - disabled_at < 60, "a disabled user's token still works at Cube after a minute"
        time.sleep(0.5)
    assert time.monotonic() - disabled_at <= CACHE_S + 5
    assert cube_status(stack, tokens["access_token"], STANDARD) == 401
    assert login(stack, "ops@example.com", password).status_code == 401


def bad_tokens(stack, audience: str, other_audience: str) -> dict[str, str]:
    now = int(time.time())
    revoked = mint_token("admin", SECRET, aud=audience)
    return {
        "expired": mint_token("admin", SECRET, ttl_s=-10, aud=audience),
        "revoked": revoked,
        "forged": mint_token("admin", "forged-" + "f" * 40, aud=audience),
        "over-lifetime": mint_token("admin", SECRET, aud=audience, iat=now, exp=now + 100 * 365 * 86400),
        "wrong-audience": mint_token("admin", SECRET, aud=other_audience),
    }


def revoke(stack, admin, token: str) -> None:
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert requests.post(f"{stack['accounts']}/v1/tokens/revoke", json={"jti": jti}, headers=admin, timeout=10).status_code == 204


def test_expired_revoked_forged_over_lifetime_and_wrong_audience_are_refused_everywhere(stack, admin):
    admin_tokens = bad_tokens(stack, ADMIN_AUDIENCE, API_AUDIENCE)
    query_tokens = bad_tokens(stack, API_AUDIENCE, ADMIN_AUDIENCE)
    revoke(stack, admin, admin_tokens["revoked"])
    revoke(stack, admin, query_tokens["revoked"])
    good_admin = mint_token("admin", SECRET, aud=ADMIN_AUDIENCE)
    assert requests.get(f"{stack['collector']}/v1/admin/provider-keys", headers=bearer(good_admin), timeout=10).status_code == 200
    assert requests.get(f"{stack['accounts']}/v1/users", headers=bearer(good_admin), timeout=10).status_code == 200
    assert cube_status(stack, mint_token("admin", SECRET), STANDARD) == 200
    expected = {"expired": 401, "revoked": 401, "forged": 401, "over-lifetime": 401, "wrong-audience": 403}
    for kind, status in expected.items():
        collector = requests.get(f"{stack['collector']}/v1/admin/provider-keys", headers=bearer(admin_tokens[kind]), timeout=10)
        users = requests.get(f"{stack['accounts']}/v1/users", headers=bearer(admin_tokens[kind]), timeout=10)
        assert (kind, collector.status_code, users.status_code) == (kind, status, status), collector.text + users.text
        assert (kind, cube_status(stack, query_tokens[kind], STANDARD)) == (kind, status)


def test_each_admin_action_appears_once_in_the_audit_log(stack, admin):
    user_id, _ = new_user(stack, admin, "audited@example.com", "engineer")
    base = f"{stack['accounts']}/v1/users/{user_id}"
    requests.post(f"{base}/role", json={"role": "operations"}, headers=admin, timeout=10).raise_for_status()
    requests.post(f"{base}/reset-password", json={}, headers=admin, timeout=10).raise_for_status()
    requests.post(f"{base}/disable", headers=admin, timeout=10).raise_for_status()
    events = requests.get(f"{stack['accounts']}/v1/audit?limit=1000", headers=admin, timeout=10).json()
    mine = sorted(e["action"] for e in events if e["target"] == user_id)
    assert mine == ["user.add", "user.disable", "user.reset_password", "user.set_role"]
    admin_sub = next(e["actor"] for e in events if e["target"] == user_id)
    assert all(e["actor"] == admin_sub and e["source"] == "127.0.0.1" for e in events if e["target"] == user_id)
    engineer = mint_token("engineer", SECRET, aud=ADMIN_AUDIENCE)
    assert requests.get(f"{stack['accounts']}/v1/audit", headers=bearer(engineer), timeout=10).status_code == 403


def test_lockout_after_three_bad_passwords_answers_unknown_emails_alike(stack, admin):
    _, password = new_user(stack, admin, "locked@example.com", "engineer")
    answers = {}
    for email in ("locked@example.com", "nobody@example.com"):
        attempts = [login(stack, email, "wrong password!!") for _ in range(3)] + [login(stack, email, password)]
        answers[email] = [(r.status_code, r.json()) for r in attempts]
    assert answers["locked@example.com"] == answers["nobody@example.com"]
    assert [status for status, _ in answers["nobody@example.com"]] == [401, 401, 401, 429]


def test_a_reused_refresh_token_revokes_its_family(stack, admin):
    _, password = new_user(stack, admin, "reuse@example.com", "engineer")
    first = login(stack, "reuse@example.com", password).json()["refresh_token"]
    refresh = f"{stack['accounts']}/v1/auth/refresh"
    second = requests.post(refresh, json={"refresh_token": first}, timeout=10).json()["refresh_token"]
    assert requests.post(refresh, json={"refresh_token": first}, timeout=10).status_code == 401  # reuse
    assert requests.post(refresh, json={"refresh_token": second}, timeout=10).status_code == 401  # family revoked


def test_logout_revokes_the_access_token(stack, admin):
    _, password = new_user(stack, admin, "bye@example.com", "engineer")
    tokens = login(stack, "bye@example.com", password).json()
    out = requests.post(f"{stack['accounts']}/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]},
                        headers=bearer(tokens["access_token"]), timeout=10)
    assert out.status_code == 204
    assert cube_status(stack, tokens["access_token"], STANDARD) == 401


def test_api_docs_load_their_assets_from_the_accounts_service(stack):
    assert_docs_served_locally(stack["accounts"])


def test_setup_makes_the_first_admin_with_a_one_time_password_once():
    with throwaway_database("first_admin") as wh:
        user, password = first_admin_at_setup(wh.connect, env={})
        assert (user.email, user.role) == ("admin@localhost", "admin") and len(password) >= 16
        assert first_admin_at_setup(wh.connect, env={}) is None  # an admin exists: nothing made, nothing shown
        with wh.connection() as conn, conn.cursor() as cur:
            _, stored = credentials(cur, "admin@localhost")
        assert stored.startswith("$argon2") and verify_password(stored, password)


def test_cli_adds_an_admin_with_a_one_time_password(stack):
    env = {**os.environ, "OUTCOMELENS_WAREHOUSE_URL": stack["wh"].url(hide_password=False),
           "OUTCOMELENS_DATA_DIR": str(stack["tmp"] / "data")}
    added = subprocess.run([OUTCOMELENS, "users", "add", "cli-admin@example.com", "--role", "admin"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip().splitlines()[-1]
    assert login(stack, "cli-admin@example.com", password).status_code == 200
    listed = subprocess.run([OUTCOMELENS, "users", "list"], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)
    assert "cli-admin@example.com" in listed.stdout and password not in listed.stdout


# --- governance -------------------------------------------------------------------------------

def governance(stack, method: str, path: str, headers: dict, **kwargs) -> requests.Response:
    return requests.request(method, f"{stack['accounts']}/v1/governance/{path}", headers=headers, timeout=30, **kwargs)


def audit_actions(stack, admin, target: str) -> list[str]:
    events = requests.get(f"{stack['accounts']}/v1/audit", params={"limit": 1000}, headers=admin, timeout=10).json()
    return sorted(e["action"] for e in events if e["target"] == target)


def test_governance_is_for_admins_only(stack, admin):
    _, password = new_user(stack, admin, "pm-gov@example.com", "product_manager")
    pm = bearer(login(stack, "pm-gov@example.com", password).json()["access_token"])
    for path in ("ingestion-keys", "provider-keys", "alert-channels", "hubspot", "rules"):
        assert governance(stack, "GET", path, pm).status_code == 403, path
        assert governance(stack, "GET", path, {}).status_code == 401, path


def test_an_ingestion_key_made_here_lets_records_into_the_collector_until_revoked(stack, admin):
    made = governance(stack, "POST", "ingestion-keys", admin, json={"project": "shop", "name": "web"})
    assert made.status_code == 201, made.text
    key_id, key = made.json()["id"], made.json()["key"]
    listed = {k["id"]: k for k in governance(stack, "GET", "ingestion-keys", admin).json()}
    assert listed[key_id]["project"] == "shop" and listed[key_id]["last_used"] is None
    assert key not in str(listed) and not listed[key_id]["revoked"]
    sent = requests.post(f"{stack['collector']}/v1/llm-calls", json=[llm_call(0)], headers=bearer(key), timeout=30)
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + 15  # the collector writes last_used at its next key refresh (5 s)
    while governance(stack, "GET", "ingestion-keys", admin).json()[-1]["last_used"] is None:
        assert time.monotonic() < deadline, "last_used never set"
        requests.post(f"{stack['collector']}/v1/llm-calls", json=[llm_call(1)], headers=bearer(key), timeout=30)
        time.sleep(1)
    assert governance(stack, "POST", f"ingestion-keys/{key_id}/revoke", admin).json() == {"id": key_id, "revoked": True}
    assert governance(stack, "POST", f"ingestion-keys/{key_id}/revoke", admin).status_code == 404
    deadline = time.monotonic() + 15
    while requests.post(f"{stack['collector']}/v1/llm-calls", json=[llm_call(2)], headers=bearer(key),
                        timeout=30).status_code != 401:
        assert time.monotonic() < deadline, "a revoked key still works after 15 s"
        time.sleep(1)
    assert audit_actions(stack, admin, key_id) == ["ingestion_key.create", "ingestion_key.revoke"]


def test_provider_keys_show_their_last_four_characters_only(stack, admin):
    secret_key = "sk-governance-0123456789-WXYZ"
    added = governance(stack, "POST", "provider-keys", admin, json={"provider": "openai", "name": "gov", "api_key": secret_key})
    assert added.status_code == 201 and added.json()["last4"] == "WXYZ"
    listed = governance(stack, "GET", "provider-keys", admin)
    assert {"provider": "openai", "name": "gov", "last4": "WXYZ"}.items() <= listed.json()[0].items()
    assert secret_key not in listed.text and secret_key not in added.text
    bad = governance(stack, "POST", "provider-keys", admin, json={"provider": "acme", "name": "x", "api_key": secret_key})
    assert bad.status_code == 422 and "provider" in bad.text
    assert governance(stack, "DELETE", "provider-keys/openai/gov", admin).status_code == 204
    assert governance(stack, "DELETE", "provider-keys/openai/gov", admin).status_code == 404
    assert audit_actions(stack, admin, "openai/gov") == ["provider_key.add", "provider_key.remove"]


def test_alert_channels_are_stored_encrypted_and_shown_redacted(stack, admin):
    url = "https://hooks.slack.com/services/T000/B000/secretpart"
    added = governance(stack, "POST", "alert-channels", admin, json={"name": "ops-slack", "kind": "slack", "url": url})
    assert added.status_code == 201, added.text
    hook = governance(stack, "POST", "alert-channels", admin,
                      json={"name": "ops-hook", "kind": "webhook", "url": "https://example.com/hook/secretpath"})
    assert len(hook.json()["generated_secret"]) >= 32  # answered once: the receiver verifies signatures with it
    listed = governance(stack, "GET", "alert-channels", admin)
    assert {"ops-slack", "ops-hook"} <= {c["id"] for c in listed.json()}
    assert "secretpart" not in listed.text and "secretpath" not in listed.text
    stored = query_value(stack["wh"], "select url_encrypted from ops.alert_webhooks where name = 'ops-slack'")
    assert "hooks.slack.com" not in stored
    bad = governance(stack, "POST", "alert-channels", admin, json={"name": "x", "kind": "slack", "url": "ftp://nowhere"})
    assert bad.status_code == 422 and "url" in bad.text
    assert governance(stack, "DELETE", "alert-channels/ops-slack", admin).status_code == 204
    assert "ops-slack" not in {c["id"] for c in governance(stack, "GET", "alert-channels", admin).json()}
    assert audit_actions(stack, admin, "ops-slack") == ["alert_channel.add", "alert_channel.remove"]


def test_hubspot_token_is_tested_against_hubspot_and_the_last_sync_counted(stack, admin):
    assert governance(stack, "GET", "hubspot", admin).json()["connected"] is False
    assert governance(stack, "POST", "hubspot/test", admin).status_code == 409
    wrong = governance(stack, "PUT", "hubspot", admin, json={"token": "pat-na1-wrong-token"})
    assert wrong.json()["connected"] is True and "wrong-token" not in wrong.text
    assert governance(stack, "POST", "hubspot/test", admin).json()["status"] == 401
    governance(stack, "PUT", "hubspot", admin, json={"token": HUBSPOT_TOKEN})
    tested = governance(stack, "POST", "hubspot/test", admin).json()
    assert tested == {"ok": True, "status": 200, "portal_id": "62515", "message": "connected"}
    with environment(**stack["wh"].env()):  # where dlt's postgres destination finds the warehouse
        run_hubspot(str(stack["tmp"] / "dlt"), api_key=HUBSPOT_TOKEN, base_url=stack["hub"].url)
    status = governance(stack, "GET", "hubspot", admin).json()
    assert status["last_test"]["ok"] is True and status["last_test"]["portal_id"] == "62515"
    rows = status["last_sync"]["rows"]
    assert rows["hubspot_contacts"] == len(stack["hub"].stores["contacts"].records) and rows["hubspot_deals"] == len(stack["hub"].stores["deals"].records)
    assert status["last_sync"]["status"] == "loaded"
    assert audit_actions(stack, admin, "hubspot") == ["hubspot.set_token"] * 2 + ["hubspot.test"] * 2
    stored = query_value(stack["wh"], "select token_encrypted from ops.hubspot_connection")
    assert HUBSPOT_TOKEN not in stored


def test_rules_are_the_configured_anomaly_rules_and_forecasts(stack, admin):
    rules = governance(stack, "GET", "rules", admin).json()
    assert rules["forecasts"]["horizon_days"] == 14 and rules["forecasts"]["interval_level"] == 0.95
    by_metric = {m["metric"]["name"]: m for m in rules["anomaly_rules"]["metrics"]}
    conversion = by_metric["conversion_rate"]
    # as analytics/config/anomaly_rules.yaml ships it: count-aware windows, no minimum volume
    assert "min_volume" not in conversion and conversion["rules"][0] == {"rule": "relative_change", "params": {
        "baseline_days": 28, "windows_days": [1, 3, 5, 7], "false_alarms_per_90_days": 1.0, "max_drop": 0.20,
        "critical_at": 0.30}}


# --- engagement -------------------------------------------------------------------------------

def page_view(stack, headers: dict, body: dict) -> requests.Response:
    return requests.post(f"{stack['accounts']}/v1/engagement", json=body, headers=headers, timeout=10)


def engagement(stack, token: str, query: dict) -> list[dict]:
    return stack["cube"].load({**query, "filters": [{"member": "engagement.role", "operator": "equals",
                                                      "values": ["prompt_engineer"]}]}, token)["data"]


def test_engagement_view_counts_the_page_views_and_queries_of_a_session(stack, admin):
    """A prompt engineer's session (no other test signs in with that role): 3 page views on two pages,
    3 Cube queries on two views; then dbt builds the mart and Cube serves it to admin and enablement."""
    user_id, password = new_user(stack, admin, "pe-session@example.com", "prompt_engineer")
    token = login(stack, "pe-session@example.com", password).json()["access_token"]
    for page, ms in (("/reports", 120), ("/reports", 80), ("/experiments", 40)):
        # The body's role is ignored: who and which role come from the token.
        assert page_view(stack, bearer(token), {"page": page, "view": None, "response_ms": ms, "role": "admin"}).status_code == 204
    assert page_view(stack, {}, {"page": "/x", "view": None, "response_ms": 1}).status_code == 401
    bad = page_view(stack, bearer(token), {"page": "/x", "view": None, "response_ms": -5})
    assert bad.status_code == 422 and "response_ms" in bad.text
    for query in (STANDARD, STANDARD, HEALTH):
        stack["cube"].load(query, token)
    recorded = "select count(*) from ops.engagement_events where user_sub = %s and kind = 'api_query'"
    deadline = time.monotonic() + 15  # Cube writes after answering
    while query_value(stack["wh"], recorded, (user_id,)) < 3:
        assert time.monotonic() < deadline, "Cube did not record the queries"
        time.sleep(0.5)
    Dbt(stack["wh"], stack["tmp"] / "dbt")("build", "--select", "stg_ops__engagement_events+")
    _, enablement_password = new_user(stack, admin, "ena-engagement@example.com", "enablement")
    enablement = login(stack, "ena-engagement@example.com", enablement_password).json()["access_token"]
    admin_token = admin["Authorization"].split()[1]
    for reader in (admin_token, enablement):
        totals = engagement(stack, reader, {"measures": ["engagement.page_views", "engagement.api_queries",
                                                         "engagement.active_users"]})
        assert [(int(r["engagement.page_views"]), int(r["engagement.api_queries"]), int(r["engagement.active_users"]))
                for r in totals] == [(3, 3, 1)]
    per_page = engagement(stack, enablement, {"measures": ["engagement.page_views"], "dimensions": ["engagement.page"]})
    pages = {r["engagement.page"]: int(r["engagement.page_views"]) for r in per_page if r["engagement.page"]}
    assert pages == {"/reports": 2, "/experiments": 1}
    per_view = engagement(stack, enablement, {"measures": ["engagement.api_queries"], "dimensions": ["engagement.view_name"]})
    assert {r["engagement.view_name"]: int(r["engagement.api_queries"]) for r in per_view if r["engagement.view_name"]} == {
        "standard_reports": 2, "model_health": 1}
    weekly = engagement(stack, enablement, {"measures": ["engagement.page_views"], "timeDimensions": [
        {"dimension": "engagement.engaged_at", "granularity": "week"}]})
    assert [int(r["engagement.page_views"]) for r in weekly] == [3]
    assert cube_status(stack, token, {"measures": ["engagement.page_views"]}) == 403  # prompt engineers: no


# --- external identity ------------------------------------------------------------------------

def supabase_sign_in(stack, email: str, password: str) -> str:
    answer = requests.post(f"{stack['supabase'].url}/auth/v1/token", params={"grant_type": "password"},
                           json={"email": email, "password": password}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def introspect(stack, token: str) -> dict:
    return requests.post(f"{stack['accounts']}/v1/auth/introspect", data={"token": token}, timeout=10).json()


def test_supabase_tokens_reach_cube_with_their_app_metadata_role_signed_either_way(stack, admin):
    supabase = stack["supabase"]
    for algorithm in ("ES256", "HS256"):  # asymmetric key through the JWKS, then the project's JWT secret
        supabase.sign_with = algorithm
        token = supabase_sign_in(stack, "sb-eng@example.com", "sb-password-1")
        assert jwt.get_unverified_header(token)["alg"] == algorithm and "jti" not in jwt.decode(
            token, options={"verify_signature": False})
        assert cube_status(stack, token, HEALTH) == 200, algorithm  # engineer: model_health
        assert cube_status(stack, token, {"measures": ["outcomes_overview.conversations"]}) == 403
    supabase.sign_with = "ES256"
    assert any(r.path == "/auth/v1/.well-known/jwks.json" for r in supabase.requests)
    no_role = supabase_sign_in(stack, "sb-none@example.com", "sb-password-2")  # role "authenticated" only
    assert cube_status(stack, no_role, STANDARD) == 403
    assert "unknown role 'authenticated'" in introspect(stack, no_role)["reason"]
    user = supabase.users["sb-eng@example.com"]
    refused = {
        "wrong audience": supabase.access_token(user, aud="anon"),
        "expired": supabase.access_token(user, exp=int(time.time()) - 10),
        "over an hour": supabase.access_token(user, exp=int(time.time()) + 7200),
        "forged with our secret": mint_token("engineer", SECRET, iss=supabase.issuer),
    }
    for why, token in refused.items():
        assert introspect(stack, token)["active"] is False, why
        assert cube_status(stack, token, HEALTH) == 401, why
    sb_admin = supabase_sign_in(stack, "sb-admin@example.com", "sb-password-3")
    assert requests.get(f"{stack['accounts']}/v1/governance/rules", headers=bearer(sb_admin), timeout=10).ok


def test_revoking_a_supabase_user_shuts_their_tokens_out(stack, admin):
    token = supabase_sign_in(stack, "sb-eng@example.com", "sb-password-1")
    assert introspect(stack, token)["sub"] == f"supabase:{stack['supabase'].users['sb-eng@example.com'].id}"
    sub = introspect(stack, token)["sub"]
    revoked = requests.post(f"{stack['accounts']}/v1/tokens/revoke", json={"sub": sub}, headers=admin, timeout=10)
    assert revoked.status_code == 204
    assert introspect(stack, token) == {"active": False, "reason": "token of a revoked user", "status": 401}
    later = supabase_sign_in(stack, "sb-eng@example.com", "sb-password-1")  # a new session is refused too
    assert cube_status(stack, later, HEALTH) == 401
    assert audit_actions(stack, admin, sub) == ["subject.revoke"]
    both = requests.post(f"{stack['accounts']}/v1/tokens/revoke", json={"sub": sub, "jti": "x"}, headers=admin, timeout=10)
    assert both.status_code == 422 and "exactly one of jti and sub" in both.text


def oidc_sign_in(stack, user: OidcUser | None) -> requests.Response:
    """The browser's way: our login redirects to the provider, which redirects back to our callback."""
    stack["oidc"].next_user = user
    to_provider = requests.get(f"{stack['accounts']}/v1/auth/oidc/login", allow_redirects=False, timeout=10)
    assert to_provider.status_code == 302 and to_provider.headers["location"].startswith(stack["oidc"].url)
    back = requests.get(to_provider.headers["location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    return requests.get(back.headers["location"], allow_redirects=False, timeout=30)


def test_an_oidc_sign_in_with_pkce_reaches_cube_with_the_role_of_its_group(stack, admin):
    user = OidcUser("idp-7", "idp-eng@example.com", "Eve Engineer", groups=["staff", "outcomelens-engineers"])
    signed_in = oidc_sign_in(stack, user)
    assert signed_in.status_code == 200, signed_in.text
    authorize = next(r for r in stack["oidc"].requests if r.path == "/authorize")
    assert authorize.query["code_challenge_method"] == "S256" and authorize.query["nonce"]
    token = signed_in.json()["access_token"]
    assert cube_status(stack, token, HEALTH) == 200  # engineer: model_health
    assert cube_status(stack, token, {"measures": ["outcomes_overview.conversations"]}) == 403
    listed = {u["email"]: u for u in requests.get(f"{stack['accounts']}/v1/users", headers=admin, timeout=10).json()}
    assert listed["idp-eng@example.com"]["role"] == "engineer"
    user.groups = ["outcomelens-pms"]  # the provider moved them: the next sign-in carries the new role
    again = oidc_sign_in(stack, user).json()["access_token"]
    assert cube_status(stack, again, {"measures": ["outcomes_overview.conversations"]}) == 200
    nobody = oidc_sign_in(stack, OidcUser("idp-8", "idp-none@example.com", "No Role", groups=["staff"]))
    assert nobody.status_code == 403 and "no OutcomeLens role" in nobody.text


def test_an_oidc_callback_with_a_replayed_code_or_a_foreign_state_is_refused(stack, admin):
    stack["oidc"].next_user = OidcUser("idp-9", "idp-replay@example.com", "R", groups=["outcomelens-engineers"])
    to_provider = requests.get(f"{stack['accounts']}/v1/auth/oidc/login", allow_redirects=False, timeout=10)
    callback = requests.get(to_provider.headers["location"], allow_redirects=False, timeout=10).headers["location"]
    forged = requests.get(callback.replace("state=", "state=forged"), timeout=10)
    assert forged.status_code == 400 and "state" in forged.text
    assert requests.get(callback, timeout=10).status_code == 200
    replayed = requests.get(callback, timeout=10)  # the state is spent, and the provider would refuse the code
    assert replayed.status_code == 400
