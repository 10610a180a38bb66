"""The governance API (admin only, behind app.py's guard): /v1/governance/ingestion-keys,
provider-keys, alert-channels, hubspot and rules. Every change is one audit event, committed with it.
Secrets are answered once, when created (an ingestion key, a generated webhook secret), never listed."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime
from typing import Literal

from cryptography.fernet import Fernet
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from accounts import audit
from accounts.callers import source_of
from accounts.governance import (
    GovernanceBackends,
    check_hubspot_token,
    hubspot_status,
    hubspot_token,
    record_hubspot_test,
    remove_slack_token,
    slack_status,
    store_hubspot_token,
    store_slack_token,
)
from outcomelens.core import keyring
from outcomelens.core.provider_keys import ProviderKeyError, ProviderKeyStore
from outcomelens.core.warehouse import transaction

NAME = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\- ]*$")


class IngestionKeyIn(BaseModel):
    project: str = NAME
    name: str = Field("default", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\- ]*$")


class ProviderKeyIn(BaseModel):
    provider: str
    name: str = NAME
    api_key: str = Field(min_length=8, max_length=4096)


class AlertChannelIn(BaseModel):
    name: str = NAME
    kind: Literal["webhook", "slack"]
    url: str = Field(min_length=8, max_length=2048)
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=512,
        description="webhook only: the HMAC secret; made (and answered once) when absent",
    )


class HubSpotIn(BaseModel):
    token: str = Field(min_length=8, max_length=512, description="a HubSpot private-app access token")


class SlackIn(BaseModel):
    bot_token: str = Field(
        min_length=8,
        max_length=512,
        pattern=r"^xox[a-z]-[A-Za-z0-9-]+$",
        description="a Slack bot token (xoxb-…) with the files:write scope",
    )


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _ingestion_key(row) -> dict:
    return {
        "id": row.key_id,
        "name": row.name,
        "project": row.project,
        "created": _when(row.created_at),
        "last_used": _when(row.last_used_at),
        "revoked": row.revoked_at is not None,
        "revoked_at": _when(row.revoked_at),
    }


def add_governance_routes(app: FastAPI, settings, backends: GovernanceBackends | None) -> None:
    connect = settings.connect
    provider_keys = ProviderKeyStore(connect, settings.fernet_key)
    fernet = Fernet(settings.fernet_key) if settings.fernet_key else keyring.fernet()

    def audited(request: Request, cur, action: str, target: str, **detail) -> None:
        audit.record(cur, request.state.principal.sub, action, target=target, source=source_of(request), **detail)

    def needs_backends() -> GovernanceBackends:
        if backends is None:
            raise HTTPException(
                503,
                "this accounts service was started without the governance backends: run it through `outcomelens up`",
            )
        return backends

    @app.get("/v1/governance/ingestion-keys", summary="Ingestion keys (never the keys themselves)")
    def list_ingestion_keys() -> list[dict]:
        with transaction(connect) as conn:
            return [_ingestion_key(row) for row in needs_backends().list_ingestion_keys(conn)]

    @app.post("/v1/governance/ingestion-keys", status_code=201, summary="Create an ingestion key, answered once")
    def create_ingestion_key(body: IngestionKeyIn, request: Request) -> dict:
        with transaction(connect) as conn:
            key_id, key = needs_backends().create_ingestion_key(conn, body.project, body.name)
            with conn.cursor() as cur:
                audited(request, cur, "ingestion_key.create", key_id, project=body.project, name=body.name)
        return {"id": key_id, "name": body.name, "project": body.project, "key": key}

    @app.post("/v1/governance/ingestion-keys/{key_id}/revoke", summary="Revoke an ingestion key")
    def revoke_ingestion_key(key_id: str, request: Request) -> dict:
        with transaction(connect) as conn:
            if not needs_backends().revoke_ingestion_key(conn, key_id):
                raise HTTPException(404, f"key_id: no active ingestion key {key_id!r}")
            with conn.cursor() as cur:
                audited(request, cur, "ingestion_key.revoke", key_id)
        return {"id": key_id, "revoked": True}

    @app.get("/v1/governance/provider-keys", summary="Provider API keys: provider, name, created, last four")
    def list_provider_keys() -> list[dict]:
        return [info.public() for info in provider_keys.list()]

    @app.post("/v1/governance/provider-keys", status_code=201, summary="Add (or replace) a provider API key")
    def add_provider_key(body: ProviderKeyIn, request: Request) -> dict:
        try:
            info = provider_keys.add(body.provider, body.name, body.api_key)
        except ProviderKeyError as exc:
            raise HTTPException(422, str(exc)) from None
        with transaction(connect) as conn, conn.cursor() as cur:
            audited(request, cur, "provider_key.add", f"{body.provider}/{body.name}", last4=info.last4)
        return info.public()

    @app.delete("/v1/governance/provider-keys/{provider}/{name}", status_code=204, summary="Remove a provider key")
    def remove_provider_key(provider: str, name: str, request: Request) -> None:
        if not provider_keys.remove(provider, name):
            raise HTTPException(404, f"no {provider} key named {name!r}")
        with transaction(connect) as conn, conn.cursor() as cur:
            audited(request, cur, "provider_key.remove", f"{provider}/{name}")

    @app.get("/v1/governance/alert-channels", summary="Alert channels, URLs redacted")
    def list_alert_channels() -> list[dict]:
        with transaction(connect) as conn:
            return [{"id": c["name"], **c} for c in needs_backends().list_alert_channels(conn)]

    @app.post("/v1/governance/alert-channels", status_code=201, summary="Add an alert webhook or Slack channel")
    def add_alert_channel(body: AlertChannelIn, request: Request) -> dict:
        fmt = "json" if body.kind == "webhook" else "slack"
        made = secrets.token_urlsafe(32) if fmt == "json" and not body.secret else None
        with transaction(connect) as conn:
            try:
                needs_backends().add_alert_channel(conn, body.name, body.url, fmt, body.secret or made)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
            with conn.cursor() as cur:
                audited(request, cur, "alert_channel.add", body.name, kind=body.kind)
            shown = next(c for c in backends.list_alert_channels(conn) if c["name"] == body.name)
        return {"id": body.name, **shown, "generated_secret": made}

    @app.delete("/v1/governance/alert-channels/{channel_id}", status_code=204, summary="Remove an alert channel")
    def remove_alert_channel(channel_id: str, request: Request) -> None:
        with transaction(connect) as conn:
            if not needs_backends().remove_alert_channel(conn, channel_id):
                raise HTTPException(
                    404, f"no alert channel {channel_id!r} (channels from alert_channels.yaml are changed in that file)"
                )
            with conn.cursor() as cur:
                audited(request, cur, "alert_channel.remove", channel_id)

    @app.get("/v1/governance/hubspot", summary="The HubSpot connection: connected, last test, last sync")
    def read_hubspot() -> dict:
        with transaction(connect) as conn, conn.cursor() as cur:
            return hubspot_status(cur)

    @app.put("/v1/governance/hubspot", summary="Set the HubSpot private-app token (stored encrypted)")
    def set_hubspot(body: HubSpotIn, request: Request) -> dict:
        with transaction(connect) as conn, conn.cursor() as cur:
            store_hubspot_token(cur, fernet, body.token, request.state.principal.sub)
            audited(request, cur, "hubspot.set_token", "hubspot", last4=body.token[-4:])
            return hubspot_status(cur)

    @app.post("/v1/governance/hubspot/test", summary="Test the stored token against HubSpot's account-info API")
    def test_hubspot(request: Request) -> dict:
        with transaction(connect) as conn, conn.cursor() as cur:
            token = hubspot_token(cur, fernet)
        if token is None:
            raise HTTPException(409, "no HubSpot token is set: PUT /v1/governance/hubspot first")
        result = check_hubspot_token(token)
        with transaction(connect) as conn, conn.cursor() as cur:
            record_hubspot_test(cur, result)
            audited(request, cur, "hubspot.test", "hubspot", ok=result.ok, status=result.status)
        return dataclasses.asdict(result)

    @app.get("/v1/governance/slack", summary="The Slack bot token scheduled reports upload with: set or not")
    def read_slack() -> dict:
        with transaction(connect) as conn, conn.cursor() as cur:
            return slack_status(cur)

    @app.put("/v1/governance/slack", summary="Set the Slack bot token (stored encrypted, never answered)")
    def set_slack(body: SlackIn, request: Request) -> dict:
        with transaction(connect) as conn, conn.cursor() as cur:
            store_slack_token(cur, fernet, body.bot_token, request.state.principal.sub)
            audited(request, cur, "slack.set_token", "slack", last4=body.bot_token[-4:])
            return slack_status(cur)

    @app.delete("/v1/governance/slack", status_code=204, summary="Remove the Slack bot token")
    def remove_slack(request: Request) -> None:
        with transaction(connect) as conn, conn.cursor() as cur:
            if not remove_slack_token(cur):
                raise HTTPException(404, "no Slack bot token is set")
            audited(request, cur, "slack.remove_token", "slack")

    @app.get("/v1/governance/rules", summary="Anomaly rules and forecast settings (analytics/config)")
    def read_rules() -> dict:
        return needs_backends().rules()
