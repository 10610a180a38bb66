"""A small client for the accounts API (sign-in, the admin APIs, the engagement record), with the
signed-in user's token.

Its base URL is the dashboard's `--accounts-url` (OUTCOMELENS_ACCOUNTS_URL, by default the
accounts service of `outcomelens up` on 127.0.0.1:4100). Some admin endpoints arrive with newer
accounts services: a 404 on one of them is `NotAvailable`, which a page shows as "not available"
instead of failing.
"""

from __future__ import annotations

import requests

DEFAULT_URL = "http://127.0.0.1:4100"
_HTTP = requests.Session()
TIMEOUT_S = 10.0


class AccountsError(RuntimeError):
    """The accounts API refused or failed a request; `status` is its HTTP status."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(f"the accounts API answered {status}: {message}")


class NotAvailable(AccountsError):
    """The endpoint does not exist on this accounts service (404 without a resource-level reason)."""


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # FastAPI's validation errors: name the field
        return "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    if isinstance(detail, dict) and "message" in detail:  # {"field", "message"}: the message names the field
        return str(detail["message"])
    return str(detail)


class AccountsClient:
    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None):
        """The JSON answer (None for 204). A 404 that names a missing item (a user, a key) stays an
        AccountsError; only FastAPI's bare "Not Found" (no such route) is NotAvailable."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = _HTTP.request(
                method, self.base_url + path, json=json, params=params, headers=headers, timeout=TIMEOUT_S
            )
        except requests.RequestException as exc:
            raise AccountsError(
                502, f"the accounts service at {self.base_url} could not be reached ({exc.__class__.__name__})"
            ) from None
        if response.status_code == 404 and _message(response) == "Not Found":
            raise NotAvailable(404, f"{path} is not available on this accounts service")
        if response.status_code >= 400:
            raise AccountsError(response.status_code, _message(response))
        return None if response.status_code == 204 or not response.content else response.json()

    # ---- sign-in
    def login(self, email: str, password: str) -> dict:
        return self.call("POST", "/v1/auth/login", json={"email": email, "password": password})

    def refresh(self, refresh_token: str) -> dict:
        return self.call("POST", "/v1/auth/refresh", json={"refresh_token": refresh_token})

    def logout(self, refresh_token: str) -> None:
        self.call("POST", "/v1/auth/logout", json={"refresh_token": refresh_token})

    # ---- engagement (any signed-in user)
    def page_view(self, page: str, view: str | None, response_ms: float) -> None:
        self.call("POST", "/v1/engagement", json={"page": page, "view": view, "response_ms": response_ms})

    # ---- saved views and report schedules (any signed-in user; the API keys them by the token's user)
    def saved_views(self) -> list[dict]:
        return self.call("GET", "/v1/saved-views")

    def save_view(self, name: str, href: str, shared: bool) -> dict:
        return self.call("POST", "/v1/saved-views", json={"name": name, "href": href, "shared": shared})

    def update_view(self, view_id: int, **changes) -> dict:
        return self.call("PATCH", f"/v1/saved-views/{view_id}", json=changes)

    def delete_view(self, view_id: int) -> None:
        self.call("DELETE", f"/v1/saved-views/{view_id}")

    def report_schedules(self) -> list[dict]:
        return self.call("GET", "/v1/report-schedules")

    def report_destinations(self) -> dict:
        return self.call("GET", "/v1/report-schedules/destinations")

    def schedule_report(self, schedule: dict) -> dict:
        return self.call("POST", "/v1/report-schedules", json=schedule)

    def delete_schedule(self, schedule_id: int) -> None:
        self.call("DELETE", f"/v1/report-schedules/{schedule_id}")
