"""Sign-in through an OpenID Connect provider: the authorization code flow with PKCE (S256), through
Authlib's OAuth2 client; the ID token checked against the provider's JWKS (issuer, audience, nonce,
expiry). The role comes from one claim of the ID token (`role_claim`, a dotted path such as
`realm_access.roles`; a string or a list of groups), through `role_map` (claim value → our role) or,
without a map, taken as is when it is one of our six.

A signed-in OIDC user becomes a user of ops.users (by email, without a password), with the role the
provider gave at this sign-in: disabling them here refuses their tokens as for any user. Pending
sign-ins (state → PKCE verifier and nonce) live in this process for PENDING_TTL_S: one worker serves
the accounts service.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session

from outcomelens.core.tokens import ROLES

ISSUER_ENV = "OUTCOMELENS_OIDC_ISSUER"
CLIENT_ID_ENV = "OUTCOMELENS_OIDC_CLIENT_ID"
CLIENT_SECRET_ENV = "OUTCOMELENS_OIDC_CLIENT_SECRET"
REDIRECT_URI_ENV = "OUTCOMELENS_OIDC_REDIRECT_URI"
ROLE_CLAIM_ENV = "OUTCOMELENS_OIDC_ROLE_CLAIM"
ROLE_MAP_ENV = "OUTCOMELENS_OIDC_ROLE_MAP"  # "group=role,group=role"
PENDING_TTL_S = 600
HTTP_TIMEOUT_S = 10


class OidcError(Exception):
    """A sign-in that cannot complete, with the HTTP status that says why."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    email: str
    name: str
    role: str


@dataclass
class _Pending:
    code_verifier: str
    nonce: str
    redirect_uri: str
    created: float


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str | None = None
    redirect_uri: str | None = None  # None: this service's own /v1/auth/oidc/callback
    role_claim: str = "role"
    role_map: dict[str, str] = field(default_factory=dict)
    scope: str = "openid email profile"
    _metadata: dict | None = field(default=None, init=False, repr=False)
    _jwks: jwt.PyJWKClient | None = field(default=None, init=False, repr=False)
    _pending: dict[str, _Pending] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def metadata(self) -> dict:
        """The provider's discovery document (fetched once)."""
        if self._metadata is None:
            url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=HTTP_TIMEOUT_S)
                response.raise_for_status()
            except requests.RequestException as exc:
                raise OidcError(f"the OIDC provider's discovery document cannot be read: {exc}", 502) from None
            self._metadata = response.json()
            if self._metadata.get("issuer") != self.issuer:
                raise OidcError("the discovery document names another issuer", 502)
        return self._metadata

    def _client(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def authorization_url(self, default_redirect_uri: str) -> str:
        """Where to send the browser; remembers the state's PKCE verifier and nonce."""
        redirect_uri = self.redirect_uri or default_redirect_uri
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = self._client(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        with self._lock:
            self._forget_expired()
            self._pending[state] = _Pending(verifier, nonce, redirect_uri, time.monotonic())
        return url

    def _forget_expired(self) -> None:
        cutoff = time.monotonic() - PENDING_TTL_S
        for state in [s for s, p in self._pending.items() if p.created < cutoff]:
            del self._pending[state]

    def complete(self, code: str, state: str) -> OidcIdentity:
        """Trade the code (with the state's PKCE verifier) for tokens; the identity of the ID token."""
        with self._lock:
            self._forget_expired()
            pending = self._pending.pop(state, None)
        if pending is None:
            raise OidcError("unknown or expired state: start the sign-in again", 400)
        try:
            tokens = self._client(pending.redirect_uri).fetch_token(
                self.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
                timeout=HTTP_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001 — Authlib raises OAuthError, requests its own: both are "refused"
            raise OidcError(f"the OIDC provider refused the code: {exc}") from None
        if "id_token" not in tokens:
            raise OidcError("the OIDC provider answered without an id_token")
        return self._identity(self._id_token_claims(tokens["id_token"], pending.nonce))

    def _id_token_claims(self, id_token: str, nonce: str) -> dict:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.metadata()["jwks_uri"], cache_keys=True, timeout=HTTP_TIMEOUT_S)
        algorithms = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token).key
            claims = jwt.decode(
                id_token,
                key,
                algorithms=[a for a in algorithms if a != "none"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"invalid ID token: {exc}") from None
        if claims.get("nonce") != nonce:
            raise OidcError("the ID token's nonce is not this sign-in's")
        return claims

    def role_of(self, claims: dict) -> str:
        """Our role from `role_claim` (through `role_map`); the first match when it is a list of groups."""
        value: object = claims
        for part in self.role_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            candidates = [value]
        else:
            candidates = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        for candidate in candidates:
            role = self.role_map.get(candidate) if self.role_map else candidate
            if role in ROLES:
                return role
        raise OidcError(f"no OutcomeLens role in the ID token's {self.role_claim!r} claim ({candidates})", 403)

    def _identity(self, claims: dict) -> OidcIdentity:
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise OidcError("the ID token has no email (ask for the email scope)")
        if claims.get("email_verified") is False:
            raise OidcError("the provider has not verified this email", 403)
        return OidcIdentity(
            subject=str(claims["sub"]), email=email, name=str(claims.get("name") or ""), role=self.role_of(claims)
        )


def _role_map(text: str) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in text.split(",") if "=" in item]
    return {group.strip(): role.strip() for group, role in pairs}


def provider_from_env(env=os.environ) -> OidcProvider | None:
    if not env.get(ISSUER_ENV) or not env.get(CLIENT_ID_ENV):
        return None
    return OidcProvider(
        issuer=env[ISSUER_ENV],
        client_id=env[CLIENT_ID_ENV],
        client_secret=env.get(CLIENT_SECRET_ENV) or None,
        redirect_uri=env.get(REDIRECT_URI_ENV) or None,
        role_claim=env.get(ROLE_CLAIM_ENV) or "role",
        role_map=_role_map(env.get(ROLE_MAP_ENV, "")),
    )
