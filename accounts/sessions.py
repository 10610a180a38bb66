"""Sign-in sessions: a short-lived access token (a JWT the one verifier accepts) and a rotating refresh
token, of which only the sha256 is stored (ops.refresh_tokens).

Every refresh replaces the refresh token with a new one of the same family. A rotated (or revoked)
refresh token presented again was copied by someone: the whole family is revoked, so the thief and the
owner both have to sign in again.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from accounts.users import User, get_user
from outcomelens.core.tokens import ACCESS_USE, ADMIN_AUDIENCE, API_AUDIENCE, MAX_ACCESS_TTL_S, mint_token

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 14 * 24 * 3600


def _digest(refresh_token: str) -> str:
    # A refresh token is 256 random bits: a plain sha256 is enough, no slow hash needed.
    return hashlib.sha256(refresh_token.encode()).hexdigest()


@dataclass(frozen=True)
class Refreshed:
    """The outcome of one refresh: `user` set when it is accepted; else why not, and whether it was a reuse."""

    user: User | None
    family_id: str | None = None
    reason: str = ""
    reuse: bool = False


class Sessions:
    def __init__(self, secret: str, access_ttl_s: int = ACCESS_TTL_S, refresh_ttl_s: int = REFRESH_TTL_S):
        if access_ttl_s > MAX_ACCESS_TTL_S:
            raise ValueError(f"an access token lives at most {MAX_ACCESS_TTL_S} s")
        self.secret, self.access_ttl_s, self.refresh_ttl_s = secret, access_ttl_s, refresh_ttl_s

    def access_token(self, user: User) -> str:
        """Admins' tokens carry both audiences: the dashboard queries Cube and calls the admin APIs."""
        audiences = [API_AUDIENCE, ADMIN_AUDIENCE] if user.role == "admin" else API_AUDIENCE
        return mint_token(user.role, self.secret, ttl_s=self.access_ttl_s, sub=user.user_id, aud=audiences,
                          token_use=ACCESS_USE, email=user.email)

    def issue(self, cur, user: User, family_id: str | None = None) -> dict:
        """A new access token and refresh token (a new family at sign-in, the same one at refresh)."""
        refresh_token = secrets.token_urlsafe(32)
        cur.execute(
            "insert into ops.refresh_tokens (token_hash, family_id, user_id, expires_at)"
            " values (%s, %s, %s, now() + make_interval(secs => %s))",
            (_digest(refresh_token), family_id or uuid.uuid4().hex, user.user_id, self.refresh_ttl_s),
        )
        return {"access_token": self.access_token(user), "token_type": "Bearer", "expires_in": self.access_ttl_s,
                "refresh_token": refresh_token}

    def rotate(self, cur, refresh_token: str) -> Refreshed:
        """Spend a refresh token. The caller issues the next one on success and commits either way:
        a reuse revokes the family, and that must stay revoked."""
        cur.execute(
            "select family_id, user_id, rotated_at is not null or revoked_at is not null, expires_at < now()"
            " from ops.refresh_tokens where token_hash = %s for update",
            (_digest(refresh_token),),
        )
        row = cur.fetchone()
        if row is None:
            return Refreshed(None, reason="unknown refresh token")
        family_id, user_id, spent, expired = row
        if spent:
            revoke_family(cur, family_id)
            return Refreshed(None, family_id, "refresh token reused: its session is revoked", reuse=True)
        if expired:
            return Refreshed(None, family_id, "refresh token expired")
        cur.execute("update ops.refresh_tokens set rotated_at = now() where token_hash = %s", (_digest(refresh_token),))
        user = get_user(cur, user_id)
        if user.status != "active":
            revoke_family(cur, family_id)
            return Refreshed(None, family_id, "user disabled")
        return Refreshed(user, family_id)

    def family_of(self, cur, refresh_token: str) -> str | None:
        cur.execute("select family_id from ops.refresh_tokens where token_hash = %s", (_digest(refresh_token),))
        row = cur.fetchone()
        return row[0] if row else None


def revoke_family(cur, family_id: str) -> None:
    cur.execute("update ops.refresh_tokens set revoked_at = now() where family_id = %s and revoked_at is null",
                (family_id,))


def revoke_user_sessions(cur, user_id: str) -> int:
    """Revoke every refresh token of a user; their access tokens fail because the verifier sees the
    user disabled (or, after a password reset, because every session has to sign in again)."""
    cur.execute("update ops.refresh_tokens set revoked_at = now() where user_id = %s and revoked_at is null",
                (user_id,))
    return cur.rowcount
