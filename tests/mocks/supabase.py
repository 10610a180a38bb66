"""A local Supabase Auth (GoTrue): a real HTTP server speaking its password sign-in
(`POST /auth/v1/token?grant_type=password`) and its JWKS (`GET /auth/v1/.well-known/jwks.json`), with
access tokens of Supabase's shape: iss `<url>/auth/v1`, aud "authenticated", role "authenticated",
app_metadata (provider, providers and the project's own `role`), session_id, aal, amr; no jti.

Tokens are signed with an ES256 signing key published in the JWKS (Supabase's asymmetric keys), or,
with `sign_with = "HS256"`, with the project's `jwt_secret` (Supabase's legacy JWT secret).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.mocks.server import MockServer, Reply, Request

INVALID_GRANT = {"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}


@dataclass
class SupabaseUser:
    email: str
    password: str
    app_role: str | None  # app_metadata.role; None: the project never set one
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


class MockSupabase(MockServer):
    def __init__(self, users: list[SupabaseUser], jwt_secret: str, ttl_s: int = 3600):
        self.users = {user.email: user for user in users}
        self.jwt_secret, self.ttl_s = jwt_secret, ttl_s
        self.sign_with = "ES256"
        self.signing_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = uuid.uuid4().hex[:8]
        super().__init__()

    @property
    def issuer(self) -> str:
        return f"{self.url}/auth/v1"

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.signing_key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"]}]}

    def access_token(self, user: SupabaseUser, **overrides) -> str:
        now = int(time.time())
        app_metadata = {"provider": "email", "providers": ["email"]}
        if user.app_role is not None:
            app_metadata["role"] = user.app_role
        claims = {
            "iss": self.issuer,
            "sub": user.id,
            "aud": "authenticated",
            "exp": now + self.ttl_s,
            "iat": now,
            "email": user.email,
            "phone": "",
            "app_metadata": app_metadata,
            "user_metadata": {},
            "role": "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
            **overrides,
        }
        if self.sign_with == "HS256":
            return jwt.encode(claims, self.jwt_secret, algorithm="HS256")
        return jwt.encode(claims, self.signing_key, algorithm="ES256", headers={"kid": self.kid})

    def answer(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/auth/v1/.well-known/jwks.json":
            return 200, self.jwks()
        if (
            request.method == "POST"
            and request.path == "/auth/v1/token"
            and request.query.get("grant_type") == "password"
        ):
            return self._password_grant(request.json())
        return 404, {"code": 404, "msg": f"no route {request.path}"}

    def _password_grant(self, body: dict) -> Reply:
        user = self.users.get(body.get("email"))
        if user is None or user.password != body.get("password"):
            return 400, INVALID_GRANT
        token = self.access_token(user)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.ttl_s,
            "expires_at": int(time.time()) + self.ttl_s,
            "refresh_token": uuid.uuid4().hex[:12],
            "user": {
                "id": user.id,
                "aud": "authenticated",
                "role": "authenticated",
                "email": user.email,
                "app_metadata": jwt.decode(token, options={"verify_signature": False})["app_metadata"],
            },
        }
