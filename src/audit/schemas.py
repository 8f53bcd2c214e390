"""Audit reading bodies: ids, actions and outcomes, never personal data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from src.platform.schemas import OutputModel


class AuditEventRead(OutputModel):
    id: int
    seq: int | None
    at: datetime
    actor_type: str
    actor_id: uuid.UUID | None
    actor_organization_id: uuid.UUID | None
    action: str
    resource_type: str | None
    resource_id: uuid.UUID | None
    outcome: str
    request_id: str | None
    changed_fields: list[str]
    detail: dict[str, Any]


class VerificationRead(OutputModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_hash: str | None
    unsequenced_overdue: int


class CheckpointRead(OutputModel):
    size: int
    head_hash: str | None
    at: str
    key_id: str
    signature: str = Field(
        description="Base64 Ed25519 signature of canonical JSON {at, head_hash, key_id, size}."
    )


class PublicKeyRead(OutputModel):
    key_id: str
    algorithm: str
    public_key: str = Field(description="Base64 of the raw 32-byte Ed25519 public key.")


class PublicKeys(OutputModel):
    items: list[PublicKeyRead]


class ConsistencyRead(OutputModel):
    from_size: int
    to_size: int
    from_head_hash: str | None
    to_head_hash: str | None
    events: list[dict[str, Any]]
