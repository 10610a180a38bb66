"""The accounts service's FastAPI app: sign-in (/v1/auth/*), introspection for Cube, and the admin
APIs (/v1/users, /v1/audit, /v1/tokens, /v1/governance); for any signed-in user, page views
(/v1/engagement), saved views (/v1/saved-views) and report schedules (/v1/report-schedules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from accounts.admin_routes import add_admin_routes
from accounts.auth_routes import add_auth_routes
from accounts.callers import bearer
from accounts.engagement import add_engagement_routes
from accounts.experiments_routes import add_experiment_routes
from accounts.governance import GovernanceBackends
from accounts.governance_routes import add_governance_routes
from accounts.lockout import LockoutPolicy
from accounts.oidc import OidcProvider
from accounts.oidc_routes import add_oidc_routes
from accounts.report_schedules_routes import add_report_schedule_routes
from accounts.saved_views_routes import add_saved_view_routes
from accounts.sessions import ACCESS_TTL_S, Sessions
from outcomelens.core.api_docs import create_app_with_local_docs
from outcomelens.core.external_tokens import SupabaseProject
from outcomelens.core.tokens import ADMIN_AUDIENCE, API_AUDIENCE, TokenRefused, TokenState, TokenVerifier

MAX_BODY_BYTES = 64 * 1024  # sign-in and admin bodies are a few hundred bytes
ADMIN_PREFIXES = ("/v1/users", "/v1/audit", "/v1/tokens", "/v1/governance")
SIGNED_IN_PREFIXES = ("/v1/engagement", "/v1/saved-views", "/v1/report-schedules")  # any signed-in user


@dataclass
class AccountsSettings:
    connect: Callable[[], object]  # a new psycopg2 connection to the warehouse
    secret: str  # the keyring's API secret: signs access tokens, verifies every token
    access_ttl_s: int = ACCESS_TTL_S
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    fernet_key: bytes | None = None  # encrypts stored secrets; None: the keyring's master key
    governance: GovernanceBackends | None = None  # None: the governance routes that need them answer 503
    external: list[SupabaseProject] = field(default_factory=list)  # identity providers whose tokens count
    oidc: OidcProvider | None = None  # sign-in through an OpenID Connect provider


def _needed_token(path: str) -> tuple[str, str | None, str] | None:
    """(audience, role, what it is called) of the token a path needs; None for sign-in and health."""
    if path.startswith(ADMIN_PREFIXES):
        return ADMIN_AUDIENCE, "admin", "admin token"
    if path.startswith(SIGNED_IN_PREFIXES):
        return API_AUDIENCE, None, "token"
    return None


def _guard(verifier: TokenVerifier):
    """Sizes and the admin token, from the headers alone: nothing unauthenticated gets its body read."""

    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse({"detail": f"body too large: at most {MAX_BODY_BYTES} bytes"}, status_code=413)
        needs = _needed_token(request.url.path)
        if needs is not None:
            audience, role, what = needs
            try:
                request.state.principal = verifier.verify(bearer(request), audience=audience, role=role)
            except TokenRefused as refused:
                return JSONResponse({"detail": f"{what} refused: {refused.reason}"}, status_code=refused.status,
                                    headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    return guard


def create_app(settings: AccountsSettings) -> FastAPI:
    verifier = TokenVerifier(settings.secret, TokenState(settings.connect), external=settings.external)
    sessions = Sessions(settings.secret, access_ttl_s=settings.access_ttl_s)
    app = create_app_with_local_docs(title="OutcomeLens accounts", version="1")
    app.middleware("http")(_guard(verifier))
    add_auth_routes(app, settings, verifier, sessions)
    add_oidc_routes(app, settings, sessions, settings.oidc)
    add_admin_routes(app, settings, verifier)
    add_governance_routes(app, settings, settings.governance)
    add_engagement_routes(app, settings)
    add_experiment_routes(app, settings, verifier)
    add_saved_view_routes(app, settings)
    add_report_schedule_routes(app, settings, settings.governance)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
