"""What the governance API manages: ingestion keys, provider keys, alert channels, the HubSpot
connection, and the anomaly and forecast settings.

Ingestion keys belong to the collector's key store and alert channels and rules to analytics: the
layers keep accounts from importing either, so the functions it calls arrive as `GovernanceBackends`,
wired by whoever starts the service (outcomelens.cli.accounts_service; the tests wire the same ones).
Provider keys and the HubSpot token live in outcomelens.core and in this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import requests
from cryptography.fernet import Fernet, MultiFernet

HUBSPOT_BASE_URL_ENV = "OUTCOMELENS_HUBSPOT_BASE_URL"
HUBSPOT_BASE_URL = "https://api.hubapi.com"
HUBSPOT_TIMEOUT_S = 10
HUBSPOT_SCHEMA = "hubspot"  # dlt's schema name for the HubSpot source (ingestion/sources/hubspot)


@dataclass(frozen=True)
class GovernanceBackends:
    """The functions of other packages the governance API calls; each takes an open connection
    (ingestion keys, alert channels) and the caller commits."""

    create_ingestion_key: Callable[..., tuple[str, str]]  # (conn, project, name) -> (key_id, key)
    list_ingestion_keys: Callable[
        ..., list
    ]  # (conn) -> rows with key_id, project, name, created_at, revoked_at, last_used_at
    revoke_ingestion_key: Callable[..., bool]  # (conn, key_id) -> whether it was active
    add_alert_channel: Callable[..., None]  # (conn, name, url, fmt, secret)
    remove_alert_channel: Callable[..., bool]  # (conn, name)
    list_alert_channels: Callable[..., list[dict]]  # (conn) -> name, format, url (redacted), secret, from
    rules: Callable[[], dict]  # anomaly rules and forecast settings as configured


def hubspot_base_url() -> str:
    return os.environ.get(HUBSPOT_BASE_URL_ENV, HUBSPOT_BASE_URL).rstrip("/")


def store_hubspot_token(cur, fernet: Fernet | MultiFernet, token: str, actor: str) -> None:
    cur.execute(
        "insert into ops.hubspot_connection (token_encrypted, updated_by) values (%s, %s)"
        " on conflict (connection_id) do update set token_encrypted = excluded.token_encrypted,"
        " updated_by = excluded.updated_by, updated_at = now(), tested_at = null, test_ok = null, portal_id = null",
        (fernet.encrypt(token.encode()).decode(), actor),
    )


def hubspot_token(cur, fernet: Fernet | MultiFernet) -> str | None:
    cur.execute("select token_encrypted from ops.hubspot_connection")
    row = cur.fetchone()
    return fernet.decrypt(row[0].encode()).decode() if row else None


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    status: int | None
    portal_id: str | None
    message: str


def check_hubspot_token(token: str) -> ConnectionTest:
    """HubSpot's account-info API with the token: a portal id when it is accepted, else what HubSpot said."""
    try:
        response = requests.get(
            f"{hubspot_base_url()}/account-info/v3/details",
            headers={"Authorization": f"Bearer {token}"},
            timeout=HUBSPOT_TIMEOUT_S,
        )
    except requests.RequestException as exc:
        return ConnectionTest(False, None, None, f"HubSpot cannot be reached: {type(exc).__name__}")
    body = _json_or_empty(response)
    if response.ok and "portalId" in body:
        return ConnectionTest(True, response.status_code, str(body["portalId"]), "connected")
    message = body.get("message") or body.get("category") or response.reason
    return ConnectionTest(False, response.status_code, None, f"HubSpot answered {response.status_code}: {message}")


def _json_or_empty(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def record_hubspot_test(cur, result: ConnectionTest) -> None:
    cur.execute(
        "update ops.hubspot_connection set tested_at = now(), test_ok = %s, portal_id = %s",
        (result.ok, result.portal_id),
    )


def hubspot_status(cur) -> dict:
    """Connected or not, the last test, and dlt's last HubSpot load with the rows it loaded per table."""
    cur.execute("select updated_at, updated_by, tested_at, test_ok, portal_id from ops.hubspot_connection")
    row = cur.fetchone()
    status = {
        "connected": row is not None,
        "updated_at": None,
        "updated_by": None,
        "last_test": None,
        "last_sync": _last_sync(cur),
    }
    if row:
        updated_at, updated_by, tested_at, test_ok, portal_id = row
        status.update(updated_at=updated_at.isoformat(), updated_by=updated_by)
        if tested_at:
            status["last_test"] = {"at": tested_at.isoformat(), "ok": test_ok, "portal_id": portal_id}
    return status


def _last_sync(cur) -> dict | None:
    cur.execute("select to_regclass('raw._dlt_loads') is not null")
    if not cur.fetchone()[0]:
        return None
    cur.execute(
        "select load_id, status, inserted_at from raw._dlt_loads where schema_name = %s"
        " order by inserted_at desc limit 1",
        (HUBSPOT_SCHEMA,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    load_id, status, inserted_at = row
    return {
        "load_id": load_id,
        "status": "loaded" if status == 0 else f"status {status}",
        "at": inserted_at.isoformat(),
        "rows": _rows_of_load(cur, load_id),
    }


def _rows_of_load(cur, load_id: str) -> dict[str, int]:
    # dlt stamps every row it loads with _dlt_load_id: the rows of one sync, table by table.
    cur.execute(
        "select table_name from information_schema.columns where table_schema = 'raw'"
        " and table_name like 'hubspot\\_%%' and column_name = '_dlt_load_id' order by table_name"
    )
    rows = {}
    for (table,) in cur.fetchall():
        cur.execute(f'select count(*) from raw."{table}" where _dlt_load_id = %s', (load_id,))
        rows[table] = cur.fetchone()[0]
    return rows


# ---- the Slack bot token (scheduled reports upload their PDF with it) -----------------------------


def store_slack_token(cur, fernet: Fernet | MultiFernet, token: str, actor: str) -> None:
    cur.execute(
        "insert into ops.slack_connection (token_encrypted, updated_by) values (%s, %s)"
        " on conflict (connection_id) do update set token_encrypted = excluded.token_encrypted,"
        " updated_by = excluded.updated_by, updated_at = now()",
        (fernet.encrypt(token.encode()).decode(), actor),
    )


def slack_token(cur, fernet: Fernet | MultiFernet) -> str | None:
    cur.execute("select token_encrypted from ops.slack_connection")
    row = cur.fetchone()
    return fernet.decrypt(row[0].encode()).decode() if row else None


def remove_slack_token(cur) -> bool:
    cur.execute("delete from ops.slack_connection")
    return cur.rowcount > 0


def slack_status(cur) -> dict:
    """Whether a bot token is set, when and by whom: never the token."""
    cur.execute("select updated_at, updated_by from ops.slack_connection")
    row = cur.fetchone()
    return {
        "connected": row is not None,
        "updated_at": row[0].isoformat() if row else None,
        "updated_by": row[1] if row else None,
    }
