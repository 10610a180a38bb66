"""Cube's REST API as the endpoint uses it: /v1/meta and /v1/load with the user's own token, on a
keep-alive HTTP session, Cube's refusals turned into Postgres errors."""

from __future__ import annotations

import time

import requests

from sql_endpoint.errors import CONNECTION_FAILURE, INSUFFICIENT_PRIVILEGE, INVALID_PASSWORD, SqlError

LOAD_TIMEOUT_S = 120.0
CONTINUE_WAIT_PAUSE_S = 0.2
# Cube's 400 answers for a query it cannot build: a member it does not know, a filter it refuses.
QUERY_ERROR = "42000"  # syntax_error_or_access_rule_violation
UNDEFINED = "42703"


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    return str(body.get("error") if isinstance(body, dict) else body)[:1000]


def _raise_for(response: requests.Response) -> None:
    message = _error_text(response)
    if response.status_code == 403:
        raise SqlError(INSUFFICIENT_PRIVILEGE, f"permission denied: {message}")
    if response.status_code == 401:
        raise SqlError(INVALID_PASSWORD, f"the semantic layer refused the session's token: {message}")
    if response.status_code == 400:
        code = UNDEFINED if "not found" in message.lower() else QUERY_ERROR
        raise SqlError(code, f"the semantic layer cannot answer: {message}")
    raise SqlError(CONNECTION_FAILURE, f"the semantic layer answered {response.status_code}: {message}")


class CubeClient:
    def __init__(self, api_url: str, http: requests.Session):
        self.api_url = api_url.rstrip("/")
        self.http = http

    def _call(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        try:
            return self.http.request(
                method, self.api_url + path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        except requests.RequestException as exc:
            raise SqlError(
                CONNECTION_FAILURE, f"the semantic layer does not answer ({exc.__class__.__name__})"
            ) from None

    def meta(self, token: str) -> dict:
        response = self._call("GET", "/v1/meta", token, timeout=60)
        if response.status_code != 200:
            _raise_for(response)
        return response.json()

    def load(self, query: dict, token: str) -> dict:
        """Cube's answer (`data`, `annotation`); "Continue wait" (a query still computing) is asked again."""
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            response = self._call(
                "POST", "/v1/load", token, json={"query": query}, timeout=max(1.0, deadline - time.monotonic())
            )
            if response.status_code != 200:
                _raise_for(response)
            body = response.json()
            if body.get("error") != "Continue wait":
                if "error" in body:
                    _raise_for(response)
                return body
            if time.monotonic() >= deadline:
                raise SqlError("57014", f"the semantic layer was still computing after {LOAD_TIMEOUT_S:.0f}s")
            time.sleep(CONTINUE_WAIT_PAUSE_S)
