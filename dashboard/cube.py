"""A small client for Cube's REST API (/v1/load, /v1/meta), with the user's token.

Cube answers {"error": "Continue wait"} while it is still computing (a rollup being built):
`load` asks again until it gets data or the deadline passes. Answers are kept for a few seconds
per (security context, query): the CSV export of a widget re-runs exactly the query that drew it,
and a reload within the TTL need not ask again. The security context is what Cube itself derives
from the token (role and sub, semantic_layer/cube.js), so a refreshed token of the same user
reuses the answer, while another user of the same role does not: Cube records every query it
answers per user (ops.engagement_events), and sharing answers across users would drop theirs.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from requests.adapters import HTTPAdapter

CONTINUE_WAIT = "Continue wait"
# One pooled HTTP session for the whole process: Cube is usually on loopback and keep-alive
# saves a connection set-up per widget.
# Pool size: a page fans out up to a dozen queries at once, and several users load at once.
_HTTP = requests.Session()
for _scheme in ("http://", "https://"):
    _HTTP.mount(_scheme, HTTPAdapter(pool_connections=4, pool_maxsize=32))


class CubeError(RuntimeError):
    """Cube refused or failed a request; `status` is its HTTP status (401, 403, 400, ...)."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(f"Cube answered {status}: {message}")


class _TtlCache:
    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, ttl_s: float) -> Any:
        with self._lock:
            hit = self._items.get(key)
        if hit is None or time.monotonic() - hit[0] > ttl_s:
            return None
        return hit[1]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._items) > 2000:  # bounded: drop everything rather than track ages
                self._items.clear()
            self._items[key] = (time.monotonic(), value)


_CACHE = _TtlCache()


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return json.dumps(body)[:500]


# Claims that only say when a token was made and how long it lives; the rest say who it is.
_LIFETIME_CLAIMS = ("iat", "exp", "nbf", "jti")


def security_context(token: str) -> str:
    """Who Cube answers for this token: its claims without the lifetime ones (Cube derives its
    securityContext, role and sub, from them), so a refreshed token of the same user keys alike.

    Read without verifying the signature: only tokens Cube accepted at sign-in reach a session,
    and Cube verifies every token it is sent. A token whose claims cannot be read keys by itself.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "token:" + token
    if not isinstance(claims, dict) or not claims.get("sub"):
        return "token:" + token
    return json.dumps({k: v for k, v in claims.items() if k not in _LIFETIME_CLAIMS}, sort_keys=True, default=str)


@dataclass
class CubeClient:
    api_url: str  # e.g. http://127.0.0.1:4000/cubejs-api
    token: str
    cache_ttl_s: float = 15.0
    timeout_s: float = 60.0
    _meta: dict | None = field(default=None, init=False, repr=False)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def _cache_key(self, kind: str, payload: Any) -> str:
        return f"{self.api_url}|{security_context(self.token)}|{kind}|{json.dumps(payload, sort_keys=True)}"

    def meta(self) -> dict:
        """What this token may see: Cube's /v1/meta (views, their measures and dimensions)."""
        key = self._cache_key("meta", None)
        cached = _CACHE.get(key, max(self.cache_ttl_s, 60.0))
        if cached is not None:
            return cached
        response = _HTTP.get(f"{self.api_url}/v1/meta", headers=self._headers(), timeout=self.timeout_s)
        if response.status_code != 200:
            raise CubeError(response.status_code, _error_message(response))
        meta = response.json()
        _CACHE.put(key, meta)
        return meta

    def load(self, query: dict) -> list[dict]:
        """The rows Cube returns for `query` (keys are full member names)."""
        key = self._cache_key("load", query)
        cached = _CACHE.get(key, self.cache_ttl_s) if self.cache_ttl_s > 0 else None
        if cached is not None:
            return cached
        rows = self._load_uncached(query)
        _CACHE.put(key, rows)
        return rows

    def _post(self, path: str, body: dict) -> requests.Response:
        # Cube (Node) closes idle keep-alive connections after 5 s; a pooled one may already be
        # gone when reused, so a reset connection is tried once more on a fresh one.
        for attempt in (1, 2):
            try:
                return _HTTP.post(f"{self.api_url}{path}", headers=self._headers(),
                                  data=json.dumps(body), timeout=self.timeout_s)
            except requests.ConnectionError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _load_uncached(self, query: dict) -> list[dict]:
        deadline = time.monotonic() + self.timeout_s
        while True:
            response = self._post("/v1/load", {"query": query})
            if response.status_code != 200:
                raise CubeError(response.status_code, _error_message(response))
            body = response.json()
            if body.get("error") == CONTINUE_WAIT:
                if time.monotonic() > deadline:
                    raise CubeError(504, "Cube kept answering 'Continue wait'")
                time.sleep(0.2)
                continue
            if "error" in body:
                raise CubeError(400, str(body["error"]))
            return body.get("data", [])
