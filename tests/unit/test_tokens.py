"""Tokens: HS256 JWTs with sub, role, aud, iat, exp and jti, and the one verifier that decides them."""

from __future__ import annotations

import time

import jwt
import pytest

from outcomelens.core.tokens import (
    ADMIN_AUDIENCE,
    ALGORITHM,
    API_AUDIENCE,
    ROLES,
    Standing,
    TokenRefused,
    TokenVerifier,
    decode_token,
    issue_service_token,
    mint_token,
    role_from_claims,
)

SECRET = "unit-secret-" + "u" * 32


class FakeState:
    """What the warehouse would say of each token, by jti and sub."""

    def __init__(self, revoked=(), users=None, long_lived=()):
        self.revoked, self.users, self.long_lived = set(revoked), dict(users or {}), set(long_lived)
        self.registered = []

    def standing(self, claims):
        return Standing(revoked=claims["jti"] in self.revoked, user_status=self.users.get(claims["sub"]),
                        long_lived=claims["jti"] in self.long_lived)

    def register_service_token(self, claims):
        self.registered.append(claims)
        self.long_lived.add(claims["jti"])


def refusal(verifier, token, **kwargs) -> TokenRefused:
    with pytest.raises(TokenRefused) as caught:
        verifier.verify(token, **kwargs)
    return caught.value


def test_token_carries_the_role_audience_and_expires_after_its_ttl():
    before = int(time.time())
    claims = decode_token(mint_token("engineer", SECRET, ttl_s=120), SECRET)
    assert claims["role"] == "engineer" and claims["sub"] == "dev:engineer" and claims["aud"] == API_AUDIENCE
    assert before + 120 <= claims["exp"] <= int(time.time()) + 120 and claims["exp"] - claims["iat"] == 120
    assert jwt.get_unverified_header(mint_token("engineer", SECRET))["alg"] == ALGORITHM == "HS256"


def test_every_token_is_distinct():
    assert mint_token("admin", SECRET) != mint_token("admin", SECRET)  # jti


def test_expired_wrong_secret_and_missing_expiry_are_refused_by_decode():
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_token(mint_token("admin", SECRET, ttl_s=-1), SECRET)
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(mint_token("admin", SECRET), "another-secret-" + "x" * 32)
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode_token(jwt.encode({"role": "admin", "aud": API_AUDIENCE}, SECRET, algorithm="HS256"), SECRET)
    with pytest.raises(ValueError, match="empty secret"):
        mint_token("admin", "")


def test_verifier_accepts_a_good_token_and_names_its_principal():
    token = mint_token("operations", SECRET, sub="user-1")
    principal = TokenVerifier(SECRET, FakeState(users={"user-1": "active"})).verify(token)
    assert (principal.sub, principal.role, principal.audiences) == ("user-1", "operations", (API_AUDIENCE,))


@pytest.mark.parametrize("token, status, reason", [
    (None, 401, "bearer token is required"),
    (mint_token("admin", SECRET, ttl_s=-5), 401, "expired"),
    (mint_token("admin", "forged-secret-" + "f" * 32), 401, "invalid token"),
    (mint_token("admin", SECRET, aud="authenticated"), 403, "not meant for"),
    (mint_token("admin", SECRET, iat=int(time.time()) - 10, exp=int(time.time()) + 100 * 365 * 86400), 401, "lifetime"),
    (mint_token("admin", SECRET, ttl_s=1800, token_use="access", sub="user-1"), 200, ""),
    (mint_token("admin", SECRET, ttl_s=7200, token_use="access", sub="user-1"), 401, "lifetime"),
    (mint_token("intern", SECRET), 403, "unknown role"),
    (jwt.encode({"role": "admin", "aud": API_AUDIENCE, "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),
     401, "lacks"),
    (mint_token("admin", SECRET, jti="revoked-1"), 401, "revoked"),
    (mint_token("admin", SECRET, sub="user-2"), 401, "disabled"),
    (mint_token("admin", SECRET, token_use="access", sub="nobody"), 401, "unknown user"),
], ids=["missing", "expired", "forged", "wrong-audience", "100-years", "access-30-min", "access-2-h",
        "unknown-role", "no-iat-jti-sub", "revoked", "disabled-user", "access-of-no-user"])
def test_verifier_refuses_each_bad_token_with_its_reason(token, status, reason):
    verifier = TokenVerifier(SECRET, FakeState(revoked={"revoked-1"}, users={"user-1": "active", "user-2": "disabled"}))
    if status == 200:
        assert verifier.verify(token).role == "admin"
        return
    refused = refusal(verifier, token)
    assert refused.status == status and reason in refused.reason


def test_admin_apis_need_the_admin_audience_and_the_admin_role():
    verifier = TokenVerifier(SECRET, FakeState())
    query_token = mint_token("admin", SECRET)
    assert refusal(verifier, query_token, audience=ADMIN_AUDIENCE, role="admin").status == 403
    engineer = mint_token("engineer", SECRET, aud=ADMIN_AUDIENCE)
    assert refusal(verifier, engineer, audience=ADMIN_AUDIENCE, role="admin").status == 403
    both = mint_token("admin", SECRET, aud=[API_AUDIENCE, ADMIN_AUDIENCE])
    assert verifier.verify(both, audience=ADMIN_AUDIENCE, role="admin").sub == "dev:admin"
    assert verifier.verify(both).role == "admin"


def test_long_lived_service_tokens_need_registration():
    state = FakeState()
    with pytest.raises(ValueError, match="explicitly created"):
        issue_service_token("engineer", SECRET, 30 * 86400)
    token = issue_service_token("engineer", SECRET, 30 * 86400, state=state)
    assert TokenVerifier(SECRET, state).verify(token).sub == "service:engineer"
    assert "lifetime" in refusal(TokenVerifier(SECRET, FakeState()), token).reason
    assert "lifetime" in refusal(TokenVerifier(SECRET), token).reason  # no warehouse: no long-lived tokens
    with pytest.raises(ValueError, match="only the admin role"):
        issue_service_token("engineer", SECRET, 60, admin=True)
    admin = issue_service_token("admin", SECRET, 60, admin=True)
    assert TokenVerifier(SECRET).verify(admin, audience=ADMIN_AUDIENCE, role="admin").role == "admin"


def test_introspection_answers_in_rfc_7662_shape():
    verifier = TokenVerifier(SECRET, FakeState(revoked={"gone"}))
    answer = verifier.introspect(mint_token("enablement", SECRET, ttl_s=60))
    assert answer["active"] is True and answer["role"] == "enablement" and answer["sub"] == "dev:enablement"
    assert verifier.introspect(mint_token("enablement", SECRET, jti="gone")) == {
        "active": False, "reason": "token revoked", "status": 401}


def test_one_role_rule_app_metadata_wins():
    assert role_from_claims({"role": "authenticated", "app_metadata": {"role": "operations"}}) == "operations"
    assert role_from_claims({"role": "engineer"}) == "engineer"
    assert role_from_claims({"role": "engineer", "app_metadata": {}}) == "engineer"
    token = mint_token("authenticated", SECRET, app_metadata={"role": "operations"})
    assert TokenVerifier(SECRET).verify(token).role == "operations"


def test_six_roles():
    assert ROLES == ("admin", "product_manager", "prompt_engineer", "operations", "engineer",
                     "enablement")
