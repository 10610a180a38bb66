"""Development tokens for the semantic layer and the APIs: HS256 JWTs carrying a role claim."""

from __future__ import annotations

import time
import uuid

import jwt

ROLES = ("admin", "product_manager", "prompt_engineer", "operations", "engineer", "enablement")
ALGORITHM = "HS256"


def mint_token(role: str, secret: str, ttl_s: int = 3600, **claims) -> str:
    """A JWT signed with `secret` (HS256) whose `role` claim is `role`, valid for `ttl_s` seconds.

    Extra keyword arguments become claims and override the defaults (`sub`, `iat`, `exp`, `jti`),
    e.g. `exp=0` for a token that has already expired. The role is not checked here, so tests can
    mint tokens for unknown roles; the semantic layer refuses them.
    """
    if not secret:
        raise ValueError("an empty secret cannot sign a token")
    now = int(time.time())
    payload = {
        "sub": f"dev:{role}",
        "role": role,
        "iat": now,
        "exp": now + int(ttl_s),
        "jti": uuid.uuid4().hex,
    }
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> dict:
    """Verify a token minted by `mint_token` (signature and expiry) and return its claims."""
    return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
