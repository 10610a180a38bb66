"""Who is connected: the startup message's user and password checked by the accounts service, and that
user's token, with which every Cube request is made (so Cube's role rules decide what they see).

A password is exchanged for a sign-in token (`POST /v1/auth/login`), refreshed before it expires and
revoked when the connection ends; a personal SQL token (an access or service token given as the
password) is checked by introspection and used as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import requests

from outcomelens.core.tokens import role_from_claims
from sql_endpoint.errors import CONNECTION_FAILURE, INVALID_PASSWORD, SqlError

HTTP_TIMEOUT_S = 10.0
REFRESH_MARGIN_S = 60.0  # refresh a sign-in token this long before it expires


def _looks_like_token(password: str) -> bool:
    return password.startswith("eyJ") and password.count(".") == 2


def _refused(message: str) -> SqlError:
    return SqlError(INVALID_PASSWORD, message, fatal=True)


@dataclass
class Principal:
    user: str
    role: str
    token: str
    expires_at: float
    refresh_token: str | None = None


class Accounts:
    """The accounts service's sign-in API, on one keep-alive HTTP session per connection."""

    def __init__(self, url: str, http: requests.Session):
        self.url = url.rstrip("/")
        self.http = http

    def _post(self, path: str, **kwargs) -> requests.Response:
        try:
            return self.http.post(self.url + path, timeout=HTTP_TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise SqlError(
                CONNECTION_FAILURE, f"the accounts service does not answer ({exc.__class__.__name__})", fatal=True
            ) from None

    def sign_in(self, user: str, password: str) -> Principal:
        if not password:
            raise _refused(f'password authentication failed for user "{user}": no password given')
        if _looks_like_token(password):
            return self._token_principal(user, password)
        response = self._post("/v1/auth/login", json={"email": user, "password": password})
        if response.status_code == 429:
            raise _refused(f'too many failed sign-ins for user "{user}": try again later')
        if response.status_code in (401, 403, 422):
            # Unknown, disabled and wrong password answer alike, as the accounts service does.
            raise _refused(f'password authentication failed for user "{user}"')
        if response.status_code != 200:
            raise SqlError(CONNECTION_FAILURE, f"the accounts service answered {response.status_code}", fatal=True)
        body = response.json()
        return self._principal(user, body["access_token"], body.get("refresh_token"))

    def _token_principal(self, user: str, token: str) -> Principal:
        answer = self._post("/v1/auth/introspect", data={"token": token})
        if answer.status_code != 200 or not answer.json().get("active"):
            reason = answer.json().get("reason", "refused") if answer.status_code == 200 else answer.status_code
            raise _refused(f'the SQL token given as password for user "{user}" is refused: {reason}')
        return self._principal(user, token, None)

    @staticmethod
    def _principal(user: str, token: str, refresh_token: str | None) -> Principal:
        claims = jwt.decode(token, options={"verify_signature": False})
        return Principal(user, str(role_from_claims(claims)), token, float(claims.get("exp", 0)), refresh_token)

    def fresh(self, principal: Principal) -> Principal:
        """The principal with a token valid for a while yet: a sign-in token is rotated near its end."""
        if principal.refresh_token is None or principal.expires_at - time.time() > REFRESH_MARGIN_S:
            return principal
        response = self._post("/v1/auth/refresh", json={"refresh_token": principal.refresh_token})
        if response.status_code != 200:
            raise _refused(f'the sign-in of user "{principal.user}" ended (disabled or signed out): reconnect')
        body = response.json()
        return self._principal(principal.user, body["access_token"], body.get("refresh_token"))

    def sign_out(self, principal: Principal) -> None:
        if principal.refresh_token is None:
            return
        try:
            self.http.post(
                self.url + "/v1/auth/logout",
                json={"refresh_token": principal.refresh_token},
                headers={"Authorization": f"Bearer {principal.token}"},
                timeout=HTTP_TIMEOUT_S,
            )
        except requests.RequestException:
            pass  # the refresh token expires by itself
