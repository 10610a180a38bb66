"""Admin-only endpoints: provider API keys. An admin token (audience outcomelens-admin, role admin),
accepted by the one verifier every API and Cube share (outcomelens.core.tokens.TokenVerifier)."""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from ingestion.collector.auth import Refusal
from outcomelens.core.provider_keys import ProviderKeyError
from outcomelens.core.tokens import ADMIN_AUDIENCE, TokenRefused, TokenState, TokenVerifier


class ProviderKeyIn(BaseModel):
    provider: str = Field(description="openai, anthropic or gemini")
    name: str = "default"
    api_key: str = Field(min_length=8, description="Stored encrypted; never returned.")


class ProviderKeyOut(BaseModel):
    provider: str
    name: str
    created_at: str
    last4: str


def admin_verifier(settings) -> TokenVerifier | None:
    """The verifier of admin tokens, with revocations and users' status from the collector's warehouse;
    None when no API secret is configured (the admin API is then off)."""
    if not settings.admin_secret:
        return None
    return TokenVerifier(settings.admin_secret, TokenState(settings.connect))


def verify_admin(verifier: TokenVerifier | None, token: str | None) -> dict:
    """The claims of an admin token, or Refusal (503 without a secret, 401 invalid, 403 not admin)."""
    if verifier is None:
        raise Refusal(503, "admin API disabled: no API secret configured")
    try:
        return verifier.verify(token, audience=ADMIN_AUDIENCE, role="admin").claims
    except TokenRefused as refused:
        raise Refusal(refused.status, f"admin token refused: {refused.reason}") from None


def admin_check(settings):
    """The admin-token check the collector's middleware runs before any body is read."""
    verifier = admin_verifier(settings)

    def check(token: str | None) -> None:
        verify_admin(verifier, token)

    return check


def add_admin_routes(app: FastAPI, settings) -> None:
    bearer = HTTPBearer(auto_error=False, scheme_name="AdminJWT", description="An admin token: audience outcomelens-admin, role admin")

    verifier = admin_verifier(settings)

    def require_admin(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> dict:
        try:
            return verify_admin(verifier, credentials.credentials if credentials else None)
        except Refusal as refusal:
            raise HTTPException(refusal.status, refusal.detail, headers={"WWW-Authenticate": "Bearer"}) from None

    def store():
        if settings.provider_keys is None:
            raise HTTPException(503, "provider key store not configured")
        return settings.provider_keys

    @app.get("/v1/admin/provider-keys", response_model=list[ProviderKeyOut], summary="List provider keys (no secrets)")
    def list_provider_keys(claims: dict = Depends(require_admin)) -> list[dict]:
        return [info.public() for info in store().list()]

    @app.post("/v1/admin/provider-keys", response_model=ProviderKeyOut, status_code=201, summary="Add a provider key")
    def add_provider_key(body: ProviderKeyIn, claims: dict = Depends(require_admin)) -> dict:
        try:
            return store().add(body.provider, body.name, body.api_key).public()
        except ProviderKeyError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.delete("/v1/admin/provider-keys/{provider}/{name}", status_code=204, summary="Remove a provider key")
    def remove_provider_key(provider: str, name: str, claims: dict = Depends(require_admin)) -> None:
        if not store().remove(provider, name):
            raise HTTPException(404, f"no {provider} key named {name!r}")
