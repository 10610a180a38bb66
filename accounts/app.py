"""The accounts service's FastAPI app: sign-in (/v1/auth/*), introspection for Cube, and the admin
APIs (/v1/users, /v1/audit, /v1/tokens)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from accounts.admin_routes import add_admin_routes
from accounts.auth_routes import add_auth_routes
from accounts.callers import bearer
from accounts.experiments_routes import add_experiment_routes
from accounts.lockout import LockoutPolicy
from accounts.sessions import ACCESS_TTL_S, Sessions
from outcomelens.core.tokens import ADMIN_AUDIENCE, TokenRefused, TokenState, TokenVerifier

MAX_BODY_BYTES = 64 * 1024  # sign-in and admin bodies are a few hundred bytes
ADMIN_PREFIXES = ("/v1/users", "/v1/audit", "/v1/tokens")


@dataclass
class AccountsSettings:
    connect: Callable[[], object]  # a new psycopg2 connection to the warehouse
    secret: str  # the keyring's API secret: signs access tokens, verifies every token
    access_ttl_s: int = ACCESS_TTL_S
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)


def _guard(verifier: TokenVerifier):
    """Sizes and the admin token, from the headers alone: nothing unauthenticated gets its body read."""

    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"detail": f"body too large: at most {MAX_BODY_BYTES} bytes"}, status_code=413)
        if request.url.path.startswith(ADMIN_PREFIXES):
            try:
                request.state.principal = verifier.verify(bearer(request), audience=ADMIN_AUDIENCE, role="admin")
            except TokenRefused as refused:
                return JSONResponse({"detail": f"admin token refused: {refused.reason}"}, status_code=refused.status,
                                    headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    return guard


def create_app(settings: AccountsSettings) -> FastAPI:
    verifier = TokenVerifier(settings.secret, TokenState(settings.connect))
    sessions = Sessions(settings.secret, access_ttl_s=settings.access_ttl_s)
    app = FastAPI(title="OutcomeLens accounts", version="1", docs_url=None, redoc_url=None)
    app.middleware("http")(_guard(verifier))
    add_auth_routes(app, settings, verifier, sessions)
    add_admin_routes(app, settings, verifier)
    add_experiment_routes(app, settings, verifier)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
