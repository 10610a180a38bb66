"""Credentials and sizes checked before any body is read.

FastAPI reads a request's body (a form, a JSON model) before it resolves the route's dependencies,
so a dependency alone would let anyone without a key make the collector read 40 MiB. This ASGI
middleware runs first: it refuses, from the headers alone, a request whose declared body is too
large (413) or whose credentials are missing or wrong (401), and hands the ingestion key's holder
(project and key id) to the routes in the request state. Each route keeps its own dependency as the OpenAPI declaration
and a second check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from ingestion.collector.keys import KeyHolder, KeysUnavailable

KEY_HEADER = "x-outcomelens-key"

# What a route needs before its body is read: an ingestion key, an admin token, or nothing here
# (HubSpot signs its webhooks over the body, which is capped instead; health and docs are public).
INGESTION, ADMIN, SIGNED, PUBLIC = "ingestion", "admin", "signed", "public"


@dataclass(frozen=True)
class Policy:
    credential: str
    max_body_bytes: int


def policy_for(path: str, limits: BodyLimits) -> Policy:
    if path.startswith("/v1/admin/"):
        return Policy(ADMIN, limits.admin)
    if path.startswith("/v1/webhooks/"):
        return Policy(SIGNED, limits.webhook)
    if path == "/v1/outcomes/csv":
        return Policy(INGESTION, limits.csv)
    if path.startswith("/v1/"):
        return Policy(INGESTION, limits.records)
    return Policy(PUBLIC, limits.admin)


@dataclass(frozen=True)
class BodyLimits:
    records: int  # compressed or not, as sent; the decompressed size has its own limit
    csv: int
    admin: int = 64 * 1024
    webhook: int = 1024 * 1024


def bearer_or_key(headers: Headers) -> str | None:
    if headers.get(KEY_HEADER):
        return headers[KEY_HEADER]
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def _answer(send, status: int, detail: str, challenge: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    if challenge:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps({"detail": detail}).encode()})


def declared_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"]) if "content-length" in headers else None
    except ValueError:
        return None


class Refusal(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class AuthenticateFirst:
    """ASGI middleware: sizes, then credentials, from the headers alone."""

    def __init__(self, app, *, holder_of_key: Callable[[str | None], KeyHolder | None],
                 check_admin: Callable[[str | None], None], limits: BodyLimits):
        self.app = app
        self.holder_of_key = holder_of_key
        self.check_admin = check_admin  # raises Refusal unless the token may administer
        self.limits = limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = policy_for(scope["path"], self.limits)
        if policy.credential == PUBLIC:
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        try:
            self.check_length(headers, policy)
            await self.check_credentials(scope, headers, policy)
        except Refusal as refusal:
            return await _answer(send, refusal.status, refusal.detail, challenge=refusal.status == 401)
        return await self.app(scope, limited_receive(receive, policy.max_body_bytes), send)

    @staticmethod
    def check_length(headers: Headers, policy: Policy) -> None:
        length = declared_length(headers)
        if length is not None and length > policy.max_body_bytes:
            raise Refusal(413, f"body of {length} bytes is over the limit of {policy.max_body_bytes} bytes")

    async def check_credentials(self, scope, headers: Headers, policy: Policy) -> None:
        credential = bearer_or_key(headers)
        if policy.credential == INGESTION:
            try:
                holder = await run_in_threadpool(self.holder_of_key, credential)
            except KeysUnavailable as exc:
                raise Refusal(503, f"{exc}; retry later") from None
            if holder is None:
                raise Refusal(401, "missing or invalid ingestion key")
            scope.setdefault("state", {})["key_holder"] = holder
        elif policy.credential == ADMIN:
            await run_in_threadpool(self.check_admin, credential)


class BodyTooLarge(HTTPException):
    """Raised while reading when a body without (or with a false) Content-Length passes the limit.
    An HTTPException, so that FastAPI's form and JSON parsing pass it on as a 413 instead of a 400."""

    def __init__(self, detail: str):
        super().__init__(413, detail, headers={"Connection": "close"})


def limited_receive(receive, max_bytes: int):
    """`receive` that counts the body's bytes as they arrive and stops past `max_bytes`."""
    seen = 0

    async def counted():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise BodyTooLarge(f"body is over the limit of {max_bytes} bytes")
        return message

    return counted
