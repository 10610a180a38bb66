"""Access tokens of an external identity provider that the one verifier (tokens.py) accepts: Supabase's.

A Supabase project signs its users' access tokens either with the project's JWT secret (HS256, legacy)
or with an asymmetric signing key (ES256/RS256) published at `<project>/auth/v1/.well-known/jwks.json`.
Its tokens carry `iss` `<project>/auth/v1`, `aud` "authenticated", `sub` (the user's id), `role`
"authenticated" (Postgres' role, not ours) and `app_metadata.role` (ours, set by the project's admin);
they have no `jti`, so a session is named by `session_id` (or the token's hash) and the user is shut out
by subject (ops.revoked_subjects). The principal's subject is `supabase:<sub>`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import jwt

SUPABASE_URL_ENV = "OUTCOMELENS_SUPABASE_URL"
SUPABASE_JWT_SECRET_ENV = "OUTCOMELENS_SUPABASE_JWT_SECRET"
SUPABASE_AUDIENCE = "authenticated"
ASYMMETRIC_ALGORITHMS = ["ES256", "RS256"]
EXTERNAL_USE = "external"  # `token_use` of the claims the verifier derives from an external token
JWKS_CACHE_S = 300


class ExternalTokenError(Exception):
    """Why an external token is not valid (a 401 for the verifier)."""


@dataclass
class SupabaseProject:
    url: str  # https://<ref>.supabase.co
    jwt_secret: str | None = None  # HS256 tokens (the legacy JWT secret); None: only JWKS-signed tokens
    _jwks: jwt.PyJWKClient | None = field(default=None, init=False, repr=False)

    @property
    def issuer(self) -> str:
        return f"{self.url.rstrip('/')}/auth/v1"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def issued(self, unverified: dict) -> bool:
        return unverified.get("iss") == self.issuer

    def _key(self, token: str, algorithm: str):
        if algorithm == "HS256":
            if not self.jwt_secret:
                raise ExternalTokenError(f"HS256 Supabase tokens need {SUPABASE_JWT_SECRET_ENV}")
            return self.jwt_secret
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise ExternalTokenError(f"Supabase token signed with {algorithm}: expected HS256, ES256 or RS256")
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=JWKS_CACHE_S, timeout=10)
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise ExternalTokenError("the Supabase project's JWKS cannot be fetched") from None
        except jwt.PyJWKClientError as exc:
            raise ExternalTokenError(f"no Supabase signing key for this token: {exc}") from None

    def claims(self, token: str) -> dict:
        """The verified claims, normalised for the verifier (sub, jti, aud, token_use)."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            claims = jwt.decode(
                token,
                self._key(token, algorithm),
                algorithms=[algorithm],
                audience=SUPABASE_AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise ExternalTokenError("token expired") from None
        except jwt.InvalidAudienceError:
            raise ExternalTokenError(f"Supabase token not for {SUPABASE_AUDIENCE!r} (its aud claim)") from None
        except jwt.PyJWTError as exc:
            raise ExternalTokenError(f"invalid Supabase token: {exc}") from None
        session = claims.get("session_id") or hashlib.sha256(token.encode()).hexdigest()[:32]
        return {
            **claims,
            "sub": f"supabase:{claims['sub']}",
            "jti": f"supabase-session:{session}",
            "token_use": EXTERNAL_USE,
        }


def external_issuers_from_env(env=os.environ) -> list[SupabaseProject]:
    url = env.get(SUPABASE_URL_ENV)
    return [SupabaseProject(url, env.get(SUPABASE_JWT_SECRET_ENV) or None)] if url else []
