"""Token hardening through the API: every forged or stale token answers 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from jose import jwk as jose_jwk
from jose import jwt as jose_jwt
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth.tokens import generate_private_pem
from src.platform.config import Settings
from tests import factories


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def pad(s: str) -> str:
        return s + "=" * (-len(s) % 4)

    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(
        base64.urlsafe_b64decode(pad(payload))
    )


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def officer(db: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> factories.Account:
    return await factories.account(db, settings, client, "officer")


async def test_a_real_token_works(client: httpx.AsyncClient, officer: factories.Account) -> None:
    response = await _me(client, officer.token)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(officer.user.id)
    assert body["role"] == "officer"
    assert body["organization_id"] == str(officer.organization.id)
    assert "cases:read" in body["scopes"]


async def test_missing_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


async def test_expired_token_is_401_and_says_it_expired(
    app: Any, client: httpx.AsyncClient, officer: factories.Account
) -> None:
    _, claims = _unverified_parts(officer.token)
    claims["iat"] = int(time.time()) - 2000
    claims["exp"] = int(time.time()) - 1100
    token = app.state.token_keys.sign(claims)
    expired = await _me(client, token)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"] and "refresh_token" in expired.json()["detail"]
    challenge = expired.headers["www-authenticate"]
    assert (
        'error="invalid_token"' in challenge and 'error_description="The access token expired"' in challenge
    )
    # The same expiry on a token this service did not sign says nothing of expiry (RFC 6750, no oracle).
    header, _ = _unverified_parts(officer.token)
    other_key = generate_private_pem().decode()
    forged = await _me(
        client, jose_jwt.encode(claims, other_key, algorithm="ES256", headers={"kid": header["kid"]})
    )
    assert forged.status_code == 401 and "expired" not in forged.json()["detail"]
    assert 'error_description="The access token is not valid"' in forged.headers["www-authenticate"]


async def test_wrong_audience_is_401(app: Any, client: httpx.AsyncClient, officer: factories.Account) -> None:
    _, claims = _unverified_parts(officer.token)
    claims["aud"] = "another-service"
    assert (await _me(client, app.state.token_keys.sign(claims))).status_code == 401


async def test_overlong_lifetime_is_401(
    app: Any, client: httpx.AsyncClient, officer: factories.Account
) -> None:
    _, claims = _unverified_parts(officer.token)
    claims["exp"] = claims["iat"] + 3600
    assert (await _me(client, app.state.token_keys.sign(claims))).status_code == 401


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "sub", "jti", "org", "role", "scope", "sid"])
async def test_missing_required_claim_is_401(
    app: Any, client: httpx.AsyncClient, officer: factories.Account, claim: str
) -> None:
    _, claims = _unverified_parts(officer.token)
    del claims[claim]
    assert (await _me(client, app.state.token_keys.sign(claims))).status_code == 401


async def test_alg_none_is_401(client: httpx.AsyncClient, officer: factories.Account) -> None:
    header, claims = _unverified_parts(officer.token)
    for alg in ("none", "None", "NONE"):
        token = f"{_b64(json.dumps({**header, 'alg': alg}).encode())}.{_b64(json.dumps(claims).encode())}."
        assert (await _me(client, token)).status_code == 401


async def test_hs256_signed_with_the_public_key_is_401(
    app: Any, client: httpx.AsyncClient, officer: factories.Account
) -> None:
    header, claims = _unverified_parts(officer.token)
    public_pem: bytes = app.state.token_keys.public_pem
    public_key = serialization.load_pem_public_key(public_pem)
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_jwk = json.dumps(jose_jwk.construct(public_pem.decode(), "ES256").to_dict()).encode()
    for secret in (public_pem, public_pem.strip(), der, public_jwk):
        forged = _hs256({**header, "alg": "HS256"}, claims, secret)
        assert (await _me(client, forged)).status_code == 401


async def test_token_signed_by_another_key_is_401(
    settings: Settings, client: httpx.AsyncClient, officer: factories.Account
) -> None:
    header, claims = _unverified_parts(officer.token)
    forged = jose_jwt.encode(
        claims, generate_private_pem().decode(), algorithm="ES256", headers={"kid": header["kid"]}
    )
    assert (await _me(client, forged)).status_code == 401


@pytest.mark.parametrize("name", ["jku", "x5u", "jwk", "crit", "x5c"])
async def test_key_pointing_headers_are_401(
    app: Any, client: httpx.AsyncClient, officer: factories.Account, name: str
) -> None:
    _, claims = _unverified_parts(officer.token)
    value: Any = (
        {"kty": "EC"} if name == "jwk" else ["exp"] if name in ("crit", "x5c") else "https://evil.example/k"
    )
    keys = app.state.token_keys
    # Signed by the real key: only the header makes it unacceptable.
    token = jose_jwt.encode(
        claims, keys._signing_pem, algorithm="ES256", headers={"kid": keys.key_id, name: value}
    )
    assert (await _me(client, token)).status_code == 401


async def test_jwe_and_garbage_are_401(client: httpx.AsyncClient) -> None:
    for token in ("a.b.c.d.e", "not-a-token", "a.b.c", "x" * 5000):
        assert (await _me(client, token)).status_code == 401


async def test_tampered_claims_are_401(client: httpx.AsyncClient, officer: factories.Account) -> None:
    header_b64, _, signature = officer.token.split(".")
    _, claims = _unverified_parts(officer.token)
    claims["role"] = "admin"
    tampered = f"{header_b64}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert (await _me(client, tampered)).status_code == 401


async def test_a_verified_token_is_served_from_the_cache_until_it_expires(
    app: Any, client: httpx.AsyncClient, officer: factories.Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signature is checked once per token (it was a third of a millisecond of every request); a cached
    token still expires on time, and the session behind it is still read on every request."""
    from datetime import timedelta

    from src.auth import tokens
    from src.platform import clock

    verified: list[str] = []
    real = tokens._verified_claims

    def counting(keys: Any, settings: Any, token: str) -> Any:
        verified.append(token)
        return real(keys, settings, token)

    monkeypatch.setattr(tokens, "_verified_claims", counting)
    for _ in range(3):
        assert (await _me(client, officer.token)).status_code == 200
    assert verified.count(officer.token) <= 1
    assert officer.token in app.state.token_keys.verified._claims
    try:
        clock.advance(timedelta(seconds=tokens.MAX_LIFETIME_SECONDS + tokens.LEEWAY_SECONDS + 1))
        expired = await _me(client, officer.token)
        assert expired.status_code == 401
        assert officer.token not in app.state.token_keys.verified._claims
    finally:
        clock.reset()


async def test_the_verified_cache_is_bounded_and_belongs_to_its_keys() -> None:
    from datetime import UTC, datetime, timedelta

    from src.auth import tokens

    cache = tokens.VerifiedTokens(size=2)
    claims = tokens.AccessClaims(
        subject=uuid.uuid4(),
        kind="user",
        organization_id=uuid.uuid4(),
        role="officer",
        scopes=frozenset(),
        session_id=uuid.uuid4(),
        token_id="j",
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    for token in ("a", "b", "c"):
        cache.put(token, claims)
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") == claims
    fresh = tokens.TokenKeys(generate_private_pem())
    assert len(fresh.verified) == 0
