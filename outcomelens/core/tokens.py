"""The one token verifier: every API (collector admin, accounts) and Cube (through the accounts
service's introspection endpoint) accept a bearer token only when `TokenVerifier` does.

Tokens are HS256 JWTs signed with the keyring's API secret, carrying `sub`, `role`, `aud`, `iat`, `exp`
and `jti`. The rules:
- `aud` names what a token is for: `outcomelens-api` (queries: Cube and the read APIs) or
  `outcomelens-admin` (the admin APIs, which also require the admin role). A query token is never an
  admin token, even with role admin; a signed-in admin's access token carries both audiences.
- A lifetime (`exp - iat`) over the maximum is refused: 1 h for sign-in access tokens
  (`token_use: access`), 24 h for service tokens unless the token was created explicitly as a
  long-lived service token (its jti recorded in ops.service_tokens).
- A revoked jti (ops.revoked_tokens) is refused, and so is a token whose subject is a disabled user.
- The role is `app_metadata.role` when present (Supabase's place for it), else the top-level `role`,
  and must be one of the six.
- A token whose subject is revoked (ops.revoked_subjects) is refused.
- Tokens of a configured Supabase project (external_tokens.py) are verified with its secret or JWKS
  instead, live at most 1 h, count for the API audience (and the admin one with role admin).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from outcomelens.core.external_tokens import EXTERNAL_USE, ExternalTokenError, SupabaseProject
from outcomelens.core.warehouse import transaction

ROLES = ("admin", "product_manager", "prompt_engineer", "operations", "engineer", "enablement")
ALGORITHM = "HS256"
API_AUDIENCE = "outcomelens-api"
ADMIN_AUDIENCE = "outcomelens-admin"
ISSUER = "outcomelens"
ACCESS_USE = "access"  # `token_use` of a sign-in access token; anything else is a service token
MAX_ACCESS_TTL_S = 3600
MAX_SERVICE_TTL_S = 24 * 3600
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "aud"]


class TokenRefused(Exception):
    """Why a token was refused, with the HTTP status that says so (401 not valid, 403 not allowed)."""

    def __init__(self, reason: str, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def mint_token(role: str, secret: str, ttl_s: int = 3600, **claims) -> str:
    """A JWT signed with `secret` (HS256) whose `role` claim is `role`, valid for `ttl_s` seconds.

    Its audience is `outcomelens-api` (a query token); pass `aud=ADMIN_AUDIENCE` (or a list) for the
    admin APIs. Extra keyword arguments become claims and override the defaults (`sub`, `iat`, `exp`,
    `jti`, `aud`), e.g. `exp=0` for a token that has already expired. The role is not checked here, so
    tests can mint tokens for unknown roles; the verifier refuses them.
    """
    if not secret:
        raise ValueError("an empty secret cannot sign a token")
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": f"dev:{role}",
        "role": role,
        "aud": API_AUDIENCE,
        "iat": now,
        "exp": now + int(ttl_s),
        "jti": uuid.uuid4().hex,
    }
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str, audience: str = API_AUDIENCE) -> dict:
    """The claims of a token signed with `secret` for `audience`, checking signature and expiry only
    (PyJWT's errors propagate). Deciding whether to accept a token is `TokenVerifier.verify`'s job."""
    return jwt.decode(token, secret, algorithms=[ALGORITHM], audience=audience, options={"require": ["exp"]})


def role_from_claims(claims: dict) -> object:
    """`app_metadata.role` when it is a string (Supabase also sets a top-level role of its own,
    "authenticated"), else the top-level `role`: the same rule as semantic_layer/access.js."""
    app_metadata = claims.get("app_metadata")
    if isinstance(app_metadata, dict) and isinstance(app_metadata.get("role"), str):
        return app_metadata["role"]
    return claims.get("role")


@dataclass(frozen=True)
class Standing:
    """What the warehouse knows of one token: revoked, its subject's status, explicitly long-lived."""

    revoked: bool = False
    user_status: str | None = None  # None: the subject is not a user (a service token)
    long_lived: bool = False
    subject_revoked: bool = False  # every token of the subject is refused (ops.revoked_subjects)


_STANDING_SQL = """
select exists (select 1 from ops.revoked_tokens where jti = %(jti)s),
       (select status from ops.users where user_id = %(sub)s),
       exists (select 1 from ops.service_tokens where jti = %(jti)s and expires_at >= to_timestamp(%(exp)s)),
       exists (select 1 from ops.revoked_subjects where sub = %(sub)s)
"""


class TokenState:
    """Revocations, users' status and registered service tokens, read from (and written to) the
    warehouse through `connect` (a function returning a new psycopg2 connection)."""

    def __init__(self, connect: Callable[[], object]):
        self.connect = connect

    def standing(self, claims: dict) -> Standing:
        params = {"jti": str(claims["jti"]), "sub": str(claims["sub"]), "exp": claims["exp"]}
        with transaction(self.connect) as conn, conn.cursor() as cur:
            cur.execute(_STANDING_SQL, params)
            revoked, status, long_lived, subject_revoked = cur.fetchone()
        return Standing(revoked=revoked, user_status=status, long_lived=long_lived, subject_revoked=subject_revoked)

    def revoke_subject(self, sub: str, reason: str = "") -> None:
        """Refuse every token of `sub`, now and later: how an external user (whose tokens have no jti
        and who is not in ops.users) is shut out."""
        with transaction(self.connect) as conn, conn.cursor() as cur:
            cur.execute(
                "insert into ops.revoked_subjects (sub, reason) values (%s, %s)"
                " on conflict (sub) do update set revoked_at = now(), reason = excluded.reason",
                (sub, reason),
            )

    def revoke(self, jti: str, *, sub: str | None = None, expires_at: int | None = None, reason: str = "") -> None:
        with transaction(self.connect) as conn, conn.cursor() as cur:
            cur.execute(
                "insert into ops.revoked_tokens (jti, sub, expires_at, reason)"
                " values (%s, %s, to_timestamp(%s), %s) on conflict (jti) do nothing",
                (jti, sub, expires_at, reason),
            )

    def register_service_token(self, claims: dict) -> None:
        with transaction(self.connect) as conn, conn.cursor() as cur:
            cur.execute(
                "insert into ops.service_tokens (jti, sub, role, expires_at) values (%s, %s, %s, to_timestamp(%s))",
                (claims["jti"], claims["sub"], claims["role"], claims["exp"]),
            )


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for."""

    sub: str
    role: str
    exp: int
    iat: int
    jti: str
    audiences: tuple[str, ...]
    claims: dict = field(repr=False, compare=False)


def _audiences(claims: dict) -> tuple[str, ...]:
    aud = claims.get("aud")
    return (aud,) if isinstance(aud, str) else tuple(a for a in aud or () if isinstance(a, str))


class TokenVerifier:
    """Accepts a token only if every rule of this module holds. Without a `state` (no warehouse at
    hand) revocation and users' status cannot be checked, and long-lived service tokens are refused."""

    def __init__(self, secret: str, state: TokenState | None = None, *,
                 max_access_ttl_s: int = MAX_ACCESS_TTL_S, max_service_ttl_s: int = MAX_SERVICE_TTL_S,
                 external: list[SupabaseProject] | None = None):
        if not secret:
            raise ValueError("a verifier needs the API secret")
        self.secret = secret
        self.external = list(external or [])
        self.state = state
        self.max_access_ttl_s = max_access_ttl_s
        self.max_service_ttl_s = max_service_ttl_s

    def verify(self, token: str | None, *, audience: str = API_AUDIENCE, role: str | None = None) -> Principal:
        """The principal of a token for `audience` (and, if given, `role`), or TokenRefused."""
        if not token:
            raise TokenRefused("a bearer token is required: send \"Authorization: Bearer <JWT>\"")
        issuer = self._external_issuer(token)
        claims = self._decode(token, audience) if issuer is None else self._decode_external(issuer, token, audience)
        principal_role = role_from_claims(claims)
        if principal_role not in ROLES:
            raise TokenRefused(f"unknown role {principal_role!r}: expected one of {', '.join(ROLES)}", 403)
        self._check_standing(claims)
        if role is not None and principal_role != role:
            raise TokenRefused(f"role {principal_role!r} may not do this; {role} only", 403)
        return Principal(sub=str(claims["sub"]), role=principal_role, exp=int(claims["exp"]), iat=int(claims["iat"]),
                         jti=str(claims["jti"]), audiences=_audiences(claims), claims=claims)

    def _decode(self, token: str, audience: str) -> dict:
        try:
            return jwt.decode(token, self.secret, algorithms=[ALGORITHM], audience=audience,
                              options={"require": _REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise TokenRefused("token expired") from None
        except jwt.InvalidAudienceError:
            # PyJWT checks the signature first: a genuine token, but not one for this API.
            raise TokenRefused(f"token not meant for {audience} (its aud claim)", 403) from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"token lacks the {exc.claim} claim") from None
        except jwt.PyJWTError:
            raise TokenRefused("invalid token: it must be a JWT signed with HS256 and the API secret") from None

    def _external_issuer(self, token: str) -> SupabaseProject | None:
        if not self.external:
            return None
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None  # not a JWT at all: _decode says so
        return next((issuer for issuer in self.external if issuer.issued(unverified)), None)

    @staticmethod
    def _decode_external(issuer: SupabaseProject, token: str, audience: str) -> dict:
        try:
            claims = issuer.claims(token)
        except ExternalTokenError as exc:
            raise TokenRefused(str(exc)) from None
        # A Supabase token is for querying; with our admin role (app_metadata.role) also for the admin APIs.
        audiences = [API_AUDIENCE, ADMIN_AUDIENCE] if role_from_claims(claims) == "admin" else [API_AUDIENCE]
        if audience not in audiences:
            raise TokenRefused(f"token not meant for {audience} (a Supabase token of a non-admin)", 403)
        return {**claims, "aud": audiences}

    def _lifetime_allowed(self, claims: dict, standing: Standing | None) -> bool:
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if claims.get("token_use") in (ACCESS_USE, EXTERNAL_USE):
            return lifetime <= self.max_access_ttl_s
        return lifetime <= self.max_service_ttl_s or (standing is not None and standing.long_lived)

    def _check_standing(self, claims: dict) -> None:
        standing = self.state.standing(claims) if self.state is not None else None
        if not self._lifetime_allowed(claims, standing):
            raise TokenRefused("token lifetime exceeds the maximum (exp - iat)")
        if standing is None:
            return
        if standing.revoked:
            raise TokenRefused("token revoked")
        if standing.subject_revoked:
            raise TokenRefused("token of a revoked user")
        if standing.user_status not in (None, "active"):
            raise TokenRefused("token of a disabled user")
        if claims.get("token_use") == ACCESS_USE and standing.user_status is None:
            raise TokenRefused("token of an unknown user")

    def introspect(self, token: str | None, audience: str = API_AUDIENCE) -> dict:
        """RFC 7662's answer for `token`: {"active": false, reason, status} when refused, else active with
        its claims."""
        try:
            p = self.verify(token, audience=audience)
        except TokenRefused as refused:
            # RFC 7662 allows extensions; the reason only tells the token's holder what they could decode.
            return {"active": False, "reason": refused.reason, "status": refused.status}
        return {"active": True, "sub": p.sub, "role": p.role, "exp": p.exp, "iat": p.iat, "jti": p.jti,
                "aud": list(p.audiences), "token_type": "Bearer"}


def issue_service_token(role: str, secret: str, ttl_s: int, *, admin: bool = False,
                        state: TokenState | None = None) -> str:
    """A service token for `role`: a query token, or with `admin` an admin-API token (admin role only).

    A lifetime over MAX_SERVICE_TTL_S needs `state`: the token is then registered in ops.service_tokens,
    which is what lets the verifier accept it (and lists it for whoever audits long-lived tokens).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if admin and role != "admin":
        raise ValueError("only the admin role can have an admin-API token")
    if ttl_s <= 0:
        raise ValueError("a token's lifetime must be positive")
    if ttl_s > MAX_SERVICE_TTL_S and state is None:
        raise ValueError(f"a lifetime over {MAX_SERVICE_TTL_S} s is only for explicitly created service tokens")
    token = mint_token(role, secret, ttl_s=ttl_s, sub=f"service:{role}", aud=ADMIN_AUDIENCE if admin else API_AUDIENCE)
    if ttl_s > MAX_SERVICE_TTL_S:
        state.register_service_token(jwt.decode(token, options={"verify_signature": False}))
    return token
