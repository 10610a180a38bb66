"""A local OpenID Connect provider: a real HTTP server speaking discovery
(`/.well-known/openid-configuration`), the authorization endpoint (which signs in `next_user` and
redirects back with a code, as a provider does once its user has logged in), the token endpoint
(authorization_code with PKCE S256 and client authentication, RFC 6749 error bodies) and the JWKS,
with RS256 ID tokens carrying iss, sub, aud, exp, iat, nonce, email, email_verified, name and groups.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.mocks.server import MockServer, Reply, Request


@dataclass
class OidcUser:
    sub: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class MockOidc(MockServer):
    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.next_user: OidcUser | None = None
        self.codes: dict[str, dict] = {}  # code -> the authorization request it answers
        super().__init__()

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def answer(self, request: Request) -> Reply:
        if request.path == "/.well-known/openid-configuration":
            return 200, self.discovery()
        if request.path == "/jwks":
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return 200, {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}
        if request.path == "/authorize":
            return self._authorize(request.query)
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        return 404, {"error": "not_found"}

    def _authorize(self, query: dict) -> Reply:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {"error": "invalid_request", "error_description": "unknown client or response_type"}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {"error": "invalid_request", "error_description": "PKCE (S256) is required"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "user": self.next_user}
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, None, {"Location": location}

    def _client_authenticated(self, request: Request, form: dict) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        return client_id == self.client_id and secret == self.client_secret

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._client_authenticated(request, form):
            return 401, {"error": "invalid_client"}
        asked = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if asked is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        if _s256(form.get("code_verifier", "")) != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        user, now = asked["user"], int(time.time())
        id_token = jwt.encode(
            {
                "iss": self.url,
                "sub": user.sub,
                "aud": self.client_id,
                "iat": now,
                "exp": now + 300,
                "nonce": asked.get("nonce"),
                "email": user.email,
                "email_verified": True,
                "name": user.name,
                "groups": user.groups,
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
            "scope": asked.get("scope", "openid"),
        }
