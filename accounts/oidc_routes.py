"""OpenID Connect sign-in: GET /v1/auth/oidc/login sends the browser to the provider; the provider sends
it back to GET /v1/auth/oidc/callback, which answers this service's own tokens (as /v1/auth/login does)."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

from accounts import audit, users
from accounts.callers import source_of
from accounts.oidc import OidcError, OidcProvider
from outcomelens.core.warehouse import transaction


def add_oidc_routes(app: FastAPI, settings, sessions, provider: OidcProvider | None) -> None:
    def configured() -> OidcProvider:
        if provider is None:
            raise HTTPException(404, "OpenID Connect sign-in is not configured (OUTCOMELENS_OIDC_ISSUER)")
        return provider

    @app.get("/v1/auth/oidc/login", summary="Sign in with the OpenID Connect provider (authorization code + PKCE)")
    def oidc_login(request: Request) -> RedirectResponse:
        try:
            url = configured().authorization_url(str(request.url_for("oidc_callback")))
        except OidcError as exc:
            raise HTTPException(exc.status, exc.reason) from None
        return RedirectResponse(url, status_code=302)

    @app.get("/v1/auth/oidc/callback", name="oidc_callback", summary="Where the provider sends the browser back")
    def oidc_callback(request: Request, code: str = "", state: str = "", error: str = "") -> dict:
        if error or not code or not state:
            raise HTTPException(400, f"sign-in not completed: {error or 'code and state are required'}")
        source = source_of(request)
        try:
            identity = configured().complete(code, state)
        except OidcError as exc:
            with transaction(settings.connect) as conn, conn.cursor() as cur:
                audit.record(cur, "oidc", "auth.oidc_refused", source=source, reason=exc.reason)
            raise HTTPException(exc.status, exc.reason) from None
        with transaction(settings.connect) as conn, conn.cursor() as cur:
            user = users.sign_in_external(cur, identity.email, identity.name, identity.role)
            if user.status != "active":
                audit.record(cur, user.user_id, "auth.login_failed", target=user.user_id, source=source, via="oidc")
                tokens = None
            else:
                users.touch(cur, user.user_id)
                audit.record(
                    cur,
                    user.user_id,
                    "auth.login",
                    target=user.user_id,
                    source=source,
                    via="oidc",
                    oidc_subject=identity.subject,
                    role=identity.role,
                )
                tokens = sessions.issue(cur, user)
        if tokens is None:
            raise HTTPException(403, "this user is disabled")
        return tokens
