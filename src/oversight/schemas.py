"""Audit reading bodies: ids, actions and outcomes, never personal data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from src.schemas import OutputModel


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
