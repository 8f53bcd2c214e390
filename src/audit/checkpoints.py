"""Signed checkpoints of the chain (Ed25519 over size, head hash, time and key id), so an oversight body can
keep its own copies and later prove, with the public key and the events in between, that the log only grew."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.audit.chain import canonical_document
from src.platform import keyfiles
from src.platform.config import Settings

MAX_CONSISTENCY_SPAN = 10_000


class CheckpointKey:
    def __init__(self, private_key: Ed25519PrivateKey):
        self.private_key = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_raw = raw
        self.key_id = "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_checkpoint_key(settings: Settings) -> CheckpointKey:
    if settings.audit_signing_key is not None:
        pem = settings.audit_signing_key.get_secret_value().encode()
    elif settings.is_production:
        raise RuntimeError("UKUK_AUDIT_SIGNING_KEY is required in production")
    else:
        pem = keyfiles.read_or_create(Path(settings.data_dir) / "audit-ed25519.pem", _new_pem)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the audit signing key must be an Ed25519 private key (PEM)")
    return CheckpointKey(key)


def checkpoint_message(size: int, head_hash: str | None, at: str, key_id: str) -> bytes:
    """The signed bytes: canonical JSON of the four fields."""
    document = {"size": size, "head_hash": head_hash, "at": at, "key_id": key_id}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def verify_checkpoint(public_raw: bytes, checkpoint: dict[str, Any]) -> bool:
    message = checkpoint_message(
        checkpoint["size"], checkpoint["head_hash"], checkpoint["at"], checkpoint["key_id"]
    )
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            base64.b64decode(checkpoint["signature"]), message
        )
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    size: int
    head_hash: str | None
    at: str
    key_id: str
    signature: str


async def take_checkpoint(conn: AsyncConnection, key: CheckpointKey, now: datetime) -> Checkpoint:
    head = (await conn.execute(text("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1"))).first()
    size, head_hash = (head[0], bytes(head[1]).hex()) if head else (0, None)
    at = now.isoformat(timespec="seconds")
    return Checkpoint(
        size, head_hash, at, key.key_id, key.sign(checkpoint_message(size, head_hash, at, key.key_id))
    )


async def consistency(conn: AsyncConnection, from_size: int, to_size: int) -> dict[str, Any]:
    """The hashes at both sizes and the events in between, so a holder of the first checkpoint can recompute
    the second: h = SHA-256(h || canonical JSON of each event)."""
    rows = (
        (
            await conn.execute(
                text(
                    "SELECT c.seq, c.hash, e.id, e.at, e.actor_type, e.actor_id, e.actor_organization_id, "
                    "e.action, e.resource_type, e.resource_id, e.outcome, e.request_id, e.changed_fields, "
                    "e.detail "
                    "FROM audit_chain c JOIN audit_event e ON e.id = c.event_id "
                    "WHERE c.seq BETWEEN :low AND :high ORDER BY c.seq"
                ),
                {"low": max(from_size, 1), "high": to_size},
            )
        )
        .mappings()
        .all()
    )
    by_seq = {row["seq"]: row for row in rows}
    from_hash = bytes(by_seq[from_size]["hash"]).hex() if from_size in by_seq else None
    to_hash = bytes(by_seq[to_size]["hash"]).hex() if to_size in by_seq else None
    events = [canonical_document(row) for row in rows if row["seq"] > from_size]
    return {
        "from_size": from_size,
        "to_size": to_size,
        "from_head_hash": from_hash,
        "to_head_hash": to_hash,
        "events": events,
    }
