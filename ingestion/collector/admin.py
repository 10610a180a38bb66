"""Admin-only endpoints: provider API keys. A JWT with role admin signed with the Cube API secret."""

from __future__ import annotations

import jwt
from fastapi import Depends, FastAPI, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from ingestion.collector.auth import Refusal
from outcomelens.core.provider_keys import ProviderKeyError
from outcomelens.core.tokens import decode_token


class ProviderKeyIn(BaseModel):
    provider: str = Field(description="openai, anthropic or gemini")
    name: str = "default"
    api_key: str = Field(min_length=8, description="Stored encrypted; never returned.")


class ProviderKeyOut(BaseModel):
    provider: str
    name: str
    created_at: str
    last4: str


def admin_check(settings):
    """The admin-token check the collector's middleware runs before any body is read."""

    def check(token: str | None) -> None:
        if not settings.admin_secret:
            raise Refusal(503, "admin API disabled: no API secret configured")
        if not token:
            raise Refusal(401, "admin JWT required")
        try:
            claims = decode_token(token, settings.admin_secret)
        except jwt.PyJWTError as exc:
            raise Refusal(401, f"invalid token: {exc}") from None
        if claims.get("role") != "admin":
            raise Refusal(403, f"role {claims.get('role')!r} may not use the admin API; admin only")

    return check


def add_admin_routes(app: FastAPI, settings) -> None:
    bearer = HTTPBearer(auto_error=False, scheme_name="AdminJWT", description="JWT with role admin")

    def require_admin(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> dict:
        if not settings.admin_secret:
            raise HTTPException(503, "admin API disabled: no API secret configured")
        if credentials is None:
            raise HTTPException(401, "admin JWT required", headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = decode_token(credentials.credentials, settings.admin_secret)
        except jwt.PyJWTError as exc:
            raise HTTPException(401, f"invalid token: {exc}") from None
        if claims.get("role") != "admin":
            raise HTTPException(403, f"role {claims.get('role')!r} may not manage provider keys; admin only")
        return claims

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
