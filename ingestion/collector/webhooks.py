"""HubSpot webhooks: verified with X-HubSpot-Signature-v3; a change the sync reads (a deal's stage, amount,
close date or contacts, a contact's e-mail) asks for a sync by adding a row to ops.hubspot_sync_requests.
The sync itself runs in Dagster (the sensor in orchestration/defs/hubspot/sensors.py), one at a time,
never in the collector's worker processes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool

MAX_AGE_MS = 5 * 60 * 1000
SYNC_SUBSCRIPTIONS = {"deal.creation", "deal.deletion", "deal.associationChange", "deal.merge", "deal.restore",
                      "contact.creation", "contact.deletion", "contact.merge", "contact.restore",
                      "contact.associationChange"}
SYNCED_PROPERTIES = {"deal": {"dealstage", "amount", "closedate"}, "contact": {"email"}}
SYNC_REQUESTS_TABLE = "ops.hubspot_sync_requests"


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def verify_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str | None, signature: str | None,
              now_ms: float | None = None) -> None:
    """Raises PermissionError with the reason when the request is not HubSpot's or is stale."""
    if not signature or not timestamp:
        raise PermissionError("missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp")
    try:
        sent_ms = int(timestamp)
    except ValueError:
        raise PermissionError("X-HubSpot-Request-Timestamp is not a number") from None
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if abs(now_ms - sent_ms) > MAX_AGE_MS:
        raise PermissionError("request timestamp is more than 5 minutes away")
    expected = signature_v3(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected, signature):
        raise PermissionError("signature does not match")


def signed_uri(request_url: str, public_url: str | None) -> str:
    """The URI HubSpot signed: the public address it called. Behind a proxy or tunnel the collector
    sees its own address instead, so OUTCOMELENS_COLLECTOR_PUBLIC_URL puts the public one back."""
    if not public_url:
        return request_url
    parts = urlsplit(request_url)
    return public_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def sync_subscriptions(events: list) -> list[str]:
    """The subscription types among the events that change what the sync reads (empty: no sync needed)."""
    wanted = []
    for event in events:
        if not isinstance(event, dict):
            continue
        subscription = str(event.get("subscriptionType", ""))
        kind, _, change = subscription.partition(".")
        if subscription in SYNC_SUBSCRIPTIONS or (
                change == "propertyChange" and event.get("propertyName") in SYNCED_PROPERTIES.get(kind, ())):
            wanted.append(subscription)
    return wanted


def request_sync(connect, events: int, subscriptions: list[str]) -> None:
    """One pending-sync row; many webhooks before the sensor's next tick still make one run."""
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f"insert into {SYNC_REQUESTS_TABLE} (events, subscriptions) values (%s, %s)",
                        (events, ",".join(sorted(set(subscriptions)))))
        conn.commit()
    finally:
        conn.close()


def add_webhook_routes(app: FastAPI, settings) -> None:
    @app.post("/v1/webhooks/hubspot", summary="HubSpot webhook (X-HubSpot-Signature-v3)",
              responses={401: {"description": "bad or stale signature"}})
    async def hubspot_webhook(request: Request) -> dict:
        if not settings.hubspot_app_secret:
            raise HTTPException(503, "HubSpot app secret is not configured (SOURCES__HUBSPOT__APP_SECRET)")
        body = await request.body()
        try:
            verify_v3(
                settings.hubspot_app_secret, request.method, signed_uri(str(request.url), settings.public_url), body,
                request.headers.get("x-hubspot-request-timestamp"), request.headers.get("x-hubspot-signature-v3"),
            )
        except PermissionError as exc:
            raise HTTPException(401, f"HubSpot signature rejected: {exc}") from None
        try:
            events = json.loads(body or b"[]")
        except ValueError:
            raise HTTPException(400, "body is not JSON") from None
        events = events if isinstance(events, list) else [events]
        wanted = sync_subscriptions(events)
        if wanted:
            await run_in_threadpool(request_sync, settings.connect, len(events), wanted)
        return {"events": len(events), "sync_requested": bool(wanted)}
