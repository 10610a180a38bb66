"""Development tokens: HS256 JWTs with a role claim, refused when expired or signed otherwise."""

from __future__ import annotations

import time

import jwt
import pytest

from outcomelens.core.tokens import ALGORITHM, ROLES, decode_token, mint_token

SECRET = "unit-secret-" + "u" * 32


def test_token_carries_the_role_and_expires_after_its_ttl():
    before = int(time.time())
    claims = decode_token(mint_token("engineer", SECRET, ttl_s=120), SECRET)
    assert claims["role"] == "engineer" and claims["sub"] == "dev:engineer"
    assert before + 120 <= claims["exp"] <= int(time.time()) + 120
    assert jwt.get_unverified_header(mint_token("engineer", SECRET))["alg"] == ALGORITHM == "HS256"


def test_every_token_is_distinct():
    assert mint_token("admin", SECRET) != mint_token("admin", SECRET)  # jti


def test_expired_wrong_secret_and_missing_expiry_are_refused():
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(mint_token("admin", SECRET, ttl_s=-1), SECRET)
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(mint_token("admin", SECRET), "another-secret-" + "x" * 32)
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode_token(jwt.encode({"role": "admin"}, SECRET, algorithm="HS256"), SECRET)
    with pytest.raises(ValueError, match="empty secret"):
        mint_token("admin", "")


def test_supabase_shaped_claims_pass_through():
    token = mint_token("authenticated", SECRET, app_metadata={"role": "operations"}, aud="authenticated")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["app_metadata"] == {"role": "operations"} and claims["role"] == "authenticated"


def test_six_roles():
    assert ROLES == ("admin", "product_manager", "prompt_engineer", "operations", "engineer",
                     "enablement")
