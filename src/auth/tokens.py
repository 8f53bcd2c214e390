"""Access tokens: ES256 JWTs. The only module that imports python-jose, so it can be swapped in one file.

Hardening (DESIGN.md "Security"): algorithms pinned to ES256, verification with a constructed key object
chosen by `kid` (never a key named by the token), `jku`/`x5u`/`x5c`/`jwk`/`crit` headers refused, JWE never
parsed, every required claim checked, lifetime capped at 15 minutes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

from src.platform import clock, keyfiles
from src.platform.config import Settings

ALGORITHM = "ES256"
MAX_LIFETIME_SECONDS = 900
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 4096
# Tokens whose signature and claims were verified, kept until they expire: ES256 verification was 0.26-0.38 ms
# of every request. Bounded (a token is at most 4 KiB: 10,000 of them at most ~40 MB, far less in practice).
VERIFIED_CACHE_SIZE = 10_000
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "x5c", "jwk", "crit", "enc", "zip"})
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "jti", "org", "role", "scope", "sid", "kind")


class InvalidToken(Exception):
    """The token is not one this service issued, or no longer valid. The reason is for logs only."""


class TokenExpired(InvalidToken):
    """A token this service issued (its signature verified) whose lifetime is over: the caller may be told."""


@dataclass(frozen=True)
class AccessClaims:
    subject: uuid.UUID
    kind: str
    organization_id: uuid.UUID
    role: str
    scopes: frozenset[str]
    session_id: uuid.UUID
    token_id: str
    expires_at: datetime


def _key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


class VerifiedTokens:
    """Claims of tokens already verified, by token, least recently used dropped first. Belongs to one
    `TokenKeys`, so new keys start with an empty cache; expiry is checked again on every hit."""

    def __init__(self, size: int = VERIFIED_CACHE_SIZE) -> None:
        self.size = size
        self._claims: OrderedDict[str, AccessClaims] = OrderedDict()

    def get(self, token: str) -> AccessClaims | None:
        claims = self._claims.get(token)
        if claims is None:
            return None
        if claims.expires_at.timestamp() <= clock.utcnow().timestamp() - LEEWAY_SECONDS:
            del self._claims[token]
            raise TokenExpired("expired")
        self._claims.move_to_end(token)
        return claims

    def put(self, token: str, claims: AccessClaims) -> None:
        self._claims[token] = claims
        if len(self._claims) > self.size:
            self._claims.popitem(last=False)

    def __len__(self) -> int:
        return len(self._claims)


class TokenKeys:
    """The signing key and the verification keys, by key id, and the tokens verified with them."""

    def __init__(self, private_pem: bytes):
        private_key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
            raise ValueError("the JWT signing key must be an EC P-256 private key (PEM)")
        self.key_id = _key_id(private_key.public_key())
        self._signing_pem = private_pem.decode()
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_pem = public_pem
        self._verifying = {self.key_id: jwk.construct(public_pem.decode(), ALGORITHM)}
        self.verified = VerifiedTokens()

    def sign(self, claims: dict[str, Any]) -> str:
        return str(
            jwt.encode(
                claims, self._signing_pem, algorithm=ALGORITHM, headers={"kid": self.key_id, "typ": "at+jwt"}
            )
        )

    def verifying_key(self, key_id: object) -> Any:
        if not isinstance(key_id, str) or key_id not in self._verifying:
            raise InvalidToken("unknown key id")
        return self._verifying[key_id]


def generate_private_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_keys(settings: Settings) -> TokenKeys:
    """The key from settings; outside production, one generated once into the data dir."""
    if settings.jwt_private_key is not None:
        return TokenKeys(settings.jwt_private_key.get_secret_value().encode())
    if settings.is_production:
        raise RuntimeError("UKUK_JWT_PRIVATE_KEY is required in production")
    return TokenKeys(keyfiles.read_or_create(Path(settings.data_dir) / "jwt-es256.pem", generate_private_pem))


@dataclass(frozen=True)
class TokenSubject:
    """Who a token speaks for: a user or an API client, its organization and role."""

    id: uuid.UUID
    kind: str  # user | client
    organization_id: uuid.UUID
    role: str


def issue_access_token(
    keys: TokenKeys,
    settings: Settings,
    subject: TokenSubject,
    *,
    scopes: frozenset[str],
    session_id: uuid.UUID,
    now: datetime | None = None,
) -> tuple[str, int]:
    now = now or clock.utcnow()
    lifetime = min(settings.access_token_ttl_seconds, MAX_LIFETIME_SECONDS)
    issued = int(now.timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + lifetime,
        "sub": str(subject.id),
        "jti": uuid.uuid4().hex,
        "org": str(subject.organization_id),
        "role": subject.role,
        "scope": " ".join(sorted(scopes)),
        "sid": str(session_id),
        "kind": subject.kind,
    }
    return keys.sign(claims), lifetime


def decode_access_token(keys: TokenKeys, settings: Settings, token: str) -> AccessClaims:
    """The token's claims, verified once and then served from `keys.verified` until it expires (a
    revoked session is still refused: the principal's session row is read on every request)."""
    cached = keys.verified.get(token)
    if cached is not None:
        return cached
    claims = _verified_claims(keys, settings, token)
    keys.verified.put(token, claims)
    return claims


def _verified_claims(keys: TokenKeys, settings: Settings, token: str) -> AccessClaims:
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise InvalidToken("malformed (or a JWE)")
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise InvalidToken("unreadable header") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not allowed")
    if FORBIDDEN_HEADERS & header.keys():
        raise InvalidToken("forbidden header")
    key = keys.verifying_key(header.get("kid"))
    options = {f"require_{claim}": True for claim in ("iss", "aud", "exp", "iat", "sub", "jti")}
    options["verify_exp"] = False  # checked below against the application clock
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options=options,
        )
    except ExpiredSignatureError as exc:  # raised by python-jose only after the signature verified
        raise TokenExpired("expired") from exc
    except JOSEError as exc:
        raise InvalidToken(type(exc).__name__) from exc
    return _checked_claims(claims)


def _checked_claims(claims: dict[str, Any]) -> AccessClaims:
    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        raise InvalidToken(f"missing claims {missing}")
    now = clock.utcnow().timestamp()
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise InvalidToken("exp and iat must be integers")
    if exp <= now - LEEWAY_SECONDS:
        raise TokenExpired("expired")
    if iat > now + LEEWAY_SECONDS or exp - iat > MAX_LIFETIME_SECONDS:
        raise InvalidToken("lifetime not acceptable")
    if not all(isinstance(claims[c], str) for c in ("sub", "org", "role", "scope", "sid", "kind")):
        raise InvalidToken("claims of the wrong type")
    try:
        return AccessClaims(
            subject=uuid.UUID(claims["sub"]),
            kind=claims["kind"],
            organization_id=uuid.UUID(claims["org"]),
            role=claims["role"],
            scopes=frozenset(claims["scope"].split()),
            session_id=uuid.UUID(claims["sid"]),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(exp, tz=clock.utcnow().tzinfo),
        )
    except ValueError as exc:
        raise InvalidToken("malformed identifiers") from exc


def refresh_expiry(settings: Settings, now: datetime | None = None) -> datetime:
    return (now or clock.utcnow()) + timedelta(seconds=settings.refresh_token_ttl_seconds)
