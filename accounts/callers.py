"""Who is calling: the bearer token of a request and the address it came from."""

from __future__ import annotations

from fastapi import Request


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def source_of(request: Request) -> str | None:
    return request.client.host if request.client else None
