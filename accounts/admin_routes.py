"""Admin APIs: users (list, add, set role, disable, reset password), the audit log, token revocation.

The admin token (audience outcomelens-admin, role admin) is checked by app.py's guard before any
body is read; the principal it names is the actor of every audit event.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field, model_validator

from accounts import audit, manage
from accounts.callers import source_of
from accounts.passwords import WeakPassword
from accounts.users import UserError
from outcomelens.core.warehouse import transaction


class UserIn(BaseModel):
    email: str
    name: str = ""
    role: str
    password: str | None = Field(None, description="None: a one-time password is made and answered once.")


class RoleIn(BaseModel):
    role: str


class PasswordIn(BaseModel):
    password: str | None = None


class RevokeIn(BaseModel):
    jti: str | None = Field(None, description="one token (a Supabase session: supabase-session:<session_id>)")
    sub: str | None = Field(None, description="every token of a subject, e.g. supabase:<user id>")
    reason: str = ""

    @model_validator(mode="after")
    def one_of_jti_or_sub(self):
        if (self.jti is None) == (self.sub is None):
            raise ValueError("give exactly one of jti and sub")
        return self


def _actor(request: Request) -> tuple[str, str | None]:
    return request.state.principal.sub, source_of(request)


def _refused(exc: Exception) -> HTTPException:
    status = 404 if str(exc).startswith("no user") else 409 if "exists" in str(exc) else 422
    return HTTPException(status, str(exc))


def add_admin_routes(app: FastAPI, settings, verifier) -> None:
    connect = settings.connect

    @app.get("/v1/users", summary="List users")
    def list_users() -> list[dict]:
        return [user.public() for user in manage.list_users(connect)]

    @app.post("/v1/users", status_code=201, summary="Add a user")
    def add_user(body: UserIn, request: Request) -> dict:
        try:
            user, one_time = manage.add_user(connect, *_actor(request), email=body.email, name=body.name,
                                             role=body.role, password=body.password)
        except (UserError, WeakPassword) as exc:
            raise _refused(exc) from None
        return {**user.public(), "one_time_password": one_time}

    @app.post("/v1/users/{user_id}/role", summary="Set a user's role")
    def set_role(user_id: str, body: RoleIn, request: Request) -> dict:
        try:
            return manage.set_role(connect, *_actor(request), user_id, body.role).public()
        except UserError as exc:
            raise _refused(exc) from None

    @app.post("/v1/users/{user_id}/disable", summary="Disable a user: sessions revoked, tokens refused")
    def disable(user_id: str, request: Request) -> dict:
        try:
            return manage.disable(connect, *_actor(request), user_id).public()
        except UserError as exc:
            raise _refused(exc) from None

    @app.post("/v1/users/{user_id}/reset-password", summary="Set a new (or a one-time) password")
    def reset_password(user_id: str, body: PasswordIn, request: Request) -> dict:
        try:
            user, one_time = manage.reset_password(connect, *_actor(request), user_id, body.password)
        except (UserError, WeakPassword) as exc:
            raise _refused(exc) from None
        return {**user.public(), "one_time_password": one_time}

    @app.get("/v1/audit", summary="The audit log, newest first")
    def read_audit(limit: int = Query(100, ge=1, le=1000), before: int | None = None) -> list[dict]:
        with transaction(connect) as conn, conn.cursor() as cur:
            return audit.events(cur, limit, before)

    @app.post("/v1/tokens/revoke", status_code=204, summary="Revoke a token by its jti, or every token of a subject")
    def revoke(body: RevokeIn, request: Request) -> None:
        reason = body.reason or "revoked by an admin"
        if body.jti is not None:
            verifier.state.revoke(body.jti, reason=reason)
        else:
            verifier.state.revoke_subject(body.sub, reason=reason)
        with transaction(connect) as conn, conn.cursor() as cur:
            audit.record(cur, *_actor(request)[:1], "token.revoke" if body.jti else "subject.revoke",
                         target=body.jti or body.sub, source=source_of(request))
