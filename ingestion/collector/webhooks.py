"""HubSpot webhooks: verified with X-HubSpot-Signature-v3; a deal change triggers an incremental
refresh of the HubSpot source (run in the background, after the 200)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from urllib.parse import urlsplit

from fastapi import BackgroundTasks, FastAPI, HTTPException, Request

log = logging.getLogger("outcomelens.collector.webhooks")

MAX_AGE_MS = 5 * 60 * 1000
REFRESH_SUBSCRIPTIONS = {"deal.creation", "deal.deletion", "deal.associationChange", "deal.merge", "deal.restore"}


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


def needs_deal_refresh(events: list) -> bool:
    for event in events:
        if not isinstance(event, dict):
            continue
        subscription = str(event.get("subscriptionType", ""))
        if subscription in REFRESH_SUBSCRIPTIONS:
            return True
        if subscription == "deal.propertyChange" and event.get("propertyName") in ("dealstage", "amount", "closedate"):
            return True
    return False


class _SingleFlight:
    """At most one refresh at a time; a webhook during a refresh queues exactly one more."""

    def __init__(self, refresh):
        self._refresh = refresh
        self._lock = threading.Lock()
        self._again = False
        self.runs = 0

    def __call__(self) -> None:
        if not self._lock.acquire(blocking=False):
            self._again = True
            return
        try:
            while True:
                self._again = False
                try:
                    self._refresh()
                    self.runs += 1
                except Exception:
                    log.exception("HubSpot refresh after a webhook failed")
                if not self._again:
                    break
        finally:
            self._lock.release()


def add_webhook_routes(app: FastAPI, settings) -> None:
    refresh = _SingleFlight(settings.hubspot_refresh) if settings.hubspot_refresh else None
    app.state.hubspot_refresh = refresh

    @app.post("/v1/webhooks/hubspot", summary="HubSpot webhook (X-HubSpot-Signature-v3)",
              responses={401: {"description": "bad or stale signature"}})
    async def hubspot_webhook(request: Request, background: BackgroundTasks) -> dict:
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
        wanted = needs_deal_refresh(events)
        if wanted and refresh is not None:
            background.add_task(refresh)
        return {"events": len(events), "refresh": bool(wanted and refresh is not None)}
