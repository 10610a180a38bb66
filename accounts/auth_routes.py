"""Sign-in, refresh, sign-out and token introspection.

Sign-in answers never tell whether an email exists: a wrong password and an unknown email get the
same 401, both count towards the email's lockout, and a locked email gets the same 429 either way.
"""

from __future__ import annotations

from fastapi import FastAPI, Form, HTTPException, Request, Response
from pydantic import BaseModel

from accounts import audit, lockout, users
from accounts.callers import bearer, source_of
from accounts.passwords import verify_password
from accounts.sessions import revoke_family
from outcomelens.core.tokens import TokenRefused
from outcomelens.core.warehouse import transaction

BAD_CREDENTIALS = "invalid email or password"
LOCKED = "too many failed sign-ins: try again later"


class LoginIn(BaseModel):
    email: str
    password: str


class RefreshIn(BaseModel):
    refresh_token: str


class TokensOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str


def _sign_in(cur, settings, sessions, body: LoginIn, source: str | None) -> dict | str:
    """The tokens, or the refusal's message; every attempt leaves an audit event."""
    if lockout.is_locked(cur, body.email):
        audit.record(cur, body.email, "auth.login_locked", source=source)
        return LOCKED
    found = users.credentials(cur, body.email)
    user, password_hash = found if found else (None, None)
    if not verify_password(password_hash, body.password) or user.status != "active":
        locked = lockout.record_failure(cur, body.email, settings.lockout)
        audit.record(cur, body.email, "auth.login_failed", target=user.user_id if user else None, source=source,
                     locked=locked)
        return BAD_CREDENTIALS
    lockout.clear(cur, body.email)
    users.touch(cur, user.user_id)
    audit.record(cur, user.user_id, "auth.login", target=user.user_id, source=source)
    return sessions.issue(cur, user)


def add_auth_routes(app: FastAPI, settings, verifier, sessions) -> None:
    @app.post("/v1/auth/login", response_model=TokensOut, summary="Sign in with email and password")
    def login(body: LoginIn, request: Request) -> dict:
        with transaction(settings.connect) as conn, conn.cursor() as cur:
            outcome = _sign_in(cur, settings, sessions, body, source_of(request))
        if outcome == LOCKED:
            raise HTTPException(429, LOCKED)
        if outcome == BAD_CREDENTIALS:
            raise HTTPException(401, BAD_CREDENTIALS)
        return outcome

    @app.post("/v1/auth/refresh", response_model=TokensOut, summary="Trade a refresh token for new tokens")
    def refresh(body: RefreshIn, request: Request) -> dict:
        with transaction(settings.connect) as conn, conn.cursor() as cur:
            spent = sessions.rotate(cur, body.refresh_token)
            if spent.user is None:
                if spent.family_id:
                    audit.record(cur, "unknown", "auth.refresh_refused", target=spent.family_id,
                                 source=source_of(request), reason=spent.reason)
                tokens = None
            else:
                users.touch(cur, spent.user.user_id)
                tokens = sessions.issue(cur, spent.user, spent.family_id)
        if tokens is None:
            raise HTTPException(401, f"refresh refused: {spent.reason}")
        return tokens

    @app.post("/v1/auth/logout", status_code=204, summary="Sign out: revoke the session and the access token")
    def logout(body: RefreshIn, request: Request) -> Response:
        with transaction(settings.connect) as conn, conn.cursor() as cur:
            family_id = sessions.family_of(cur, body.refresh_token)
            if family_id is not None:
                revoke_family(cur, family_id)
                audit.record(cur, "session", "auth.logout", target=family_id, source=source_of(request))
        _revoke_presented(verifier, bearer(request))
        return Response(status_code=204)

    @app.post("/v1/auth/introspect", summary="RFC 7662 token introspection (what Cube asks)")
    def introspect(token: str = Form("")) -> dict:
        return verifier.introspect(token or None)


def _revoke_presented(verifier, token: str | None) -> None:
    """Revoke the access token sent with a sign-out, if it is a valid one."""
    if not token:
        return
    try:
        principal = verifier.verify(token)
    except TokenRefused:
        return
    verifier.state.revoke(principal.jti, sub=principal.sub, expires_at=principal.exp, reason="logout")
