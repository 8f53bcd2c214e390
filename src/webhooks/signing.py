"""Standard Webhooks signatures (https://www.standardwebhooks.com), as docs/webhooks.md verifies them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_in_use: list[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures, one per valid secret (two during a rotation)."""
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets_in_use)
